package plexmcp

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

const serverHealth = `{"status":"healthy","version":"1.0.0","database":"healthy"}`

func TestDetection(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		health   []func(http.ResponseWriter, *http.Request)
		want     API
		attempts int
		reason   string
	}{
		"a PlexMCP server":                {health: []func(http.ResponseWriter, *http.Request){respond(200, serverHealth)}, want: APIServer, attempts: 1, reason: "answered 200 with a PlexMCP server's"},
		"a 404":                           {health: []func(http.ResponseWriter, *http.Request){respond(404, "")}, want: APIHosted, attempts: 1, reason: "answered 404"},
		"other JSON":                      {health: []func(http.ResponseWriter, *http.Request){respond(200, `{"ok":true}`)}, want: APIHosted, attempts: 1, reason: "answered 200 without"},
		"a status that is no string":      {health: []func(http.ResponseWriter, *http.Request){respond(200, `{"status":null,"version":"1"}`)}, want: APIHosted, attempts: 1},
		"a version that is a number":      {health: []func(http.ResponseWriter, *http.Request){respond(200, `{"status":"healthy","version":1}`)}, want: APIHosted, attempts: 1},
		"a JSON array":                    {health: []func(http.ResponseWriter, *http.Request){respond(200, `["status","version"]`)}, want: APIHosted, attempts: 1},
		"a 503, then a server":            {health: []func(http.ResponseWriter, *http.Request){respond(503, `{"status":"unhealthy","version":"1.0.0"}`), respond(200, serverHealth)}, want: APIServer, attempts: 2},
		"a server whose database is down": {health: []func(http.ResponseWriter, *http.Request){respond(503, `{"status":"unhealthy","version":"1.0.0","database":"unhealthy"}`)}, want: APIServer, attempts: 2, reason: "answered 503 with a PlexMCP server's"},
		"status and version only":         {health: []func(http.ResponseWriter, *http.Request){respond(200, `{"status":"healthy","version":"1.0.0"}`)}, want: APIHosted, attempts: 1, reason: "answered 200 without"},
		"another service's status":        {health: []func(http.ResponseWriter, *http.Request){respond(200, `{"status":"ok","version":"3.2","database":"up"}`)}, want: APIHosted, attempts: 1},
		"a later server's extra field":    {health: []func(http.ResponseWriter, *http.Request){respond(200, `{"status":"healthy","version":"1.4.0","database":"healthy","redis":"healthy"}`)}, want: APIServer, attempts: 1},
		"a 500 with a server's body":      {health: []func(http.ResponseWriter, *http.Request){respond(500, serverHealth)}, want: APIHosted, attempts: 2},
		"a hang-up, then a server":        {health: []func(http.ResponseWriter, *http.Request){hangUp, respond(200, serverHealth)}, want: APIServer, attempts: 2},
		"two hang-ups: hosted":            {health: []func(http.ResponseWriter, *http.Request){hangUp}, want: APIHosted, attempts: 2, reason: "failed"},
		"two 503s: hosted, no more":       {health: []func(http.ResponseWriter, *http.Request){respond(503, "")}, want: APIHosted, attempts: 2, reason: "answered 503"},
		"a 429, then hosted's 404":        {health: []func(http.ResponseWriter, *http.Request){respond(429, ""), respond(404, "")}, want: APIHosted, attempts: 2},
		"a server as the second probe":    {health: []func(http.ResponseWriter, *http.Request){respond(500, ""), respond(200, serverHealth)}, want: APIServer, attempts: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rt := newRouter(t).on("GET /health", tc.health...)
			srv := rt.start()
			log := &collector{}
			cfg := fastConfig("", "", testKey, log)
			cfg.HTTPClient = redirectTo(t, srv.URL)
			c := mustNew(t, cfg)
			if got := c.API(testCtx(t)); got != tc.want {
				t.Errorf("API = %q, want %q", got, tc.want)
			}
			wantURL := DefaultBaseURL
			if tc.want == APIServer {
				wantURL = "https://api.plexmcp.com/api/v1"
			}
			if got := c.BaseURL(testCtx(t)); got != wantURL {
				t.Errorf("BaseURL = %q, want %q", got, wantURL)
			}
			if got := rt.count("GET /health"); got != tc.attempts {
				t.Errorf("%d probes, want %d", got, tc.attempts)
			}
			text := log.text()
			if !strings.Contains(text, "PlexMCP API detected") || !strings.Contains(text, "api="+string(tc.want)) || !strings.Contains(text, tc.reason) {
				t.Errorf("the log does not say what was chosen and why:\n%s", testsecrets.Hide(text, unitKey))
			}
		})
	}
}

// TestDetectionOnce checks that detection happens once for a client and
// all its copies, without credentials, and that the operations then use
// the API detected.
func TestDetectionOnce(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var auth []string
	rt := newRouter(t).
		on("GET /health", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			auth = append(auth, r.Header.Get("Authorization")+r.Header.Get("X-API-Key")+r.Header.Get("Cookie"))
			mu.Unlock()
			respond(200, serverHealth)(w, r)
		}).
		on("GET /api/v1/mcps", respond(200, `[]`))
	srv := rt.start()
	cfg := fastConfig("", "", testKey, nil)
	cfg.HTTPClient = redirectTo(t, srv.URL)
	c := mustNew(t, cfg)
	copyOfC := c.WithAPIKey(NewSecret(otherKey))
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			cl := c
			if i%2 == 1 {
				cl = copyOfC
			}
			if _, err := cl.ListMCPs(testCtx(t), ListMCPsOptions{}); err != nil {
				t.Errorf("ListMCPs: %v", err)
			}
		})
	}
	wg.Wait()
	if got := rt.count("GET /health"); got != 1 {
		t.Errorf("%d probes, want 1 for the client and its copies", got)
	}
	if diff := cmp.Diff([]string{""}, auth); diff != "" {
		t.Errorf("the probe carried credentials")
	}
	if rt.count("GET /api/v1/mcps") != 10 {
		t.Errorf("the lists went to %v", rt.calls())
	}
	if caps := copyOfC.Capabilities(testCtx(t)); !caps.PermissionsUpdatable || caps.ListsKeys {
		t.Errorf("capabilities of the copy: %+v", caps)
	}
}

// TestDetectionCutShort: a detection ended by its context is not
// remembered, so the next call asks again.
func TestDetectionCutShort(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 1)
	rt := newRouter(t).on("GET /health",
		func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-r.Context().Done()
		},
		respond(200, serverHealth))
	srv := rt.start()
	cfg := fastConfig("", "", testKey, nil)
	cfg.HTTPClient = redirectTo(t, srv.URL)
	c := mustNew(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	if got := c.API(ctx); got != APIHosted {
		t.Errorf("API while cut short = %q, want the tentative hosted", got)
	}
	if got := c.API(testCtx(t)); got != APIServer {
		t.Errorf("API afterwards = %q, want server", got)
	}
	if got := rt.count("GET /health"); got != 2 {
		t.Errorf("%d probes, want 2", got)
	}
}

// TestNoDetectionWhenConfigured: a configured API or base URL is never
// probed.
func TestNoDetectionWhenConfigured(t *testing.T) {
	t.Parallel()
	rt := newRouter(t).on("GET /v1/mcps", respond(200, emptyList))
	srv := rt.start()
	cfg := fastConfig("", APIHosted, testKey, nil)
	cfg.HTTPClient = redirectTo(t, srv.URL)
	c := mustNew(t, cfg)
	if _, err := c.ListMCPs(testCtx(t), ListMCPsOptions{}); err != nil {
		t.Fatalf("ListMCPs: %v", err)
	}
	if diff := cmp.Diff([]string{"GET /v1/mcps"}, rt.calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}
