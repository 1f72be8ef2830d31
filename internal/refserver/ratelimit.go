package refserver

import (
	"math"
	"sync"
	"time"
)

// maxBuckets bounds the limiter's memory: past it, buckets that have
// refilled completely (and so carry no information) are dropped.
const maxBuckets = 10000

// rateLimiter is the -rate-limit token bucket, one per key. Its clock is
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
	untilFull  time.Duration // until the bucket is full again
	retryAfter int           // whole seconds until one token is back; ≥ 1
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
func (l *rateLimiter) take(id string) rateDecision { return l.decide(id, true) }

// peek reports on id's bucket without spending, for the headers of an
// answer that the limiter does not govern (a 404 or 405).
func (l *rateLimiter) peek(id string) rateDecision {
	d := l.decide(id, false)
	d.allowed = d.enabled
	return d
}

func (l *rateLimiter) decide(id string, spend bool) rateDecision {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rps <= 0 {
		return rateDecision{}
	}
	capacity, now := l.capacity(), l.now()
	b := l.buckets[id]
	if b == nil {
		if !spend {
			return rateDecision{enabled: true, limit: int(capacity), remaining: int(capacity)}
		}
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: capacity, last: now}
		l.buckets[id] = b
	}
	l.refill(b, now)
	d := rateDecision{enabled: true, limit: int(capacity)}
	// The epsilon absorbs float error in refills such as 10 × 0.1 s.
	switch {
	case !spend:
	case b.tokens >= 1-1e-9:
		b.tokens = max(b.tokens-1, 0)
		d.allowed = true
	default:
		d.retryAfter = max(1, int(math.Ceil((1-b.tokens)/l.rps)))
	}
	d.remaining = int(math.Floor(b.tokens + 1e-9))
	d.untilFull = time.Duration((capacity - b.tokens) / l.rps * float64(time.Second))
	return d
}

// resetAt is X-RateLimit-Reset: unix seconds, rounded up, when the bucket
// is full again by the server's clock now.
func (d rateDecision) resetAt(now time.Time) int64 {
	full := now.Add(d.untilFull)
	reset := full.Unix()
	if full.Nanosecond() != 0 {
		reset++
	}
	return reset
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

// minuteLimiter is a PlexMCP server's proxy limit: per key id, at most the
// key's rate_limit_rpm requests in each fixed 60-second window aligned to
// UTC minutes of the server's clock. Refused requests are not counted.
type minuteLimiter struct {
	mu      sync.Mutex
	windows map[string]minuteWindow
}

type minuteWindow struct {
	start int64 // unix seconds, divisible by 60
	count int
}

// minuteDecision is the outcome of one proxy request.
type minuteDecision struct {
	allowed    bool
	remaining  int
	resetAt    int64 // unix seconds when the window ends
	retryAfter int64 // seconds to the window's end, when refused
}

func newMinuteLimiter() *minuteLimiter { return &minuteLimiter{windows: map[string]minuteWindow{}} }

func (l *minuteLimiter) take(id string, limit int, now time.Time) minuteDecision {
	l.mu.Lock()
	defer l.mu.Unlock()
	sec := now.Unix()
	start := sec - sec%60
	if sec < 0 && sec%60 != 0 {
		start -= 60 // floor, for clocks set before 1970
	}
	w := l.windows[id]
	if w.start != start {
		w = minuteWindow{start: start}
		if len(l.windows) >= maxBuckets { // past windows carry no information
			for k, old := range l.windows {
				if old.start != start {
					delete(l.windows, k)
				}
			}
		}
	}
	d := minuteDecision{allowed: w.count < limit, resetAt: start + 60}
	if d.allowed {
		w.count++
	} else {
		d.retryAfter = start + 60 - sec
	}
	d.remaining = max(limit-w.count, 0)
	l.windows[id] = w
	return d
}
