package plexmcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// These tests run the client against the real reference server over HTTP.
// Each starts its own server, so they run in parallel without sharing keys,
// counters or knobs.

// syncBuffer is an io.Writer safe for the server's concurrent access log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is one reference server and an admin client for it.
type env struct {
	srv   *refserver.Running
	admin *Client
	log   *collector
	acc   *syncBuffer
}

func startServer(t *testing.T, cfg refserver.Config) *env {
	t.Helper()
	acc := &syncBuffer{}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	cfg.AccessLog = acc
	srv, err := refserver.Start("", cfg)
	if err != nil {
		t.Fatalf("refserver.Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	log := &collector{}
	admin := mustNew(t, fastConfig(srv.BaseURL, NewSecret(srv.AdminKey()), log))
	return &env{srv: srv, admin: admin, log: log, acc: acc}
}

func (e *env) client(t *testing.T, key string) *Client {
	t.Helper()
	return mustNew(t, fastConfig(e.srv.BaseURL, NewSecret(key), e.log))
}

func (e *env) create(t *testing.T, r CreateAPIKeyRequest) *CreatedAPIKey {
	t.Helper()
	k, err := e.admin.CreateAPIKey(testCtx(t), r)
	if err != nil {
		t.Fatalf("CreateAPIKey(%q): %v", r.Name, err)
	}
	return k
}

// keysNamed counts the server's keys with this name, whatever their status.
func (e *env) keysNamed(name string) int {
	n := 0
	for _, k := range e.srv.APIKeys() {
		if k.Name == name {
			n++
		}
	}
	return n
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

var ignoreMCPTimes = cmpopts.IgnoreFields(MCP{}, "CreatedAt", "UpdatedAt")

func TestMCPs(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{})
	calcOnly := e.create(t, CreateAPIKeyRequest{Name: "calc", Permissions: Permissions{MCPIDs: []string{"mcp_calculator"}}})
	access := e.client(t, calcOnly.Key.Reveal())
	second := e.client(t, e.srv.SecondOrgAdminKey())

	weather := MCP{ID: "mcp_weather", Name: "Weather API", Mode: ModeLive, Status: "active", Tools: []string{"get_weather"}}
	calculator := MCP{ID: "mcp_calculator", Name: "Calculator", Mode: ModeLive, Status: "active", Tools: []string{"add"}}
	sandbox := MCP{ID: "mcp_sandbox", Name: "Sandbox", Mode: ModeTest, Status: "active", Tools: []string{"echo"}}

	ignoreDesc := cmpopts.IgnoreFields(MCP{}, "Description")
	byID := cmpopts.SortSlices(func(a, b MCP) bool { return a.ID < b.ID })

	lists := map[string]struct {
		client *Client
		opts   ListMCPsOptions
		want   []MCP
	}{
		"admin sees all":             {client: e.admin, want: []MCP{weather, calculator, sandbox}},
		"name filter":                {client: e.admin, opts: ListMCPsOptions{Name: "Calculator"}, want: []MCP{calculator}},
		"name filter is exact":       {client: e.admin, opts: ListMCPsOptions{Name: "calculator"}},
		"status filter":              {client: e.admin, opts: ListMCPsOptions{Status: "active"}, want: []MCP{weather, calculator, sandbox}},
		"status filter narrows":      {client: e.admin, opts: ListMCPsOptions{Status: "inactive"}}, // every seeded MCP is active
		"access key sees its grants": {client: access, want: []MCP{calculator}},
	}
	for name, tc := range lists {
		t.Run("list/"+name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.client.ListMCPs(testCtx(t), tc.opts)
			if err != nil {
				t.Fatalf("ListMCPs: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, ignoreMCPTimes, ignoreDesc, byID, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ListMCPs mismatch (-want +got):\n%s", diff)
			}
			for _, m := range got {
				if m.CreatedAt.IsZero() || m.CreatedAt.Location() != time.UTC {
					t.Errorf("%s: CreatedAt %v, want a UTC time", m.ID, m.CreatedAt)
				}
			}
		})
	}

	gets := map[string]struct {
		client     *Client
		id         string
		want       *MCP
		wantStatus int
	}{
		"admin gets one":                  {client: e.admin, id: "mcp_weather", want: &weather},
		"unknown id":                      {client: e.admin, id: "mcp_nope", wantStatus: 404},
		"other organization's MCP":        {client: second, id: "mcp_weather", wantStatus: 404},
		"access key, granted":             {client: access, id: "mcp_calculator", want: &calculator},
		"access key, not granted":         {client: access, id: "mcp_weather", wantStatus: 404},
		"id needing escaping is one path": {client: e.admin, id: "mcp_weather/../mcp_sandbox", wantStatus: 404},
	}
	for name, tc := range gets {
		t.Run("get/"+name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.client.GetMCP(testCtx(t), tc.id)
			if tc.wantStatus != 0 {
				apiErr := apiErrorOf(t, err)
				if apiErr.StatusCode != tc.wantStatus || apiErr.Code != CodeNotFound || !IsNotFound(err) {
					t.Errorf("err = %#v, want %d not_found", apiErr, tc.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetMCP: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, ignoreMCPTimes, ignoreDesc); diff != "" {
				t.Errorf("GetMCP mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListMCPsFollowsPages(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{})
	e.admin.pageSize = 2
	got, err := e.admin.ListMCPs(testCtx(t), ListMCPsOptions{})
	if err != nil {
		t.Fatalf("ListMCPs: %v", err)
	}
	var ids []string
	for _, m := range got {
		ids = append(ids, m.ID)
	}
	if len(ids) != 3 {
		t.Errorf("ids = %v, want the 3 seeded MCPs", ids)
	}
	if n := e.srv.RequestCounts()["GET /v1/mcps"]; n != 2 {
		t.Errorf("GET /v1/mcps was called %d times, want 2 pages", n)
	}
}

func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{})
	ctx := testCtx(t)
	days := int64(30)
	before := time.Now().UTC().Truncate(time.Second)
	created := e.create(t, CreateAPIKeyRequest{
		Name:          "ci",
		Description:   "for CI",
		Permissions:   Permissions{MCPIDs: []string{"mcp_weather", "mcp_calculator", "mcp_weather"}},
		ExpiresInDays: &days,
	})
	if err := ValidateAPIKeyFormat(created.Key); err != nil || !strings.HasPrefix(created.Key.Reveal(), "pk_live_") {
		t.Errorf("created key has the wrong shape: %v", err)
	}
	if created.KeyPrefix != created.Key.Reveal()[:12] {
		t.Errorf("KeyPrefix %q is not the key's first 12 characters", created.KeyPrefix)
	}
	if created.Replayed {
		t.Error("a first create says it was replayed")
	}
	want := APIKey{
		ID:          created.ID,
		Name:        "ci",
		Description: "for CI",
		Mode:        ModeLive,
		KeyPrefix:   created.KeyPrefix,
		Permissions: Permissions{MCPIDs: []string{"mcp_weather", "mcp_calculator"}},
		Status:      StatusActive,
	}
	ignoreTimes := cmpopts.IgnoreFields(APIKey{}, "ExpiresAt", "CreatedAt", "LastUsedAt")
	if diff := cmp.Diff(want, created.APIKey, ignoreTimes); diff != "" {
		t.Errorf("created mismatch (-want +got):\n%s", diff)
	}
	if created.ExpiresAt == nil || created.ExpiresAt.Before(before.Add(30*24*time.Hour)) || created.ExpiresAt.After(time.Now().Add(30*24*time.Hour+time.Second)) {
		t.Errorf("ExpiresAt = %v, want 30 days from now", created.ExpiresAt)
	}
	if created.CreatedAt.Before(before) || created.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want a UTC time from now", created.CreatedAt)
	}

	got, err := e.admin.GetAPIKey(ctx, created.ID)
	if err != nil {
		t.Fatalf("GetAPIKey: %v", err)
	}
	if diff := cmp.Diff(created.APIKey, *got); diff != "" {
		t.Errorf("GetAPIKey differs from the create response (-create +get):\n%s", diff)
	}

	// PATCH sends only what is set; an empty description clears it.
	name, empty := "ci-renamed", ""
	updated, err := e.admin.UpdateAPIKey(ctx, created.ID, UpdateAPIKeyRequest{Name: &name, Description: &empty, Permissions: &Permissions{AllMCPs: true}})
	if err != nil {
		t.Fatalf("UpdateAPIKey: %v", err)
	}
	want.Name, want.Description, want.Permissions = "ci-renamed", "", Permissions{AllMCPs: true}
	if diff := cmp.Diff(want, *updated, ignoreTimes); diff != "" {
		t.Errorf("updated mismatch (-want +got):\n%s", diff)
	}
	unchanged, err := e.admin.UpdateAPIKey(ctx, created.ID, UpdateAPIKeyRequest{})
	if err != nil {
		t.Fatalf("UpdateAPIKey with nothing set: %v", err)
	}
	if diff := cmp.Diff(*updated, *unchanged); diff != "" {
		t.Errorf("an empty PATCH changed the key (-before +after):\n%s", diff)
	}

	if err := e.admin.RevokeAPIKey(ctx, created.ID); err != nil {
		t.Fatalf("RevokeAPIKey: %v", err)
	}
	revoked, err := e.admin.GetAPIKey(ctx, created.ID)
	if err != nil {
		t.Fatalf("GetAPIKey after revoke: %v", err)
	}
	if revoked.Status != StatusRevoked || revoked.RevokedAt == nil {
		t.Errorf("after revoke: status %q, revoked_at %v", revoked.Status, revoked.RevokedAt)
	}
	_, err = e.admin.UpdateAPIKey(ctx, created.ID, UpdateAPIKeyRequest{Name: &name})
	if apiErr := apiErrorOf(t, err); apiErr.StatusCode != 409 || apiErr.Code != CodeConflict || !IsConflict(err) || apiErr.Attempts != 1 {
		t.Errorf("PATCH on a revoked key: %#v, want a single 409 conflict", apiErr)
	}
	if err := e.admin.RevokeAPIKey(ctx, created.ID); err != nil {
		t.Errorf("revoking a revoked key: %v, want success", err)
	}
}

func TestAPIKeyErrors(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{})
	victim := e.create(t, CreateAPIKeyRequest{Name: "victim", Permissions: Permissions{AllMCPs: true}})
	access := e.client(t, victim.Key.Reveal())
	second := e.client(t, e.srv.SecondOrgAdminKey())
	stranger := e.client(t, "pk_live_"+strings.Repeat("A", 32)+"AAAAAA")
	anonymous := e.client(t, "")
	past := time.Now().Add(-time.Hour)
	one := int64(1)

	create := func(c *Client, r CreateAPIKeyRequest) func(context.Context) error {
		return func(ctx context.Context) error { _, err := c.CreateAPIKey(ctx, r); return err }
	}
	get := func(c *Client, id string) func(context.Context) error {
		return func(ctx context.Context) error { _, err := c.GetAPIKey(ctx, id); return err }
	}
	tests := map[string]struct {
		call      func(context.Context) error
		want      *APIError
		wantField string
	}{
		"unknown key is 401 with the documented wording": {
			call: get(stranger, victim.ID),
			want: &APIError{StatusCode: 401, Code: CodeUnauthorized, Message: "Invalid or missing API key", Attempts: 1},
		},
		"no key is 401": {
			call: func(ctx context.Context) error { _, err := anonymous.ListMCPs(ctx, ListMCPsOptions{}); return err },
			want: &APIError{StatusCode: 401, Code: CodeUnauthorized, Message: "Invalid or missing API key", Attempts: 1},
		},
		"access key on a management endpoint is 403": {
			call: func(ctx context.Context) error { _, err := access.ListAPIKeys(ctx, ListAPIKeysOptions{}); return err },
			want: &APIError{StatusCode: 403, Code: CodeForbidden, Attempts: 1},
		},
		"another organization's key is 404 on GET": {
			call: get(second, victim.ID),
			want: &APIError{StatusCode: 404, Code: CodeNotFound, Attempts: 1},
		},
		"another organization's key is 404 on PATCH": {
			call: func(ctx context.Context) error {
				n := "x"
				_, err := second.UpdateAPIKey(ctx, victim.ID, UpdateAPIKeyRequest{Name: &n})
				return err
			},
			want: &APIError{StatusCode: 404, Code: CodeNotFound, Attempts: 1},
		},
		"another organization's key is 404 on DELETE": {
			call: func(ctx context.Context) error { return second.RevokeAPIKey(ctx, victim.ID) },
			want: &APIError{StatusCode: 404, Code: CodeNotFound, Attempts: 1},
		},
		"unknown id is 404 on DELETE": {
			call: func(ctx context.Context) error { return e.admin.RevokeAPIKey(ctx, "key_doesnotexist") },
			want: &APIError{StatusCode: 404, Code: CodeNotFound, Attempts: 1},
		},
		"empty name": {
			call:      create(e.admin, CreateAPIKeyRequest{Name: "  ", Permissions: Permissions{AllMCPs: true}}),
			want:      &APIError{StatusCode: 400, Code: CodeValidation, Attempts: 1},
			wantField: "name",
		},
		"unknown MCP id is named": {
			call:      create(e.admin, CreateAPIKeyRequest{Name: "x", Permissions: Permissions{MCPIDs: []string{"mcp_nope"}}}),
			want:      &APIError{StatusCode: 400, Code: CodeValidation, Attempts: 1},
			wantField: "permissions",
		},
		"empty grant": {
			call:      create(e.admin, CreateAPIKeyRequest{Name: "x"}),
			want:      &APIError{StatusCode: 400, Code: CodeValidation, Attempts: 1},
			wantField: "permissions",
		},
		"expiry in the past": {
			call:      create(e.admin, CreateAPIKeyRequest{Name: "x", Permissions: Permissions{AllMCPs: true}, ExpiresAt: &past}),
			want:      &APIError{StatusCode: 400, Code: CodeValidation, Attempts: 1},
			wantField: "expires_at",
		},
		"both expiries": {
			call: create(e.admin, CreateAPIKeyRequest{Name: "x", Permissions: Permissions{AllMCPs: true}, ExpiresAt: &past, ExpiresInDays: &one}),
			want: &APIError{StatusCode: 400, Code: CodeValidation, Attempts: 1},
		},
		"bad mode": {
			call:      create(e.admin, CreateAPIKeyRequest{Name: "x", Mode: "staging", Permissions: Permissions{AllMCPs: true}}),
			want:      &APIError{StatusCode: 400, Code: CodeValidation, Attempts: 1},
			wantField: "mode",
		},
		"bad status filter": {
			call: func(ctx context.Context) error {
				_, err := e.admin.ListAPIKeys(ctx, ListAPIKeysOptions{Status: "sleeping"})
				return err
			},
			want: &APIError{StatusCode: 400, Attempts: 1},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := tc.call(testCtx(t))
			got := apiErrorOf(t, err)
			opts := []cmp.Option{cmpopts.IgnoreFields(APIError{}, "Details")}
			if tc.want.Message == "" {
				opts = append(opts, cmpopts.IgnoreFields(APIError{}, "Message"))
			}
			if tc.want.Code == "" {
				opts = append(opts, cmpopts.IgnoreFields(APIError{}, "Code"))
			}
			if diff := cmp.Diff(tc.want, got, opts...); diff != "" {
				t.Errorf("APIError mismatch (-want +got):\n%s", diff)
			}
			if got.Message == "" {
				t.Error("the server's message was lost")
			}
			if tc.wantField != "" {
				if f, _ := got.Details["field"].(string); !strings.HasPrefix(f, tc.wantField) {
					t.Errorf("details = %v, want field %q", got.Details, tc.wantField)
				}
			}
		})
	}
}

func TestCreateReplaysWithSameIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{})
	req := CreateAPIKeyRequest{Name: "replayed", Permissions: Permissions{AllMCPs: true}, IdempotencyKey: "tf-create-0001"}
	first := e.create(t, req)
	second := e.create(t, req)
	if first.Replayed || !second.Replayed {
		t.Errorf("Replayed = %v then %v, want false then true", first.Replayed, second.Replayed)
	}
	if second.ID != first.ID || second.Key.Reveal() != first.Key.Reveal() {
		t.Errorf("the replay returned key %s, want the first one, %s", second.ID, first.ID)
	}
	if n := e.keysNamed("replayed"); n != 1 {
		t.Errorf("the server holds %d keys named %q, want 1", n, "replayed")
	}

	// The same idempotency key with another body is refused, not replayed.
	req.Description = "different"
	_, err := e.admin.CreateAPIKey(testCtx(t), req)
	if apiErr := apiErrorOf(t, err); apiErr.StatusCode != 422 || apiErr.Code != CodeIdempotencyMismatch {
		t.Errorf("err = %#v, want 422 idempotency_mismatch", apiErr)
	}
}

// TestCreatesSurviveInjectedFaults runs many creates against a server that
// fails half of all requests, some of them by committing the create and then
// dropping the connection. Every create must succeed and leave exactly one
// key: the retry carries the same Idempotency-Key and body, so the server
// replays the committed key instead of minting another.
func TestCreatesSurviveInjectedFaults(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{FailRate: 0.5, Seed: 42})
	cfg := fastConfig(e.srv.BaseURL, NewSecret(e.srv.AdminKey()), e.log)
	cfg.MaxRetries = 12
	c := mustNew(t, cfg)

	const n = 40
	var mu sync.Mutex
	replayed := 0
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, err := c.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: fmt.Sprintf("faulty-%02d", i), Permissions: Permissions{AllMCPs: true}})
			if err != nil {
				t.Errorf("create %d: %v", i, err)
				return
			}
			if k.Key.IsZero() || k.ID == "" {
				t.Errorf("create %d returned no key", i)
			}
			if k.Replayed {
				mu.Lock()
				replayed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i := range n {
		name := fmt.Sprintf("faulty-%02d", i)
		if got := e.keysNamed(name); got != 1 {
			t.Errorf("%s: the server holds %d keys, want exactly 1", name, got)
		}
	}
	// The server logs a dropped response with status "-".
	drops := strings.Count(e.acc.String(), "POST /v1/api-keys - ")
	unavailable := strings.Count(e.acc.String(), "POST /v1/api-keys 503 ")
	t.Logf("%d dropped-after-commit creates, %d injected 503s, %d replayed answers", drops, unavailable, replayed)
	if drops == 0 || unavailable == 0 {
		t.Fatalf("no faults of one kind were injected (drops %d, 503s %d); the test proves nothing", drops, unavailable)
	}
	if replayed == 0 {
		t.Error("no create was answered by a replay, although responses were dropped after commit")
	}
}

func TestListAPIKeys(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{})
	// 101 keys that never expire, one more than a full page of 100, and one
	// that expires in a day.
	var keys []*CreatedAPIKey
	for i := range 101 {
		keys = append(keys, e.create(t, CreateAPIKeyRequest{Name: fmt.Sprintf("k%03d", i), Permissions: Permissions{AllMCPs: true}}))
	}
	days := int64(1)
	expiring := e.create(t, CreateAPIKeyRequest{Name: "expiring", Permissions: Permissions{AllMCPs: true}, ExpiresInDays: &days})
	keys = append(keys, expiring)
	// The API orders lists by created_at (to the second), then id.
	sort.SliceStable(keys, func(i, j int) bool {
		if !keys[i].CreatedAt.Equal(keys[j].CreatedAt) {
			return keys[i].CreatedAt.Before(keys[j].CreatedAt)
		}
		return keys[i].ID < keys[j].ID
	})
	var all, revoked, active []string
	for _, k := range keys {
		all = append(all, k.ID)
		switch {
		case k.ID == expiring.ID:
		case len(revoked) < 3:
			if err := e.admin.RevokeAPIKey(testCtx(t), k.ID); err != nil {
				t.Fatalf("RevokeAPIKey: %v", err)
			}
			revoked = append(revoked, k.ID)
		default:
			active = append(active, k.ID)
		}
	}
	e.srv.SetClockOffset(48 * time.Hour) // the expiring key is now expired

	// 102 keys at 100 a page is exactly two requests.
	before := e.srv.RequestCounts()["GET /v1/api-keys"]
	if got, err := e.admin.ListAPIKeys(testCtx(t), ListAPIKeysOptions{}); err != nil || len(got) != 102 {
		t.Fatalf("ListAPIKeys: %d keys, err %v; want 102", len(got), err)
	}
	if n := e.srv.RequestCounts()["GET /v1/api-keys"] - before; n != 2 {
		t.Errorf("listing 102 keys took %d requests, want 2", n)
	}

	idsOf := func(keys []APIKey) []string {
		out := make([]string, 0, len(keys))
		for _, k := range keys {
			out = append(out, k.ID)
		}
		return out
	}
	tests := map[string]struct {
		pageSize int
		status   string
		want     []string
	}{
		"two full pages":       {pageSize: 100, want: all},
		"small pages":          {pageSize: 7, want: all},
		"revoked only":         {pageSize: 100, status: StatusRevoked, want: revoked},
		"expired only":         {pageSize: 100, status: StatusExpired, want: []string{expiring.ID}},
		"active only":          {pageSize: 100, status: StatusActive, want: active},
		"active, small pages":  {pageSize: 10, status: StatusActive, want: active},
		"pages of exactly one": {pageSize: 1, status: StatusRevoked, want: revoked},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := e.client(t, e.srv.AdminKey())
			c.pageSize = tc.pageSize
			got, err := c.ListAPIKeys(testCtx(t), ListAPIKeysOptions{Status: tc.status})
			if err != nil {
				t.Fatalf("ListAPIKeys: %v", err)
			}
			if diff := cmp.Diff(tc.want, idsOf(got)); diff != "" {
				t.Errorf("ids mismatch (-want +got):\n%s", diff)
			}
			for _, k := range got {
				if tc.status != "" && k.Status != tc.status {
					t.Errorf("%s has status %q in a %q list", k.ID, k.Status, tc.status)
				}
			}
		})
	}
}

func TestInvoke(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{})
	calc := e.create(t, CreateAPIKeyRequest{Name: "calc", Permissions: Permissions{MCPIDs: []string{"mcp_calculator", "mcp_sandbox"}}})
	testKey := e.create(t, CreateAPIKeyRequest{Name: "test", Mode: ModeTest, Permissions: Permissions{AllMCPs: true}})
	if !strings.HasPrefix(testKey.Key.Reveal(), "pk_test_") || testKey.Mode != ModeTest {
		t.Errorf("test key %s has mode %q", testKey.KeyPrefix, testKey.Mode)
	}
	asCalc := e.admin.WithAPIKey(calc.Key)
	asTest := e.admin.WithAPIKey(testKey.Key)

	tests := map[string]struct {
		client     *Client
		req        InvokeRequest
		want       *InvokeResult
		wantStatus int
		wantMsg    string
	}{
		"granted tool": {
			client: asCalc,
			req:    InvokeRequest{MCPID: "mcp_calculator", Tool: "add", Arguments: map[string]any{"a": 2, "b": 3}},
			want:   &InvokeResult{MCPID: "mcp_calculator", Tool: "add", Result: map[string]any{"sum": 5.0}},
		},
		"management key invokes anything": {
			client: e.admin,
			req:    InvokeRequest{MCPID: "mcp_weather", Tool: "get_weather", Arguments: map[string]any{"city": "Oslo"}},
			want:   &InvokeResult{MCPID: "mcp_weather", Tool: "get_weather", Result: map[string]any{"city": "Oslo", "conditions": "sunny", "temperature_c": 21.0}},
		},
		"test key on a test MCP": {
			client: asTest,
			req:    InvokeRequest{MCPID: "mcp_sandbox", Tool: "echo", Arguments: map[string]any{"x": "y"}},
			want:   &InvokeResult{MCPID: "mcp_sandbox", Tool: "echo", Result: map[string]any{"x": "y"}},
		},
		"nil arguments are an empty object": {
			client: asCalc,
			req:    InvokeRequest{MCPID: "mcp_sandbox", Tool: "echo"},
			want:   &InvokeResult{MCPID: "mcp_sandbox", Tool: "echo", Result: map[string]any{}},
		},
		"not granted": {
			client: asCalc, req: InvokeRequest{MCPID: "mcp_weather", Tool: "get_weather"},
			wantStatus: 403, wantMsg: "API key does not have access to this MCP",
		},
		"test key on a live MCP": {
			client: asTest, req: InvokeRequest{MCPID: "mcp_weather", Tool: "get_weather"},
			wantStatus: 403, wantMsg: "API key does not have access to this MCP",
		},
		"unknown MCP":  {client: asCalc, req: InvokeRequest{MCPID: "mcp_nope", Tool: "add"}, wantStatus: 404},
		"unknown tool": {client: asCalc, req: InvokeRequest{MCPID: "mcp_calculator", Tool: "mul"}, wantStatus: 404},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.client.Invoke(testCtx(t), tc.req)
			if tc.wantStatus != 0 {
				apiErr := apiErrorOf(t, err)
				if apiErr.StatusCode != tc.wantStatus || (tc.wantMsg != "" && apiErr.Message != tc.wantMsg) || apiErr.Attempts != 1 {
					t.Errorf("err = %#v, want %d %q after one attempt", apiErr, tc.wantStatus, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Invoke mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRevokedKeyIsRefusedAtOnce(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{})
	k := e.create(t, CreateAPIKeyRequest{Name: "short-lived", Permissions: Permissions{AllMCPs: true}})
	c := e.admin.WithAPIKey(k.Key)
	ping := InvokeRequest{MCPID: "mcp_calculator", Tool: "add", Arguments: map[string]any{"a": 1, "b": 1}}
	if _, err := c.Invoke(testCtx(t), ping); err != nil {
		t.Fatalf("Invoke before revoke: %v", err)
	}
	used, err := e.admin.GetAPIKey(testCtx(t), k.ID)
	if err != nil {
		t.Fatalf("GetAPIKey: %v", err)
	}
	if used.RequestCount != 1 || used.LastUsedAt == nil {
		t.Errorf("after one invocation: request_count %d, last_used_at %v", used.RequestCount, used.LastUsedAt)
	}
	if err := e.admin.RevokeAPIKey(testCtx(t), k.ID); err != nil {
		t.Fatalf("RevokeAPIKey: %v", err)
	}
	_, err = c.Invoke(testCtx(t), ping)
	apiErr := apiErrorOf(t, err)
	want := &APIError{StatusCode: 401, Code: CodeUnauthorized, Message: "Invalid or missing API key", Attempts: 1}
	if diff := cmp.Diff(want, apiErr, cmpopts.IgnoreFields(APIError{}, "Details")); diff != "" {
		t.Errorf("invoke with a revoked key (-want +got):\n%s", diff)
	}
}

func TestWithAPIKey(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{RateLimit: 50})
	k := e.create(t, CreateAPIKeyRequest{Name: "other", Permissions: Permissions{MCPIDs: []string{"mcp_sandbox"}}})
	other := e.admin.WithAPIKey(k.Key)
	if other == e.admin || other.pacer == e.admin.pacer {
		t.Fatal("WithAPIKey must return a new client with its own pacer")
	}
	otherRT, ok1 := other.httpClient.Transport.(*transport)
	adminRT, ok2 := e.admin.httpClient.Transport.(*transport)
	if !ok1 || !ok2 || otherRT.base != adminRT.base {
		t.Error("WithAPIKey should share the connection pool")
	}
	mcps, err := other.ListMCPs(testCtx(t), ListMCPsOptions{})
	if err != nil || len(mcps) != 1 || mcps[0].ID != "mcp_sandbox" {
		t.Errorf("the derived client sees %v (err %v), want only its grant", mcps, err)
	}
	// The original keeps its own credential.
	all, err := e.admin.ListMCPs(testCtx(t), ListMCPsOptions{})
	if err != nil || len(all) != 3 {
		t.Errorf("the admin client sees %d MCPs (err %v), want 3", len(all), err)
	}
	if _, err := other.ListAPIKeys(testCtx(t), ListAPIKeysOptions{}); !IsForbidden(err) {
		t.Errorf("access key listing keys: %v, want 403", err)
	}
}

// TestPacingAgainstRateLimitedServer is the provider's load case in small:
// many creates in parallel on one client against a 5 req/s key. The pacer
// must queue them at the server's refill rate, so all succeed and few or
// none are refused with 429. How long that takes against the N/R floor is a
// number for make bench, not for a test.
func TestPacingAgainstRateLimitedServer(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		creates, parallel int
	}{
		"20 at once":             {creates: 20, parallel: 20},
		"40 with parallelism 10": {creates: 40, parallel: 10},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			const rps = 5
			e := startServer(t, refserver.Config{RateLimit: rps})
			cfg := fastConfig(e.srv.BaseURL, NewSecret(e.srv.AdminKey()), e.log)
			cfg.MaxRetries = DefaultMaxRetries
			cfg.RetryWaitMax = 30 * time.Second
			c := mustNew(t, cfg)

			start := time.Now()
			work := make(chan int)
			var wg sync.WaitGroup
			for range tc.parallel {
				wg.Go(func() {
					for i := range work {
						if _, err := c.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: fmt.Sprintf("paced-%02d", i), Permissions: Permissions{AllMCPs: true}}); err != nil {
							t.Errorf("create %d: %v", i, err)
						}
					}
				})
			}
			for i := range tc.creates {
				work <- i
			}
			close(work)
			wg.Wait()
			elapsed := time.Since(start)

			refused := e.log.count("PlexMCP API request", http.StatusTooManyRequests)
			sent := e.srv.RequestCounts()["POST /v1/api-keys"]
			// The bucket starts with 5 tokens and refills 5 a second.
			ideal := time.Duration(float64(tc.creates-rps) / rps * float64(time.Second))
			t.Logf("%d creates in %v (ideal %v), %d requests, %d refused with 429", tc.creates, elapsed, ideal, sent, refused)
			if refused > 2 {
				t.Errorf("%d requests were refused with 429; pacing should keep that near zero", refused)
			}
			if sent != tc.creates+refused {
				t.Errorf("the server saw %d creates, want %d + %d retried 429s", sent, tc.creates, refused)
			}
			// Without limits the check above would pass vacuously.
			c.pacer.mu.Lock()
			limited := c.pacer.limited
			c.pacer.mu.Unlock()
			if !limited {
				t.Error("the pacer never saw rate-limit headers; is the server limiting at all?")
			}
		})
	}
}

// TestLoggerNeverSeesSecrets runs a session with every kind of call, retries
// and failures included, and searches everything the Logger received for
// the admin key, every created key and any trace of the Authorization
// header.
func TestLoggerNeverSeesSecrets(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{FailRate: 0.3, Seed: 7, RateLimit: 20})
	cfg := fastConfig(e.srv.BaseURL, NewSecret(e.srv.AdminKey()), e.log)
	cfg.MaxRetries = 12
	admin := mustNew(t, cfg)
	ctx := testCtx(t)

	secrets := []string{e.srv.AdminKey(), e.srv.SecondOrgAdminKey()}
	for i := range 8 {
		k, err := admin.CreateAPIKey(ctx, CreateAPIKeyRequest{Name: fmt.Sprintf("s%d", i), Permissions: Permissions{AllMCPs: true}})
		if err != nil {
			t.Fatalf("CreateAPIKey: %v", err)
		}
		secrets = append(secrets, k.Key.Reveal())
		user := admin.WithAPIKey(k.Key)
		_, _ = user.Invoke(ctx, InvokeRequest{MCPID: "mcp_calculator", Tool: "add", Arguments: map[string]any{"a": 1, "b": 2}})
		_, _ = user.ListMCPs(ctx, ListMCPsOptions{})
		_, _ = user.ListAPIKeys(ctx, ListAPIKeysOptions{}) // 403
		_, _ = admin.GetAPIKey(ctx, k.ID)
		_, _ = admin.GetAPIKey(ctx, k.Key.Reveal()) // a key pasted as an id
		if i%2 == 0 {
			_ = admin.RevokeAPIKey(ctx, k.ID)
			_, _ = user.ListMCPs(ctx, ListMCPsOptions{}) // 401
		}
	}
	_, _ = admin.ListAPIKeys(ctx, ListAPIKeysOptions{})

	text := e.log.text()
	if e.log.count("PlexMCP API request will be retried", 0) == 0 {
		t.Fatal("the session had no retries; it does not exercise the retry logging")
	}
	for i, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("secret %d appears in the log", i)
		}
		// Even the random part alone must not appear.
		if strings.Contains(text, s[8:]) {
			t.Errorf("the random part of secret %d appears in the log", i)
		}
	}
	for _, banned := range []string{"Authorization", "authorization", "Bearer", "bearer"} {
		if strings.Contains(text, banned) {
			t.Errorf("the log mentions %q", banned)
		}
	}
	for _, l := range e.log.all() {
		for k := range l.Fields {
			if strings.Contains(strings.ToLower(k), "body") || strings.Contains(strings.ToLower(k), "header") {
				t.Errorf("a log line has field %q", k)
			}
		}
	}
}

func TestFormattingHidesSecrets(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{})
	cfg := fastConfig(e.srv.BaseURL, NewSecret(e.srv.AdminKey()), nil)
	client := mustNew(t, cfg)
	created, err := client.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "fmt", Permissions: Permissions{AllMCPs: true}})
	if err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	derived := client.WithAPIKey(created.Key)
	out := fmt.Sprintf("%v %+v %#v | %v %+v %#v | %v %+v %#v | %v %+v %#v | %s %s",
		cfg, cfg, cfg, client, client, client, created, created, created, derived, *derived, derived, created.Key, cfg.APIKey)
	for _, s := range []string{e.srv.AdminKey(), created.Key.Reveal()} {
		if strings.Contains(out, s) || strings.Contains(out, s[8:]) {
			t.Errorf("a secret is printed: %s", testsecrets.Hide(out, s))
		}
	}
	if !strings.Contains(out, created.ID) {
		t.Errorf("the formatting hides too much (no key id): %s", testsecrets.Hide(out, e.srv.AdminKey(), created.Key.Reveal()))
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cfg     Config
		wantURL string
		wantErr bool
	}{
		"default URL":         {cfg: Config{}, wantURL: DefaultBaseURL},
		"trailing slash":      {cfg: Config{BaseURL: "http://127.0.0.1:8089/v1/"}, wantURL: "http://127.0.0.1:8089/v1"},
		"no scheme":           {cfg: Config{BaseURL: "api.plexmcp.com/v1"}, wantErr: true},
		"ftp":                 {cfg: Config{BaseURL: "ftp://api.plexmcp.com/v1"}, wantErr: true},
		"no host":             {cfg: Config{BaseURL: "https:///v1"}, wantErr: true},
		"query":               {cfg: Config{BaseURL: "https://api.plexmcp.com/v1?x=1"}, wantErr: true},
		"credentials in URL":  {cfg: Config{BaseURL: "https://u:pk_live_secret@api.plexmcp.com/v1"}, wantErr: true},
		"unparsable":          {cfg: Config{BaseURL: "http://[::1"}, wantErr: true},
		"key with a newline":  {cfg: Config{APIKey: NewSecret("pk_live_abc\n")}, wantErr: true},
		"negative timeout":    {cfg: Config{RequestTimeout: -1}, wantErr: true},
		"any key shape is ok": {cfg: Config{APIKey: NewSecret("not-a-plexmcp-key")}, wantURL: DefaultBaseURL},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New: err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), "pk_live_secret") || strings.Contains(err.Error(), "pk_live_abc") {
					t.Errorf("the error quotes a key: %s", testsecrets.Hide(err.Error()))
				}
				return
			}
			if c.BaseURL() != tc.wantURL {
				t.Errorf("BaseURL = %q, want %q", c.BaseURL(), tc.wantURL)
			}
		})
	}
}

func TestValidateAPIKeyFormat(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		key     string
		wantErr bool
	}{
		"live":          {key: "pk_live_abc123"},
		"test":          {key: "pk_test_abc123"},
		"no prefix":     {key: "sk_live_abc123", wantErr: true},
		"only a prefix": {key: "pk_live_", wantErr: true},
		"whitespace":    {key: "pk_live_abc 123", wantErr: true},
		"empty":         {key: "", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := ValidateAPIKeyFormat(NewSecret(tc.key))
			if (err != nil) != tc.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && tc.key != "" && strings.Contains(err.Error(), tc.key) {
				t.Errorf("the error quotes the key: %s", testsecrets.Hide(err.Error(), tc.key))
			}
		})
	}
}

// A 404 for a key means the key is gone only when the API itself answers;
// a base URL without /v1 must not make a refresh or destroy forget a key
// that is still live.
func TestNotFoundIsConfirmed(t *testing.T) {
	t.Parallel()
	e := startServer(t, refserver.Config{})
	good := mustNew(t, fastConfig(e.srv.BaseURL, NewSecret(e.srv.AdminKey()), nil))
	created, err := good.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "live", Permissions: Permissions{AllMCPs: true}})
	if err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	wrong := mustNew(t, fastConfig(strings.TrimSuffix(e.srv.BaseURL, "/v1"), NewSecret(e.srv.AdminKey()), nil))
	tests := map[string]struct {
		call         func(*Client) error
		wantNotFound bool
	}{
		"unknown key":                    {func(c *Client) error { _, err := c.GetAPIKey(testCtx(t), "key_unknown"); return err }, true},
		"unknown key, revoke":            {func(c *Client) error { return c.RevokeAPIKey(testCtx(t), "key_unknown") }, true},
		"unknown MCP":                    {func(c *Client) error { _, err := c.GetMCP(testCtx(t), "mcp_unknown"); return err }, true},
		"live key, base URL without /v1": {func(*Client) error { _, err := wrong.GetAPIKey(testCtx(t), created.ID); return err }, false},
		"revoke, base URL without /v1":   {func(*Client) error { return wrong.RevokeAPIKey(testCtx(t), created.ID) }, false},
		"MCP, base URL without /v1":      {func(*Client) error { _, err := wrong.GetMCP(testCtx(t), "mcp_weather"); return err }, false},
	}
	// The group returns only when its parallel subtests have finished.
	t.Run("calls", func(t *testing.T) {
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				err := tc.call(good)
				if err == nil {
					t.Fatal("no error")
				}
				if IsNotFound(err) != tc.wantNotFound {
					t.Errorf("IsNotFound(%v) = %v, want %v", err, !tc.wantNotFound, tc.wantNotFound)
				}
				if !tc.wantNotFound && !strings.Contains(err.Error(), "check the base URL") {
					t.Errorf("error %q does not point at the base URL", err)
				}
			})
		}
	})
	if k, err := good.GetAPIKey(testCtx(t), created.ID); err != nil || k.Status != StatusActive {
		t.Errorf("after the calls through the wrong base URL the key is %v, %v; want still active", k, err)
	}
}
