package plexmcp

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// APIError is a non-2xx answer of either API's management routes (or of
// the hosted API's POST /mcp), with the server's own code and message kept,
// scrubbed of anything shaped like a key.
type APIError struct {
	StatusCode int
	// Code is the server's error code: lower-case on the hosted API
	// ("validation_error"), UPPER_SNAKE on a PlexMCP server
	// ("VALIDATION_ERROR"); "" when the answer had none.
	Code    string
	Message string
	// Details maps a field to what is wrong with it (hosted 422s).
	Details map[string]string
	// Attempts is how many HTTP attempts were made before giving up.
	Attempts int
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "PlexMCP API: HTTP %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	b.WriteString(": " + msg)
	if len(e.Details) > 0 {
		fields := make([]string, 0, len(e.Details))
		for f := range e.Details {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		for i, f := range fields {
			sep := "; "
			if i == 0 {
				sep = " ("
			}
			b.WriteString(sep + f + ": " + e.Details[f])
		}
		b.WriteString(")")
	}
	return b.String()
}

// RPCError is a JSON-RPC error from a PlexMCP server's MCP proxy. Most come
// with HTTP 200; a bad key is HTTP 401 (-32002), a rate limit HTTP 429
// (-32029).
type RPCError struct {
	HTTPStatus int
	Code       int
	Message    string
	Data       map[string]any
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("PlexMCP proxy: JSON-RPC error %d (HTTP %d): %s", e.Code, e.HTTPStatus, e.Message)
}

// CreateUncertainError reports a create that failed after the request may
// have reached the server, and that could not be settled: a key named Name
// may exist, created between From and To by the server's clock.
type CreateUncertainError struct {
	Name     string
	From, To time.Time
	// Findable says whether the API lists keys to this client, so that
	// SettleCreate can find and revoke the key later. A PlexMCP server
	// does not; its message says how a person can.
	Findable bool
	// Err is the failure behind the uncertainty.
	Err error
}

func (e *CreateUncertainError) Error() string {
	from, to := e.From.UTC().Format(time.RFC3339), e.To.UTC().Format(time.RFC3339)
	if e.Findable {
		return fmt.Sprintf("creating API key %q failed after the request may have reached the server, and the client could not settle it: "+
			"a key named %q may exist, created between %s and %s (server time). Find it among the organisation's active API keys "+
			"(GET /v1/api-keys?status=active, or PlexMCP's API Keys page) and revoke it if nothing uses it. Cause: %v",
			e.Name, e.Name, from, to, e.Err)
	}
	return fmt.Sprintf("creating API key %q failed after the request reached the server, so a key named %q may have been made between %s and %s (server time). "+
		"A PlexMCP server lists no keys to an API-key caller, so the client cannot look for it: an owner or admin sees every key on the server's API Keys page "+
		"(or lists them with a dashboard session, GET /api/v1/api-keys); delete it by id with DELETE /api/v1/api-keys/{id}. Cause: %v",
		e.Name, e.Name, from, to, e.Err)
}

func (e *CreateUncertainError) Unwrap() error { return e.Err }

// Pending is the record to pass to SettleCreate later.
func (e *CreateUncertainError) Pending() PendingCreate {
	return PendingCreate{Name: e.Name, From: e.From, To: e.To}
}

// UnsupportedError is an operation or a setting the API cannot do. It is
// returned before any request is sent.
type UnsupportedError struct {
	Operation string
	Reason    string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("plexmcp: %s is not supported: %s", e.Operation, e.Reason)
}

// UnknownMCPsError is a grant of MCPs that the organisation does not have,
// refused by the client before any key is made or changed, where the API
// would store it without a word (a PlexMCP server).
type UnknownMCPsError struct {
	IDs []string
}

func (e *UnknownMCPsError) Error() string {
	return fmt.Sprintf("plexmcp: the organisation has no MCP with the id %s", strings.Join(e.IDs, ", "))
}

// PartialUpdateError reports an update that failed after the server may
// have applied part of it. Current is the key as the server held it after
// the failure, read back for the caller to store; nil when it could not be
// read either.
type PartialUpdateError struct {
	Current *APIKey
	Err     error
}

func (e *PartialUpdateError) Error() string {
	if e.Current == nil {
		return fmt.Sprintf("plexmcp: updating the API key failed part-way, and reading it back failed too: %v", e.Err)
	}
	return fmt.Sprintf("plexmcp: updating API key %s failed part-way; what the server now holds was read back: %v", e.Current.ID, e.Err)
}

func (e *PartialUpdateError) Unwrap() error { return e.Err }

// ConfigError is a problem with one setting, typed so that the provider
// never parses error text. Problem completes the sentence "<Setting> …".
type ConfigError struct {
	Setting string
	Problem string
}

func (e *ConfigError) Error() string { return e.Setting + " " + e.Problem }

// JSON-RPC error codes of a PlexMCP server's proxy.
const (
	rpcInvalidParams = -32602
	rpcUnauthorized  = -32002
	rpcRateLimited   = -32029
)

func asAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e) && e != nil
	return e, ok
}

func asRPCError(err error) (*RPCError, bool) {
	var e *RPCError
	ok := errors.As(err, &e) && e != nil
	return e, ok
}

func statusIs(err error, status int) bool {
	e, ok := asAPIError(err)
	return ok && e.StatusCode == status
}

// IsNotFound reports a 404: on GET and DELETE of a key, the key is gone.
func IsNotFound(err error) bool { return statusIs(err, http.StatusNotFound) }

// IsUnauthorized reports that the credential was refused: any 401, whatever
// its code, and the proxy's -32002.
func IsUnauthorized(err error) bool {
	if statusIs(err, http.StatusUnauthorized) {
		return true
	}
	e, ok := asRPCError(err)
	return ok && (e.HTTPStatus == http.StatusUnauthorized || e.Code == rpcUnauthorized)
}

// IsForbidden reports a 403.
func IsForbidden(err error) bool { return statusIs(err, http.StatusForbidden) }

// IsAccessDenied reports that the key may not use the MCP: the hosted API's
// 403 mcp_not_permitted, or the proxy's -32602 "… access denied".
func IsAccessDenied(err error) bool {
	if e, ok := asAPIError(err); ok {
		return e.StatusCode == http.StatusForbidden && e.Code == codeMCPNotPermitted
	}
	e, ok := asRPCError(err)
	return ok && e.Code == rpcInvalidParams && strings.Contains(strings.ToLower(e.Message), "access denied")
}

// IsConflict reports a 409.
func IsConflict(err error) bool { return statusIs(err, http.StatusConflict) }

// IsRateLimited reports a rate limit (429, the proxy's -32029) that waiting
// clears. A quota is not one: see IsQuotaExceeded.
func IsRateLimited(err error) bool {
	if IsQuotaExceeded(err) {
		return false
	}
	if statusIs(err, http.StatusTooManyRequests) {
		return true
	}
	e, ok := asRPCError(err)
	return ok && (e.Code == rpcRateLimited || e.HTTPStatus == http.StatusTooManyRequests)
}

// IsValidation reports a request the server refused for its values: the
// hosted API's 422 validation_error and 400 invalid_request, a PlexMCP
// server's 400 VALIDATION_ERROR and its 422 (a body of the wrong shape).
func IsValidation(err error) bool {
	e, ok := asAPIError(err)
	if !ok {
		return false
	}
	switch e.StatusCode {
	case http.StatusBadRequest:
		return e.Code == codeInvalidRequest || e.Code == serverCodeValidation
	case http.StatusUnprocessableEntity:
		// A PlexMCP server's 422 is plain text without a code.
		return e.Code == codeValidation || e.Code == ""
	}
	return false
}

// IsQuotaExceeded reports that the organisation may not have more keys, or
// has used its requests: a PlexMCP server's 402 QUOTA_EXCEEDED, the hosted
// API's 429 quota_exceeded, the reference server's 403 "API key limit
// reached for your plan", and the proxy's -32029 for a monthly quota.
func IsQuotaExceeded(err error) bool {
	if e, ok := asAPIError(err); ok {
		switch e.StatusCode {
		case http.StatusPaymentRequired:
			return e.Code == serverCodeQuotaExceeded
		case http.StatusTooManyRequests:
			return e.Code == codeQuotaExceeded
		case http.StatusForbidden:
			return strings.Contains(strings.ToLower(e.Message), "limit reached for your plan")
		}
		return false
	}
	e, ok := asRPCError(err)
	return ok && e.Code == rpcRateLimited && rpcQuotaData(e.Data)
}

// rpcQuotaData tells the proxy's monthly-quota -32029 from its rate-limit
// -32029, which share a code: only the quota's data has these keys.
func rpcQuotaData(data map[string]any) bool {
	for _, k := range []string{"upgrade_url", "upgrade_message", "current_usage", "resets_at", "tier"} {
		if _, ok := data[k]; ok {
			return true
		}
	}
	return false
}

// IsOnlyActiveKey reports the hosted API's refusal to revoke the
// organisation's only active key (403 "Cannot revoke your only active
// key").
func IsOnlyActiveKey(err error) bool {
	e, ok := asAPIError(err)
	return ok && e.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(e.Message), "only active key")
}
