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

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest/syncbuf"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// hideLength makes net/http send a body chunked, with no Content-Length.
type hideLength struct{ io.Reader }

// sendBody sends a body reader as is: with its length when it has one,
// chunked otherwise.
func (ts *testServer) sendBody(t *testing.T, method, url string, body io.Reader, header ...string) *response {
	t.Helper()
	req := newRequest(t, method, url, nil, header...)
	req.Body = io.NopCloser(body)
	if r, ok := body.(interface{ Len() int }); ok {
		req.ContentLength = int64(r.Len())
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(testsecrets.Hide(err.Error()))
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &response{method: method, path: testsecrets.Hide(req.URL.Path), status: resp.StatusCode, header: resp.Header, raw: raw}
}

func TestHostedBodySizeLimit(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	valid := `{"name":"big","permissions":{"mcps":"*"}}`
	padded := func(n int) []byte { return append([]byte(valid), bytes.Repeat([]byte(" "), n-len(valid))...) }
	garbage := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	k := ts.createKey(t, allMCPs("target"))
	json := []string{"Content-Type", "application/json"}
	auth := []string{"Authorization", "ApiKey " + ts.AdminKey()}
	for name, tc := range map[string]struct {
		method, url string
		body        io.Reader
		header      []string
		status      int
	}{
		"exactly 1 MiB":             {"POST", "/api-keys", bytes.NewReader(padded(1 << 20)), auth, http.StatusCreated},
		"exactly 1 MiB, chunked":    {"POST", "/api-keys", hideLength{bytes.NewReader(padded(1 << 20))}, auth, http.StatusCreated},
		"1 MiB + 1":                 {"POST", "/api-keys", bytes.NewReader(padded(1<<20 + 1)), auth, http.StatusRequestEntityTooLarge},
		"1 MiB + 1, chunked":        {"POST", "/api-keys", hideLength{bytes.NewReader(padded(1<<20 + 1))}, auth, http.StatusRequestEntityTooLarge},
		"4 MiB of garbage, chunked": {"POST", "/api-keys", hideLength{bytes.NewReader(garbage(4 << 20))}, auth, http.StatusRequestEntityTooLarge},
		"PATCH 2 MiB":               {"PATCH", "/api-keys/" + k.ID, bytes.NewReader(garbage(2 << 20)), auth, http.StatusRequestEntityTooLarge},
		"invoke 2 MiB, valid JSON": {"POST", "origin:/mcp", strings.NewReader(`{"mcp_id":"mcp_sandbox","tool":"echo","arguments":{"s":"` +
			strings.Repeat("a", 2<<20) + `"}}`), auth, http.StatusRequestEntityTooLarge},
		// Whatever the route, the key or the content type: the limit comes
		// before all of them.
		"GET 2 MiB":                     {"GET", "/mcps", bytes.NewReader(garbage(2 << 20)), auth, http.StatusRequestEntityTooLarge},
		"DELETE 2 MiB, chunked":         {"DELETE", "/api-keys/" + k.ID, hideLength{bytes.NewReader(garbage(2 << 20))}, auth, http.StatusRequestEntityTooLarge},
		"unknown route 2 MiB":           {"POST", "/nope", bytes.NewReader(garbage(2 << 20)), auth, http.StatusRequestEntityTooLarge},
		"2 MiB without a key":           {"POST", "/api-keys", bytes.NewReader(garbage(2 << 20)), nil, http.StatusRequestEntityTooLarge},
		"2 MiB of text/plain":           {"POST", "/api-keys", bytes.NewReader(garbage(2 << 20)), append([]string{"Content-Type", "text/plain"}, auth...), http.StatusRequestEntityTooLarge},
		"GET with a small body is fine": {"GET", "/mcps", strings.NewReader("ignored"), auth, http.StatusOK},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := ts.BaseURL + tc.url
			if rest, ok := strings.CutPrefix(tc.url, "origin:"); ok {
				url = ts.Origin + rest
			}
			r := ts.sendBody(t, tc.method, url, tc.body, append(json, tc.header...)...)
			r.wantStatus(t, tc.status)
			if tc.status == http.StatusRequestEntityTooLarge {
				r.hostedError(t, tc.status, codePayloadTooLarge)
			}
		})
	}
	t.Cleanup(func() { // after the parallel subtests
		if n := len(ts.APIKeys()); n != 3+2 {
			t.Errorf("%d keys, want the bootstrap keys, the target and two of exactly 1 MiB", n)
		}
	})
}

func TestHostedMediaType(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	body := `{"name":"m","permissions":{"mcps":"*"}}`
	for ct, status := range map[string]int{
		"application/json":                  201,
		"application/json; charset=utf-8":   201,
		"Application/JSON":                  201,
		"text/plain":                        415,
		"application/x-www-form-urlencoded": 415,
		"application/jsonx":                 415,
		"application/vnd.api+json":          415,
		"application/json;;":                415,
		"":                                  415,
	} {
		t.Run(ct, func(t *testing.T) {
			t.Parallel()
			r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Content-Type", ct)
			if status == 415 {
				r.hostedError(t, status, codeInvalidRequest)
				return
			}
			r.wantStatus(t, status)
		})
	}
	// The same rule on the other body endpoints.
	ts.invoke(t, ts.AdminKey(), `{"mcp_id":"mcp_sandbox","tool":"echo"}`, "Content-Type", "text/plain").
		hostedError(t, http.StatusUnsupportedMediaType, codeInvalidRequest)
	ts.do(t, "PATCH", "/api-keys/key_x", ts.AdminKey(), `{}`, "Content-Type", "").
		hostedError(t, http.StatusUnsupportedMediaType, codeInvalidRequest)
	// Bodies of GET and DELETE are ignored, whatever their type.
	ts.do(t, "GET", "/mcps", ts.AdminKey(), "ignored", "Content-Type", "text/plain").wantStatus(t, http.StatusOK)
}

func TestHostedRouting(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	admin := ts.AdminKey()
	for name, tc := range map[string]struct {
		method, path string // relative to the origin, sent exactly as written
		key          bool
		status       int
		allow        string
	}{
		"unknown route":                 {"GET", "/v1/nope", true, 404, ""},
		"unknown route, no key: 401":    {"GET", "/v1/nope", false, 401, ""},
		"the base itself":               {"GET", "/v1", true, 404, ""},
		"trailing slash":                {"GET", "/v1/mcps/", true, 404, ""},
		"api-keys trailing slash":       {"GET", "/v1/api-keys/", true, 404, ""},
		"too deep":                      {"GET", "/v1/api-keys/key_1/extra", true, 404, ""},
		"dot segment":                   {"GET", "/v1/./mcps", true, 404, ""},
		"invoke under /v1 is gone":      {"POST", "/v1/mcp/invoke", true, 404, ""},
		"invoke under /mcp":             {"POST", "/mcp/invoke", true, 404, ""},
		"outside the API":               {"GET", "/health", false, 404, ""},
		"root":                          {"GET", "/", false, 404, ""},
		"another version":               {"GET", "/v2/mcps", false, 404, ""},
		"double slash":                  {"GET", "//v1/mcps", false, 404, ""},
		"PUT api-keys":                  {"PUT", "/v1/api-keys", true, 405, "GET, HEAD, POST"},
		"DELETE api-keys collection":    {"DELETE", "/v1/api-keys", true, 405, "GET, HEAD, POST"},
		"POST api-key":                  {"POST", "/v1/api-keys/key_1", true, 405, "GET, HEAD, PATCH, DELETE"},
		"PUT api-key":                   {"PUT", "/v1/api-keys/key_1", true, 405, "GET, HEAD, PATCH, DELETE"},
		"POST mcps":                     {"POST", "/v1/mcps", true, 405, "GET, HEAD"},
		"DELETE mcp":                    {"DELETE", "/v1/mcps/mcp_weather", true, 405, "GET, HEAD"},
		"GET invoke":                    {"GET", "/mcp", true, 405, "POST"},
		"OPTIONS invoke":                {"OPTIONS", "/mcp", true, 405, "POST"},
		"wrong method, no key: 401":     {"PUT", "/v1/api-keys", false, 401, ""},
		"HEAD of a GET route":           {"HEAD", "/v1/mcps", true, 200, ""},
		"percent-encoded id is decoded": {"GET", "/v1/mcps/mcp%5Fweather", true, 200, ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := newRequest(t, tc.method, ts.Origin+"/", nil)
			req.URL.Opaque = "//" + req.URL.Host + tc.path // send the path exactly as written
			if tc.key {
				req.Header.Set("Authorization", "ApiKey "+admin)
			}
			resp, err := ts.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("Allow") != tc.allow {
				t.Fatalf("%d Allow %q, want %d %q: %s", resp.StatusCode, resp.Header.Get("Allow"), tc.status, tc.allow, testsecrets.Hide(string(body)))
			}
			want := map[int]string{404: `{"success":false,"error":{"code":"not_found","message":"Resource not found"}}`,
				405: `{"success":false,"error":{"code":"invalid_request",`, 401: hostedUnauthorizedBody}[tc.status]
			if !strings.HasPrefix(string(body), strings.TrimSpace(want)) {
				t.Errorf("body %s, want it to start with %s", testsecrets.Hide(string(body)), want)
			}
		})
	}
}

// TestHostedCheckOrder sends requests that fail several checks at once:
// the first check of the contract's order must answer.
func TestHostedCheckOrder(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{RateLimit: 1})
	clock := &fakeClock{t: time.Now()}
	ts.limiter.mu.Lock()
	ts.limiter.now = clock.now
	ts.limiter.mu.Unlock()
	admin := ts.AdminKey()
	big := bytes.Repeat([]byte("x"), 2<<20)
	// Spend the bootstrap key's only token.
	ts.do(t, "GET", "/mcps", admin, nil).wantStatus(t, http.StatusOK)

	for _, tc := range []struct {
		name   string
		r      func() *response
		status int
	}{
		{"413 before 401", func() *response { return ts.do(t, "POST", "/api-keys", "", big) }, 413},
		{"401 before 404", func() *response { return ts.do(t, "GET", "/nope", "", nil) }, 401},
		{"401 before 405", func() *response { return ts.do(t, "PUT", "/mcps", "", nil) }, 401},
		{"404 before 429", func() *response { return ts.do(t, "GET", "/nope", admin, nil) }, 404},
		{"405 before 429", func() *response { return ts.do(t, "PUT", "/mcps", admin, nil) }, 405},
		{"429 before 415", func() *response { return ts.do(t, "POST", "/api-keys", admin, "{", "Content-Type", "text/plain") }, 429},
	} {
		if got := tc.r(); got.status != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, got.status, tc.status, got.body())
		}
	}
	ts.SetRateLimit(0)
	for _, tc := range []struct {
		name   string
		body   string
		header []string
		status int
		code   string
	}{
		{"415 before 400", `{`, []string{"Content-Type", "text/plain"}, 415, codeInvalidRequest},
		{"400 before 422", `{"name":"","permissions":{"mcps":"*"},"mode":"live"}`, nil, 400, codeInvalidRequest},
		{"400 permissions before 422", `{"name":"","permissions":{"mcps":"all"}}`, nil, 400, codeInvalidRequest},
		{"422 before 403 quota", `{"name":"","permissions":{"mcps":"*"}}`, nil, 422, codeValidation},
	} {
		srv := ts
		if tc.status == 422 {
			srv = newTestServer(t, Config{KeyQuota: 1})
		}
		srv.do(t, "POST", "/api-keys", srv.AdminKey(), tc.body, tc.header...).hostedError(t, tc.status, tc.code)
	}
	ts.SetFailRate(1)
	// 503 before 413 (on a route other than create, where a fault may
	// instead be a dropped connection after the commit).
	ts.do(t, "PATCH", "/api-keys/key_x", "", big).hostedError(t, http.StatusServiceUnavailable, codeUnavailable)
}

func TestHostedAccessLog(t *testing.T) {
	t.Parallel()
	log := &syncbuf.Buffer{}
	ts := newTestServer(t, Config{AccessLog: log})
	k := ts.createKey(t, allMCPs("logged"))
	ts.do(t, "GET", "/api-keys/"+k.ID+"?status=secret-query", ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/mcps", "", nil, "Authorization", "ApiKey "+k.Key+"x").wantStatus(t, http.StatusUnauthorized)
	ts.do(t, "GET", "/mcps/"+k.Key, ts.AdminKey(), nil).wantStatus(t, http.StatusNotFound)
	// Percent-encoding does not hide a key from the redaction.
	ts.do(t, "GET", "/mcps/pmcp%5F"+k.Key[len("pmcp_"):], ts.AdminKey(), nil).wantStatus(t, http.StatusNotFound)
	ts.invoke(t, k.Key, invokeBody("mcp_sandbox", "echo", nil)).wantStatus(t, http.StatusOK)
	// net/http takes any token as a method: a key pasted as curl's -X.
	ts.do(t, k.Key, "/mcps", ts.AdminKey(), nil).wantStatus(t, http.StatusMethodNotAllowed)

	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	want := []string{"POST /v1/api-keys 201 ", "GET /v1/api-keys/" + k.ID + " 200 ", "GET /v1/mcps 401 ",
		"GET /v1/mcps/pmcp_[redacted] 404 ", "GET /v1/mcps/pmcp_[redacted] 404 ", "POST /mcp 200 ",
		"pmcp_[redacted] /v1/mcps 405 "}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), testsecrets.Hide(log.String(), k.Key, ts.AdminKey()))
	}
	shape := regexp.MustCompile(`^([A-Z]+|pmcp_\[redacted\]) /\S* \d{3} [0-9.]+(ns|µs|ms|s)$`)
	for i, line := range lines {
		if !strings.HasPrefix(line, want[i]) || !shape.MatchString(line) {
			t.Errorf("line %q, want %q followed by a duration", testsecrets.Hide(line, k.Key, ts.AdminKey()), want[i])
		}
	}
	for _, secret := range []string{k.Key, k.Key[len("pmcp_"):], ts.AdminKey(), "secret-query", "logged", "ApiKey"} {
		if strings.Contains(log.String(), secret) {
			t.Errorf("access log contains %q:\n%s", testsecrets.Hide(secret, k.Key, ts.AdminKey()), testsecrets.Hide(log.String(), k.Key, ts.AdminKey()))
		}
	}
}

func TestHostedRequestCounts(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	k := ts.createKey(t, allMCPs("counted"))
	ts.do(t, "GET", "/api-keys/"+k.ID, ts.AdminKey(), nil)
	ts.do(t, "GET", "/api-keys/"+k.ID, "", nil)
	ts.do(t, "HEAD", "/mcps", ts.AdminKey(), nil)
	ts.do(t, "PUT", "/api-keys/"+k.ID, "", nil)
	ts.do(t, "GET", "/nope", "", nil)
	ts.invoke(t, k.Key, invokeBody("mcp_sandbox", "echo", nil))
	want := map[string]int{
		"POST /v1/api-keys":     1,
		"GET /v1/api-keys/{id}": 2,
		"HEAD /v1/mcps":         1,
		"PUT /v1/api-keys/{id}": 1,
		"GET /":                 1,
		"POST /mcp":             1,
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

// Methods are client-chosen, so unknown ones share one counter.
func TestRequestCountsBucketUnknownMethods(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	for i := range 5 {
		ts.do(t, fmt.Sprintf("CUSTOM%d", i), "/mcps", "", nil)
	}
	counts := ts.RequestCounts()
	if counts["OTHER /v1/mcps"] != 5 || len(counts) != 1 {
		t.Errorf("RequestCounts() = %v, want only OTHER /v1/mcps: 5", counts)
	}
}

func TestUserAgentsStayBounded(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	get := func(ua string) { ts.do(t, "GET", "/mcps", ts.AdminKey(), nil, "User-Agent", ua) }
	get("first/1.0")
	get("first/1.0")
	get(strings.Repeat("x", maxUserAgentLen+1))
	for i := range maxUserAgents - 2 + 7 {
		get(fmt.Sprintf("client/%d", i))
	}
	got := ts.UserAgents()
	if got["first/1.0"] != 2 {
		t.Errorf(`UserAgents()["first/1.0"] = %d, want 2`, got["first/1.0"])
	}
	// "first/1.0" and "(other)" (the long one) take two entries, so
	// maxUserAgents-2 clients get theirs and the last 7 count as other.
	if len(got) != maxUserAgents || got[otherUserAgents] != 1+7 {
		t.Errorf("UserAgents() holds %d entries and %d under %q, want %d and 8", len(got), got[otherUserAgents], otherUserAgents, maxUserAgents)
	}
}

// TestDateFollowsTheServerClock: a real server's Date is its own clock,
// which clients may use to estimate skew. Every answer of either API
// carries it, errors and the proxy included.
func TestDateFollowsTheServerClock(t *testing.T) {
	t.Parallel()
	for _, api := range []string{APIHosted, APIServer} {
		for _, offset := range []time.Duration{-2136 * time.Hour, 2136 * time.Hour} {
			ts := newTestServer(t, Config{API: api, ClockOffset: offset})
			for _, r := range []*response{ts.do(t, "GET", "/mcps", ts.AdminKey(), nil), ts.do(t, "GET", "/nope", "", nil),
				ts.invoke(t, "", `{}`), ts.send(t, "GET", ts.Origin+"/health", nil)} {
				date, err := http.ParseTime(r.header.Get("Date"))
				if d := date.Sub(time.Now().Add(offset)); err != nil || d < -time.Minute || d > time.Minute {
					t.Errorf("%s %s: Date %q with -clock-offset %v", api, r.path, r.header.Get("Date"), offset)
				}
			}
		}
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
	// Were Close to wait for the idle connection below, it would wait this
	// long, and the test would fail by its timeout, not by a stopwatch.
	r.shutdownTimeout = time.Hour
	conn, err := net.Dial("tcp", strings.TrimPrefix(r.Origin, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Make sure the server has accepted it before closing.
	if resp, err := http.Get(r.BaseURL + "/nope"); err == nil {
		resp.Body.Close()
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// The server dropped the connection that never carried a request.
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("the idle connection is still open after Close")
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
