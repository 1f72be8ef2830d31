package refserver

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRateLimiterBucket(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	l := newRateLimiter(2.5, clock.now) // a bucket of ceil(2.5) = 3
	type step struct {
		advance time.Duration
		want    rateDecision
	}
	for i, s := range []step{
		{0, rateDecision{enabled: true, allowed: true, limit: 3, remaining: 2, untilFull: 400 * time.Millisecond}},
		{0, rateDecision{enabled: true, allowed: true, limit: 3, remaining: 1, untilFull: 800 * time.Millisecond}},
		{0, rateDecision{enabled: true, allowed: true, limit: 3, remaining: 0, untilFull: 1200 * time.Millisecond}},
		{0, rateDecision{enabled: true, allowed: false, limit: 3, remaining: 0, untilFull: 1200 * time.Millisecond, retryAfter: 1}},
		{400 * time.Millisecond, rateDecision{enabled: true, allowed: true, limit: 3, remaining: 0, untilFull: 1200 * time.Millisecond}},
		{10 * time.Second, rateDecision{enabled: true, allowed: true, limit: 3, remaining: 2, untilFull: 400 * time.Millisecond}},
	} {
		clock.advance(s.advance)
		got := l.take("k")
		got.untilFull = got.untilFull.Round(time.Millisecond)
		if diff := cmp.Diff(s.want, got, cmp.AllowUnexported(rateDecision{})); diff != "" {
			t.Errorf("step %d (-want +got):\n%s", i, diff)
		}
	}
	if got := l.take("other"); !got.allowed || got.remaining != 2 {
		t.Errorf("another id shares the bucket: %+v", got)
	}
	// peek reports without spending.
	for range 3 {
		if got := l.peek("k"); !got.allowed || got.remaining != 2 {
			t.Fatalf("peek: %+v, want 2 remaining every time", got)
		}
	}
	if got := l.peek("never seen"); !got.enabled || got.remaining != 3 || len(l.buckets) != 2 {
		t.Errorf("peek of a new id: %+v with %d buckets; want a full bucket and none made", got, len(l.buckets))
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

func TestRateDecisionResetRoundsUp(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	for untilFull, want := range map[time.Duration]int64{0: 1_800_000_000, time.Millisecond: 1_800_000_001, time.Second: 1_800_000_001, 1500 * time.Millisecond: 1_800_000_002} {
		if got := (rateDecision{untilFull: untilFull}).resetAt(now); got != want {
			t.Errorf("resetAt with %v to go = %d, want %d", untilFull, got, want)
		}
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

func TestMinuteLimiter(t *testing.T) {
	t.Parallel()
	l := newMinuteLimiter()
	start := time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC)
	reset := start.Add(time.Minute).Unix()
	for i, s := range []struct {
		at   time.Duration
		want minuteDecision
	}{
		{0, minuteDecision{allowed: true, remaining: 1, resetAt: reset}},
		{10 * time.Second, minuteDecision{allowed: true, remaining: 0, resetAt: reset}},
		{20*time.Second + 500*time.Millisecond, minuteDecision{allowed: false, remaining: 0, resetAt: reset, retryAfter: 40}},
		{59*time.Second + 999*time.Millisecond, minuteDecision{allowed: false, remaining: 0, resetAt: reset, retryAfter: 1}},
		// A new UTC minute is a new window; refused requests did not count.
		{time.Minute, minuteDecision{allowed: true, remaining: 1, resetAt: reset + 60}},
	} {
		if got := l.take("k", 2, start.Add(s.at)); got != s.want {
			t.Errorf("step %d: %+v, want %+v", i, got, s.want)
		}
	}
	if got := l.take("other", 2, start.Add(time.Minute)); got.remaining != 1 {
		t.Errorf("another key shares the window: %+v", got)
	}
	// A lower limit read on the next request applies at once.
	if got := l.take("k", 1, start.Add(time.Minute)); got.allowed {
		t.Errorf("over a lowered limit: %+v", got)
	}
}
