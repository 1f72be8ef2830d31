package provider_test

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
)

// The list holds the organisation's three MCPs and never the second
// organisation's; each filter narrows it, and an empty result is an empty
// list.
func TestAccMCPsDataSource_filters(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		ids := func(addr string, names ...string) statecheck.StateCheck {
			checks := make([]knownvalue.Check, 0, len(names))
			for _, n := range names {
				checks = append(checks, knownvalue.StringExact(acctest.MCPID(srv, n)))
			}
			// The APIs list in different orders (oldest or newest first).
			return statecheck.ExpectKnownValue(addr, tfjsonpath.New("ids"), knownvalue.SetExact(checks))
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			Steps: []resource.TestStep{
				// Bad filters fail at plan time, naming the attribute. They
				// come first: the harness destroys with the last configuration.
				{
					Config:      acctest.ProviderConfig(srv) + "data \"plexmcp_mcps\" \"bad\" {\n  name_regex = \"[Weather\"\n}\n",
					ExpectError: regexp.MustCompile(`(?s)name_regex must be a valid RE2 regular expression.*missing closing \]`),
				},
				{
					Config:      acctest.ProviderConfig(srv) + "data \"plexmcp_mcps\" \"bad\" {\n  status = \"running\"\n}\n",
					ExpectError: regexp.MustCompile(`(?s)status.*value must be one of`),
				},
				{
					Config: acctest.ProviderConfig(srv) + `
data "plexmcp_mcps" "all" {}

data "plexmcp_mcps" "calculator_or_sandbox" {
  name_regex = "^(Calc|Sand)"
}

data "plexmcp_mcps" "active_api" {
  name_regex = "(?i)API$"
  status     = "active"
}

data "plexmcp_mcps" "inactive" {
  status = "inactive"
}

# The second organisation's MCP is invisible, even by name.
data "plexmcp_mcps" "private" {
  name_regex = "Private"
}
`,
					ConfigStateChecks: []statecheck.StateCheck{
						ids("data.plexmcp_mcps.all", acctest.MCPWeather, acctest.MCPCalculator, acctest.MCPSandbox),
						statecheck.ExpectKnownValue("data.plexmcp_mcps.all", tfjsonpath.New("mcps"), knownvalue.SetPartial([]knownvalue.Check{
							knownvalue.ObjectPartial(map[string]knownvalue.Check{
								"id":           knownvalue.StringExact(acctest.MCPID(srv, acctest.MCPWeather)),
								"name":         knownvalue.StringExact(acctest.MCPWeather),
								"status":       knownvalue.StringExact("active"),
								"endpoint_url": knownvalue.NotNull(),
								"health":       knownvalue.NotNull(),
							}),
						})),
						ids("data.plexmcp_mcps.calculator_or_sandbox", acctest.MCPCalculator, acctest.MCPSandbox),
						ids("data.plexmcp_mcps.active_api", acctest.MCPWeather),
						ids("data.plexmcp_mcps.inactive"),
						ids("data.plexmcp_mcps.private"),
						statecheck.ExpectKnownValue("data.plexmcp_mcps.private", tfjsonpath.New("mcps"), knownvalue.ListSizeExact(0)),
					},
				},
			},
		})
	})
}
