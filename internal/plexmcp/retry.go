package plexmcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// callState is one logical call (all its attempts). It travels in the
// request context so the transport, which sees each attempt, and the retry
// hooks, which decide between them, agree on the attempt count and on what
// may safely be resent.
type callState struct {
	method string
	path   string
	// idempotent is true for creates sent with an Idempotency-Key: a 409
	// conflict means an earlier attempt is still in flight and the answer
	// will be replayed, so it is worth retrying.
	idempotent bool
	// unsafe marks a request the server may act on twice if resent after
	// it was delivered (an invocation). See checkRetry.
	unsafe bool

	attempts atomic.Int32
	// wrote is set by httptrace once the current attempt's request has
	// been written in full.
	wrote atomic.Bool

	log logSink
	ctx context.Context
	now func() time.Time
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

// checkRetry is the retry policy: connection errors, 429 and 5xx other than
// 501 are worth another attempt; other 4xx are final, except the 409 a create
// gets while an earlier attempt with the same Idempotency-Key is in flight.
//
// Invocations are the exception to "retry connection errors and 5xx": a tool
// call may have side effects and carries no idempotency key, so it is resent
// only when the server cannot have acted on it (the request never left, or
// the server answered 429, 502 or 503, which it does before doing anything).
func (st *callState) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		retry, perr := retryablehttp.ErrorPropagatedRetryPolicy(ctx, nil, err)
		if !retry {
			return false, perr
		}
		if st.unsafe && st.wrote.Load() {
			return false, nil
		}
		return true, nil
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests:
		return true, nil
	case code == http.StatusNotImplemented:
		return false, nil
	case code >= 500 || code == 0:
		if st.unsafe && code != http.StatusBadGateway && code != http.StatusServiceUnavailable {
			return false, nil
		}
		return true, nil
	case code == http.StatusConflict && st.idempotent:
		return peekErrorCode(resp) == CodeConflict, nil
	}
	return false, nil
}

// peekErrorCode reads error.code from a response without consuming the body
// for whoever reads it next.
func peekErrorCode(resp *http.Response) string {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	var env wireEnvelope
	if json.Unmarshal(body, &env) != nil || env.Error == nil {
		return ""
	}
	return env.Error.Code
}

// backoff picks the wait before the next attempt. A 429 or 503 that says when
// to come back (Retry-After, in seconds or as an HTTP date, else
// X-RateLimit-Reset) is believed, plus a little jitter so queued callers do
// not return in lockstep; anything else backs off exponentially from min with
// jitter. Every wait is capped at max, because a server asking for a day's
// pause should fail the apply, not hang it.
func (st *callState) backoff(minWait, maxWait time.Duration, attemptNum int, resp *http.Response) time.Duration {
	now := st.now()
	wait, reason := time.Duration(-1), ""
	status := 0
	if resp != nil {
		status = resp.StatusCode
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
				wait, reason = d, "Retry-After"
			} else if d, ok := untilReset(resp.Header.Get("X-RateLimit-Reset"), now); ok {
				wait, reason = d, "X-RateLimit-Reset"
			}
		}
	}
	if wait >= 0 {
		wait += jitter(wait / 10)
	} else {
		wait, reason = exponential(minWait, maxWait, attemptNum), "backoff"
	}
	if wait > maxWait {
		wait = maxWait
	}
	if wait < 0 {
		wait = 0
	}
	fields := map[string]any{
		"method":       st.method,
		"path":         st.path,
		"attempt":      int(st.attempts.Load()),
		"next_attempt": int(st.attempts.Load()) + 1,
		"wait":         wait.String(),
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
		if s > int64(365*24*time.Hour/time.Second) {
			s = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
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
		return d, true
	}
	return 0, true
}

// errorHandler runs when go-retryablehttp gives up. By default the library
// throws the last response away; keeping it lets the caller decode the
// server's own error envelope, so "retries exhausted on 503" still reports
// the server's code and message.
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
