package plexmcp

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const hostedKeyBody = `{"id":"key_1","name":"ci","description":"d","prefix":"pmcp_018db4d","status":"active","permissions":{"mcps":"*"},"expires_at":null,"created_at":"2026-01-20T12:00:00Z","updated_at":"2026-01-20T12:05:00Z","last_used":null,"revoked_at":null,"usage":{"total_requests":0,"requests_today":0}}`

func TestHostedUpdate(t *testing.T) {
	t.Parallel()
	name, desc := "ci-2", ""
	tests := map[string]struct {
		req     UpdateAPIKeyRequest
		getFail bool
		patch   string // the PATCH answer; "" = no PATCH expected
		calls   []string
		body    string
		wantErr func(error) bool
	}{
		"name and description, then read back": {
			req:   UpdateAPIKeyRequest{Name: &name, Description: &desc},
			patch: hostedOK(`{"id":"key_1","name":"ci-2","description":"","updated_at":"2026-01-20T12:05:00Z"}`),
			calls: []string{"PATCH /v1/api-keys/key_1", "GET /v1/api-keys/key_1"},
			body:  `{"name":"ci-2","description":""}`,
		},
		"applied, but the read back fails": {
			req:     UpdateAPIKeyRequest{Name: &name},
			patch:   hostedOK(`{"id":"key_1","name":"ci-2","description":"","updated_at":"2026-01-20T12:05:00Z"}`),
			getFail: true,
			calls:   []string{"PATCH /v1/api-keys/key_1", "GET /v1/api-keys/key_1", "GET /v1/api-keys/key_1", "GET /v1/api-keys/key_1", "GET /v1/api-keys/key_1"},
			wantErr: func(err error) bool { return err != nil && strings.Contains(err.Error(), "the update was applied") },
		},
		"a full answer needs no read": {
			req:   UpdateAPIKeyRequest{Name: &name},
			patch: hostedOK(hostedKeyBody),
			calls: []string{"PATCH /v1/api-keys/key_1"},
			body:  `{"name":"ci-2"}`,
		},
		"nothing to change is a read": {
			calls: []string{"GET /v1/api-keys/key_1"},
		},
		"permissions cannot change": {
			req: UpdateAPIKeyRequest{Permissions: &Permissions{AllMCPs: true}},
			wantErr: func(err error) bool {
				var ue *UnsupportedError
				return errors.As(err, &ue)
			},
		},
		"no per-key rate limit": {
			req: UpdateAPIKeyRequest{RateLimitRPM: i64(5)},
			wantErr: func(err error) bool {
				var ue *UnsupportedError
				return errors.As(err, &ue)
			},
		},
		"a revoked key is a conflict": {
			req:     UpdateAPIKeyRequest{Name: &name},
			patch:   "409",
			calls:   []string{"PATCH /v1/api-keys/key_1"},
			wantErr: IsConflict,
		},
	}
	for n, tc := range tests {
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			rt := newRouter(t).on("GET /v1/api-keys/key_1", respond(200, hostedOK(hostedKeyBody)))
			if tc.getFail {
				rt.on("GET /v1/api-keys/key_1", respond(500, hostedErr("internal_error", "boom")))
			}
			switch tc.patch {
			case "":
			case "409":
				rt.on("PATCH /v1/api-keys/key_1", respond(409, hostedErr("conflict", "API key is revoked and cannot be changed")))
			default:
				rt.on("PATCH /v1/api-keys/key_1", respond(200, tc.patch))
			}
			srv := rt.start()
			k, err := mustNew(t, fastConfig(srv.URL+"/v1", APIHosted, testKey, nil)).UpdateAPIKey(testCtx(t), "key_1", tc.req)
			if tc.wantErr != nil {
				if !tc.wantErr(err) {
					t.Errorf("err = %v", err)
				}
			} else if err != nil || k.ID != "key_1" || k.Status != StatusActive {
				t.Errorf("got %+v, %v", k, err)
			}
			if diff := cmp.Diff(tc.calls, rt.calls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if tc.body != "" && rt.bodiesOf()[0] != tc.body {
				t.Errorf("PATCH body %s, want %s", rt.bodiesOf()[0], tc.body)
			}
		})
	}
}

func TestHostedCreateRefusals(t *testing.T) {
	t.Parallel()
	_, srv := serve(t, respond(599, ""))
	c := mustNew(t, fastConfig(srv.URL+"/v1", APIHosted, testKey, nil))
	_, err := c.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "x", Permissions: Permissions{AllMCPs: true}, RateLimitRPM: i64(5)})
	var ue *UnsupportedError
	if !errors.As(err, &ue) {
		t.Errorf("RateLimitRPM: %v, want *UnsupportedError", err)
	}
}

func TestHostedReachable(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		answer func(http.ResponseWriter, *http.Request)
		want   map[string]bool
		err    func(error) bool
	}{
		"unknown tool: reachable":     {answer: respond(404, hostedErr("tool_not_found", "Tool 'x' not found")), want: map[string]bool{"mcp_weather": true}},
		"not permitted: unreachable":  {answer: respond(403, hostedErr("mcp_not_permitted", "API key does not have access to this MCP")), want: map[string]bool{"mcp_weather": false}},
		"a refused key is an error":   {answer: respond(401, hostedErr("unauthorized", "Invalid or missing API key")), err: IsUnauthorized},
		"an unknown MCP is an error":  {answer: respond(404, hostedErr("not_found", "MCP not found")), err: IsNotFound},
		"a tool by that name exists!": {answer: respond(200, hostedOK(`{"result":{},"metadata":{}}`)), want: map[string]bool{"mcp_weather": true}},
	}
	for n, tc := range tests {
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			s, srv := serve(t, tc.answer)
			got, err := mustNew(t, fastConfig(srv.URL+"/v1", APIHosted, testKey, nil)).ReachableMCPs(testCtx(t), []MCP{{ID: "mcp_weather"}})
			if tc.err != nil {
				if !tc.err(err) {
					t.Errorf("err = %v", err)
				}
			} else if diff := cmp.Diff(tc.want, got); err != nil || diff != "" {
				t.Errorf("got %v, %v; (-want +got):\n%s", got, err, diff)
			}
			if s.attempts() != 1 {
				t.Errorf("%d attempts, want 1", s.attempts())
			}
			if body := s.bodys[0]; body != `{"mcp_id":"mcp_weather","tool":"`+reachabilityProbeTool+`","arguments":{}}` {
				t.Errorf("probe body %s", body)
			}
		})
	}
}

// TestNotFoundIsConfirmed: a 404 means "gone" only when the API answers
// its list too; a base URL pointing elsewhere must not make a refresh
// forget a key that is still live.
func TestNotFoundIsConfirmed(t *testing.T) {
	t.Parallel()
	for _, api := range []API{APIHosted, APIServer} {
		ac := apiCases[api]
		t.Run(string(api), func(t *testing.T) {
			t.Parallel()
			listOK := respond(200, emptyList)
			if api == APIServer {
				listOK = respond(200, `[]`)
			}
			good := newRouter(t).
				on("GET "+ac.path+"/api-keys/k1", respond(404, ac.errBody("not_found", "API key not found"))).
				on("GET "+ac.path+"/mcps", listOK)
			c := mustNew(t, fastConfig(good.start().URL+ac.path, api, testKey, nil))
			if _, err := c.GetAPIKey(testCtx(t), "k1"); !IsNotFound(err) {
				t.Errorf("a confirmed 404: %v", err)
			}
			wrong := newRouter(t).
				on("GET "+ac.path+"/api-keys/k1", respond(404, "")).
				on("DELETE "+ac.path+"/api-keys/k1", respond(404, "")).
				on("GET "+ac.path+"/mcps", respond(404, ""))
			c = mustNew(t, fastConfig(wrong.start().URL+ac.path, api, testKey, nil))
			if _, err := c.GetAPIKey(testCtx(t), "k1"); err == nil || IsNotFound(err) {
				t.Errorf("an unconfirmed 404 on GET: %v", err)
			}
			if err := c.RevokeAPIKey(testCtx(t), "k1"); err == nil || IsNotFound(err) {
				t.Errorf("an unconfirmed 404 on DELETE: %v", err)
			}
		})
	}
}

func TestIDsAreChecked(t *testing.T) {
	t.Parallel()
	_, srv := serve(t, respond(599, ""))
	c := mustNew(t, fastConfig(srv.URL+"/v1", APIHosted, testKey, nil))
	for _, id := range []string{"", ".", "..", otherKey} {
		if _, err := c.GetAPIKey(testCtx(t), id); err == nil {
			t.Errorf("GetAPIKey(%.12q) sent a request", id)
		} else if len(id) > 12 && containsSecret(err.Error(), id) {
			t.Errorf("the error repeats the key")
		}
	}
}

func containsSecret(s, key string) bool {
	return len(key) > 12 && (strings.Contains(s, key) || strings.Contains(s, key[12:]))
}

// shiftingKeys serves status=active key lists by offset, ordered by
// creation as PlexMCP does, and revokes keys (another process's destroys)
// right after the answer to the first page of the first walk.
type shiftingKeys struct {
	mu            sync.Mutex
	active        []string
	revokeOnFirst []string
	pages         int
}

func (s *shiftingKeys) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	from, to := min((page-1)*per, len(s.active)), min(page*per, len(s.active))
	items := make([]string, 0, to-from)
	for _, id := range s.active[from:to] {
		items = append(items, fmt.Sprintf(`{"id":%q,"name":"k","prefix":"pmcp_01abcde","status":"active","permissions":{"mcps":"*"},"expires_at":null,"created_at":"2026-01-01T00:00:00Z"}`, id))
	}
	total := len(s.active)
	respond(200, fmt.Sprintf(`{"success":true,"data":[%s],"pagination":{"page":%d,"per_page":%d,"total":%d,"total_pages":%d}}`,
		strings.Join(items, ","), page, per, total, (total+per-1)/per))(w, r)
	s.pages++
	if s.pages == 1 {
		s.active = slices.DeleteFunc(s.active, func(id string) bool { return slices.Contains(s.revokeOnFirst, id) })
	}
}

// A key revoked while a list is read moves the keys after it one place
// up; the list is read again, and no active key is missed.
func TestListSeesEveryKeyWhileKeysAreRevoked(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		revoke []string
		want   []string
		pages  int
	}{
		"nothing changes": {want: []string{"k1", "k2", "k3", "k4", "k5"}, pages: 3},
		// Without the second walk, page 2 would start at k4 and be the
		// last: k3 is missed.
		"a key of the first page is revoked": {revoke: []string{"k1"}, want: []string{"k2", "k3", "k4", "k5"}, pages: 2 + 2},
		"a key of a later page is revoked":   {revoke: []string{"k5"}, want: []string{"k1", "k2", "k3", "k4"}, pages: 2 + 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := &shiftingKeys{active: []string{"k1", "k2", "k3", "k4", "k5"}, revokeOnFirst: tc.revoke}
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			c := mustNew(t, fastConfig(srv.URL+"/v1", APIHosted, testKey, nil))
			c.pageSize = 2
			keys, err := c.ListAPIKeys(testCtx(t), ListAPIKeysOptions{Status: StatusActive})
			if err != nil {
				t.Fatalf("ListAPIKeys: %v", err)
			}
			var got []string
			for _, k := range keys {
				got = append(got, k.ID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			if s.pages != tc.pages {
				t.Errorf("%d pages read, want %d", s.pages, tc.pages)
			}
		})
	}
}
