package provider_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// Every test in this file runs once per PlexMCP API (acctest.EachAPI),
// from the same steps; where the APIs differ, the step asks what the
// provider was told the API can do.

func TestAccAPIKeyResource_basic(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		var rateLimit knownvalue.Check = knownvalue.Null()
		if acctest.Capabilities(api).KeyRateLimits {
			rateLimit = knownvalue.Int64Exact(60) // the server's default
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{{
				Config: keyConfig(srv, fmt.Sprintf(`
  name    = "ci-weather"
  mcp_ids = %s
`, mcpIDs(srv, acctest.MCPWeather))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectSensitiveValue(keyAddr, tfjsonpath.New("key")),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("key_prefix"), knownvalue.StringRegexp(keyPrefixPattern[api])),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("expires_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("rate_limit_rpm"), rateLimit),
					// The granted MCP answers, the others refuse: proven by the server.
					acctest.ExpectReach(srv, keyAddr, acctest.MCPWeather, acctest.Reached),
					acctest.ExpectReach(srv, keyAddr, acctest.MCPCalculator, acctest.Denied),
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						want := []string{acctest.MCPID(srv, acctest.MCPWeather)}
						if k.Name != "ci-weather" || k.AllMCPs || !slices.Equal(k.MCPIDs, want) || k.ExpiresAt != nil {
							return fmt.Errorf("the server holds %q, all_mcps %v, mcps %v, expires %v", k.Name, k.AllMCPs, k.MCPIDs, k.ExpiresAt)
						}
						return nil
					}),
					// The key in state is the one the server made.
					acctest.StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
						key, err := acctest.StringAttr(state, keyAddr, "key")
						if err != nil {
							return err
						}
						id, _ := acctest.StringAttr(state, keyAddr, "id")
						if rec, ok := acctest.ServerKey(srv, id); !ok || rec.Digest != digest(key) {
							return fmt.Errorf("the key in state is not the one the server holds for %s", id)
						}
						return nil
					}),
				},
			}},
		})
	})
}

func TestAccAPIKeyResource_expiresAt(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		expires := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{{
				// An offset spelling of the same instant: no diff afterwards.
				Config: keyConfig(srv, fmt.Sprintf(`
  name       = "expiring"
  all_mcps   = true
  expires_at = %q
`, expires.In(time.FixedZone("", 2*3600)).Format(time.RFC3339))),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectReach(srv, keyAddr, acctest.MCPSandbox, acctest.Reached),
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.ExpiresAt == nil || !k.ExpiresAt.Equal(expires) || !k.AllMCPs {
							return fmt.Errorf("the server holds all_mcps %v, expires_at %v; want true, %v", k.AllMCPs, k.ExpiresAt, expires)
						}
						return nil
					}),
				},
			}},
		})
	})
}

// Name and description change in place: same id, same secret, and the
// secret keeps working while the server reflects the change.
func TestAccAPIKeyResource_updateInPlace(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		caps := acctest.Capabilities(api)
		var id, key string
		description := func(s string) string {
			if !caps.KeyDescriptions {
				return "" // A PlexMCP server keeps none: see the refusal tests.
			}
			return fmt.Sprintf("description = %q", s)
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{
					Config: keyConfig(srv, fmt.Sprintf("name = \"app\"\nall_mcps = true\n%s", description("first"))),
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.CaptureString(keyAddr, "id", &id),
						acctest.CaptureString(keyAddr, "key", &key),
					},
				},
				{
					Config: keyConfig(srv, fmt.Sprintf("name = \"app-renamed\"\nall_mcps = true\n%s", description("now documented"))),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.ExpectKeyKept(srv, keyAddr, &id, &key, acctest.MCPWeather),
						acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
							wantDescription := ""
							if caps.KeyDescriptions {
								wantDescription = "now documented"
							}
							if k.Name != "app-renamed" || k.Description != wantDescription {
								return fmt.Errorf("the server holds name %q, description %q", k.Name, k.Description)
							}
							return nil
						}),
					},
				},
			},
		})
	})
}

// Changing which MCPs a key reaches replaces the key on the hosted API,
// which fixes permissions at creation (the plan says why), and updates it
// in place on a PlexMCP server. Either way the server ends up granting
// exactly the new MCPs, proven by invoking them.
func TestAccAPIKeyResource_permissionsChange(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		inPlace := acctest.Capabilities(api).PermissionsUpdatable
		var id, key string
		cfg := func(permissions string) string {
			return keyConfig(srv, fmt.Sprintf(`
  name = "app"
  %s
  lifecycle {
    create_before_destroy = true
  }
`, permissions))
		}
		// expectChange checks the step's outcome against the first key.
		expectChange := func() []statecheck.StateCheck {
			if inPlace {
				return []statecheck.StateCheck{acctest.ExpectKeyKept(srv, keyAddr, &id, &key, acctest.MCPWeather)}
			}
			return []statecheck.StateCheck{acctest.StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
				got, err := acctest.StringAttr(state, keyAddr, "id")
				if err != nil {
					return err
				}
				if got == id {
					return fmt.Errorf("the key %s was kept; the hosted API cannot change its permissions", id)
				}
				if err := acctest.ExpectKeyReach(ctx, srv, key, acctest.MCPWeather, acctest.Refused); err != nil {
					return fmt.Errorf("the replaced key still works: %w", err)
				}
				key, _ = acctest.StringAttr(state, keyAddr, "key")
				id = got
				return nil
			})}
		}
		action := plancheck.ResourceActionCreateBeforeDestroy
		if inPlace {
			action = plancheck.ResourceActionUpdate
		}
		step := func(permissions string, reaches, denies string) resource.TestStep {
			checks := append(expectChange(),
				acctest.ExpectReach(srv, keyAddr, reaches, acctest.Reached))
			if denies != "" {
				checks = append(checks, acctest.ExpectReach(srv, keyAddr, denies, acctest.Denied))
			}
			planChecks := []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, action)}
			if !inPlace {
				// The plan says why: the permissions force the replacement.
				planChecks = append(planChecks, expectReplacedBecauseOf(keyAddr, "mcp_ids"))
			}
			return resource.TestStep{
				Config:            cfg(permissions),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: planChecks},
				ConfigStateChecks: checks,
			}
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{
					Config: cfg("mcp_ids = " + mcpIDs(srv, acctest.MCPWeather)),
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.CaptureString(keyAddr, "id", &id),
						acctest.CaptureString(keyAddr, "key", &key),
						acctest.ExpectReach(srv, keyAddr, acctest.MCPCalculator, acctest.Denied),
					},
				},
				step("mcp_ids = "+mcpIDs(srv, acctest.MCPWeather, acctest.MCPCalculator), acctest.MCPCalculator, acctest.MCPSandbox),
				step("all_mcps = true", acctest.MCPSandbox, ""),
				step("mcp_ids = "+mcpIDs(srv, acctest.MCPWeather), acctest.MCPWeather, acctest.MCPCalculator),
			},
		})
	})
}

// Changing expires_at with create_before_destroy makes the new key before
// revoking the old one; afterwards the old key is refused and the new one
// works. The order is proven by the server's access log.
func TestAccAPIKeyResource_rotationCreateBeforeDestroy(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		var accessLog acctest.SyncBuffer
		srv := acctest.Start(t, refserver.Config{API: api, AccessLog: &accessLog})
		var oldID, oldKey string
		var logBefore int
		config := func(expires time.Time) string {
			return keyConfig(srv, fmt.Sprintf(`
  name       = "rotating"
  all_mcps   = true
  expires_at = %q
  lifecycle {
    create_before_destroy = true
  }
`, expires.UTC().Format(time.RFC3339)))
		}
		now := time.Now().Truncate(time.Second)
		create := regexp.MustCompile(`POST \S*/api-keys \d+`)
		revoke := regexp.MustCompile(`DELETE \S*/api-keys/\S+ 2\d\d`)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{
					Config: config(now.Add(30 * day)),
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.CaptureString(keyAddr, "id", &oldID),
						acctest.CaptureString(keyAddr, "key", &oldKey),
						acctest.StateCheckFunc(func(context.Context, *tfjson.State) error {
							logBefore = accessLog.Len()
							return nil
						}),
					},
				},
				{
					Config: config(now.Add(60 * day)),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.ExpectReach(srv, keyAddr, acctest.MCPWeather, acctest.Reached),
						acctest.StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
							if id, _ := acctest.StringAttr(state, keyAddr, "id"); id == oldID {
								return fmt.Errorf("key %s was not replaced", oldID)
							}
							order := requestOrder(accessLog.String()[logBefore:], create, revoke)
							if order[0] < 0 || order[1] < 0 || order[0] > order[1] {
								return fmt.Errorf("the rotation's create and revoke are at lines %v of its access log; want the create first", order)
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

// A rename made in the dashboard is planned back, in place.
func TestAccAPIKeyResource_renamedOutOfBand(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		admin := acctest.AdminClient(t, srv)
		var id, key string
		cfg := keyConfig(srv, "name = \"drifting\"\nmcp_ids = "+mcpIDs(srv, acctest.MCPWeather))
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{
					acctest.CaptureString(keyAddr, "id", &id),
					acctest.CaptureString(keyAddr, "key", &key),
				}},
				{
					PreConfig: func() {
						name := "renamed-by-hand"
						if _, err := admin.UpdateAPIKey(context.Background(), id, plexmcp.UpdateAPIKeyRequest{Name: &name}); err != nil {
							t.Fatalf("out-of-band rename: %v", err)
						}
					},
					Config: cfg,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(keyAddr, tfjsonpath.New("name"), knownvalue.StringExact("drifting")),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.ExpectKeyKept(srv, keyAddr, &id, &key, acctest.MCPWeather),
						acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
							if k.Name != "drifting" {
								return fmt.Errorf("the rename was not undone: %q", k.Name)
							}
							return nil
						}),
					},
				},
			},
		})
	})
}

// A key revoked (or, on a PlexMCP server, deleted) in the dashboard is
// never kept as if it worked: the plan replaces it (hosted: it is still
// there, revoked) or creates it anew (server: it is gone), and the new key
// works.
func TestAccAPIKeyResource_revokedOutOfBand(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		admin := acctest.AdminClient(t, srv)
		action := plancheck.ResourceActionCreate
		if acctest.Capabilities(api).RevokedKeysRemain {
			action = plancheck.ResourceActionCreateBeforeDestroy
		}
		var id string
		cfg := keyConfig(srv, `
  name     = "revoked-by-hand"
  all_mcps = true
  lifecycle {
    create_before_destroy = true
  }
`)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{acctest.CaptureString(keyAddr, "id", &id)}},
				{
					PreConfig: func() {
						if err := admin.RevokeAPIKey(context.Background(), id); err != nil {
							t.Fatalf("out-of-band revoke: %v", err)
						}
					},
					Config: cfg,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, action),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
						acctest.ExpectReach(srv, keyAddr, acctest.MCPWeather, acctest.Reached),
					},
				},
			},
		})
	})
}

// A key that PlexMCP deleted outright (its id answers 404) leaves state at
// the next refresh, so Terraform plans a plain create instead of failing or
// keeping a key that no longer exists.
func TestAccAPIKeyResource_deletedOutOfBand(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		var oldID, oldKey string
		cfg := keyConfig(srv, "name = \"deleted-by-plexmcp\"\nall_mcps = true")
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{
					acctest.CaptureString(keyAddr, "id", &oldID),
					acctest.CaptureString(keyAddr, "key", &oldKey),
				}},
				{
					PreConfig: func() {
						if ok, err := srv.PurgeAPIKey(oldID); !ok || err != nil {
							t.Fatalf("purge %s: %v, %v", oldID, ok, err)
						}
					},
					Config: cfg,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreate),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.ExpectReach(srv, keyAddr, acctest.MCPWeather, acctest.Reached),
						acctest.StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
							if id, _ := acctest.StringAttr(state, keyAddr, "id"); id == oldID {
								return fmt.Errorf("state still holds the deleted key %s", oldID)
							}
							return acctest.ExpectKeyReach(ctx, srv, oldKey, acctest.MCPWeather, acctest.Refused)
						}),
					},
				},
			},
		})
	})
}

// A key imported into a configuration that uses expires_in_days and
// rotation_triggers, inputs state cannot know after an import, is adopted
// with an in-place update, not replaced; after that, a trigger change
// replaces it as usual.
func TestAccAPIKeyResource_importAdoptsConfigOnlyInputs(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		expires := time.Now().Add(30 * day).UTC().Truncate(time.Second)
		made, err := acctest.AdminClient(t, srv).CreateAPIKey(context.Background(), plexmcp.CreateAPIKeyRequest{
			Name: "made-elsewhere", Permissions: plexmcp.Permissions{AllMCPs: true}, ExpiresAt: &expires,
		})
		if err != nil {
			t.Fatalf("creating the key to import: %v", err)
		}
		cfg := func(version string) string {
			return fmt.Sprintf(`
import {
  to = plexmcp_api_key.test
  id = %q
}
`, made.ID) + keyConfig(srv, fmt.Sprintf(`
  name              = "made-elsewhere"
  all_mcps          = true
  expires_in_days   = 30
  rotation_triggers = { version = %q }
  lifecycle {
    create_before_destroy = true
  }
`, version))
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{
					Config: cfg("1"),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
							if k.ID != made.ID || k.Status != plexmcp.StatusActive {
								return fmt.Errorf("state holds %s (%s), want the imported %s, still active", k.ID, k.Status, made.ID)
							}
							if k.ExpiresAt == nil || !k.ExpiresAt.Equal(expires) {
								return fmt.Errorf("expiry %v, want the imported key's %v", k.ExpiresAt, expires)
							}
							return nil
						}),
					},
				},
				{
					Config: cfg("2"),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.ExpectReach(srv, keyAddr, acctest.MCPWeather, acctest.Reached),
						acctest.StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
							if id, _ := acctest.StringAttr(state, keyAddr, "id"); id == made.ID {
								return fmt.Errorf("a new trigger value did not replace %s", made.ID)
							}
							return acctest.ExpectAPIKeyGone(ctx, srv, made.ID)
						}),
					},
				},
			},
		})
	})
}

// Import by id, then by import block, plans clean against the same
// configuration; an unknown id is reported, not imported as empty.
func TestAccAPIKeyResource_import(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		description := ""
		if acctest.Capabilities(api).KeyDescriptions {
			description = `description = "made elsewhere"`
		}
		cfg := keyConfig(srv, fmt.Sprintf(`
  name        = "imported"
  %s
  mcp_ids     = %s
  expires_at  = "2099-01-01T00:00:00Z"
`, description, mcpIDs(srv, acctest.MCPWeather, acctest.MCPCalculator)))
		unknownID := "key_doesnotexist00000000"
		if api == refserver.APIServer {
			unknownID = "5f0c2a57-4c3e-4d8a-9b7e-2f1d3c4b5a69"
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{Config: cfg},
				{
					ResourceName:            keyAddr,
					ImportState:             true,
					ImportStateVerify:       true,
					ImportStateVerifyIgnore: []string{"key"},
				},
				{
					ResourceName:    keyAddr,
					ImportState:     true,
					ImportStateKind: resource.ImportBlockWithID,
				},
				{
					ResourceName:  keyAddr,
					ImportState:   true,
					ImportStateId: unknownID,
					ExpectError:   regexp.MustCompile(`Cannot import non-existent remote object`),
				},
			},
		})
	})
}

// Import refuses a secret given as the id, without repeating it.
func TestAccAPIKeyResource_importSecretAsID(t *testing.T) {
	srv := acctest.StartAPI(t, refserver.APIHosted)
	secret := refserver.NewBootstrapKey()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
import {
  to = plexmcp_api_key.test
  id = %q
}
`, secret) + keyConfig(srv, "name = \"x\"\nall_mcps = true"),
			ExpectError: regexp.MustCompile(`(?s)Invalid Import ID.*looks like a secret\s+key`),
		}},
	})
	if n := len(acctest.ActiveKeys(srv)); n != 0 {
		t.Errorf("a refused import created %d key(s)", n)
	}
}

// Bad configuration fails at plan time, names the attribute, and creates
// nothing on the server.
func TestAccAPIKeyResource_validation(t *testing.T) {
	srv := acctest.StartAPI(t, refserver.APIHosted)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	cases := map[string]struct {
		body string
		err  string
	}{
		"neither permission":      {`name = "x"`, `Choose which MCPs the key may invoke`},
		"both permissions":        {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `mcp_ids = ["mcp_weather"]`, `Set either all_mcps = true or mcp_ids`},
		"all_mcps false":          {`name = "x"` + "\n" + `all_mcps = false`, `all_mcps = false does not choose any MCPs`},
		"empty mcp_ids":           {`name = "x"` + "\n" + `mcp_ids = []`, `(?s)mcp_ids.*at least 1`},
		"empty name":              {`name = ""` + "\n" + `all_mcps = true`, `(?s)Value Length.*name.*character count`},
		"long name":               {fmt.Sprintf("name = %q\nall_mcps = true", strings.Repeat("a", 101)), `(?s)Value Length.*name.*character count`},
		"long name in characters": {fmt.Sprintf("name = %q\nall_mcps = true", strings.Repeat("é", 101)), `(?s)Value Length.*name.*character count`},
		"padded name":             {`name = " x "` + "\n" + `all_mcps = true`, `must not start or end with whitespace`},
		"long description":        {fmt.Sprintf("name = \"x\"\nall_mcps = true\ndescription = %q", strings.Repeat("a", 501)), `(?s)Value Length.*description.*character count`},
		"removed mode":            {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `mode = "live"`, `(?s)Unsupported argument.*mode`},
		"not rfc3339":             {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `expires_at = "next tuesday"`, `(?s)Invalid RFC3339 String Value.*next tuesday`},
		"past expiry":             {`name = "x"` + "\n" + `all_mcps = true` + "\n" + fmt.Sprintf("expires_at = %q", past), `(?s)expires_at.*is not in the future`},
		"both expiries":           {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `expires_in_days = 3` + "\n" + `expires_at = "2099-01-01T00:00:00Z"`, `(?s)expires_in_days.*expires_at|expires_at.*expires_in_days`},
		"days out of range":       {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `expires_in_days = 4000`, `(?s)expires_in_days.*between 1 and 3650`},
		"rate limit out of range": {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `rate_limit_rpm = 0`, `(?s)rate_limit_rpm.*between 1 and 10000`},
		"window without expiry":   {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `rotate_before_days = 3`, `Renewal Window Without Expiry`},
		"window too long":         {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `expires_in_days = 7` + "\n" + `rotate_before_days = 7`, `must be shorter than expires_in_days`},
		"window open at creation": {`name = "x"` + "\n" + `all_mcps = true` + "\n" + fmt.Sprintf("expires_at = %q", time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339)) + "\n" + `rotate_before_days = 3`, `Renewal Window Already Open`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.Factories(),
				Steps: []resource.TestStep{{
					Config:      keyConfig(srv, tc.body),
					ExpectError: regexp.MustCompile(tc.err),
				}},
			})
		})
	}
	t.Cleanup(func() {
		if keys := acctest.ActiveKeys(srv); len(keys) != 0 {
			t.Errorf("invalid configurations created %d key(s) on the server", len(keys))
		}
	})
}

// An MCP id the organisation does not have is refused with an error that
// points at mcp_ids, and nothing is created, on either API: the hosted API
// refuses it itself, and a PlexMCP server, which would grant it silently,
// is checked by the client first.
func TestAccAPIKeyResource_unknownMCP(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		unknown := "mcp_nope"
		if api == refserver.APIServer {
			unknown = "0b6c8a5e-3f0e-4c55-9a43-8d1f7c2b9e10"
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			Steps: []resource.TestStep{{
				Config:      keyConfig(srv, fmt.Sprintf("name = \"x\"\nmcp_ids = [%q]", unknown)),
				ExpectError: regexp.MustCompile(`(?s)mcp_ids.*` + regexp.QuoteMeta(unknown)),
			}},
		})
		if keys := acctest.ActiveKeys(srv); len(keys) != 0 {
			t.Errorf("a refused create left %s on the server", acctest.DescribeKeys(keys))
		}
	})
}

// The provider's own key is an ordinary key: a configuration may import
// it, and destroying it while it is the organisation's only active key
// fails with PlexMCP's refusal and keeps it in state, live. (That rule is
// the hosted API's; a PlexMCP server lets a key delete itself.)
func TestAccAPIKeyResource_onlyActiveKey(t *testing.T) {
	srv := acctest.StartAPI(t, refserver.APIHosted)
	var bootstrapID string
	for _, k := range srv.APIKeys() {
		if k.Bootstrap && k.Digest == digest(srv.AdminKey()) {
			bootstrapID = k.ID
		}
	}
	body := "name = \"bootstrap\"\nall_mcps = true"
	imported := fmt.Sprintf("import {\n  to = plexmcp_api_key.test\n  id = %q\n}\n", bootstrapID) + keyConfig(srv, body)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		Steps: []resource.TestStep{
			{Config: imported},
			{
				Config:      imported,
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)Cannot revoke your only active key.*only active key`),
			},
			{
				// Still in state, still the provider's working key; stop
				// managing it without revoking it.
				Config: acctest.ProviderConfig(srv) + "removed {\n  from = plexmcp_api_key.test\n  lifecycle {\n    destroy = false\n  }\n}\n",
				ConfigStateChecks: []statecheck.StateCheck{acctest.StateCheckFunc(func(ctx context.Context, _ *tfjson.State) error {
					return acctest.ExpectKeyReach(ctx, srv, srv.AdminKey(), acctest.MCPWeather, acctest.Reached)
				})},
			},
		},
	})
}

// An organisation at its plan's limit of keys gets an error that says so
// (a PlexMCP server's 402 QUOTA_EXCEEDED, the hosted API's 403 "API key
// limit reached for your plan"), not a generic refusal, and no key is made.
// The bootstrap key counts toward the limit of one.
func TestAccAPIKeyResource_keyQuota(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.Start(t, refserver.Config{API: api, KeyQuota: 1})
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			Steps: []resource.TestStep{{
				Config: keyConfig(srv, "name = \"over-quota\"\nall_mcps = true"),
				ExpectError: acctest.Message("Error Creating PlexMCP API Key", "reached its plan's limit of API keys",
					"PlexMCP made no new key", "Revoke keys that are no longer used"),
			}},
		})
		if keys := acctest.ActiveKeys(srv); len(keys) != 0 {
			t.Errorf("a create over the quota left %s on the server", acctest.DescribeKeys(keys))
		}
	})
}

// The plan of a permissions change on the hosted API, which replaces the
// key, says why in words, naming the key, beside Terraform's "forces
// replacement"; on a PlexMCP server the change is in place and nothing
// warns. (The harness cannot see warnings: this runs Terraform itself.)
func TestAccAPIKeyResource_replacementIsExplained(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		t.Parallel()
		dir := t.TempDir()
		srv := acctest.StartAPI(t, api)
		cli := acctest.NewCLI(t, dir, version.Must(version.NewVersion("1.0.0")))
		write := func(permissions string) {
			t.Helper()
			text := acctest.ProviderConfig(srv) + fmt.Sprintf(`
resource "plexmcp_api_key" "test" {
  name = "app"
  %s
  lifecycle {
    create_before_destroy = true
  }
}
`, permissions)
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write("mcp_ids = " + mcpIDs(srv, acctest.MCPWeather))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		for _, args := range [][]string{{"init", "-input=false", "-no-color"}, {"apply", "-auto-approve", "-input=false", "-no-color"}} {
			if _, err := cli.Run(ctx, args...); err != nil {
				t.Fatal(err)
			}
		}
		keys := acctest.ActiveKeys(srv)
		if len(keys) != 1 {
			t.Fatalf("active keys after the apply: %s", acctest.DescribeKeys(keys))
		}
		write("all_mcps = true")
		out, err := cli.Run(ctx, "plan", "-input=false", "-no-color")
		if err != nil {
			t.Fatal(err)
		}
		warning := "Warning: PlexMCP API Key Will Be Replaced"
		if acctest.Capabilities(api).PermissionsUpdatable {
			if strings.Contains(out, warning) || !strings.Contains(out, "will be updated in-place") {
				t.Errorf("a PlexMCP server changes permissions in place, without a warning; the plan says:\n%s", out)
			}
			return
		}
		for _, want := range []string{warning, "cannot change which MCPs a key reaches", keys[0].ID, keys[0].KeyPrefix, "# forces replacement", "must be replaced"} {
			if !strings.Contains(out, want) {
				t.Errorf("the plan does not say %q:\n%s", want, out)
			}
		}
	})
}

// A provider switched to a key of another organisation finds every key it
// manages answering 404, exactly as if they had been deleted. The refresh
// must say so, naming the key, instead of dropping it from state in
// silence while it stays live in the organisation that made it.
func TestAccAPIKeyResource_organisationChanged(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		t.Parallel()
		dir := t.TempDir()
		srv := acctest.StartAPI(t, api)
		cli := acctest.NewCLI(t, dir, version.Must(version.NewVersion("1.0.0")), srv.SecondOrgAdminKey())
		write := func(name, text string) {
			t.Helper()
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		key := "\nresource \"plexmcp_api_key\" \"test\" {\n  name     = \"org-a\"\n  all_mcps = true\n}\n"
		write("main.tf", acctest.ProviderConfig(srv)+key)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		for _, args := range [][]string{{"init", "-input=false", "-no-color"}, {"apply", "-auto-approve", "-input=false", "-no-color"}} {
			if _, err := cli.Run(ctx, args...); err != nil {
				t.Fatal(err)
			}
		}
		var made refserver.KeyRecord
		for _, k := range acctest.ActiveKeys(srv) {
			if k.Name == "org-a" {
				made = k
			}
		}
		if made.ID == "" {
			t.Fatalf("the apply made no key named org-a; active keys: %s", acctest.DescribeKeys(acctest.ActiveKeys(srv)))
		}

		// The key of the other organisation is read from a file, so that
		// it is never part of a configuration Terraform may print.
		write("other.key", srv.SecondOrgAdminKey())
		write("main.tf", acctest.RequiredProviders+fmt.Sprintf(`
provider "plexmcp" {
  base_url    = %q
  api_key     = trimspace(file("other.key"))
  max_retries = 10
}
`, srv.BaseURL)+key)
		out, err := cli.Run(ctx, "plan", "-input=false", "-no-color")
		if err != nil {
			t.Fatal(err)
		}
		// Test output hides what follows a key's first 12 characters, a
		// PlexMCP server's longer prefix included.
		for _, want := range []string{"Warning: PlexMCP API Key Not Found", made.ID, made.KeyPrefix[:12], "another organisation", "will be created"} {
			if !strings.Contains(out, want) {
				t.Errorf("the plan does not say %q:\n%s", want, out)
			}
		}
		if k, ok := acctest.ServerKey(srv, made.ID); !ok || k.Status != plexmcp.StatusActive {
			t.Errorf("the first organisation's key %s: %+v, %v; a plan must leave it as it was", made.ID, k, ok)
		}
	})
}
