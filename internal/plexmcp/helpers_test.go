package plexmcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Keys used by unit tests: well-formed pmcp_01 keys that no server knows.
const (
	unitKey  = "pmcp_018db4d4f83c39226c8989d908c3af284b4b26e6d1deb56acb0edaba61e3253a86b7fff4da0a33544d"
	otherKey = "pmcp_011df9be58aa883dccf746d889f98f028b356b6a9480a45855b2fd800bbbb7431cf26d27acb5989dd4"
)

var testKey = NewSecret(unitKey)

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
func fastConfig(baseURL string, api API, key Secret, log Logger) Config {
	return Config{
		BaseURL:        baseURL,
		API:            api,
		APIKey:         key,
		MaxRetries:     new(3),
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

// scripted serves the i-th step of a script to the i-th request, repeating
// the last, and records every request.
type scripted struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter, r *http.Request)
	times []time.Time
	reqs  []*http.Request
	bodys []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := len(s.times)
	s.times = append(s.times, time.Now())
	s.reqs = append(s.reqs, r)
	s.bodys = append(s.bodys, string(body))
	step := s.steps[min(i, len(s.steps)-1)]
	s.mu.Unlock()
	step(w, r)
}

func (s *scripted) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.times)
}

func respond(status int, body string, headers ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if body != "" && w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// hangUp closes the connection without an answer, like a server that
// committed and crashed, or a proxy that dropped the response.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("httptest's ResponseWriter can always be hijacked")
	}
	if conn, _, err := hj.Hijack(); err == nil {
		conn.Close()
	}
}

func serve(t *testing.T, steps ...func(http.ResponseWriter, *http.Request)) (*scripted, *httptest.Server) {
	t.Helper()
	s := &scripted{steps: steps}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// router answers by "METHOD PATH" (the path without the query); a missing
// route is a test failure answered with 599.
type router struct {
	t      *testing.T
	mu     sync.Mutex
	routes map[string][]func(http.ResponseWriter, *http.Request)
	seen   map[string]int
	log    []string
	bodies []string
}

func newRouter(t *testing.T) *router {
	rt := &router{t: t, routes: map[string][]func(http.ResponseWriter, *http.Request){}, seen: map[string]int{}}
	// A PlexMCP server's client asks for the organisation's MCPs before a
	// grant of chosen MCPs; these are the ids the tests grant.
	rt.on("GET /api/v1/mcps", respond(200, `[`+serverMCPJSON("a")+`,`+serverMCPJSON("b")+`,`+serverMCPJSON("c")+`,`+
		serverMCPJSON(serverWeatherID)+`,`+serverMCPJSON(serverCalcID)+`]`))
	return rt
}

// serverMCPJSON is a PlexMCP server's MCP object with id.
func serverMCPJSON(id string) string {
	return `{"id":"` + id + `","name":"MCP ` + id + `","mcp_type":"http","description":null,"config":{"endpoint_url":"https://mcp.example/` +
		id + `"},"status":"active","is_active":true,"health_status":"unknown","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`
}

// on adds the answers to successive requests of route, the last repeating.
func (rt *router) on(route string, steps ...func(http.ResponseWriter, *http.Request)) *router {
	rt.routes[route] = steps
	return rt
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	route := r.Method + " " + r.URL.Path
	rt.mu.Lock()
	steps := rt.routes[route]
	i := rt.seen[route]
	rt.seen[route]++
	rt.log = append(rt.log, route)
	rt.bodies = append(rt.bodies, string(body))
	rt.mu.Unlock()
	if len(steps) == 0 {
		rt.t.Errorf("unexpected request %s", route)
		w.WriteHeader(599)
		return
	}
	steps[min(i, len(steps)-1)](w, r)
}

func (rt *router) calls() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]string(nil), rt.log...)
}

// bodiesOf returns the bodies of the requests, in order, without the
// client's look-ups of the organisation's MCPs (which have none).
func (rt *router) bodiesOf() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var out []string
	for i, b := range rt.bodies {
		if rt.log[i] != "GET /api/v1/mcps" {
			out = append(out, b)
		}
	}
	return out
}

func (rt *router) count(route string) int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.seen[route]
}

func (rt *router) start() *httptest.Server {
	srv := httptest.NewServer(rt)
	rt.t.Cleanup(srv.Close)
	return srv
}

// hostedOK wraps data in the hosted API's success envelope.
func hostedOK(data string) string { return `{"success":true,"data":` + data + `}` }

// hostedErr is a hosted error envelope.
func hostedErr(code, msg string) string {
	return fmt.Sprintf(`{"success":false,"error":{"code":%q,"message":%q}}`, code, msg)
}

// serverErr is a PlexMCP server's handler error (shape B).
func serverErr(code, msg string) string {
	return fmt.Sprintf(`{"error":{"code":%q,"message":%q}}`, code, msg)
}

// apiErrorOf asserts err is an *APIError and returns it.
func apiErrorOf(t *testing.T, err error) *APIError {
	t.Helper()
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v (%T), want *APIError", err, err)
	}
	return apiErr
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func utcp(s string) *time.Time { t := utc(s); return &t }

func i64(v int64) *int64 { return &v }
