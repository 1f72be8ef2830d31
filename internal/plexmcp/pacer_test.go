package plexmcp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

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

func limitedResponse(limit, remaining int, reset time.Time) *http.Response {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", fmt.Sprint(limit))
	h.Set("X-RateLimit-Remaining", fmt.Sprint(remaining))
	h.Set("X-RateLimit-Reset", fmt.Sprint(reset.Unix()))
	return &http.Response{StatusCode: http.StatusOK, Header: h}
}

// TestPacerSpacesRequestsWhenEmpty checks the queueing: with the bucket
// reported empty at 4 tokens a second, four more sends take about a second,
// handed out in order rather than all at once.
//
// It runs in a synctest bubble, whose clock is virtual: the durations below
// are what the pacer computed, not how fast this machine happens to be.
func TestPacerSpacesRequestsWhenEmpty(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testPacerSpacesRequestsWhenEmpty)
}

func testPacerSpacesRequestsWhenEmpty(t *testing.T) {
	p := newPacer()
	release, err := p.wait(context.Background()) // the probe goes at once
	if err != nil {
		t.Fatal(err)
	}
	release(limitedResponse(4, 0, time.Now().Add(time.Second)))

	start := time.Now()
	for range 4 {
		release, err := p.wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		release(nil)
	}
	// The fourth token is back 4 × 250 ms after the report, less the
	// fraction the server held.
	if elapsed := time.Since(start); elapsed < 750*time.Millisecond || elapsed > time.Second {
		t.Errorf("four sends on an empty 4/s bucket were paced over %v, want 0.75–1s", elapsed)
	}
}

func TestPacerUnlimitedAfterHeadersDisappear(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testPacerUnlimitedAfterHeadersDisappear)
}

func testPacerUnlimitedAfterHeadersDisappear(t *testing.T) {
	p := newPacer()
	release, _ := p.wait(context.Background())
	release(limitedResponse(1, 0, time.Now().Add(time.Second)))
	release, _ = p.wait(context.Background()) // waits ~1s for its slot
	release(&http.Response{StatusCode: http.StatusOK, Header: http.Header{}})

	start := time.Now()
	for range 20 {
		release, err := p.wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		release(nil)
	}
	if elapsed := time.Since(start); elapsed != 0 {
		t.Errorf("20 sends without rate-limit headers were paced over %v, want no wait at all", elapsed)
	}
}

func TestPacerWaitHonoursContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testPacerWaitHonoursContext)
}

func testPacerWaitHonoursContext(t *testing.T) {
	p := newPacer()
	release, _ := p.wait(context.Background())
	// One token every 20 s: the next slot is far away.
	release(limitedResponse(1, 0, time.Now().Add(20*time.Second)))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.wait(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed != 50*time.Millisecond {
		t.Errorf("wait returned after %v, want at its 50ms deadline", elapsed)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight != 0 {
		t.Errorf("inflight = %d after a canceled wait, want 0", p.inflight)
	}
}

// TestPacerProbeHoldsOthers checks that callers arriving before the first
// response wait for it instead of bursting.
func TestPacerProbeHoldsOthers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPacer()
		release, _ := p.wait(context.Background())
		done := make(chan struct{})
		go func() {
			r, err := p.wait(context.Background())
			if err == nil {
				r(nil)
			}
			close(done)
		}()
		synctest.Wait() // the second caller is now blocked, or done
		select {
		case <-done:
			t.Fatal("a second caller went before the probe's response")
		default:
		}
		release(limitedResponse(5, 4, time.Now().Add(time.Second)))
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("the second caller was not released by the probe's response")
		}
	})
}
