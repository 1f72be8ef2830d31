package plexmcp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// detectTimeout bounds each detection attempt: the answer is a small
// JSON object, and every operation waits for it.
const detectTimeout = 5 * time.Second

// endpoint returns where the client's requests go. When the configuration
// left the API open, the first call asks the server, once for the client
// and all its WithAPIKey copies: GET /health without credentials answers a
// PlexMCP server with its status, version and database, and anything else
// (404, other JSON, no answer) means the documented hosted API. A
// detection cut short by ctx is not remembered; the caller gets the
// tentative hosted API, and the next call asks again.
func (c *Client) endpoint(ctx context.Context) Endpoint {
	ep := c.endpointSnapshot()
	if !ep.Detect {
		return ep
	}
	tentative := Endpoint{API: APIHosted, BaseURL: ep.BaseURL}
	if ctx == nil {
		return tentative
	}
	s := c.shared
	select {
	case s.detecting <- struct{}{}:
	case <-ctx.Done():
		return tentative
	}
	defer func() { <-s.detecting }()
	if ep = c.endpointSnapshot(); !ep.Detect {
		return ep // another caller decided while this one waited
	}
	api, reason, final := c.detect(ctx, ep)
	resolved := tentative
	if api == APIServer {
		resolved = Endpoint{API: APIServer, BaseURL: rootOf(ep) + serverVersionPath}
	}
	msg := "PlexMCP API detected"
	if !final {
		msg = "PlexMCP API detection was cut short; assuming the hosted API for now"
	}
	c.log.log(ctx, LevelDebug, msg, map[string]any{"api": string(resolved.API), "reason": reason})
	if final {
		s.mu.Lock()
		s.endpoint = resolved
		s.mu.Unlock()
	}
	return resolved
}

func (c *Client) endpointSnapshot() Endpoint {
	c.shared.mu.Lock()
	defer c.shared.mu.Unlock()
	return c.shared.endpoint
}

// detect asks the server at ep which API it is, with at most one retry
// after a transport error, a 429 or a 5xx. final is false when ctx ended
// first.
func (c *Client) detect(ctx context.Context, ep Endpoint) (api API, reason string, final bool) {
	url := rootOf(ep) + "/health"
	timeout := min(c.timeout, detectTimeout)
	for attempt := 1; ; attempt++ {
		status, body, err := c.getHealth(ctx, url, timeout)
		switch {
		case ctx.Err() != nil:
			return APIHosted, "the context ended: " + ctx.Err().Error(), false
		case attempt == 1 && (err != nil || status == http.StatusTooManyRequests || status >= 500):
			timer := time.NewTimer(c.waitMin)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				return APIHosted, "the context ended: " + ctx.Err().Error(), false
			}
			continue
		case err != nil:
			return APIHosted, "GET /health failed: " + c.log.scrub.string(err.Error()), true
		case (status == http.StatusOK || status == http.StatusServiceUnavailable) && isServerHealth(body):
			// A server whose database is down answers 503 "unhealthy": it
			// is still that server, and its own errors say more than the
			// hosted API's would.
			return APIServer, fmt.Sprintf("GET /health answered %d with a PlexMCP server's status, version and database", status), true
		}
		return APIHosted, fmt.Sprintf("GET /health answered %d without a PlexMCP server's status, version and database", status), true
	}
}

func (c *Client) getHealth(ctx context.Context, url string, timeout time.Duration) (int, []byte, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.base.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, body, nil
}

// isServerHealth recognises a PlexMCP server's health answer: a JSON
// object whose status and database are "healthy" or "unhealthy" and whose
// version is a string. All three are asked for, so that some other
// service's health check at the origin is not taken for one; fields a
// later server adds do not matter.
func isServerHealth(body []byte) bool {
	var h map[string]json.RawMessage
	if json.Unmarshal(body, &h) != nil {
		return false
	}
	str := func(raw json.RawMessage) (string, bool) {
		var s string
		ok := len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil
		return s, ok
	}
	state := func(raw json.RawMessage) bool {
		s, ok := str(raw)
		return ok && (s == "healthy" || s == "unhealthy")
	}
	_, hasVersion := str(h["version"])
	return hasVersion && state(h["status"]) && state(h["database"])
}
