package refserver

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// limitedServer is a hosted server whose rate limiter runs on a fake clock.
func limitedServer(t *testing.T, cfg Config) (*testServer, *fakeClock) {
	t.Helper()
	ts := newTestServer(t, cfg)
	clock := &fakeClock{t: time.Now()}
	ts.limiter.mu.Lock()
	ts.limiter.now = clock.now
	ts.limiter.mu.Unlock()
	return ts, clock
}

func rateHeaders(r *response) [3]string {
	return [3]string{r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"), r.header.Get("X-RateLimit-Reset")}
}

func TestHostedRateLimit(t *testing.T) {
	t.Parallel()
	ts, clock := limitedServer(t, Config{RateLimit: 2})
	k := ts.createKey(t, allMCPs("limited")) // spends one of the bootstrap key's two tokens
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/nope", k.Key, nil).wantStatus(t, http.StatusNotFound)         // spends nothing
	ts.do(t, "PUT", "/mcps", k.Key, nil).wantStatus(t, http.StatusMethodNotAllowed) // spends nothing
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	r := ts.do(t, "GET", "/mcps", k.Key, nil)
	e := r.hostedError(t, http.StatusTooManyRequests, codeRateLimited)
	if e.Message != "Too many requests" || r.header.Get("Retry-After") != "1" {
		t.Errorf("429: %q, Retry-After %q", e.Message, r.header.Get("Retry-After"))
	}
	if h := rateHeaders(r); h != [3]string{} {
		t.Errorf("X-RateLimit-* %v without -rate-limit-headers", h)
	}
	// POST /mcp is limited with the rest.
	ts.invoke(t, k.Key, invokeBody("mcp_sandbox", "echo", nil)).wantStatus(t, http.StatusTooManyRequests)
	// The 404, the 405 and the GETs were use; the 429s were not.
	if rec := ts.record(t, k.ID); rec.RequestCount != 4 {
		t.Errorf("request_count %d, want 4", rec.RequestCount)
	}
	// Another key has its own bucket; the bootstrap key has one token left.
	ts.do(t, "GET", "/mcps", ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/mcps", ts.AdminKey(), nil).wantStatus(t, http.StatusTooManyRequests)
	// Requests without a valid key are not limited: they are 401 every time.
	for range 5 {
		ts.do(t, "GET", "/mcps", "", nil).wantStatus(t, http.StatusUnauthorized)
		ts.do(t, "GET", "/mcps", flip(k.Key, 50), nil).wantStatus(t, http.StatusUnauthorized)
	}
	// Half a second refills one token at 2 rps.
	clock.advance(500 * time.Millisecond)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusTooManyRequests)
}

func TestHostedRateLimitHeaders(t *testing.T) {
	t.Parallel()
	ts, clock := limitedServer(t, Config{RateLimit: 2, RateLimitHeaders: true, ClockOffset: -2136 * time.Hour})
	k := ts.createKey(t, allMCPs("limited"))
	r := ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	// One token short at 2 rps: full again in half a second, by the
	// server's clock (89 days behind).
	full := ts.Now().Add(500 * time.Millisecond)
	reset, _ := strconv.ParseInt(rateHeaders(r)[2], 10, 64)
	if h := rateHeaders(r); h[0] != "2" || h[1] != "1" || reset < full.Unix() || reset > full.Unix()+2 {
		t.Errorf("first request: %v, want 2, 1 and about %d", h, full.Unix())
	}
	// A 404 to a key carries them too, without spending.
	if h := rateHeaders(ts.do(t, "GET", "/nope", k.Key, nil)); h[0] != "2" || h[1] != "1" {
		t.Errorf("404: %v", h)
	}
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	r = ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusTooManyRequests)
	if h := rateHeaders(r); h[0] != "2" || h[1] != "0" || r.header.Get("Retry-After") != "1" {
		t.Errorf("429: %v, Retry-After %q", h, r.header.Get("Retry-After"))
	}
	// Not on answers to requests without a valid key.
	if h := rateHeaders(ts.do(t, "GET", "/mcps", "", nil)); h != [3]string{} {
		t.Errorf("401: %v", h)
	}
	clock.advance(time.Second)
	// Turning the limit off removes them.
	ts.SetRateLimit(0)
	if h := rateHeaders(ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)); h != [3]string{} {
		t.Errorf("with the limit off: %v", h)
	}
}

func TestNoRateLimitByDefault(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	for range 20 {
		r := ts.do(t, "GET", "/mcps", ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"} {
			if v := r.header.Get(h); v != "" {
				t.Fatalf("%s: %s without a rate limit", h, v)
			}
		}
	}
}
