package refserver

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"
)

// The store holds the organisations, their MCPs and keys, usage, and the
// idempotency records, for whichever API the server speaks. Its types carry
// the fields of both APIs; each API's handlers read the ones it has.

// Key statuses as the hosted API spells them; a PlexMCP server derives only
// active and expired (its keys are deleted, not revoked).
const (
	statusActive   = "active"
	statusExpired  = "expired"
	statusRevoked  = "revoked"
	statusInactive = "inactive"
)

// A PlexMCP server's key access modes.
const (
	accessAll      = "all"
	accessSelected = "selected"
	accessNone     = "none"
)

// org is one organisation.
type org struct {
	def       *orgDef
	mcps      []*mcp // ordered by created_at, then id
	keys      map[string]*apiKey
	idem      map[string]*idemRecord // the hosted API's, by calling key and Idempotency-Key
	idemSwept time.Time              // server clock of the last sweep of expired records
}

func (o *org) mcp(id string) *mcp {
	for _, m := range o.mcps {
		if m.id == id {
			return m
		}
	}
	return nil
}

// keysByCreation returns the organisation's keys ordered by created_at,
// then id: the hosted API's pagination order.
func (o *org) keysByCreation() []*apiKey {
	keys := make([]*apiKey, 0, len(o.keys))
	for _, k := range o.keys {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b *apiKey) int {
		return cmp.Or(a.createdAt.Compare(b.createdAt), cmp.Compare(a.id, b.id))
	})
	return keys
}

// mcp is a seeded MCP as one API shows it, with its usage.
type mcp struct {
	def       *mcpDef
	id        string
	createdAt time.Time
	stats     mcpStats
}

func (m *mcp) tool(name string) *tool {
	for _, t := range m.def.tools {
		if t.name == name {
			return t
		}
	}
	return nil
}

// mcpStats counts the invocations that reached an MCP (the hosted API's
// request_count, last_active and stats).
type mcpStats struct {
	requests, errors int64
	latencyMS        int64 // total, for the average
	lastActive       *time.Time
	daily            dailyCounts
}

// apiKey is a key object: metadata and the SHA-256 digest of its secret,
// never the secret itself.
type apiKey struct {
	id, orgID string
	name      string
	digest    [sha256.Size]byte
	prefix    string
	// bootstrap marks the keys a start supplies (by flag, environment or
	// generation). They never expire and never propagate.
	bootstrap bool

	// The hosted API's fields.
	description string
	allMCPs     bool
	mcpIDs      []string
	updatedAt   time.Time
	revokedAt   *time.Time
	daily       dailyCounts
	activity    []activity // newest first, at most maxActivity

	// A PlexMCP server's fields. allowedMCPIDs is kept as given: nil is
	// null, and duplicates and unknown ids stay.
	accessMode    string
	allowedMCPIDs []string
	scopes        []string
	rateLimitRPM  int
	createdBy     string // a user's UUID, "" for null

	expiresAt    *time.Time
	createdAt    time.Time
	issuedAt     time.Time // when the current secret was made (created or rotated)
	lastUsed     *time.Time
	requestCount int64
}

// activity is one invocation in a key's recent_activity.
type activity struct {
	at          time.Time
	mcpID, tool string
	success     bool
}

// maxActivity is how many invocations recent_activity keeps.
const maxActivity = 10

func (k *apiKey) addActivity(a activity) {
	k.activity = slices.Insert(k.activity, 0, a)
	if len(k.activity) > maxActivity {
		k.activity = k.activity[:maxActivity]
	}
}

// status is derived, never stored, so that moving the clock expires keys.
// A key expires at its expires_at instant.
func (k *apiKey) status(now time.Time) string {
	switch {
	case k.revokedAt != nil:
		return statusRevoked
	case k.expiresAt != nil && !now.Before(*k.expiresAt):
		return statusExpired
	default:
		return statusActive
	}
}

// propagating reports whether the key's current secret is younger than d,
// the -key-propagation window. Bootstrap keys never propagate.
func (k *apiKey) propagating(now time.Time, d time.Duration) bool {
	return d > 0 && !k.bootstrap && now.Before(k.issuedAt.Add(d))
}

// clone copies k deeply enough that a failed write can restore it.
func (k *apiKey) clone() *apiKey {
	c := *k
	c.mcpIDs = slices.Clone(k.mcpIDs)
	c.allowedMCPIDs = slices.Clone(k.allowedMCPIDs)
	c.scopes = slices.Clone(k.scopes)
	c.activity = slices.Clone(k.activity)
	c.daily = dailyCounts{}
	for d, n := range k.daily {
		c.daily[d] = n
	}
	return &c
}

// KeyRecord is a read-only snapshot of one key object, for tests that need
// to see server state the API does not show (the digest, the organisation,
// the bootstrap mark). Fields that one API lacks are zero under the other.
type KeyRecord struct {
	ID, OrgID, Name string
	// Description is the hosted API's; a PlexMCP server has none.
	Description string
	// KeyPrefix is the prefix as the API shows it: the key's first 12
	// characters (hosted) or its first 17 and "..." (server).
	KeyPrefix string
	Digest    string // hex SHA-256 of the key; never the key
	Bootstrap bool   // supplied at start (flag, environment or generated)

	// AllMCPs is the hosted API's {"mcps":"*"}, or a PlexMCP server's
	// mcp_access_mode "all". MCPIDs is the hosted API's list, or a PlexMCP
	// server's allowed_mcp_ids as stored (nil for null).
	AllMCPs bool
	MCPIDs  []string
	// A PlexMCP server's mcp_access_mode, scopes, rate_limit_rpm and
	// created_by ("" for null); zero on the hosted API.
	AccessMode   string
	Scopes       []string
	RateLimitRPM int
	CreatedBy    string

	ExpiresAt *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time // hosted only
	// IssuedAt is when the current secret was made: CreatedAt, or the
	// last rotation on a PlexMCP server.
	IssuedAt     time.Time
	RevokedAt    *time.Time // hosted only
	LastUsed     *time.Time
	RequestCount int64
	// Status is derived at Server.Now(): active, expired or revoked.
	Status string
}

func (k *apiKey) record(now time.Time) KeyRecord {
	r := KeyRecord{
		ID: k.id, OrgID: k.orgID, Name: k.name, Description: k.description, KeyPrefix: k.prefix,
		Digest:       hex.EncodeToString(k.digest[:]),
		Bootstrap:    k.bootstrap,
		AllMCPs:      k.allMCPs,
		MCPIDs:       slices.Clone(k.mcpIDs),
		AccessMode:   k.accessMode,
		Scopes:       slices.Clone(k.scopes),
		RateLimitRPM: k.rateLimitRPM,
		CreatedBy:    k.createdBy,
		ExpiresAt:    copyTime(k.expiresAt),
		CreatedAt:    k.createdAt,
		UpdatedAt:    k.updatedAt,
		IssuedAt:     k.issuedAt,
		RevokedAt:    copyTime(k.revokedAt),
		LastUsed:     copyTime(k.lastUsed),
		RequestCount: k.requestCount,
		Status:       k.status(now),
	}
	if k.accessMode != "" {
		r.AllMCPs = k.accessMode == accessAll
		r.MCPIDs = slices.Clone(k.allowedMCPIDs)
	}
	return r
}

// MCPRecord is one seeded MCP as the server's API names it, so that tests
// can find MCP ids under either API.
type MCPRecord struct {
	ID, OrgID, Name string
	Tools           []string
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// wholeSeconds is the hosted API's precision: UTC, whole seconds.
func wholeSeconds(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// storedTime is a PlexMCP server's precision for what it stores: its
// database keeps microseconds, in UTC.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
