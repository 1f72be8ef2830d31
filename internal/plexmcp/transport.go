package plexmcp

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// transport sits between go-retryablehttp and the real transport, so it sees
// every attempt, retries included. Per attempt it waits for a send slot from
// the call's pacer, applies the per-attempt timeout (started after the
// wait, so queueing behind a rate limit never eats into it), tells the
// pacer how the attempt ended, samples the server's clock for creates, and
// logs one line.
type transport struct {
	base    http.RoundTripper
	timeout time.Duration
	log     logSink
	skew    *skewClock
	now     func() time.Time
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	st := callFrom(ctx)
	attempt := 0
	var p *pacer
	var ticket *uint64
	if st != nil {
		attempt = st.beginAttempt()
		p = st.pacer
		ticket = &st.ticket
	}
	var g *grant
	if p != nil {
		var err error
		if g, err = p.acquire(ctx, ticket); err != nil {
			return nil, err
		}
	}
	actx, cancel := context.WithTimeout(ctx, t.timeout)
	start := time.Now()
	if st != nil {
		st.markSent(t.now())
	}
	out := req.WithContext(actx)
	if st != nil && st.resend == resendUnprocessed {
		// net/http resends a request by itself when a reused connection
		// turns out to be closed, if it thinks the request replayable,
		// and it takes an Idempotency-Key header to mean just that. The
		// server may have acted on the first copy, and may ignore the
		// key: without GetBody the request is not replayable, so only
		// this client's own policy decides what is resent.
		out.GetBody = nil
	}
	resp, err := t.base.RoundTrip(out)
	elapsed := time.Since(start)

	// The line is built only for a Logger: a provider with its logs off
	// has none, and Terraform makes a request per key per refresh.
	var fields map[string]any
	if t.log.logger != nil {
		fields = map[string]any{
			"method":   req.Method,
			"path":     pathOnly(req.URL),
			"attempt":  attempt,
			"duration": elapsed.Round(time.Microsecond).String(),
		}
	}
	if err != nil {
		cancel()
		if g != nil {
			g.done(nil, 0, false)
		}
		if fields != nil {
			fields["error"] = err
			t.log.log(ctx, LevelDebug, "PlexMCP API request failed", fields)
		}
		return nil, err
	}
	if t.skew != nil {
		t.skew.observe(resp.Header.Get("Date"), t.now())
	}
	if g != nil {
		hint, ok := t.hint(st, resp)
		g.done(resp, hint, ok)
	}
	if fields != nil {
		fields["status"] = resp.StatusCode
		t.log.log(ctx, LevelDebug, "PlexMCP API request", fields)
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// hint reads how long a 429 asks every caller of the key to wait: the
// Retry-After header, else X-RateLimit-Reset, else what the API puts in
// the body.
func (t *transport) hint(st *callState, resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	now := time.Now()
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
		return d, true
	}
	if d, ok := untilReset(resp.Header.Get("X-RateLimit-Reset"), now); ok {
		return d, true
	}
	if st != nil && st.dialect != nil {
		return st.dialect.waitHint(resp.StatusCode, peekBody(resp))
	}
	return 0, false
}

// CloseIdleConnections lets http.Client.CloseIdleConnections, which
// go-retryablehttp calls after a failure, reach the pooled transport.
func (t *transport) CloseIdleConnections() {
	type closeIdler interface{ CloseIdleConnections() }
	if c, ok := t.base.(closeIdler); ok {
		c.CloseIdleConnections()
	}
}

// cancelOnClose ends an attempt's timeout context only once the body has been
// read and closed; canceling earlier would cut the body off.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(c.cancel)
	return err
}
