package provider_test

import (
	"context"
	"fmt"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// Resource identities need Terraform 1.12.
var identityVersions = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)}

// A key made through the API, as in the dashboard, is imported by its
// identity and plans clean, from the configuration and again in a fresh
// working directory. Its identity is its id, and stays so through an
// in-place rename and a refresh; a replacement gets the new key's id. The
// server's records show the same key throughout, renamed, then revoked.
func TestAccAPIKeyResource_identity(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		made, err := acctest.AdminClient(t, srv).CreateAPIKey(t.Context(), plexmcp.CreateAPIKeyRequest{
			Name:        "made-by-hand",
			Permissions: plexmcp.Permissions{MCPIDs: []string{acctest.MCPID(srv, acctest.MCPWeather)}},
		})
		if err != nil {
			t.Fatalf("creating the key to import: %v", err)
		}
		importBlock := fmt.Sprintf(`
import {
  to = plexmcp_api_key.test
  identity = {
    id = %q
  }
}
`, made.ID)
		cfg := func(name, triggers string) string {
			return keyConfig(srv, fmt.Sprintf(`
  name    = %q
  mcp_ids = %s
  %s
  lifecycle {
    create_before_destroy = true
  }
`, name, mcpIDs(srv, acctest.MCPWeather), triggers))
		}
		identityIs := func(id string) statecheck.StateCheck {
			return statecheck.ExpectIdentity(keyAddr, map[string]knownvalue.Check{"id": knownvalue.StringExact(id)})
		}
		// serverHolds checks the server's record of the imported key.
		serverHolds := func(name string) statecheck.StateCheck {
			return acctest.StateCheckFunc(func(context.Context, *tfjson.State) error {
				k, ok := acctest.ServerKey(srv, made.ID)
				if !ok || k.Name != name || k.Status != plexmcp.StatusActive {
					return fmt.Errorf("the server holds %s as %+v; want it active and named %q", made.ID, k, name)
				}
				return nil
			})
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			TerraformVersionChecks:   identityVersions,
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{
					Config: importBlock + cfg("made-by-hand", ""),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionNoop),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						identityIs(made.ID),
						statecheck.ExpectIdentityValueMatchesState(keyAddr, tfjsonpath.New("id")),
						statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("key"), knownvalue.Null()),
						serverHolds("made-by-hand"),
					},
				},
				{
					// The harness writes the identity it found in state into
					// an import block of its own, in a fresh directory.
					Config:          cfg("made-by-hand", ""),
					ResourceName:    keyAddr,
					ImportState:     true,
					ImportStateKind: resource.ImportBlockWithResourceIdentity,
				},
				{
					// Triggers set on a key just imported are adopted, so
					// this is only the rename.
					Config: cfg("renamed", `rotation_triggers = { generation = "1" }`),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
					}},
					ConfigStateChecks: []statecheck.StateCheck{identityIs(made.ID), serverHolds("renamed")},
				},
				{
					RefreshState:      true,
					RefreshPlanChecks: resource.RefreshPlanChecks{PostRefresh: []plancheck.PlanCheck{expectPriorIdentity(keyAddr, made.ID)}},
				},
				{
					Config: cfg("renamed", `rotation_triggers = { generation = "2" }`),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectIdentityValueMatchesState(keyAddr, tfjsonpath.New("id")),
						acctest.ExpectReach(srv, keyAddr, acctest.MCPWeather, acctest.Reached),
						acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
							if k.ID == made.ID || k.Name != "renamed" {
								return fmt.Errorf("state holds %s (%q); want a new key named renamed", k.ID, k.Name)
							}
							return acctest.ExpectAPIKeyGone(context.Background(), srv, made.ID)
						}),
					},
				},
			},
		})
	})
}

// expectPriorIdentity checks the identity that the state a plan starts from
// (after its refresh) holds for addr.
func expectPriorIdentity(addr, id string) plancheck.PlanCheck {
	return priorIdentity{addr: addr, id: id}
}

type priorIdentity struct{ addr, id string }

func (c priorIdentity) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	if req.Plan.PriorState == nil || req.Plan.PriorState.Values == nil {
		resp.Error = fmt.Errorf("the plan has no prior state")
		return
	}
	for _, r := range acctest.Resources(req.Plan.PriorState) {
		if r.Address == c.addr {
			if got := r.IdentityValues["id"]; got != c.id {
				resp.Error = fmt.Errorf("%s has identity %v after refresh; want id %s", c.addr, r.IdentityValues, c.id)
			}
			return
		}
	}
	resp.Error = fmt.Errorf("%s is not in the refreshed state", c.addr)
}
