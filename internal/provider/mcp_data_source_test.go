package provider_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
)

// An MCP looked up by name or by id grants a key, which then reaches that
// MCP only.
func TestAccMCPDataSource_byNameAndID(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{{
				Config: acctest.ProviderConfig(srv) + fmt.Sprintf(`
data "plexmcp_mcp" "weather" {
  name = "Weather API"
}

data "plexmcp_mcp" "sandbox" {
  id = %q
}

resource "plexmcp_api_key" "test" {
  name    = "weather-only"
  mcp_ids = [data.plexmcp_mcp.weather.id]
}
`, acctest.MCPID(srv, acctest.MCPSandbox)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.plexmcp_mcp.weather", tfjsonpath.New("id"), knownvalue.StringExact(acctest.MCPID(srv, acctest.MCPWeather))),
					statecheck.ExpectKnownValue("data.plexmcp_mcp.weather", tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue("data.plexmcp_mcp.weather", tfjsonpath.New("endpoint_url"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue("data.plexmcp_mcp.weather", tfjsonpath.New("tools"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("get_weather")}),
					})),
					statecheck.ExpectKnownValue("data.plexmcp_mcp.sandbox", tfjsonpath.New("name"), knownvalue.StringExact("Sandbox")),
					acctest.ExpectReach(srv, "plexmcp_api_key.test", acctest.MCPWeather, acctest.Reached),
					acctest.ExpectReach(srv, "plexmcp_api_key.test", acctest.MCPCalculator, acctest.Denied),
				},
			}},
		})
	})
}

func TestAccMCPDataSource_errors(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		var private string
		for _, m := range srv.MCPs() {
			if m.Name == "Private Tools" {
				private = m.ID
			}
		}
		cases := map[string]struct{ body, err string }{
			"unknown name lists the names": {`name = "Wether API"`, `(?s)No MCP is named "Wether API".*"Calculator", "Sandbox", "Weather API"`},
			"other organisation's id":      {fmt.Sprintf("id = %q", private), `(?s)No MCP with id "` + regexp.QuoteMeta(private) + `"`},
			"neither id nor name":          {``, `(?s)Exactly one of these attributes must be configured`},
			"both id and name":             {fmt.Sprintf("id = %q\nname = \"Weather API\"", acctest.MCPID(srv, acctest.MCPWeather)), `(?s)Exactly one of these attributes must be configured`},
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
	})
}
