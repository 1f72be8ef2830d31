package refserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Error codes of the contract.
const (
	codeInvalidRequest      = "invalid_request"
	codeValidation          = "validation_error"
	codeUnauthorized        = "unauthorized"
	codeForbidden           = "forbidden"
	codeNotFound            = "not_found"
	codeConflict            = "conflict"
	codeIdempotencyMismatch = "idempotency_mismatch"
	codePayloadTooLarge     = "payload_too_large"
	codeRateLimited         = "rate_limited"
	codeInternal            = "internal_error"
	codeUnavailable         = "unavailable"
)

// Messages other code and the golden files depend on word for word.
const (
	msgUnauthorized = "Invalid or missing API key"
	msgNoMCPAccess  = "API key does not have access to this MCP"
)

// maxBodyBytes is the contract's 1 MiB limit; a body of exactly this size is
// accepted.
const maxBodyBytes = 1 << 20

// wireTimeLayout is the only timestamp format on the wire: UTC, whole
// seconds, Z suffix.
const wireTimeLayout = "2006-01-02T15:04:05Z"

func formatTime(t time.Time) string { return wallTime(t).Format(wireTimeLayout) }

func formatOptionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

// apiError is a failed request on its way to the client. Handlers return it
// instead of writing, so the order of checks reads top to bottom.
type apiError struct {
	status  int
	code    string
	message string
	details map[string]any
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func (e *apiError) with(key string, value any) *apiError {
	if e.details == nil {
		e.details = map[string]any{}
	}
	e.details[key] = value
	return e
}

// fieldError is a validation_error naming the offending field, which the
// client maps back to a Terraform attribute.
func fieldError(field, format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, codeValidation, format, args...).with("field", field)
}

func invalidRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, codeInvalidRequest, format, args...)
}

func notFound(what string) *apiError {
	return errorf(http.StatusNotFound, codeNotFound, "%s not found", what)
}

var errUnauthorized = &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, message: msgUnauthorized}

type errorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

type envelope struct {
	Success    bool        `json:"success"`
	Data       any         `json:"data,omitempty"`
	Pagination *pagination `json:"pagination,omitempty"`
	Error      *errorBody  `json:"error,omitempty"`
}

type pagination struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Total      int `json:"total"`
	TotalPages int `json:"total_pages"`
}

// encode renders an envelope. Every value the server puts in one is
// marshalable, so an error here is a bug and is reported as such.
func encode(env envelope) []byte {
	b, err := json.Marshal(env)
	if err != nil {
		panic(fmt.Sprintf("refserver: cannot encode response: %v", err))
	}
	return append(b, '\n')
}

func successBody(data any) []byte { return encode(envelope{Success: true, Data: data}) }

func errorBodyOf(e *apiError) []byte {
	return encode(envelope{Error: &errorBody{Code: e.code, Message: e.message, Details: e.details}})
}

// writeRaw writes an already encoded JSON body. Cache-Control keeps the one
// response that carries a secret (and every other) out of shared caches.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *apiError) { writeRaw(w, e.status, errorBodyOf(e)) }

// readBody reads the request body up to the contract's limit: over it is
// 413 whatever the content. Decoding is the handler's, because only it
// knows which fields exist.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	tooLarge := errorf(http.StatusRequestEntityTooLarge, codePayloadTooLarge, "Request body exceeds %d bytes", maxBodyBytes)
	if r.ContentLength > maxBodyBytes {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, tooLarge
		}
		return nil, invalidRequest("Could not read the request body")
	}
	return body, nil
}

// checkJSONMediaType is 415 unless the body is declared application/json.
func checkJSONMediaType(r *http.Request) *apiError {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, codeInvalidRequest, "Request body must be application/json")
	}
	return nil
}

// jsonObject is a decoded request object: exact field names to raw values.
type jsonObject map[string]json.RawMessage

// has reports whether the field was sent at all, even as null.
func (o jsonObject) has(field string) bool { _, ok := o[field]; return ok }

// decodeObject parses a JSON object strictly. Unlike encoding/json into a
// struct it matches field names case-sensitively, so a client that sends
// "Name" instead of "name" fails here instead of passing silently; it also
// rejects unknown and duplicate fields and trailing data.
func decodeObject(data []byte, prefix string, allowed ...string) (jsonObject, *apiError) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err == io.EOF && prefix == "" {
		return nil, invalidRequest("Request body is empty")
	}
	if err != nil {
		return nil, malformed(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if prefix != "" {
			return nil, fieldError(trimDot(prefix), "%s must be a JSON object", trimDot(prefix))
		}
		return nil, invalidRequest("Request body must be a JSON object")
	}
	obj := jsonObject{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed(err)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformed(err)
		}
		if obj.has(name) {
			return nil, invalidRequest("Duplicate field %q", prefix+name).with("field", prefix+name)
		}
		obj[name] = raw
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidRequest("Unexpected data after the JSON object")
	}
	for name := range obj {
		if !slices.Contains(allowed, name) {
			return nil, invalidRequest("Unknown field %q", prefix+name).with("field", prefix+name)
		}
	}
	return obj, nil
}

func malformed(err error) *apiError {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return invalidRequest("Malformed JSON: unexpected end of input")
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return invalidRequest("Malformed JSON at byte %d", se.Offset)
	}
	return invalidRequest("Malformed JSON")
}

func trimDot(s string) string {
	if len(s) > 0 && s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// stringField decodes a JSON string, naming the field if it is not one.
func stringField(raw json.RawMessage, field string) (string, *apiError) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || isNull(raw) {
		return "", fieldError(field, "%s must be a string", field)
	}
	return s, nil
}
