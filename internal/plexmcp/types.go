package plexmcp

import "time"

// These are the client's own view of PlexMCP objects. They are deliberately
// independent of the reference server's wire types: golden fixtures under
// internal/testdata/api pin both sides, so a misspelled field fails a test
// instead of passing silently on both ends.

// Key modes and statuses as the API spells them.
const (
	ModeLive = "live"
	ModeTest = "test"

	StatusActive  = "active"
	StatusExpired = "expired"
	StatusRevoked = "revoked"
)

// MCP is an MCP server registered with the organization.
type MCP struct {
	ID          string
	Name        string
	Description string
	Mode        string
	Status      string
	Tools       []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Permissions says which MCPs a key may invoke: every MCP of the
// organization (AllMCPs), or exactly the listed ids.
type Permissions struct {
	AllMCPs bool
	MCPIDs  []string
}

// APIKey is an access key's metadata. It never carries the secret.
type APIKey struct {
	ID           string
	Name         string
	Description  string
	Mode         string
	KeyPrefix    string
	Permissions  Permissions
	ExpiresAt    *time.Time
	Status       string
	CreatedAt    time.Time
	LastUsedAt   *time.Time
	RequestCount int64
	RevokedAt    *time.Time
}

// CreatedAPIKey is the create response: the metadata plus the secret, which
// the API shows exactly once.
type CreatedAPIKey struct {
	APIKey
	Key Secret
	// Replayed is true when the server answered from its idempotency record
	// (a retry of a create that had already committed).
	Replayed bool
}

// CreateAPIKeyRequest is the body of POST /api-keys. At most one of
// ExpiresAt and ExpiresInDays may be set.
type CreateAPIKeyRequest struct {
	Name          string
	Description   string
	Mode          string // "" means the API default, live.
	Permissions   Permissions
	ExpiresAt     *time.Time
	ExpiresInDays *int64
	// IdempotencyKey is sent as the Idempotency-Key header and reused on
	// every retry of this create. When empty the client generates one.
	IdempotencyKey string
}

// UpdateAPIKeyRequest is the body of PATCH /api-keys/{id}; nil fields are
// left unchanged.
type UpdateAPIKeyRequest struct {
	Name        *string
	Description *string
	Permissions *Permissions
}

// ListMCPsOptions filters GET /mcps. Empty fields are not sent.
type ListMCPsOptions struct {
	Name   string
	Status string
}

// ListAPIKeysOptions filters GET /api-keys. Empty fields are not sent.
type ListAPIKeysOptions struct {
	Status string
}

// InvokeRequest is the body of POST /mcp/invoke.
type InvokeRequest struct {
	MCPID     string
	Tool      string
	Arguments map[string]any
}

// InvokeResult is what an invocation returned.
type InvokeResult struct {
	MCPID  string
	Tool   string
	Result map[string]any
}
