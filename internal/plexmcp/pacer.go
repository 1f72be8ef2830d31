package plexmcp

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// pacer keeps one credential under the server's rate limit.
//
// Terraform runs up to ten operations at once on one client. Left alone they
// would all fire, drain the server's token bucket, and most would come back
// 429 and sleep for a Retry-After, then fire together again. Instead the
// pacer mirrors the server's bucket from the X-RateLimit-* headers of every
// response and hands out send slots under a mutex: while tokens remain,
// requests go at once; when they run out, each caller reserves the next slot
// at the server's refill rate and waits for it, so the callers queue instead
// of colliding.
//
// The mirror is deliberately pessimistic: it subtracts every request it lets
// through, and each response can only lower the count (to the server's
// Remaining less what is still in flight), never raise it, so a second user
// of the same key or a slower-than-estimated refill shows up as waiting, not
// as 429s. Without the headers there is nothing to mirror and no pacing.
type pacer struct {
	mu  sync.Mutex
	now func() time.Time

	// The first request on a fresh client goes alone: until its response
	// arrives nothing is known about the limit, and ten parallel creates
	// would otherwise start with a burst the bucket cannot absorb.
	probed  bool
	probing chan struct{}

	limited  bool    // the last response carried rate-limit headers
	limit    float64 // bucket size
	rate     float64 // tokens per second
	tokens   float64 // may go negative: that many slots are reserved ahead
	last     time.Time
	inflight int
}

// probeWait bounds how long callers wait for the first response before
// going ahead unpaced, so a slow first request cannot stall the others.
const probeWait = 2 * time.Second

// minRate keeps a misread header from scheduling slots hours apart.
const minRate = 0.05

func newPacer() *pacer { return &pacer{now: time.Now} }

// wait blocks until the caller may send, or ctx ends. The returned release
// must be called with the attempt's response (nil on a transport error).
func (p *pacer) wait(ctx context.Context) (release func(*http.Response), err error) {
	p.mu.Lock()
	probe := false
	for !p.probed {
		if p.probing == nil {
			p.probing = make(chan struct{})
			probe = true
			break
		}
		ch := p.probing
		p.mu.Unlock()
		timer := time.NewTimer(probeWait)
		select {
		case <-ch:
			timer.Stop()
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
		p.mu.Lock()
		if !p.probed {
			// The probe is slow; go ahead without pacing this once.
			break
		}
	}

	var delay time.Duration
	if p.limited {
		now := p.now()
		p.refill(now)
		p.tokens--
		if p.tokens < 0 {
			delay = time.Duration(-p.tokens / p.rate * float64(time.Second))
		}
	}
	p.inflight++
	reserved := p.limited
	p.mu.Unlock()

	release = func(resp *http.Response) { p.release(resp, probe) }
	if delay <= 0 {
		return release, nil
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return release, nil
	case <-ctx.Done():
		p.mu.Lock()
		if reserved && p.limited {
			// Hand the slot back so the callers behind are not delayed
			// for a request that will never be sent.
			p.tokens++
		}
		p.mu.Unlock()
		p.release(nil, probe)
		return nil, ctx.Err()
	}
}

func (p *pacer) refill(now time.Time) {
	if elapsed := now.Sub(p.last).Seconds(); elapsed > 0 {
		p.tokens = math.Min(p.limit, p.tokens+elapsed*p.rate)
	}
	p.last = now
}

// release records the end of an attempt and folds its rate-limit headers
// into the mirror.
func (p *pacer) release(resp *http.Response, probe bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight--
	if probe {
		p.probed = true
		close(p.probing)
	}
	if resp == nil {
		return
	}
	limit, remaining, reset, ok := rateHeaders(resp.Header)
	if !ok {
		p.limited = false
		return
	}
	now := p.now()
	others := float64(p.inflight)
	if !p.limited {
		p.limited = true
		p.tokens = remaining - others
		p.last = now
	}
	p.limit = limit
	p.rate = estimateRate(limit, remaining, reset, now)
	p.refill(now)
	if target := remaining - others; target < p.tokens {
		p.tokens = target
	}
	if resp.StatusCode == http.StatusTooManyRequests && p.tokens > -others {
		p.tokens = -others
	}
}

// estimateRate derives the refill rate from the headers. The reference
// server's bucket holds ceil(RPS) tokens, so Limit per second is an upper
// bound that is exact for whole-number rates. When Reset says a refill takes
// clearly longer than that (more than the one second that whole-second
// timestamps can explain), the refill is slower than the bound and
// (Limit−Remaining)/(Reset−now) is used instead. A Reset in the past or
// absurdly far ahead (a skewed clock) is ignored.
func estimateRate(limit, remaining float64, reset time.Time, now time.Time) float64 {
	rate := math.Max(limit, 1)
	if missing := limit - remaining; missing > 0 && !reset.IsZero() {
		ttf := reset.Sub(now).Seconds()
		if ttf > 0 && ttf <= 3600 && ttf > missing/rate+1 {
			rate = missing / ttf
		}
	}
	return math.Max(rate, minRate)
}

// rateHeaders reads X-RateLimit-Limit, -Remaining and -Reset. ok is false
// unless Limit and Remaining are present and sane; Reset is optional.
func rateHeaders(h http.Header) (limit, remaining float64, reset time.Time, ok bool) {
	l, err1 := strconv.ParseFloat(h.Get("X-RateLimit-Limit"), 64)
	r, err2 := strconv.ParseFloat(h.Get("X-RateLimit-Remaining"), 64)
	if err1 != nil || err2 != nil || l <= 0 || r < 0 || math.IsInf(l, 0) || math.IsNaN(r) || math.IsInf(r, 0) {
		return 0, 0, time.Time{}, false
	}
	if r > l {
		r = l
	}
	if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil && s > 0 {
		reset = time.Unix(s, 0)
	}
	return l, r, reset, true
}
