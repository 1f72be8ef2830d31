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
	"slices"
	"strings"
	"testing"
)

// fuzzKeys returns the keys a fuzz target authenticates with: none, the
// two bootstrap keys, and keys the seed requests create.
func fuzzKeys(f *testing.F, s *Server, create func(body string) string, bodies ...string) []string {
	f.Helper()
	keys := []string{"", s.AdminKey(), s.SecondOrgAdminKey()}
	for _, b := range bodies {
		keys = append(keys, create(b))
	}
	return keys
}

// fuzzRequest builds the request a fuzz input describes, or reports that
// net/http would refuse it before any handler ran.
func fuzzRequest(method, target string, body []byte, contentType string) (*http.Request, bool) {
	if !isToken(method) || !validHeaderValue(contentType) {
		return nil, false
	}
	u, err := url.ParseRequestURI(target)
	if err != nil || u.Host != "" || !strings.HasPrefix(target, "/") {
		return nil, false
	}
	req := &http.Request{
		Method: method, URL: u, RequestURI: target, Host: "refserver.test", RemoteAddr: "192.0.2.1:4321",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, true
}

// requestFixtureBodies are the request fixtures of an API, as fuzz seeds.
func requestFixtureBodies(f *testing.F, dir string) [][]byte {
	f.Helper()
	names, _ := filepath.Glob(filepath.Join(fixtureRoot, dir, "*_request*.json"))
	if len(names) == 0 {
		f.Fatalf("no request fixtures in %s", dir)
	}
	var out [][]byte
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzHostedRequest throws arbitrary methods, paths, bodies and headers at
// the hosted API. With faults off, whatever arrives must get an answer in
// the envelope, never a 5xx and never a panic.
func FuzzHostedRequest(f *testing.F) {
	s, err := New(Config{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	create := func(body string) string {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/v1/api-keys", strings.NewReader(body))
		req.Header.Set("Authorization", "ApiKey "+s.AdminKey())
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		var created struct{ Data struct{ Key string } }
		if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || created.Data.Key == "" {
			f.Fatalf("seeding a key: %d %s", rec.Code, rec.Body)
		}
		return created.Data.Key
	}
	keys := fuzzKeys(f, s, create, `{"name":"fuzz","permissions":{"mcps":["mcp_weather","mcp_sandbox"]}}`)

	for _, body := range requestFixtureBodies(f, hostedFixtures) {
		for _, target := range []struct{ method, path string }{
			{"POST", "/v1/api-keys"}, {"PATCH", "/v1/api-keys/key_3kTMd9nQ2xWfA7bZp1Lc"}, {"POST", "/mcp"},
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
		{"GET", "/v1/mcps?page=2&per_page=1&status=active&health=healthy&name=Sandbox", "", "", 1, "", ""},
		{"GET", "/v1/mcps/mcp_sandbox", "", "", 3, "", ""},
		{"GET", "/v1/api-keys?status=revoked", "", "", 1, "", ""},
		{"DELETE", "/v1/api-keys/key_nope", "", "", 1, "", ""},
		{"POST", "/v1/api-keys", `{"name":"i","permissions":{"mcps":"*"}}`, "application/json", 1, "idem-1", ""},
		{"POST", "/v1/api-keys", `{"name":"i","permissions":{"mcps":"*"},"expires_in_days":1e3}`, "application/json", 1, "idem-1", ""},
		{"POST", "/mcp", `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":1e308,"b":1e308}}`, "application/json", 1, "", ""},
		{"POST", "/mcp", `{"mcp_id":"mcp_sandbox","tool":"echo","arguments":{"a":[[[[{}]]]]},"timeout":1e400}`, "application/json; charset=utf-8", 3, "", ""},
		{"PATCH", "/v1/api-keys/x", `{"permissions":{"mcps":"*"}} trailing`, "application/json", 1, "", ""},
		{"PUT", "/v1/mcps", "", "", 0, "", ""},
		{"GET", "/v1//mcps/../x", "", "", 0, "", ""},
		{"POST", "/mcp", `{}`, "application/json", 9, "", "Bearer " + strings.Repeat("a", 87)},
	} {
		f.Add(seed.method, seed.path, []byte(seed.body), seed.ct, seed.auth, seed.idem, seed.raw)
	}

	f.Fuzz(func(t *testing.T, method, target string, body []byte, contentType string, auth uint8, idemKey, rawAuth string) {
		req, ok := fuzzRequest(method, target, body, contentType)
		if !ok || !validHeaderValue(idemKey) || !validHeaderValue(rawAuth) {
			t.Skip("net/http rejects these before any handler runs")
		}
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		switch {
		case int(auth) < len(keys) && keys[auth] != "":
			req.Header.Set("Authorization", "ApiKey "+keys[auth])
		case int(auth) >= len(keys) && rawAuth != "":
			req.Header.Set("Authorization", rawAuth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
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
		if err := json.Unmarshal(env["error"], &e); err != nil || !hostedCodes[e.Code] || e.Message == "" {
			t.Fatalf("%d with error %s", rec.Code, env["error"])
		}
	})
}

var hostedCodes = map[string]bool{
	codeInvalidRequest: true, codeValidation: true, codeUnauthorized: true, codeForbidden: true, codeMCPNotPermitted: true,
	codeNotFound: true, codeToolNotFound: true, codeInvalidArguments: true, codeConflict: true, codeIdempotencyMismatch: true,
	codePayloadTooLarge: true, codeRateLimited: true, codeInternal: true, codeUnavailable: true,
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

// FuzzServerRequest throws arbitrary requests at a PlexMCP server's API.
// Whatever arrives gets an answer in one of the real server's shapes, and
// never a 5xx but the database error a negative page size gives.
func FuzzServerRequest(f *testing.F) {
	s, err := New(Config{API: APIServer, Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	create := func(body string) string {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/v1/api-keys", strings.NewReader(body))
		req.Header.Set("Authorization", "ApiKey "+s.AdminKey())
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		var created struct{ Key string }
		if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || created.Key == "" {
			f.Fatalf("seeding a key: %d %s", rec.Code, rec.Body)
		}
		return created.Key
	}
	keys := fuzzKeys(f, s, create, `{"name":"fuzz","mcp_access_mode":"selected","allowed_mcp_ids":["0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60"],"rate_limit_rpm":10000}`)
	id := "0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60"
	for _, body := range requestFixtureBodies(f, serverFixtures) {
		for _, target := range []string{"/api/v1/api-keys", "/api/v1/api-keys/" + id, "/mcp"} {
			for auth := range uint8(len(keys)) {
				f.Add("POST", target, body, "application/json", auth, "")
				f.Add("PATCH", target, body, "application/json", auth, "")
			}
		}
	}
	for _, seed := range []struct {
		method, path string
		body         string
		ct           string
		auth         uint8
		raw          string
	}{
		{"GET", "/api/v1/mcps?page=2&per_page=-1&status=active", "", "", 1, ""},
		{"GET", "/api/v1/mcps?page=9223372036854775807", "", "", 1, ""},
		{"GET", "/api/v1/mcps/%7B" + id + "%7D", "", "", 1, ""},
		{"POST", "/api/v1/api-keys", `{"name":"x","expires_in_days":2147483647}`, "application/json", 1, ""},
		{"POST", "/api/v1/api-keys", `{"name":"x","expires_at":"2030-01-01T00:00:00.999999999999+23:59"}`, "application/json", 1, ""},
		{"POST", "/api/v1/api-keys/" + id + "/rotate", "", "", 3, ""},
		{"POST", "/api/v1/api-keys/urn:uuid:" + id + "/reveal", `{"pin":"1234"}`, "application/json", 1, ""},
		{"POST", "/mcp", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"Weather API:get_weather","arguments":{"city":"x"}}}`, "", 3, ""},
		{"POST", "/mcp", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["a"]}`, "", 1, ""},
		{"POST", "/mcp", `{"jsonrpc":"2.0","id":1,"method":"initialize"}`, "", 9, "Bearer " + strings.Repeat("a", 87)},
		{"GET", "/health", "", "", 0, ""},
		{"DELETE", "/api/v1/api-keys/" + id, "", "", 0, "Bearer jwt"},
	} {
		f.Add(seed.method, seed.path, []byte(seed.body), seed.ct, seed.auth, seed.raw)
	}

	f.Fuzz(func(t *testing.T, method, target string, body []byte, contentType string, auth uint8, rawAuth string) {
		req, ok := fuzzRequest(method, target, body, contentType)
		if !ok || !validHeaderValue(rawAuth) {
			t.Skip("net/http rejects these before any handler runs")
		}
		switch {
		case int(auth) < len(keys) && keys[auth] != "":
			req.Header.Set("Authorization", "ApiKey "+keys[auth])
			req.Header.Set("X-API-Key", keys[auth])
		case int(auth) >= len(keys) && rawAuth != "":
			req.Header.Set("Authorization", rawAuth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		out := rec.Body.Bytes()

		if rec.Code >= 500 && !(rec.Code == 500 && strings.HasPrefix(req.URL.Path, "/api/v1/mcps") &&
			string(out) == `{"error":{"code":"DATABASE_ERROR","message":"Database error"}}`) {
			t.Fatalf("%s %s: %d %s", method, target, rec.Code, out)
		}
		switch ct := rec.Header().Get("Content-Type"); ct {
		case "":
			if len(out) != 0 || !slices.Contains([]int{200, 204, 404, 405}, rec.Code) {
				t.Fatalf("%d without a content type: %q", rec.Code, out)
			}
		case "application/json":
			var v any
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatalf("%d: not JSON: %v: %s", rec.Code, err, out)
			}
		case "text/plain; charset=utf-8":
			// Usually one line, but a message may quote what it refused, a
			// decoded newline of the path included.
			if len(out) == 0 || !slices.Contains([]int{400, 413, 415, 422}, rec.Code) {
				t.Fatalf("%d in plain text: %q", rec.Code, out)
			}
		default:
			t.Fatalf("%d with Content-Type %q", rec.Code, ct)
		}
	})
}
