package plexmcp

import (
	"errors"
	"strings"
	"testing"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

func TestCheckAPIKey(t *testing.T) {
	t.Parallel()
	type verdict struct {
		hosted, server, unknown string // a word the problem must contain; "" = accepted
	}
	accepted := verdict{}
	everywhere := func(word string) verdict { return verdict{word, word, word} }
	tests := map[string]struct {
		key  string
		want verdict
	}{
		"a pmcp_01 key":              {key: unitKey, want: accepted},
		"another version":            {key: "pmcp_02" + "Z!", want: accepted},
		"a pk_live_ key":             {key: "pk_live_AbC123", want: verdict{server: "pmcp_01"}},
		"a pk_test_ key":             {key: "pk_test_AbC123", want: verdict{server: "pmcp_01"}},
		"empty":                      {key: "", want: everywhere("empty")},
		"only whitespace":            {key: " \t", want: everywhere("whitespace")},
		"trailing newline":           {key: unitKey + "\n", want: everywhere("trailing whitespace")},
		"leading space":              {key: " " + unitKey, want: everywhere("leading")},
		"inner space":                {key: unitKey[:40] + " " + unitKey[40:], want: everywhere("whitespace (at byte 41)")},
		"control character":          {key: unitKey[:40] + "\x00" + unitKey[41:], want: everywhere("control character")},
		"invalid UTF-8":              {key: unitKey[:40] + "\xff" + unitKey[41:], want: everywhere("UTF-8")},
		"ApiKey scheme":              {key: "ApiKey " + unitKey, want: everywhere(`"ApiKey"`)},
		"Bearer scheme":              {key: "Bearer " + unitKey, want: everywhere(`"Bearer"`)},
		"bearer, lower case":         {key: "bearer " + unitKey, want: everywhere(`"Bearer"`)},
		"whole header":               {key: "Authorization: ApiKey " + unitKey, want: everywhere(`"Authorization:"`)},
		"proxy header":               {key: "X-API-Key: " + unitKey, want: everywhere(`"X-API-Key:"`)},
		"quoted":                     {key: `"` + unitKey + `"`, want: everywhere("quotes")},
		"truncated by one":           {key: unitKey[:86], want: everywhere("86 characters long")},
		"truncated to the prefix":    {key: unitKey[:12], want: everywhere("copied incompletely")},
		"one character too many":     {key: unitKey + "0", want: everywhere("88 characters long")},
		"uppercase hex":              {key: unitKey[:19] + "A" + unitKey[20:], want: everywhere("uppercase letter at character 20")},
		"not hex":                    {key: unitKey[:30] + "g" + unitKey[31:], want: everywhere("not hexadecimal at character 31")},
		"the pmcp_ prefix alone":     {key: "pmcp_", want: everywhere("only the prefix")},
		"the pk_live_ prefix alone":  {key: "pk_live_", want: verdict{"only the prefix", "pmcp_01", "only the prefix"}},
		"a secret of another vendor": {key: "sk_live_abc123", want: verdict{"pmcp_", "pmcp_01", "pmcp_"}},
		"a JWT":                      {key: "eyJhbGciOiJIUzI1NiJ9.e30.sig", want: verdict{"pmcp_", "pmcp_01", "pmcp_"}},
	}
	for name, tc := range tests {
		for _, api := range []API{APIHosted, APIServer, ""} {
			want := map[API]string{APIHosted: tc.want.hosted, APIServer: tc.want.server, "": tc.want.unknown}[api]
			t.Run(name+"/"+string(api), func(t *testing.T) {
				t.Parallel()
				err := CheckAPIKey(tc.key, api)
				if want == "" {
					if err != nil {
						t.Fatalf("CheckAPIKey = %s, want nil", testsecrets.Hide(err.Error(), tc.key))
					}
					return
				}
				var ce *ConfigError
				if !errors.As(err, &ce) || ce.Setting != "api_key" {
					t.Fatalf("err = %v, want a *ConfigError for api_key", err)
				}
				if !strings.Contains(ce.Problem, want) {
					t.Errorf("problem %q does not say %q", ce.Problem, want)
				}
				if len(tc.key) > 12 && strings.Contains(err.Error(), strings.TrimSpace(tc.key)[12:]) {
					t.Errorf("the error quotes the key: %s", testsecrets.Hide(err.Error(), tc.key))
				}
			})
		}
	}
}

func TestLooksLikeKey(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		unitKey:                                true,
		"pmcp_x":                               true,
		"pk_live_abc":                          true,
		"pk_test_abc":                          true,
		"  " + unitKey + "\n":                  true,
		"ApiKey " + unitKey:                    true,
		`"` + unitKey + `"`:                    true,
		"key_3kTMd9nQ2xWfA7bZp1Lc":             false,
		"49960296-d3e9-4a3b-adae-608f0bce04d6": false,
		"mcp_weather":                          false,
		"pmcp_":                                false,
		"pk_live_":                             false,
		"":                                     false,
	}
	for in, want := range tests {
		t.Run(testsecrets.Hide(in), func(t *testing.T) {
			t.Parallel()
			if got := LooksLikeKey(in); got != want {
				t.Errorf("LooksLikeKey = %v, want %v", got, want)
			}
		})
	}
}
