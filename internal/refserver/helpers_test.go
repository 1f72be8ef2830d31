package refserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// The helpers here serve the tests of both APIs: a server on a free
// loopback port, requests that authenticate the way each API expects, and
// checks of the answer in each API's shapes.

// testServer is a reference server on a free loopback port, closed when the
// test ends.
type testServer struct {
	*Running
	client *http.Client
}

func newTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	r, err := Start("", cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testServer{Running: r, client: &http.Client{Timeout: 20 * time.Second}}
}

func newHosted(t *testing.T) *testServer { t.Helper(); return newTestServer(t, Config{}) }

// response is an answer, read whole.
type response struct {
	method, path string
	status       int
	header       http.Header
	raw          []byte
}

// do sends a management request: path is relative to the base URL, and a
// key goes in "Authorization: ApiKey …", the scheme both management APIs
// take. body may be nil, a string or []byte (sent as is) or anything else
// (sent as JSON); a body gets Content-Type application/json unless header
// overrides it. header is name, value pairs; an empty value deletes the
// header.
func (ts *testServer) do(t *testing.T, method, path, key string, body any, header ...string) *response {
	t.Helper()
	if key != "" {
		header = append([]string{"Authorization", "ApiKey " + key}, header...)
	}
	return ts.send(t, method, ts.BaseURL+path, body, header...)
}

// invoke sends POST /mcp at the origin with the key where the API expects
// it: "Authorization: ApiKey …" on the hosted API, X-API-Key on a PlexMCP
// server's proxy.
func (ts *testServer) invoke(t *testing.T, key string, body any, header ...string) *response {
	t.Helper()
	if key != "" {
		name, value := "Authorization", "ApiKey "+key
		if ts.API() == APIServer {
			name, value = "X-API-Key", key
		}
		header = append([]string{name, value}, header...)
	}
	return ts.send(t, http.MethodPost, ts.Origin+"/mcp", body, header...)
}

// send sends one request to url as given.
func (ts *testServer) send(t *testing.T, method, url string, body any, header ...string) *response {
	t.Helper()
	req := newRequest(t, method, url, body, header...)
	// A path may hold a key (tests send keys where ids belong), so
	// messages show it through testsecrets.Hide.
	path := testsecrets.Hide(req.URL.Path)
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %s", method, path, testsecrets.Hide(err.Error()))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return &response{method: method, path: path, status: resp.StatusCode, header: resp.Header, raw: raw}
}

func newRequest(t *testing.T, method, url string, body any, header ...string) *http.Request {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	return req
}

// body is the raw answer for a failure message, with any key in it hidden.
func (r *response) body() string { return testsecrets.Hide(string(r.raw)) }

func (r *response) wantStatus(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d: %s", r.method, r.path, r.status, status, r.body())
	}
	return r
}

// decodeStrict decodes r's body into v, refusing unknown fields, so that a
// field the test does not expect fails it.
func decodeStrict(t *testing.T, r *response, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s %s: %d, decoding %T: %v: %s", r.method, r.path, r.status, v, err, r.body())
	}
	if dec.More() {
		t.Fatalf("%s %s: more than one JSON value: %s", r.method, r.path, r.body())
	}
}

// record returns the server's view of one key.
func (ts *testServer) record(t *testing.T, id string) KeyRecord {
	t.Helper()
	for _, k := range ts.APIKeys() {
		if k.ID == id {
			return k
		}
	}
	t.Fatalf("no key %s on the server", id)
	return KeyRecord{}
}

// bootstrap returns the record of an organisation's bootstrap key.
func (ts *testServer) bootstrap(t *testing.T, orgID string) KeyRecord {
	t.Helper()
	for _, k := range ts.APIKeys() {
		if k.Bootstrap && k.OrgID == orgID {
			return k
		}
	}
	t.Fatalf("no bootstrap key in %s", orgID)
	return KeyRecord{}
}

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// pinClock sets the server's clock to at, give or take the test's own run
// time, so calendar periods and minute windows do not move under a test.
func (ts *testServer) pinClock(at time.Time) { ts.SetClockOffset(time.Until(at)) }

// flip changes the character at i of s to another one of the same class.
func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}

// hide keeps every key of a test out of a failure message.
func hide(v any, secrets ...string) string { return testsecrets.Hide(fmt.Sprint(v), secrets...) }
