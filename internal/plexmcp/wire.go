package plexmcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The wire structs below are the client's own reading of the JSON the API
// sends and accepts. They are unexported and converted to the types in
// types.go at the edge, so the provider never depends on a JSON tag, and
// they share nothing with the reference server: the golden fixtures in
// internal/testdata/api are what keep the two sides honest.

// wireEnvelope is the {"success":…} wrapper around every response.
type wireEnvelope struct {
	Success    *bool           `json:"success"`
	Data       json.RawMessage `json:"data"`
	Pagination *wirePagination `json:"pagination"`
	Error      *wireError      `json:"error"`
}

type wirePagination struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Total      int `json:"total"`
	TotalPages int `json:"total_pages"`
}

type wireError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

type wireMCP struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Mode        string    `json:"mode"`
	Status      string    `json:"status"`
	Tools       []string  `json:"tools"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func (w wireMCP) toMCP() MCP {
	return MCP{
		ID:          w.ID,
		Name:        w.Name,
		Description: w.Description,
		Mode:        w.Mode,
		Status:      w.Status,
		Tools:       w.Tools,
		CreatedAt:   w.CreatedAt.UTC(),
		UpdatedAt:   w.UpdatedAt.UTC(),
	}
}

// wirePermissions is {"mcps":"*"} or {"mcps":["mcp_1",…]}.
type wirePermissions struct {
	All bool
	IDs []string
}

type wirePermissionsJSON struct {
	MCPs json.RawMessage `json:"mcps"`
}

func (p wirePermissions) MarshalJSON() ([]byte, error) {
	if p.All {
		return []byte(`{"mcps":"*"}`), nil
	}
	ids := p.IDs
	if ids == nil {
		// An empty grant is sent as [] so the server can name the problem;
		// null would read as "field missing".
		ids = []string{}
	}
	return json.Marshal(struct {
		MCPs []string `json:"mcps"`
	}{ids})
}

func (p *wirePermissions) UnmarshalJSON(b []byte) error {
	var raw wirePermissionsJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*p = wirePermissions{}
	mcps := bytes.TrimSpace(raw.MCPs)
	switch {
	case len(mcps) == 0 || bytes.Equal(mcps, []byte("null")):
		return nil
	case mcps[0] == '"':
		var s string
		if err := json.Unmarshal(mcps, &s); err != nil {
			return err
		}
		if s != "*" {
			return fmt.Errorf("permissions.mcps: want \"*\" or a list of ids, got %q", s)
		}
		p.All = true
		return nil
	default:
		var ids []string
		if err := json.Unmarshal(mcps, &ids); err != nil {
			return fmt.Errorf("permissions.mcps: %w", err)
		}
		if ids == nil {
			ids = []string{}
		}
		p.IDs = ids
		return nil
	}
}

func permissionsToWire(p Permissions) wirePermissions {
	if p.AllMCPs {
		return wirePermissions{All: true}
	}
	return wirePermissions{IDs: p.MCPIDs}
}

func (p wirePermissions) toPermissions() Permissions {
	if p.All {
		return Permissions{AllMCPs: true}
	}
	return Permissions{MCPIDs: p.IDs}
}

type wireAPIKey struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Mode         string          `json:"mode"`
	KeyPrefix    string          `json:"key_prefix"`
	Permissions  wirePermissions `json:"permissions"`
	ExpiresAt    *time.Time      `json:"expires_at"`
	Status       string          `json:"status"`
	CreatedAt    time.Time       `json:"created_at"`
	LastUsedAt   *time.Time      `json:"last_used_at"`
	RequestCount int64           `json:"request_count"`
	RevokedAt    *time.Time      `json:"revoked_at"`
	// Key is present only in the create response (and its replays).
	Key string `json:"key,omitempty"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (w wireAPIKey) toAPIKey() APIKey {
	return APIKey{
		ID:           w.ID,
		Name:         w.Name,
		Description:  w.Description,
		Mode:         w.Mode,
		KeyPrefix:    w.KeyPrefix,
		Permissions:  w.Permissions.toPermissions(),
		ExpiresAt:    utcPtr(w.ExpiresAt),
		Status:       w.Status,
		CreatedAt:    w.CreatedAt.UTC(),
		LastUsedAt:   utcPtr(w.LastUsedAt),
		RequestCount: w.RequestCount,
		RevokedAt:    utcPtr(w.RevokedAt),
	}
}

// wireCreateAPIKey is the POST /api-keys body. Optional fields are omitted
// rather than sent empty, so the server applies its own defaults.
type wireCreateAPIKey struct {
	Name          string          `json:"name"`
	Description   string          `json:"description,omitempty"`
	Mode          string          `json:"mode,omitempty"`
	Permissions   wirePermissions `json:"permissions"`
	ExpiresAt     string          `json:"expires_at,omitempty"`
	ExpiresInDays *int64          `json:"expires_in_days,omitempty"`
}

// wireTime renders a timestamp the way the API stores it: UTC, to the
// second, with a Z suffix.
func wireTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func createToWire(r CreateAPIKeyRequest) wireCreateAPIKey {
	w := wireCreateAPIKey{
		Name:          r.Name,
		Description:   r.Description,
		Mode:          r.Mode,
		Permissions:   permissionsToWire(r.Permissions),
		ExpiresInDays: r.ExpiresInDays,
	}
	if r.ExpiresAt != nil {
		w.ExpiresAt = wireTime(*r.ExpiresAt)
	}
	return w
}

// wireUpdateAPIKey is the PATCH body: a nil field is absent, and a pointer
// to "" is sent, because an empty description means "clear it".
type wireUpdateAPIKey struct {
	Name        *string          `json:"name,omitempty"`
	Description *string          `json:"description,omitempty"`
	Permissions *wirePermissions `json:"permissions,omitempty"`
}

func updateToWire(r UpdateAPIKeyRequest) wireUpdateAPIKey {
	w := wireUpdateAPIKey{Name: r.Name, Description: r.Description}
	if r.Permissions != nil {
		p := permissionsToWire(*r.Permissions)
		w.Permissions = &p
	}
	return w
}

type wireInvoke struct {
	MCPID     string         `json:"mcp_id"`
	Tool      string         `json:"tool"`
	Arguments map[string]any `json:"arguments"`
}

func invokeToWire(r InvokeRequest) wireInvoke {
	args := r.Arguments
	if args == nil {
		args = map[string]any{}
	}
	return wireInvoke{MCPID: r.MCPID, Tool: r.Tool, Arguments: args}
}

type wireInvokeResult struct {
	MCPID  string         `json:"mcp_id"`
	Tool   string         `json:"tool"`
	Result map[string]any `json:"result"`
}

func (w wireInvokeResult) toInvokeResult() InvokeResult {
	// Field by field, not a conversion, so the two types may diverge.
	return InvokeResult{MCPID: w.MCPID, Tool: w.Tool, Result: w.Result} //nolint:staticcheck // see above

}

// errMalformed marks a response the client could not make sense of.
var errMalformed = errors.New("malformed response")

// decodeBody is the single decoding path for every response, real or from a
// fixture: a non-2xx status becomes an *APIError (with whatever of the
// error envelope could be read), a 2xx envelope's data is decoded into out
// (skipped when out is nil), and its pagination, if any, is returned.
func decodeBody(status int, body []byte, out any) (*wirePagination, error) {
	if status < 200 || status > 299 {
		return nil, decodeAPIError(status, body)
	}
	if out == nil {
		return nil, nil
	}
	var env wireEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: HTTP %d: %v", errMalformed, status, err)
	}
	if env.Success == nil || !*env.Success {
		// A 2xx that says it failed: trust the envelope over the status.
		if env.Error != nil {
			return nil, &APIError{StatusCode: status, Code: env.Error.Code, Message: env.Error.Message, Details: env.Error.Details}
		}
		return nil, fmt.Errorf("%w: HTTP %d without \"success\":true", errMalformed, status)
	}
	if len(env.Data) == 0 || bytes.Equal(env.Data, []byte("null")) {
		return nil, fmt.Errorf("%w: HTTP %d without data", errMalformed, status)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return nil, fmt.Errorf("%w: HTTP %d: data: %v", errMalformed, status, err)
	}
	return env.Pagination, nil
}

// decodeAPIError reads the error envelope of a non-2xx response. A body that
// is not an envelope (a proxy's HTML page, a truncated reply) still yields an
// *APIError with the status, so callers can branch on it; the body itself is
// never copied into the error, as it could hold anything.
func decodeAPIError(status int, body []byte) *APIError {
	apiErr := &APIError{StatusCode: status}
	var env wireEnvelope
	if err := json.Unmarshal(body, &env); err == nil && env.Error != nil {
		apiErr.Code = env.Error.Code
		apiErr.Message = env.Error.Message
		apiErr.Details = env.Error.Details
	}
	return apiErr
}
