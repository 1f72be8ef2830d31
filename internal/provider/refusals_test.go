package provider_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// What one PlexMCP API cannot keep is refused at plan time, before any
// request that could create something: the error names the attribute (its
// line of configuration is quoted), says why and says what to do, and the
// server never saw a create (nor, for the key list, a list it would have
// answered empty).
func TestAccProvider_refusesWhatTheAPICannotKeep(t *testing.T) {
	longName := strings.Repeat("é", 60) // 60 characters, 120 bytes of UTF-8
	resourceBlock := func(body string) string {
		return "resource \"plexmcp_api_key\" \"test\" {\n  all_mcps = true\n  " + body + "\n}\n"
	}
	ephemeralBlock := func(body string) string {
		return "ephemeral \"plexmcp_api_key\" \"test\" {\n  all_mcps = true\n  " + body + "\n}\n"
	}
	cases := map[string]struct {
		api    string
		config string
		want   *regexp.Regexp
		// unasked are requests the server must not have seen, beyond a create.
		unasked  []string
		versions []tfversion.TerraformVersionCheck
	}{
		"description of a key, on a PlexMCP server": {
			api:    refserver.APIServer,
			config: resourceBlock(`name = "ci"` + "\n  description = \"for CI\""),
			want: acctest.Message("Description Not Supported by a PlexMCP Server", `description = "for CI"`,
				"keeps no description for an API key", `Remove description (or set it to "")`),
		},
		"description of an ephemeral key, on a PlexMCP server": {
			api:      refserver.APIServer,
			config:   ephemeralBlock(`name = "ci"` + "\n  description = \"for CI\""),
			versions: ephemeralVersions,
			want: acctest.Message("Description Not Supported by a PlexMCP Server", `description = "for CI"`,
				"keeps no description for an API key", `Remove description (or set it to "")`),
		},
		"name of 120 bytes, on a PlexMCP server": {
			api:    refserver.APIServer,
			config: resourceBlock(fmt.Sprintf("name = %q", longName)),
			want: acctest.Message("Name Too Long for a PlexMCP Server", "name = ", "in bytes of UTF-8, at most 100",
				"60 characters but 120 bytes", "Shorten it"),
		},
		"name of 120 bytes for an ephemeral key, on a PlexMCP server": {
			api:      refserver.APIServer,
			config:   ephemeralBlock(fmt.Sprintf("name = %q", longName)),
			versions: ephemeralVersions,
			want: acctest.Message("Name Too Long for a PlexMCP Server", "name = ", "in bytes of UTF-8, at most 100",
				"60 characters but 120 bytes", "Shorten it"),
		},
		"the key list, on a PlexMCP server": {
			api:    refserver.APIServer,
			config: "data \"plexmcp_api_keys\" \"all\" {}\n",
			want: acctest.Message("Listing API Keys Not Supported by a PlexMCP Server",
				"lists no keys to an API-key caller", "with the plexmcp_api_key data source, by id"),
			unasked: []string{"GET /api/v1/api-keys"},
		},
		"rate limit of a key, on the hosted API": {
			api:    refserver.APIHosted,
			config: resourceBlock(`name = "ci"` + "\n  rate_limit_rpm = 30"),
			want: acctest.Message("Rate Limit Not Supported by PlexMCP's Hosted API", "rate_limit_rpm = 30",
				"has no such setting", "Remove rate_limit_rpm, or point the provider at a PlexMCP server"),
		},
		"rate limit of an ephemeral key, on the hosted API": {
			api:      refserver.APIHosted,
			config:   ephemeralBlock(`name = "ci"` + "\n  rate_limit_rpm = 30"),
			versions: ephemeralVersions,
			want: acctest.Message("Rate Limit Not Supported by PlexMCP's Hosted API", "rate_limit_rpm = 30",
				"has no such setting", "Remove rate_limit_rpm, or point the provider at a PlexMCP server"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := acctest.StartAPI(t, tc.api)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.Factories(),
				TerraformVersionChecks:   tc.versions,
				Steps: []resource.TestStep{{
					Config:      acctest.ProviderConfig(srv) + tc.config,
					ExpectError: tc.want,
				}},
			})
			counts := srv.RequestCounts()
			for route, n := range counts {
				if strings.HasPrefix(route, "POST ") && strings.HasSuffix(route, "/api-keys") && n > 0 {
					t.Errorf("the server saw %d create(s) (%s)", n, route)
				}
			}
			for _, route := range tc.unasked {
				if counts[route] > 0 {
					t.Errorf("the server was asked %s %d time(s); the refusal must be the provider's own", route, counts[route])
				}
			}
			if keys := acctest.ActiveKeys(srv); len(keys) != 0 {
				t.Errorf("a refused configuration left %s on the server", acctest.DescribeKeys(keys))
			}
		})
	}
}
