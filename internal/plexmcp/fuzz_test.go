package plexmcp

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// decodeAs runs body through one of the client's decoding paths, as the
// operations do, conversions included, so the fuzzer reaches them too.
func decodeAs(kind uint8, status int, body []byte) error {
	now := time.Unix(1_800_000_000, 0)
	if status < 200 || status > 299 {
		if kind%2 == 0 {
			return hostedDialect{}.decodeError(status, http.Header{}, body)
		}
		return serverDialect{}.decodeError(status, http.Header{}, body)
	}
	switch kind % 8 {
	case 0:
		var w hostedKey
		_, err := decodeHostedData(status, body, &w)
		_, _ = w.apiKey(), w.missing()
		return err
	case 1:
		var w []hostedKey
		_, err := decodeHostedData(status, body, &w)
		for i := range w {
			_ = w[i].apiKey()
		}
		return err
	case 2:
		var w []hostedMCP
		_, err := decodeHostedData(status, body, &w)
		for i := range w {
			_ = w[i].mcp()
		}
		return err
	case 3:
		var w hostedInvokeResult
		_, err := decodeHostedData(status, body, &w)
		return err
	case 4:
		var w serverKey
		err := json.Unmarshal(body, &w)
		_, _ = w.apiKey(now), w.missing()
		return err
	case 5:
		var w []serverMCP
		err := json.Unmarshal(body, &w)
		for i := range w {
			_ = w[i].mcp()
		}
		return err
	case 6:
		if e, ok := decodeRPCError(status, body); ok {
			return e
		}
		var r rpcResponse
		return json.Unmarshal(body, &r)
	default:
		_, _ = serverDialect{}.waitHint(429, body)
		_ = hostedDialect{}.retryable(409, body)
		_ = serverDialect{}.retryable(429, body)
		return nil
	}
}

// FuzzDecodeResponse feeds arbitrary bodies and statuses to both APIs'
// decoders: they must never panic, a non-2xx status must always come back
// as an *APIError or *RPCError with that status (callers branch on it), and
// an error must never have an empty message.
func FuzzDecodeResponse(f *testing.F) {
	for _, dir := range []string{"hosted", "server"} {
		seeds, _ := filepath.Glob(filepath.Join(goldenRoot, dir, "*"))
		for _, path := range seeds {
			b, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			for kind := range uint8(8) {
				f.Add(kind, 200, b)
				f.Add(kind, 401, b)
			}
		}
	}
	f.Add(uint8(0), 201, []byte(hostedOK(`{"id":"key_1","permissions":{"mcps":"*"},"expires_at":null,"key":"pmcp_x"}`)))
	f.Add(uint8(0), 200, []byte(hostedOK(`{"permissions":{"mcps":7}}`)))
	f.Add(uint8(4), 200, []byte(`{"created_at":"2026-01-20 12:00:00.123456789z","created_by":{"id":1}}`))
	f.Add(uint8(1), 503, []byte("<html>"))
	f.Add(uint8(6), 429, []byte(`{"jsonrpc":"2.0","error":{"code":-32029,"message":"x","data":{"retry_after_seconds":"17"}}}`))

	f.Fuzz(func(t *testing.T, kind uint8, status int, body []byte) {
		err := decodeAs(kind, status, body)
		if status < 200 || status > 299 {
			got := 0
			if e, ok := asAPIError(err); ok {
				got = e.StatusCode
			} else if e, ok := asRPCError(err); ok {
				got = e.HTTPStatus
			} else {
				t.Fatalf("status %d gave %v (%T), want *APIError or *RPCError", status, err, err)
			}
			if got != status {
				t.Fatalf("the error says status %d, want %d", got, status)
			}
		}
		if err != nil && err.Error() == "" {
			t.Fatal("an error with no message")
		}
	})
}

var v01Shape = regexp.MustCompile(`^pmcp_01[0-9a-f]{80}$`)

// FuzzCheckAPIKey: the key check never panics, never repeats the key, and
// what it accepts is a key shape PlexMCP has documented.
func FuzzCheckAPIKey(f *testing.F) {
	for _, s := range []string{unitKey, otherKey, "pk_live_abc", "pk_test_x", "pmcp_02zz", "Bearer " + unitKey, unitKey + "\n", unitKey[:50], "", "pmcp_", `"pk_live_q"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		for _, api := range []API{"", APIHosted, APIServer} {
			err := CheckAPIKey(key, api)
			if err != nil {
				if len(key) >= 16 && strings.Contains(err.Error(), key[12:]) {
					t.Fatalf("the error repeats the key: %q", err)
				}
				continue
			}
			if strings.TrimSpace(key) != key || strings.ContainsAny(key, " \t\r\n\x00") {
				t.Fatalf("accepted a key with whitespace: %q", key)
			}
			if strings.HasPrefix(key, "pmcp_01") && !v01Shape.MatchString(key) {
				t.Fatalf("accepted a malformed pmcp_01 key: %q", key)
			}
			if api == APIServer && !strings.HasPrefix(key, "pmcp_") {
				t.Fatalf("accepted a non-pmcp key for a PlexMCP server: %q", key)
			}
			if !LooksLikeKey(key) {
				t.Fatalf("accepted %q, which LooksLikeKey denies", key)
			}
		}
	})
}
