package refserver

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// The hosted API's wire types. They are deliberately the server's own: the
// client (internal/plexmcp) has separate ones, and the golden files in
// internal/testdata/api/hosted hold both to the same JSON.

// Error codes of the hosted API.
const (
	codeInvalidRequest      = "invalid_request"
	codeValidation          = "validation_error"
	codeUnauthorized        = "unauthorized"
	codeForbidden           = "forbidden"
	codeMCPNotPermitted     = "mcp_not_permitted"
	codeNotFound            = "not_found"
	codeToolNotFound        = "tool_not_found"
	codeInvalidArguments    = "invalid_arguments"
	codeConflict            = "conflict"
	codeIdempotencyMismatch = "idempotency_mismatch"
	codePayloadTooLarge     = "payload_too_large"
	codeRateLimited         = "rate_limited"
	codeInternal            = "internal_error"
	codeUnavailable         = "unavailable"
)

// Messages that clients and the golden files depend on word for word.
const (
	msgUnauthorized       = "Invalid or missing API key"
	msgValidation         = "Validation failed"
	msgInvalidPermissions = "Invalid permissions format"
	msgNoMCPAccess        = "API key does not have access to this MCP"
	msgOnlyActiveKey      = "Cannot revoke your only active key"
	msgKeyQuota           = "API key limit reached for your plan"
	msgRateLimited        = "Too many requests"
	msgUnavailable        = "Service temporarily unavailable"
	msgRevokedKey         = "API key is revoked and cannot be changed"
	msgImmutable          = "Permissions and expiration cannot be modified after creation. Create a new key instead."
)

// maxHostedBody is the hosted API's 1 MiB limit; a body of exactly this
// size is accepted.
const maxHostedBody = 1 << 20

// hostedTimeLayout is the only timestamp format of the hosted API: UTC,
// whole seconds, Z suffix.
const hostedTimeLayout = "2006-01-02T15:04:05Z"

func hostedTime(t time.Time) string { return wholeSeconds(t).Format(hostedTimeLayout) }

func hostedOptionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := hostedTime(*t)
	return &s
}

// hostedError is a failed request on its way to the client. Handlers
// return it instead of writing, so the order of checks reads top to bottom.
type hostedError struct {
	status  int
	code    string
	message string
	details map[string]string
}

func (e *hostedError) Error() string { return e.code + ": " + e.message }

func hostedErrorf(status int, code, format string, args ...any) *hostedError {
	return &hostedError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// with adds a field to details: the field's name and what is wrong with it.
func (e *hostedError) with(field, problem string) *hostedError {
	if e.details == nil {
		e.details = map[string]string{}
	}
	e.details[field] = problem
	return e
}

func invalidRequest(format string, args ...any) *hostedError {
	return hostedErrorf(http.StatusBadRequest, codeInvalidRequest, format, args...)
}

// validationError collects every bad value of a request; it is nil-safe so
// that checks can add to it in turn and the caller sends it if not empty.
type validationError map[string]string

func (v validationError) err() *hostedError {
	if len(v) == 0 {
		return nil
	}
	return &hostedError{status: http.StatusUnprocessableEntity, code: codeValidation, message: msgValidation, details: v}
}

func hostedNotFound(what string) *hostedError {
	return hostedErrorf(http.StatusNotFound, codeNotFound, "%s not found", what)
}

var errHostedUnauthorized = &hostedError{status: http.StatusUnauthorized, code: codeUnauthorized, message: msgUnauthorized}

func errHostedInternal() *hostedError {
	return hostedErrorf(http.StatusInternalServerError, codeInternal, "Internal server error")
}

type hostedErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details map[string]string `json:"details,omitempty"`
}

type hostedEnvelope struct {
	Success    bool              `json:"success"`
	Data       any               `json:"data,omitempty"`
	Pagination *hostedPagination `json:"pagination,omitempty"`
	Error      *hostedErrorBody  `json:"error,omitempty"`
}

type hostedPagination struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Total      int `json:"total"`
	TotalPages int `json:"total_pages"`
}

func hostedSuccess(data any) []byte { return encodeJSON(hostedEnvelope{Success: true, Data: data}) }

// writeJSON writes an already encoded JSON body. Cache-Control keeps the
// one response that carries a secret (and every other) out of shared
// caches.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeHostedError(w http.ResponseWriter, e *hostedError) {
	writeJSON(w, e.status, encodeJSON(hostedEnvelope{Error: &hostedErrorBody{Code: e.code, Message: e.message, Details: e.details}}))
}

// hostedPermissions.MCPs is the string "*" or a list of MCP ids.
type hostedPermissions struct {
	MCPs any `json:"mcps"`
}

func (k *apiKey) hostedPermissions() hostedPermissions {
	if k.allMCPs {
		return hostedPermissions{MCPs: "*"}
	}
	return hostedPermissions{MCPs: append([]string{}, k.mcpIDs...)}
}

// hostedKeyCreated is the create answer: exactly these eight fields.
type hostedKeyCreated struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Key         string            `json:"key"`
	Prefix      string            `json:"prefix"`
	Status      string            `json:"status"`
	CreatedAt   string            `json:"created_at"`
	ExpiresAt   *string           `json:"expires_at"`
	Permissions hostedPermissions `json:"permissions"`
}

// hostedKeySummary is a key in a list.
type hostedKeySummary struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Prefix      string            `json:"prefix"`
	Status      string            `json:"status"`
	Permissions hostedPermissions `json:"permissions"`
	ExpiresAt   *string           `json:"expires_at"`
	CreatedAt   string            `json:"created_at"`
	UpdatedAt   string            `json:"updated_at"`
	LastUsed    *string           `json:"last_used"`
	RevokedAt   *string           `json:"revoked_at"`
	Usage       hostedUsage       `json:"usage"`
}

type hostedUsage struct {
	TotalRequests int64 `json:"total_requests"`
	RequestsToday int64 `json:"requests_today"`
}

// hostedKeyDetail is GET /api-keys/{id}: the summary, created_by, usage by
// week and month, and the recent invocations.
type hostedKeyDetail struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Description    string            `json:"description"`
	Prefix         string            `json:"prefix"`
	Status         string            `json:"status"`
	Permissions    hostedPermissions `json:"permissions"`
	ExpiresAt      *string           `json:"expires_at"`
	CreatedAt      string            `json:"created_at"`
	CreatedBy      hostedUser        `json:"created_by"`
	UpdatedAt      string            `json:"updated_at"`
	LastUsed       *string           `json:"last_used"`
	RevokedAt      *string           `json:"revoked_at"`
	Usage          hostedUsageDetail `json:"usage"`
	RecentActivity []hostedActivity  `json:"recent_activity"`
}

type hostedUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

type hostedUsageDetail struct {
	TotalRequests     int64 `json:"total_requests"`
	RequestsToday     int64 `json:"requests_today"`
	RequestsThisWeek  int64 `json:"requests_this_week"`
	RequestsThisMonth int64 `json:"requests_this_month"`
}

type hostedActivity struct {
	Timestamp string `json:"timestamp"`
	MCPID     string `json:"mcp_id"`
	Tool      string `json:"tool"`
	Status    string `json:"status"` // success | error
}

func (k *apiKey) hostedSummary(now time.Time) hostedKeySummary {
	return hostedKeySummary{
		ID: k.id, Name: k.name, Description: k.description, Prefix: k.prefix, Status: k.status(now),
		Permissions: k.hostedPermissions(),
		ExpiresAt:   hostedOptionalTime(k.expiresAt),
		CreatedAt:   hostedTime(k.createdAt),
		UpdatedAt:   hostedTime(k.updatedAt),
		LastUsed:    hostedOptionalTime(k.lastUsed),
		RevokedAt:   hostedOptionalTime(k.revokedAt),
		Usage:       hostedUsage{TotalRequests: k.requestCount, RequestsToday: k.daily.sum(todayOf(now), now)},
	}
}

func (k *apiKey) hostedDetail(o *org, now time.Time) hostedKeyDetail {
	s := k.hostedSummary(now)
	d := hostedKeyDetail{
		ID: s.ID, Name: s.Name, Description: s.Description, Prefix: s.Prefix, Status: s.Status,
		Permissions: s.Permissions, ExpiresAt: s.ExpiresAt, CreatedAt: s.CreatedAt,
		CreatedBy: hostedUser{ID: o.def.hostedOwner.id, Email: o.def.hostedOwner.email},
		UpdatedAt: s.UpdatedAt, LastUsed: s.LastUsed, RevokedAt: s.RevokedAt,
		Usage: hostedUsageDetail{
			TotalRequests:     k.requestCount,
			RequestsToday:     s.Usage.RequestsToday,
			RequestsThisWeek:  k.daily.sum(weekStartOf(now), now),
			RequestsThisMonth: k.daily.sum(monthStartOf(now), now),
		},
		RecentActivity: []hostedActivity{},
	}
	for _, a := range k.activity {
		status := "error"
		if a.success {
			status = "success"
		}
		d.RecentActivity = append(d.RecentActivity, hostedActivity{Timestamp: hostedTime(a.at), MCPID: a.mcpID, Tool: a.tool, Status: status})
	}
	return d
}

// hostedKeyPatched is the PATCH answer: exactly these four fields.
type hostedKeyPatched struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	UpdatedAt   string `json:"updated_at"`
}

// hostedKeyRevoked is the DELETE answer.
type hostedKeyRevoked struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	RevokedAt string `json:"revoked_at"`
}

// hostedMCPItem is an MCP in a list.
type hostedMCPItem struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	EndpointURL  string  `json:"endpoint_url"`
	Description  string  `json:"description"`
	Status       string  `json:"status"`
	Health       string  `json:"health"`
	CreatedAt    string  `json:"created_at"`
	LastActive   *string `json:"last_active"`
	RequestCount int64   `json:"request_count"`
}

// hostedMCPDetail is GET /mcps/{id}.
type hostedMCPDetail struct {
	ID              string           `json:"id"`
	Name            string           `json:"name"`
	EndpointURL     string           `json:"endpoint_url"`
	Description     string           `json:"description"`
	Status          string           `json:"status"`
	Health          string           `json:"health"`
	HealthCheckedAt string           `json:"health_checked_at"`
	CreatedAt       string           `json:"created_at"`
	UpdatedAt       string           `json:"updated_at"`
	LastActive      *string          `json:"last_active"`
	RequestCount    int64            `json:"request_count"`
	Stats           hostedMCPStats   `json:"stats"`
	Tools           []hostedToolJSON `json:"tools"`
}

type hostedMCPStats struct {
	TotalRequests int64   `json:"total_requests"`
	RequestsToday int64   `json:"requests_today"`
	ErrorRate     float64 `json:"error_rate"`
	AvgLatencyMS  int64   `json:"avg_latency_ms"`
}

type hostedToolJSON struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	InputSchema map[string]any `json:"input_schema"`
}

// The seeded MCPs are all active and healthy on the hosted API.
const hostedMCPHealth = "healthy"

func (m *mcp) hostedItem() hostedMCPItem {
	return hostedMCPItem{
		ID: m.id, Name: m.def.name, EndpointURL: m.def.endpointURL, Description: m.def.description,
		Status: statusActive, Health: hostedMCPHealth, CreatedAt: hostedTime(m.createdAt),
		LastActive: hostedOptionalTime(m.stats.lastActive), RequestCount: m.stats.requests,
	}
}

func (m *mcp) hostedDetail(now time.Time) hostedMCPDetail {
	i := m.hostedItem()
	d := hostedMCPDetail{
		ID: i.ID, Name: i.Name, EndpointURL: i.EndpointURL, Description: i.Description, Status: i.Status, Health: i.Health,
		HealthCheckedAt: hostedTime(m.def.hostedChecked), CreatedAt: i.CreatedAt, UpdatedAt: i.CreatedAt,
		LastActive: i.LastActive, RequestCount: i.RequestCount,
		Stats: hostedMCPStats{TotalRequests: m.stats.requests, RequestsToday: m.stats.daily.sum(todayOf(now), now)},
		Tools: []hostedToolJSON{},
	}
	if m.stats.requests > 0 {
		d.Stats.ErrorRate = float64(m.stats.errors) / float64(m.stats.requests)
		d.Stats.AvgLatencyMS = int64(math.Round(float64(m.stats.latencyMS) / float64(m.stats.requests)))
	}
	for _, t := range m.def.tools {
		d.Tools = append(d.Tools, hostedToolJSON{Name: t.name, Description: t.description, InputSchema: t.inputSchema})
	}
	return d
}

// hostedInvoked is the invoke answer.
type hostedInvoked struct {
	Result   any                `json:"result"`
	Metadata hostedInvokeResult `json:"metadata"`
}

type hostedInvokeResult struct {
	MCPID     string `json:"mcp_id"`
	Tool      string `json:"tool"`
	LatencyMS int64  `json:"latency_ms"`
	Timestamp string `json:"timestamp"`
}
