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

// The tests' own view of the wire format, independent of the server's
// types (the golden tests compare raw JSON as well).
type wireEnvelope struct {
	Success    *bool           `json:"success"`
	Data       json.RawMessage `json:"data"`
	Pagination *wirePagination `json:"pagination"`
	Error      *wireError      `json:"error"`
}

type wirePagination struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Total      int `json:"total"`
	TotalPages int `json:"total_pages"`
}

type wireError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

type keyView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Mode        string `json:"mode"`
	KeyPrefix   string `json:"key_prefix"`
	Permissions struct {
		MCPs json.RawMessage `json:"mcps"`
	} `json:"permissions"`
	ExpiresAt    *string `json:"expires_at"`
	Status       string  `json:"status"`
	CreatedAt    string  `json:"created_at"`
	LastUsedAt   *string `json:"last_used_at"`
	RequestCount int64   `json:"request_count"`
	RevokedAt    *string `json:"revoked_at"`
	Key          string  `json:"key"`
}

// String keeps the secret out of failure messages that print a keyView.
func (k keyView) String() string {
	type plain keyView // no String method, so no recursion
	p := plain(k)
	if p.Key != "" {
		p.Key = testsecrets.Hide(p.Key, p.Key)
	}
	return fmt.Sprintf("%+v", p)
}

type mcpView struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Mode  string   `json:"mode"`
	Tools []string `json:"tools"`
}

type response struct {
	status int
	header http.Header
	raw    []byte
	env    wireEnvelope
}

// do sends one request. body may be nil, a string or []byte (sent as is)
// or anything else (sent as JSON); a body gets Content-Type
// application/json unless header overrides it. header is name, value
// pairs; an empty value deletes the header.
func (ts *testServer) do(t *testing.T, method, path, key string, body any, header ...string) *response {
	t.Helper()
	req := newRequest(t, method, ts.BaseURL+path, key, body, header...)
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	r := &response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if resp.StatusCode == http.StatusNoContent || method == http.MethodHead {
		if len(raw) != 0 {
			t.Fatalf("%s %s: %d with a body: %s", method, path, resp.StatusCode, raw)
		}
		return r
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r.env); err != nil || r.env.Success == nil {
		t.Fatalf("%s %s: %d, not an envelope (%v): %s", method, path, resp.StatusCode, err, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return r
}

func newRequest(t *testing.T, method, url, key string, body any, header ...string) *http.Request {
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
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
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
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body())
	}
	if r.env.Success != nil && *r.env.Success != (status < 300) {
		t.Fatalf("success %v with status %d: %s", *r.env.Success, status, r.body())
	}
	return r
}

// wantError checks status and code; field, if not empty, must be
// details.field.
func (r *response) wantError(t *testing.T, status int, code, field string) *wireError {
	t.Helper()
	r.wantStatus(t, status)
	if r.env.Error == nil || r.env.Error.Code != code || r.env.Error.Message == "" {
		t.Fatalf("error %+v, want code %q: %s", r.env.Error, code, r.body())
	}
	if field != "" && r.env.Error.Details["field"] != field {
		t.Fatalf("details.field %v, want %q: %s", r.env.Error.Details["field"], field, r.body())
	}
	return r.env.Error
}

func decodeData[T any](t *testing.T, r *response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.env.Data, &v); err != nil {
		t.Fatalf("decoding data: %v: %s", err, r.body())
	}
	return v
}

// createKey creates an access key as the first organisation and returns it
// with its secret.
func (ts *testServer) createKey(t *testing.T, body map[string]any, header ...string) keyView {
	t.Helper()
	r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, header...).wantStatus(t, http.StatusCreated)
	k := decodeData[keyView](t, r)
	if k.Key == "" || k.ID == "" {
		t.Fatalf("create answered without key or id: %s", r.body())
	}
	return k
}

func allMCPs(name string) map[string]any {
	return map[string]any{"name": name, "permissions": map[string]any{"mcps": "*"}}
}

func someMCPs(name string, ids ...string) map[string]any {
	return map[string]any{"name": name, "permissions": map[string]any{"mcps": ids}}
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

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
