package provider_test

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// The list holds the organisation's three MCPs in the API's order and never
// the second organisation's; each filter narrows it, and an empty result
// is an empty list.
func TestAccMCPsDataSource_filters(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	ids := func(addr string, want ...string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(addr, tfjsonpath.New("ids"), stringList(want...))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		Steps: []resource.TestStep{
			// Bad filters fail at plan time, naming the attribute. They come first:
			// the harness destroys with the last configuration.
			{
				Config:      acctest.ProviderConfig(srv) + "data \"plexmcp_mcps\" \"bad\" {\n  name_regex = \"[Weather\"\n}\n",
				ExpectError: regexp.MustCompile(`(?s)name_regex must be a valid RE2 regular expression.*missing closing \]`),
			},
			{
				Config:      acctest.ProviderConfig(srv) + "data \"plexmcp_mcps\" \"bad\" {\n  mode = \"prod\"\n}\n",
				ExpectError: regexp.MustCompile(`(?s)mode.*value must be one of`),
			},
			{
				Config: acctest.ProviderConfig(srv) + `
data "plexmcp_mcps" "all" {}

data "plexmcp_mcps" "calculator_or_sandbox" {
  name_regex = "^(Calc|Sand)"
}

data "plexmcp_mcps" "test_mode" {
  mode = "test"
}

data "plexmcp_mcps" "live_api" {
  name_regex = "(?i)API$"
  mode       = "live"
}

# The second organisation's MCP is invisible, even by name.
data "plexmcp_mcps" "private" {
  name_regex = "Private"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					ids("data.plexmcp_mcps.all", acctest.MCPWeather, acctest.MCPCalculator, acctest.MCPSandbox),
					statecheck.ExpectKnownValue("data.plexmcp_mcps.all", tfjsonpath.New("mcps"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"id":          knownvalue.StringExact(acctest.MCPWeather),
							"name":        knownvalue.StringExact("Weather API"),
							"description": knownvalue.StringExact("Current weather for a city."),
							"mode":        knownvalue.StringExact("live"),
							"status":      knownvalue.StringExact("active"),
							"tools":       stringList("get_weather"),
						}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("Calculator"), "tools": stringList("add")}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("Sandbox"), "mode": knownvalue.StringExact("test")}),
					})),
					ids("data.plexmcp_mcps.calculator_or_sandbox", acctest.MCPCalculator, acctest.MCPSandbox),
					ids("data.plexmcp_mcps.test_mode", acctest.MCPSandbox),
					ids("data.plexmcp_mcps.live_api", acctest.MCPWeather),
					ids("data.plexmcp_mcps.private"),
					statecheck.ExpectKnownValue("data.plexmcp_mcps.private", tfjsonpath.New("mcps"), knownvalue.ListSizeExact(0)),
				},
			},
		},
	})
}

func stringList(values ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, 0, len(values))
	for _, v := range values {
		checks = append(checks, knownvalue.StringExact(v))
	}
	return knownvalue.ListExact(checks)
}
