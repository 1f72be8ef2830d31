package refserver

import (
	"net/http"
	"testing"
	"time"
)

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	revoked := ts.createKey(t, allMCPs("revoked"))
	ts.do(t, "DELETE", "/api-keys/"+revoked.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
	expired := ts.createKey(t, map[string]any{"name": "expired", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 1})
	other := newTestServer(t, Config{}) // a perfectly valid key of another server

	for name, auth := range map[string]string{
		"missing header":  "",
		"wrong scheme":    "Basic " + ts.AdminKey(),
		"no credential":   "Bearer ",
		"malformed key":   "Bearer pk_live_xxxxxxxx",
		"bad checksum":    "Bearer " + ts.AdminKey()[:45] + flipChar(ts.AdminKey()[45]),
		"unknown key":     "Bearer " + other.AdminKey(),
		"revoked key":     "Bearer " + revoked.Key,
		"expired key":     "Bearer " + expired.Key,
		"two credentials": "Bearer " + ts.AdminKey() + " " + ts.AdminKey(),
		"key without tag": ts.AdminKey(),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name == "expired key" {
				// Move the server's clock past the key's expiry instead of
				// waiting. No other subtest depends on the clock.
				ts.SetClockOffset(25 * time.Hour)
			}
			header := []string{"Authorization", auth}
			for _, ep := range []struct{ method, path string }{{"GET", "/mcps"}, {"GET", "/api-keys"}, {"POST", "/mcp/invoke"}} {
				r := ts.do(t, ep.method, ep.path, "", map[string]any{"mcp_id": "mcp_weather", "tool": "get_weather"}, header...)
				r.wantError(t, http.StatusUnauthorized, codeUnauthorized, "")
				if got := string(r.raw); got != `{"success":false,"error":{"code":"unauthorized","message":"Invalid or missing API key"}}`+"\n" {
					t.Errorf("%s %s: body %s", ep.method, ep.path, got)
				}
			}
		})
	}
}

func flipChar(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func TestAuthSchemeIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		ts.do(t, "GET", "/mcps", "", nil, "Authorization", scheme+" "+ts.AdminKey()).wantStatus(t, http.StatusOK)
	}
}

// TestMalformedKeysSkipTheStore proves the offline checks run first: a key
// that fails them never reaches a store lookup.
func TestMalformedKeysSkipTheStore(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	admin := ts.AdminKey()
	for name, tc := range map[string]struct {
		auth        string
		wantLookups int64
		wantStatus  int
	}{
		"bad checksum":   {"Bearer " + admin[:45] + flipChar(admin[45]), 0, http.StatusUnauthorized},
		"malformed":      {"Bearer pk_live_short", 0, http.StatusUnauthorized},
		"wrong prefix":   {"Bearer sk_live_" + admin[8:], 0, http.StatusUnauthorized},
		"unknown but ok": {"Bearer " + mintKey(modeLive), 1, http.StatusUnauthorized},
		"valid":          {"Bearer " + admin, 1, http.StatusOK},
	} {
		t.Run(name, func(t *testing.T) {
			// Not parallel: the lookup counter is shared.
			before := ts.lookups.Load()
			ts.do(t, "GET", "/mcps", "", nil, "Authorization", tc.auth).wantStatus(t, tc.wantStatus)
			if got := ts.lookups.Load() - before; got != tc.wantLookups {
				t.Errorf("store lookups = %d, want %d", got, tc.wantLookups)
			}
		})
	}
}

func TestAccessKeysCannotManage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	k := ts.createKey(t, allMCPs("access"))
	t.Cleanup(func() { // after the parallel subtests: nothing changed
		if rec := ts.record(t, k.ID); rec.Status != statusActive || rec.Name != "access" || rec.RequestCount != 5 {
			t.Errorf("after 403s: %+v", rec)
		}
	})
	for _, ep := range []struct{ method, path string }{
		{"GET", "/api-keys"},
		{"POST", "/api-keys"},
		{"GET", "/api-keys/" + k.ID},
		{"PATCH", "/api-keys/" + k.ID},
		{"DELETE", "/api-keys/" + k.ID},
	} {
		t.Run(ep.method+" "+ep.path, func(t *testing.T) {
			t.Parallel()
			var body any
			if ep.method == "POST" || ep.method == "PATCH" {
				body = allMCPs("x")
			}
			ts.do(t, ep.method, ep.path, k.Key, body).wantError(t, http.StatusForbidden, codeForbidden, "")
		})
	}
}

// TestOrganisationsAreIsolated: another organisation's ids are 404, never
// 403, so their existence does not leak.
func TestOrganisationsAreIsolated(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	mine := ts.createKey(t, allMCPs("org 1 key"))
	second := ts.SecondOrgAdminKey()

	ts.do(t, "GET", "/api-keys/"+mine.ID, second, nil).wantError(t, http.StatusNotFound, codeNotFound, "")
	ts.do(t, "PATCH", "/api-keys/"+mine.ID, second, map[string]any{"name": "stolen"}).wantError(t, http.StatusNotFound, codeNotFound, "")
	ts.do(t, "DELETE", "/api-keys/"+mine.ID, second, nil).wantError(t, http.StatusNotFound, codeNotFound, "")
	ts.do(t, "GET", "/mcps/mcp_weather", second, nil).wantError(t, http.StatusNotFound, codeNotFound, "")
	ts.do(t, "POST", "/mcp/invoke", second, map[string]any{"mcp_id": "mcp_weather", "tool": "get_weather"}).
		wantError(t, http.StatusNotFound, codeNotFound, "")
	ts.do(t, "POST", "/mcp/invoke", mine.Key, map[string]any{"mcp_id": "mcp_private_tools", "tool": "ping"}).
		wantError(t, http.StatusNotFound, codeNotFound, "")
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), someMCPs("x", "mcp_private_tools")).
		wantError(t, http.StatusBadRequest, codeValidation, "permissions")

	if keys := decodeData[[]keyView](t, ts.do(t, "GET", "/api-keys", second, nil).wantStatus(t, http.StatusOK)); len(keys) != 0 {
		t.Errorf("second organisation lists %d keys, want 0", len(keys))
	}
	mcps := decodeData[[]mcpView](t, ts.do(t, "GET", "/mcps", second, nil).wantStatus(t, http.StatusOK))
	if len(mcps) != 1 || mcps[0].ID != "mcp_private_tools" || mcps[0].Name != "Private Tools" {
		t.Errorf("second organisation's MCPs: %+v", mcps)
	}
	r := ts.do(t, "POST", "/mcp/invoke", second, map[string]any{"mcp_id": "mcp_private_tools", "tool": "ping"}).wantStatus(t, http.StatusOK)
	if string(r.env.Data) != `{"mcp_id":"mcp_private_tools","tool":"ping","result":{"message":"pong"}}` {
		t.Errorf("ping: %s", r.env.Data)
	}
	if rec := ts.record(t, mine.ID); rec.Name != "org 1 key" || rec.Status != statusActive || rec.OrgID != firstOrgID {
		t.Errorf("org 1 key after org 2's attempts: %+v", rec)
	}
}

func TestUsageTracking(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	k := ts.createKey(t, someMCPs("used", "mcp_weather"))
	if k.LastUsedAt != nil || k.RequestCount != 0 {
		t.Fatalf("new key already used: %+v", k)
	}
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "POST", "/mcp/invoke", k.Key, map[string]any{"mcp_id": "mcp_calculator", "tool": "add"}).wantStatus(t, http.StatusForbidden)
	ts.do(t, "GET", "/api-keys", k.Key, nil).wantStatus(t, http.StatusForbidden)
	ts.do(t, "GET", "/mcps", "", nil, "Authorization", "Bearer "+k.Key[:45]+flipChar(k.Key[45])).wantStatus(t, http.StatusUnauthorized)

	got := decodeData[keyView](t, ts.do(t, "GET", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK))
	if got.RequestCount != 3 || got.LastUsedAt == nil {
		t.Fatalf("after three authenticated requests: request_count %d, last_used_at %v", got.RequestCount, got.LastUsedAt)
	}
	used, err := time.Parse(wireTimeLayout, *got.LastUsedAt)
	if err != nil || time.Since(used) > time.Minute || time.Until(used) > time.Second {
		t.Errorf("last_used_at %s is not now (%v)", *got.LastUsedAt, err)
	}
}

func TestRevocationIsImmediate(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	k := ts.createKey(t, allMCPs("short-lived"))
	invoke := map[string]any{"mcp_id": "mcp_weather", "tool": "get_weather", "arguments": map[string]any{"city": "Oslo"}}
	ts.do(t, "POST", "/mcp/invoke", k.Key, invoke).wantStatus(t, http.StatusOK)
	ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
	ts.do(t, "POST", "/mcp/invoke", k.Key, invoke).wantError(t, http.StatusUnauthorized, codeUnauthorized, "")
}

func TestExpiryFollowsTheServerClock(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	k := ts.createKey(t, map[string]any{"name": "day", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 1})
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)

	ts.SetClockOffset(24*time.Hour + time.Second)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantError(t, http.StatusUnauthorized, codeUnauthorized, "")
	got := decodeData[keyView](t, ts.do(t, "GET", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK))
	if got.Status != statusExpired || ts.record(t, k.ID).Status != statusExpired {
		t.Errorf("status %q after expiry", got.Status)
	}
	expired := decodeData[[]keyView](t, ts.do(t, "GET", "/api-keys?status=expired", ts.AdminKey(), nil).wantStatus(t, http.StatusOK))
	if len(expired) != 1 || expired[0].ID != k.ID {
		t.Errorf("?status=expired: %+v", expired)
	}

	ts.SetClockOffset(0)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)

	// A clock that starts in the past (as -clock-offset can make it) sees
	// keys created "later" as active.
	past := newTestServer(t, Config{ClockOffset: -2136 * time.Hour})
	if now := past.Now(); time.Since(now) < 2135*time.Hour {
		t.Errorf("Now() = %v with a -2136h offset", now)
	}
}
