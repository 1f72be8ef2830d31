package plexmcp

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// decodeAs runs body through the client's decoding path as one of the
// response kinds the client reads, and converts the result the way the
// methods do, so the fuzzer reaches the conversions too.
func decodeAs(kind uint8, status int, body []byte) error {
	switch kind % 6 {
	case 0:
		var w wireMCP
		_, err := decodeBody(status, body, &w)
		_ = w.toMCP()
		return err
	case 1:
		var w []wireMCP
		_, err := decodeBody(status, body, &w)
		for _, m := range w {
			_ = m.toMCP()
		}
		return err
	case 2:
		var w wireAPIKey
		_, err := decodeBody(status, body, &w)
		_ = w.toAPIKey()
		return err
	case 3:
		var w []wireAPIKey
		_, err := decodeBody(status, body, &w)
		for _, k := range w {
			_ = k.toAPIKey()
		}
		return err
	case 4:
		var w wireInvokeResult
		_, err := decodeBody(status, body, &w)
		_ = w.toInvokeResult()
		return err
	default:
		_, err := decodeBody(status, body, nil)
		return err
	}
}

// FuzzDecodeResponse feeds arbitrary bodies and statuses to the response
// decoder: it must never panic, a non-2xx status must always come back as an
// *APIError (callers branch on it), and an error must never be nil-valued.
func FuzzDecodeResponse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "api", "*.json"))
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for kind := range uint8(6) {
			f.Add(kind, 200, b)
			f.Add(kind, 400, b)
		}
	}
	f.Add(uint8(0), 200, []byte(mcpBody))
	f.Add(uint8(2), 201, []byte(`{"success":true,"data":{"id":"key_1","permissions":{"mcps":"*"},"expires_at":null,"key":"pk_live_x"}}`))
	f.Add(uint8(3), 200, []byte(`{"success":true,"data":[{"permissions":{"mcps":["a","b"]}}],"pagination":{"page":1,"per_page":1,"total":2,"total_pages":2}}`))
	f.Add(uint8(5), 404, []byte(`{"success":false,"error":{"code":"not_found","message":"x","details":{"field":"id"}}}`))
	f.Add(uint8(1), 200, []byte(`{"success":true,"data":null}`))
	f.Add(uint8(2), 200, []byte(`{"success":true,"data":{"permissions":{"mcps":7}}}`))
	f.Add(uint8(4), 503, []byte("<html>"))

	f.Fuzz(func(t *testing.T, kind uint8, status int, body []byte) {
		err := decodeAs(kind, status, body)
		if status < 200 || status > 299 {
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr == nil {
				t.Fatalf("status %d gave %v (%T), want *APIError", status, err, err)
			}
			if apiErr.StatusCode != status {
				t.Fatalf("APIError.StatusCode = %d, want %d", apiErr.StatusCode, status)
			}
			_ = apiErr.Error()
		}
		if err != nil && err.Error() == "" {
			t.Fatal("an error with no message")
		}
	})
}
