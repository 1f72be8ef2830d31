package refserver

import (
	"encoding/hex"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxBuckets bounds the limiter's memory: past it, buckets that have
// refilled completely (and so carry no information) are dropped.
const maxBuckets = 10000

// rateLimiter is a token bucket per presented credential. Its clock is
// separate from the server's offset clock: moving the server's clock to
// expire a key must not refill every bucket, and tests inject a fake one.
type rateLimiter struct {
	mu      sync.Mutex
	rps     float64
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// rateDecision is what one request learns from the limiter.
type rateDecision struct {
	enabled    bool
	allowed    bool
	limit      int
	remaining  int
	reset      int64 // unix seconds when the bucket is full again
	retryAfter int   // whole seconds until one token is back; ≥ 1
}

func newRateLimiter(rps float64, now func() time.Time) *rateLimiter {
	return &rateLimiter{rps: rps, now: now, buckets: map[string]*bucket{}}
}

func (l *rateLimiter) setRate(rps float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rps = max(rps, 0)
	l.buckets = map[string]*bucket{}
}

func (l *rateLimiter) capacity() float64 { return max(math.Ceil(l.rps), 1) }

// take spends a token from id's bucket if it has one.
func (l *rateLimiter) take(id string) rateDecision {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rps <= 0 {
		return rateDecision{}
	}
	capacity, now := l.capacity(), l.now()
	b := l.buckets[id]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: capacity, last: now}
		l.buckets[id] = b
	}
	l.refill(b, now)
	d := rateDecision{enabled: true, limit: int(capacity)}
	// The epsilon absorbs float error in refills such as 10 × 0.1 s.
	if b.tokens >= 1-1e-9 {
		b.tokens = max(b.tokens-1, 0)
		d.allowed = true
	} else {
		d.retryAfter = max(1, int(math.Ceil((1-b.tokens)/l.rps)))
	}
	d.remaining = int(math.Floor(b.tokens + 1e-9))
	full := now.Add(time.Duration((capacity - b.tokens) / l.rps * float64(time.Second)))
	d.reset = full.Unix()
	if full.Nanosecond() != 0 {
		d.reset++
	}
	return d
}

func (l *rateLimiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.capacity(), b.tokens+elapsed.Seconds()*l.rps)
		b.last = now
	}
}

func (l *rateLimiter) sweep(now time.Time) {
	for id, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.capacity() {
			delete(l.buckets, id)
		}
	}
}

// rateLimit sets the X-RateLimit-* headers (only when limiting is on) and
// refuses the request once its bucket is empty. The bucket is chosen by the
// credential presented, valid or not, so one client's burst cannot starve
// another; requests without a well-formed key share one bucket per address.
func (s *Server) rateLimit(c *call) *apiError {
	id := "addr:" + remoteHost(c.r)
	if token, ok := bearerToken(c.r.Header.Get("Authorization")); ok && wellFormedKey(token) {
		d := keyDigest(token)
		id = "key:" + hex.EncodeToString(d[:])
	}
	d := s.limiter.take(id)
	if !d.enabled {
		return nil
	}
	h := c.w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(d.reset, 10))
	if d.allowed {
		return nil
	}
	h.Set("Retry-After", strconv.Itoa(d.retryAfter))
	return errorf(http.StatusTooManyRequests, codeRateLimited, "Rate limit exceeded; retry after %d s", d.retryAfter)
}
