package plexmcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// These tests use small httptest handlers for the fault shapes the
// reference server cannot produce on demand: exact Retry-After values,
// garbage bodies, statuses it never sends.

const hostedMCPBody = `{"success":true,"data":{"id":"mcp_weather","name":"Weather API","endpoint_url":"https://x","description":"d","status":"active","health":"healthy","created_at":"2026-01-01T00:00:00Z","last_active":null,"request_count":0}}`

const serverMCPBody = `{"id":"0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60","name":"Weather API","description":null,"config":{"endpoint_url":"https://x"},"status":"active","health_status":"unknown","created_at":"2026-01-01T00:00:00.5Z"}`

// apiCase is one API as the tests below drive it.
type apiCase struct {
	api      API
	path     string // the base URL's path
	mcpBody  string // a GET /mcps/{id} answer
	errBody  func(code, msg string) string
	mcpID    string
	invokeOK string // a successful invocation's answer
}

var apiCases = map[API]apiCase{
	APIHosted: {
		api: APIHosted, path: "/v1", mcpBody: hostedMCPBody, errBody: hostedErr, mcpID: "mcp_weather",
		invokeOK: hostedOK(`{"result":{"t":1},"metadata":{"mcp_id":"mcp_weather","tool":"get_weather"}}`),
	},
	APIServer: {
		api: APIServer, path: "/api/v1", mcpBody: serverMCPBody, errBody: serverErr, mcpID: "0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60",
		invokeOK: `{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":false}}`,
	},
}

func TestRetryPolicyByStatus(t *testing.T) {
	t.Parallel()
	const maxRetries = 2
	all := 1 + maxRetries
	tests := map[string]struct {
		status int
		code   string
		call   string // "get" (default), "create" or "invoke"
		// want is the attempts on each API (0: the case does not apply).
		hosted, server int
	}{
		"400 is final":                {status: 400, code: "invalid_request", hosted: 1, server: 1},
		"401 is final":                {status: 401, code: "unauthorized", hosted: 1, server: 1},
		"402 is final":                {status: 402, code: "QUOTA_EXCEEDED", call: "create", server: 1},
		"403 is final":                {status: 403, code: "forbidden", hosted: 1, server: 1},
		"409 on a read is final":      {status: 409, code: "conflict", hosted: 1, server: 1},
		"409 conflict on create":      {status: 409, code: "conflict", call: "create", hosted: all, server: 1},
		"409 other code on create":    {status: 409, code: "idempotency_busy", call: "create", hosted: 1},
		"422 is final":                {status: 422, code: "idempotency_mismatch", call: "create", hosted: 1, server: 1},
		"429 is retried":              {status: 429, code: "rate_limited", hosted: all, server: all},
		"429 quota is final":          {status: 429, code: "quota_exceeded", hosted: 1},
		"429 on create is retried":    {status: 429, code: "rate_limited", call: "create", hosted: all, server: all},
		"429 on invoke is retried":    {status: 429, code: "rate_limited", call: "invoke", hosted: all},
		"500 is retried":              {status: 500, code: "internal_error", hosted: all, server: all},
		"501 is final":                {status: 501, code: "not_implemented", hosted: 1, server: 1},
		"502 is retried":              {status: 502, code: "mcp_unreachable", hosted: all, server: all},
		"503 is retried":              {status: 503, code: "unavailable", hosted: all, server: all},
		"504 is retried":              {status: 504, code: "mcp_timeout", hosted: all, server: all},
		"503 on invoke is final":      {status: 503, code: "unavailable", call: "invoke", hosted: 1},
		"500 on invoke is final":      {status: 500, code: "internal_error", call: "invoke", hosted: 1},
		"500 on server create: final": {status: 500, code: "DATABASE_ERROR", call: "create", server: 1},
	}
	for name, tc := range tests {
		for api, want := range map[API]int{APIHosted: tc.hosted, APIServer: tc.server} {
			if want == 0 {
				continue
			}
			ac := apiCases[api]
			t.Run(string(api)+"/"+name, func(t *testing.T) {
				t.Parallel()
				msg := fmt.Sprintf("server says %d", tc.status)
				// A create that ends uncertain is settled on the hosted
				// API: the list it makes finds nothing.
				rt := newRouter(t).
					on("GET "+ac.path+"/mcps/"+ac.mcpID, respond(tc.status, ac.errBody(tc.code, msg), "Retry-After", "0")).
					on("POST "+ac.path+"/api-keys", respond(tc.status, ac.errBody(tc.code, msg), "Retry-After", "0")).
					on("POST /mcp", respond(tc.status, ac.errBody(tc.code, msg), "Retry-After", "0")).
					on("GET "+ac.path+"/api-keys", respond(200, emptyList))
				srv := rt.start()
				cfg := fastConfig(srv.URL+ac.path, api, testKey, nil)
				cfg.MaxRetries = new(maxRetries)
				c := mustNew(t, cfg)
				var err error
				route := "GET " + ac.path + "/mcps/" + ac.mcpID
				switch tc.call {
				case "create":
					route = "POST " + ac.path + "/api-keys"
					_, err = c.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "x", Permissions: Permissions{AllMCPs: true}})
				case "invoke":
					route = "POST /mcp"
					_, err = c.Invoke(testCtx(t), InvokeRequest{MCPID: ac.mcpID, Tool: "get_weather"})
				default:
					_, err = c.GetMCP(testCtx(t), ac.mcpID)
				}
				if err == nil {
					t.Fatal("no error")
				}
				if _, ok := asAPIError(err); !ok {
					t.Fatalf("err = %v (%T), want one carrying an *APIError", err, err)
				}
				e := apiErrorOf(t, err)
				if e.StatusCode != tc.status || e.Code != tc.code || e.Message != msg || e.Attempts != want {
					t.Errorf("APIError = %+v, want %d %s %q after %d attempts", *e, tc.status, tc.code, msg, want)
				}
				if got := rt.count(route); got != want {
					t.Errorf("server saw %d attempts, want %d", got, want)
				}
			})
		}
	}
}

// emptyList is a hosted list answer with no items.
const emptyList = `{"success":true,"data":[],"pagination":{"page":1,"per_page":100,"total":0,"total_pages":0}}`

func TestMaxRetries(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		retries *int
		want    int
	}{
		"nil means the default": {retries: nil, want: 1 + DefaultMaxRetries},
		"new(0) means none":     {retries: new(0), want: 1},
		"new(3)":                {retries: new(3), want: 4},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, srv := serve(t, respond(503, hostedErr("unavailable", "down")))
			cfg := fastConfig(srv.URL+"/v1", APIHosted, testKey, nil)
			cfg.MaxRetries = tc.retries
			cfg.RetryWaitMin, cfg.RetryWaitMax = time.Millisecond, time.Millisecond
			c := mustNew(t, cfg)
			_, err := c.ListMCPs(testCtx(t), ListMCPsOptions{})
			if e := apiErrorOf(t, err); e.Attempts != tc.want || s.attempts() != tc.want {
				t.Errorf("attempts: error says %d, server saw %d; want %d", e.Attempts, s.attempts(), tc.want)
			}
		})
	}
}

func TestRetryAfterDelaysNextAttempt(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		status     int
		retryAfter string
	}{
		"429 seconds":   {status: 429, retryAfter: "1"},
		"429 http-date": {status: 429}, // filled in at run time: two seconds from now
		"503 seconds":   {status: 503, retryAfter: "1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			retryAfter := tc.retryAfter
			if retryAfter == "" {
				// An HTTP date has whole seconds, so two seconds ahead is
				// at least one second away.
				retryAfter = time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
			}
			s, srv := serve(t,
				respond(tc.status, hostedErr("rate_limited", "slow down"), "Retry-After", retryAfter),
				respond(http.StatusOK, hostedMCPBody))
			cfg := fastConfig(srv.URL+"/v1", APIHosted, testKey, nil)
			cfg.RetryWaitMax = 10 * time.Second
			c := mustNew(t, cfg)
			if _, err := c.GetMCP(testCtx(t), "mcp_weather"); err != nil {
				t.Fatalf("GetMCP: %v", err)
			}
			if got := s.attempts(); got != 2 {
				t.Fatalf("attempts = %d, want 2", got)
			}
			if gap := s.times[1].Sub(s.times[0]); gap < time.Second {
				t.Errorf("second attempt came %v after the answer, want at least 1s", gap)
			}
		})
	}
}

func TestRetryWaitsAreCappedAtRetryWaitMax(t *testing.T) {
	t.Parallel()
	farReset := fmt.Sprint(time.Now().Add(24 * time.Hour).Unix())
	tests := map[string]struct {
		status  int
		headers []string
		body    string
	}{
		"huge Retry-After":          {status: 429, headers: []string{"Retry-After", "100000"}},
		"far X-RateLimit-Reset":     {status: 429, headers: []string{"X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", farReset}},
		"503 Retry-After":           {status: 503, headers: []string{"Retry-After", "100000"}},
		"proxy retry_after_seconds": {status: 429, body: `{"jsonrpc":"2.0","error":{"code":-32029,"message":"Rate limit exceeded","data":{"retry_after_seconds":3600}}}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body := tc.body
			if body == "" {
				body = hostedErr("rate_limited", "slow down")
			}
			s, srv := serve(t, respond(tc.status, body, tc.headers...), respond(http.StatusOK, hostedMCPBody))
			cfg := fastConfig(srv.URL+"/v1", APIHosted, testKey, nil)
			cfg.RetryWaitMax = 200 * time.Millisecond
			c := mustNew(t, cfg)
			// Uncapped, the wait would outlast testCtx's 45 s and the call
			// would fail with its deadline.
			if _, err := c.GetMCP(testCtx(t), "mcp_weather"); err != nil {
				t.Fatalf("GetMCP: %v", err)
			}
			if got := s.attempts(); got != 2 {
				t.Errorf("attempts = %d, want 2", got)
			}
		})
	}
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	t.Parallel()
	for _, status := range []int{429, 503} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			answered := make(chan struct{})
			var once sync.Once
			s, srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				respond(status, hostedErr("unavailable", "down"), "Retry-After", "3600")(w, r)
				once.Do(func() { close(answered) })
			})
			cfg := fastConfig(srv.URL+"/v1", APIHosted, testKey, nil)
			cfg.RetryWaitMax = time.Hour
			c := mustNew(t, cfg)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				// Cancel once the first attempt has been answered, while
				// the client waits out its hour-long back-off.
				<-answered
				cancel()
			}()
			done := make(chan error, 1)
			go func() { _, err := c.GetMCP(ctx, "mcp_weather"); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-testCtx(t).Done():
				t.Fatal("GetMCP still waits 45 s after its context was cancelled")
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want one wrapping context.Canceled", err)
			}
			if got := s.attempts(); got != 1 {
				t.Errorf("attempts = %d, want 1", got)
			}
		})
	}
}

func TestDroppedConnection(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		api          API
		call         string
		wantAttempts int
	}{
		// Reads are safe to resend after a hang-up.
		"hosted get is retried": {api: APIHosted, call: "get", wantAttempts: 2},
		"server get is retried": {api: APIServer, call: "get", wantAttempts: 2},
		// A tool call the server may already have run is not resent.
		"hosted invoke is not resent": {api: APIHosted, call: "invoke", wantAttempts: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ac := apiCases[tc.api]
			ok := respond(http.StatusOK, ac.mcpBody)
			if tc.call == "invoke" {
				ok = respond(http.StatusOK, ac.invokeOK)
			}
			s, srv := serve(t, hangUp, ok)
			c := mustNew(t, fastConfig(srv.URL+ac.path, tc.api, testKey, nil))
			var err error
			if tc.call == "invoke" {
				_, err = c.Invoke(testCtx(t), InvokeRequest{MCPID: ac.mcpID, Tool: "get_weather"})
			} else {
				_, err = c.GetMCP(testCtx(t), ac.mcpID)
			}
			if (err != nil) != (tc.wantAttempts == 1) {
				t.Fatalf("err = %v", err)
			}
			if _, isAPI := asAPIError(err); isAPI {
				t.Errorf("a hang-up came back as an *APIError: %v", err)
			}
			if got := s.attempts(); got != tc.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tc.wantAttempts)
			}
		})
	}
}

// TestPerAttemptTimeout checks RequestTimeout bounds each attempt, not the
// call: a hung first attempt is abandoned and the retry succeeds.
func TestPerAttemptTimeout(t *testing.T) {
	t.Parallel()
	slow := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	s, srv := serve(t, slow, respond(http.StatusOK, hostedMCPBody))
	cfg := fastConfig(srv.URL+"/v1", APIHosted, testKey, nil)
	cfg.RequestTimeout = 200 * time.Millisecond
	c := mustNew(t, cfg)
	if _, err := c.GetMCP(testCtx(t), "mcp_weather"); err != nil {
		t.Fatalf("GetMCP: %v", err)
	}
	if s.attempts() != 2 {
		t.Errorf("attempts = %d, want 2", s.attempts())
	}
}

func TestTransportErrorAfterRetries(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	log := &collector{}
	cfg := fastConfig(url+"/v1", APIHosted, testKey, log)
	cfg.MaxRetries = new(2)
	c := mustNew(t, cfg)
	_, err := c.GetAPIKey(testCtx(t), "key_abc")
	if err == nil {
		t.Fatal("want an error")
	}
	if _, isAPI := asAPIError(err); isAPI {
		t.Fatalf("err = %v, want a transport error", err)
	}
	if !strings.Contains(err.Error(), "giving up after 3 attempt(s)") {
		t.Errorf("err = %q, want it to say how many attempts were made", err)
	}
	if strings.Contains(err.Error(), unitKey) || strings.Contains(log.text(), unitKey) {
		t.Errorf("the key leaked:\nerr: %s\nlog:\n%s", testsecrets.Hide(err.Error(), unitKey), testsecrets.Hide(log.text(), unitKey))
	}
	if got := log.count("PlexMCP API request failed", 0); got != 3 {
		t.Errorf("logged %d failed attempts, want 3:\n%s", got, testsecrets.Hide(log.text()))
	}
}

// TestRequestShape pins what goes on the wire for each API and surface:
// the credential header and scheme, Accept, User-Agent, paths, queries and
// escaping.
func TestRequestShape(t *testing.T) {
	t.Parallel()
	type shape struct {
		Route, Query, Authorization, XAPIKey, Accept, UserAgent, Cookie string
	}
	tests := map[string]struct {
		api  API
		call func(context.Context, *Client)
		want shape
	}{
		"hosted management": {
			api:  APIHosted,
			call: func(ctx context.Context, c *Client) { _, _ = c.ListMCPs(ctx, ListMCPsOptions{Status: "active"}) },
			want: shape{Route: "GET /v1/mcps", Query: "page=1&per_page=100&status=active", Authorization: "ApiKey " + unitKey},
		},
		"hosted escaping": {
			api:  APIHosted,
			call: func(ctx context.Context, c *Client) { _, _ = c.GetAPIKey(ctx, "key_a/b?c") },
			want: shape{Route: "GET /v1/api-keys/key_a%2Fb%3Fc", Authorization: "ApiKey " + unitKey},
		},
		"hosted MCP endpoint": {
			api:  APIHosted,
			call: func(ctx context.Context, c *Client) { _, _ = c.Invoke(ctx, InvokeRequest{MCPID: "m", Tool: "t"}) },
			want: shape{Route: "POST /mcp", Authorization: "ApiKey " + unitKey},
		},
		"server management": {
			api:  APIServer,
			call: func(ctx context.Context, c *Client) { _, _ = c.ListMCPs(ctx, ListMCPsOptions{Status: "all"}) },
			want: shape{Route: "GET /api/v1/mcps", Query: "page=1&per_page=100", Authorization: "ApiKey " + unitKey},
		},
		"server status filter": {
			api:  APIServer,
			call: func(ctx context.Context, c *Client) { _, _ = c.ListMCPs(ctx, ListMCPsOptions{Status: "inactive"}) },
			want: shape{Route: "GET /api/v1/mcps", Query: "page=1&per_page=100&status=inactive", Authorization: "ApiKey " + unitKey},
		},
		"server proxy": {
			api:  APIServer,
			call: func(ctx context.Context, c *Client) { _, _ = c.ReachableMCPs(ctx, nil) },
			want: shape{Route: "POST /mcp", XAPIKey: unitKey},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, srv := serve(t, respond(599, ""))
			cfg := fastConfig(srv.URL+apiCases[tc.api].path+"/", tc.api, testKey, nil) // trailing slash tolerated
			cfg.MaxRetries = new(0)
			cfg.UserAgent = "terraform-provider-plexmcp/test"
			// A jar with a cookie for the server: it must never be sent.
			cfg.HTTPClient = &http.Client{Jar: cookieJar{}}
			tc.call(testCtx(t), mustNew(t, cfg))
			if s.attempts() == 0 {
				t.Fatal("no request")
			}
			r := s.reqs[0]
			got := shape{
				Route: r.Method + " " + r.URL.EscapedPath(), Query: r.URL.RawQuery,
				Authorization: r.Header.Get("Authorization"), XAPIKey: r.Header.Get("X-API-Key"),
				Accept: r.Header.Get("Accept"), UserAgent: r.Header.Get("User-Agent"), Cookie: r.Header.Get("Cookie"),
			}
			want := tc.want
			want.Accept, want.UserAgent = "application/json", "terraform-provider-plexmcp/test"
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", testsecrets.Hide(diff, unitKey))
			}
		})
	}
}

// cookieJar offers a session cookie for every URL.
type cookieJar struct{}

func (cookieJar) SetCookies(*url.URL, []*http.Cookie) {}
func (cookieJar) Cookies(*url.URL) []*http.Cookie {
	return []*http.Cookie{{Name: "plexmcp_auth_token", Value: "session"}}
}

// TestLogLines pins what the Logger is told: one line per attempt with
// method, path (no query), status, attempt and duration, and a warning
// before each retry.
func TestLogLines(t *testing.T) {
	t.Parallel()
	_, srv := serve(t, respond(http.StatusServiceUnavailable, hostedErr("unavailable", "down"), "Retry-After", "0"), respond(http.StatusOK, emptyList))
	log := &collector{}
	c := mustNew(t, fastConfig(srv.URL+"/v1", APIHosted, testKey, log))
	if _, err := c.ListMCPs(testCtx(t), ListMCPsOptions{Status: "secret-ish status"}); err != nil {
		t.Fatalf("ListMCPs: %v", err)
	}
	type line struct {
		Level   Level
		Msg     string
		Method  any
		Path    any
		Status  any
		Attempt any
	}
	var got []line
	for _, l := range log.all() {
		if l.Fields["source"] != nil {
			continue // go-retryablehttp's own trace lines
		}
		if l.Fields["duration"] == nil && l.Msg == "PlexMCP API request" {
			t.Errorf("attempt line without a duration: %v", l)
		}
		got = append(got, line{l.Level, l.Msg, l.Fields["method"], l.Fields["path"], l.Fields["status"], l.Fields["attempt"]})
	}
	want := []line{
		{LevelDebug, "PlexMCP API request", "GET", "/v1/mcps", 503, 1},
		{LevelWarn, "PlexMCP API request will be retried", "GET", "/v1/mcps", 503, 1},
		{LevelDebug, "PlexMCP API request", "GET", "/v1/mcps", 200, 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log lines mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(log.text(), "secret-ish") {
		t.Errorf("a query string reached the log:\n%s", testsecrets.Hide(log.text()))
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	// resp builds the answer when the subtest runs: the subtests are
	// parallel, so on a busy machine they may start seconds after the
	// table is built, and a Retry-After date or X-RateLimit-Reset computed
	// then would already be in the past.
	resp := func(status int, headers ...func(now time.Time) (string, string)) func(now time.Time) *http.Response {
		return func(now time.Time) *http.Response {
			h := http.Header{}
			for _, hd := range headers {
				h.Set(hd(now))
			}
			return &http.Response{StatusCode: status, Header: h}
		}
	}
	header := func(name, value string) func(time.Time) (string, string) {
		return func(time.Time) (string, string) { return name, value }
	}
	dateIn := func(d time.Duration) func(time.Time) (string, string) {
		return func(now time.Time) (string, string) { return "Retry-After", now.Add(d).UTC().Format(http.TimeFormat) }
	}
	resetIn := func(d time.Duration) func(time.Time) (string, string) {
		return func(now time.Time) (string, string) { return "X-RateLimit-Reset", fmt.Sprint(now.Add(d).Unix()) }
	}
	const minWait, maxWait = 100 * time.Millisecond, 10 * time.Second
	tests := map[string]struct {
		resp     func(now time.Time) *http.Response // nil: a transport error
		attempt  int
		low, max time.Duration // the wait must lie in [low, max]
	}{
		"transport error, first retry": {attempt: 0, low: minWait, max: minWait * 5 / 4},
		"transport error, third retry": {attempt: 2, low: 4 * minWait, max: 5 * minWait},
		"exponential is capped":        {attempt: 20, low: maxWait, max: maxWait},
		"absurd attempt number":        {attempt: 1000, low: maxWait, max: maxWait},
		"500 ignores Retry-After":      {resp: resp(500, header("Retry-After", "5")), low: minWait, max: minWait * 5 / 4},
		"503 Retry-After seconds":      {resp: resp(503, header("Retry-After", "2")), low: 2 * time.Second, max: 2200 * time.Millisecond},
		"503 Retry-After date":         {resp: resp(503, dateIn(4*time.Second)), low: 2 * time.Second, max: 4400 * time.Millisecond},
		"503 Retry-After date in past": {resp: resp(503, dateIn(-time.Hour)), low: 0, max: 0},
		"503 Retry-After huge":         {resp: resp(503, header("Retry-After", "100000")), low: maxWait, max: maxWait},
		"503 Retry-After garbage":      {resp: resp(503, header("Retry-After", "soon")), low: minWait, max: minWait * 5 / 4},
		"503 Retry-After negative":     {resp: resp(503, header("Retry-After", "-3")), low: minWait, max: minWait * 5 / 4},
		"503 X-RateLimit-Reset only":   {resp: resp(503, resetIn(3*time.Second)), low: time.Second, max: 3300 * time.Millisecond},
		// A 429 is waited out in the pacer's queue, not here.
		"429 goes back to the queue": {resp: resp(429, header("Retry-After", "3")), low: 0, max: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := &callState{ctx: context.Background(), pacer: newPacer(minWait, maxWait)}
			for range 20 { // jitter: every draw must be in range
				var r *http.Response
				if tc.resp != nil {
					r = tc.resp(time.Now())
				}
				got := st.backoff(minWait, maxWait, tc.attempt, r)
				if got < tc.low || got > tc.max {
					t.Fatalf("backoff = %v, want within [%v, %v]", got, tc.low, tc.max)
				}
			}
		})
	}
}

func TestMalformedResponses(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		api        API
		status     int
		body       string
		wantAPIErr *APIError // nil: a plain (non-API) error
	}{
		"hosted garbage 200":          {api: APIHosted, status: 200, body: "<html>hello</html>"},
		"hosted 200 without success":  {api: APIHosted, status: 200, body: `{"data":{"id":"mcp_1"}}`},
		"hosted 200 without data":     {api: APIHosted, status: 200, body: `{"success":true}`},
		"hosted 200 wrong data type":  {api: APIHosted, status: 200, body: `{"success":true,"data":[1,2]}`},
		"hosted 200 bad timestamp":    {api: APIHosted, status: 200, body: hostedOK(`{"id":"m","created_at":"yesterday"}`)},
		"hosted 200 saying it failed": {api: APIHosted, status: 200, body: hostedErr("forbidden", "no"), wantAPIErr: &APIError{StatusCode: 200, Code: "forbidden", Message: "no", Attempts: 1}},
		"hosted garbage 400":          {api: APIHosted, status: 400, body: "<html>bad</html>", wantAPIErr: &APIError{StatusCode: 400, Attempts: 1}},
		"hosted empty 403":            {api: APIHosted, status: 403, wantAPIErr: &APIError{StatusCode: 403, Attempts: 1}},
		"hosted error echoing a key": {
			api: APIHosted, status: 422, body: hostedErr("validation_error", "bad key "+unitKey),
			wantAPIErr: &APIError{StatusCode: 422, Code: "validation_error", Message: "bad key [redacted]", Attempts: 1},
		},
		"hosted details echoing a key": {
			api: APIHosted, status: 422, body: `{"success":false,"error":{"code":"validation_error","message":"Validation failed","details":{"permissions":"unknown MCP: ` + otherKey + `","n":7,"` + unitKey + `":"echoed as a field (the client's own key)"}}}`,
			wantAPIErr: &APIError{StatusCode: 422, Code: "validation_error", Message: "Validation failed", Details: map[string]string{"permissions": "unknown MCP: " + otherKey[:12] + "[redacted]", "n": "7", "[redacted]": "echoed as a field (the client's own key)"}, Attempts: 1},
		},
		"hosted truncated error": {api: APIHosted, status: 400, body: `{"success":false,"error":{"code":"valid`, wantAPIErr: &APIError{StatusCode: 400, Attempts: 1}},
		"server garbage 200":     {api: APIServer, status: 200, body: "<html>hello</html>"},
		"server HTML 502":        {api: APIServer, status: 400, body: "<html><body>Bad Gateway</body></html>", wantAPIErr: &APIError{StatusCode: 400, Attempts: 1}},
		"server text echoing a key": {
			api: APIServer, status: 400, body: "Invalid URL: " + unitKey,
			wantAPIErr: &APIError{StatusCode: 400, Message: "Invalid URL: [redacted]", Attempts: 1},
		},
		"server multi-line text": {api: APIServer, status: 422, body: "first line\nsecond", wantAPIErr: &APIError{StatusCode: 422, Message: "first line", Attempts: 1}},
		"server binary":          {api: APIServer, status: 400, body: "\x00\x01\x02", wantAPIErr: &APIError{StatusCode: 400, Attempts: 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ac := apiCases[tc.api]
			_, srv := serve(t, respond(tc.status, tc.body, "Content-Type", "text/plain"))
			cfg := fastConfig(srv.URL+ac.path, tc.api, testKey, nil)
			cfg.MaxRetries = new(0)
			c := mustNew(t, cfg)
			_, err := c.ListMCPs(testCtx(t), ListMCPsOptions{})
			if err == nil {
				t.Fatal("want an error")
			}
			e, isAPI := asAPIError(err)
			if tc.wantAPIErr == nil {
				if isAPI {
					t.Fatalf("err = %v, want a plain error", err)
				}
				if !errors.Is(err, errMalformed) {
					t.Errorf("err = %v, want one wrapping errMalformed", err)
				}
				return
			}
			if !isAPI {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if diff := cmp.Diff(tc.wantAPIErr, e); diff != "" {
				t.Errorf("APIError mismatch (-want +got):\n%s", testsecrets.Hide(diff))
			}
		})
	}
}
