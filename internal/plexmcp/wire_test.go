package plexmcp

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTolerantKeyReading reads the fields the two APIs spell differently,
// under either name, through both APIs' readers.
func TestTolerantKeyReading(t *testing.T) {
	t.Parallel()
	now := utc("2026-01-20T12:00:00Z")
	tests := map[string]struct {
		json string
		want APIKey
	}{
		"hosted names": {
			json: `{"id":"k","prefix":"pmcp_01abcde","last_used":"2026-01-20T11:00:00Z","usage":{"total_requests":7}}`,
			want: APIKey{ID: "k", KeyPrefix: "pmcp_01abcde", LastUsed: utcp("2026-01-20T11:00:00Z"), Usage: Usage{TotalRequests: 7}},
		},
		"server names": {
			json: `{"id":"k","key_prefix":"pmcp_01abcde0123...","last_used_at":"2026-01-20T11:00:00.123456Z","request_count":7}`,
			want: APIKey{ID: "k", KeyPrefix: "pmcp_01abcde0123...", LastUsed: utcp("2026-01-20T11:00:00.123456Z"), Usage: Usage{TotalRequests: 7}},
		},
		"an offset and nine digits": {
			json: `{"id":"k","created_at":"2026-01-20T13:30:00.123456789+01:30","expires_at":"2099-01-01T00:00:00-05:00"}`,
			want: APIKey{ID: "k", CreatedAt: utc("2026-01-20T12:00:00.123456789Z"), ExpiresAt: utcp("2099-01-01T05:00:00Z")},
		},
		"lower-case t and z, and a space": {
			json: `{"id":"k","created_at":"2026-01-20t12:00:00z","last_used_at":"2026-01-20 11:00:00Z"}`,
			want: APIKey{ID: "k", CreatedAt: utc("2026-01-20T12:00:00Z"), LastUsed: utcp("2026-01-20T11:00:00Z")},
		},
		"created_by as an object": {
			json: `{"id":"k","created_by":{"id":"user_1","email":"o@example.com"}}`,
			want: APIKey{ID: "k", CreatedBy: &User{ID: "user_1", Email: "o@example.com"}},
		},
		"created_by as an id": {
			json: `{"id":"k","created_by":"59809d85-ff47-41c9-b22b-bb4ef4ddce7c"}`,
			want: APIKey{ID: "k", CreatedBy: &User{ID: "59809d85-ff47-41c9-b22b-bb4ef4ddce7c"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var h hostedKey
			if err := json.Unmarshal([]byte(tc.json), &h); err != nil {
				t.Fatalf("hosted reader: %v", err)
			}
			got := h.apiKey()
			got.Status = "" // the hosted reader takes status from the answer
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("hosted reader (-want +got):\n%s", diff)
			}
			var s serverKey
			if err := json.Unmarshal([]byte(tc.json), &s); err != nil {
				t.Fatalf("server reader: %v", err)
			}
			got = s.apiKey(now)
			got.Status, got.Permissions = "", Permissions{}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("server reader (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServerKeyStatusAndPermissions(t *testing.T) {
	t.Parallel()
	now := utc("2026-01-20T12:00:00Z")
	tests := map[string]struct {
		json       string
		wantStatus string
		wantPerms  Permissions
	}{
		"never expires":            {json: `{"expires_at":null,"mcp_access_mode":"all","allowed_mcp_ids":null}`, wantStatus: StatusActive, wantPerms: Permissions{AllMCPs: true}},
		"expires later":            {json: `{"expires_at":"2026-01-20T12:00:00.000001Z","mcp_access_mode":"all"}`, wantStatus: StatusActive, wantPerms: Permissions{AllMCPs: true}},
		"expires now":              {json: `{"expires_at":"2026-01-20T12:00:00Z","mcp_access_mode":"all"}`, wantStatus: StatusExpired, wantPerms: Permissions{AllMCPs: true}},
		"expired, other offset":    {json: `{"expires_at":"2026-01-20T12:59:59+01:00","mcp_access_mode":"all"}`, wantStatus: StatusExpired, wantPerms: Permissions{AllMCPs: true}},
		"all ignores stale ids":    {json: `{"mcp_access_mode":"all","allowed_mcp_ids":["a"]}`, wantStatus: StatusActive, wantPerms: Permissions{AllMCPs: true}},
		"selected":                 {json: `{"mcp_access_mode":"selected","allowed_mcp_ids":["a","b"]}`, wantStatus: StatusActive, wantPerms: Permissions{MCPIDs: []string{"a", "b"}}},
		"selected with null ids":   {json: `{"mcp_access_mode":"selected","allowed_mcp_ids":null}`, wantStatus: StatusActive, wantPerms: Permissions{MCPIDs: []string{}}},
		"none grants nothing":      {json: `{"mcp_access_mode":"none","allowed_mcp_ids":["a"]}`, wantStatus: StatusActive, wantPerms: Permissions{MCPIDs: []string{}}},
		"an unknown mode: nothing": {json: `{"mcp_access_mode":"some","allowed_mcp_ids":["a"]}`, wantStatus: StatusActive, wantPerms: Permissions{MCPIDs: []string{}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var s serverKey
			if err := json.Unmarshal([]byte(tc.json), &s); err != nil {
				t.Fatal(err)
			}
			k := s.apiKey(now)
			if k.Status != tc.wantStatus {
				t.Errorf("Status = %q, want %q", k.Status, tc.wantStatus)
			}
			if diff := cmp.Diff(tc.wantPerms, k.Permissions); diff != "" {
				t.Errorf("Permissions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestServerErrorShapes reads the five shapes of a PlexMCP server's errors
// (§5.1 of its contract) and the proxy's JSON-RPC errors.
func TestServerErrorShapes(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		status int
		body   string
		want   error
	}{
		"A: middleware":            {status: 401, body: `{"code":401,"error":"Invalid API key"}`, want: &APIError{StatusCode: 401, Message: "Invalid API key"}},
		"B: handler":               {status: 404, body: `{"error":{"code":"NOT_FOUND","message":"Resource not found"}}`, want: &APIError{StatusCode: 404, Code: "NOT_FOUND", Message: "Resource not found"}},
		"C: framework text":        {status: 415, body: "Expected request with `Content-Type: application/json`", want: &APIError{StatusCode: 415, Message: "Expected request with `Content-Type: application/json`"}},
		"D: empty":                 {status: 405, body: "", want: &APIError{StatusCode: 405}},
		"E: serialisation":         {status: 500, body: "Error serializing response: year out of range\n", want: &APIError{StatusCode: 500, Message: "Error serializing response: year out of range"}},
		"JSON of another shape":    {status: 500, body: `{"message":"x"}`, want: &APIError{StatusCode: 500}},
		"JSON-RPC error":           {status: 401, body: `{"jsonrpc":"2.0","error":{"code":-32002,"message":"API key has expired"}}`, want: &RPCError{HTTPStatus: 401, Code: -32002, Message: "API key has expired"}},
		"JSON-RPC error with data": {status: 429, body: `{"jsonrpc":"2.0","error":{"code":-32029,"message":"Rate limit exceeded","data":{"retry_after_seconds":17}}}`, want: &RPCError{HTTPStatus: 429, Code: -32029, Message: "Rate limit exceeded", Data: map[string]any{"retry_after_seconds": 17.0}}},
		"JSON-RPC without a code":  {status: 400, body: `{"jsonrpc":"2.0","error":{"message":"x"}}`, want: &APIError{StatusCode: 400, Message: "x"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := serverDialect{}.decodeError(tc.status, http.Header{}, []byte(tc.body))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeleteAcceptsOKAndNoContent(t *testing.T) {
	t.Parallel()
	for _, api := range []API{APIHosted, APIServer} {
		for _, status := range []int{200, 204} {
			ac := apiCases[api]
			t.Run(string(api)+"/"+http.StatusText(status), func(t *testing.T) {
				t.Parallel()
				body := ""
				if status == 200 {
					body = hostedOK(`{"id":"k1","status":"revoked","revoked_at":"2026-01-20T12:00:00Z"}`)
				}
				rt := newRouter(t).on("DELETE "+ac.path+"/api-keys/k1", respond(status, body))
				c := mustNew(t, fastConfig(rt.start().URL+ac.path, api, testKey, nil))
				if err := c.RevokeAPIKey(testCtx(t), "k1"); err != nil {
					t.Errorf("RevokeAPIKey: %v", err)
				}
			})
		}
	}
}

func TestServerWaitHint(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		body   string
		want   time.Duration
		wantOK bool
	}{
		"seconds":        {body: `{"jsonrpc":"2.0","error":{"code":-32029,"message":"x","data":{"retry_after_seconds":17}}}`, want: 17 * time.Second, wantOK: true},
		"none":           {body: `{"jsonrpc":"2.0","error":{"code":-32029,"message":"x"}}`},
		"not JSON-RPC":   {body: `{"error":{"code":"RATE_LIMITED","message":"Too many requests"}}`},
		"negative":       {body: `{"jsonrpc":"2.0","error":{"code":-32029,"message":"x","data":{"retry_after_seconds":-5}}}`},
		"absurdly large": {body: `{"jsonrpc":"2.0","error":{"code":-32029,"message":"x","data":{"retry_after_seconds":1e300}}}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := serverDialect{}.waitHint(429, []byte(tc.body))
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("waitHint = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
