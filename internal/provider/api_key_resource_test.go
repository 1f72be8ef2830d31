package provider_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

const keyAddr = "plexmcp_api_key.test"

// keyConfig renders one plexmcp_api_key with the given body.
func keyConfig(srv *refserver.Running, body string) string {
	return acctest.ProviderConfig(srv) + fmt.Sprintf(`
resource "plexmcp_api_key" "test" {
%s
}
`, body)
}

var keyPrefixPattern = regexp.MustCompile(`^pk_live_[A-Za-z0-9]{4}$`)

func TestAccAPIKeyResource_basic(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{{
			Config: keyConfig(srv, `
  name        = "ci-weather"
  description = "CI reads the weather"
  mcp_ids     = ["mcp_weather"]
`),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreate)},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectSensitiveValue(keyAddr, tfjsonpath.New("key")),
				statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("key_prefix"), knownvalue.StringRegexp(keyPrefixPattern)),
				statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("mode"), knownvalue.StringExact("live")),
				statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("expires_at"), knownvalue.Null()),
				// Granted MCP answers, the others refuse: proven by the server.
				acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusOK),
				acctest.ExpectInvoke(srv, keyAddr, acctest.MCPCalculator, http.StatusForbidden),
				acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
					if k.Name != "ci-weather" || k.Description != "CI reads the weather" || k.AllMCPs ||
						len(k.MCPIDs) != 1 || k.MCPIDs[0] != acctest.MCPWeather || k.ExpiresAt != nil {
						return fmt.Errorf("server holds %+v", k)
					}
					return nil
				}),
			},
		}},
	})
}

func TestAccAPIKeyResource_testModeAndExpiry(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	expires := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{{
			Config: keyConfig(srv, fmt.Sprintf(`
  name       = "sandbox"
  mode       = "test"
  all_mcps   = true
  expires_at = %q
`, expires.Format(time.RFC3339))),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("key_prefix"), knownvalue.StringRegexp(regexp.MustCompile(`^pk_test_`))),
				// A test key reaches test MCPs only, even with all_mcps.
				acctest.ExpectInvoke(srv, keyAddr, acctest.MCPSandbox, http.StatusOK),
				acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusForbidden),
				acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
					if k.ExpiresAt == nil || !k.ExpiresAt.Equal(expires) || k.Mode != "test" || !k.AllMCPs {
						return fmt.Errorf("server holds mode %s, all_mcps %v, expires_at %v; want test, true, %v", k.Mode, k.AllMCPs, k.ExpiresAt, expires)
					}
					return nil
				}),
			},
		}},
	})
}

// Every updatable attribute changes in place: same id, same secret, and the
// secret keeps working while the server reflects the change.
func TestAccAPIKeyResource_updateInPlace(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	var firstID, firstKey string
	sameKey := func() statecheck.StateCheck {
		return acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
			if k.ID != firstID {
				return fmt.Errorf("key was replaced: id %s, first %s", k.ID, firstID)
			}
			return acctest.ExpectKeyStatus(context.Background(), srv, firstKey, acctest.MCPWeather, http.StatusOK)
		})
	}
	updatePlan := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
	}}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{
				Config: keyConfig(srv, `
  name    = "app"
  mcp_ids = ["mcp_weather"]
`),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.CaptureString(keyAddr, "id", &firstID),
					acctest.CaptureString(keyAddr, "key", &firstKey),
				},
			},
			{
				Config: keyConfig(srv, `
  name        = "app-renamed"
  description = "now documented"
  mcp_ids     = ["mcp_weather", "mcp_calculator"]
`),
				ConfigPlanChecks: updatePlan,
				ConfigStateChecks: []statecheck.StateCheck{
					sameKey(),
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPCalculator, http.StatusOK),
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.Name != "app-renamed" || k.Description != "now documented" || len(k.MCPIDs) != 2 {
							return fmt.Errorf("server holds name %q, description %q, mcps %v", k.Name, k.Description, k.MCPIDs)
						}
						return nil
					}),
				},
			},
			{
				// From a list to every MCP, and the description removed.
				Config: keyConfig(srv, `
  name     = "app-renamed"
  all_mcps = true
`),
				ConfigPlanChecks: updatePlan,
				ConfigStateChecks: []statecheck.StateCheck{
					sameKey(),
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPCalculator, http.StatusOK),
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("mcp_ids"), knownvalue.Null()),
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if !k.AllMCPs || k.Description != "" {
							return fmt.Errorf("server holds all_mcps %v, description %q", k.AllMCPs, k.Description)
						}
						return nil
					}),
				},
			},
			{
				// And back to one MCP: the others now refuse the same key.
				Config: keyConfig(srv, `
  name    = "app-renamed"
  mcp_ids = ["mcp_weather"]
`),
				ConfigPlanChecks: updatePlan,
				ConfigStateChecks: []statecheck.StateCheck{
					sameKey(),
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPCalculator, http.StatusForbidden),
				},
			},
		},
	})
}

// Changing expires_at with create_before_destroy makes the new key before
// revoking the old one; afterwards the old key is refused and the new works.
func TestAccAPIKeyResource_rotationCreateBeforeDestroy(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	var oldID, oldKey string
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
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{
				Config: config(now.Add(30 * 24 * time.Hour)),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.CaptureString(keyAddr, "id", &oldID),
					acctest.CaptureString(keyAddr, "key", &oldKey),
				},
			},
			{
				Config: config(now.Add(60 * 24 * time.Hour)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusOK),
					acctest.ExpectServerKey(srv, keyAddr, func(newKey refserver.KeyRecord) error {
						if newKey.ID == oldID {
							return fmt.Errorf("key %s was not replaced", oldID)
						}
						old, ok := acctest.ServerKey(srv, oldID)
						if !ok || old.RevokedAt == nil {
							return fmt.Errorf("old key %s is not revoked on the server", oldID)
						}
						// The new key existed before the old one was revoked.
						if newKey.CreatedAt.After(*old.RevokedAt) {
							return fmt.Errorf("new key created at %v, after the old one was revoked at %v", newKey.CreatedAt, *old.RevokedAt)
						}
						return acctest.ExpectKeyStatus(context.Background(), srv, oldKey, acctest.MCPWeather, http.StatusUnauthorized)
					}),
				},
			},
		},
	})
}

func TestAccAPIKeyResource_modeChangeReplaces(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	var oldKey string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{
				Config:            keyConfig(srv, "  name = \"m\"\n  all_mcps = true\n  lifecycle {\n    create_before_destroy = true\n  }\n"),
				ConfigStateChecks: []statecheck.StateCheck{acctest.CaptureString(keyAddr, "key", &oldKey)},
			},
			{
				Config: keyConfig(srv, "  name = \"m\"\n  mode = \"test\"\n  all_mcps = true\n  lifecycle {\n    create_before_destroy = true\n  }\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					// A test key reaches the test MCP and not the live one,
					// which is what tells it from a live key with all_mcps.
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPSandbox, http.StatusOK),
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusForbidden),
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.Mode != plexmcp.ModeTest || !strings.HasPrefix(k.KeyPrefix, "pk_test_") {
							return fmt.Errorf("server key mode %q, prefix %q; want a test key", k.Mode, k.KeyPrefix)
						}
						return acctest.ExpectKeyStatus(context.Background(), srv, oldKey, acctest.MCPSandbox, http.StatusUnauthorized)
					}),
				},
			},
		},
	})
}

// A rename and a permission change made in the dashboard are planned back.
func TestAccAPIKeyResource_driftFromDashboard(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	admin := acctest.AdminClient(t, srv)
	var id string
	cfg := keyConfig(srv, `
  name    = "drifting"
  mcp_ids = ["mcp_weather"]
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{acctest.CaptureString(keyAddr, "id", &id)}},
			{
				PreConfig: func() {
					name := "renamed-by-hand"
					_, err := admin.UpdateAPIKey(context.Background(), id, plexmcp.UpdateAPIKeyRequest{
						Name:        &name,
						Permissions: &plexmcp.Permissions{AllMCPs: true},
					})
					if err != nil {
						t.Fatalf("out-of-band update: %v", err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(keyAddr, tfjsonpath.New("name"), knownvalue.StringExact("drifting")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPCalculator, http.StatusForbidden),
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.ID != id || k.Name != "drifting" || k.AllMCPs {
							return fmt.Errorf("drift not undone: %s %q all_mcps=%v", k.ID, k.Name, k.AllMCPs)
						}
						return nil
					}),
				},
			},
		},
	})
}

// A key revoked in the dashboard is never kept as if it worked: the plan
// replaces it, and the replacement works.
func TestAccAPIKeyResource_revokedOutOfBand(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	admin := acctest.AdminClient(t, srv)
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
		CheckDestroy:             checkAllRevoked(srv),
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
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusOK),
				},
			},
		},
	})
}

// A key imported into a configuration that uses expires_in_days and
// rotation_triggers, inputs state cannot know after an import, is adopted
// with an in-place update, not replaced; after that, a trigger change
// replaces it as usual.
func TestAccAPIKeyResource_importAdoptsConfigOnlyInputs(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	admin := acctest.AdminClient(t, srv)
	thirty := int64(30)
	made, err := admin.CreateAPIKey(context.Background(), plexmcp.CreateAPIKeyRequest{
		Name: "made-elsewhere", Permissions: plexmcp.Permissions{AllMCPs: true}, ExpiresInDays: &thirty,
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
		CheckDestroy:             checkAllRevoked(srv),
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
						if k.ExpiresAt == nil || !k.ExpiresAt.Equal(*made.ExpiresAt) {
							return fmt.Errorf("expiry %v, want the imported key's %v", k.ExpiresAt, made.ExpiresAt)
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
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.ID == made.ID {
							return fmt.Errorf("a new trigger value did not replace %s", made.ID)
						}
						if old, ok := acctest.ServerKey(srv, made.ID); !ok || old.Status != plexmcp.StatusRevoked {
							return fmt.Errorf("the replaced key %s is %q, want revoked", made.ID, old.Status)
						}
						return nil
					}),
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusOK),
				},
			},
		},
	})
}

// Lengths count characters, as PlexMCP does, not bytes: a 100-character
// name in a script that needs two bytes per character is accepted.
func TestAccAPIKeyResource_multibyteName(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	name := strings.Repeat("é", 100)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{{
			Config: keyConfig(srv, fmt.Sprintf("name = %q\nall_mcps = true\ndescription = %q", name, strings.Repeat("ü", 500))),
			ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
				if k.Name != name {
					return fmt.Errorf("server holds the name %q, want %q", k.Name, name)
				}
				return nil
			})},
		}},
	})
}

// A base URL without its /v1 path answers 404 to everything. That must
// fail the refresh and the destroy, not read as "every key was deleted":
// otherwise one apply would drop live keys from state.
func TestAccAPIKeyResource_baseURLWithoutVersion(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	body := `
  name     = "kept"
  all_mcps = true
`
	wrong := strings.Replace(keyConfig(srv, body), srv.BaseURL, strings.TrimSuffix(srv.BaseURL, "/v1"), 1)
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{Config: keyConfig(srv, body), ConfigStateChecks: []statecheck.StateCheck{acctest.CaptureString(keyAddr, "id", &id)}},
			{Config: wrong, ExpectError: regexp.MustCompile(`(?s)not the PlexMCP\s+API.*check the\s+base URL`)},
			{Config: wrong, Destroy: true, ExpectError: regexp.MustCompile(`(?s)not the PlexMCP\s+API.*check the\s+base URL`)},
			{
				// Back on the right URL, the same key is still in state and live.
				Config: keyConfig(srv, body),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.ID != id || k.Status != plexmcp.StatusActive {
							return fmt.Errorf("state holds %s (%s), want %s, active", k.ID, k.Status, id)
						}
						return nil
					}),
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusOK),
				},
			},
		},
	})
}

// Import refuses a secret given as the id, without repeating it.
func TestAccAPIKeyResource_importSecretAsID(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	secret := "pk_live_" + strings.Repeat("A", 38)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
import {
  to = plexmcp_api_key.test
  id = %q
}
`, secret) + keyConfig(srv, `
  name     = "x"
  all_mcps = true
`),
			ExpectError: regexp.MustCompile(`(?s)Invalid Import ID.*looks like a secret\s+key`),
		}},
	})
	if n := len(srv.APIKeys()); n != 0 {
		t.Errorf("a refused import created %d key(s)", n)
	}
}

// A key that PlexMCP deleted outright (its id answers 404) leaves state at
// the next refresh, so Terraform plans a plain create instead of failing or
// keeping a key that no longer exists.
func TestAccAPIKeyResource_deletedOutOfBand(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	var oldID, oldKey string
	cfg := keyConfig(srv, `
  name     = "deleted-by-plexmcp"
  all_mcps = true
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkAllRevoked(srv),
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
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.ID == oldID {
							return fmt.Errorf("state still holds the deleted key %s", oldID)
						}
						return nil
					}),
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusOK),
					acctest.StateCheckFunc(func(ctx context.Context, _ *tfjson.State) error {
						return acctest.ExpectKeyStatus(ctx, srv, oldKey, acctest.MCPWeather, http.StatusUnauthorized)
					}),
				},
			},
		},
	})
}

func TestAccAPIKeyResource_import(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	cfg := keyConfig(srv, `
  name        = "imported"
  description = "made elsewhere"
  mcp_ids     = ["mcp_weather", "mcp_calculator"]
  expires_at  = "2099-01-01T00:00:00Z"
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				ResourceName:            keyAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"key"},
			},
			{
				// An import block plans clean against the same configuration.
				ResourceName:    keyAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
			{
				// An id the server does not know reads as gone (404), which
				// Terraform reports instead of importing an empty object.
				ResourceName:  keyAddr,
				ImportState:   true,
				ImportStateId: "key_doesnotexist",
				ExpectError:   regexp.MustCompile(`Cannot import non-existent remote object`),
			},
		},
	})
}

// Bad configuration fails at plan time, names the attribute, and creates
// nothing on the server.
func TestAccAPIKeyResource_validation(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
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
		"long name":               {fmt.Sprintf("name = %q\nall_mcps = true", longString(101)), `(?s)Value Length.*name.*character count`},
		"long name in characters": {fmt.Sprintf("name = %q\nall_mcps = true", strings.Repeat("é", 101)), `(?s)Value Length.*name.*character count`},
		"padded name":             {`name = " x "` + "\n" + `all_mcps = true`, `must not start or end with whitespace`},
		"long description":        {fmt.Sprintf("name = \"x\"\nall_mcps = true\ndescription = %q", longString(501)), `(?s)Value Length.*description.*character count`},
		"bad mode":                {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `mode = "prod"`, `(?s)mode.*value must be one of`},
		"not rfc3339":             {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `expires_at = "next tuesday"`, `(?s)Invalid RFC3339 String Value.*next tuesday`},
		"past expiry":             {`name = "x"` + "\n" + `all_mcps = true` + "\n" + fmt.Sprintf("expires_at = %q", past), `(?s)expires_at.*is not in the future`},
		"both expiries":           {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `expires_in_days = 3` + "\n" + `expires_at = "2099-01-01T00:00:00Z"`, `(?s)expires_in_days.*expires_at|expires_at.*expires_in_days`},
		"days out of range":       {`name = "x"` + "\n" + `all_mcps = true` + "\n" + `expires_in_days = 4000`, `(?s)expires_in_days.*between 1 and 3650`},
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
		if keys := srv.APIKeys(); len(keys) != 0 {
			t.Errorf("invalid configurations created %d key(s) on the server", len(keys))
		}
	})
}

// An unknown MCP id reaches the API, which refuses it; the error points at
// mcp_ids and nothing is created.
func TestAccAPIKeyResource_unknownMCP(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		Steps: []resource.TestStep{{
			Config:      keyConfig(srv, `name = "x"`+"\n"+`mcp_ids = ["mcp_nope"]`),
			ExpectError: regexp.MustCompile(`(?s)mcp_ids.*mcp_nope`),
		}},
	})
	if keys := srv.APIKeys(); len(keys) != 0 {
		t.Errorf("a refused create left %d key(s) on the server", len(keys))
	}
}

// checkAllRevoked is the CheckDestroy of every test: destroy must revoke
// every key it created, as the server sees it.
func checkAllRevoked(srv *refserver.Running) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if active := acctest.ActiveKeys(srv); len(active) != 0 {
			return fmt.Errorf("%d key(s) still active after destroy", len(active))
		}
		return nil
	}
}

func longString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}
