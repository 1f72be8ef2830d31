package refserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzServerRequest throws arbitrary methods, paths, bodies and headers at
// the handler. With faults off, whatever arrives must get an answer in the
// envelope (or an empty 204), never a 5xx and never a panic.
func FuzzServerRequest(f *testing.F) {
	s, err := New(Config{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	// An access key of each mode to authenticate with.
	keys := []string{"", s.AdminKey(), s.SecondOrgAdminKey()}
	for _, body := range []string{
		`{"name":"fuzz live","permissions":{"mcps":["mcp_weather","mcp_sandbox"]}}`,
		`{"name":"fuzz test","mode":"test","permissions":{"mcps":"*"}}`,
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/v1/api-keys", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.AdminKey())
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		var created struct{ Data struct{ Key string } }
		if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || created.Data.Key == "" {
			f.Fatalf("seeding a key: %d %s", rec.Code, rec.Body)
		}
		keys = append(keys, created.Data.Key)
	}

	// Seed with real bodies: the request fixtures, and the paths they go to.
	fixtures, _ := filepath.Glob(filepath.Join(fixtureRoot, hostedFixtures, "*_request*.json"))
	for _, name := range fixtures {
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, target := range []struct{ method, path string }{
			{"POST", "/v1/api-keys"}, {"PATCH", "/v1/api-keys/key_3kTMd9nQ2xWfA7bZp1Lc"}, {"POST", "/v1/mcp/invoke"},
		} {
			for auth := range uint8(len(keys)) {
				f.Add(target.method, target.path, body, "application/json", auth, "", "")
			}
		}
	}
	for _, seed := range []struct {
		method, path string
		body         string
		ct           string
		auth         uint8
		idem, raw    string
	}{
		{"GET", "/v1/mcps?page=2&per_page=1&status=active&name=Sandbox", "", "", 1, "", ""},
		{"GET", "/v1/mcps/mcp_sandbox", "", "", 4, "", ""},
		{"GET", "/v1/api-keys?status=revoked", "", "", 1, "", ""},
		{"DELETE", "/v1/api-keys/key_nope", "", "", 1, "", ""},
		{"POST", "/v1/api-keys", `{"name":"i","permissions":{"mcps":"*"}}`, "application/json", 1, "idem-1", ""},
		{"POST", "/v1/api-keys", `{"name":"i","permissions":{"mcps":"*"},"expires_in_days":1e3}`, "application/json", 1, "idem-1", ""},
		{"POST", "/v1/mcp/invoke", `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":1e308,"b":1e308}}`, "application/json", 1, "", ""},
		{"POST", "/v1/mcp/invoke", `{"mcp_id":"mcp_sandbox","tool":"echo","arguments":{"a":[[[[{}]]]]}}`, "application/json; charset=utf-8", 4, "", ""},
		{"PATCH", "/v1/api-keys/x", `{"mode":"test"} trailing`, "application/json", 1, "", ""},
		{"PUT", "/v1/mcps", "", "", 0, "", ""},
		{"GET", "/v1//mcps/../x", "", "", 0, "", ""},
		{"GET", "/v1/mcps", "", "", 9, "", "bearer pk_live_" + strings.Repeat("A", 38)},
	} {
		f.Add(seed.method, seed.path, []byte(seed.body), seed.ct, seed.auth, seed.idem, seed.raw)
	}

	f.Fuzz(func(t *testing.T, method, target string, body []byte, contentType string, auth uint8, idemKey, rawAuth string) {
		if !isToken(method) || !validHeaderValue(contentType) || !validHeaderValue(idemKey) || !validHeaderValue(rawAuth) {
			t.Skip("net/http rejects these before any handler runs")
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || u.Host != "" || !strings.HasPrefix(target, "/") {
			t.Skip("not an origin-form request target")
		}
		req := &http.Request{
			Method: method, URL: u, RequestURI: target, Host: "refserver.test", RemoteAddr: "192.0.2.1:4321",
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		switch {
		case int(auth) < len(keys) && keys[auth] != "":
			req.Header.Set("Authorization", "Bearer "+keys[auth])
		case int(auth) >= len(keys) && rawAuth != "":
			req.Header.Set("Authorization", rawAuth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusNoContent {
			if rec.Body.Len() != 0 {
				t.Fatalf("204 with a body: %q", rec.Body)
			}
			return
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%d with Content-Type %q", rec.Code, ct)
		}
		var env map[string]json.RawMessage
		dec := json.NewDecoder(rec.Body)
		if err := dec.Decode(&env); err != nil || dec.More() {
			t.Fatalf("%d: not one JSON object: %v", rec.Code, err)
		}
		var success bool
		if err := json.Unmarshal(env["success"], &success); err != nil || success != (rec.Code < 300) {
			t.Fatalf("%d with success %s", rec.Code, env["success"])
		}
		if success {
			if _, ok := env["data"]; !ok {
				t.Fatalf("%d without data", rec.Code)
			}
			return
		}
		var e struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(env["error"], &e); err != nil || !knownCodes[e.Code] || e.Message == "" {
			t.Fatalf("%d with error %s", rec.Code, env["error"])
		}
	})
}

var knownCodes = map[string]bool{
	codeInvalidRequest: true, codeValidation: true, codeUnauthorized: true, codeForbidden: true,
	codeNotFound: true, codeConflict: true, codeIdempotencyMismatch: true, codePayloadTooLarge: true,
	codeRateLimited: true, codeInternal: true, codeUnavailable: true,
}

// isToken reports whether s is an HTTP method net/http would accept.
func isToken(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	for _, c := range []byte(s) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return strings.TrimSpace(s) == s
}
