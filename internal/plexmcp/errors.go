package plexmcp

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes the API puts in error.code.
const (
	CodeInvalidRequest      = "invalid_request"
	CodeValidation          = "validation_error"
	CodeUnauthorized        = "unauthorized"
	CodeForbidden           = "forbidden"
	CodeNotFound            = "not_found"
	CodeConflict            = "conflict"
	CodeIdempotencyMismatch = "idempotency_mismatch"
	CodePayloadTooLarge     = "payload_too_large"
	CodeRateLimited         = "rate_limited"
	CodeInternal            = "internal_error"
	CodeUnavailable         = "unavailable"
)

// APIError is a non-2xx answer from the API, with the server's own code and
// message kept intact so callers can show them and branch on them.
type APIError struct {
	StatusCode int
	Code       string
	Message    string
	Details    map[string]any
	// Attempts is how many HTTP attempts were made before giving up.
	Attempts int
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if e.Code == "" {
		return fmt.Sprintf("PlexMCP API: HTTP %d: %s", e.StatusCode, msg)
	}
	return fmt.Sprintf("PlexMCP API: HTTP %d %s: %s", e.StatusCode, e.Code, msg)
}

func statusIs(err error, status int) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == status
}

// IsNotFound reports whether err is a 404 from the API.
func IsNotFound(err error) bool { return statusIs(err, http.StatusNotFound) }

// IsUnauthorized reports whether err is a 401 from the API.
func IsUnauthorized(err error) bool { return statusIs(err, http.StatusUnauthorized) }

// IsForbidden reports whether err is a 403 from the API.
func IsForbidden(err error) bool { return statusIs(err, http.StatusForbidden) }

// IsConflict reports whether err is a 409 from the API.
func IsConflict(err error) bool { return statusIs(err, http.StatusConflict) }

// IsRateLimited reports whether err is a 429 from the API.
func IsRateLimited(err error) bool { return statusIs(err, http.StatusTooManyRequests) }

// IsValidation reports whether err is a 400 validation_error from the API.
func IsValidation(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Code == CodeValidation
}
