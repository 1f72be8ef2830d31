package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// throttledRun is one apply of keys against a server that allows rate
// requests a second to a key, which the provider shares across its keys.
type throttledRun struct {
	api     string
	headers bool // the server sends X-RateLimit-* headers
	keys    int
	rate    float64
	wall    time.Duration
	// requests and n429s count what the server answered during the apply.
	requests, n429s int
}

// requestsPerCreate is what creating one key takes on each API: the hosted
// API's create answer holds every field the provider stores; a PlexMCP
// server's lacks the key's MCP access, which the client reads back with a
// GET (plexmcp-server-api.md, 2.1).
var requestsPerCreate = map[string]int{apiHosted: 1, apiServer: 2}

// floor is the least time the rate limit allows: every request the creates
// need, at rate a second (the bucket's first, free tokens left out, to
// keep it simple and a little in the provider's favour).
func (t throttledRun) floor() time.Duration {
	return time.Duration(float64(t.keys*requestsPerCreate[t.api]) / t.rate * float64(time.Second))
}

// Targets of a throttled apply, as a ratio of its floor: tighter where the
// server says how much budget is left.
const (
	targetThrottledHeaders   = 1.3
	targetThrottledNoHeaders = 1.5
)

func (t throttledRun) target() float64 {
	if t.headers {
		return targetThrottledHeaders
	}
	return targetThrottledNoHeaders
}

// measureThrottled applies opts.throttled keys against a fresh
// rate-limited server for each API: on the hosted API with and without
// X-RateLimit-* headers (its documentation does not promise them), on a
// PlexMCP server without (it sends none). Nothing is destroyed: the
// server goes away with the benchmark.
func (b *bench) measureThrottled(ctx context.Context) ([]throttledRun, error) {
	if b.opts.throttled == 0 {
		return nil, nil
	}
	var out []throttledRun
	for _, api := range b.opts.apis {
		variants := []bool{false}
		if api == apiHosted {
			variants = []bool{true, false}
		}
		for _, headers := range variants {
			t := throttledRun{api: api, headers: headers, keys: b.opts.throttled, rate: b.opts.rate}
			fmt.Fprintf(b.progress, "==> throttled apply: %d keys at %g requests/s, %s API, X-RateLimit-* headers %s\n",
				t.keys, t.rate, api, map[bool]string{true: "on", false: "off"}[headers])
			var log accessLogCounter
			srv, err := b.startServer(refserver.Config{API: api, RateLimit: t.rate, RateLimitHeaders: headers, AccessLog: &log})
			if err != nil {
				return nil, err
			}
			name := fmt.Sprintf("throttled-%s-%t", api, headers)
			dir, err := b.dir(name, keysConfig("plexmcp", t.keys))
			if err != nil {
				return nil, err
			}
			r, err := b.terraform(ctx, dir, b.env(srv), "apply", "-auto-approve", "-input=false")
			if err != nil {
				return nil, fmt.Errorf("throttled apply, %s API: %w", api, err)
			}
			t.wall = r.wall
			t.requests, t.n429s = log.count()
			out = append(out, t)
		}
	}
	return out, nil
}

// accessLogCounter counts the reference server's access-log lines
// ("METHOD PATH STATUS DURATION") and the 429s among them.
type accessLogCounter struct {
	mu             sync.Mutex
	partial        []byte
	requests, n429 int
}

func (c *accessLogCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		f := strings.Fields(string(c.partial[:i]))
		c.partial = c.partial[i+1:]
		if len(f) == 4 {
			c.requests++
			if f[2] == "429" {
				c.n429++
			}
		}
	}
	return len(p), nil
}

func (c *accessLogCounter) count() (requests, n429s int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests, c.n429
}
