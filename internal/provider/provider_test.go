package provider_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

const oneKey = `
resource "plexmcp_api_key" "test" {
  name     = "any"
  all_mcps = true
}
`

// wellFormedUnknownKey is shaped like a real key but known to no server.
var wellFormedUnknownKey = "pmcp_01" + strings.Repeat("0123456789abcdef", 5)

// A well-formed key the server does not know gets the documented 401
// wording and the fixes a user will search for, as a provider-level error.
func TestAccProvider_unauthorized(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			Steps: []resource.TestStep{{
				Config:      acctest.ProviderConfigWithKey(srv, wellFormedUnknownKey) + oneKey,
				ExpectError: regexp.MustCompile(`(?s)Invalid or missing API key.*complete\s+key.*revoked.*give the key\s+alone`),
			}},
		})
		if n := len(acctest.ActiveKeys(srv)); n != 0 {
			t.Errorf("a rejected provider key still created %d key(s)", n)
		}
	})
}

// The provider's own key is an ordinary key of its organisation: the
// hosted API lists it among the keys.
func TestAccProvider_ownKeyIsListed(t *testing.T) {
	srv := acctest.StartAPI(t, refserver.APIHosted)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		Steps: []resource.TestStep{{
			Config: acctest.ProviderConfig(srv) + `
data "plexmcp_api_keys" "all" {}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.plexmcp_api_keys.all", tfjsonpath.New("api_keys"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"name":       knownvalue.StringExact("bootstrap"),
						"key_prefix": knownvalue.StringExact(srv.AdminKey()[:12]),
						"all_mcps":   knownvalue.Bool(true),
					}),
				})),
			},
		}},
	})
}

// Every request names the provider, its version and the Terraform that runs
// it, so PlexMCP can tell provider traffic apart and support can ask the
// right questions.
func TestAccProvider_userAgent(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		want := regexp.MustCompile(`^terraform-provider-plexmcp/test \(\+https://registry\.terraform\.io/providers/plexmcp/plexmcp\) Terraform/\d+\.\d+\.\d+`)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			Steps: []resource.TestStep{{
				Config: acctest.ProviderConfig(srv) + oneKey,
				ConfigStateChecks: []statecheck.StateCheck{acctest.StateCheckFunc(func(context.Context, *tfjson.State) error {
					agents := srv.UserAgents()
					if len(agents) != 1 {
						return fmt.Errorf("requests came with %d different User-Agents, want 1: %v", len(agents), agents)
					}
					for ua := range agents {
						if !want.MatchString(ua) {
							return fmt.Errorf("User-Agent %q does not match %s", ua, want)
						}
					}
					return nil
				})},
			}},
		})
	})
}

// Without api_key, the key comes from PLEXMCP_API_KEY; a missing or
// malformed one there is an error that names both the attribute and the
// variable. These tests set the environment, so they cannot run in parallel.
func TestAccProvider_keyFromEnvironment(t *testing.T) {
	srv := acctest.StartAPI(t, refserver.APIHosted)
	config := acctest.RequiredProviders + fmt.Sprintf("provider \"plexmcp\" {\n  base_url = %q\n}\n", srv.BaseURL) + oneKey
	for name, tc := range map[string]struct{ env, err string }{
		"missing":          {"", `(?s)Missing PlexMCP API Key.*api_key.*PLEXMCP_API_KEY`},
		"trailing newline": {wellFormedUnknownKey + "\n", `(?s)Invalid PlexMCP API Key.*from\s+PLEXMCP_API_KEY\)\s+has\s+leading\s+or\s+trailing\s+whitespace`},
		"cut short":        {wellFormedUnknownKey[:50], `(?s)Invalid PlexMCP API Key.*from\s+PLEXMCP_API_KEY\)\s+is\s+50\s+characters\s+long.*copied\s+incompletely`},
		"not a key":        {"sk_live_abcdef", `(?s)Invalid PlexMCP API Key.*from\s+PLEXMCP_API_KEY\).*does\s+not\s+look\s+like\s+a\s+PlexMCP\s+key`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("PLEXMCP_API_KEY", tc.env)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.Factories(),
				Steps:                    []resource.TestStep{{Config: config, ExpectError: regexp.MustCompile(tc.err)}},
			})
		})
	}
	if counts := srv.RequestCounts(); len(counts) != 0 {
		t.Errorf("a provider without a usable key still reached the server: %v", counts)
	}
}

// A key that cannot work is refused at plan time, before any request, with
// a message that names api_key, says what is wrong with it and never
// repeats the key; a key of the wrong API's shape is refused where the API
// is known. The refused keys all go to one server, which must see no request
// at all; the one key that is sent (an older key, on the hosted API) goes to
// a server of its own, which must see it.
func TestAccProvider_invalidKeyFormat(t *testing.T) {
	// The checks after the subtests need them to have run.
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("acceptance tests run only with %s=1", resource.EnvTfAcc)
	}
	acctest.EachAPI(t, func(t *testing.T, api string) {
		refusing := acctest.StartAPI(t, api)
		type keyCase struct {
			srv      *refserver.Running
			key, err string
		}
		cases := map[string]keyCase{
			"whitespace":        {refusing, " " + wellFormedUnknownKey, `(?s)api_key.*leading\s+or\s+trailing\s+whitespace`},
			"not a key":         {refusing, "sk_live_abc", `(?s)api_key.*does\s+not\s+look\s+like\s+a\s+PlexMCP\s+key`},
			"scheme":            {refusing, "ApiKey " + wellFormedUnknownKey, `(?s)api_key.*starts\s+with\s+"ApiKey"`},
			"incomplete":        {refusing, wellFormedUnknownKey[:70], `(?s)api_key.*70\s+characters\s+long.*copied\s+incompletely`},
			"only prefix":       {refusing, "pmcp_", `(?s)api_key.*only\s+the\s+prefix`},
			"upper-case prefix": {refusing, strings.ToUpper(wellFormedUnknownKey[:12]) + wellFormedUnknownKey[12:], `(?s)api_key.*does\s+not\s+look\s+like\s+a\s+PlexMCP\s+key`},
			"upper-case hex":    {refusing, wellFormedUnknownKey[:7] + strings.ToUpper(wellFormedUnknownKey[7:]), `(?s)api_key.*uppercase\s+letter`},
		}
		var sending *refserver.Running
		if api == refserver.APIServer {
			// A PlexMCP server never issued pk_ keys: refused offline.
			cases["legacy shape"] = keyCase{refusing, "pk_live_abcdef", `(?s)api_key.*pk_live_/pk_test_\s+key.*pmcp_01`}
		} else {
			// The hosted API may still hold such keys: sent, and refused there.
			sending = acctest.StartAPI(t, api)
			cases["legacy shape"] = keyCase{sending, "pk_live_abcdef", `Invalid or missing API key`}
		}
		// The group returns when its parallel subtests have finished.
		t.Run("keys", func(t *testing.T) {
			for name, tc := range cases {
				t.Run(name, func(t *testing.T) {
					resource.ParallelTest(t, resource.TestCase{
						ProtoV6ProviderFactories: acctest.Factories(),
						Steps: []resource.TestStep{{
							Config:      acctest.ProviderConfigWithKey(tc.srv, tc.key) + oneKey,
							ExpectError: regexp.MustCompile(tc.err),
						}},
					})
				})
			}
		})
		if counts := refusing.RequestCounts(); len(counts) != 0 {
			t.Errorf("a key that cannot work reached the server: %v", counts)
		}
		if sending != nil && len(sending.RequestCounts()) == 0 {
			t.Error("the older pk_live_ key never reached the hosted API, which may still accept it")
		}
	})
}

// The API follows from base_url; anything ambiguous is a configuration
// error at plan time that says which setting to add, and api = "…" says it
// outright, /v1 or /api/v1 appended.
func TestAccProvider_choosingTheAPI(t *testing.T) {
	hosted := acctest.StartAPI(t, refserver.APIHosted)
	server := acctest.StartAPI(t, refserver.APIServer)
	// withProviderBlock is a configuration of one key whose provider block
	// holds lines.
	withProviderBlock := func(lines string) string {
		return acctest.RequiredProviders + "provider \"plexmcp\" {\n" + lines + "\n}\n" + oneKey
	}
	cases := map[string]struct {
		srv    *refserver.Running
		config string
		err    string
	}{
		"no version path": {hosted, fmt.Sprintf("base_url = %q", hosted.Origin),
			`(?s)PlexMCP API Not Clear.*api\s+\(in\s+the\s+provider\s+block,\s+or\s+PLEXMCP_API\)\s+must\s+be\s+set\s+to\s+"hosted"\s+or\s+"server"`},
		"hosted stated":       {hosted, fmt.Sprintf("base_url = %q\napi = \"hosted\"", hosted.Origin), ""},
		"server stated":       {server, fmt.Sprintf("base_url = %q\napi = \"server\"", server.Origin), ""},
		"server path":         {server, fmt.Sprintf("base_url = %q", server.BaseURL), ""},
		"hosted on /api/v1":   {server, fmt.Sprintf("base_url = %q\napi = \"hosted\"", server.BaseURL), `(?s)api.*is\s+"hosted",\s+but\s+base_url\s+ends\s+in\s+/api/v1`},
		"server on /v1":       {hosted, fmt.Sprintf("base_url = %q\napi = \"server\"", hosted.BaseURL), `(?s)api.*is\s+"server",\s+but\s+base_url\s+ends\s+in\s+/v1`},
		"unknown api":         {hosted, fmt.Sprintf("base_url = %q\napi = \"cloud\"", hosted.BaseURL), `(?s)api.*value must be one of`},
		"credentials in URL":  {hosted, `base_url = "https://user:secret@api.plexmcp.com/v1"`, `(?s)base_url.*must\s+not\s+carry\s+a\s+user\s+name`},
		"server without URL":  {hosted, `api = "server"`, `(?s)base_url.*must\s+be\s+set.*when\s+api\s+is\s+"server"`},
		"server from the env": {server, "", ""},
	}
	t.Run("cases", func(t *testing.T) {
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				step := resource.TestStep{Config: withProviderBlock(tc.config)}
				if tc.err != "" {
					step.ExpectError = regexp.MustCompile(tc.err)
				} else {
					step.ConfigStateChecks = []statecheck.StateCheck{
						acctest.ExpectReach(tc.srv, "plexmcp_api_key.test", acctest.MCPWeather, acctest.Reached),
					}
				}
				if name == "server from the env" {
					// PLEXMCP_BASE_URL and PLEXMCP_API: not in parallel.
					t.Setenv("PLEXMCP_BASE_URL", server.Origin)
					t.Setenv("PLEXMCP_API", "server")
					resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: acctest.Factories(), Steps: []resource.TestStep{step}})
					return
				}
				resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: acctest.Factories(), Steps: []resource.TestStep{step}})
			})
		}
	})
	for _, srv := range []*refserver.Running{hosted, server} {
		if err := acctest.ExpectNoActiveKeys(srv); err != nil {
			t.Error(err)
		}
	}
}

// With base_url left at its default and nothing stated, the provider asks
// the origin which API it serves (GET /health, which only a PlexMCP server
// answers) once, and falls back to the documented hosted API when it cannot
// tell. The test stands the reference server in for PlexMCP's public URL.
func TestAccProvider_detectsTheAPI(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		// What the provider would use as its default: the hosted API's URL
		// shape at this origin.
		stand := srv.Origin + "/v1"
		// Each Terraform command configures the provider once; a dozen
		// keys make dozens of API calls in each command that has any.
		factories, configured := countConfigures(acctest.Factories(provider.WithDefaultBaseURL(stand)))
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: factories,
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{{
				Config: acctest.RequiredProviders + "provider \"plexmcp\" {}\n" + oneKey + `
resource "plexmcp_api_key" "more" {
  count    = 12
  name     = "more-${count.index}"
  all_mcps = true
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					// Before this test invokes anything itself: the provider
					// asked GET /health (a 404 outside the hosted API's
					// routes, counted under "/"), at most once per
					// configuration (once per run), and otherwise used only
					// the detected API's own routes.
					acctest.StateCheckFunc(func(context.Context, *tfjson.State) error {
						counts := srv.RequestCounts()
						asked := counts["GET /health"] + counts["GET /"]
						if asked == 0 {
							return fmt.Errorf("the provider never asked GET /health: %v", counts)
						}
						if runs := int(configured.Load()); asked > runs {
							return fmt.Errorf("the provider asked GET /health %d times in %d runs: %v", asked, runs, counts)
						}
						for route := range counts {
							if !strings.Contains(route, srv.BaseURL[len(srv.Origin):]+"/") && route != "GET /health" && route != "GET /" {
								return fmt.Errorf("the provider used %s, outside the %s API", route, api)
							}
						}
						return nil
					}),
					acctest.ExpectReach(srv, "plexmcp_api_key.test", acctest.MCPWeather, acctest.Reached),
				},
			}},
		})
	})
}

// countConfigures wraps provider factories to count the provider's
// configurations: one per Terraform command that needs the provider.
func countConfigures(factories map[string]func() (tfprotov6.ProviderServer, error)) (map[string]func() (tfprotov6.ProviderServer, error), *atomic.Int32) {
	n := new(atomic.Int32)
	out := make(map[string]func() (tfprotov6.ProviderServer, error), len(factories))
	for name, f := range factories {
		out[name] = func() (tfprotov6.ProviderServer, error) {
			s, err := f()
			if err != nil {
				return nil, err
			}
			return configureCounter{ProviderServer: s, n: n}, nil
		}
	}
	return out, n
}

type configureCounter struct {
	tfprotov6.ProviderServer
	n *atomic.Int32
}

func (c configureCounter) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	c.n.Add(1)
	return c.ProviderServer.ConfigureProvider(ctx, req)
}
