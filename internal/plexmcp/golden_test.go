package plexmcp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The golden fixtures in internal/testdata/api are written on the reference
// server's side and pin both APIs' wire formats for both ends. Here every
// response fixture is served over HTTP and read through the client's public
// methods (the path real answers take), and every request fixture is
// compared with the JSON the client sends for the same request.

const goldenRoot = "../testdata/api"

func golden(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenRoot, dir, name))
	if err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	return b
}

// serveGolden answers every request with a fixture.
func serveGolden(t *testing.T, dir, name string, status int, headers ...string) func(http.ResponseWriter, *http.Request) {
	body := string(golden(t, dir, name))
	if !strings.HasSuffix(name, ".json") {
		headers = append(headers, "Content-Type", "text/plain; charset=utf-8")
	}
	return respond(status, body, headers...)
}

// sameJSON fails unless got and the fixture hold the same JSON value.
func sameJSON(t *testing.T, dir, name, got string, ignore ...string) {
	t.Helper()
	var want, have any
	if err := json.Unmarshal(golden(t, dir, name), &want); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := json.Unmarshal([]byte(got), &have); err != nil {
		t.Fatalf("the client sent invalid JSON %q: %v", got, err)
	}
	for _, m := range []any{want, have} {
		if o, ok := m.(map[string]any); ok {
			for _, k := range ignore {
				delete(o, k)
			}
		}
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("request body differs from %s/%s (-fixture +sent):\n%s", dir, name, diff)
	}
}

// keyPath is the path of the server fixtures' "ci" key.
const keyPath = "/api/v1/api-keys/49960296-d3e9-4a3b-adae-608f0bce04d6"

// goldenNow is the clock the fixtures were made at.
func goldenNow() time.Time { return utc("2026-01-20T12:10:00Z") }

func goldenClient(t *testing.T, baseURL string, api API) *Client {
	t.Helper()
	cfg := fastConfig(baseURL, api, testKey, nil)
	cfg.MaxRetries = new(0)
	cfg.Now = goldenNow
	return mustNew(t, cfg)
}

// notRead are fixtures of calls the client never makes.
var notRead = map[string]string{
	"server/api_key_usage.json":       "the client has no usage call",
	"server/initialize_request.json":  "the proxy needs no initialize, so the client sends none",
	"server/initialize_response.json": "the proxy needs no initialize, so the client sends none",
}

var (
	hostedCI = APIKey{
		ID: "key_3kTMd9nQ2xWfA7bZp1Lc", Name: "ci", Description: "Used by the deploy pipeline.", KeyPrefix: "pmcp_01c9101",
		Permissions: Permissions{MCPIDs: []string{"mcp_weather", "mcp_calculator"}}, Status: StatusActive,
		ExpiresAt: utcp("2099-01-01T00:00:00Z"), CreatedAt: utc("2026-01-20T12:01:00Z"),
	}
	hostedCIDetail = func() APIKey {
		k := hostedCI
		k.CreatedBy = &User{ID: "user_7Qm2Xk9LpV4tR8nBc3Wd", Email: "owner@example.com"}
		k.UpdatedAt, k.LastUsed = utcp("2026-01-20T12:01:00Z"), utcp("2026-01-20T12:01:02Z")
		k.Usage = Usage{TotalRequests: 3, RequestsToday: i64(3), RequestsThisWeek: i64(3), RequestsThisMonth: i64(3)}
		k.RecentActivity = []Activity{
			{Timestamp: utc("2026-01-20T12:01:02Z"), MCPID: "mcp_calculator", Tool: "nope", Status: "error"},
			{Timestamp: utc("2026-01-20T12:01:01Z"), MCPID: "mcp_weather", Tool: "get_weather", Status: "success"},
		}
		return k
	}()
	hostedOldLaptop = APIKey{
		ID: "key_5RvHn8TqY2mLc6XwBz4D", Name: "old-laptop", KeyPrefix: "pmcp_018d901", Permissions: Permissions{AllMCPs: true},
		Status: StatusRevoked, CreatedAt: utc("2026-01-20T12:02:00Z"), UpdatedAt: utcp("2026-01-20T12:03:00Z"),
		LastUsed: utcp("2026-01-20T12:02:30Z"), RevokedAt: utcp("2026-01-20T12:03:00Z"),
		Usage: Usage{TotalRequests: 1, RequestsToday: i64(1)},
	}
	hostedWeather = MCP{
		ID: "mcp_weather", Name: "Weather API", Description: "Current weather for any city.", EndpointURL: "https://mcp.example.com/weather",
		Status: "active", Health: "healthy", CreatedAt: utc("2026-01-01T00:00:00Z"),
	}

	serverWeatherID = "0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60"
	serverCalcID    = "3b9e7c21-5a84-4f1d-8c36-2e7a9b0d4c15"
	serverCI        = APIKey{
		ID: "49960296-d3e9-4a3b-adae-608f0bce04d6", Name: "ci", KeyPrefix: "pmcp_0173be89faac...",
		Permissions: Permissions{MCPIDs: []string{serverWeatherID, serverCalcID}}, Status: StatusActive,
		ExpiresAt: utcp("2099-01-01T00:00:00Z"), LastUsed: utcp("2026-01-20T12:00:00.004127Z"),
		CreatedAt: utc("2026-01-20T12:00:00.000198Z"), Usage: Usage{TotalRequests: 2}, RateLimitRPM: i64(120),
	}
	serverWeather = MCP{
		ID: serverWeatherID, Name: "Weather API", Description: "Current weather for any city.", EndpointURL: "https://mcp.example.com/weather",
		Status: "active", Health: "healthy", CreatedAt: utc("2026-01-01T00:00:00.25Z"),
		Tools: []Tool{{Name: "get_weather", Description: "Returns the current weather for a city."}},
	}
)

type goldenCase struct {
	files []string // fixtures read or compared, for coverage
	route func(t *testing.T, rt *router)
	call  func(context.Context, *Client) (any, error)
	want  any
	sent  map[int]string // request index → request fixture
}

func hostedGoldenCases() map[string]goldenCase {
	const dir = "hosted"
	return map[string]goldenCase{
		"create": {
			files: []string{"api_key_created.json", "create_request.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("POST /v1/api-keys", serveGolden(t, dir, "api_key_created.json", 201))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				k, err := c.CreateAPIKey(ctx, CreateAPIKeyRequest{
					Name: "ci", Description: "Used by the deploy pipeline.",
					Permissions: Permissions{MCPIDs: []string{"mcp_weather", "mcp_calculator"}},
					ExpiresAt:   utcp("2099-01-01T00:00:00Z"),
				})
				if err != nil {
					return nil, err
				}
				// Compare the secret in the clear; cmp would only call Equal.
				return []any{k.APIKey, k.Key.Reveal(), k.Pending}, nil
			},
			want: []any{hostedCI, "pmcp_01c9101d4e8c664416a36f0ae87a63790dd1bee614951b683f33e376174294b1d2961bfaa74019dabc", (*PendingCreate)(nil)},
			sent: map[int]string{0: "create_request.json"},
		},
		"create, all MCPs": {
			files: []string{"create_request_all_mcps.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("POST /v1/api-keys", serveGolden(t, dir, "api_key_created.json", 201))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				_, err := c.CreateAPIKey(ctx, CreateAPIKeyRequest{Name: "staging", Permissions: Permissions{AllMCPs: true}})
				return nil, err
			},
			sent: map[int]string{0: "create_request_all_mcps.json"},
		},
		"get": {
			files: []string{"api_key.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("GET /v1/api-keys/key_3kTMd9nQ2xWfA7bZp1Lc", serveGolden(t, dir, "api_key.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetAPIKey(ctx, "key_3kTMd9nQ2xWfA7bZp1Lc") },
			want: &hostedCIDetail,
		},
		"get revoked": {
			files: []string{"api_key_revoked.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("GET /v1/api-keys/key_5RvHn8TqY2mLc6XwBz4D", serveGolden(t, dir, "api_key_revoked.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetAPIKey(ctx, "key_5RvHn8TqY2mLc6XwBz4D") },
			want: func() *APIKey {
				k := hostedOldLaptop
				k.CreatedBy = &User{ID: "user_7Qm2Xk9LpV4tR8nBc3Wd", Email: "owner@example.com"}
				k.Usage.RequestsThisWeek, k.Usage.RequestsThisMonth = i64(1), i64(1)
				k.RecentActivity = []Activity{}
				return &k
			}(),
		},
		"list": {
			files: []string{"api_key_list.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("GET /v1/api-keys", serveGolden(t, dir, "api_key_list.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListAPIKeys(ctx, ListAPIKeysOptions{}) },
			want: []APIKey{
				{
					ID: "key_8WcLq3VnR7tXb2KmZ5Hd", Name: "bootstrap", KeyPrefix: "pmcp_010d4c7", Permissions: Permissions{AllMCPs: true},
					Status: StatusActive, CreatedAt: utc("2026-01-20T12:00:00Z"), UpdatedAt: utcp("2026-01-20T12:00:00Z"),
					LastUsed: utcp("2026-01-20T12:03:00Z"), Usage: Usage{TotalRequests: 4, RequestsToday: i64(4)},
				},
				func() APIKey {
					k := hostedCI
					k.UpdatedAt, k.LastUsed = utcp("2026-01-20T12:01:00Z"), utcp("2026-01-20T12:01:02Z")
					k.Usage = Usage{TotalRequests: 3, RequestsToday: i64(3)}
					return k
				}(),
				hostedOldLaptop,
			},
		},
		"patch, then read back": {
			files: []string{"api_key_patched.json", "patch_request.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("PATCH /v1/api-keys/key_3kTMd9nQ2xWfA7bZp1Lc", serveGolden(t, dir, "api_key_patched.json", 200))
				rt.on("GET /v1/api-keys/key_3kTMd9nQ2xWfA7bZp1Lc", serveGolden(t, dir, "api_key.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				name, desc := "ci-deploy", "Rotated every quarter."
				return c.UpdateAPIKey(ctx, "key_3kTMd9nQ2xWfA7bZp1Lc", UpdateAPIKeyRequest{Name: &name, Description: &desc})
			},
			want: &hostedCIDetail,
			sent: map[int]string{0: "patch_request.json"},
		},
		"revoke": {
			files: []string{"api_key_deleted.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("DELETE /v1/api-keys/key_5RvHn8TqY2mLc6XwBz4D", serveGolden(t, dir, "api_key_deleted.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.RevokeAPIKey(ctx, "key_5RvHn8TqY2mLc6XwBz4D")
			},
		},
		"list MCPs": {
			files: []string{"mcp_list.json"},
			route: func(t *testing.T, rt *router) { rt.on("GET /v1/mcps", serveGolden(t, dir, "mcp_list.json", 200)) },
			call:  func(ctx context.Context, c *Client) (any, error) { return c.ListMCPs(ctx, ListMCPsOptions{}) },
			want: []MCP{
				hostedWeather,
				{ID: "mcp_calculator", Name: "Calculator", Description: "Simple arithmetic.", EndpointURL: "https://mcp.example.com/calculator", Status: "active", Health: "healthy", CreatedAt: utc("2026-01-01T00:01:00Z")},
				{ID: "mcp_sandbox", Name: "Sandbox", Description: "Echoes its arguments, for trying things out.", EndpointURL: "https://mcp.example.com/sandbox", Status: "active", Health: "healthy", CreatedAt: utc("2026-01-01T00:02:00Z")},
			},
		},
		"get MCP": {
			files: []string{"mcp.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("GET /v1/mcps/mcp_weather", serveGolden(t, dir, "mcp.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetMCP(ctx, "mcp_weather") },
			want: func() *MCP {
				m := hostedWeather
				m.LastActive, m.RequestCount = utcp("2026-01-20T12:00:03Z"), 4
				m.Tools = []Tool{{Name: "get_weather", Description: "Returns the current weather for a city."}}
				return &m
			}(),
		},
		"invoke": {
			files: []string{"invoke_request.json", "invoke_response.json"},
			route: func(t *testing.T, rt *router) { rt.on("POST /mcp", serveGolden(t, dir, "invoke_response.json", 200)) },
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Invoke(ctx, InvokeRequest{MCPID: "mcp_weather", Tool: "get_weather", Arguments: map[string]any{"city": "London"}})
			},
			want: &InvokeResult{MCPID: "mcp_weather", Tool: "get_weather", Result: map[string]any{"city": "London", "conditions": "sunny", "temperature_c": 21.0}},
			sent: map[int]string{0: "invoke_request.json"},
		},
		"reachable and not": {
			files: []string{"error_tool_not_found.json", "error_mcp_not_permitted.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("POST /mcp", serveGolden(t, dir, "error_tool_not_found.json", 404), serveGolden(t, dir, "error_mcp_not_permitted.json", 403))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ReachableMCPs(ctx, []MCP{{ID: "mcp_weather"}, {ID: "mcp_sandbox"}})
			},
			want: map[string]bool{"mcp_weather": true, "mcp_sandbox": false},
		},
	}
}

func TestGoldenHosted(t *testing.T) {
	const dir = "hosted"
	ctx := context.Background()
	tests := hostedGoldenCases()
	t.Parallel()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rt := newRouter(t)
			tc.route(t, rt)
			srv := rt.start()
			got, err := tc.call(ctx, goldenClient(t, srv.URL+"/v1", APIHosted))
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); tc.want != nil && diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			bodies := rt.bodiesOf()
			for i, f := range tc.sent {
				if i >= len(bodies) {
					t.Fatalf("no request %d", i)
				}
				sameJSON(t, dir, f, bodies[i])
			}
		})
	}
}

type hostedGoldenError struct {
	status    int
	code, msg string
	details   map[string]string
	predicate func(error) bool
}

func hostedGoldenErrors() map[string]hostedGoldenError {
	return map[string]hostedGoldenError{
		"error_unauthorized.json":         {status: 401, code: "unauthorized", msg: "Invalid or missing API key", predicate: IsUnauthorized},
		"error_forbidden.json":            {status: 403, code: "forbidden", msg: "API key limit reached for your plan", predicate: IsQuotaExceeded},
		"error_only_active_key.json":      {status: 403, code: "forbidden", msg: "Cannot revoke your only active key", predicate: IsOnlyActiveKey},
		"error_mcp_not_permitted.json":    {status: 403, code: "mcp_not_permitted", msg: "API key does not have access to this MCP", predicate: IsAccessDenied},
		"error_not_found.json":            {status: 404, code: "not_found", msg: "API key not found", predicate: IsNotFound},
		"error_tool_not_found.json":       {status: 404, code: "tool_not_found", msg: "Tool 'nope' not found", predicate: IsNotFound},
		"error_conflict.json":             {status: 409, code: "conflict", msg: "API key is revoked and cannot be changed", predicate: IsConflict},
		"error_invalid_permissions.json":  {status: 400, code: "invalid_request", msg: "Invalid permissions format", predicate: IsValidation},
		"error_invalid_request.json":      {status: 400, code: "invalid_request", msg: "Unknown field: mode", details: map[string]string{"mode": "Unknown field"}, predicate: IsValidation},
		"error_validation.json":           {status: 422, code: "validation_error", msg: "Validation failed", details: map[string]string{"name": "Must be 1 to 100 characters", "expires_at": "Must be a future date"}, predicate: IsValidation},
		"error_invalid_arguments.json":    {status: 400, code: "invalid_arguments", msg: "Wrong argument format", predicate: func(err error) bool { return !IsValidation(err) }},
		"error_idempotency_mismatch.json": {status: 422, code: "idempotency_mismatch", msg: "This Idempotency-Key was already used with a different request body", predicate: func(err error) bool { return !IsValidation(err) }},
		"error_rate_limited.json":         {status: 429, code: "rate_limited", msg: "Too many requests", predicate: IsRateLimited},
		"error_unavailable.json":          {status: 503, code: "unavailable", msg: "Service temporarily unavailable", predicate: func(err error) bool { return !IsRateLimited(err) }},
	}
}

// TestGoldenHostedErrors reads every hosted error fixture as the answer to
// a call, and checks what the caller can branch on.
func TestGoldenHostedErrors(t *testing.T) {
	const dir = "hosted"
	tests := hostedGoldenErrors()
	t.Parallel()
	for file, tc := range tests {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			_, srv := serve(t, serveGolden(t, dir, file, tc.status, "Retry-After", "0"))
			c := goldenClient(t, srv.URL+"/v1", APIHosted)
			_, err := c.ListMCPs(context.Background(), ListMCPsOptions{})
			want := &APIError{StatusCode: tc.status, Code: tc.code, Message: tc.msg, Details: tc.details, Attempts: 1}
			if diff := cmp.Diff(want, apiErrorOf(t, err)); diff != "" {
				t.Errorf("APIError mismatch (-want +got):\n%s", diff)
			}
			if !tc.predicate(err) {
				t.Errorf("the predicate does not hold for %v", err)
			}
		})
	}
}

type goldenServerCase struct {
	files []string
	route func(t *testing.T, rt *router)
	call  func(context.Context, *Client) (any, error)
	want  any
	sent  map[int]string // request index → request fixture
	// merged compares the union of the listed requests' bodies with
	// one fixture: the client splits what the fixture sends at once.
	merged []int
}

func serverGoldenCases() map[string]goldenServerCase {
	const dir = "server"
	return map[string]goldenServerCase{
		"create, then read back": {
			files: []string{"api_key_created.json", "api_key.json", "create_request.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("POST /api/v1/api-keys", serveGolden(t, dir, "api_key_created.json", 201))
				rt.on("GET "+keyPath, serveGolden(t, dir, "api_key.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				k, err := c.CreateAPIKey(ctx, CreateAPIKeyRequest{
					Name: "ci", Permissions: Permissions{MCPIDs: []string{serverWeatherID, serverCalcID}},
					ExpiresAt: utcp("2099-01-01T00:00:00Z"), RateLimitRPM: i64(120),
				})
				if err != nil {
					return nil, err
				}
				return []any{k.APIKey, k.Key.Reveal()}, nil
			},
			want: []any{serverCI, "pmcp_0173be89faac034672923f9af3f49247bcb042e2f22066af9a269bed17092bdd5a507f182d9d9c93bd"},
			sent: map[int]string{0: "create_request.json"},
		},
		"create, all MCPs": {
			files: []string{"create_request_all_mcps.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("POST /api/v1/api-keys", serveGolden(t, dir, "api_key_created.json", 201))
				rt.on("GET "+keyPath, serveGolden(t, dir, "api_key_bootstrap.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				_, err := c.CreateAPIKey(ctx, CreateAPIKeyRequest{Name: "staging", Permissions: Permissions{AllMCPs: true}})
				return nil, err
			},
			sent: map[int]string{0: "create_request_all_mcps.json"},
		},
		"get": {
			route: func(t *testing.T, rt *router) { rt.on("GET "+keyPath, serveGolden(t, dir, "api_key.json", 200)) },
			call:  func(ctx context.Context, c *Client) (any, error) { return c.GetAPIKey(ctx, serverCI.ID) },
			want:  &serverCI,
		},
		"get the bootstrap key": {
			files: []string{"api_key_bootstrap.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("GET /api/v1/api-keys/fea254d9-cd1c-49d8-855c-18045b086f64", serveGolden(t, dir, "api_key_bootstrap.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetAPIKey(ctx, "fea254d9-cd1c-49d8-855c-18045b086f64")
			},
			want: &APIKey{
				ID: "fea254d9-cd1c-49d8-855c-18045b086f64", Name: "bootstrap", KeyPrefix: "pmcp_010d4c7f2a77...",
				Permissions: Permissions{AllMCPs: true}, Status: StatusActive, LastUsed: utcp("2026-01-20T12:00:00.000942Z"),
				CreatedAt: utc("2026-01-20T12:00:00Z"), Usage: Usage{TotalRequests: 1}, RateLimitRPM: i64(60),
				CreatedBy: &User{ID: "59809d85-ff47-41c9-b22b-bb4ef4ddce7c"},
			},
		},
		"patch, one concern at a time": {
			files: []string{"api_key_patched.json", "patch_request.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("PATCH "+keyPath, serveGolden(t, dir, "api_key_patched.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				name := "ci-deploy"
				return c.UpdateAPIKey(ctx, serverCI.ID, UpdateAPIKeyRequest{Name: &name, Permissions: &Permissions{AllMCPs: true}})
			},
			want: &APIKey{
				ID: serverCI.ID, Name: "ci-deploy", KeyPrefix: "pmcp_0173be89faac...", Permissions: Permissions{AllMCPs: true},
				Status: StatusActive, ExpiresAt: utcp("2099-01-01T00:00:00Z"), CreatedAt: utc("2026-01-20T12:00:00.000198Z"), RateLimitRPM: i64(120),
			},
			sent:   map[int]string{},
			merged: []int{0, 1},
		},
		"revoke": {
			route: func(t *testing.T, rt *router) { rt.on("DELETE "+keyPath, respond(204, "")) },
			call:  func(ctx context.Context, c *Client) (any, error) { return nil, c.RevokeAPIKey(ctx, serverCI.ID) },
		},
		"list MCPs": {
			files: []string{"mcp_list.json"},
			route: func(t *testing.T, rt *router) { rt.on("GET /api/v1/mcps", serveGolden(t, dir, "mcp_list.json", 200)) },
			call:  func(ctx context.Context, c *Client) (any, error) { return c.ListMCPs(ctx, ListMCPsOptions{}) },
			want: []MCP{
				{ID: "7d5a1e94-2c63-4b7f-a018-9e4c6b2d3f87", Name: "Sandbox", Description: "Echoes its arguments, for trying things out.", EndpointURL: "https://mcp.example.com/sandbox", Status: "active", Health: "unknown", CreatedAt: utc("2026-01-01T00:02:00.25Z")},
				{ID: serverCalcID, Name: "Calculator", Description: "Simple arithmetic.", EndpointURL: "https://mcp.example.com/calculator", Status: "active", Health: "healthy", CreatedAt: utc("2026-01-01T00:01:00.25Z"), Tools: []Tool{{Name: "add", Description: "Adds two numbers."}}},
				serverWeather,
			},
		},
		"get MCP": {
			files: []string{"mcp.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("GET /api/v1/mcps/"+serverWeatherID, serveGolden(t, dir, "mcp.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetMCP(ctx, serverWeatherID) },
			want: &serverWeather,
		},
		"invoke": {
			files: []string{"tools_call_request.json", "tools_call_response.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("GET /api/v1/mcps/"+serverWeatherID, serveGolden(t, dir, "mcp.json", 200))
				rt.on("POST /mcp", serveGolden(t, dir, "tools_call_response.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Invoke(ctx, InvokeRequest{MCPID: serverWeatherID, Tool: "get_weather", Arguments: map[string]any{"city": "London"}})
			},
			want: &InvokeResult{MCPID: serverWeatherID, Tool: "get_weather", Result: map[string]any{
				"content": []any{map[string]any{"type": "text", "text": `{"city":"London","conditions":"sunny","temperature_c":21}`}},
				"isError": false,
			}},
			sent: map[int]string{1: "tools_call_request.json"},
		},
		"reachable": {
			files: []string{"tools_list_request.json", "tools_list_response.json"},
			route: func(t *testing.T, rt *router) {
				rt.on("POST /mcp", serveGolden(t, dir, "tools_list_response.json", 200))
			},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ReachableMCPs(ctx, []MCP{serverWeather, {ID: serverCalcID, Name: "Calculator"}, {ID: "x", Name: "Sandbox"}, {ID: "y", Name: "Weather"}})
			},
			want: map[string]bool{serverWeatherID: true, serverCalcID: true, "x": false, "y": false},
			sent: map[int]string{0: "tools_list_request.json"},
		},
	}
}

func TestGoldenServer(t *testing.T) {
	const dir = "server"
	ctx := context.Background()
	tests := serverGoldenCases()
	t.Parallel()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rt := newRouter(t)
			tc.route(t, rt)
			srv := rt.start()
			got, err := tc.call(ctx, goldenClient(t, srv.URL+"/api/v1", APIServer))
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); tc.want != nil && diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			bodies := rt.bodiesOf()
			for i, f := range tc.sent {
				if i >= len(bodies) {
					t.Fatalf("no request %d", i)
				}
				// The JSON-RPC id is the client's own counter.
				sameJSON(t, dir, f, bodies[i], "id")
			}
			if len(tc.merged) > 0 {
				union := map[string]json.RawMessage{}
				for _, i := range tc.merged {
					var part map[string]json.RawMessage
					if err := json.Unmarshal([]byte(bodies[i]), &part); err != nil {
						t.Fatalf("request %d: %v", i, err)
					}
					if len(part) != 1 {
						t.Errorf("request %d carries %d fields, want one concern per PATCH: %s", i, len(part), bodies[i])
					}
					for k, v := range part {
						union[k] = v
					}
				}
				b, _ := json.Marshal(union)
				sameJSON(t, dir, "patch_request.json", string(b))
				if len(bodies) != len(tc.merged) {
					t.Errorf("%d requests, want %d", len(bodies), len(tc.merged))
				}
			}
		})
	}
}

// TestGoldenServerWire reads the fixtures of answers the client gets only
// from other callers' calls (an owner's list, a rotation) through its wire
// types, as the same objects.
func TestGoldenServerWire(t *testing.T) {
	t.Parallel()
	const dir = "server"
	var list struct {
		APIKeys []serverKey `json:"api_keys"`
		Total   int         `json:"total"`
	}
	if err := json.Unmarshal(golden(t, dir, "api_key_list.json"), &list); err != nil {
		t.Fatal(err)
	}
	var got []APIKey
	for i := range list.APIKeys {
		got = append(got, list.APIKeys[i].apiKey(goldenNow()))
	}
	ci := serverCI
	ci.LastUsed, ci.CreatedAt, ci.Usage = nil, utc("2026-01-20T12:01:00.000198Z"), Usage{}
	want := []APIKey{ci, {
		ID: "fea254d9-cd1c-49d8-855c-18045b086f64", Name: "bootstrap", KeyPrefix: "pmcp_010d4c7f2a77...",
		Permissions: Permissions{AllMCPs: true}, Status: StatusActive, LastUsed: utcp("2026-01-20T12:00:00.000942Z"),
		CreatedAt: utc("2026-01-20T12:00:00Z"), Usage: Usage{TotalRequests: 1}, RateLimitRPM: i64(60),
	}}
	if diff := cmp.Diff(want, got); diff != "" || list.Total != 2 {
		t.Errorf("list mismatch (total %d) (-want +got):\n%s", list.Total, diff)
	}
	if err := json.Unmarshal(golden(t, dir, "api_key_list_empty.json"), &list); err != nil || len(list.APIKeys) != 0 {
		t.Errorf("empty list: %v, %d keys", err, len(list.APIKeys))
	}
	var rotated serverKey
	if err := json.Unmarshal(golden(t, dir, "api_key_rotated.json"), &rotated); err != nil {
		t.Fatal(err)
	}
	if k := rotated.apiKey(goldenNow()); k.ID != serverCI.ID || k.KeyPrefix != "pmcp_0146071f4597..." || CheckAPIKey(rotated.Key, APIServer) != nil {
		t.Errorf("rotated: id %q prefix %q, key well-formed: %v", k.ID, k.KeyPrefix, CheckAPIKey(rotated.Key, APIServer))
	}
}

type serverGoldenError struct {
	status    int
	call      func(context.Context, *Client) error
	want      error
	predicate func(error) bool
}

func serverGoldenErrors() map[string]serverGoldenError {
	proxy := func(ctx context.Context, c *Client) error { _, err := c.ReachableMCPs(ctx, nil); return err }
	return map[string]serverGoldenError{
		"error_unauthorized.json":             {status: 401, want: &APIError{StatusCode: 401, Message: "Invalid API key"}, predicate: IsUnauthorized},
		"error_authentication_required.json":  {status: 401, want: &APIError{StatusCode: 401, Message: "Authentication required"}, predicate: IsUnauthorized},
		"error_invalid_token.json":            {status: 401, want: &APIError{StatusCode: 401, Message: "Invalid or expired token"}, predicate: IsUnauthorized},
		"error_reveal_unauthorized.json":      {status: 401, want: &APIError{StatusCode: 401, Code: "UNAUTHORIZED", Message: "Authentication required"}, predicate: IsUnauthorized},
		"error_not_found.json":                {status: 404, want: &APIError{StatusCode: 404, Code: "NOT_FOUND", Message: "Resource not found"}, predicate: IsNotFound},
		"error_quota_exceeded.json":           {status: 402, want: &APIError{StatusCode: 402, Code: "QUOTA_EXCEEDED", Message: "Maximum 2 API keys allowed. Contact support to increase your limit."}, predicate: IsQuotaExceeded},
		"error_validation.json":               {status: 400, want: &APIError{StatusCode: 400, Code: "VALIDATION_ERROR", Message: "API key name must be between 1 and 100 characters"}, predicate: IsValidation},
		"error_expiry_in_past.json":           {status: 400, want: &APIError{StatusCode: 400, Code: "VALIDATION_ERROR", Message: "Expiration date must be in the future"}, predicate: IsValidation},
		"error_rate_limited.json":             {status: 429, want: &APIError{StatusCode: 429, Code: "RATE_LIMITED", Message: "Too many requests"}, predicate: IsRateLimited},
		"error_unavailable.json":              {status: 503, want: &APIError{StatusCode: 503, Code: "SERVICE_UNAVAILABLE", Message: "Service unavailable"}},
		"error_unsupported_media_type.txt":    {status: 415, want: &APIError{StatusCode: 415, Message: "Expected request with `Content-Type: application/json`"}},
		"error_json_syntax.txt":               {status: 400, want: &APIError{StatusCode: 400, Message: "Failed to parse the request body as JSON: EOF while parsing a value at line 1 column 0"}},
		"error_json_type.txt":                 {status: 422, want: &APIError{StatusCode: 422, Message: `Failed to deserialize the JSON body into the target type: rate_limit_rpm: invalid type: string "60", expected i32 at line 1 column 22`}, predicate: IsValidation},
		"error_json_missing_field.txt":        {status: 422, want: &APIError{StatusCode: 422, Message: "Failed to deserialize the JSON body into the target type: missing field `name` at line 1 column 2"}, predicate: IsValidation},
		"error_invalid_uuid.txt":              {status: 400, want: &APIError{StatusCode: 400, Message: "Invalid URL: UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1"}},
		"error_query.txt":                     {status: 400, want: &APIError{StatusCode: 400, Message: "Failed to deserialize query string: invalid digit found in string"}},
		"error_payload_too_large.txt":         {status: 413, want: &APIError{StatusCode: 413, Message: "Failed to buffer the request body: length limit exceeded"}},
		"error_unknown_route.txt":             {status: 404, want: &APIError{StatusCode: 404}},
		"error_method_not_allowed.txt":        {status: 405, want: &APIError{StatusCode: 405}},
		"jsonrpc_error_access_denied.json":    {status: 200, call: proxy, want: &RPCError{HTTPStatus: 200, Code: -32602, Message: "MCP not found or access denied: Sandbox"}, predicate: IsAccessDenied},
		"jsonrpc_error_method_not_found.json": {status: 200, call: proxy, want: &RPCError{HTTPStatus: 200, Code: -32601, Message: "Method not found: ping"}},
		"jsonrpc_error_unauthorized.json":     {status: 401, call: proxy, want: &RPCError{HTTPStatus: 401, Code: -32002, Message: "API key not found"}, predicate: IsUnauthorized},
		"jsonrpc_error_rate_limited.json": {status: 429, call: proxy, want: &RPCError{HTTPStatus: 429, Code: -32029, Message: "Rate limit exceeded", Data: map[string]any{
			"limit_rpm": 1.0, "remaining_minute": 0.0, "reset_at": 1768910460.0, "retry_after_seconds": 60.0,
		}}, predicate: IsRateLimited},
	}
}

// TestGoldenServerErrors reads every error fixture of a PlexMCP server, all
// five shapes and the proxy's JSON-RPC errors, as the answer to a call.
func TestGoldenServerErrors(t *testing.T) {
	const dir = "server"
	mgmt := func(ctx context.Context, c *Client) error { _, err := c.ListMCPs(ctx, ListMCPsOptions{}); return err }
	tests := serverGoldenErrors()
	t.Parallel()
	for file, tc := range tests {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			_, srv := serve(t, serveGolden(t, dir, file, tc.status))
			c := goldenClient(t, srv.URL+"/api/v1", APIServer)
			call := tc.call
			if call == nil {
				call = mgmt
			}
			err := call(context.Background(), c)
			var got error
			if e, ok := asRPCError(err); ok {
				got = e
			} else {
				a := apiErrorOf(t, err)
				a.Attempts = 0
				got = a
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if tc.predicate != nil && !tc.predicate(err) {
				t.Errorf("the predicate does not hold for %v", err)
			}
		})
	}
}

// TestGoldenDetection reads server/health.json as the answer that makes
// detection choose a PlexMCP server.
func TestGoldenDetection(t *testing.T) {
	t.Parallel()
	rt := newRouter(t).on("GET /health", serveGolden(t, "server", "health.json", 200))
	srv := rt.start()
	cfg := Config{HTTPClient: redirectTo(t, srv.URL), Now: goldenNow}
	c := mustNew(t, cfg)
	if got := c.API(context.Background()); got != APIServer {
		t.Errorf("API = %q, want server", got)
	}
	if got, want := c.BaseURL(context.Background()), "https://api.plexmcp.com/api/v1"; got != want {
		t.Errorf("BaseURL = %q, want %q", got, want)
	}
}

// TestGoldenCoverage fails for a fixture that no test in this file reads.
func TestGoldenCoverage(t *testing.T) {
	t.Parallel()
	read := map[string]bool{
		// TestGoldenServerWire and TestGoldenDetection.
		"server/api_key_list.json": true, "server/api_key_list_empty.json": true, "server/api_key_rotated.json": true,
		"server/health.json": true,
	}
	for _, c := range hostedGoldenCases() {
		for _, f := range c.files {
			read["hosted/"+f] = true
		}
	}
	for f := range hostedGoldenErrors() {
		read["hosted/"+f] = true
	}
	for _, c := range serverGoldenCases() {
		for _, f := range c.files {
			read["server/"+f] = true
		}
	}
	for f := range serverGoldenErrors() {
		read["server/"+f] = true
	}
	for _, dir := range []string{"hosted", "server"} {
		entries, err := os.ReadDir(filepath.Join(goldenRoot, dir))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) < 10 {
			t.Fatalf("only %d fixtures in %s", len(entries), dir)
		}
		for _, e := range entries {
			key := dir + "/" + e.Name()
			if _, skipped := notRead[key]; !read[key] && !skipped {
				t.Errorf("no test reads %s", key)
			}
		}
	}
}

// redirectTo is an HTTP client that sends every request to target (an
// httptest server), whatever its URL says, so the default base URL can be
// tested without the internet.
func redirectTo(t *testing.T, target string) *http.Client {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	dt, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		t.Fatal("http.DefaultTransport is not an *http.Transport")
	}
	base := dt.Clone()
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
		return base.RoundTrip(r)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
