package plexmcp

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// pacer keeps one credential's requests inside the server's rate limit.
//
// Terraform runs up to ten operations at once on one client. Left alone they
// would all fire, drain the server's budget, come back 429, wait out the
// same Retry-After and collide again, and the unlucky ones would exhaust
// their retries. Instead every attempt queues here, in the order its call
// was first made (a retried call keeps its place, so nobody starves), and
// the head of the queue goes when the pacer's model of the server's token
// bucket has a token for it.
//
// The model comes from one of two sources:
//
//   - X-RateLimit-Limit/-Remaining/-Reset, where the server sends them
//     (they are not documented): the pacer mirrors the bucket, counting
//     each request it lets through and lowering its count to what each
//     answer reports, less what is still in flight.
//   - 429s alone, where it does not. Until the first 429 nothing is paced.
//     A 429 means the server's bucket is empty at that moment, so the
//     successes counted since the previous 429, over the time between the
//     two, are the refill rate; the successes before the first 429 are the
//     bucket's size. After each 429 every caller waits out the hint
//     (Retry-After, or the API's own in the body) or, without one, the time
//     the learned rate needs to refill the bucket, and then the bucket is
//     spent again at the learned rate. While callers are queueing the rate
//     creeps up (learnGrowth), so a rate learned too low is corrected by
//     the next 429, which costs one retry and, since the bucket refills
//     during the pause, no throughput.
//
// No pause or wait for a token ever exceeds the client's RetryWaitMax, so
// a misread hint or a wrongly learned rate cannot stall anything for long.
type pacer struct {
	mu               sync.Mutex
	waitMin, waitMax time.Duration

	queue   []*waiter // ordered by ticket
	tickets uint64
	timer   *time.Timer
	timerAt time.Time

	// The first request on a fresh pacer goes alone: until its answer
	// arrives nothing is known about the limit, and ten parallel creates
	// would otherwise start with a burst the bucket cannot absorb.
	probe      probeState
	probeUntil time.Time

	inflight int

	mode       pacerMode
	rate       float64 // tokens per second
	burst      float64 // bucket size
	tokens     float64 // may go negative: answers said in-flight requests will take them
	last       time.Time
	pauseUntil time.Time

	// Learning from 429s.
	initial    bool      // the first 429's estimate, raised by late successes of its burst
	period     float64   // seconds the first 429 suggested for a refill
	mark       time.Time // when the server's bucket was last seen empty
	sinceMark  float64   // successes of requests sent after mark
	sinceStart float64   // successes before the first 429
	pauseEnd   time.Time
	sincePause float64 // successes of requests sent after pauseEnd
	grewAt     time.Time
}

type probeState int

const (
	probeNone probeState = iota
	probing
	probeDone
)

type pacerMode int

const (
	paceUnlimited pacerMode = iota // nothing known: no pacing
	paceMirrored                   // X-RateLimit-* headers
	paceLearned                    // 429s alone
)

// probeWait bounds how long callers wait for the first answer before
// going ahead unpaced, so a slow first request cannot stall the others.
const probeWait = 2 * time.Second

// minRate keeps a misread header from scheduling slots hours apart.
const minRate = 0.05

// learnGrowth is how fast a learned rate rises, per second, while callers
// queue for it.
const learnGrowth = 0.05

func newPacer(waitMin, waitMax time.Duration) *pacer {
	return &pacer{waitMin: waitMin, waitMax: waitMax}
}

type waiter struct {
	ticket  uint64
	ready   chan struct{}
	granted *grant
}

// grant is one attempt's permission to send. done must be called once the
// attempt has its answer (nil on a transport error).
type grant struct {
	p     *pacer
	sent  time.Time
	probe bool
	once  sync.Once
}

// acquire queues the caller and blocks until it may send, or ctx ends.
// ticket is the call's place in the queue: 0 on its first attempt, when a
// new one is assigned, and kept for its retries.
func (p *pacer) acquire(ctx context.Context, ticket *uint64) (*grant, error) {
	p.mu.Lock()
	var t uint64
	if ticket != nil && *ticket != 0 {
		t = *ticket
	} else {
		p.tickets++
		t = p.tickets
		if ticket != nil {
			*ticket = t
		}
	}
	w := &waiter{ticket: t, ready: make(chan struct{})}
	i := len(p.queue)
	for i > 0 && p.queue[i-1].ticket > t {
		i--
	}
	p.queue = append(p.queue, nil)
	copy(p.queue[i+1:], p.queue[i:])
	p.queue[i] = w
	p.dispatch(time.Now())
	p.mu.Unlock()

	select {
	case <-w.ready:
		return w.granted, nil
	case <-ctx.Done():
		p.mu.Lock()
		defer p.mu.Unlock()
		if g := w.granted; g != nil {
			// Granted just as the context ended: hand the slot back so
			// the callers behind are not delayed for a request that will
			// never be sent.
			p.inflight--
			if p.mode != paceUnlimited {
				p.tokens++
			}
			if g.probe {
				p.probe = probeNone
			}
		} else {
			for j, q := range p.queue {
				if q == w {
					p.queue = append(p.queue[:j], p.queue[j+1:]...)
					break
				}
			}
		}
		p.dispatch(time.Now())
		return nil, ctx.Err()
	}
}

// dispatch lets through as many callers, head first, as the model allows,
// and arms the timer for the next one. p.mu is held.
func (p *pacer) dispatch(now time.Time) {
	for len(p.queue) > 0 {
		switch p.probe {
		case probeNone:
			p.probe = probing
			p.probeUntil = now.Add(probeWait)
			p.grantHead(now, true)
			continue
		case probing:
			if now.Before(p.probeUntil) {
				p.arm(p.probeUntil, now)
				return
			}
			// The probe is slow; go on without its answer.
			p.probe = probeDone
		}
		if now.Before(p.pauseUntil) {
			p.arm(p.pauseUntil, now)
			return
		}
		if p.mode != paceUnlimited {
			p.refill(now)
			if p.tokens < 1 {
				wait := time.Duration((1 - p.tokens) / p.rate * float64(time.Second))
				if wait > p.waitMax {
					// A rate learned or read too low must not stall
					// anyone for longer than a retry would wait.
					wait = p.waitMax
					p.tokens = 1
					p.last = now.Add(wait)
				}
				if wait > 0 {
					p.arm(now.Add(wait), now)
					return
				}
			}
			p.tokens--
		}
		p.grantHead(now, false)
	}
}

func (p *pacer) grantHead(now time.Time, probe bool) {
	w := p.queue[0]
	p.queue = p.queue[1:]
	w.granted = &grant{p: p, sent: now, probe: probe}
	p.inflight++
	close(w.ready)
}

// arm makes sure dispatch runs again at at.
func (p *pacer) arm(at, now time.Time) {
	if p.timer != nil && p.timerAt.Equal(at) {
		return
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	p.timerAt = at
	p.timer = time.AfterFunc(at.Sub(now), p.tick)
}

func (p *pacer) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer = nil
	p.dispatch(time.Now())
}

func (p *pacer) refill(now time.Time) {
	if elapsed := now.Sub(p.last).Seconds(); elapsed > 0 {
		p.tokens = math.Min(p.burst, p.tokens+elapsed*p.rate)
		p.last = now
	}
}

// pauseLeft is how long every caller still waits after a 429.
func (p *pacer) pauseLeft() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(0, time.Until(p.pauseUntil))
}

// done records how the attempt ended: resp is its answer (nil on a
// transport error) and hint the wait a 429 asked for, if it said.
func (g *grant) done(resp *http.Response, hint time.Duration, hasHint bool) {
	g.once.Do(func() {
		p := g.p
		p.mu.Lock()
		defer p.mu.Unlock()
		now := time.Now()
		p.inflight--
		if g.probe {
			p.probe = probeDone
		}
		if resp != nil {
			p.observe(g.sent, resp, hint, hasHint, now)
		}
		p.dispatch(now)
	})
}

func (p *pacer) observe(sent time.Time, resp *http.Response, hint time.Duration, hasHint bool, now time.Time) {
	limited := resp.StatusCode == http.StatusTooManyRequests
	if limit, remaining, reset, ok := rateHeaders(resp.Header); ok {
		p.mirror(limit, remaining, reset, limited, now)
	} else if p.mode == paceMirrored && !limited {
		// The server stopped sending the headers: nothing to mirror.
		p.mode = paceUnlimited
	}
	switch {
	case limited:
		p.throttled(sent, hint, hasHint, now)
	case passedLimiter(resp.StatusCode):
		p.passed(sent, now)
	}
}

// passedLimiter says whether an answer with this status took a token from
// the server's bucket: it was not refused for the limit, the key, or a
// failure before the server got that far.
func passedLimiter(status int) bool {
	return status < 500 && status != http.StatusUnauthorized && status != http.StatusTooManyRequests
}

// mirror folds rate-limit headers into the model.
func (p *pacer) mirror(limit, remaining float64, reset time.Time, limited bool, now time.Time) {
	others := float64(p.inflight)
	if p.mode != paceMirrored {
		p.mode = paceMirrored
		p.tokens = remaining - others
		p.last = now
	}
	p.burst = limit
	p.rate = estimateRate(limit, remaining, reset, now)
	p.refill(now)
	if target := remaining - others; target < p.tokens {
		p.tokens = target
	}
	if limited && p.tokens > -others {
		p.tokens = -others
	}
}

// throttled learns from a 429 to a request sent at sent.
func (p *pacer) throttled(sent time.Time, hint time.Duration, hasHint bool, now time.Time) {
	if p.mode == paceLearned && !sent.After(p.mark) {
		// Sent before the bucket was last seen empty: the same event,
		// already learnt from.
		return
	}
	switch p.mode {
	case paceUnlimited:
		p.mode = paceLearned
		p.initial = true
		p.burst = math.Max(1, p.sinceStart)
		p.period = 1
		if hasHint && hint > 0 {
			p.period = math.Min(hint.Seconds(), p.waitMax.Seconds())
		}
		p.rate = math.Max(minRate, p.burst/p.period)
	case paceLearned:
		if elapsed := now.Sub(p.mark).Seconds(); elapsed > 0 && p.sinceMark >= 1 {
			// Empty at mark and empty now: what went through in between
			// is what the server refilled. A 429 never raises the rate.
			p.rate = math.Max(minRate, math.Min(p.rate, math.Max(p.sinceMark/elapsed, p.rate/2)))
		} else {
			p.rate = math.Max(minRate, p.rate/2)
		}
		if afterPause := sent.Sub(p.pauseEnd); !p.pauseEnd.IsZero() && afterPause >= 0 && afterPause.Seconds() < 1/p.rate && p.sincePause < p.burst {
			// Refused in the burst after a pause: the bucket is smaller
			// than thought.
			p.burst = math.Max(1, p.sincePause)
		}
		p.initial = false
	case paceMirrored:
		// The headers keep the model; the pause below is all a 429 adds.
	}
	if p.mode == paceLearned {
		p.tokens, p.last = 0, now
		p.mark, p.sinceMark, p.grewAt = now, 0, now
	}
	pause := time.Duration(0)
	switch {
	case hasHint:
		pause = hint
	case p.mode == paceLearned:
		pause = time.Duration(p.burst / p.rate * float64(time.Second))
	default:
		pause = p.waitMin
	}
	pause = min(pause, p.waitMax)
	if until := now.Add(pause); until.After(p.pauseUntil) {
		p.pauseUntil = until
	}
	p.pauseEnd, p.sincePause = p.pauseUntil, 0
}

// passed learns from an answer that took a token.
func (p *pacer) passed(sent, now time.Time) {
	switch p.mode {
	case paceUnlimited:
		p.sinceStart++
	case paceLearned:
		if !sent.After(p.mark) {
			if p.initial {
				// A late answer from the burst that first hit the limit:
				// the bucket held one more than counted then.
				p.burst++
				p.rate = math.Max(p.rate, p.burst/p.period)
			}
			return
		}
		p.sinceMark++
		if !sent.Before(p.pauseEnd) {
			p.sincePause++
		}
		p.grow(now)
	}
}

// grow raises a learned rate while callers queue for it.
func (p *pacer) grow(now time.Time) {
	dt := now.Sub(p.grewAt).Seconds()
	p.grewAt = now
	if len(p.queue) == 0 || dt <= 0 {
		return
	}
	p.rate *= 1 + learnGrowth*math.Min(dt, 1)
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
	if err1 != nil || err2 != nil || l <= 0 || r < 0 || math.IsInf(l, 0) || math.IsNaN(l) || math.IsNaN(r) || math.IsInf(r, 0) {
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
