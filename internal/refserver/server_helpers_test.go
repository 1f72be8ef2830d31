package refserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// The tests' own view of a PlexMCP server's wire format, independent of
// the server's types.

func newServer(t *testing.T) *testServer { t.Helper(); return newTestServer(t, Config{API: APIServer}) }

// serverKeyView is a key as the tests read it: the union of the create
// answer, the detail and the rotate answer.
type serverKeyView struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Key           string    `json:"key"`
	KeyPrefix     string    `json:"key_prefix"`
	OldKeyPrefix  string    `json:"old_key_prefix"`
	Scopes        []string  `json:"scopes"`
	RateLimitRPM  int       `json:"rate_limit_rpm"`
	ExpiresAt     *string   `json:"expires_at"`
	LastUsedAt    *string   `json:"last_used_at"`
	RequestCount  int64     `json:"request_count"`
	CreatedBy     *string   `json:"created_by"`
	CreatedAt     string    `json:"created_at"`
	RotatedAt     string    `json:"rotated_at"`
	MCPAccessMode string    `json:"mcp_access_mode"`
	AllowedMCPIDs *[]string `json:"allowed_mcp_ids"`
}

// String keeps the secret out of failure messages.
func (k serverKeyView) String() string {
	type plain serverKeyView
	p := plain(k)
	if p.Key != "" {
		p.Key = testsecrets.Hide(p.Key, p.Key)
	}
	return fmt.Sprintf("%+v", p)
}

// jsonBody decodes a bare JSON answer strictly into T and checks its
// content type.
func jsonBody[T any](t *testing.T, r *response) T {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", r.method, r.path, ct)
	}
	var v T
	decodeStrict(t, r, &v)
	return v
}

// authError checks shape A: {"code":401,"error":"…"}.
func (r *response) authError(t *testing.T, message string) {
	t.Helper()
	r.wantStatus(t, http.StatusUnauthorized)
	want := fmt.Sprintf(`{"code":401,"error":%q}`, message)
	if string(r.raw) != want || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("%s %s: %s (%s), want %s", r.method, r.path, r.body(), r.header.Get("Content-Type"), want)
	}
}

// serverError checks shape B: {"error":{"code":…,"message":…}}.
func (r *response) serverError(t *testing.T, status int, code, message string) {
	t.Helper()
	r.wantStatus(t, status)
	want := fmt.Sprintf(`{"error":{"code":%q,"message":%q}}`, code, message)
	if string(r.raw) != want || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("%s %s: %s (%s), want %s", r.method, r.path, r.body(), r.header.Get("Content-Type"), want)
	}
}

// text checks shape C or E: plain text, exactly.
func (r *response) text(t *testing.T, status int, text string) {
	t.Helper()
	r.wantStatus(t, status)
	if string(r.raw) != text || r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("%s %s: %q (%s), want %q", r.method, r.path, r.body(), r.header.Get("Content-Type"), text)
	}
}

// empty checks shape D: no body, and Allow on a 405.
func (r *response) empty(t *testing.T, status int, allow string) {
	t.Helper()
	r.wantStatus(t, status)
	if len(r.raw) != 0 || r.header.Get("Allow") != allow || r.header.Get("Content-Type") != "" {
		t.Errorf("%s %s: body %q, Allow %q, Content-Type %q; want empty, Allow %q", r.method, r.path, r.body(),
			r.header.Get("Allow"), r.header.Get("Content-Type"), allow)
	}
}

// createServerKey creates a key in the first organisation with its
// bootstrap key.
func (ts *testServer) createServerKey(t *testing.T, body any) serverKeyView {
	t.Helper()
	r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body).wantStatus(t, http.StatusCreated)
	k := jsonBody[serverKeyView](t, r)
	if k.Key == "" || k.ID == "" {
		t.Fatalf("create answered without key or id: %s", r.body())
	}
	return k
}

// getServerKey reads a key's detail with the bootstrap key.
func (ts *testServer) getServerKey(t *testing.T, id string) serverKeyView {
	t.Helper()
	return jsonBody[serverKeyView](t, ts.do(t, "GET", "/api-keys/"+id, ts.AdminKey(), nil).wantStatus(t, http.StatusOK))
}

// rpc is a JSON-RPC answer as the tests read it.
type rpc struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

// call sends one JSON-RPC request to the proxy with a key.
func (ts *testServer) call(t *testing.T, key, method string, params any) (*response, rpc) {
	t.Helper()
	req := map[string]any{"jsonrpc": "2.0", "id": 1, "method": method}
	if params != nil {
		req["params"] = params
	}
	r := ts.invoke(t, key, req)
	return r, jsonBody[rpc](t, r)
}

// rpcError checks a JSON-RPC error answer: its HTTP status, code and
// message.
func (r *response) rpcError(t *testing.T, status, code int, message string) rpc {
	t.Helper()
	r.wantStatus(t, status)
	got := jsonBody[rpc](t, r)
	if got.JSONRPC != "2.0" || got.Error == nil || got.Error.Code != code || got.Error.Message != message || got.Result != nil {
		t.Fatalf("%s %s: %s, want error %d %q", r.method, r.path, r.body(), code, message)
	}
	return got
}
