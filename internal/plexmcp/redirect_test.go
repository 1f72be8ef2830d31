package plexmcp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestRedirectsAreNotFollowed points the client at a server that answers
// every request with a redirect to another service. net/http would follow
// it and re-send the request there with its headers: Authorization only to
// the same host name (another port counts as the same), and X-API-Key, the
// proxy's credential, to any host at all. The other service must see
// nothing, and the caller must get the redirect as an error.
func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		api    API
		status int
		call   func(context.Context, *Client) error
	}{
		"hosted read, 302": {api: APIHosted, status: http.StatusFound, call: func(ctx context.Context, c *Client) error {
			_, err := c.GetMCP(ctx, "mcp_weather")
			return err
		}},
		"hosted create, 307": {api: APIHosted, status: http.StatusTemporaryRedirect, call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateAPIKey(ctx, CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}})
			return err
		}},
		"hosted invocation, 308": {api: APIHosted, status: http.StatusPermanentRedirect, call: func(ctx context.Context, c *Client) error {
			_, err := c.Invoke(ctx, InvokeRequest{MCPID: "mcp_weather", Tool: "get_weather"})
			return err
		}},
		"server read, 301": {api: APIServer, status: http.StatusMovedPermanently, call: func(ctx context.Context, c *Client) error {
			_, err := c.GetAPIKey(ctx, "49960296-d3e9-4a3b-adae-608f0bce04d6")
			return err
		}},
		"server proxy, 302": {api: APIServer, status: http.StatusFound, call: func(ctx context.Context, c *Client) error {
			_, err := c.ReachableMCPs(ctx, []MCP{{ID: serverWeatherID, Name: "Weather API"}})
			return err
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var reached []string // what the other service was sent
			elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				reached = append(reached, r.Method+" "+r.URL.Path+" with credentials: "+
					boolWord(r.Header.Get("Authorization") != "" || r.Header.Get("X-API-Key") != ""))
				mu.Unlock()
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(elsewhere.Close)
			_, srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, elsewhere.URL+r.URL.Path, tc.status)
			})
			c := mustNew(t, fastConfig(srv.URL+apiCases[tc.api].path, tc.api, testKey, nil))
			err := tc.call(testCtx(t), c)
			mu.Lock()
			defer mu.Unlock()
			if len(reached) != 0 {
				t.Errorf("the redirect was followed: the other service was sent %q", reached)
			}
			if e, ok := asAPIError(err); !ok || e.StatusCode != tc.status {
				t.Errorf("err = %v, want an *APIError with status %d", err, tc.status)
			}
		})
	}
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
