package refserver

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func TestRateLimiterBucket(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	l := newRateLimiter(2.5, clock.now) // a bucket of ceil(2.5) = 3
	type step struct {
		advance time.Duration
		want    rateDecision
	}
	base := clock.t.Unix()
	for i, s := range []step{
		{0, rateDecision{enabled: true, allowed: true, limit: 3, remaining: 2, reset: base + 1}}, // 1 token short: 0.4 s
		{0, rateDecision{enabled: true, allowed: true, limit: 3, remaining: 1, reset: base + 1}}, // 0.8 s
		{0, rateDecision{enabled: true, allowed: true, limit: 3, remaining: 0, reset: base + 2}}, // 1.2 s
		{0, rateDecision{enabled: true, allowed: false, limit: 3, remaining: 0, reset: base + 2, retryAfter: 1}},
		{400 * time.Millisecond, rateDecision{enabled: true, allowed: true, limit: 3, remaining: 0, reset: base + 2}},
		{10 * time.Second, rateDecision{enabled: true, allowed: true, limit: 3, remaining: 2, reset: base + 11}},
	} {
		clock.advance(s.advance)
		if got := l.take("k"); got != s.want {
			t.Errorf("step %d: %+v, want %+v", i, got, s.want)
		}
	}
	if got := l.take("other"); !got.allowed || got.remaining != 2 {
		t.Errorf("another id shares the bucket: %+v", got)
	}

	slow := newRateLimiter(0.2, clock.now) // one token per 5 s
	slow.take("k")
	if got := slow.take("k"); got.allowed || got.retryAfter != 5 || got.limit != 1 {
		t.Errorf("0.2 rps after one request: %+v", got)
	}
	if got := newRateLimiter(0, clock.now).take("k"); got.enabled {
		t.Errorf("rate 0 is enabled: %+v", got)
	}
}

func TestRateLimiterForgetsFullBuckets(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	l := newRateLimiter(1000, clock.now)
	for i := range maxBuckets {
		l.take(strconv.Itoa(i))
	}
	clock.advance(time.Second)
	l.take("new")
	if n := len(l.buckets); n != 1 {
		t.Errorf("%d buckets after a sweep, want 1", n)
	}
}

func TestRateLimitOverHTTP(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{RateLimit: 2})
	clock := &fakeClock{t: time.Now()}
	ts.limiter.mu.Lock()
	ts.limiter.now = clock.now
	ts.limiter.mu.Unlock()
	k := ts.createKey(t, allMCPs("limited")) // spends one of the admin key's two tokens

	headers := func(r *response) (limit, remaining, reset string) {
		return r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"), r.header.Get("X-RateLimit-Reset")
	}
	r := ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	full := clock.now().Add(500 * time.Millisecond) // one token short at 2 rps
	wantReset := full.Unix()
	if full.Nanosecond() != 0 {
		wantReset++
	}
	if l, rem, reset := headers(r); l != "2" || rem != "1" || reset != strconv.FormatInt(wantReset, 10) {
		t.Errorf("first request: limit %s remaining %s reset %s, want 2 1 %d", l, rem, reset, wantReset)
	}
	ts.do(t, "GET", "/nope", k.Key, nil).wantStatus(t, http.StatusNotFound) // 404s spend and carry headers too
	r = ts.do(t, "GET", "/mcps", k.Key, nil)
	e := r.wantError(t, http.StatusTooManyRequests, codeRateLimited, "")
	if ra := r.header.Get("Retry-After"); ra != "1" || e.Message == "" {
		t.Errorf("429: Retry-After %q", ra)
	}
	if l, rem, _ := headers(r); l != "2" || rem != "0" {
		t.Errorf("429: limit %s remaining %s", l, rem)
	}
	// Only the first GET counts: the 404 needs no key, the 429 is not use.
	if rec := ts.record(t, k.ID); rec.RequestCount != 1 {
		t.Errorf("request_count %d, want 1", rec.RequestCount)
	}

	// Another key has its own bucket; the admin key has one token left.
	ts.do(t, "GET", "/mcps", ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/mcps", ts.AdminKey(), nil).wantStatus(t, http.StatusTooManyRequests)

	// Requests without a usable key share their address's bucket.
	ts.do(t, "GET", "/mcps", "", nil).wantStatus(t, http.StatusUnauthorized)
	ts.do(t, "GET", "/mcps", "", nil, "Authorization", "Bearer pk_live_typo").wantStatus(t, http.StatusUnauthorized)
	r = ts.do(t, "GET", "/mcps", "", nil, "Authorization", "Basic x")
	r.wantStatus(t, http.StatusTooManyRequests)
	if r.header.Get("X-RateLimit-Limit") != "2" {
		t.Error("429 without rate-limit headers")
	}

	// Half a second refills one token at 2 rps.
	clock.advance(500 * time.Millisecond)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusTooManyRequests)

	// Turning the limit off removes the headers.
	ts.SetRateLimit(0)
	r = ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	if l, rem, reset := headers(r); l+rem+reset != "" {
		t.Errorf("headers with the limit off: %q %q %q", l, rem, reset)
	}
}

func TestNoRateLimitHeadersByDefault(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	for range 20 {
		r := ts.do(t, "GET", "/mcps", ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"} {
			if v := r.header.Get(h); v != "" {
				t.Fatalf("%s: %s without a rate limit", h, v)
			}
		}
	}
}
