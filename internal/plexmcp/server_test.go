package plexmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// serverKeyJSON is a PlexMCP server's key detail.
func serverKeyJSON(id, mode string, ids []string) string {
	idsJSON := "null"
	if ids != nil {
		b, _ := json.Marshal(ids)
		idsJSON = string(b)
	}
	return fmt.Sprintf(`{"id":%q,"name":"ci","key_prefix":"pmcp_018db4d4f83c...","scopes":[],"rate_limit_rpm":60,"expires_at":null,"last_used_at":null,"request_count":0,"created_by":null,"created_at":"2026-01-20T12:00:00.5Z","mcp_access_mode":%q,"allowed_mcp_ids":%s}`, id, mode, idsJSON)
}

const serverKeyID = "49960296-d3e9-4a3b-adae-608f0bce04d6"

func serverClient(t *testing.T, srv *httptest.Server, log Logger) *Client {
	t.Helper()
	return mustNew(t, fastConfig(srv.URL+"/api/v1", APIServer, testKey, log))
}

func TestServerCreate(t *testing.T) {
	t.Parallel()
	created := `{"id":"` + serverKeyID + `","name":"ci","key":"` + otherKey + `","key_prefix":"pmcp_011df9be58aa...","scopes":[],"rate_limit_rpm":60,"expires_at":"2099-01-01T02:00:00.123456789+02:00","created_at":"2026-01-20T12:00:00.000213587Z"}`
	future := time.Date(2099, 1, 1, 2, 0, 0, 123456789, time.FixedZone("", 2*3600))
	tests := map[string]struct {
		req     CreateAPIKeyRequest
		post    []func(http.ResponseWriter, *http.Request)
		get     []func(http.ResponseWriter, *http.Request)
		check   func(t *testing.T, k *CreatedAPIKey, err error)
		posts   int
		gets    int
		wantErr bool
	}{
		"read back after create": {
			req:   CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{MCPIDs: []string{"a", "b", "a"}}, ExpiresAt: &future},
			post:  []func(http.ResponseWriter, *http.Request){respond(201, created)},
			get:   []func(http.ResponseWriter, *http.Request){respond(200, serverKeyJSON(serverKeyID, "selected", []string{"a", "b"}))},
			posts: 1, gets: 1,
			check: func(t *testing.T, k *CreatedAPIKey, err error) {
				if err != nil || !k.Key.Equal(NewSecret(otherKey)) || !slices.Equal(k.Permissions.MCPIDs, []string{"a", "b"}) {
					t.Errorf("got %+v, %v", k, err)
				}
			},
		},
		"read back fails: permissions from the request": {
			req:   CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{MCPIDs: []string{"a", "b", "a"}}},
			post:  []func(http.ResponseWriter, *http.Request){respond(201, created)},
			get:   []func(http.ResponseWriter, *http.Request){respond(500, serverErr("DATABASE_ERROR", "Database error"))},
			posts: 1, gets: 4,
			check: func(t *testing.T, k *CreatedAPIKey, err error) {
				want := APIKey{
					ID: serverKeyID, Name: "ci", KeyPrefix: "pmcp_011df9be58aa...", Permissions: Permissions{MCPIDs: []string{"a", "b"}},
					Status: StatusActive, ExpiresAt: utcp("2099-01-01T00:00:00.123456789Z"), CreatedAt: utc("2026-01-20T12:00:00.000213587Z"), RateLimitRPM: i64(60),
				}
				if err != nil {
					t.Fatalf("CreateAPIKey: %v", err)
				}
				if diff := cmp.Diff(want, k.APIKey); diff != "" || !k.Key.Equal(NewSecret(otherKey)) {
					t.Errorf("created (-want +got):\n%s", diff)
				}
			},
		},
		"a hang-up is never resent": {
			req: CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}}, post: []func(http.ResponseWriter, *http.Request){hangUp},
			posts: 1, wantErr: true,
			check: func(t *testing.T, _ *CreatedAPIKey, err error) {
				var ue *CreateUncertainError
				if !errors.As(err, &ue) || ue.Findable || ue.Name != "ci" || !ue.From.Before(ue.To) {
					t.Errorf("err = %#v, want an unfindable *CreateUncertainError for ci", err)
				}
			},
		},
		"a 500 is never resent": {
			req: CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}}, post: []func(http.ResponseWriter, *http.Request){respond(500, serverErr("DATABASE_ERROR", "Database error"))},
			posts: 1, wantErr: true,
			check: func(t *testing.T, _ *CreatedAPIKey, err error) {
				var ue *CreateUncertainError
				if !errors.As(err, &ue) || ue.Findable {
					t.Errorf("err = %v, want an unfindable *CreateUncertainError", err)
				}
			},
		},
		"a 201 the client cannot read": {
			req: CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}}, post: []func(http.ResponseWriter, *http.Request){respond(201, `{"id":`)},
			posts: 1, wantErr: true,
			check: func(t *testing.T, _ *CreatedAPIKey, err error) {
				var ue *CreateUncertainError
				if !errors.As(err, &ue) {
					t.Errorf("err = %v, want *CreateUncertainError", err)
				}
			},
		},
		"a 429 is resent": {
			req:   CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}},
			post:  []func(http.ResponseWriter, *http.Request){respond(429, serverErr("RATE_LIMITED", "Too many requests")), respond(201, created)},
			get:   []func(http.ResponseWriter, *http.Request){respond(200, serverKeyJSON(serverKeyID, "all", nil))},
			posts: 2, gets: 1,
		},
		"a quota is typed": {
			req:   CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}},
			post:  []func(http.ResponseWriter, *http.Request){respond(402, serverErr("QUOTA_EXCEEDED", "Maximum 5 API keys allowed. Contact support to increase your limit."))},
			posts: 1, wantErr: true,
			check: func(t *testing.T, _ *CreatedAPIKey, err error) {
				if !IsQuotaExceeded(err) {
					t.Errorf("err = %v, want IsQuotaExceeded", err)
				}
			},
		},
		"a description is refused before sending": {
			req: CreateAPIKeyRequest{Name: "ci", Description: "x", Permissions: Permissions{AllMCPs: true}}, wantErr: true,
			check: func(t *testing.T, _ *CreatedAPIKey, err error) {
				var ue *UnsupportedError
				if !errors.As(err, &ue) {
					t.Errorf("err = %v, want *UnsupportedError", err)
				}
			},
		},
		"a past expiry is refused before sending": {
			req: CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}, ExpiresAt: utcp("2020-01-01T00:00:00Z")}, wantErr: true,
			check: func(t *testing.T, _ *CreatedAPIKey, err error) {
				var ce *ConfigError
				if !errors.As(err, &ce) || ce.Setting != "expires_at" {
					t.Errorf("err = %v, want a *ConfigError for expires_at", err)
				}
			},
		},
		"an expiry past 9999 is refused before sending": {
			req: CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}, ExpiresAt: new(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))}, wantErr: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rt := newRouter(t)
			if tc.post != nil {
				rt.on("POST /api/v1/api-keys", tc.post...)
			}
			if tc.get != nil {
				rt.on("GET /api/v1/api-keys/"+serverKeyID, tc.get...)
			}
			srv := rt.start()
			log := &collector{}
			k, err := serverClient(t, srv, log).CreateAPIKey(testCtx(t), tc.req)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.check != nil {
				tc.check(t, k, err)
			}
			if got := rt.count("POST /api/v1/api-keys"); got != tc.posts {
				t.Errorf("%d creates sent, want %d", got, tc.posts)
			}
			if got := rt.count("GET /api/v1/api-keys/" + serverKeyID); got != tc.gets {
				t.Errorf("%d reads, want %d", got, tc.gets)
			}
			if tc.posts > 0 {
				var sent map[string]any
				_ = json.Unmarshal([]byte(rt.bodiesOf()[0]), &sent)
				if _, ok := sent["expires_in_days"]; ok {
					t.Errorf("sent expires_in_days: %v", sent)
				}
				if tc.req.ExpiresAt != nil && sent["expires_at"] != "2099-01-01T00:00:00.123456Z" {
					t.Errorf("sent expires_at %v, want UTC to the microsecond", sent["expires_at"])
				}
				if _, ok := sent["description"]; ok {
					t.Errorf("sent a description: %v", sent)
				}
			}
		})
	}
}

// grantServer is a PlexMCP server's key PATCH semantics, field by field,
// so that a test can see every moment an update passes through.
type grantServer struct {
	t        *testing.T
	mu       sync.Mutex
	mode     string
	ids      []string
	name     string
	failAt   int // the PATCH (1-based) that fails with a 400 after this many succeeded; 0 = none
	failGet  bool
	patches  []string
	moments  [][]string // the effective grant after each PATCH
	universe []string
}

func (g *grantServer) effective() []string {
	switch g.mode {
	case accessAll:
		return g.universe
	case accessSelected:
		var out []string
		for _, m := range g.universe {
			if slices.Contains(g.ids, m) {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func (g *grantServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	detail := func() string {
		return strings.Replace(serverKeyJSON(serverKeyID, g.mode, g.ids), `"name":"ci"`, fmt.Sprintf(`"name":%q`, g.name), 1)
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/api-keys/"+serverKeyID:
		if g.failGet {
			respond(500, serverErr("DATABASE_ERROR", "Database error"))(w, r)
			return
		}
		respond(200, detail())(w, r)
	case r.Method == http.MethodPatch && r.URL.Path == "/api/v1/api-keys/"+serverKeyID:
		var body struct {
			Name          *string   `json:"name"`
			Mode          *string   `json:"mcp_access_mode"`
			IDs           *[]string `json:"allowed_mcp_ids"`
			RateLimitRPM  *int64    `json:"rate_limit_rpm"`
			ExpiresInDays *int64    `json:"expires_in_days"`
		}
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		g.patches = append(g.patches, string(raw))
		if len(g.patches) == g.failAt {
			respond(400, serverErr("VALIDATION_ERROR", "mcp_access_mode must be 'all', 'selected', or 'none'"))(w, r)
			return
		}
		if body.Name != nil {
			g.name = *body.Name
		}
		if body.Mode != nil {
			g.mode = *body.Mode
		}
		if body.IDs != nil {
			g.ids = *body.IDs
		}
		g.moments = append(g.moments, g.effective())
		respond(200, detail())(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/mcps":
		// The client checks a grant's ids against the organisation's MCPs.
		respond(200, `[`+serverMCPJSON("a")+`,`+serverMCPJSON("b")+`,`+serverMCPJSON("c")+`]`)(w, r)
	default:
		g.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(599)
	}
}

// TestServerUpdateNeverGrantsMore checks every moment of every permission
// change against the rule: at no point may the key reach more than under
// its old or under its new permissions.
func TestServerUpdateNeverGrantsMore(t *testing.T) {
	t.Parallel()
	universe := []string{"a", "b", "c"}
	olds := map[string]struct {
		mode string
		ids  []string
	}{
		"all":                {accessAll, nil},
		"all with stale ids": {accessAll, []string{"c"}},
		"selected a":         {accessSelected, []string{"a"}},
		"selected none":      {accessSelected, []string{}},
		"none with ids":      {accessNone, []string{"c"}},
	}
	news := map[string]Permissions{
		"all":          {AllMCPs: true},
		"selected b":   {MCPIDs: []string{"b"}},
		"selected a,b": {MCPIDs: []string{"a", "b"}},
		"selected []":  {MCPIDs: []string{}},
	}
	subset := func(a, b []string) bool {
		for _, x := range a {
			if !slices.Contains(b, x) {
				return false
			}
		}
		return true
	}
	for on, old := range olds {
		for nn, p := range news {
			t.Run(on+" to "+nn, func(t *testing.T) {
				t.Parallel()
				g := &grantServer{t: t, mode: old.mode, ids: old.ids, name: "ci", universe: universe}
				oldEff := g.effective()
				srv := httptest.NewServer(g)
				t.Cleanup(srv.Close)
				name := "renamed"
				k, err := serverClient(t, srv, nil).UpdateAPIKey(testCtx(t), serverKeyID, UpdateAPIKeyRequest{Name: &name, Permissions: &p})
				if err != nil {
					t.Fatalf("UpdateAPIKey: %v", err)
				}
				newEff := g.effective()
				for i, m := range g.moments {
					if !subset(m, oldEff) && !subset(m, newEff) {
						t.Errorf("after PATCH %d (%s) the key reaches %v: more than before (%v) or after (%v)", i+1, g.patches[i], m, oldEff, newEff)
					}
				}
				wantEff := universe
				if !p.AllMCPs {
					wantEff = nil
					for _, m := range universe {
						if slices.Contains(p.MCPIDs, m) {
							wantEff = append(wantEff, m)
						}
					}
				}
				if !slices.Equal(newEff, wantEff) || k.Name != "renamed" {
					t.Errorf("in the end the key reaches %v named %q, want %v named renamed", newEff, k.Name, wantEff)
				}
				if diff := cmp.Diff(p, k.Permissions); !p.AllMCPs && diff != "" {
					t.Errorf("returned permissions (-want +got):\n%s", diff)
				}
				for _, body := range g.patches {
					var fields map[string]any
					_ = json.Unmarshal([]byte(body), &fields)
					if len(fields) != 1 {
						t.Errorf("PATCH %s carries %d concerns, want one", body, len(fields))
					}
				}
			})
		}
	}
}

func TestServerUpdateFailures(t *testing.T) {
	t.Parallel()
	name := "renamed"
	tests := map[string]struct {
		failAt    int
		failGet   bool
		req       UpdateAPIKeyRequest
		wantPatch int
		check     func(t *testing.T, k *APIKey, err error)
	}{
		"the mode fails after the ids": {
			failAt: 3, req: UpdateAPIKeyRequest{Name: &name, Permissions: &Permissions{MCPIDs: []string{"b"}}}, wantPatch: 3,
			check: func(t *testing.T, _ *APIKey, err error) {
				var pe *PartialUpdateError
				if !errors.As(err, &pe) || pe.Current == nil {
					t.Fatalf("err = %v, want a *PartialUpdateError with the key", err)
				}
				// The name and the ids were applied; the mode was not.
				want := Permissions{AllMCPs: true}
				if pe.Current.Name != "renamed" || !cmp.Equal(want, pe.Current.Permissions) || !IsValidation(err) {
					t.Errorf("current = %+v, err = %v", pe.Current, err)
				}
			},
		},
		"the read back fails too": {
			failAt: 1, failGet: true, req: UpdateAPIKeyRequest{Name: &name}, wantPatch: 1,
			check: func(t *testing.T, _ *APIKey, err error) {
				var pe *PartialUpdateError
				if !errors.As(err, &pe) || pe.Current != nil || !IsValidation(err) {
					t.Errorf("err = %v, want a *PartialUpdateError without a key", err)
				}
			},
		},
		"a description is refused before sending": {
			req: UpdateAPIKeyRequest{Description: new("x")},
			check: func(t *testing.T, _ *APIKey, err error) {
				var ue *UnsupportedError
				if !errors.As(err, &ue) {
					t.Errorf("err = %v, want *UnsupportedError", err)
				}
			},
		},
		"nothing to change is a read": {
			req: UpdateAPIKeyRequest{Description: new("")},
			check: func(t *testing.T, k *APIKey, err error) {
				if err != nil || k.ID != serverKeyID {
					t.Errorf("got %+v, %v", k, err)
				}
			},
		},
	}
	for n, tc := range tests {
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			g := &grantServer{t: t, mode: accessAll, name: "ci", failAt: tc.failAt, failGet: tc.failGet, universe: []string{"a", "b"}}
			srv := httptest.NewServer(g)
			t.Cleanup(srv.Close)
			cfg := fastConfig(srv.URL+"/api/v1", APIServer, testKey, nil)
			cfg.MaxRetries = new(0)
			k, err := mustNew(t, cfg).UpdateAPIKey(testCtx(t), serverKeyID, tc.req)
			tc.check(t, k, err)
			if len(g.patches) != tc.wantPatch {
				t.Errorf("%d PATCHes, want %d: %v", len(g.patches), tc.wantPatch, g.patches)
			}
		})
	}
}

func TestServerListAndSettleAreUnsupported(t *testing.T) {
	t.Parallel()
	_, srv := serve(t, respond(599, ""))
	c := serverClient(t, srv, nil)
	_, err := c.ListAPIKeys(testCtx(t), ListAPIKeysOptions{})
	var ue *UnsupportedError
	if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "read a key by its id") {
		t.Errorf("ListAPIKeys: %v, want *UnsupportedError pointing at GetAPIKey", err)
	}
	if _, err := c.SettleCreate(testCtx(t), PendingCreate{Name: "x"}); !errors.As(err, &ue) {
		t.Errorf("SettleCreate: %v, want *UnsupportedError", err)
	}
	if caps := c.Capabilities(testCtx(t)); caps.ListsKeys || !caps.PermissionsUpdatable {
		t.Errorf("capabilities %+v", caps)
	}
}

func TestServerInvoke(t *testing.T) {
	t.Parallel()
	mcp := func(name string) string {
		return fmt.Sprintf(`{"id":"m1","name":%q,"description":null,"config":{},"status":"active","health_status":"unknown","created_at":"2026-01-01T00:00:00Z"}`, name)
	}
	tests := map[string]struct {
		name    string
		proxy   []func(http.ResponseWriter, *http.Request)
		posts   int
		check   func(t *testing.T, res *InvokeResult, err error)
		wantErr bool
	}{
		"success": {
			name:  "Weather API",
			proxy: []func(http.ResponseWriter, *http.Request){respond(200, `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}],"isError":false}}`)},
			posts: 1,
			check: func(t *testing.T, res *InvokeResult, err error) {
				if err != nil || res.MCPID != "m1" || res.Tool != "get_weather" || res.Result["isError"] != false {
					t.Errorf("got %+v, %v", res, err)
				}
			},
		},
		"access denied": {
			name:  "Sandbox",
			proxy: []func(http.ResponseWriter, *http.Request){respond(200, `{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"MCP not found or access denied: Sandbox"}}`)},
			posts: 1, wantErr: true,
			check: func(t *testing.T, _ *InvokeResult, err error) {
				if !IsAccessDenied(err) {
					t.Errorf("err = %v, want IsAccessDenied", err)
				}
			},
		},
		"a refused key is not retried": {
			name:  "Sandbox",
			proxy: []func(http.ResponseWriter, *http.Request){respond(401, `{"jsonrpc":"2.0","error":{"code":-32002,"message":"API key not found"}}`)},
			posts: 1, wantErr: true,
			check: func(t *testing.T, _ *InvokeResult, err error) {
				if !IsUnauthorized(err) {
					t.Errorf("err = %v, want IsUnauthorized", err)
				}
			},
		},
		"a rate limit is waited out": {
			name: "Sandbox",
			proxy: []func(http.ResponseWriter, *http.Request){
				respond(429, `{"jsonrpc":"2.0","error":{"code":-32029,"message":"Rate limit exceeded","data":{"retry_after_seconds":0}}}`),
				respond(200, `{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":false}}`),
			},
			posts: 2,
		},
		"a hang-up is not resent": {
			name: "Sandbox", proxy: []func(http.ResponseWriter, *http.Request){hangUp}, posts: 1, wantErr: true,
		},
		"a name with a colon cannot be addressed": {
			name: "team:tools", wantErr: true,
			check: func(t *testing.T, _ *InvokeResult, err error) {
				var ue *UnsupportedError
				if !errors.As(err, &ue) {
					t.Errorf("err = %v, want *UnsupportedError", err)
				}
			},
		},
	}
	for n, tc := range tests {
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			rt := newRouter(t).on("GET /api/v1/mcps/m1", respond(200, mcp(tc.name)))
			if tc.proxy != nil {
				rt.on("POST /mcp", tc.proxy...)
			}
			srv := rt.start()
			res, err := serverClient(t, srv, nil).Invoke(testCtx(t), InvokeRequest{MCPID: "m1", Tool: "get_weather", Arguments: map[string]any{"city": "Oslo"}})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.check != nil {
				tc.check(t, res, err)
			}
			if got := rt.count("POST /mcp"); got != tc.posts {
				t.Errorf("%d proxy calls, want %d", got, tc.posts)
			}
			if tc.posts > 0 {
				var call struct {
					Method string `json:"method"`
					Params struct {
						Name      string         `json:"name"`
						Arguments map[string]any `json:"arguments"`
					} `json:"params"`
				}
				_ = json.Unmarshal([]byte(rt.bodiesOf()[1]), &call)
				if call.Method != "tools/call" || call.Params.Name != tc.name+":get_weather" || call.Params.Arguments["city"] != "Oslo" {
					t.Errorf("sent %+v", call)
				}
			}
		})
	}
}

func TestServerReachable(t *testing.T) {
	t.Parallel()
	list := `{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"Weather API:get_weather"},{"name":"a:b:tool"}],"errors":[{"mcp_name":"Slow","error":"Timeout after 5000ms"}]}}`
	mcps := []MCP{{ID: "w", Name: "Weather API"}, {ID: "we", Name: "Weather"}, {ID: "s", Name: "Slow"}, {ID: "ab", Name: "a:b"}, {ID: "n", Name: "No Tools"}}
	rt := newRouter(t).on("POST /mcp", respond(200, list))
	got, err := serverClient(t, rt.start(), nil).ReachableMCPs(testCtx(t), mcps)
	if err != nil {
		t.Fatalf("ReachableMCPs: %v", err)
	}
	want := map[string]bool{"w": true, "we": false, "s": true, "ab": true, "n": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reachable (-want +got):\n%s", diff)
	}

	refused := newRouter(t).on("POST /mcp", respond(401, `{"jsonrpc":"2.0","error":{"code":-32002,"message":"API key not found"}}`))
	_, err = serverClient(t, refused.start(), nil).ReachableMCPs(testCtx(t), mcps)
	if !IsUnauthorized(err) || refused.count("POST /mcp") != 1 {
		t.Errorf("a refused key: %v after %d calls, want one unauthorized error", err, refused.count("POST /mcp"))
	}
}

// A grant of an MCP the organisation does not have is refused before any
// request that changes something, and the refusal names the ids. A secret
// pasted where an MCP id belongs must not be one of the names: the client
// cuts it to its public prefix, as it does every message it passes on.
func TestServerUnknownMCPsHideKeys(t *testing.T) {
	t.Parallel()
	tests := map[string]func(*Client) error{
		"create": func(c *Client) error {
			_, err := c.CreateAPIKey(context.Background(), CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{MCPIDs: []string{"a", otherKey, "zz"}}})
			return err
		},
		"update": func(c *Client) error {
			_, err := c.UpdateAPIKey(context.Background(), serverKeyID, UpdateAPIKeyRequest{Permissions: &Permissions{MCPIDs: []string{"a", otherKey, "zz"}}})
			return err
		},
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rt := newRouter(t)
			err := call(serverClient(t, rt.start(), nil))
			var unknown *UnknownMCPsError
			if !errors.As(err, &unknown) || len(unknown.IDs) != 2 || unknown.IDs[1] != "zz" {
				t.Fatalf("err = %s, want the refusal of two unknown ids", testsecrets.Hide(fmt.Sprint(err), otherKey))
			}
			if msg := err.Error(); strings.Contains(msg, otherKey[12:]) || !strings.Contains(msg, otherKey[:12]) {
				t.Errorf("the refusal does not cut the key to its prefix: %s", testsecrets.Hide(msg, otherKey))
			}
			if calls := rt.calls(); len(calls) != 1 {
				t.Errorf("requests %v, want only the look-up of the organisation's MCPs", calls)
			}
		})
	}
}

// A create that got no answer may still be committed by a server slow to
// finish it, after the client gave up: the window the error gives a person
// to look in reaches one request timeout past that moment, as on the
// hosted API.
func TestServerCreateUnansweredWindow(t *testing.T) {
	t.Parallel()
	rt := newRouter(t).on("POST /api/v1/api-keys", hangUp)
	cfg := fastConfig(rt.start().URL+"/api/v1", APIServer, testKey, nil)
	t0 := utc("2026-01-20T12:00:00Z")
	cfg.Now = func() time.Time { return t0 }
	_, err := mustNew(t, cfg).CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}})
	var ue *CreateUncertainError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *CreateUncertainError", err)
	}
	if want := t0.Add(cfg.RequestTimeout); ue.To.Before(want) || ue.From.After(t0) {
		t.Errorf("window %s to %s, want it to hold %s to %s", ue.From, ue.To, t0, want)
	}
	if got := rt.count("POST /api/v1/api-keys"); got != 1 {
		t.Errorf("%d creates sent, want 1", got)
	}
}

// A PlexMCP server stores an MCP's config as whatever JSON it was given and
// reaches only MCPs whose config has a string endpoint_url. An MCP whose
// config is odd is listed without an endpoint URL; it does not make the
// organisation's whole list, and every grant checked against it,
// unreadable.
func TestServerMCPConfigShapes(t *testing.T) {
	t.Parallel()
	mcp := func(id, config string) string {
		return `{"id":"` + id + `","name":"MCP ` + id + `","mcp_type":"stdio","description":null,"config":` + config +
			`,"status":"active","is_active":true,"health_status":"unknown","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`
	}
	list := "[" + strings.Join([]string{
		mcp("url", `{"endpoint_url":"https://mcp.example/a"}`),
		mcp("number", `{"endpoint_url":8080}`),
		mcp("object", `{"endpoint_url":{"host":"mcp.example"}}`),
		mcp("null", `{"endpoint_url":null}`),
		mcp("string", `"stdio"`),
		mcp("array", `["a"]`),
	}, ",") + "]"
	rt := newRouter(t).on("GET /api/v1/mcps", respond(200, list))
	got, err := serverClient(t, rt.start(), nil).ListMCPs(testCtx(t), ListMCPsOptions{})
	if err != nil {
		t.Fatalf("ListMCPs: %v", err)
	}
	urls := map[string]string{}
	for _, m := range got {
		urls[m.ID] = m.EndpointURL
	}
	want := map[string]string{"url": "https://mcp.example/a", "number": "", "object": "", "null": "", "string": "", "array": ""}
	if diff := cmp.Diff(want, urls); diff != "" {
		t.Errorf("endpoint URLs (-want +got):\n%s", diff)
	}
}

// On a PlexMCP server a key (or MCP) that does not exist is a 404 in the
// handlers' own shape, NOT_FOUND; an empty 404 is a route the server does
// not have, and any other 404 came from something in front of it. Only the
// first may read as "gone", which drops a key from state and makes a new
// one while the old may still work.
func TestServerNotFoundIsTheServers(t *testing.T) {
	t.Parallel()
	ops := map[string]struct {
		route string
		call  func(*Client) error
	}{
		"get": {"GET /api/v1/api-keys/" + serverKeyID, func(c *Client) error {
			_, err := c.GetAPIKey(context.Background(), serverKeyID)
			return err
		}},
		"revoke": {"DELETE /api/v1/api-keys/" + serverKeyID, func(c *Client) error {
			return c.RevokeAPIKey(context.Background(), serverKeyID)
		}},
		"update": {"PATCH /api/v1/api-keys/" + serverKeyID, func(c *Client) error {
			name := "x"
			_, err := c.UpdateAPIKey(context.Background(), serverKeyID, UpdateAPIKeyRequest{Name: &name})
			return err
		}},
		"get MCP": {"GET /api/v1/mcps/" + serverKeyID, func(c *Client) error {
			_, err := c.GetMCP(context.Background(), serverKeyID)
			return err
		}},
	}
	answers := map[string]struct {
		answer func(http.ResponseWriter, *http.Request)
		gone   bool
	}{
		"NOT_FOUND":      {respond(404, serverErr("NOT_FOUND", "Resource not found")), true},
		"empty":          {respond(404, ""), false},
		"a proxy's":      {respond(404, "<html><body>404 Not Found</body></html>", "Content-Type", "text/html"), false},
		"another code":   {respond(404, serverErr("ROUTE_UNKNOWN", "No such route")), false},
		"a proxy's JSON": {respond(404, `{"message":"no Route matched with those values"}`), false},
	}
	for on, op := range ops {
		for n, a := range answers {
			t.Run(on+", "+n, func(t *testing.T) {
				t.Parallel()
				rt := newRouter(t).on(op.route, a.answer)
				err := op.call(serverClient(t, rt.start(), nil))
				if err == nil {
					t.Fatal("no error")
				}
				if IsNotFound(err) != a.gone {
					t.Errorf("IsNotFound(%v) = %v, want %v", err, !a.gone, a.gone)
				}
			})
		}
	}
}
