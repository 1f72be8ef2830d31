package plexmcp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// The hosted API's wire format (reference-api.md): the {"success":…}
// envelope, lower-case error codes, and its spelling of each object. The
// structs are the client's own reading and share nothing with the
// reference server; the golden fixtures in internal/testdata/api/hosted
// keep the two honest.

// Error codes of the hosted API that the client acts on.
const (
	codeInvalidRequest  = "invalid_request"
	codeValidation      = "validation_error"
	codeConflict        = "conflict"
	codeToolNotFound    = "tool_not_found"
	codeMCPNotPermitted = "mcp_not_permitted"
	codeQuotaExceeded   = "quota_exceeded"
)

// hostedEnvelope wraps every hosted answer.
type hostedEnvelope struct {
	Success    *bool             `json:"success"`
	Data       json.RawMessage   `json:"data"`
	Pagination *hostedPagination `json:"pagination"`
	Error      *hostedError      `json:"error"`
}

type hostedPagination struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Total      int `json:"total"`
	TotalPages int `json:"total_pages"`
}

type hostedError struct {
	Code    string                     `json:"code"`
	Message string                     `json:"message"`
	Details map[string]json.RawMessage `json:"details"`
}

// hostedDialect is what the shared machinery needs of the hosted API.
type hostedDialect struct{}

func (hostedDialect) authorize(h http.Header, key Secret, _ surface) {
	h.Set("Authorization", "ApiKey "+key.Reveal())
}

func (hostedDialect) retryable(status int, body []byte) bool {
	code := hostedErrorCode(body)
	switch status {
	case http.StatusTooManyRequests:
		return code != codeQuotaExceeded
	case http.StatusConflict:
		return code == codeConflict
	}
	return false
}

func (hostedDialect) waitHint(int, []byte) (time.Duration, bool) { return 0, false }

func (hostedDialect) decodeError(status int, _ http.Header, body []byte) error {
	return decodeHostedError(status, body)
}

func hostedErrorCode(body []byte) string {
	var env hostedEnvelope
	if json.Unmarshal(body, &env) != nil || env.Error == nil {
		return ""
	}
	return env.Error.Code
}

// decodeHostedError reads the error envelope of a non-2xx answer. A body
// that is not one (a proxy's HTML page, a truncated reply) still yields an
// *APIError with the status, so callers can branch on it; such a body is
// never copied into the error, as it could hold anything.
func decodeHostedError(status int, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	var env hostedEnvelope
	if json.Unmarshal(body, &env) != nil || env.Error == nil {
		return e
	}
	e.Code, e.Message = env.Error.Code, env.Error.Message
	if len(env.Error.Details) > 0 {
		e.Details = make(map[string]string, len(env.Error.Details))
		for k, v := range env.Error.Details {
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = truncate(string(bytes.TrimSpace(v)), 300)
			}
			e.Details[k] = s
		}
	}
	return e
}

// decodeHostedData reads a 2xx envelope's data into out and returns its
// pagination, if any.
func decodeHostedData(status int, body []byte, out any) (*hostedPagination, error) {
	var env hostedEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: HTTP %d: %v", errMalformed, status, err)
	}
	if env.Success == nil || !*env.Success {
		// A 2xx that says it failed: trust the envelope over the status.
		if env.Error != nil {
			return nil, decodeHostedError(status, body)
		}
		return nil, fmt.Errorf("%w: HTTP %d without \"success\":true", errMalformed, status)
	}
	if out == nil {
		return env.Pagination, nil
	}
	if len(env.Data) == 0 || bytes.Equal(env.Data, []byte("null")) {
		return nil, fmt.Errorf("%w: HTTP %d without data", errMalformed, status)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return nil, fmt.Errorf("%w: HTTP %d: data: %v", errMalformed, status, err)
	}
	return env.Pagination, nil
}

// hostedPermissions is {"mcps":"*"} or {"mcps":["mcp_1",…]}.
type hostedPermissions struct {
	All bool
	IDs []string
}

func (p hostedPermissions) MarshalJSON() ([]byte, error) {
	if p.All {
		return []byte(`{"mcps":"*"}`), nil
	}
	ids := p.IDs
	if ids == nil {
		// An empty grant is sent as [] so the server can name the problem;
		// null would read as a malformed permissions object.
		ids = []string{}
	}
	return json.Marshal(struct {
		MCPs []string `json:"mcps"`
	}{ids})
}

func (p *hostedPermissions) UnmarshalJSON(b []byte) error {
	var raw struct {
		MCPs json.RawMessage `json:"mcps"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*p = hostedPermissions{}
	mcps := bytes.TrimSpace(raw.MCPs)
	switch {
	case len(mcps) == 0 || bytes.Equal(mcps, []byte("null")):
		return fmt.Errorf("permissions without mcps")
	case mcps[0] == '"':
		var s string
		if err := json.Unmarshal(mcps, &s); err != nil {
			return err
		}
		if s != "*" {
			return fmt.Errorf("permissions.mcps: want \"*\" or a list of ids, got %q", truncate(s, 40))
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

func hostedPermissionsOf(p Permissions) hostedPermissions {
	if p.AllMCPs {
		return hostedPermissions{All: true}
	}
	return hostedPermissions{IDs: p.MCPIDs}
}

func (p hostedPermissions) permissions() Permissions {
	if p.All {
		return Permissions{AllMCPs: true}
	}
	return Permissions{MCPIDs: p.IDs}
}

// hostedKey is an API key object, read tolerantly: the hosted API's names
// and a PlexMCP server's (key_prefix, last_used_at, request_count) are both
// accepted, and every field records whether it was there.
type hostedKey struct {
	ID             *string            `json:"id"`
	Name           *string            `json:"name"`
	Description    *string            `json:"description"`
	Prefix         *string            `json:"prefix"`
	KeyPrefix      *string            `json:"key_prefix"`
	Status         *string            `json:"status"`
	Permissions    *hostedPermissions `json:"permissions"`
	ExpiresAt      optTime            `json:"expires_at"`
	CreatedAt      optTime            `json:"created_at"`
	UpdatedAt      optTime            `json:"updated_at"`
	LastUsed       optTime            `json:"last_used"`
	LastUsedAt     optTime            `json:"last_used_at"`
	RevokedAt      optTime            `json:"revoked_at"`
	Usage          *hostedUsage       `json:"usage"`
	RequestCount   *int64             `json:"request_count"`
	CreatedBy      wireUser           `json:"created_by"`
	RecentActivity *[]hostedActivity  `json:"recent_activity"`
	// Key is present only in the create answer (and its replays).
	Key string `json:"key"`
}

type hostedUsage struct {
	TotalRequests     *int64 `json:"total_requests"`
	RequestsToday     *int64 `json:"requests_today"`
	RequestsThisWeek  *int64 `json:"requests_this_week"`
	RequestsThisMonth *int64 `json:"requests_this_month"`
}

type hostedActivity struct {
	Timestamp optTime `json:"timestamp"`
	MCPID     string  `json:"mcp_id"`
	Tool      string  `json:"tool"`
	Status    string  `json:"status"`
}

// missing names the fields an APIKey needs that the answer lacked (a
// create or PATCH answer carries only some), so the caller reads the key
// back only when it must.
func (w *hostedKey) missing() []string {
	var m []string
	if w.ID == nil {
		m = append(m, "id")
	}
	if w.Name == nil {
		m = append(m, "name")
	}
	if w.Prefix == nil && w.KeyPrefix == nil {
		m = append(m, "prefix")
	}
	if w.Status == nil {
		m = append(m, "status")
	}
	if w.Permissions == nil {
		m = append(m, "permissions")
	}
	if !w.CreatedAt.present {
		m = append(m, "created_at")
	}
	if !w.ExpiresAt.present {
		m = append(m, "expires_at")
	}
	return m
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (w *hostedKey) apiKey() APIKey {
	k := APIKey{
		ID:          str(w.ID),
		Name:        str(w.Name),
		Description: str(w.Description),
		KeyPrefix:   str(w.Prefix),
		Status:      str(w.Status),
		ExpiresAt:   w.ExpiresAt.t,
		LastUsed:    w.LastUsed.or(w.LastUsedAt).t,
		RevokedAt:   w.RevokedAt.t,
		UpdatedAt:   w.UpdatedAt.t,
		CreatedAt:   w.CreatedAt.value(),
		CreatedBy:   w.CreatedBy.user,
	}
	if w.Prefix == nil {
		k.KeyPrefix = str(w.KeyPrefix)
	}
	if w.Permissions != nil {
		k.Permissions = w.Permissions.permissions()
	}
	if w.Usage != nil {
		if w.Usage.TotalRequests != nil {
			k.Usage.TotalRequests = *w.Usage.TotalRequests
		}
		k.Usage.RequestsToday = w.Usage.RequestsToday
		k.Usage.RequestsThisWeek = w.Usage.RequestsThisWeek
		k.Usage.RequestsThisMonth = w.Usage.RequestsThisMonth
	}
	if (w.Usage == nil || w.Usage.TotalRequests == nil) && w.RequestCount != nil {
		k.Usage.TotalRequests = *w.RequestCount
	}
	if w.RecentActivity != nil {
		k.RecentActivity = make([]Activity, 0, len(*w.RecentActivity))
		for _, a := range *w.RecentActivity {
			k.RecentActivity = append(k.RecentActivity, Activity{Timestamp: a.Timestamp.value(), MCPID: a.MCPID, Tool: a.Tool, Status: a.Status})
		}
	}
	return k
}

// hostedCreate is the POST /api-keys body. The hosted API takes either
// expiry field; the client sends expires_at only, the documented one.
type hostedCreate struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Permissions hostedPermissions `json:"permissions"`
	ExpiresAt   string            `json:"expires_at,omitempty"`
}

func hostedCreateOf(r CreateAPIKeyRequest) hostedCreate {
	w := hostedCreate{Name: r.Name, Description: r.Description, Permissions: hostedPermissionsOf(r.Permissions)}
	if r.ExpiresAt != nil {
		// The hosted API stores expiry to the second.
		w.ExpiresAt = r.ExpiresAt.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	return w
}

// hostedUpdate is the PATCH body: nil fields are absent, and a pointer to
// "" is sent, because an empty description means "clear it".
type hostedUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// hostedMCP is an MCP object, list item or detail.
type hostedMCP struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Description  *string   `json:"description"`
	EndpointURL  string    `json:"endpoint_url"`
	Status       string    `json:"status"`
	Health       string    `json:"health"`
	CreatedAt    optTime   `json:"created_at"`
	LastActive   optTime   `json:"last_active"`
	RequestCount *int64    `json:"request_count"`
	Tools        wireTools `json:"tools"`
}

func (w *hostedMCP) mcp() MCP {
	m := MCP{
		ID:          w.ID,
		Name:        w.Name,
		Description: str(w.Description),
		EndpointURL: w.EndpointURL,
		Status:      w.Status,
		Health:      w.Health,
		CreatedAt:   w.CreatedAt.value(),
		LastActive:  w.LastActive.t,
	}
	if w.RequestCount != nil {
		m.RequestCount = *w.RequestCount
	}
	if w.Tools != nil {
		m.Tools = []Tool(w.Tools)
	}
	return m
}

// hostedInvoke is the POST /mcp body.
type hostedInvoke struct {
	MCPID     string         `json:"mcp_id"`
	Tool      string         `json:"tool"`
	Arguments map[string]any `json:"arguments"`
}

func hostedInvokeOf(r InvokeRequest) hostedInvoke {
	args := r.Arguments
	if args == nil {
		args = map[string]any{}
	}
	return hostedInvoke{MCPID: r.MCPID, Tool: r.Tool, Arguments: args}
}

// hostedInvokeResult is {result, metadata}.
type hostedInvokeResult struct {
	Result   map[string]any `json:"result"`
	Metadata struct {
		MCPID string `json:"mcp_id"`
		Tool  string `json:"tool"`
	} `json:"metadata"`
}
