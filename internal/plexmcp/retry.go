package plexmcp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// callState is one logical call (all its attempts). It travels in the
// request context so that the transport, which sees each attempt, and the
// retry hooks, which decide between them, agree on the attempt count and on
// what may safely be resent.
type callState struct {
	method     string
	path       string
	resend     resendPolicy
	idempotent bool
	dialect    dialect
	pacer      *pacer

	attempts atomic.Int32
	// wrote is set by httptrace once the current attempt's request has
	// been written in full.
	wrote atomic.Bool

	mu sync.Mutex
	// ticket is the call's place in the pacer's queue, kept across its
	// attempts so that a retried call goes before calls made after it.
	ticket uint64
	sent   time.Time // when the current attempt was handed to the network

	log logSink
	ctx context.Context
}

type callKey struct{}

func callFrom(ctx context.Context) *callState {
	st, _ := ctx.Value(callKey{}).(*callState)
	return st
}

func (st *callState) beginAttempt() int {
	st.wrote.Store(false)
	return int(st.attempts.Add(1))
}

func (st *callState) markSent(t time.Time) {
	st.mu.Lock()
	st.sent = t
	st.mu.Unlock()
}

func (st *callState) sentAt() time.Time {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.sent
}

// checkRetry is the retry policy. Connection errors, 429 and 5xx other than
// 501 are worth another attempt for requests the server may see twice; a
// create or a tool call is resent only when the server provably did not act
// on it: the request was never written, the answer is a 429 (refused before
// anything else), or, for a create with an Idempotency-Key, a 409 saying an
// attempt with that key is still in flight. Other 4xx are final, a 401
// included: the caller decides what a refused key means.
func (st *callState) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	retry, err := st.shouldRetry(ctx, resp, err)
	if retry && ctx.Err() != nil {
		// Only a retry is abandoned: an answer in hand, a create's 201
		// above all, is still returned.
		return false, ctx.Err()
	}
	return retry, err
}

func (st *callState) shouldRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if err != nil {
		retry, perr := retryablehttp.ErrorPropagatedRetryPolicy(ctx, nil, err)
		if !retry {
			return false, perr
		}
		if st.resend == resendUnprocessed && st.wrote.Load() {
			return false, nil
		}
		return true, nil
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests:
		return st.dialect.retryable(code, peekBody(resp)), nil
	case code == http.StatusConflict:
		return st.idempotent && st.dialect.retryable(code, peekBody(resp)), nil
	case code == http.StatusNotImplemented:
		return false, nil
	case code >= 500:
		return st.resend == resendSafe, nil
	}
	return false, nil
}

// peekBody reads an error answer without consuming it for whoever reads it
// next.
func peekBody(resp *http.Response) []byte {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	return body
}

// backoff picks the wait before the next attempt. A 429 is the pacer's to
// wait out: it has seen the answer and holds every caller of this key until
// the server's budget is back, so the retry queues at once, ahead of calls
// made after it. A 503 that says when to come back (Retry-After, in seconds
// or as an HTTP date, else X-RateLimit-Reset) is believed, plus a little
// jitter; anything else backs off exponentially from min with jitter. Every
// wait is capped at max, because a server asking for a day's pause should
// fail the apply, not hang it.
func (st *callState) backoff(minWait, maxWait time.Duration, attemptNum int, resp *http.Response) time.Duration {
	now := time.Now()
	wait, reason := time.Duration(-1), ""
	status := 0
	if resp != nil {
		status = resp.StatusCode
		switch status {
		case http.StatusTooManyRequests:
			wait, reason = 0, "rate limited: queued behind the pacer"
			if st.pacer != nil {
				wait = -1 // logged below as the pacer's pause, not waited here
			}
		case http.StatusServiceUnavailable:
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
				wait, reason = d, "Retry-After"
			} else if d, ok := untilReset(resp.Header.Get("X-RateLimit-Reset"), now); ok {
				wait, reason = d, "X-RateLimit-Reset"
			}
			if wait >= 0 {
				wait += jitter(wait / 10)
			}
		}
	}
	logged := wait
	switch {
	case status == http.StatusTooManyRequests && st.pacer != nil:
		wait, logged = 0, st.pacer.pauseLeft()
	case wait < 0:
		wait, reason = exponential(minWait, maxWait, attemptNum), "backoff"
		logged = wait
	}
	if wait > maxWait {
		wait = maxWait
	}
	if logged > maxWait {
		logged = maxWait
	}
	fields := map[string]any{
		"method":       st.method,
		"path":         st.path,
		"attempt":      int(st.attempts.Load()),
		"next_attempt": int(st.attempts.Load()) + 1,
		"wait":         logged.String(),
		"reason":       reason,
	}
	if status != 0 {
		fields["status"] = status
	}
	st.log.log(st.ctx, LevelWarn, "PlexMCP API request will be retried", fields)
	return wait
}

// exponential returns min·2^attempt, with up to 25% jitter on top, capped at max.
func exponential(minWait, maxWait time.Duration, attemptNum int) time.Duration {
	if attemptNum > 30 {
		return maxWait
	}
	d := minWait << uint(attemptNum)
	if d <= 0 || d > maxWait {
		return maxWait
	}
	d += jitter(d / 4)
	if d > maxWait {
		d = maxWait
	}
	return d
}

func jitter(upTo time.Duration) time.Duration {
	if upTo <= 0 {
		return 0
	}
	return rand.N(upTo)
}

// maxHint bounds any wait a server asks for before the caller's own cap is
// applied, so that arithmetic on it cannot overflow.
const maxHint = 365 * 24 * time.Hour

// parseRetryAfter reads Retry-After as whole seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > int64(maxHint/time.Second) {
			return maxHint, true
		}
		return time.Duration(s) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return min(d, maxHint), true
	}
	return 0, true
}

// untilReset reads X-RateLimit-Reset (unix seconds) as a wait.
func untilReset(v string, now time.Time) (time.Duration, bool) {
	s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || s <= 0 || s > 1<<40 {
		return 0, false
	}
	if d := time.Unix(s, 0).Sub(now); d > 0 {
		return min(d, maxHint), true
	}
	return 0, true
}

// errorHandler runs when go-retryablehttp gives up. By default the library
// throws the last response away; keeping it lets the caller decode the
// server's own error, so "retries exhausted on 503" still reports the
// server's code and message.
func (st *callState) errorHandler(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil {
		if ctxErr := st.ctx.Err(); ctxErr != nil {
			resp.Body.Close()
			return nil, ctxErr
		}
		return resp, nil
	}
	if err == nil {
		err = errors.New("no response")
	}
	return nil, err
}
