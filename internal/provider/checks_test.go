package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The api_key validator is the client's one check, worded for the
// attribute, and never repeats the key it refuses.
func TestAPIKeyValidator(t *testing.T) {
	t.Parallel()
	valid := "pmcp_01" + strings.Repeat("0123456789abcdef", 5)
	cases := map[string]struct {
		key  string
		want string // substring of the problem; "" = valid
	}{
		"a pmcp_01 key":    {valid, ""},
		"a legacy key":     {"pk_live_abcDEF123", ""},
		"cut short":        {valid[:60], "87"},
		"trailing newline": {valid + "\n", "whitespace"},
		"scheme pasted in": {"ApiKey " + valid, "ApiKey"},
		"not a key":        {"sk_live_abc", "pmcp_"},
		"upper-case hex":   {valid[:7] + strings.ToUpper(valid[7:]), "lowercase"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var resp validator.StringResponse
			apiKeyFormat().ValidateString(context.Background(), validator.StringRequest{
				Path: path.Root("api_key"), ConfigValue: types.StringValue(tc.key),
			}, &resp)
			detail := ""
			for _, d := range resp.Diagnostics {
				detail += d.Detail()
			}
			if tc.want == "" && resp.Diagnostics.HasError() || tc.want != "" && !strings.Contains(detail, tc.want) {
				t.Errorf("validator says %q, want %q", detail, tc.want)
			}
			if len(tc.key) > 12 && strings.Contains(detail, tc.key[12:]) {
				t.Error("the problem echoes the key")
			}
			// On the attribute, Terraform would print its line of
			// configuration, and with it the key written there.
			for _, d := range resp.Diagnostics {
				if withPath, ok := d.(diag.DiagnosticWithPath); ok {
					t.Errorf("the problem points at %s, whose line Terraform prints with the key", withPath.Path())
				}
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
		"a pmcp secret":    {"pmcp_01" + strings.Repeat("ab", 40), "looks like a secret key"},
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

// A key pasted among mcp_ids is refused with an error that names the set
// and belongs to no attribute, whose path would be the key itself.
func TestMCPIDsHoldNoKey(t *testing.T) {
	t.Parallel()
	key := "pmcp_01" + strings.Repeat("cd", 40)
	strs := func(vs ...attr.Value) types.Set { return types.SetValueMust(types.StringType, vs) }
	cases := map[string]struct {
		ids  types.Set
		want []string // the errors' details; nil = valid
	}{
		"MCP ids":          {strs(types.StringValue("mcp_weather"), types.StringValue("0b7e2f4c-0000-4000-8000-000000000000")), nil},
		"a key among them": {strs(types.StringValue("mcp_weather"), types.StringValue(key)), []string{"An element of mcp_ids looks like a secret API key, not an MCP id. Use the MCP's id, as the plexmcp_mcp and plexmcp_mcps data sources show it; and since the secret has just been written down, consider rotating that key."}},
		"unknown ids":      {strs(types.StringUnknown()), nil},
		"null":             {types.SetNull(types.StringType), nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var resp validator.SetResponse
			mcpIDsHoldNoKey{}.ValidateSet(context.Background(), validator.SetRequest{Path: path.Root("mcp_ids"), ConfigValue: tc.ids}, &resp)
			var got []string
			for _, d := range resp.Diagnostics {
				if wp, ok := d.(diag.DiagnosticWithPath); ok {
					t.Errorf("the error points at %s, a path Terraform would print with its value", wp.Path())
				}
				got = append(got, d.Detail())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
