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

func TestAccMCPDataSource_byNameAndID(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		Steps: []resource.TestStep{{
			Config: acctest.ProviderConfig(srv) + `
data "plexmcp_mcp" "weather" {
  name = "Weather API"
}

data "plexmcp_mcp" "sandbox" {
  id = "mcp_sandbox"
}

# The looked-up id grants a key, which then reaches that MCP only.
resource "plexmcp_api_key" "test" {
  name    = "weather-only"
  mcp_ids = [data.plexmcp_mcp.weather.id]
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.plexmcp_mcp.weather", tfjsonpath.New("id"), knownvalue.StringExact(acctest.MCPWeather)),
				statecheck.ExpectKnownValue("data.plexmcp_mcp.weather", tfjsonpath.New("mode"), knownvalue.StringExact("live")),
				statecheck.ExpectKnownValue("data.plexmcp_mcp.weather", tfjsonpath.New("tools"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("get_weather")})),
				statecheck.ExpectKnownValue("data.plexmcp_mcp.sandbox", tfjsonpath.New("name"), knownvalue.StringExact("Sandbox")),
				statecheck.ExpectKnownValue("data.plexmcp_mcp.sandbox", tfjsonpath.New("mode"), knownvalue.StringExact("test")),
				acctest.ExpectInvoke(srv, "plexmcp_api_key.test", acctest.MCPWeather, 200),
				acctest.ExpectInvoke(srv, "plexmcp_api_key.test", acctest.MCPCalculator, 403),
			},
		}},
	})
}

func TestAccMCPDataSource_errors(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	cases := map[string]struct{ body, err string }{
		"unknown name lists the names": {`name = "Wether API"`, `(?s)No MCP is named "Wether API".*"Calculator", "Sandbox", "Weather API"`},
		"other organisation's id":      {`id = "mcp_private_tools"`, `(?s)No MCP with id "mcp_private_tools"`},
		"neither id nor name":          {``, `(?s)Exactly one of these attributes must be configured`},
		"both id and name":             {`id = "mcp_weather"` + "\n" + `name = "Weather API"`, `(?s)Exactly one of these attributes must be configured`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.Factories(),
				Steps: []resource.TestStep{{
					Config:      acctest.ProviderConfig(srv) + "data \"plexmcp_mcp\" \"x\" {\n" + tc.body + "\n}\n",
					ExpectError: regexp.MustCompile(tc.err),
				}},
			})
		})
	}
}
