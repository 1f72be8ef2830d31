package plexmcp

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// A self-hosted PlexMCP server's wire format (plexmcp-server-api.md): bare
// JSON, UPPER_SNAKE error codes inside one of five error shapes, access
// modes instead of permissions. The structs are the client's own reading;
// the golden fixtures in internal/testdata/api/server keep them honest.

// Error codes of a PlexMCP server that the client acts on.
const (
	serverCodeValidation    = "VALIDATION_ERROR"
	serverCodeQuotaExceeded = "QUOTA_EXCEEDED"
	serverCodeNotFound      = "NOT_FOUND"
)

// Access modes of a PlexMCP server's keys.
const (
	accessAll      = "all"
	accessSelected = "selected"
	accessNone     = "none"
)

// serverDialect is what the shared machinery needs of a PlexMCP server.
type serverDialect struct{}

func (serverDialect) authorize(h http.Header, key Secret, s surface) {
	if s == surfaceMCP {
		// The proxy takes X-API-Key (or Bearer), never ApiKey.
		h.Set("X-API-Key", key.Reveal())
		return
	}
	h.Set("Authorization", "ApiKey "+key.Reveal())
}

func (serverDialect) retryable(status int, body []byte) bool {
	if status != http.StatusTooManyRequests {
		// No idempotency on a PlexMCP server: a 409 is never an
		// attempt in flight.
		return false
	}
	// A billing build's monthly quota shares the rate limit's -32029.
	if e, ok := decodeRPCError(status, body); ok {
		return !rpcQuotaData(e.Data)
	}
	return true
}

func (serverDialect) waitHint(status int, body []byte) (time.Duration, bool) {
	e, ok := decodeRPCError(status, body)
	if !ok {
		return 0, false
	}
	var secs float64
	switch v := e.Data["retry_after_seconds"].(type) {
	case float64:
		secs = v
	case string:
		secs, _ = strconv.ParseFloat(v, 64)
	}
	if secs <= 0 || secs > maxHint.Seconds() {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

// decodeError reads any of the server's error shapes: a JSON-RPC error from
// the proxy, A ({"code":401,"error":"…"}, the auth middleware), B
// ({"error":{"code":"…","message":"…"}}, the handlers), C (one line of
// text, the framework), D (empty, unknown route or method) and E (text, a
// response that could not be written).
func (serverDialect) decodeError(status int, _ http.Header, body []byte) error {
	if e, ok := decodeRPCError(status, body); ok {
		return e
	}
	e := &APIError{StatusCode: status}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return e // D
	}
	var shape struct {
		Error json.RawMessage `json:"error"`
	}
	if trimmed[0] == '{' && json.Unmarshal(trimmed, &shape) == nil && len(shape.Error) > 0 {
		var msg string
		if json.Unmarshal(shape.Error, &msg) == nil {
			e.Message = msg // A
			return e
		}
		var obj struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(shape.Error, &obj) == nil {
			e.Code, e.Message = obj.Code, obj.Message // B
			return e
		}
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		e.Message = textMessage(trimmed) // C, E
	}
	return e
}

// serverKey is an API key object (detail, summary or create answer), read
// tolerantly: a PlexMCP server's names and the hosted API's (prefix,
// last_used, usage.total_requests) are both accepted.
type serverKey struct {
	ID            *string      `json:"id"`
	Name          *string      `json:"name"`
	KeyPrefix     *string      `json:"key_prefix"`
	Prefix        *string      `json:"prefix"`
	RateLimitRPM  *int64       `json:"rate_limit_rpm"`
	ExpiresAt     optTime      `json:"expires_at"`
	LastUsedAt    optTime      `json:"last_used_at"`
	LastUsed      optTime      `json:"last_used"`
	RequestCount  *int64       `json:"request_count"`
	Usage         *serverUsage `json:"usage"`
	CreatedBy     wireUser     `json:"created_by"`
	CreatedAt     optTime      `json:"created_at"`
	MCPAccessMode *string      `json:"mcp_access_mode"`
	AllowedMCPIDs *[]string    `json:"allowed_mcp_ids"`
	Key           string       `json:"key"`
}

type serverUsage struct {
	TotalRequests *int64 `json:"total_requests"`
}

// missing names the fields an APIKey needs that the answer lacked: the
// create answer has no access mode and no MCP ids.
func (w *serverKey) missing() []string {
	var m []string
	if w.ID == nil {
		m = append(m, "id")
	}
	if w.Name == nil {
		m = append(m, "name")
	}
	if w.KeyPrefix == nil && w.Prefix == nil {
		m = append(m, "key_prefix")
	}
	if w.MCPAccessMode == nil {
		m = append(m, "mcp_access_mode")
	}
	if !w.CreatedAt.present {
		m = append(m, "created_at")
	}
	if !w.ExpiresAt.present {
		m = append(m, "expires_at")
	}
	return m
}

// apiKey converts, deriving the status at now.
func (w *serverKey) apiKey(now time.Time) APIKey {
	k := APIKey{
		ID:           str(w.ID),
		Name:         str(w.Name),
		KeyPrefix:    str(w.KeyPrefix),
		ExpiresAt:    w.ExpiresAt.t,
		LastUsed:     w.LastUsedAt.or(w.LastUsed).t,
		CreatedAt:    w.CreatedAt.value(),
		RateLimitRPM: w.RateLimitRPM,
		CreatedBy:    w.CreatedBy.user,
		Permissions:  serverPermissions(str(w.MCPAccessMode), w.AllowedMCPIDs),
	}
	if w.KeyPrefix == nil {
		k.KeyPrefix = str(w.Prefix)
	}
	switch {
	case w.RequestCount != nil:
		k.Usage.TotalRequests = *w.RequestCount
	case w.Usage != nil && w.Usage.TotalRequests != nil:
		k.Usage.TotalRequests = *w.Usage.TotalRequests
	}
	k.Status = derivedStatus(k.ExpiresAt, now)
	return k
}

// serverPermissions maps an access mode onto Permissions. "all" ignores the
// stored ids (the server does); "selected" grants exactly them (none when
// null); "none" grants nothing.
func serverPermissions(mode string, ids *[]string) Permissions {
	switch mode {
	case accessAll:
		return Permissions{AllMCPs: true}
	case accessSelected:
		if ids == nil {
			return Permissions{MCPIDs: []string{}}
		}
		return Permissions{MCPIDs: append([]string{}, (*ids)...)}
	}
	return Permissions{MCPIDs: []string{}}
}

// serverCreate is the POST /api-keys body. Expiry goes as expires_at only,
// in UTC: the server silently ignores an expires_at it cannot parse, and
// can crash on a huge expires_in_days.
type serverCreate struct {
	Name          string    `json:"name"`
	MCPAccessMode string    `json:"mcp_access_mode"`
	AllowedMCPIDs *[]string `json:"allowed_mcp_ids,omitempty"`
	ExpiresAt     string    `json:"expires_at,omitempty"`
	RateLimitRPM  *int64    `json:"rate_limit_rpm,omitempty"`
}

func serverCreateOf(r CreateAPIKeyRequest) serverCreate {
	w := serverCreate{Name: r.Name, MCPAccessMode: accessAll, RateLimitRPM: r.RateLimitRPM}
	if !r.Permissions.AllMCPs {
		w.MCPAccessMode = accessSelected
		w.AllowedMCPIDs = selectedIDs(r.Permissions)
	}
	if r.ExpiresAt != nil {
		w.ExpiresAt = serverTime(*r.ExpiresAt)
	}
	return w
}

// selectedIDs is the allowed_mcp_ids for a selective grant: deduplicated
// (the hosted API drops duplicates, and a PlexMCP server would store them),
// and [] rather than null for none.
func selectedIDs(p Permissions) *[]string {
	ids := dedupe(p.MCPIDs)
	if ids == nil {
		ids = []string{}
	}
	return &ids
}

// serverTime renders a time as the server stores it: UTC, to the
// microsecond (PostgreSQL's precision), so what is read back is what was
// sent.
func serverTime(t time.Time) string { return wireTime(t.Truncate(time.Microsecond)) }

// serverPatch is a PATCH body carrying one concern. allowed_mcp_ids is
// sent as [] (never null, which the server ignores) when set.
type serverPatch struct {
	Name          *string   `json:"name,omitempty"`
	RateLimitRPM  *int64    `json:"rate_limit_rpm,omitempty"`
	MCPAccessMode string    `json:"mcp_access_mode,omitempty"`
	AllowedMCPIDs *[]string `json:"allowed_mcp_ids,omitempty"`
}

// serverMCP is an MCP object. endpoint_url lives in config, health in
// health_status, and the tools the last health check saw in tools_json.
type serverMCP struct {
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	Description  *string      `json:"description"`
	Status       string       `json:"status"`
	HealthStatus string       `json:"health_status"`
	Health       string       `json:"health"`
	Config       serverConfig `json:"config"`
	EndpointURL  string       `json:"endpoint_url"`
	CreatedAt    optTime      `json:"created_at"`
	LastActive   optTime      `json:"last_active"`
	RequestCount *int64       `json:"request_count"`
	ToolsJSON    *wireTools   `json:"tools_json"`
	Tools        *wireTools   `json:"tools"`
}

func (w *serverMCP) mcp() MCP {
	m := MCP{
		ID:          w.ID,
		Name:        w.Name,
		Description: str(w.Description),
		EndpointURL: w.EndpointURL,
		Status:      w.Status,
		Health:      w.HealthStatus,
		CreatedAt:   w.CreatedAt.value(),
		LastActive:  w.LastActive.t,
	}
	if w.Config.endpointURL != "" {
		m.EndpointURL = w.Config.endpointURL
	}
	if m.Health == "" {
		m.Health = w.Health
	}
	if w.RequestCount != nil {
		m.RequestCount = *w.RequestCount
	}
	switch {
	case w.ToolsJSON != nil:
		m.Tools = []Tool(*w.ToolsJSON)
	case w.Tools != nil:
		m.Tools = []Tool(*w.Tools)
	}
	return m
}

// serverConfig is an MCP's config: whatever JSON it was created with, of
// which the client reads only a string endpoint_url, the one the server's
// proxy reaches. Any other shape (a config that is no object, an
// endpoint_url that is no string) means no endpoint URL, never an answer
// the client cannot read: one odd MCP must not make the organisation's
// whole list unreadable.
type serverConfig struct {
	endpointURL string
}

func (c *serverConfig) UnmarshalJSON(b []byte) error {
	var obj map[string]json.RawMessage
	var endpoint string
	if json.Unmarshal(b, &obj) == nil && json.Unmarshal(obj["endpoint_url"], &endpoint) == nil {
		c.endpointURL = endpoint
	}
	return nil
}
