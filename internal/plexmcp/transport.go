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
// the credential's pacer, applies the per-attempt timeout (started after the
// wait, so queueing behind the rate limit never eats into it), feeds the
// response's rate-limit headers back to the pacer and logs one line.
type transport struct {
	base    http.RoundTripper
	pacer   *pacer
	timeout time.Duration
	log     logSink
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	st := callFrom(ctx)
	attempt := 0
	if st != nil {
		attempt = st.beginAttempt()
	}
	release, err := t.pacer.wait(ctx)
	if err != nil {
		return nil, err
	}
	actx, cancel := context.WithTimeout(ctx, t.timeout)
	start := time.Now()
	resp, err := t.base.RoundTrip(req.WithContext(actx))
	elapsed := time.Since(start)
	release(resp)

	fields := map[string]any{
		"method":   req.Method,
		"path":     pathOnly(req.URL),
		"attempt":  attempt,
		"duration": elapsed.Round(time.Microsecond).String(),
	}
	if err != nil {
		cancel()
		fields["error"] = err
		t.log.log(ctx, LevelDebug, "PlexMCP API request failed", fields)
		return nil, err
	}
	fields["status"] = resp.StatusCode
	t.log.log(ctx, LevelDebug, "PlexMCP API request", fields)
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
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
