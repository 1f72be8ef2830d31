package plexmcp

import "time"

// These are the client's view of PlexMCP objects, the same for both APIs.
// Each API's wire structs are its own (hosted_wire.go, server_wire.go) and
// share nothing with the reference server: golden fixtures pin both ends.

// Key statuses.
const (
	StatusActive  = "active"
	StatusExpired = "expired"
	StatusRevoked = "revoked"
)

// Permissions says which MCPs a key may invoke: every MCP of the
// organisation (AllMCPs), or exactly the listed ids.
type Permissions struct {
	AllMCPs bool
	MCPIDs  []string
}

// Usage counts a key's requests. A nil counter was not reported.
type Usage struct {
	TotalRequests     int64
	RequestsToday     *int64
	RequestsThisWeek  *int64
	RequestsThisMonth *int64
}

// Activity is one invocation made with a key.
type Activity struct {
	Timestamp time.Time
	MCPID     string
	Tool      string
	Status    string // "success" | "error"
}

// User is who created a key.
type User struct {
	ID    string
	Email string
}

// APIKey is a key's metadata. It never carries the secret.
type APIKey struct {
	ID          string
	Name        string
	Description string
	KeyPrefix   string
	Permissions Permissions
	// Status is "active", "expired" or "revoked". A PlexMCP server has no
	// such field: there it is derived from ExpiresAt at the client's now.
	Status    string
	ExpiresAt *time.Time // UTC; nil = never
	LastUsed  *time.Time // UTC
	RevokedAt *time.Time // UTC
	UpdatedAt *time.Time // UTC
	CreatedAt time.Time  // UTC
	Usage     Usage
	// RateLimitRPM is the key's own requests-per-minute limit, where the
	// API has one (Capabilities.KeyRateLimits).
	RateLimitRPM *int64
	CreatedBy    *User
	// RecentActivity is nil where the API does not report it.
	RecentActivity []Activity
}

// CreatedAPIKey is a new key with its secret, which the API shows only
// this once.
type CreatedAPIKey struct {
	APIKey
	Key Secret
	// Pending is set when an earlier attempt of this create may have made
	// another key that the client could not look for after this one
	// succeeded: store it and pass it to SettleCreate later. Nil almost
	// always.
	Pending *PendingCreate
}

// CreateAPIKeyRequest describes a new key.
type CreateAPIKeyRequest struct {
	Name string
	// Description is kept by the hosted API only
	// (Capabilities.KeyDescriptions); a PlexMCP server refuses a non-empty
	// one before any request is sent.
	Description string
	Permissions Permissions
	ExpiresAt   *time.Time
	// RateLimitRPM is for a PlexMCP server only
	// (Capabilities.KeyRateLimits); nil means the server's default.
	RateLimitRPM *int64
}

// UpdateAPIKeyRequest changes the non-nil fields of a key.
type UpdateAPIKeyRequest struct {
	Name        *string
	Description *string // hosted only
	Permissions *Permissions
	// RateLimitRPM is for a PlexMCP server only.
	RateLimitRPM *int64
}

// ListAPIKeysOptions filters ListAPIKeys. Empty fields are not sent.
type ListAPIKeysOptions struct {
	Status string
}

// PendingCreate is a create that may have left a key behind, taken from a
// *CreateUncertainError (or CreatedAPIKey.Pending) for SettleCreate.
type PendingCreate struct {
	Name     string
	From, To time.Time
	// Keep is the id of the key the create did return (set in
	// CreatedAPIKey.Pending, "" for a create that failed). It has the same
	// name and may fall inside the window, and SettleCreate never revokes
	// it, also from a client that did not make it (the next run).
	Keep string
}

// MCP is an MCP server registered with the organisation.
type MCP struct {
	ID           string
	Name         string
	Description  string
	EndpointURL  string
	Status       string // "active" | "inactive" (a PlexMCP server also knows others)
	Health       string // "healthy" | "unhealthy" | "unknown"
	CreatedAt    time.Time
	LastActive   *time.Time
	RequestCount int64
	// Tools is filled by GetMCP, where the API reports them.
	Tools []Tool
}

// Tool is one tool of an MCP.
type Tool struct {
	Name        string
	Description string
}

// ListMCPsOptions filters ListMCPs. The hosted API's ?name= is not
// documented, so callers filter by name themselves.
type ListMCPsOptions struct {
	Status string
}

// InvokeRequest is one tool call.
type InvokeRequest struct {
	MCPID     string
	Tool      string
	Arguments map[string]any
}

// InvokeResult is what a tool call returned.
type InvokeResult struct {
	MCPID  string
	Tool   string
	Result map[string]any
}
