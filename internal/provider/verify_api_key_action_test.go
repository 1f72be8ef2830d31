package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// Actions need Terraform 1.14; action_trigger's on_failure, 1.16.
var (
	actionVersions    = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}
	onFailureVersions = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(version.Must(version.NewVersion("1.16.0")))}
)

// verifiedRotationConfig is examples/actions/plexmcp_verify_api_key: a key
// whose replacement is verified before the key it replaces is revoked,
// rotated by its trigger. Without the action (verified false) it is the
// same key, unverified.
func verifiedRotationConfig(srv *refserver.Running, generation, timeout string, verified bool) string {
	trigger, action := "", ""
	if verified {
		trigger = `
    action_trigger {
      events     = [after_create]
      actions    = [action.plexmcp_verify_api_key.test]
      on_failure = halt
    }`
		action = fmt.Sprintf(`
action "plexmcp_verify_api_key" "test" {
  config {
    key     = caller.key
    key_id  = caller.id
    timeout = %q
  }
}
`, timeout)
	}
	return acctest.ProviderConfig(srv) + fmt.Sprintf(`
resource "plexmcp_api_key" "test" {
  name              = "verified"
  all_mcps          = true
  rotation_triggers = { generation = %q }

  lifecycle {
    create_before_destroy = true
%s
  }
}
`, generation, trigger) + action
}

// Probes in the access log: a key refused, and a key accepted (the hosted
// API's tool_not_found answer to a reachable MCP, a PlexMCP server's
// tools/list).
var (
	probeRefused  = regexp.MustCompile(`POST /mcp 401 `)
	probeAccepted = regexp.MustCompile(`POST /mcp (200|404) `)
	keyCreated    = regexp.MustCompile(`POST \S*/api-keys 201 `)
)

// A rotation whose new key takes a moment to work completes: the server
// refuses the new key (on every route) until the action has been refused
// once, and the action probes again until the key is accepted; only then is
// the old key revoked. The access log shows the order; afterwards the new
// key works and the old one is refused.
func TestAccVerifyAPIKeyAction_rotationWaitsForPropagation(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		accessLog := &propagatesOnRefusal{window: time.Minute}
		srv := acctest.Start(t, refserver.Config{API: api, KeyPropagation: accessLog.window, AccessLog: accessLog})
		accessLog.srv.Store(srv)
		var oldID, oldKey string
		var logBefore int
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			TerraformVersionChecks:   onFailureVersions,
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{
					Config: verifiedRotationConfig(srv, "1", "30s", true),
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.CaptureString(keyAddr, "id", &oldID),
						acctest.CaptureString(keyAddr, "key", &oldKey),
						acctest.StateCheckFunc(func(context.Context, *tfjson.State) error {
							logBefore = accessLog.log.Len()
							return nil
						}),
					},
				},
				{
					Config: verifiedRotationConfig(srv, "2", "30s", true),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.ExpectReach(srv, keyAddr, acctest.MCPWeather, acctest.Reached),
						acctest.StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
							if id, _ := acctest.StringAttr(state, keyAddr, "id"); id == oldID {
								return fmt.Errorf("key %s was not replaced", oldID)
							}
							revoked := regexp.MustCompile(`DELETE \S*/api-keys/` + regexp.QuoteMeta(oldID) + ` 20[04] `)
							order := requestOrder(accessLog.log.String()[logBefore:], keyCreated, probeRefused, probeAccepted, revoked)
							for i := range order {
								if order[i] < 0 || i > 0 && order[i] < order[i-1] {
									return fmt.Errorf("the rotation's create, refused probe, accepted probe and revoke are at "+
										"lines %v of its access log; want all four, in that order", order)
								}
							}
							if err := acctest.ExpectAPIKeyGone(ctx, srv, oldID); err != nil {
								return err
							}
							return acctest.ExpectKeyReach(ctx, srv, oldKey, acctest.MCPWeather, acctest.Refused)
						}),
					},
				},
			},
		})
	})
}

// propagatesOnRefusal is a reference server's access log that ends the
// server's key propagation window as soon as a key has been refused on
// POST /mcp, by moving the server's clock past it. A new key so answers 401
// to the action's first probe and works from a later one, whatever the load
// on the machine, and no test waits longer than the action's first back-off.
type propagatesOnRefusal struct {
	window time.Duration
	srv    atomic.Pointer[refserver.Running]
	offset atomic.Int64
	log    acctest.SyncBuffer
}

func (p *propagatesOnRefusal) Write(line []byte) (int, error) {
	if srv := p.srv.Load(); srv != nil && probeRefused.Match(line) {
		srv.SetClockOffset(time.Duration(p.offset.Add(int64(2 * p.window))))
	}
	return p.log.Write(line)
}

// A rotation whose new key does not work within the action's timeout (the
// server refuses new keys for a minute; the action waits 1 s) stops with
// the action's error, before the old key is revoked: the old key still
// works and is still in state. Once the new key works (the server's clock
// is moved past the minute), the next apply finishes the rotation.
func TestAccVerifyAPIKeyAction_rotationHaltsUntilPropagated(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.Start(t, refserver.Config{API: api, KeyPropagation: time.Minute})
		var oldID, oldKey string
		oldKeyWorks := func() {
			if err := acctest.ExpectKeyReach(context.Background(), srv, oldKey, acctest.MCPWeather, acctest.Reached); err != nil {
				t.Fatalf("the key being rotated no longer works: %v", err)
			}
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			TerraformVersionChecks:   onFailureVersions,
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{
					// The first key is not verified: it could not work for a
					// minute either.
					Config: verifiedRotationConfig(srv, "1", "1s", false),
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.CaptureString(keyAddr, "id", &oldID),
						acctest.CaptureString(keyAddr, "key", &oldKey),
					},
				},
				{
					PreConfig: func() {
						srv.SetClockOffset(2 * time.Minute) // The first key has propagated.
						oldKeyWorks()
					},
					Config: verifiedRotationConfig(srv, "2", "1s", true),
					ExpectError: acctest.Message("PlexMCP API Key Does Not Work", "After 1s and",
						"PlexMCP does not accept the key yet (401)", "the key it replaces was not revoked and still works"),
				},
				{
					PreConfig: func() {
						oldKeyWorks()
						srv.SetClockOffset(4 * time.Minute) // The new key has propagated.
					},
					Config: verifiedRotationConfig(srv, "2", "1s", true),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionNoop),
						expectDeposedDeleted(keyAddr, &oldID),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.ExpectReach(srv, keyAddr, acctest.MCPWeather, acctest.Reached),
						acctest.StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
							if id, _ := acctest.StringAttr(state, keyAddr, "id"); id == oldID {
								return fmt.Errorf("key %s was not replaced", oldID)
							}
							if err := acctest.ExpectAPIKeyGone(ctx, srv, oldID); err != nil {
								return err
							}
							return acctest.ExpectKeyReach(ctx, srv, oldKey, acctest.MCPWeather, acctest.Refused)
						}),
					},
				},
			},
		})
	})
}

// A key that can never work (revoked; on a PlexMCP server, deleted) is
// refused at once with an error that says so, without probing it until the
// timeout.
func TestAccVerifyAPIKeyAction_revokedKey(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		admin := acctest.AdminClient(t, srv)
		made, err := admin.CreateAPIKey(t.Context(), plexmcp.CreateAPIKeyRequest{
			Name: "revoked", Permissions: plexmcp.Permissions{AllMCPs: true},
		})
		if err != nil {
			t.Fatalf("creating the key: %v", err)
		}
		if err := admin.RevokeAPIKey(t.Context(), made.ID); err != nil {
			t.Fatalf("revoking the key: %v", err)
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			TerraformVersionChecks:   actionVersions,
			Steps: []resource.TestStep{{
				// The key reaches Terraform as a variable, never as
				// configuration text, which the harness logs.
				ConfigVariables: config.Variables{
					"key":    config.StringVariable(made.Key.Reveal()),
					"key_id": config.StringVariable(made.ID),
				},
				Config:      acctest.ProviderConfig(srv) + verifyKeyVariablesConfig,
				ExpectError: acctest.Message("PlexMCP API Key Can Never Work", made.ID, "can never work"),
			}},
		})
		if n := srv.RequestCounts()["POST /mcp"]; n != 0 {
			t.Errorf("the action probed the revoked key %d time(s); it can tell from PlexMCP's record that it never works", n)
		}
	})
}

// verifyKeyVariablesConfig verifies the key of the variables key and key_id
// once, when terraform_data is created: for keys made outside the
// configuration, which reach it as variables, never as configuration
// text, which the harness logs.
const verifyKeyVariablesConfig = `
variable "key" {
  type      = string
  sensitive = true
}

variable "key_id" {
  type = string
}

resource "terraform_data" "verify" {
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.plexmcp_verify_api_key.this]
    }
  }
}

action "plexmcp_verify_api_key" "this" {
  config {
    key     = var.key
    key_id  = var.key_id
    timeout = "10s"
  }
}
`

// A key granted an MCP the organisation does not have can never meet its
// grant; the action says so at once instead of waiting out its timeout. Only
// a PlexMCP server holds such a grant (it stores unknown ids without a
// word), so the test makes it through the server's API directly, as a
// dashboard or another tool could: the provider's client refuses it.
func TestAccVerifyAPIKeyAction_staleGrant(t *testing.T) {
	srv := acctest.StartAPI(t, refserver.APIServer)
	const gone = "9e1f0c7a-5b2d-4e83-a6f4-0d9c8b7a6e51"
	body := fmt.Sprintf(`{"name":"stale","mcp_access_mode":"selected","allowed_mcp_ids":[%q,%q]}`,
		acctest.MCPID(srv, acctest.MCPWeather), gone)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.BaseURL+"/api-keys", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "ApiKey "+srv.AdminKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var made struct{ ID, Key string }
	if err := json.NewDecoder(resp.Body).Decode(&made); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating the key: HTTP %d, %v", resp.StatusCode, err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		TerraformVersionChecks:   actionVersions,
		Steps: []resource.TestStep{{
			ConfigVariables: config.Variables{
				"key":    config.StringVariable(made.Key),
				"key_id": config.StringVariable(made.ID),
			},
			Config:      acctest.ProviderConfig(srv) + verifyKeyVariablesConfig,
			ExpectError: acctest.Message("PlexMCP API Key Cannot Reach Its MCPs", gone, "no longer has"),
		}},
	})
	if n := srv.RequestCounts()["POST /mcp"]; n != 0 {
		t.Errorf("the action probed a key it can tell will never meet its grant, %d time(s)", n)
	}
}

// The action checks every MCP of the key's grant (that of key_id, read with
// the provider's key) with the key itself. On these APIs a key always
// reaches what it was granted (a grant names only MCPs of the organisation,
// which are never unreachable here), so the grant that does not fit the key
// is another key's: key_id names a key granted two MCPs, key one granted
// only the first. The action names the MCP the key does not reach, and the
// server agrees.
func TestAccVerifyAPIKeyAction_checksEveryGrantedMCP(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		cfg := func(verified bool) string {
			trigger, action := "", ""
			if verified {
				trigger = `
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.plexmcp_verify_api_key.test]
    }
  }`
				action = `
action "plexmcp_verify_api_key" "test" {
  config {
    key     = caller.key
    key_id  = plexmcp_api_key.two.id
    timeout = "1s"
  }
}
`
			}
			return acctest.ProviderConfig(srv) + fmt.Sprintf(`
resource "plexmcp_api_key" "two" {
  name    = "weather-and-calculator"
  mcp_ids = %s
}

resource "plexmcp_api_key" "test" {
  name    = "weather-only"
  mcp_ids = %s
%s
}
`, mcpIDs(srv, acctest.MCPWeather, acctest.MCPCalculator), mcpIDs(srv, acctest.MCPWeather), trigger) + action
		}
		calculator := fmt.Sprintf(`does not reach %q (%s) yet`, acctest.MCPCalculator, acctest.MCPID(srv, acctest.MCPCalculator))
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			TerraformVersionChecks:   actionVersions,
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{
					Config:      cfg(true),
					ExpectError: acctest.Message("PlexMCP API Key Does Not Work", "After 1s and", calculator),
				},
				{
					Config: cfg(false),
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.ExpectReach(srv, keyAddr, acctest.MCPWeather, acctest.Reached),
						acctest.ExpectReach(srv, keyAddr, acctest.MCPCalculator, acctest.Denied),
						acctest.ExpectReach(srv, "plexmcp_api_key.two", acctest.MCPCalculator, acctest.Reached),
					},
				},
			},
		})
	})
}

// expectDeposedDeleted checks that the plan destroys a deposed object of
// addr, the one whose id *id holds: a create_before_destroy replacement
// that an earlier apply left unfinished.
func expectDeposedDeleted(addr string, id *string) plancheck.PlanCheck {
	return deposedDeleted{addr: addr, id: id}
}

type deposedDeleted struct {
	addr string
	id   *string
}

func (c deposedDeleted) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr || rc.DeposedKey == "" || rc.Change == nil {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		if before["id"] == *c.id && rc.Change.Actions.Delete() {
			return
		}
	}
	resp.Error = fmt.Errorf("the plan does not destroy a deposed %s with id %s", c.addr, *c.id)
}
