package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestCheckAPIKeyFormat(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		key  string
		want string // substring of the problem; "" = valid
	}{
		"live":              {"pk_live_abcDEF123", ""},
		"test":              {"pk_test_abcDEF123", ""},
		"leading space":     {" pk_live_abc", "leading or trailing whitespace"},
		"trailing newline":  {"pk_live_abc\n", "leading or trailing whitespace"},
		"inner space":       {"pk_live_ab c", "contains whitespace"},
		"bearer prefix":     {"Bearerpk_live_abc", "Bearer"},
		"wrong prefix":      {"sk_live_abc", "does not start with pk_live_ or pk_test_"},
		"upper-case prefix": {"PK_LIVE_abc", "does not start with"},
		"prefix only":       {"pk_live_", "copy the complete key"},
		"empty":             {"", "does not start with"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := checkAPIKeyFormat(tc.key)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("checkAPIKeyFormat() = %q, want %q", got, tc.want)
			}
			if tc.key != "" && strings.Contains(got, tc.key) {
				t.Errorf("the problem %q echoes the key", got)
			}
		})
	}
}

func TestCheckBaseURL(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		url  string
		want string
	}{
		"https":       {"https://api.plexmcp.com/v1", ""},
		"loopback":    {"http://127.0.0.1:8089/v1", ""},
		"no scheme":   {"api.plexmcp.com/v1", "must start with https://"},
		"ftp":         {"ftp://api.plexmcp.com", "must start with https://"},
		"no host":     {"https:///v1", "has no host"},
		"query":       {"https://api.plexmcp.com/v1?x=1", "query"},
		"not a url":   {"://", "is not a URL"},
		"with prefix": {"https://example.com/plexmcp/v1", ""},
		"credentials": {"https://user:pk_live_secret@api.plexmcp.com/v1", "must not carry credentials"},
		"bare ?":      {"https://api.plexmcp.com/v1?", "query"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := checkBaseURL(tc.url)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("checkBaseURL(%q) = %q, want %q", tc.url, got, tc.want)
			}
		})
	}
}

func TestReplacementReason(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) timetypes.RFC3339 { return timetypes.NewRFC3339TimeValue(now.Add(d)) }
	cases := map[string]struct {
		status    string
		expiresAt timetypes.RFC3339
		window    types.Int64
		want      string // substring; "" = keep the key
	}{
		"active, never expires":        {"active", timetypes.NewRFC3339Null(), types.Int64Null(), ""},
		"active, expires later":        {"active", at(30 * 24 * time.Hour), types.Int64Null(), ""},
		"revoked":                      {"revoked", timetypes.NewRFC3339Null(), types.Int64Null(), "revoked outside Terraform"},
		"expired by the server":        {"expired", at(time.Hour), types.Int64Null(), "has expired"},
		"expired by the clock":         {"active", at(-time.Second), types.Int64Null(), "expired at"},
		"expires exactly now":          {"active", at(0), types.Int64Null(), "expired at"},
		"outside the window":           {"active", at(15 * 24 * time.Hour), types.Int64Value(14), ""},
		"window opens exactly now":     {"active", at(14 * 24 * time.Hour), types.Int64Value(14), "renewal window"},
		"inside the window":            {"active", at(10 * 24 * time.Hour), types.Int64Value(14), "14-day renewal window"},
		"window without expiry (null)": {"active", timetypes.NewRFC3339Null(), types.Int64Value(14), ""},
		"window not known yet":         {"active", at(10 * 24 * time.Hour), types.Int64Unknown(), ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			prior := apiKeyPrior{Status: types.StringValue(tc.status), ExpiresAt: tc.expiresAt}
			got := replacementReason(prior, tc.window, now)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("replacementReason() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSameSecond(t *testing.T) {
	t.Parallel()
	mustParse := func(s string) timetypes.RFC3339 { return timetypes.NewRFC3339ValueMust(s) }
	cases := map[string]struct {
		a, b timetypes.RFC3339
		want bool
	}{
		"same spelling":           {mustParse("2027-01-01T00:00:00Z"), mustParse("2027-01-01T00:00:00Z"), true},
		"offset spelling":         {mustParse("2027-01-01T01:00:00+01:00"), mustParse("2027-01-01T00:00:00Z"), true},
		"sub-second in config":    {mustParse("2027-01-01T00:00:00.5Z"), mustParse("2027-01-01T00:00:00Z"), true},
		"different second":        {mustParse("2027-01-01T00:00:01Z"), mustParse("2027-01-01T00:00:00Z"), false},
		"both null":               {timetypes.NewRFC3339Null(), timetypes.NewRFC3339Null(), true},
		"null and value":          {timetypes.NewRFC3339Null(), mustParse("2027-01-01T00:00:00Z"), false},
		"unknown is not the same": {timetypes.NewRFC3339Unknown(), mustParse("2027-01-01T00:00:00Z"), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := sameSecond(tc.a, tc.b); got != tc.want {
				t.Errorf("sameSecond() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckKeyID(t *testing.T) {
	t.Parallel()
	secret := "pk_live_" + strings.Repeat("Z", 38)
	cases := map[string]struct{ id, want string }{
		"an id":            {"key_Ab12Cd34Ef56Gh78Ij90", ""},
		"an opaque id":     {"something-else", ""},
		"a live secret":    {secret, "looks like a secret key"},
		"a test secret":    {"pk_test_abc", "looks like a secret key"},
		"a pending record": {"pending:tf-123", "placeholder of an unfinished create"},
		"empty":            {"", "is empty"},
		"only whitespace":  {"  ", "is empty"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := checkKeyID(tc.id)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("checkKeyID(…) = %q, want %q", got, tc.want)
			}
			if strings.Contains(got, secret[8:]) {
				t.Error("the problem repeats the secret")
			}
		})
	}
}
