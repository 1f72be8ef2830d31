package refserver

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	k := NewBootstrapKey()
	for name, cfg := range map[string]Config{
		"unknown API":                {API: "cloud"},
		"malformed admin key":        {AdminKey: "pmcp_xxxxxxxx"},
		"legacy admin key":           {AdminKey: "pk_live_AbCdEfGhIjKlMnOpQrStUvWxYz012345abcdef"},
		"uppercase second key":       {SecondOrgAdminKey: strings.ToUpper(k)},
		"admin key with whitespace ": {AdminKey: " " + k},
		"same key for both":          {AdminKey: k, SecondOrgAdminKey: k},
		"negative rate limit":        {RateLimit: -1},
		"NaN rate limit":             {RateLimit: math.NaN()},
		"infinite rate limit":        {RateLimit: math.Inf(1)},
		"NaN fail rate":              {FailRate: math.NaN()},
		"fail rate above one":        {FailRate: 1.5},
		"negative fail rate":         {FailRate: -0.1},
		"negative key quota":         {KeyQuota: -1},
		"negative propagation":       {KeyPropagation: -time.Second},
		"state in a missing dir":     {StatePath: t.TempDir() + "/missing/state.json"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(cfg); err == nil {
				t.Error("New succeeded")
			} else if strings.Contains(err.Error(), k) || strings.Contains(err.Error(), k[12:]) {
				t.Errorf("the error names the key: %s", hide(err, k))
			}
		})
	}
}

// TestBootstrapKeyIsTakenAsGiven: the server authenticates by format and
// digest, so a key signed under another secret (another process's) works.
func TestBootstrapKeyIsTakenAsGiven(t *testing.T) {
	t.Parallel()
	first, second := NewBootstrapKey(), NewBootstrapKey()
	ts := newTestServer(t, Config{AdminKey: first, SecondOrgAdminKey: second})
	if ts.AdminKey() != first || ts.SecondOrgAdminKey() != second || signedBy(ts.hmacSecret, first) {
		t.Fatal("the server did not keep the keys as given")
	}
	ts.do(t, "GET", "/mcps", first, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/mcps", second, nil).wantStatus(t, http.StatusOK)
	// Keys it makes are its own, signed with its secret.
	k := ts.createKey(t, allMCPs("made here"))
	if !signedBy(ts.hmacSecret, k.Key) {
		t.Error("a created key is not signed with the server's secret")
	}
	// Generated bootstrap keys are well formed and differ.
	gen := newHosted(t)
	if !wellFormedKey(gen.AdminKey()) || !wellFormedKey(gen.SecondOrgAdminKey()) || gen.AdminKey() == gen.SecondOrgAdminKey() {
		t.Errorf("generated bootstrap keys: %s, %s", hide(gen.AdminKey()), hide(gen.SecondOrgAdminKey()))
	}
}

func TestServerGoAPI(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	if ts.API() != APIHosted || !strings.HasPrefix(ts.Origin, "http://127.0.0.1:") || ts.BaseURL != ts.Origin+"/v1" {
		t.Errorf("API %q, Origin %q, BaseURL %q", ts.API(), ts.Origin, ts.BaseURL)
	}
	want := []MCPRecord{
		{ID: "mcp_weather", OrgID: firstOrgID, Name: "Weather API", Tools: []string{"get_weather"}},
		{ID: "mcp_calculator", OrgID: firstOrgID, Name: "Calculator", Tools: []string{"add"}},
		{ID: "mcp_sandbox", OrgID: firstOrgID, Name: "Sandbox", Tools: []string{"echo"}},
		{ID: "mcp_private", OrgID: secondOrgID, Name: "Private Tools", Tools: []string{"ping"}},
	}
	if diff := cmp.Diff(want, ts.MCPs()); diff != "" {
		t.Errorf("MCPs() (-want +got):\n%s", diff)
	}
	if d := time.Since(ts.Now()); d < -time.Second || d > time.Second {
		t.Errorf("Now() is %v off", d)
	}
	ts.SetClockOffset(-2136 * time.Hour)
	if d := time.Since(ts.Now()); d < 2135*time.Hour {
		t.Errorf("Now() = %v with a -2136h offset", ts.Now())
	}
	if def, err := New(Config{API: ""}); err != nil || def.API() != APIHosted {
		t.Errorf("the default API: %v, %v", def, err)
	}
}
