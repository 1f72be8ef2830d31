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

// stateVersion changes whenever the state file's shape does.
const stateVersion = 1

// The state file's own types. They hold digests and metadata only: no
// plaintext key, no management key (those come from flags or the
// environment at every start) and no idempotency record (the contract keeps
// those in memory).
type stateFile struct {
	Version       int        `json:"version"`
	Organizations []stateOrg `json:"organizations"`
}

type stateOrg struct {
	ID      string     `json:"id"`
	MCPs    []stateMCP `json:"mcps"`
	APIKeys []stateKey `json:"api_keys"`
}

type stateMCP struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Mode        string    `json:"mode"`
	Status      string    `json:"status"`
	Tools       []string  `json:"tools"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type stateKey struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Description  string     `json:"description"`
	Mode         string     `json:"mode"`
	KeyPrefix    string     `json:"key_prefix"`
	SHA256       string     `json:"sha256"`
	AllMCPs      bool       `json:"all_mcps"`
	MCPIDs       []string   `json:"mcp_ids"`
	ExpiresAt    *time.Time `json:"expires_at"`
	CreatedAt    time.Time  `json:"created_at"`
	RevokedAt    *time.Time `json:"revoked_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	RequestCount int64      `json:"request_count"`
}

// loadOrSeed fills s.orgs from the state file, or seeds them (and writes
// the file) when there is none.
func (s *Server) loadOrSeed() error {
	if s.statePath == "" {
		s.orgs = seedOrgs()
		return nil
	}
	data, err := os.ReadFile(s.statePath)
	if errors.Is(err, fs.ErrNotExist) {
		s.orgs = seedOrgs()
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
	if st.Version != stateVersion {
		return fmt.Errorf("version %d, want %d", st.Version, stateVersion)
	}
	byID := map[string]*org{}
	for _, so := range st.Organizations {
		mcps := make([]*mcp, 0, len(so.MCPs))
		for _, m := range so.MCPs {
			mcps = append(mcps, &mcp{id: m.ID, name: m.Name, description: m.Description, mode: m.Mode, status: m.Status,
				tools: m.Tools, createdAt: m.CreatedAt.UTC(), updatedAt: m.UpdatedAt.UTC()})
		}
		o := newOrg(so.ID, mcps)
		for _, sk := range so.APIKeys {
			raw, err := hex.DecodeString(sk.SHA256)
			if err != nil || len(raw) != len(apiKey{}.digest) {
				return fmt.Errorf("key %s has a malformed digest", sk.ID)
			}
			k := &apiKey{id: sk.ID, orgID: so.ID, name: sk.Name, description: sk.Description, mode: sk.Mode, prefix: sk.KeyPrefix,
				allMCPs: sk.AllMCPs, mcpIDs: sk.MCPIDs, expiresAt: utcPtr(sk.ExpiresAt), createdAt: sk.CreatedAt.UTC(),
				revokedAt: utcPtr(sk.RevokedAt), lastUsedAt: utcPtr(sk.LastUsedAt), requestCount: sk.RequestCount}
			copy(k.digest[:], raw)
			o.keys[k.id] = k
			s.byDigest[k.digest] = k
		}
		byID[so.ID] = o
	}
	for _, id := range []string{firstOrgID, secondOrgID} {
		o, ok := byID[id]
		if !ok {
			return fmt.Errorf("organisation %s is missing", id)
		}
		s.orgs = append(s.orgs, o)
	}
	return nil
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
	st := stateFile{Version: stateVersion}
	for _, o := range s.orgs {
		so := stateOrg{ID: o.id, MCPs: []stateMCP{}, APIKeys: []stateKey{}}
		for _, m := range o.mcps {
			so.MCPs = append(so.MCPs, stateMCP{ID: m.id, Name: m.name, Description: m.description, Mode: m.mode,
				Status: m.status, Tools: m.tools, CreatedAt: m.createdAt, UpdatedAt: m.updatedAt})
		}
		for _, k := range o.sortedKeys() {
			so.APIKeys = append(so.APIKeys, stateKey{ID: k.id, Name: k.name, Description: k.description, Mode: k.mode,
				KeyPrefix: k.prefix, SHA256: hex.EncodeToString(k.digest[:]), AllMCPs: k.allMCPs, MCPIDs: k.mcpIDs,
				ExpiresAt: k.expiresAt, CreatedAt: k.createdAt, RevokedAt: k.revokedAt, LastUsedAt: k.lastUsedAt,
				RequestCount: k.requestCount})
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
