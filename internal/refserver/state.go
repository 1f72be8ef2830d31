package refserver

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// stateVersion changes whenever the state file's shape does. Version 1 was
// the hosted API's contract version 1; its files are refused.
const stateVersion = 2

// The state file's own types. They hold digests and metadata only: no key,
// no signing secret and no idempotency record (the contract keeps those in
// memory). MCPs are seeded, never created, so only their statistics are
// kept; a file whose MCPs differ from the seed is refused.
type stateFile struct {
	Version       int        `json:"version"`
	API           string     `json:"api"`
	Organizations []stateOrg `json:"organizations"`
}

type stateOrg struct {
	ID      string     `json:"id"`
	MCPs    []stateMCP `json:"mcps"`
	APIKeys []stateKey `json:"api_keys"`
}

type stateMCP struct {
	ID         string           `json:"id"`
	Requests   int64            `json:"requests"`
	Errors     int64            `json:"errors"`
	LatencyMS  int64            `json:"latency_ms"`
	LastActive *time.Time       `json:"last_active"`
	Daily      map[string]int64 `json:"daily"`
}

type stateKey struct {
	ID            string           `json:"id"`
	Name          string           `json:"name"`
	Prefix        string           `json:"prefix"`
	SHA256        string           `json:"sha256"`
	Bootstrap     bool             `json:"bootstrap"`
	Description   string           `json:"description"`
	AllMCPs       bool             `json:"all_mcps"`
	MCPIDs        []string         `json:"mcp_ids"`
	AccessMode    string           `json:"access_mode"`
	AllowedMCPIDs []string         `json:"allowed_mcp_ids"`
	Scopes        []string         `json:"scopes"`
	RateLimitRPM  int              `json:"rate_limit_rpm"`
	CreatedBy     string           `json:"created_by"`
	ExpiresAt     *time.Time       `json:"expires_at"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
	IssuedAt      time.Time        `json:"issued_at"`
	RevokedAt     *time.Time       `json:"revoked_at"`
	LastUsed      *time.Time       `json:"last_used"`
	RequestCount  int64            `json:"request_count"`
	Daily         map[string]int64 `json:"daily"`
	Activity      []stateActivity  `json:"recent_activity"`
}

type stateActivity struct {
	At      time.Time `json:"at"`
	MCPID   string    `json:"mcp_id"`
	Tool    string    `json:"tool"`
	Success bool      `json:"success"`
}

// loadOrSeed fills s.orgs from the state file, or seeds them (and writes
// the file) when there is none.
func (s *Server) loadOrSeed() error {
	s.orgs = seedOrgs(s.api)
	if s.statePath == "" {
		return nil
	}
	data, err := os.ReadFile(s.statePath)
	if errors.Is(err, fs.ErrNotExist) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.persistLocked()
	}
	if err != nil {
		return fmt.Errorf("refserver: reading state: %w", err)
	}
	if err := s.loadState(data); err != nil {
		return fmt.Errorf("refserver: state file %s: %w", s.statePath, err)
	}
	return nil
}

func (s *Server) loadState(data []byte) error {
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return err
	}
	switch {
	case st.Version != stateVersion:
		return fmt.Errorf("version %d, want %d (remove the file to start afresh)", st.Version, stateVersion)
	case st.API != s.api:
		return fmt.Errorf("it belongs to the %q API, not %q", st.API, s.api)
	case len(st.Organizations) != len(s.orgs):
		return fmt.Errorf("%d organisations, want %d", len(st.Organizations), len(s.orgs))
	}
	for i, so := range st.Organizations {
		o := s.orgs[i]
		if so.ID != o.def.id {
			return fmt.Errorf("organisation %q where %q belongs", so.ID, o.def.id)
		}
		if len(so.MCPs) != len(o.mcps) {
			return fmt.Errorf("organisation %s has %d MCPs, want the %d seeded ones", so.ID, len(so.MCPs), len(o.mcps))
		}
		for j, sm := range so.MCPs {
			m := o.mcps[j]
			if sm.ID != m.id {
				return fmt.Errorf("MCP %q where the seeded %q belongs", sm.ID, m.id)
			}
			daily, err := decodeDailyCounts(sm.Daily)
			if err != nil {
				return fmt.Errorf("MCP %s: %w", sm.ID, err)
			}
			m.stats = mcpStats{requests: sm.Requests, errors: sm.Errors, latencyMS: sm.LatencyMS, lastActive: utcPtr(sm.LastActive), daily: daily}
		}
		for _, sk := range so.APIKeys {
			k, err := keyFromState(so.ID, sk)
			if err != nil {
				return err
			}
			if _, dup := s.byDigest[k.digest]; dup || o.keys[k.id] != nil {
				return fmt.Errorf("key %s appears twice", sk.ID)
			}
			s.addKeyLocked(o, k)
		}
	}
	return nil
}

func keyFromState(orgID string, sk stateKey) (*apiKey, error) {
	raw, err := hex.DecodeString(sk.SHA256)
	if err != nil || len(raw) != len(apiKey{}.digest) {
		return nil, fmt.Errorf("key %s has a malformed digest", sk.ID)
	}
	daily, err := decodeDailyCounts(sk.Daily)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", sk.ID, err)
	}
	k := &apiKey{
		id: sk.ID, orgID: orgID, name: sk.Name, prefix: sk.Prefix, bootstrap: sk.Bootstrap,
		description: sk.Description, allMCPs: sk.AllMCPs, mcpIDs: sk.MCPIDs, updatedAt: sk.UpdatedAt.UTC(),
		revokedAt: utcPtr(sk.RevokedAt), daily: daily,
		accessMode: sk.AccessMode, allowedMCPIDs: sk.AllowedMCPIDs, scopes: sk.Scopes, rateLimitRPM: sk.RateLimitRPM,
		createdBy: sk.CreatedBy, expiresAt: utcPtr(sk.ExpiresAt), createdAt: sk.CreatedAt.UTC(), issuedAt: sk.IssuedAt.UTC(),
		lastUsed: utcPtr(sk.LastUsed), requestCount: sk.RequestCount,
	}
	copy(k.digest[:], raw)
	for _, a := range sk.Activity {
		k.activity = append(k.activity, activity{at: a.At.UTC(), mcpID: a.MCPID, tool: a.Tool, success: a.Success})
	}
	return k, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// persistLocked writes the whole state atomically. The caller holds s.mu
// and must not acknowledge its mutation unless this returns nil.
func (s *Server) persistLocked() error {
	if s.statePath == "" {
		s.dirty = false
		return nil
	}
	st := stateFile{Version: stateVersion, API: s.api}
	for _, o := range s.orgs {
		so := stateOrg{ID: o.def.id, MCPs: []stateMCP{}, APIKeys: []stateKey{}}
		for _, m := range o.mcps {
			so.MCPs = append(so.MCPs, stateMCP{ID: m.id, Requests: m.stats.requests, Errors: m.stats.errors,
				LatencyMS: m.stats.latencyMS, LastActive: m.stats.lastActive, Daily: m.stats.daily.encode()})
		}
		for _, k := range o.keysByCreation() {
			sk := stateKey{
				ID: k.id, Name: k.name, Prefix: k.prefix, SHA256: hex.EncodeToString(k.digest[:]), Bootstrap: k.bootstrap,
				Description: k.description, AllMCPs: k.allMCPs, MCPIDs: k.mcpIDs,
				AccessMode: k.accessMode, AllowedMCPIDs: k.allowedMCPIDs, Scopes: k.scopes, RateLimitRPM: k.rateLimitRPM,
				CreatedBy: k.createdBy, ExpiresAt: k.expiresAt, CreatedAt: k.createdAt, UpdatedAt: k.updatedAt,
				IssuedAt: k.issuedAt, RevokedAt: k.revokedAt, LastUsed: k.lastUsed, RequestCount: k.requestCount,
				Daily: k.daily.encode(), Activity: []stateActivity{},
			}
			for _, a := range k.activity {
				sk.Activity = append(sk.Activity, stateActivity{At: a.at, MCPID: a.mcpID, Tool: a.tool, Success: a.success})
			}
			so.APIKeys = append(so.APIKeys, sk)
		}
		st.Organizations = append(st.Organizations, so)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.statePath, append(data, '\n')); err != nil {
		return fmt.Errorf("refserver: writing state: %w", err)
	}
	s.dirty = false
	return nil
}

// writeFileAtomic replaces path with data so that a crash at any moment
// leaves either the old file or the new one: write a temporary file in the
// same directory, fsync it, rename it over path, then fsync the directory
// so the rename itself is durable.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
