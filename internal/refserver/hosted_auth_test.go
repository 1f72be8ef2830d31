package refserver

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

const hostedUnauthorizedBody = `{"success":false,"error":{"code":"unauthorized","message":"Invalid or missing API key"}}` + "\n"

func TestHostedAuthFailures(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	revoked := ts.createKey(t, allMCPs("revoked"))
	ts.do(t, "DELETE", "/api-keys/"+revoked.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	expired := ts.createKey(t, map[string]any{"name": "expired", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 1})
	other := newHosted(t) // a perfectly valid key of another server
	admin := ts.AdminKey()

	for name, tc := range map[string]struct {
		auth     string
		mgmtOnly bool // POST /mcp takes this one
	}{
		"missing header":        {auth: ""},
		"Bearer on management":  {auth: "Bearer " + admin, mgmtOnly: true},
		"lowercase scheme":      {auth: "apikey " + admin},
		"uppercase scheme":      {auth: "APIKEY " + admin},
		"lowercase bearer":      {auth: "bearer " + admin},
		"two spaces":            {auth: "ApiKey  " + admin},
		"tab":                   {auth: "ApiKey\t" + admin},
		"no credential":         {auth: "ApiKey "},
		"malformed key":         {auth: "ApiKey pmcp_xxxxxxxx"},
		"legacy key":            {auth: "ApiKey pk_live_AbCdEfGhIjKlMnOpQrStUvWxYz012345abcdef"},
		"one character changed": {auth: "ApiKey " + flip(admin, 40)},
		"unknown key":           {auth: "ApiKey " + other.AdminKey()},
		"revoked key":           {auth: "ApiKey " + revoked.Key},
		"expired key":           {auth: "ApiKey " + expired.Key},
		"Basic":                 {auth: "Basic " + admin},
		"key without scheme":    {auth: admin},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name == "expired key" {
				// Move the server's clock past the key's expiry instead of
				// waiting. No other subtest depends on the clock.
				ts.SetClockOffset(25 * time.Hour)
			}
			header := []string{"Authorization", tc.auth}
			check := func(r *response) {
				t.Helper()
				r.hostedError(t, http.StatusUnauthorized, codeUnauthorized)
				if got := string(r.raw); got != hostedUnauthorizedBody {
					t.Errorf("%s %s: body %s", r.method, r.path, r.body())
				}
			}
			check(ts.do(t, "GET", "/mcps", "", nil, header...))
			check(ts.do(t, "GET", "/api-keys", "", nil, header...))
			check(ts.do(t, "POST", "/api-keys", "", allMCPs("x"), header...))
			check(ts.do(t, "GET", "/no-such-route", "", nil, header...))
			if !tc.mgmtOnly {
				check(ts.invoke(t, "", invokeBody("mcp_weather", "get_weather", nil), header...))
			}
		})
	}
	t.Cleanup(func() { // after the parallel subtests
		if n := len(ts.APIKeys()); n != 4 {
			t.Errorf("%d keys after only refused creates, want 4", n)
		}
	})
}

func TestHostedAuthSchemes(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	admin := ts.AdminKey()
	call := invokeBody("mcp_sandbox", "echo", map[string]any{"x": 1})
	ts.do(t, "GET", "/mcps", "", nil, "Authorization", "ApiKey "+admin).wantStatus(t, http.StatusOK)
	ts.invoke(t, "", call, "Authorization", "ApiKey "+admin).wantStatus(t, http.StatusOK)
	ts.invoke(t, "", call, "Authorization", "Bearer "+admin).wantStatus(t, http.StatusOK)
	// Bearer is POST /mcp's alone: on another method of that path the key
	// is refused before the method is, and the request is no use of it.
	before := ts.bootstrap(t, firstOrgID).RequestCount
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		ts.send(t, method, ts.Origin+"/mcp", nil, "Authorization", "Bearer "+admin).hostedError(t, http.StatusUnauthorized, codeUnauthorized)
		ts.send(t, method, ts.Origin+"/mcp", nil, "Authorization", "ApiKey "+admin).hostedError(t, http.StatusMethodNotAllowed, codeInvalidRequest)
	}
	if got := ts.bootstrap(t, firstOrgID).RequestCount - before; got != 3 {
		t.Errorf("request count moved by %d, want 3 (the ApiKey requests only)", got)
	}
	// Header names are case-insensitive (HTTP); schemes are not.
	ts.do(t, "GET", "/mcps", "", nil, "authorization", "ApiKey "+admin).wantStatus(t, http.StatusOK)
}

// TestMalformedKeysSkipTheStore proves the offline checks run first: a key
// that fails them never reaches a store lookup.
func TestMalformedKeysSkipTheStore(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	admin := ts.AdminKey()
	for name, tc := range map[string]struct {
		auth        string
		wantLookups int64
		wantStatus  int
	}{
		"not hex":        {"ApiKey " + admin[:40] + "z" + admin[41:], 0, http.StatusUnauthorized},
		"short":          {"ApiKey pmcp_01abc", 0, http.StatusUnauthorized},
		"wrong scheme":   {"Token " + admin, 0, http.StatusUnauthorized},
		"unknown but ok": {"ApiKey " + NewBootstrapKey(), 1, http.StatusUnauthorized},
		"valid":          {"ApiKey " + admin, 1, http.StatusOK},
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

// TestHostedEveryKeyMayManage: there is one kind of key; permissions limit
// only which MCPs it may invoke.
func TestHostedEveryKeyMayManage(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	narrow := ts.createKey(t, someMCPs("narrow", "mcp_weather"))
	listed := data[[]keyView](t, ts.do(t, "GET", "/api-keys", narrow.Key, nil).wantStatus(t, http.StatusOK))
	if len(listed) != 2 {
		t.Errorf("a narrow key lists %d keys, want both", len(listed))
	}
	made := data[keyView](t, ts.do(t, "POST", "/api-keys", narrow.Key, allMCPs("made by narrow")).wantStatus(t, http.StatusCreated))
	ts.do(t, "PATCH", "/api-keys/"+made.ID, narrow.Key, `{"name":"renamed by narrow"}`).wantStatus(t, http.StatusOK)
	ts.do(t, "DELETE", "/api-keys/"+made.ID, narrow.Key, nil).wantStatus(t, http.StatusOK)
	mcps := data[[]mcpView](t, ts.do(t, "GET", "/mcps", narrow.Key, nil).wantStatus(t, http.StatusOK))
	if len(mcps) != 3 {
		t.Errorf("a narrow key sees %d MCPs, want every one of its organisation", len(mcps))
	}
	ts.do(t, "GET", "/mcps/mcp_calculator", narrow.Key, nil).wantStatus(t, http.StatusOK)
	// A key may revoke itself while another active key remains.
	ts.do(t, "DELETE", "/api-keys/"+narrow.ID, narrow.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/mcps", narrow.Key, nil).wantStatus(t, http.StatusUnauthorized)
}

// TestHostedOrganisationsAreIsolated: another organisation's ids are 404,
// never 403, so their existence does not leak.
func TestHostedOrganisationsAreIsolated(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	mine := ts.createKey(t, allMCPs("org 1 key"))
	second := ts.SecondOrgAdminKey()

	ts.do(t, "GET", "/api-keys/"+mine.ID, second, nil).hostedError(t, http.StatusNotFound, codeNotFound)
	ts.do(t, "PATCH", "/api-keys/"+mine.ID, second, map[string]any{"name": "stolen"}).hostedError(t, http.StatusNotFound, codeNotFound)
	ts.do(t, "DELETE", "/api-keys/"+mine.ID, second, nil).hostedError(t, http.StatusNotFound, codeNotFound)
	ts.do(t, "GET", "/mcps/mcp_weather", second, nil).hostedError(t, http.StatusNotFound, codeNotFound)
	ts.invoke(t, second, invokeBody("mcp_weather", "get_weather", nil)).hostedError(t, http.StatusNotFound, codeNotFound)
	ts.invoke(t, mine.Key, invokeBody("mcp_private", "ping", nil)).hostedError(t, http.StatusNotFound, codeNotFound)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), someMCPs("x", "mcp_private")).
		hostedError(t, http.StatusUnprocessableEntity, codeValidation, "permissions", "unknown MCP: mcp_private")

	keys := data[[]keyView](t, ts.do(t, "GET", "/api-keys", second, nil).wantStatus(t, http.StatusOK))
	if len(keys) != 1 || keys[0].Name != "bootstrap" || keys[0].ID != ts.bootstrap(t, secondOrgID).ID {
		t.Errorf("second organisation lists %+v, want only its bootstrap key", keys)
	}
	mcps := data[[]mcpView](t, ts.do(t, "GET", "/mcps", second, nil).wantStatus(t, http.StatusOK))
	if len(mcps) != 1 || mcps[0].ID != "mcp_private" || mcps[0].Name != "Private Tools" {
		t.Errorf("second organisation's MCPs: %+v", mcps)
	}
	r := ts.invoke(t, second, invokeBody("mcp_private", "ping", nil)).wantStatus(t, http.StatusOK)
	if !strings.Contains(string(r.raw), `"result":{"message":"pong"}`) {
		t.Errorf("ping: %s", r.body())
	}
	if rec := ts.record(t, mine.ID); rec.Name != "org 1 key" || rec.Status != statusActive || rec.OrgID != firstOrgID {
		t.Errorf("org 1 key after org 2's attempts: %+v", rec)
	}
}

func TestHostedBootstrapKeys(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	for _, org := range []string{firstOrgID, secondOrgID} {
		rec := ts.bootstrap(t, org)
		if rec.Name != "bootstrap" || !rec.AllMCPs || rec.ExpiresAt != nil || rec.Status != statusActive || rec.KeyPrefix != ts.adminKeyOf(org)[:12] {
			t.Errorf("%s bootstrap key: %+v", org, rec)
		}
	}
	got := ts.getKey(t, ts.bootstrap(t, firstOrgID).ID)
	if got.Name != "bootstrap" || string(got.Permissions.MCPs) != `"*"` || got.ExpiresAt != nil || got.Prefix != ts.AdminKey()[:12] {
		t.Errorf("GET of the bootstrap key: %v", got)
	}
	if n := len(ts.APIKeys()); n != 2 {
		t.Errorf("%d keys on a fresh server, want the two bootstrap keys", n)
	}
}

// adminKeyOf is the bootstrap key given to an organisation.
func (ts *testServer) adminKeyOf(org string) string {
	if org == secondOrgID {
		return ts.SecondOrgAdminKey()
	}
	return ts.AdminKey()
}

// TestHostedUsage: every authenticated request is use of its key, 429s and
// injected faults excepted; the counters are calendar periods in UTC by
// the server's clock.
func TestHostedUsage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{RateLimit: 1000})
	// Monday 2026-01-19, 23:59:30 UTC: the next day is half a minute away
	// on the server's clock.
	ts.pinClock(time.Date(2026, 1, 19, 23, 59, 30, 0, time.UTC))
	k := ts.createKey(t, someMCPs("used", "mcp_weather"))
	if k := ts.getKey(t, k.ID); k.LastUsed != nil || k.Usage.TotalRequests != 0 {
		t.Fatalf("new key already used: %v", k)
	}
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	ts.invoke(t, k.Key, invokeBody("mcp_calculator", "add", nil)).wantStatus(t, http.StatusForbidden)
	ts.do(t, "GET", "/api-keys/key_nope", k.Key, nil).wantStatus(t, http.StatusNotFound)
	ts.do(t, "GET", "/no-such-route", k.Key, nil).wantStatus(t, http.StatusNotFound)
	ts.do(t, "PUT", "/mcps", k.Key, nil).wantStatus(t, http.StatusMethodNotAllowed)
	ts.do(t, "POST", "/api-keys", k.Key, `{`).wantStatus(t, http.StatusBadRequest)
	// Not use: a failed authentication, a 429 and an injected fault.
	ts.do(t, "GET", "/mcps", flip(k.Key, 60), nil).wantStatus(t, http.StatusUnauthorized)
	ts.SetRateLimit(0.001) // a fresh, one-token bucket per key
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusTooManyRequests)
	ts.SetRateLimit(0)
	ts.SetFailRate(1)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusServiceUnavailable)
	ts.SetFailRate(0)

	got := ts.getKey(t, k.ID)
	if got.Usage.TotalRequests != 7 || got.Usage.RequestsToday != 7 || *got.Usage.RequestsThisWeek != 7 || *got.Usage.RequestsThisMonth != 7 {
		t.Fatalf("after seven counted requests: %+v", *got.Usage)
	}
	if got.LastUsed == nil || !strings.HasPrefix(*got.LastUsed, "2026-01-19T23:59:") {
		t.Errorf("last_used %v, want the server's now", got.LastUsed)
	}
	if rec := ts.record(t, k.ID); rec.RequestCount != 7 || rec.LastUsed == nil {
		t.Errorf("record: %+v", rec)
	}

	// A day later (Tuesday) the week and month still count them; a week
	// later (Monday) the month still does; in February (Monday the 2nd)
	// only today's.
	for _, step := range []struct {
		at                         time.Time
		today, week, month, listed int64
	}{
		{time.Date(2026, 1, 20, 8, 0, 0, 0, time.UTC), 1, 8, 8, 1},
		{time.Date(2026, 1, 26, 8, 0, 0, 0, time.UTC), 1, 1, 9, 1},
		{time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC), 1, 1, 1, 1},
	} {
		ts.pinClock(step.at)
		ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
		got := ts.getKey(t, k.ID)
		if got.Usage.RequestsToday != step.today || *got.Usage.RequestsThisWeek != step.week || *got.Usage.RequestsThisMonth != step.month {
			t.Errorf("%s: today %d, week %d, month %d; want %d, %d, %d", step.at, got.Usage.RequestsToday,
				*got.Usage.RequestsThisWeek, *got.Usage.RequestsThisMonth, step.today, step.week, step.month)
		}
		listed := data[[]keyView](t, ts.do(t, "GET", "/api-keys", ts.AdminKey(), nil))
		i := slices.IndexFunc(listed, func(l keyView) bool { return l.ID == k.ID })
		if i < 0 || listed[i].Usage.RequestsToday != step.listed || listed[i].Usage.RequestsThisWeek != nil {
			t.Errorf("%s: listed usage %+v, want today %d and no week", step.at, listed[i].Usage, step.listed)
		}
	}
}

func TestHostedRevocationIsImmediate(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	k := ts.createKey(t, allMCPs("short-lived"))
	call := invokeBody("mcp_weather", "get_weather", map[string]any{"city": "Oslo"})
	ts.invoke(t, k.Key, call).wantStatus(t, http.StatusOK)
	ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	ts.invoke(t, k.Key, call).hostedError(t, http.StatusUnauthorized, codeUnauthorized)
	ts.do(t, "GET", "/mcps", k.Key, nil).hostedError(t, http.StatusUnauthorized, codeUnauthorized)
}

func TestHostedExpiryFollowsTheServerClock(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	k := ts.createKey(t, map[string]any{"name": "day", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 1})
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)

	ts.SetClockOffset(24*time.Hour + time.Second)
	ts.do(t, "GET", "/mcps", k.Key, nil).hostedError(t, http.StatusUnauthorized, codeUnauthorized)
	if got := ts.getKey(t, k.ID); got.Status != statusExpired || ts.record(t, k.ID).Status != statusExpired {
		t.Errorf("status %q after expiry", got.Status)
	}
	expired := data[[]keyView](t, ts.do(t, "GET", "/api-keys?status=expired", ts.AdminKey(), nil).wantStatus(t, http.StatusOK))
	if len(expired) != 1 || expired[0].ID != k.ID {
		t.Errorf("?status=expired: %+v", expired)
	}
	ts.SetClockOffset(0)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
}

// TestHostedKeyPropagation: a new key answers 401 on every route for its
// first -key-propagation, shows active meanwhile, and works afterwards.
func TestHostedKeyPropagation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{KeyPropagation: time.Minute})
	base := time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC)
	ts.pinClock(base)
	// Bootstrap keys never propagate.
	k := ts.createKey(t, allMCPs("new"))
	for _, r := range []*response{
		ts.do(t, "GET", "/mcps", k.Key, nil),
		ts.do(t, "GET", "/api-keys/"+k.ID, k.Key, nil),
		ts.do(t, "POST", "/api-keys", k.Key, allMCPs("x")),
		ts.do(t, "GET", "/no-such-route", k.Key, nil),
		ts.invoke(t, k.Key, invokeBody("mcp_sandbox", "echo", nil)),
	} {
		r.hostedError(t, http.StatusUnauthorized, codeUnauthorized)
	}
	if got := ts.getKey(t, k.ID); got.Status != statusActive || got.Usage.TotalRequests != 0 {
		t.Errorf("a propagating key: status %q, %d requests; want active and unused", got.Status, got.Usage.TotalRequests)
	}
	ts.pinClock(base.Add(59 * time.Second))
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusUnauthorized)
	ts.pinClock(base.Add(time.Minute + time.Second))
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	ts.invoke(t, k.Key, invokeBody("mcp_sandbox", "echo", nil)).wantStatus(t, http.StatusOK)
}
