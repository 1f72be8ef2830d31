package plexmcp

import (
	"context"
	"net/http"
	"time"
)

// API names one of the two PlexMCP APIs the client speaks.
type API string

const (
	// APIHosted is PlexMCP's hosted API: management under /v1, the
	// {"success":…} envelope, invocations at POST /mcp (reference-api.md).
	APIHosted API = "hosted"
	// APIServer is a self-hosted PlexMCP server: management under /api/v1,
	// bare JSON, a JSON-RPC proxy at POST /mcp (plexmcp-server-api.md).
	APIServer API = "server"
)

// Capabilities says what the API behind a client can do. The provider
// decides from these alone, never from which API it is.
type Capabilities struct {
	// KeyDescriptions: keys keep a description (hosted).
	KeyDescriptions bool
	// PermissionsUpdatable: a key's MCP permissions can change in place
	// (server).
	PermissionsUpdatable bool
	// ListsKeys: the organisation's keys are listed to an API-key caller
	// (hosted). It is also what lets the client find a key that an
	// ambiguous create may have made.
	ListsKeys bool
	// RevokedKeysRemain: a revoked key stays readable with status
	// "revoked" (hosted); otherwise it is gone (404).
	RevokedKeysRemain bool
	// KeyRateLimits: keys carry their own requests-per-minute limit
	// (server).
	KeyRateLimits bool
	// KeyUsageHistory: requests today, this week and this month, and
	// recent activity, per key (hosted).
	KeyUsageHistory bool
	// NameLengthInBytes: the 100-character name limit is counted in UTF-8
	// bytes of the untrimmed name (server).
	NameLengthInBytes bool
}

// capabilitiesOf returns what api can do.
func capabilitiesOf(api API) Capabilities {
	if api == APIServer {
		return Capabilities{PermissionsUpdatable: true, KeyRateLimits: true, NameLengthInBytes: true}
	}
	return Capabilities{KeyDescriptions: true, ListsKeys: true, RevokedKeysRemain: true, KeyUsageHistory: true}
}

// surface is the part of an API a request goes to.
type surface int

const (
	// surfaceManagement is the management API under the base URL.
	surfaceManagement surface = iota
	// surfaceMCP is the MCP endpoint, POST /mcp at the API's root.
	surfaceMCP
)

// dialect is what the shared machinery (retries, pacing, logging, error
// scrubbing) needs to know of an API's wire format. Everything else about
// an API stays in its own files.
type dialect interface {
	// authorize puts the credential on a request to s.
	authorize(h http.Header, key Secret, s surface)
	// decodeError turns a non-2xx answer into an *APIError or *RPCError.
	decodeError(status int, h http.Header, body []byte) error
	// retryable refines the retry policy for the two statuses whose body
	// matters: a 429 that is a quota, not a rate limit, is final; a 409 is
	// worth resending only when it says an attempt with the same
	// Idempotency-Key is still in flight.
	retryable(status int, body []byte) bool
	// waitHint reads a wait that a 429 asks for in its body, where the API
	// puts it there instead of in Retry-After.
	waitHint(status int, body []byte) (time.Duration, bool)
}

// operations are the typed calls, implemented once per API.
type operations interface {
	createAPIKey(ctx context.Context, r CreateAPIKeyRequest) (*CreatedAPIKey, error)
	getAPIKey(ctx context.Context, id string) (*APIKey, error)
	listAPIKeys(ctx context.Context, opts ListAPIKeysOptions) ([]APIKey, error)
	updateAPIKey(ctx context.Context, id string, r UpdateAPIKeyRequest) (*APIKey, error)
	revokeAPIKey(ctx context.Context, id string) error
	settleCreate(ctx context.Context, p PendingCreate) ([]string, error)
	listMCPs(ctx context.Context, opts ListMCPsOptions) ([]MCP, error)
	getMCP(ctx context.Context, id string) (*MCP, error)
	invoke(ctx context.Context, r InvokeRequest) (*InvokeResult, error)
	reachableMCPs(ctx context.Context, mcps []MCP) (map[string]bool, error)
}
