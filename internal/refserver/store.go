package refserver

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"
)

// Modes and statuses as the API spells them.
const (
	modeLive = "live"
	modeTest = "test"

	statusActive   = "active"
	statusInactive = "inactive"
	statusExpired  = "expired"
	statusRevoked  = "revoked"
)

// Organisation ids. They never appear on the wire; they tie persisted keys
// to the management key each start supplies.
const (
	firstOrgID  = "org_1"
	secondOrgID = "org_2"
)

// mcp is an MCP server registered with an organisation. The reference server
// has no endpoint that changes one, so after seeding or loading they are
// read-only.
type mcp struct {
	id, name, description, mode, status string
	tools                               []string
	createdAt, updatedAt                time.Time
}

func (m *mcp) hasTool(name string) bool { return slices.Contains(m.tools, name) }

// apiKey is an access key: metadata and the SHA-256 digest of its secret,
// never the secret itself.
type apiKey struct {
	id, orgID, name, description, mode, prefix string
	digest                                     [sha256.Size]byte
	allMCPs                                    bool
	mcpIDs                                     []string
	expiresAt                                  *time.Time
	createdAt                                  time.Time
	revokedAt, lastUsedAt                      *time.Time
	requestCount                               int64
}

// status is derived, never stored, so that moving the clock expires keys.
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

// mayInvoke applies both halves of the permission rule: the key must name
// the MCP (or hold all of them), and a test key never reaches a live MCP.
func (k *apiKey) mayInvoke(m *mcp) bool {
	if k.mode == modeTest && m.mode != modeTest {
		return false
	}
	return k.allMCPs || slices.Contains(k.mcpIDs, m.id)
}

// clone copies k deeply enough that a failed write can restore it.
func (k *apiKey) clone() *apiKey {
	c := *k
	c.mcpIDs = slices.Clone(k.mcpIDs)
	return &c
}

// org is one organisation: its management key, MCPs, access keys and
// idempotency records.
type org struct {
	id          string
	adminDigest [sha256.Size]byte
	mcps        []*mcp // ordered by created_at, then id
	keys        map[string]*apiKey
	idem        map[string]*idemRecord
	idemSwept   time.Time // server clock of the last sweep of expired records
}

func newOrg(id string, mcps []*mcp) *org {
	o := &org{id: id, mcps: mcps, keys: map[string]*apiKey{}, idem: map[string]*idemRecord{}}
	sortMCPs(o.mcps)
	return o
}

func (o *org) mcp(id string) *mcp {
	for _, m := range o.mcps {
		if m.id == id {
			return m
		}
	}
	return nil
}

// sortedKeys returns the organisation's keys in pagination order.
func (o *org) sortedKeys() []*apiKey {
	keys := make([]*apiKey, 0, len(o.keys))
	for _, k := range o.keys {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b *apiKey) int {
		return cmp.Or(a.createdAt.Compare(b.createdAt), cmp.Compare(a.id, b.id))
	})
	return keys
}

func sortMCPs(ms []*mcp) {
	slices.SortFunc(ms, func(a, b *mcp) int {
		return cmp.Or(a.createdAt.Compare(b.createdAt), cmp.Compare(a.id, b.id))
	})
}

// seedEpoch is the fixed creation time of the seeded MCPs, so that their
// JSON is byte-for-byte stable and the golden files can pin it.
var seedEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// seedOrgs returns the two organisations the contract describes. The MCPs
// are created a minute apart so that pagination order is the order a reader
// of the contract expects.
func seedOrgs() []*org {
	at := func(minutes int) time.Time { return seedEpoch.Add(time.Duration(minutes) * time.Minute) }
	first := newOrg(firstOrgID, []*mcp{
		{id: "mcp_weather", name: "Weather API", description: "Current weather for a city.", mode: modeLive, status: statusActive, tools: []string{"get_weather"}, createdAt: at(0), updatedAt: at(0)},
		{id: "mcp_calculator", name: "Calculator", description: "Adds two numbers.", mode: modeLive, status: statusActive, tools: []string{"add"}, createdAt: at(1), updatedAt: at(1)},
		{id: "mcp_sandbox", name: "Sandbox", description: "Echoes its arguments, for test keys.", mode: modeTest, status: statusActive, tools: []string{"echo"}, createdAt: at(2), updatedAt: at(2)},
	})
	second := newOrg(secondOrgID, []*mcp{
		{id: "mcp_private_tools", name: "Private Tools", description: "Belongs to the second organisation only.", mode: modeLive, status: statusActive, tools: []string{"ping"}, createdAt: at(0), updatedAt: at(0)},
	})
	return []*org{first, second}
}

// KeyRecord is a read-only snapshot of one access key, for tests that need
// to see server state the API does not expose (the digest, the owner).
type KeyRecord struct {
	ID, OrgID, Name, Description, Mode, KeyPrefix string
	Digest                                        string // hex SHA-256 of the key; never the key
	AllMCPs                                       bool
	MCPIDs                                        []string
	ExpiresAt                                     *time.Time
	CreatedAt                                     time.Time
	RevokedAt                                     *time.Time
	LastUsedAt                                    *time.Time
	RequestCount                                  int64
	Status                                        string // derived at Server.Now(): active | expired | revoked
}

func (k *apiKey) record(now time.Time) KeyRecord {
	return KeyRecord{
		ID: k.id, OrgID: k.orgID, Name: k.name, Description: k.description, Mode: k.mode, KeyPrefix: k.prefix,
		Digest:       hex.EncodeToString(k.digest[:]),
		AllMCPs:      k.allMCPs,
		MCPIDs:       slices.Clone(k.mcpIDs),
		ExpiresAt:    copyTime(k.expiresAt),
		CreatedAt:    k.createdAt,
		RevokedAt:    copyTime(k.revokedAt),
		LastUsedAt:   copyTime(k.lastUsedAt),
		RequestCount: k.requestCount,
		Status:       k.status(now),
	}
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// wallTime truncates to what the wire carries: UTC, whole seconds.
func wallTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
