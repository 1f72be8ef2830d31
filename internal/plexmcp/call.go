package plexmcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// maxErrorBody and maxBody bound how much of a response is read: enough for
// any real answer, not enough for a broken proxy to exhaust memory.
const (
	maxErrorBody = 64 << 10
	maxBody      = 32 << 20
)

// resendPolicy says when a failed attempt may be sent again.
type resendPolicy int

const (
	// resendSafe is for requests the server may safely see twice (reads,
	// revokes, updates that set values): transport errors, 429 and 5xx
	// other than 501 are retried.
	resendSafe resendPolicy = iota
	// resendUnprocessed is for creates and tool calls: only an attempt the
	// server provably did not act on is resent (one never written, a 429,
	// and with an Idempotency-Key a 409 for an attempt still in flight).
	resendUnprocessed
)

// request is one logical call, all its attempts.
type request struct {
	dialect dialect
	api     API
	surface surface
	method  string
	url     string // absolute, already escaped, query included
	body    []byte
	header  http.Header // extra headers (Idempotency-Key)
	resend  resendPolicy
	// idempotent makes a 409 worth asking the dialect about.
	idempotent bool
	// maxRetries overrides the client's budget when >= 0.
	maxRetries int
}

// reply is what a call ended with. do returns one even with an error, for
// the bookkeeping of creates.
type reply struct {
	status   int
	header   http.Header
	body     []byte
	attempts int
	// sent and ended bound the last attempt, by the client's clock.
	sent, ended time.Time
	// uncertain says the last attempt failed after the server may have
	// acted on it: a transport error once the request was written, or a
	// 5xx answer.
	uncertain bool
	// unanswered says the last attempt got no answer at all (a timeout, a
	// dropped connection) after it was written: a server still working on
	// it may act on it later, not only before ended.
	unanswered bool
}

// newRequest fills the fields every call needs.
func (c *Client) newRequest(d dialect, api API, s surface, method, rawURL string, body []byte) request {
	return request{dialect: d, api: api, surface: s, method: method, url: rawURL, body: body, maxRetries: -1}
}

// do performs r with retries. A 2xx answer comes back with its body; any
// other answer is the dialect's error (*APIError, *RPCError) with Attempts
// set and the message scrubbed; a transport failure is a wrapped error that
// names the method and path but never a key.
func (c *Client) do(ctx context.Context, r request) (*reply, error) {
	rep := &reply{}
	if ctx == nil {
		return rep, errors.New("plexmcp: nil context")
	}
	if !c.key.IsZero() {
		// A key given to WithAPIKey was never checked, and one with a
		// newline would fail as an opaque transport error.
		if err := CheckAPIKey(c.key.Reveal(), r.api); err != nil {
			return rep, err
		}
	}
	pc := c.pacer
	if r.surface == surfaceMCP && r.api == APIServer {
		pc = c.proxyPacer
	}
	st := &callState{
		method:     r.method,
		resend:     r.resend,
		idempotent: r.idempotent,
		dialect:    r.dialect,
		pacer:      pc,
		log:        c.log,
	}
	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				st.wrote.Store(true)
			}
		},
	}
	ctx = context.WithValue(httptrace.WithClientTrace(ctx, trace), callKey{}, st)
	st.ctx = ctx

	var body any
	if r.body != nil {
		// A byte slice is replayed byte for byte on every attempt, which is
		// what an idempotency record on the server compares.
		body = r.body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return rep, c.scrubErr(fmt.Errorf("plexmcp: %s: %w", r.method, err))
	}
	st.path = pathOnly(req.URL)
	if !c.key.IsZero() {
		r.dialect.authorize(req.Header, c.key, r.surface)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	retries := c.maxRetries
	if r.maxRetries >= 0 {
		retries = r.maxRetries
	}
	// Without a Logger, go-retryablehttp is given none: it would build
	// and scrub a line per attempt only for it to be dropped.
	var logger any
	if c.log.logger != nil {
		logger = retryableLogger{ctx: ctx, sink: c.log}
	}
	rc := &retryablehttp.Client{
		HTTPClient:   c.httpClient,
		Logger:       logger,
		RetryWaitMin: c.waitMin,
		RetryWaitMax: c.waitMax,
		RetryMax:     retries,
		CheckRetry:   st.checkRetry,
		Backoff:      st.backoff,
		ErrorHandler: st.errorHandler,
	}
	resp, err := rc.Do(req)
	rep.attempts = int(st.attempts.Load())
	rep.sent = st.sentAt()
	rep.ended = c.now()
	if err != nil {
		rep.uncertain = st.wrote.Load()
		rep.unanswered = rep.uncertain
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return rep, c.scrubErr(fmt.Errorf("plexmcp: %s %s: giving up after %d attempt(s): %w", r.method, st.path, rep.attempts, err))
	}
	defer resp.Body.Close()
	rep.status, rep.header = resp.StatusCode, resp.Header

	limit := int64(maxBody)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		limit = maxErrorBody
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	rep.ended = c.now()
	if err != nil {
		// The answer was cut off: the server has acted on the request.
		rep.uncertain = true
		return rep, c.scrubErr(fmt.Errorf("plexmcp: %s %s: reading the response: %w", r.method, st.path, err))
	}
	rep.body = raw
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return rep, nil
	}
	rep.uncertain = resp.StatusCode >= 500
	return rep, c.finishError(r.dialect.decodeError(resp.StatusCode, resp.Header, raw), rep.attempts)
}

// finishError sets the attempt count of a decoded error and scrubs what the
// server echoed into it, which may be a key pasted into the wrong field.
func (c *Client) finishError(err error, attempts int) error {
	if e, ok := asAPIError(err); ok {
		e.Attempts = attempts
		e.Code = c.log.scrub.string(e.Code)
		e.Message = c.log.scrub.string(e.Message)
		// A server that echoes input may put it in a field's name too.
		details := make(map[string]string, len(e.Details))
		for k, v := range e.Details {
			details[c.log.scrub.string(k)] = c.log.scrub.string(v)
		}
		if e.Details != nil {
			e.Details = details
		}
		return e
	}
	if e, ok := asRPCError(err); ok {
		e.Message = c.log.scrub.string(e.Message)
		for k, v := range e.Data {
			e.Data[k] = c.log.scrub.value(v)
		}
		return e
	}
	return c.scrubErr(err)
}

// scrubErr keeps a key out of an error that may quote a URL or a header.
func (c *Client) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := c.log.scrub.string(msg); clean != msg {
		return scrubbedError{msg: clean, err: err}
	}
	return err
}

// scrubbedError shows a cleaned message but still unwraps to the original,
// so errors.Is(err, context.Canceled) and friends keep working.
type scrubbedError struct {
	msg string
	err error
}

func (e scrubbedError) Error() string { return e.msg }
func (e scrubbedError) Unwrap() error { return e.err }

// pathSegment escapes an id for use as one path segment. Ids are opaque, but
// an empty or dot id would address a different resource, and a key pasted
// as an id must not travel in a URL, so both are refused.
func (c *Client) pathSegment(what, id string) (string, error) {
	switch {
	case id == "" || id == "." || id == "..":
		return "", fmt.Errorf("plexmcp: invalid %s id %q", what, id)
	case LooksLikeKey(id):
		return "", fmt.Errorf("plexmcp: the %s id looks like an API key (%s), not an id; ids are never secret", what, c.log.scrub.string(id))
	}
	return url.PathEscape(id), nil
}
