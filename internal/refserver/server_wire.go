package refserver

import (
	"maps"
	"net/http"
	"strconv"
	"time"
)

// A PlexMCP server's wire types, in the order its Rust structs declare
// their fields (serde writes them so). They are deliberately the server's
// own: the client has separate ones, and the golden files in
// internal/testdata/api/server hold both to the same JSON.

// The five shapes of a PlexMCP server's errors.

// serverAuthError is shape A, the authentication middleware's:
// {"code":401,"error":"…"} (keys sorted, error a string).
type serverAuthError struct {
	Code  int    `json:"code"`
	Error string `json:"error"`
}

// Shape A messages.
const (
	msgAuthRequired = "Authentication required"
	msgInvalidToken = "Invalid or expired token"
	msgInvalidKey   = "Invalid API key"
)

func writeAuthError(w http.ResponseWriter, message string) {
	writeJSONBody(w, http.StatusUnauthorized, encodeJSON(serverAuthError{Code: http.StatusUnauthorized, Error: message}))
}

// serverError is shape B, the handlers': {"error":{"code","message"}}.
type serverError struct {
	status  int
	code    string
	message string
}

func (e *serverError) Error() string { return e.code + ": " + e.message }

// Shape B codes and messages this server sends.
var (
	errServerNotFound     = &serverError{http.StatusNotFound, "NOT_FOUND", "Resource not found"}
	errServerUnauthorized = &serverError{http.StatusUnauthorized, "UNAUTHORIZED", msgAuthRequired}
	errServerRateLimited  = &serverError{http.StatusTooManyRequests, "RATE_LIMITED", "Too many requests"}
	errServerUnavailable  = &serverError{http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "Service unavailable"}
	errServerDatabase     = &serverError{http.StatusInternalServerError, "DATABASE_ERROR", "Database error"}
	errServerInternal     = &serverError{http.StatusInternalServerError, "INTERNAL_ERROR", "Internal server error"}
)

func serverValidation(message string) *serverError {
	return &serverError{http.StatusBadRequest, "VALIDATION_ERROR", message}
}

type serverErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeServerError(w http.ResponseWriter, e *serverError) {
	var b serverErrorBody
	b.Error.Code, b.Error.Message = e.code, e.message
	writeJSONBody(w, e.status, encodeJSON(b))
}

// writeText is shapes C and E: one line of plain text.
func writeText(w http.ResponseWriter, status int, text string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(text)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

// writeEmpty is shape D: an unknown route (404) or a wrong method (405,
// with Allow), with no body at all.
func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// writeJSONBody writes an encoded body as axum's Json does, without the
// trailing newline that encodeJSON adds for the hosted API.
func writeJSONBody(w http.ResponseWriter, status int, body []byte) {
	if n := len(body); n > 0 && body[n-1] == '\n' {
		body = body[:n-1]
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// serverKeySummary is a key in the owner's list.
type serverKeySummary struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	KeyPrefix     string    `json:"key_prefix"`
	Scopes        []string  `json:"scopes"`
	RateLimitRPM  int       `json:"rate_limit_rpm"`
	ExpiresAt     *string   `json:"expires_at"`
	LastUsedAt    *string   `json:"last_used_at"`
	RequestCount  int64     `json:"request_count"`
	CreatedAt     string    `json:"created_at"`
	MCPAccessMode string    `json:"mcp_access_mode"`
	AllowedMCPIDs *[]string `json:"allowed_mcp_ids"`
}

// serverKeyDetail is GET and PATCH: the summary and created_by.
type serverKeyDetail struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	KeyPrefix     string    `json:"key_prefix"`
	Scopes        []string  `json:"scopes"`
	RateLimitRPM  int       `json:"rate_limit_rpm"`
	ExpiresAt     *string   `json:"expires_at"`
	LastUsedAt    *string   `json:"last_used_at"`
	RequestCount  int64     `json:"request_count"`
	CreatedBy     *string   `json:"created_by"`
	CreatedAt     string    `json:"created_at"`
	MCPAccessMode string    `json:"mcp_access_mode"`
	AllowedMCPIDs *[]string `json:"allowed_mcp_ids"`
}

type serverKeyList struct {
	APIKeys []serverKeySummary `json:"api_keys"`
	Total   int                `json:"total"`
}

// serverKeyCreated is the create answer: a subset of the key, with it.
type serverKeyCreated struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Key          string   `json:"key"`
	KeyPrefix    string   `json:"key_prefix"`
	Scopes       []string `json:"scopes"`
	RateLimitRPM int      `json:"rate_limit_rpm"`
	ExpiresAt    *string  `json:"expires_at"`
	CreatedAt    string   `json:"created_at"`
}

type serverKeyRotated struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Key          string `json:"key"`
	KeyPrefix    string `json:"key_prefix"`
	OldKeyPrefix string `json:"old_key_prefix"`
	RotatedAt    string `json:"rotated_at"`
}

type serverKeyUsage struct {
	KeyID          string `json:"key_id"`
	TotalRequests  int64  `json:"total_requests"`
	PeriodRequests int64  `json:"period_requests"`
	PeriodTokens   int64  `json:"period_tokens"`
	PeriodErrors   int64  `json:"period_errors"`
	AvgLatencyMS   *int   `json:"avg_latency_ms"`
	PeriodStart    string `json:"period_start"`
	PeriodEnd      string `json:"period_end"`
}

func (k *apiKey) serverDetail() serverKeyDetail {
	var createdBy *string
	if k.createdBy != "" {
		c := k.createdBy
		createdBy = &c
	}
	var allowed *[]string
	if k.allowedMCPIDs != nil {
		ids := append([]string{}, k.allowedMCPIDs...)
		allowed = &ids
	}
	return serverKeyDetail{
		ID: k.id, Name: k.name, KeyPrefix: k.prefix, Scopes: append([]string{}, k.scopes...), RateLimitRPM: k.rateLimitRPM,
		ExpiresAt: serverOptionalTime(k.expiresAt), LastUsedAt: serverOptionalTime(k.lastUsed), RequestCount: k.requestCount,
		CreatedBy: createdBy, CreatedAt: serverTime(k.createdAt), MCPAccessMode: k.accessMode, AllowedMCPIDs: allowed,
	}
}

func (k *apiKey) serverSummary() serverKeySummary {
	d := k.serverDetail()
	return serverKeySummary{
		ID: d.ID, Name: d.Name, KeyPrefix: d.KeyPrefix, Scopes: d.Scopes, RateLimitRPM: d.RateLimitRPM, ExpiresAt: d.ExpiresAt,
		LastUsedAt: d.LastUsedAt, RequestCount: d.RequestCount, CreatedAt: d.CreatedAt, MCPAccessMode: d.MCPAccessMode,
		AllowedMCPIDs: d.AllowedMCPIDs,
	}
}

// serverMCPJSON is an MCP as a PlexMCP server shows it.
type serverMCPJSON struct {
	ID                string         `json:"id"`
	Name              string         `json:"name"`
	MCPType           string         `json:"mcp_type"`
	Description       *string        `json:"description"`
	Config            map[string]any `json:"config"`
	Status            string         `json:"status"`
	IsActive          bool           `json:"is_active"`
	HealthStatus      string         `json:"health_status"`
	LastHealthCheckAt *string        `json:"last_health_check_at"`
	CreatedAt         string         `json:"created_at"`
	UpdatedAt         string         `json:"updated_at"`
	ProtocolVersion   *string        `json:"protocol_version"`
	ServerName        *string        `json:"server_name"`
	ServerVersion     *string        `json:"server_version"`
	ToolsCount        *int           `json:"tools_count"`
	ResourcesCount    *int           `json:"resources_count"`
	LastLatencyMS     *int           `json:"last_latency_ms"`
	ToolsJSON         *[]serverTool  `json:"tools_json,omitempty"` // omitted when null
	ResourcesJSON     *[]any         `json:"resources_json,omitempty"`
	RequestTimeoutMS  int            `json:"request_timeout_ms"`
	PartialTimeoutMS  *int           `json:"partial_timeout_ms"`
}

// serverTool is an MCP tool as the MCP protocol names its fields.
type serverTool struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	InputSchema map[string]any `json:"inputSchema"`
}

// The MCP protocol version the seeded MCPs answered their health check
// with, and the proxy's own.
const mcpProtocolVersion = "2024-11-05"

// redactedConfigKeys are the top-level config keys a PlexMCP server never
// shows.
var redactedConfigKeys = []string{"api_key", "password", "secret", "token", "auth_token"}

func (m *mcp) serverJSON() serverMCPJSON {
	d := m.def
	config := maps.Clone(d.serverConfig)
	for _, k := range redactedConfigKeys {
		if _, ok := config[k]; ok {
			config[k] = "[REDACTED]"
		}
	}
	desc := d.description
	j := serverMCPJSON{
		ID: m.id, Name: d.name, MCPType: "http", Description: &desc, Config: config,
		Status: statusActive, IsActive: true, HealthStatus: "unknown",
		CreatedAt: serverTime(m.createdAt), UpdatedAt: serverTime(m.createdAt), RequestTimeoutMS: 30000,
	}
	if c := d.serverCheck; c != nil {
		at, proto, zero := serverTime(c.at), mcpProtocolVersion, 0
		name, version, tools, latency := c.serverName, c.serverVersion, len(d.tools), c.latencyMS
		j.HealthStatus, j.LastHealthCheckAt, j.UpdatedAt = "healthy", &at, at
		j.ProtocolVersion, j.ServerName, j.ServerVersion = &proto, &name, &version
		j.ToolsCount, j.ResourcesCount, j.LastLatencyMS = &tools, &zero, &latency
		toolsJSON, resources := serverTools(d.tools, ""), []any{}
		j.ToolsJSON, j.ResourcesJSON = &toolsJSON, &resources
	}
	return j
}

// serverTools lists tools as an MCP lists them, with names and
// descriptions prefixed for the proxy's aggregate list when prefix is set.
func serverTools(ts []*tool, prefix string) []serverTool {
	out := []serverTool{}
	for _, t := range ts {
		st := serverTool{Name: t.name, Description: t.description, InputSchema: t.inputSchema}
		if prefix != "" {
			st.Name = prefix + ":" + t.name
			st.Description = "[" + prefix + "] " + t.description
		}
		out = append(out, st)
	}
	return out
}

// serverHealth is GET /health.
type serverHealth struct {
	Status   string `json:"status"`
	Version  string `json:"version"`
	Database string `json:"database"`
}

// serverVersion is the version the server reports, in /health and to the
// proxy's initialize.
const serverVersion = "1.0.0"

// periodStart is the usage period's start as a PlexMCP server computes it:
// the first day of now's month at 00:00:00, but keeping now's fraction of a
// second.
func periodStart(now time.Time) time.Time {
	u := now.UTC()
	return time.Date(u.Year(), u.Month(), 1, 0, 0, 0, u.Nanosecond(), time.UTC)
}
