package plexmcp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The pacer tests run in synctest bubbles, whose clock is fake: time moves
// only when every goroutine waits, so the durations below are what the
// pacer computed, not how fast this machine happens to be.

func okResponse() *http.Response {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}
}

// limitedResponse reports an empty bucket of limit tokens, full again at
// reset.
func limitedResponse(status, limit int, reset time.Time) *http.Response {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", fmt.Sprint(limit))
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", fmt.Sprint(reset.Unix()))
	return &http.Response{StatusCode: status, Header: h}
}

// send is one attempt through p: acquire, then report resp.
func send(t *testing.T, p *pacer, ticket *uint64, resp *http.Response, hint time.Duration, hasHint bool) {
	t.Helper()
	g, err := p.acquire(context.Background(), ticket)
	if err != nil {
		t.Fatal(err)
	}
	g.done(resp, hint, hasHint)
}

func TestPacerUnlimitedWithoutHeaders(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(time.Millisecond, time.Minute)
		start := time.Now()
		for range 50 {
			send(t, p, nil, okResponse(), 0, false)
		}
		if elapsed := time.Since(start); elapsed != 0 {
			t.Errorf("50 sends without any limit took %v, want no wait at all", elapsed)
		}
	})
}

// TestPacerProbeHoldsOthers checks that callers arriving before the first
// answer wait for it instead of bursting, but not for longer than
// probeWait.
func TestPacerProbeHoldsOthers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(time.Millisecond, time.Minute)
		g, _ := p.acquire(context.Background(), nil)
		done := make(chan struct{})
		go func() {
			send(t, p, nil, okResponse(), 0, false)
			close(done)
		}()
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("a second caller went before the probe's answer")
		default:
		}
		g.done(okResponse(), 0, false)
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("the second caller was not released by the probe's answer")
		}
	})
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(time.Millisecond, time.Minute)
		_, _ = p.acquire(context.Background(), nil) // a probe that never answers
		start := time.Now()
		send(t, p, nil, okResponse(), 0, false)
		if elapsed := time.Since(start); elapsed != probeWait {
			t.Errorf("behind a silent probe the next caller waited %v, want %v", elapsed, probeWait)
		}
	})
}

// TestPacerMirrorsHeaders checks the queueing from X-RateLimit-*: with the
// bucket reported empty at 4 tokens a second, four more sends take about a
// second, handed out in order rather than all at once.
func TestPacerMirrorsHeaders(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(time.Millisecond, time.Minute)
		send(t, p, nil, limitedResponse(200, 4, time.Now().Add(time.Second)), 0, false)
		start := time.Now()
		for range 4 {
			send(t, p, nil, nil, 0, false)
		}
		if elapsed := time.Since(start); elapsed < 750*time.Millisecond || elapsed > time.Second {
			t.Errorf("four sends on an empty 4/s bucket were paced over %v, want 0.75–1s", elapsed)
		}
	})
}

func TestPacerUnlimitedAfterHeadersDisappear(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(time.Millisecond, time.Minute)
		send(t, p, nil, limitedResponse(200, 1, time.Now().Add(time.Second)), 0, false)
		send(t, p, nil, okResponse(), 0, false) // waits ~1s for its slot
		start := time.Now()
		for range 20 {
			send(t, p, nil, okResponse(), 0, false)
		}
		if elapsed := time.Since(start); elapsed != 0 {
			t.Errorf("20 sends without rate-limit headers were paced over %v, want no wait", elapsed)
		}
	})
}

func TestPacerWaitHonoursContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(time.Millisecond, time.Minute)
		// One token every 20 s: the next slot is far away.
		send(t, p, nil, limitedResponse(200, 1, time.Now().Add(20*time.Second)), 0, false)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := p.acquire(ctx, nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
		if elapsed := time.Since(start); elapsed != 50*time.Millisecond {
			t.Errorf("acquire returned after %v, want at its 50ms deadline", elapsed)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.inflight != 0 || len(p.queue) != 0 {
			t.Errorf("inflight %d, queued %d after a cancelled wait, want 0 and 0", p.inflight, len(p.queue))
		}
	})
}

// TestPacerIsFIFO checks that callers go in the order their calls were
// made, and that a retried call keeps its place ahead of newer ones.
func TestPacerIsFIFO(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(time.Millisecond, time.Minute)
		// A 2 s pause after a 429 with Retry-After: everyone queues.
		var first uint64
		send(t, p, &first, okResponse(), 0, false)
		send(t, p, &first, &http.Response{StatusCode: 429, Header: http.Header{}}, 2*time.Second, true)
		var mu sync.Mutex
		var order []string
		start := func(name string, ticket uint64) {
			go func() {
				t := ticket
				g, err := p.acquire(context.Background(), &t)
				if err != nil {
					return
				}
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
				g.done(okResponse(), 0, false)
			}()
			synctest.Wait()
		}
		start("new-1", 0)
		start("new-2", 0)
		start("retry of the first", first)
		start("new-3", 0)
		time.Sleep(10 * time.Second) // virtual: let the pause and the queue pass
		synctest.Wait()
		want := []string{"retry of the first", "new-1", "new-2", "new-3"}
		if fmt.Sprint(order) != fmt.Sprint(want) {
			t.Errorf("order %v, want %v", order, want)
		}
	})
}

// bucket is a server's token bucket, on the bubble's clock.
type bucket struct {
	mu        sync.Mutex
	size      float64
	rate      float64
	tokens    float64
	last      time.Time
	retryHint bool // send Retry-After
	headers   bool // send X-RateLimit-*
}

func newBucket(rps float64) *bucket {
	size := math.Ceil(rps)
	return &bucket{size: size, rate: rps, tokens: size, last: time.Now()}
}

// take answers one request arriving now.
func (b *bucket) take() (*http.Response, time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = math.Min(b.size, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	h := http.Header{}
	status, hint, hasHint := http.StatusOK, time.Duration(0), false
	if b.tokens >= 1 {
		b.tokens--
	} else {
		status = http.StatusTooManyRequests
		if b.retryHint {
			secs := math.Ceil((1 - b.tokens) / b.rate)
			h.Set("Retry-After", fmt.Sprint(secs))
			hint, hasHint = time.Duration(secs)*time.Second, true
		}
	}
	if b.headers {
		h.Set("X-RateLimit-Limit", fmt.Sprint(b.size))
		h.Set("X-RateLimit-Remaining", fmt.Sprint(math.Floor(math.Max(0, b.tokens))))
		h.Set("X-RateLimit-Reset", fmt.Sprint(now.Add(time.Duration((b.size-b.tokens)/b.rate*float64(time.Second))).Unix()))
	}
	return &http.Response{StatusCode: status, Header: h}, hint, hasHint
}

// TestPacerLearnsTheLimit runs Terraform's load in small against a 5/s
// bucket: 40 creates from 10 callers with a 40 ms round trip, each
// retrying a 429 at once (the pacer does the waiting) with
// DefaultMaxRetries. Every create must
// succeed, and the whole must take no more than 1.5× the 8 s that 40 at
// 5/s need (1.3× with rate-limit headers, which say more).
func TestPacerLearnsTheLimit(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		rps                 float64
		retryAfter, headers bool
		bound               float64
	}{
		"429 with Retry-After":     {rps: 5, retryAfter: true, bound: 1.5},
		"429 without any hint":     {rps: 5, bound: 1.5},
		"X-RateLimit-* and 429s":   {rps: 5, retryAfter: true, headers: true, bound: 1.3},
		"X-RateLimit-* without RA": {rps: 5, headers: true, bound: 1.3},
		"2.5/s, Retry-After":       {rps: 2.5, retryAfter: true, bound: 1.5},
		"2.5/s, no hint":           {rps: 2.5, bound: 1.5},
		"20/s, Retry-After":        {rps: 20, retryAfter: true, bound: 1.5},
		"20/s, no hint":            {rps: 20, bound: 1.5},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				const creates, callers = 40, 10
				rps := tc.rps
				const latency = 40 * time.Millisecond
				b := newBucket(rps)
				b.retryHint, b.headers = tc.retryAfter, tc.headers
				p := newPacer(DefaultRetryWaitMin, DefaultRetryWaitMax)
				jobs := make(chan int, creates)
				for i := range creates {
					jobs <- i
				}
				close(jobs)
				var mu sync.Mutex
				refused, worst := 0, 0
				start := time.Now()
				var wg sync.WaitGroup
				for range callers {
					wg.Go(func() {
						for range jobs {
							var ticket uint64
							for attempt := 0; ; attempt++ {
								g, err := p.acquire(context.Background(), &ticket)
								if err != nil {
									t.Error(err)
									return
								}
								// Half a round trip each way, on the fake clock.
								time.Sleep(latency / 2)
								resp, hint, ok := b.take()
								time.Sleep(latency / 2)
								g.done(resp, hint, ok)
								if resp.StatusCode == http.StatusOK {
									mu.Lock()
									worst = max(worst, attempt)
									mu.Unlock()
									break
								}
								mu.Lock()
								refused++
								mu.Unlock()
								if attempt == DefaultMaxRetries {
									t.Error("a create ran out of retries")
									return
								}
							}
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(start)
				floor := time.Duration(creates / rps * float64(time.Second))
				if rps >= creates {
					floor = latency
				}
				t.Logf("%d creates in %v (%.2f× of %v), %d refused with 429, at most %d retries for one create",
					creates, elapsed, elapsed.Seconds()/floor.Seconds(), floor, refused, worst)
				if elapsed.Seconds() > tc.bound*floor.Seconds() {
					t.Errorf("took %v, more than %.1f× of %v", elapsed, tc.bound, floor)
				}
				if worst > DefaultMaxRetries/2 {
					t.Errorf("one create needed %d retries; the queue is not fair", worst)
				}
			})
		})
	}
}

// TestPacerCapsMisreadHints: a Retry-After or X-RateLimit-Reset far in the
// future stalls nobody for longer than RetryWaitMax.
func TestPacerCapsMisreadHints(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		resp    *http.Response
		hint    time.Duration
		hasHint bool
	}{
		"an hour's Retry-After":       {resp: &http.Response{StatusCode: 429, Header: http.Header{}}, hint: time.Hour, hasHint: true},
		"a reset a day ahead":         {resp: limitedResponse(429, 5, time.Now().Add(24*time.Hour))},
		"a limit of 1 per 3 hours":    {resp: limitedResponse(200, 1, time.Now().Add(3*time.Hour))},
		"a 429 with a huge body hint": {resp: &http.Response{StatusCode: 429, Header: http.Header{}}, hint: maxHint, hasHint: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				const waitMax = 5 * time.Second
				p := newPacer(time.Millisecond, waitMax)
				send(t, p, nil, okResponse(), 0, false)
				send(t, p, nil, tc.resp, tc.hint, tc.hasHint)
				start := time.Now()
				send(t, p, nil, okResponse(), 0, false)
				if elapsed := time.Since(start); elapsed > waitMax {
					t.Errorf("the next send waited %v, more than RetryWaitMax %v", elapsed, waitMax)
				}
			})
		})
	}
}

func TestEstimateRate(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 250_000_000)
	tests := map[string]struct {
		limit, remaining float64
		reset            time.Time
		want             float64
	}{
		// A whole-number rate: the bucket size per second is exact.
		"5 rps, empty bucket": {limit: 5, remaining: 0, reset: now.Add(1750 * time.Millisecond), want: 5},
		"5 rps, full bucket":  {limit: 5, remaining: 5, reset: now, want: 5},
		// 0.5 rps: a one-token bucket that takes two seconds to refill,
		// which Limit per second (1/s) cannot explain.
		"half rps": {limit: 1, remaining: 0, reset: now.Add(2750 * time.Millisecond), want: 1 / 2.75},
		// A reset in the past or a day away is a skewed clock, not a rate.
		"reset in the past":  {limit: 5, remaining: 0, reset: now.Add(-time.Hour), want: 5},
		"reset a day ahead":  {limit: 5, remaining: 0, reset: now.Add(24 * time.Hour), want: 5},
		"no reset header":    {limit: 3, remaining: 0, want: 3},
		"tiny rate is clamp": {limit: 1, remaining: 0, reset: now.Add(3500 * time.Second), want: minRate},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := estimateRate(tc.limit, tc.remaining, tc.reset, now)
			if math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("estimateRate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRateHeaders(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		headers map[string]string
		wantOK  bool
		wantRem float64
	}{
		"all three":          {headers: map[string]string{"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "1800000000"}, wantOK: true, wantRem: 3},
		"no reset":           {headers: map[string]string{"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "3"}, wantOK: true, wantRem: 3},
		"none":               {headers: map[string]string{}},
		"garbage":            {headers: map[string]string{"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "3"}},
		"zero limit":         {headers: map[string]string{"X-RateLimit-Limit": "0", "X-RateLimit-Remaining": "0"}},
		"NaN limit":          {headers: map[string]string{"X-RateLimit-Limit": "NaN", "X-RateLimit-Remaining": "0"}},
		"negative remaining": {headers: map[string]string{"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "-1"}},
		"remaining > limit":  {headers: map[string]string{"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "9"}, wantOK: true, wantRem: 5},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			_, rem, _, ok := rateHeaders(h)
			if ok != tc.wantOK || rem != tc.wantRem {
				t.Errorf("rateHeaders = (%v, %v), want (%v, %v)", rem, ok, tc.wantRem, tc.wantOK)
			}
		})
	}
}
