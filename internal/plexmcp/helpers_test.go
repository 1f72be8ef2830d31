package plexmcp

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// logLine is one line the client handed to its Logger.
type logLine struct {
	Level  Level
	Msg    string
	Fields map[string]any
}

// collector is a Logger that keeps every line, so tests can look for
// secrets in everything the client ever logged.
type collector struct {
	mu    sync.Mutex
	lines []logLine
}

func (c *collector) Log(_ context.Context, level Level, msg string, fields map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, logLine{Level: level, Msg: msg, Fields: fields})
}

func (c *collector) all() []logLine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]logLine(nil), c.lines...)
}

// text renders every line, fields included, for substring checks.
func (c *collector) text() string {
	var b strings.Builder
	for _, l := range c.all() {
		keys := make([]string, 0, len(l.Fields))
		for k := range l.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(&b, "%s %s", l.Level, l.Msg)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%v", k, l.Fields[k])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// count returns how many lines have msg and, when status is non-zero, that
// status field.
func (c *collector) count(msg string, status int) int {
	n := 0
	for _, l := range c.all() {
		if l.Msg != msg {
			continue
		}
		if status != 0 && l.Fields["status"] != status {
			continue
		}
		n++
	}
	return n
}

// fastConfig is a Config whose retries are quick enough for unit tests.
func fastConfig(baseURL string, key Secret, log Logger) Config {
	return Config{
		BaseURL:        baseURL,
		APIKey:         key,
		MaxRetries:     3,
		RequestTimeout: 5 * time.Second,
		RetryWaitMin:   5 * time.Millisecond,
		RetryWaitMax:   50 * time.Millisecond,
		Logger:         log,
	}
}

func mustNew(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}
