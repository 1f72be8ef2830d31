package refserver

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// hideLength makes net/http send a body chunked, with no Content-Length.
type hideLength struct{ io.Reader }

func TestBodySizeLimit(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	valid := `{"name":"big","permissions":{"mcps":"*"}}`
	padded := func(n int) []byte { return append([]byte(valid), bytes.Repeat([]byte(" "), n-len(valid))...) }
	k := ts.createKey(t, allMCPs("target"))
	for name, tc := range map[string]struct {
		method, path string
		body         io.Reader
		status       int
	}{
		"exactly 1 MiB":             {"POST", "/api-keys", bytes.NewReader(padded(1 << 20)), http.StatusCreated},
		"exactly 1 MiB, chunked":    {"POST", "/api-keys", hideLength{bytes.NewReader(padded(1 << 20))}, http.StatusCreated},
		"1 MiB + 1":                 {"POST", "/api-keys", bytes.NewReader(padded(1<<20 + 1)), http.StatusRequestEntityTooLarge},
		"1 MiB + 1, chunked":        {"POST", "/api-keys", hideLength{bytes.NewReader(padded(1<<20 + 1))}, http.StatusRequestEntityTooLarge},
		"4 MiB of garbage":          {"POST", "/api-keys", bytes.NewReader(bytes.Repeat([]byte("x"), 4<<20)), http.StatusRequestEntityTooLarge},
		"4 MiB of garbage, chunked": {"POST", "/api-keys", hideLength{bytes.NewReader(bytes.Repeat([]byte("x"), 4<<20))}, http.StatusRequestEntityTooLarge},
		"PATCH 2 MiB":               {"PATCH", "/api-keys/" + k.ID, bytes.NewReader(bytes.Repeat([]byte("{"), 2<<20)), http.StatusRequestEntityTooLarge},
		"invoke 2 MiB, valid JSON":  {"POST", "/mcp/invoke", strings.NewReader(`{"mcp_id":"mcp_sandbox","tool":"echo","arguments":{"s":"` + strings.Repeat("a", 2<<20) + `"}}`), http.StatusRequestEntityTooLarge},
		"2 MiB with the wrong type": {"POST", "/api-keys", bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)), http.StatusRequestEntityTooLarge},
		// Whatever the route or the key: the limit comes before both.
		"GET 2 MiB":                     {"GET", "/mcps", bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)), http.StatusRequestEntityTooLarge},
		"DELETE 2 MiB, chunked":         {"DELETE", "/api-keys/" + k.ID, hideLength{bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20))}, http.StatusRequestEntityTooLarge},
		"unknown route 2 MiB":           {"POST", "/nope", bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)), http.StatusRequestEntityTooLarge},
		"2 MiB without a key":           {"POST", "/api-keys", bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)), http.StatusRequestEntityTooLarge},
		"GET with a small body is fine": {"GET", "/mcps", strings.NewReader("ignored"), http.StatusOK},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			key := ts.AdminKey()
			if strings.Contains(name, "without a key") {
				key = ""
			}
			req := newRequest(t, tc.method, ts.BaseURL+tc.path, key, nil)
			req.Body = io.NopCloser(tc.body)
			if r, ok := tc.body.(interface{ Len() int }); ok {
				req.ContentLength = int64(r.Len())
			}
			req.Header.Set("Content-Type", "application/json")
			if strings.Contains(name, "wrong type") {
				req.Header.Set("Content-Type", "text/plain")
			}
			resp, err := ts.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, tc.status, testsecrets.Hide(string(body)))
			}
			if tc.status == http.StatusRequestEntityTooLarge && !strings.Contains(string(body), `"code":"payload_too_large"`) {
				t.Errorf("413 body %s", testsecrets.Hide(string(body)))
			}
		})
	}
}

func TestMediaType(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	body := `{"name":"m","permissions":{"mcps":"*"}}`
	for ct, status := range map[string]int{
		"application/json":                  201,
		"application/json; charset=utf-8":   201,
		"Application/JSON":                  201,
		"text/plain":                        415,
		"application/x-www-form-urlencoded": 415,
		"application/jsonx":                 415,
		"application/json;;":                415,
		"":                                  415,
	} {
		t.Run(ct, func(t *testing.T) {
			t.Parallel()
			r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Content-Type", ct)
			if status == 415 {
				r.wantError(t, status, codeInvalidRequest, "")
				return
			}
			r.wantStatus(t, status)
		})
	}
	// The same rule on the other body endpoints.
	ts.do(t, "POST", "/mcp/invoke", ts.AdminKey(), `{"mcp_id":"mcp_sandbox","tool":"echo"}`, "Content-Type", "text/plain").
		wantError(t, http.StatusUnsupportedMediaType, codeInvalidRequest, "")
	ts.do(t, "PATCH", "/api-keys/key_x", ts.AdminKey(), `{}`, "Content-Type", "").
		wantError(t, http.StatusUnsupportedMediaType, codeInvalidRequest, "")
	// Bodies of GET and DELETE are ignored, whatever their type.
	ts.do(t, "GET", "/mcps", ts.AdminKey(), "ignored", "Content-Type", "text/plain").wantStatus(t, http.StatusOK)
}

func TestRouting(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	admin := ts.AdminKey()
	for name, tc := range map[string]struct {
		method, path string
		status       int
		allow        string
	}{
		"unknown route":              {"GET", "/nope", 404, ""},
		"unknown route, no key":      {"GET", "/nope", 404, ""},
		"outside /v1":                {"GET", "/../v2/mcps", 404, ""},
		"trailing slash":             {"GET", "/mcps/", 404, ""},
		"api-keys trailing slash":    {"GET", "/api-keys/", 404, ""},
		"too deep":                   {"GET", "/api-keys/key_1/extra", 404, ""},
		"double slash":               {"GET", "//mcps", 404, ""},
		"dot segment":                {"GET", "/./mcps", 404, ""},
		"PUT api-keys":               {"PUT", "/api-keys", 405, "GET, HEAD, POST"},
		"DELETE api-keys collection": {"DELETE", "/api-keys", 405, "GET, HEAD, POST"},
		"POST api-key":               {"POST", "/api-keys/key_1", 405, "DELETE, GET, HEAD, PATCH"},
		"PUT api-key":                {"PUT", "/api-keys/key_1", 405, "DELETE, GET, HEAD, PATCH"},
		"POST mcps":                  {"POST", "/mcps", 405, "GET, HEAD"},
		"DELETE mcp":                 {"DELETE", "/mcps/mcp_weather", 405, "GET, HEAD"},
		"GET invoke":                 {"GET", "/mcp/invoke", 405, "POST"},
		"OPTIONS invoke":             {"OPTIONS", "/mcp/invoke", 405, "POST"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			key := admin
			if strings.Contains(name, "no key") {
				key = ""
			}
			req := newRequest(t, tc.method, ts.BaseURL+tc.path, key, nil)
			req.URL.Opaque = "//" + req.URL.Host + "/v1" + tc.path // send the path exactly as written
			resp, err := ts.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("Allow") != tc.allow {
				t.Fatalf("%d Allow %q, want %d %q: %s", resp.StatusCode, resp.Header.Get("Allow"), tc.status, tc.allow, testsecrets.Hide(string(body)))
			}
			code := codeNotFound
			if tc.status == 405 {
				code = codeInvalidRequest
			}
			if !strings.HasPrefix(string(body), `{"success":false,"error":{"code":"`+code+`"`) {
				t.Errorf("body %s", testsecrets.Hide(string(body)))
			}
		})
	}
	for _, p := range []string{"/", "/v2/mcps", "/v1", "/favicon.ico"} {
		resp, err := ts.client.Get(strings.TrimSuffix(ts.BaseURL, "/v1") + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	log := &syncBuffer{}
	ts := newTestServer(t, Config{AccessLog: log})
	k := ts.createKey(t, allMCPs("logged"))
	ts.do(t, "GET", "/api-keys/"+k.ID+"?status=secret-query", ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/mcps", "", nil, "Authorization", "Bearer "+k.Key+"x").wantStatus(t, http.StatusUnauthorized)
	ts.do(t, "GET", "/mcps/"+k.Key, ts.AdminKey(), nil).wantStatus(t, http.StatusNotFound)
	// Percent-encoding does not hide a key from the redaction.
	ts.do(t, "GET", "/mcps/pk%5Flive_"+k.Key[len("pk_live_"):], ts.AdminKey(), nil).wantStatus(t, http.StatusNotFound)

	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	want := []string{"POST /v1/api-keys 201 ", "GET /v1/api-keys/" + k.ID + " 200 ", "GET /v1/mcps 401 ", "GET /v1/mcps/pk_[redacted] 404 ", "GET /v1/mcps/pk_[redacted] 404 "}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), testsecrets.Hide(log.String(), k.Key, ts.AdminKey()))
	}
	shape := regexp.MustCompile(`^[A-Z]+ /\S* \d{3} [0-9.]+(ns|µs|ms|s)$`)
	for i, line := range lines {
		if !strings.HasPrefix(line, want[i]) || !shape.MatchString(line) {
			t.Errorf("line %q, want %q followed by a duration", testsecrets.Hide(line, k.Key, ts.AdminKey()), want[i])
		}
	}
	for _, secret := range []string{k.Key, k.Key[len("pk_live_"):], ts.AdminKey(), "secret-query", "logged", "Bearer"} {
		if strings.Contains(log.String(), secret) {
			t.Errorf("access log contains %q:\n%s", testsecrets.Hide(secret, k.Key, ts.AdminKey()), testsecrets.Hide(log.String(), k.Key, ts.AdminKey()))
		}
	}
}

func TestRequestCounts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	k := ts.createKey(t, allMCPs("counted"))
	ts.do(t, "GET", "/api-keys/"+k.ID, ts.AdminKey(), nil)
	ts.do(t, "GET", "/api-keys/"+k.ID, "", nil)
	ts.do(t, "HEAD", "/mcps", ts.AdminKey(), nil)
	ts.do(t, "PUT", "/api-keys/"+k.ID, "", nil)
	ts.do(t, "GET", "/nope", "", nil)
	want := map[string]int{
		"POST /v1/api-keys":     1,
		"GET /v1/api-keys/{id}": 2,
		"HEAD /v1/mcps":         1,
		"PUT /v1/api-keys/{id}": 1,
		"GET /":                 1,
	}
	got := ts.RequestCounts()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("RequestCounts()[%q] = %d, want %d (all: %v)", k, got[k], n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("RequestCounts() = %v, want %v", got, want)
	}
}

// TestCloseDoesNotWaitForIdleClients: a client that connected but never
// sent a request must not hold Close for Shutdown's 5 s grace.
func TestCloseDoesNotWaitForIdleClients(t *testing.T) {
	t.Parallel()
	r, err := Start("", Config{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(r.BaseURL, "http://"), "/v1"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Make sure the server has accepted it before closing.
	if resp, err := http.Get(r.BaseURL + "/nope"); err == nil {
		resp.Body.Close()
	}
	start := time.Now()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d >= shutdownTimeout-time.Second { // Shutdown alone would wait 5 s
		t.Errorf("Close took %v", d)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Every response carries the rate-limit headers, including the 404 for a
// path the router never sees (//v1/mcps, /v1/../v1/mcps).
func TestUncleanPathsCarryRateLimitHeaders(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{RateLimit: 100})
	for _, p := range []string{"//v1/mcps", "/v1/./mcps", "/v1/mcps/"} {
		req, err := http.NewRequest("GET", strings.TrimSuffix(ts.BaseURL, "/v1")+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ts.AdminKey())
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("X-RateLimit-Limit") != "100" {
			t.Errorf("GET %s: %d with X-RateLimit-Limit %q, want 404 with 100", p, resp.StatusCode, resp.Header.Get("X-RateLimit-Limit"))
		}
	}
}

// Methods are client-chosen, so unknown ones share one counter.
func TestRequestCountsBucketUnknownMethods(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	for i := range 5 {
		req, err := http.NewRequest(fmt.Sprintf("CUSTOM%d", i), ts.BaseURL+"/mcps", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	counts := ts.RequestCounts()
	if counts["OTHER /v1/mcps"] != 5 || len(counts) != 1 {
		t.Errorf("RequestCounts() = %v, want only OTHER /v1/mcps: 5", counts)
	}
}
