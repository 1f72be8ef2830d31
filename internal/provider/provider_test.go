package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

const oneKey = `
resource "plexmcp_api_key" "test" {
  name     = "x"
  all_mcps = true
}
`

// A well-formed key the server does not know gets the documented 401
// wording and the fixes a user will search for.
func TestAccProvider_unauthorized(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		Steps: []resource.TestStep{{
			Config:      acctest.ProviderConfigWithKey(srv, "pk_live_0000000000000000000000000000000000000000") + oneKey,
			ExpectError: regexp.MustCompile(`(?s)Invalid or missing API key.*complete\s+key.*revoked.*give the key\s+alone`),
		}},
	})
	if n := len(srv.APIKeys()); n != 0 {
		t.Errorf("rejected provider key still created %d key(s)", n)
	}
}

// An access key cannot manage keys: the 403 says which permission is
// missing. The second provider's key comes from a resource, so it is
// unknown at plan time, which must be allowed. (See shortLivedFactories
// for why the second configuration is not an alias.)
func TestAccProvider_accessKeyForbidden(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: shortLivedFactories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
terraform {
  required_providers {
    plexmcp      = { source = "plexmcp/plexmcp" }
    plexmcpshort = { source = "plexmcp/plexmcpshort" }
  }
}

provider "plexmcp" {
  base_url = %[1]q
}

resource "plexmcp_api_key" "access" {
  name     = "access"
  all_mcps = true
}

provider "plexmcpshort" {
  base_url = %[1]q
  api_key  = plexmcp_api_key.access.key
}

resource "plexmcp_api_key" "denied" {
  provider = plexmcpshort
  name     = "denied"
  all_mcps = true
}
`, srv.BaseURL),
			ExpectError: regexp.MustCompile(`(?s)HTTP 403 forbidden.*needs a management key.*access key`),
		}},
	})
	for _, k := range srv.APIKeys() {
		if k.Name == "denied" {
			t.Errorf("an access key created key %s", k.ID)
		}
	}
}

// Every request names the provider, its version and the Terraform that runs
// it, so PlexMCP can tell provider traffic apart and support can ask the
// right questions.
func TestAccProvider_userAgent(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
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
}

// Without api_key, the key comes from PLEXMCP_API_KEY; a missing or
// malformed one there is an error that names both the attribute and the
// variable. These tests set the environment, so they cannot run in parallel.
func TestAccProvider_keyFromEnvironment(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	config := fmt.Sprintf(`
terraform {
  required_providers {
    plexmcp = { source = "plexmcp/plexmcp" }
  }
}
provider "plexmcp" {
  base_url = %q
}
`, srv.BaseURL) + oneKey
	for name, tc := range map[string]struct{ env, err string }{
		"missing":          {"", `(?s)Missing PlexMCP API Key.*api_key.*PLEXMCP_API_KEY`},
		"trailing newline": {"pk_live_abcdef\n", `(?s)Invalid PlexMCP API Key.*PLEXMCP_API_KEY has leading or trailing whitespace`},
		"wrong prefix":     {"sk_live_abcdef", `(?s)Invalid PlexMCP API Key.*PLEXMCP_API_KEY does not start with pk_live_`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("PLEXMCP_API_KEY", tc.env)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.Factories(),
				Steps:                    []resource.TestStep{{Config: config, ExpectError: regexp.MustCompile(tc.err)}},
			})
		})
	}
	if n := len(srv.APIKeys()); n != 0 {
		t.Errorf("a provider without a usable key created %d key(s)", n)
	}
}

func TestAccProvider_invalidKeyFormat(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	cases := map[string]struct{ key, err string }{
		"whitespace":  {" pk_live_abc", `(?s)api_key.*leading or trailing whitespace`},
		"no prefix":   {"sk_live_abc", `(?s)api_key.*does not start with pk_live_ or pk_test_`},
		"bearer":      {"Bearer pk_live_abc", `(?s)api_key.*contains whitespace|(?s)api_key.*Bearer`},
		"only prefix": {"pk_test_", `(?s)api_key.*copy the complete key`},
	}
	// The group returns when its parallel subtests have finished.
	t.Run("keys", func(t *testing.T) {
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				resource.ParallelTest(t, resource.TestCase{
					ProtoV6ProviderFactories: acctest.Factories(),
					Steps: []resource.TestStep{{
						Config:      acctest.ProviderConfigWithKey(srv, tc.key) + oneKey,
						ExpectError: regexp.MustCompile(tc.err),
					}},
				})
			})
		}
	})
	// A malformed key is refused before any request is sent.
	if counts := srv.RequestCounts(); len(counts) != 0 {
		t.Errorf("malformed keys still reached the server: %v", counts)
	}
}
