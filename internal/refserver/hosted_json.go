package refserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// The hosted API reads request bodies strictly: field names match
// case-sensitively, and unknown or duplicate fields, trailing data and
// wrong JSON types are 400 invalid_request, so that a client bug shows up
// here rather than as a field silently dropped.

// jsonObject is a decoded request object: exact field names to raw values.
type jsonObject map[string]json.RawMessage

// has reports whether the field was sent at all, even as null.
func (o jsonObject) has(field string) bool { _, ok := o[field]; return ok }

// present reports whether the field was sent with a value other than null.
// The hosted API treats null as absent everywhere.
func (o jsonObject) present(field string) bool {
	raw, ok := o[field]
	return ok && !isNull(raw)
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// decodeHostedObject parses a request body that must be one JSON object
// whose fields are all in allowed.
func decodeHostedObject(data []byte, allowed ...string) (jsonObject, *hostedError) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, invalidRequest("Request body is empty")
	}
	if err != nil {
		return nil, malformedJSON(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, invalidRequest("Request body must be a JSON object")
	}
	obj := jsonObject{}
	var duplicate string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformedJSON(err)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformedJSON(err)
		}
		if obj.has(name) && duplicate == "" {
			duplicate = name
		}
		obj[name] = raw
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, malformedJSON(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidRequest("Unexpected data after the JSON object")
	}
	if duplicate != "" {
		return nil, invalidRequest("Duplicate field: %s", duplicate).with(duplicate, "Duplicate field")
	}
	var unknown []string
	for name := range obj {
		if !slices.Contains(allowed, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		e := invalidRequest("Unknown field: %s", strings.Join(unknown, ", "))
		e.details = map[string]string{}
		for _, name := range unknown {
			e.details[name] = "Unknown field"
		}
		return nil, e
	}
	return obj, nil
}

func malformedJSON(err error) *hostedError {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return invalidRequest("Malformed JSON: unexpected end of input")
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return invalidRequest("Malformed JSON at byte %d", se.Offset)
	}
	return invalidRequest("Malformed JSON")
}

// typeErrors collects the fields whose JSON type is wrong; like
// validationError it reports every one at once.
type typeErrors map[string]string

func (t typeErrors) err() *hostedError {
	if len(t) == 0 {
		return nil
	}
	return &hostedError{status: http.StatusBadRequest, code: codeInvalidRequest, message: "Invalid field type", details: t}
}

// str reads a string field; absent and null give ok false.
func (t typeErrors) str(obj jsonObject, field string) (v string, ok bool) {
	if !obj.present(field) {
		return "", false
	}
	if err := json.Unmarshal(obj[field], &v); err != nil {
		t[field] = "Must be a string"
		return "", false
	}
	return v, true
}

// integer reads a whole number; absent and null give ok false. A number
// with a fraction is a wrong type; a whole number beyond int64 is kept as
// ±math.MaxInt64, so that range checks report it as a value.
func (t typeErrors) integer(obj jsonObject, field string) (v int64, ok bool) {
	if !obj.present(field) {
		return 0, false
	}
	var n json.Number
	raw := bytes.TrimSpace(obj[field])
	if raw[0] == '"' || json.Unmarshal(raw, &n) != nil { // json.Number would take "30"
		t[field] = "Must be an integer"
		return 0, false
	}
	f, _, err := big.ParseFloat(string(n), 10, 0, big.ToNearestEven)
	if err != nil || !f.IsInt() {
		t[field] = "Must be an integer"
		return 0, false
	}
	if i, acc := f.Int64(); acc == big.Exact {
		return i, true
	}
	if f.Sign() < 0 {
		return math.MinInt64, true
	}
	return math.MaxInt64, true
}

// object reads a JSON object field; absent and null give ok false.
func (t typeErrors) object(obj jsonObject, field string) (v map[string]any, ok bool) {
	if !obj.present(field) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(obj[field]))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || v == nil {
		t[field] = "Must be an object"
		return nil, false
	}
	return v, true
}

// checkHostedMediaType is 415 unless the body is declared application/json.
func checkHostedMediaType(r *http.Request) *hostedError {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return hostedErrorf(http.StatusUnsupportedMediaType, codeInvalidRequest, "Request body must be application/json")
	}
	return nil
}

// readHostedBody reads the request body up to the 1 MiB limit: over it is
// 413 whatever the content. Decoding is the handler's, because only it
// knows which fields exist.
func readHostedBody(w http.ResponseWriter, r *http.Request) ([]byte, *hostedError) {
	tooLarge := hostedErrorf(http.StatusRequestEntityTooLarge, codePayloadTooLarge, "Request body exceeds %d bytes", maxHostedBody)
	if r.ContentLength > maxHostedBody {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHostedBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, tooLarge
		}
		return nil, invalidRequest("Could not read the request body")
	}
	return body, nil
}
