package plexmcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// These tests use small httptest handlers for the fault shapes the reference
// server cannot produce on demand: exact Retry-After values, missing
// rate-limit headers, garbage bodies, statuses it never sends.

var testKey = NewSecret("pk_test_UnitTestKey0123456789abcdefghijkl123456")

const mcpBody = `{"success":true,"data":{"id":"mcp_weather","name":"Weather API","description":"d","mode":"live","status":"active","tools":["get_weather"],"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}`

func errBody(code, msg string) string {
	return fmt.Sprintf(`{"success":false,"error":{"code":%q,"message":%q}}`, code, msg)
}

// scripted serves the i-th response of a script, repeating the last one,
// and records when each attempt arrived.
type scripted struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter, r *http.Request)
	times []time.Time
	reqs  []*http.Request
	bodys []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := len(s.times)
	s.times = append(s.times, time.Now())
	s.reqs = append(s.reqs, r)
	s.bodys = append(s.bodys, string(body))
	step := s.steps[min(i, len(s.steps)-1)]
	s.mu.Unlock()
	step(w, r)
}

func (s *scripted) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.times)
}

func reply(status int, body string, headers ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// hangUp closes the connection without an answer, like a server that
// crashed or a proxy that dropped the response.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("httptest's ResponseWriter can always be hijacked")
	}
	if conn, _, err := hj.Hijack(); err == nil {
		conn.Close()
	}
}

func serve(t *testing.T, steps ...func(http.ResponseWriter, *http.Request)) (*scripted, *httptest.Server) {
	t.Helper()
	s := &scripted{steps: steps}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func TestRetryAfterDelaysNextAttempt(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"seconds":   "1",
		"http-date": "", // filled in at run time: two seconds from now
	}
	for name, retryAfter := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := time.Second
			if retryAfter == "" {
				// An HTTP date has whole seconds, so two seconds ahead is
				// at least one second away.
				retryAfter = time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
			}
			s, srv := serve(t,
				reply(http.StatusTooManyRequests, errBody("rate_limited", "slow down"), "Retry-After", retryAfter),
				reply(http.StatusOK, mcpBody))
			cfg := fastConfig(srv.URL+"/v1", testKey, nil)
			cfg.RetryWaitMax = 10 * time.Second
			c := mustNew(t, cfg)
			if _, err := c.GetMCP(testCtx(t), "mcp_weather"); err != nil {
				t.Fatalf("GetMCP: %v", err)
			}
			if got := s.attempts(); got != 2 {
				t.Fatalf("attempts = %d, want 2", got)
			}
			if gap := s.times[1].Sub(s.times[0]); gap < want {
				t.Errorf("second attempt came %v after the 429, want at least %v", gap, want)
			}
		})
	}
}

func TestRetryWaitsAreCappedAtRetryWaitMax(t *testing.T) {
	t.Parallel()
	farReset := fmt.Sprint(time.Now().Add(24 * time.Hour).Unix())
	tests := map[string][]string{
		"huge Retry-After":     {"Retry-After", "100000"},
		"far X-RateLimit-Rest": {"X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", farReset},
		"503 Retry-After":      {"Retry-After", "100000"},
	}
	for name, headers := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			status := http.StatusTooManyRequests
			if strings.HasPrefix(name, "503") {
				status = http.StatusServiceUnavailable
			}
			s, srv := serve(t, reply(status, errBody("rate_limited", "slow down"), headers...), reply(http.StatusOK, mcpBody))
			cfg := fastConfig(srv.URL+"/v1", testKey, nil)
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
	answered := make(chan struct{})
	var once sync.Once
	s, srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		reply(http.StatusServiceUnavailable, errBody("unavailable", "down"), "Retry-After", "3600")(w, r)
		once.Do(func() { close(answered) })
	})
	cfg := fastConfig(srv.URL+"/v1", testKey, nil)
	cfg.RetryWaitMax = time.Hour
	c := mustNew(t, cfg)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the first attempt has been answered, while the
		// client waits out its hour-long back-off.
		<-answered
		cancel()
	}()
	done := make(chan error, 1)
	go func() { _, err := c.GetMCP(ctx, "mcp_weather"); done <- err }()
	var err error
	select {
	case err = <-done:
	case <-testCtx(t).Done():
		t.Fatal("GetMCP still waits 45 s after its context was cancelled; the back-off ignores the context")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want one wrapping context.Canceled", err)
	}
	if got := s.attempts(); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}

func TestRetryPolicyByStatus(t *testing.T) {
	t.Parallel()
	const maxRetries = 2
	tests := map[string]struct {
		status       int
		code         string
		call         string // "get" (default), "list", "create" or "invoke"
		wantAttempts int
	}{
		"400 is final": {status: 400, code: "validation_error", wantAttempts: 1},
		"401 is final": {status: 401, code: "unauthorized", wantAttempts: 1},
		"403 is final": {status: 403, code: "forbidden", wantAttempts: 1},
		// A list, because a 404 from GetMCP is confirmed by a second request.
		"404 is final":                   {status: 404, code: "not_found", call: "list", wantAttempts: 1},
		"409 on a read is final":         {status: 409, code: "conflict", wantAttempts: 1},
		"422 is final":                   {status: 422, code: "idempotency_mismatch", call: "create", wantAttempts: 1},
		"409 other code on create":       {status: 409, code: "something_else", call: "create", wantAttempts: 1},
		"409 conflict on create":         {status: 409, code: "conflict", call: "create", wantAttempts: 1 + maxRetries},
		"501 is final":                   {status: 501, code: "not_implemented", wantAttempts: 1},
		"500 is retried":                 {status: 500, code: "internal_error", wantAttempts: 1 + maxRetries},
		"502 is retried":                 {status: 502, code: "bad_gateway", wantAttempts: 1 + maxRetries},
		"503 is retried":                 {status: 503, code: "unavailable", wantAttempts: 1 + maxRetries},
		"504 is retried":                 {status: 504, code: "timeout", wantAttempts: 1 + maxRetries},
		"429 is retried":                 {status: 429, code: "rate_limited", wantAttempts: 1 + maxRetries},
		"500 on create is retried":       {status: 500, code: "internal_error", call: "create", wantAttempts: 1 + maxRetries},
		"500 on invoke is final":         {status: 500, code: "internal_error", call: "invoke", wantAttempts: 1},
		"503 on invoke is retried":       {status: 503, code: "unavailable", call: "invoke", wantAttempts: 1 + maxRetries},
		"429 on invoke is retried":       {status: 429, code: "rate_limited", call: "invoke", wantAttempts: 1 + maxRetries},
		"validation details kept intact": {status: 400, code: "validation_error", wantAttempts: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body := fmt.Sprintf(`{"success":false,"error":{"code":%q,"message":"server says %d","details":{"field":"name"}}}`, tc.code, tc.status)
			s, srv := serve(t, reply(tc.status, body, "Retry-After", "0"))
			cfg := fastConfig(srv.URL+"/v1", testKey, nil)
			cfg.MaxRetries = maxRetries
			c := mustNew(t, cfg)
			var err error
			switch tc.call {
			case "create":
				_, err = c.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "x", Permissions: Permissions{AllMCPs: true}})
			case "invoke":
				_, err = c.Invoke(testCtx(t), InvokeRequest{MCPID: "mcp_weather", Tool: "get_weather"})
			case "list":
				_, err = c.ListMCPs(testCtx(t), ListMCPsOptions{})
			default:
				_, err = c.GetMCP(testCtx(t), "mcp_weather")
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			want := &APIError{
				StatusCode: tc.status,
				Code:       tc.code,
				Message:    fmt.Sprintf("server says %d", tc.status),
				Details:    map[string]any{"field": "name"},
				Attempts:   tc.wantAttempts,
			}
			if diff := cmp.Diff(want, apiErr); diff != "" {
				t.Errorf("APIError mismatch (-want +got):\n%s", diff)
			}
			if got := s.attempts(); got != tc.wantAttempts {
				t.Errorf("server saw %d attempts, want %d", got, tc.wantAttempts)
			}
		})
	}
}

func TestDroppedConnection(t *testing.T) {
	t.Parallel()
	okInvoke := `{"success":true,"data":{"mcp_id":"mcp_weather","tool":"get_weather","result":{"t":1}}}`
	tests := map[string]struct {
		call         string
		wantAttempts int
		wantErr      bool
	}{
		// Reads are safe to resend after a hang-up.
		"get is retried": {call: "get", wantAttempts: 2},
		// A tool call the server may already have run is not resent.
		"invoke is not resent once delivered": {call: "invoke", wantAttempts: 1, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ok := reply(http.StatusOK, mcpBody)
			if tc.call == "invoke" {
				ok = reply(http.StatusOK, okInvoke)
			}
			s, srv := serve(t, hangUp, ok)
			c := mustNew(t, fastConfig(srv.URL+"/v1", testKey, nil))
			var err error
			if tc.call == "invoke" {
				_, err = c.Invoke(testCtx(t), InvokeRequest{MCPID: "mcp_weather", Tool: "get_weather"})
			} else {
				_, err = c.GetMCP(testCtx(t), "mcp_weather")
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				var apiErr *APIError
				if errors.As(err, &apiErr) {
					t.Errorf("a hang-up came back as an *APIError: %v", err)
				}
			}
			if got := s.attempts(); got != tc.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tc.wantAttempts)
			}
		})
	}
}

func TestCreateResendsSameIdempotencyKeyAndBody(t *testing.T) {
	t.Parallel()
	created := `{"success":true,"data":{"id":"key_1","name":"ci","description":"","mode":"live","key_prefix":"pk_live_abcd","permissions":{"mcps":"*"},"expires_at":null,"status":"active","created_at":"2026-01-01T00:00:00Z","last_used_at":null,"request_count":0,"revoked_at":null,"key":"pk_live_abcdSECRETSECRETSECRETSECRETSE123456"}}`
	s, srv := serve(t,
		hangUp,
		reply(http.StatusServiceUnavailable, errBody("unavailable", "down")),
		reply(http.StatusConflict, errBody("conflict", "in flight")),
		reply(http.StatusCreated, created, "Idempotent-Replayed", "true"))
	cfg := fastConfig(srv.URL+"/v1", testKey, nil)
	c := mustNew(t, cfg)
	got, err := c.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}})
	if err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	if !got.Replayed || got.ID != "key_1" || got.Key.Reveal() != "pk_live_abcdSECRETSECRETSECRETSECRETSE123456" {
		t.Errorf("got %+v (replayed %v), want key_1 replayed", got.APIKey, got.Replayed)
	}
	if s.attempts() != 4 {
		t.Fatalf("attempts = %d, want 4", s.attempts())
	}
	first := s.reqs[0].Header.Get("Idempotency-Key")
	if len(first) != 32 {
		t.Errorf("Idempotency-Key %q: want 128 bits in hex", first)
	}
	for i, r := range s.reqs {
		if k := r.Header.Get("Idempotency-Key"); k != first {
			t.Errorf("attempt %d sent Idempotency-Key %q, want %q", i+1, k, first)
		}
		if s.bodys[i] != s.bodys[0] {
			t.Errorf("attempt %d body %q differs from the first %q", i+1, s.bodys[i], s.bodys[0])
		}
		if a := r.Header.Get("Authorization"); a != "Bearer "+testKey.Reveal() {
			t.Errorf("attempt %d Authorization header is wrong", i+1)
		}
	}
}

func TestMalformedResponses(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		status     int
		body       string
		wantAPIErr *APIError // nil: a plain (non-API) error
	}{
		"garbage 200":          {status: 200, body: "<html>hello</html>"},
		"200 without success":  {status: 200, body: `{"data":{"id":"mcp_1"}}`},
		"200 without data":     {status: 200, body: `{"success":true}`},
		"200 wrong data type":  {status: 200, body: `{"success":true,"data":[1,2]}`},
		"200 saying it failed": {status: 200, body: errBody("forbidden", "no"), wantAPIErr: &APIError{StatusCode: 200, Code: "forbidden", Message: "no", Attempts: 1}},
		"garbage 404":          {status: 404, body: "<html>not here</html>", wantAPIErr: &APIError{StatusCode: 404, Attempts: 1}},
		"empty 403":            {status: 403, wantAPIErr: &APIError{StatusCode: 403, Attempts: 1}},
		"error echoing a key":  {status: 400, body: errBody("validation_error", "bad key pk_live_abcdefABCDEF0123456789"), wantAPIErr: &APIError{StatusCode: 400, Code: "validation_error", Message: "bad key pk_live_[redacted]", Attempts: 1}},
		"details echoing a key": {
			status:     400,
			body:       `{"success":false,"error":{"code":"validation_error","message":"Unknown MCP","details":{"field":"mcp_ids","value":"pk_live_abcdefABCDEF0123456789"}}}`,
			wantAPIErr: &APIError{StatusCode: 400, Code: "validation_error", Message: "Unknown MCP", Details: map[string]any{"field": "mcp_ids", "value": "pk_live_[redacted]"}, Attempts: 1},
		},
		"truncated error object": {status: 400, body: `{"success":false,"error":{"code":"valid`, wantAPIErr: &APIError{StatusCode: 400, Attempts: 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// The second answer is for the request that confirms a 404.
			_, srv := serve(t, reply(tc.status, tc.body), reply(http.StatusOK, emptyList))
			c := mustNew(t, fastConfig(srv.URL+"/v1", testKey, nil))
			_, err := c.GetMCP(testCtx(t), "mcp_1")
			if err == nil {
				t.Fatal("want an error")
			}
			var apiErr *APIError
			isAPI := errors.As(err, &apiErr)
			if tc.wantAPIErr == nil {
				if isAPI {
					t.Fatalf("err = %v, want a plain error", err)
				}
				return
			}
			if diff := cmp.Diff(tc.wantAPIErr, apiErr); diff != "" {
				t.Errorf("APIError mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTransportErrorAfterRetries(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	log := &collector{}
	cfg := fastConfig(url+"/v1", testKey, log)
	cfg.MaxRetries = 2
	c := mustNew(t, cfg)
	_, err := c.GetAPIKey(testCtx(t), "pk_live_IdLooksLikeAKey0123456789")
	if err == nil {
		t.Fatal("want an error")
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want a transport error", err)
	}
	if !strings.Contains(err.Error(), "giving up after 3 attempt(s)") {
		t.Errorf("err = %q, want it to say how many attempts were made", err)
	}
	for _, secret := range []string{testKey.Reveal(), "pk_live_IdLooksLikeAKey0123456789"} {
		if strings.Contains(err.Error(), secret) || strings.Contains(log.text(), secret) {
			t.Errorf("a key leaked:\nerr: %s\nlog:\n%s", testsecrets.Hide(err.Error(), secret), testsecrets.Hide(log.text(), secret))
		}
	}
	if got := log.count("PlexMCP API request failed", 0); got != 3 {
		t.Errorf("logged %d failed attempts, want 3:\n%s", got, testsecrets.Hide(log.text()))
	}
}

func TestNoRateLimitHeadersMeansNoPacing(t *testing.T) {
	t.Parallel()
	s, srv := serve(t, reply(http.StatusOK, mcpBody))
	c := mustNew(t, fastConfig(srv.URL+"/v1", testKey, nil))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := c.GetMCP(testCtx(t), "mcp_weather"); err != nil {
				t.Errorf("GetMCP: %v", err)
			}
		})
	}
	wg.Wait()
	if s.attempts() != 50 {
		t.Errorf("attempts = %d, want 50", s.attempts())
	}
	// How the pacer paces is TestPacer*'s business; here it must simply
	// have learnt that there is no limit to mirror.
	c.pacer.mu.Lock()
	defer c.pacer.mu.Unlock()
	if !c.pacer.probed || c.pacer.limited {
		t.Errorf("pacer probed=%v limited=%v after answers without rate-limit headers, want probed and unlimited",
			c.pacer.probed, c.pacer.limited)
	}
}

func TestRequestShape(t *testing.T) {
	t.Parallel()
	s, srv := serve(t, reply(http.StatusOK, emptyList))
	cfg := fastConfig(srv.URL+"/v1/", testKey, nil) // trailing slash tolerated
	cfg.UserAgent = "terraform-provider-plexmcp/test"
	c := mustNew(t, cfg)
	if _, err := c.ListMCPs(testCtx(t), ListMCPsOptions{Name: "Weather API", Status: "active"}); err != nil {
		t.Fatalf("ListMCPs: %v", err)
	}
	if _, err := c.GetAPIKey(testCtx(t), "key_a/b?c"); err == nil {
		t.Fatal("GetAPIKey: want an error decoding [] as a key")
	}
	r := s.reqs[0]
	got := map[string]string{
		"path":       r.URL.Path,
		"query":      r.URL.RawQuery,
		"user-agent": r.Header.Get("User-Agent"),
		"accept":     r.Header.Get("Accept"),
		"escaped":    s.reqs[1].URL.EscapedPath(),
	}
	want := map[string]string{
		"path":       "/v1/mcps",
		"query":      "name=Weather+API&page=1&per_page=100&status=active",
		"user-agent": "terraform-provider-plexmcp/test",
		"accept":     "application/json",
		"escaped":    "/v1/api-keys/key_a%2Fb%3Fc",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	resp := func(status int, headers ...string) *http.Response {
		h := http.Header{}
		for i := 0; i+1 < len(headers); i += 2 {
			h.Set(headers[i], headers[i+1])
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	const minWait, maxWait = 100 * time.Millisecond, 10 * time.Second
	tests := map[string]struct {
		resp     *http.Response
		attempt  int
		low, max time.Duration // the wait must lie in [low, max]
	}{
		"transport error, first retry":  {attempt: 0, low: minWait, max: minWait * 5 / 4},
		"transport error, third retry":  {attempt: 2, low: 4 * minWait, max: 5 * minWait},
		"exponential is capped":         {attempt: 20, low: maxWait, max: maxWait},
		"absurd attempt number":         {attempt: 1000, low: maxWait, max: maxWait},
		"500 ignores Retry-After":       {resp: resp(500, "Retry-After", "5"), low: minWait, max: minWait * 5 / 4},
		"429 Retry-After seconds":       {resp: resp(429, "Retry-After", "3"), low: 3 * time.Second, max: 3300 * time.Millisecond},
		"503 Retry-After seconds":       {resp: resp(503, "Retry-After", "2"), low: 2 * time.Second, max: 2200 * time.Millisecond},
		"429 Retry-After date":          {resp: resp(429, "Retry-After", now.Add(4*time.Second).Format(http.TimeFormat)), low: 4 * time.Second, max: 4400 * time.Millisecond},
		"429 Retry-After date in past":  {resp: resp(429, "Retry-After", now.Add(-time.Hour).Format(http.TimeFormat)), low: 0, max: 0},
		"429 Retry-After huge":          {resp: resp(429, "Retry-After", "100000"), low: maxWait, max: maxWait},
		"429 Retry-After garbage":       {resp: resp(429, "Retry-After", "soon"), low: minWait, max: minWait * 5 / 4},
		"429 Retry-After negative":      {resp: resp(429, "Retry-After", "-3"), low: minWait, max: minWait * 5 / 4},
		"429 X-RateLimit-Reset only":    {resp: resp(429, "X-RateLimit-Reset", fmt.Sprint(now.Add(2*time.Second).Unix())), low: 2 * time.Second, max: 2200 * time.Millisecond},
		"429 Retry-After beats Reset":   {resp: resp(429, "Retry-After", "1", "X-RateLimit-Reset", fmt.Sprint(now.Add(5*time.Second).Unix())), low: time.Second, max: 1100 * time.Millisecond},
		"429 Reset far ahead is capped": {resp: resp(429, "X-RateLimit-Reset", fmt.Sprint(now.Add(48*time.Hour).Unix())), low: maxWait, max: maxWait},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := &callState{ctx: context.Background(), now: func() time.Time { return now }}
			for range 20 { // jitter: every draw must be in range
				got := st.backoff(minWait, maxWait, tc.attempt, tc.resp)
				if got < tc.low || got > tc.max {
					t.Fatalf("backoff = %v, want within [%v, %v]", got, tc.low, tc.max)
				}
			}
		})
	}
}

// TestPerAttemptTimeout checks RequestTimeout bounds each attempt, not the
// call: a hung first attempt is abandoned and the retry succeeds.
func TestPerAttemptTimeout(t *testing.T) {
	t.Parallel()
	// The first attempt hangs until the client gives up on it; without a
	// per-attempt timeout the call would hang until testCtx ends it.
	slow := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	s, srv := serve(t, slow, reply(http.StatusOK, mcpBody))
	cfg := fastConfig(srv.URL+"/v1", testKey, nil)
	cfg.RequestTimeout = 200 * time.Millisecond
	c := mustNew(t, cfg)
	if _, err := c.GetMCP(testCtx(t), "mcp_weather"); err != nil {
		t.Fatalf("GetMCP: %v", err)
	}
	if s.attempts() != 2 {
		t.Errorf("attempts = %d, want 2", s.attempts())
	}
}

// TestLogLines pins what the Logger is told: one line per attempt with
// method, path (no query), status, attempt and duration, and a warning
// before each retry.
func TestLogLines(t *testing.T) {
	t.Parallel()
	list := emptyList
	_, srv := serve(t, reply(http.StatusServiceUnavailable, errBody("unavailable", "down"), "Retry-After", "0"), reply(http.StatusOK, list))
	log := &collector{}
	c := mustNew(t, fastConfig(srv.URL+"/v1", testKey, log))
	if _, err := c.ListMCPs(testCtx(t), ListMCPsOptions{Name: "secret-ish name"}); err != nil {
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

// emptyList is a list answer with no items.
const emptyList = `{"success":true,"data":[],"pagination":{"page":1,"per_page":100,"total":0,"total_pages":0}}`
