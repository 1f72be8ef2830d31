package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// A key made by the resource and then used shows its usage through the data
// source, exactly as the server counted it, and the data source never has
// the secret. On the hosted API it also shows each recent call, with
// success or error, so error rates can be watched.
func TestAccAPIKeyDataSource_usage(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		caps := acctest.Capabilities(api)
		const (
			dsAddr  = "data.plexmcp_api_key.used"
			resAddr = "plexmcp_api_key.used"
		)
		config := acctest.ProviderConfig(srv) + fmt.Sprintf(`
resource "plexmcp_api_key" "used" {
  name    = "used-by-ci"
  mcp_ids = %s
}

data "plexmcp_api_key" "used" {
  id = plexmcp_api_key.used.id
}
`, mcpIDs(srv, acctest.MCPWeather, acctest.MCPCalculator))
		var id, key string
		// matchesServer compares a data source attribute with the server's
		// own record of the key at the time of the check.
		matchesServer := func(attr tfjsonpath.Path, want func(refserver.KeyRecord) any) statecheck.StateCheck {
			return acctest.StateCheckFunc(func(_ context.Context, state *tfjson.State) error {
				for _, r := range acctest.Resources(state) {
					if r.Address != dsAddr {
						continue
					}
					got, err := tfjsonpath.Traverse(r.AttributeValues, attr)
					if err != nil {
						return err
					}
					rec, ok := acctest.ServerKey(srv, id)
					if !ok {
						return fmt.Errorf("the server has no key %s", id)
					}
					if w := want(rec); fmt.Sprint(got) != fmt.Sprint(w) {
						return fmt.Errorf("%s %s = %v, the server says %v", dsAddr, attr, got, w)
					}
					return nil
				}
				return fmt.Errorf("%s is not in state", dsAddr)
			})
		}
		usage := tfjsonpath.New("usage")
		periodCount := func(n int64) knownvalue.Check {
			if !caps.KeyUsageHistory {
				return knownvalue.Null()
			}
			return knownvalue.Int64Exact(n)
		}
		var callCount knownvalue.Check = knownvalue.Int64Exact(3)
		if !caps.KeyUsageHistory {
			callCount = knownvalue.Int64Exact(6)
		}
		var activity knownvalue.Check = knownvalue.Null()
		if caps.KeyUsageHistory {
			entry := func(mcp, status string) knownvalue.Check {
				return knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"mcp_id": knownvalue.StringExact(acctest.MCPID(srv, mcp)), "status": knownvalue.StringExact(status),
					"timestamp": knownvalue.NotNull(),
				})
			}
			// Newest first; a call the key may not make is an error.
			activity = knownvalue.ListExact([]knownvalue.Check{
				entry(acctest.MCPSandbox, "error"), entry(acctest.MCPWeather, "success"), entry(acctest.MCPWeather, "success"),
			})
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{
					Config: config,
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.CaptureString(resAddr, "id", &id),
						acctest.CaptureString(resAddr, "key", &key),
						statecheck.CompareValuePairs(dsAddr, tfjsonpath.New("id"), resAddr, tfjsonpath.New("id"), compare.ValuesSame()),
						statecheck.CompareValuePairs(dsAddr, tfjsonpath.New("key_prefix"), resAddr, tfjsonpath.New("key_prefix"), compare.ValuesSame()),
						statecheck.CompareValuePairs(dsAddr, tfjsonpath.New("created_at"), resAddr, tfjsonpath.New("created_at"), compare.ValuesSame()),
						statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("name"), knownvalue.StringExact("used-by-ci")),
						statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
						statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("all_mcps"), knownvalue.Bool(false)),
						statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("mcp_ids"), knownvalue.SetExact([]knownvalue.Check{
							knownvalue.StringExact(acctest.MCPID(srv, acctest.MCPWeather)),
							knownvalue.StringExact(acctest.MCPID(srv, acctest.MCPCalculator)),
						})),
						statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("expires_at"), knownvalue.Null()),
						statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("revoked_at"), knownvalue.Null()),
						// Not used yet: the provider's own requests use its own key.
						statecheck.ExpectKnownValue(dsAddr, usage.AtMapKey("total_requests"), knownvalue.Int64Exact(0)),
						statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("last_used"), knownvalue.Null()),
						expectNoSecretIn(dsAddr),
					},
				},
				{
					PreConfig: func() {
						ctx := context.Background()
						for _, call := range []struct {
							mcp  string
							want acctest.Reach
						}{{acctest.MCPWeather, acctest.Reached}, {acctest.MCPWeather, acctest.Reached}, {acctest.MCPSandbox, acctest.Denied}} {
							if err := acctest.ExpectKeyReach(ctx, srv, key, call.mcp, call.want); err != nil {
								t.Fatal(err)
							}
						}
					},
					Config: config,
					ConfigStateChecks: []statecheck.StateCheck{
						// The hosted API counts the three calls; a PlexMCP server also
						// counts the management request that looks each MCP's name up.
						statecheck.ExpectKnownValue(dsAddr, usage.AtMapKey("total_requests"), callCount),
						matchesServer(usage.AtMapKey("total_requests"), func(k refserver.KeyRecord) any { return k.RequestCount }),
						statecheck.ExpectKnownValue(dsAddr, usage.AtMapKey("requests_today"), periodCount(3)),
						statecheck.ExpectKnownValue(dsAddr, usage.AtMapKey("requests_this_week"), periodCount(3)),
						statecheck.ExpectKnownValue(dsAddr, usage.AtMapKey("requests_this_month"), periodCount(3)),
						statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("recent_activity"), activity),
						statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("last_used"), knownvalue.NotNull()),
						matchesServer(tfjsonpath.New("last_used"), func(k refserver.KeyRecord) any {
							if k.LastUsed == nil {
								return nil
							}
							return k.LastUsed.UTC().Format(time.RFC3339)
						}),
						expectNoSecretIn(dsAddr),
					},
				},
			},
		})
	})
}

// An id that does not exist, or belongs to another organisation, is an
// error that points at id.
func TestAccAPIKeyDataSource_notFound(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		otherKey, err := acctest.SecondOrgClient(t, srv).CreateAPIKey(context.Background(), plexmcp.CreateAPIKeyRequest{
			Name: "other-org", Permissions: plexmcp.Permissions{AllMCPs: true},
		})
		if err != nil {
			t.Fatalf("creating the second organisation's key: %v", err)
		}
		unknown := "key_doesnotexist00000000"
		if api == refserver.APIServer {
			unknown = "5f0c2a57-4c3e-4d8a-9b7e-2f1d3c4b5a69"
		}
		for name, id := range map[string]string{"unknown id": unknown, "other organisation's key": otherKey.ID} {
			t.Run(name, func(t *testing.T) {
				resource.ParallelTest(t, resource.TestCase{
					ProtoV6ProviderFactories: acctest.Factories(),
					Steps: []resource.TestStep{{
						Config:      acctest.ProviderConfig(srv) + fmt.Sprintf("data \"plexmcp_api_key\" \"x\" {\n  id = %q\n}\n", id),
						ExpectError: regexp.MustCompile(fmt.Sprintf(`(?s)PlexMCP API Key Not Found.*with data\.plexmcp_api_key\.x.*id = %[1]q.*No\s+API\s+key\s+with\s+id\s+%[1]q`, id)),
					}},
				})
			})
		}
	})
}
