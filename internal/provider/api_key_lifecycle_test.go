package provider_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// The key's life over time: expiry, the renewal window and rotation
// triggers, on both PlexMCP APIs. Where a test moves time, it moves the
// provider's and the server's clocks together, as real clocks move.

// expectRotated proves that addr no longer holds the key *id held: a new
// key that works, and the old one refused by the server.
func expectRotated(srv *refserver.Running, id, key *string) statecheck.StateCheck {
	return acctest.StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
		got, err := acctest.StringAttr(state, keyAddr, "id")
		if err != nil {
			return err
		}
		if got == *id {
			return fmt.Errorf("key %s was not rotated", *id)
		}
		newKey, err := acctest.StringAttr(state, keyAddr, "key")
		if err != nil {
			return err
		}
		if err := acctest.ExpectKeyReach(ctx, srv, newKey, acctest.MCPWeather, acctest.Reached); err != nil {
			return err
		}
		return acctest.ExpectKeyReach(ctx, srv, *key, acctest.MCPWeather, acctest.Refused)
	})
}

// With expires_in_days = 90 and rotate_before_days = 14, nothing happens on
// day 60, and from day 77 the plan rotates the key, new before old.
func TestAccAPIKeyResource_renewalWindow(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		clock := &testClock{}
		var firstID, firstKey string
		cfg := keyConfig(srv, `
  name               = "renewed"
  all_mcps           = true
  expires_in_days    = 90
  rotate_before_days = 14
  lifecycle {
    create_before_destroy = true
  }
`)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(provider.WithClock(clock.now)),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{
					Config: cfg,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						// The date is decided when the key is made.
						plancheck.ExpectUnknownValue(keyAddr, tfjsonpath.New("expires_at")),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.CaptureString(keyAddr, "id", &firstID),
						acctest.CaptureString(keyAddr, "key", &firstKey),
						acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
							// 90 days from the create, as the provider counted
							// them and sent the date: within the second before
							// the server recorded the key.
							want := k.CreatedAt.Add(90 * day)
							if k.ExpiresAt == nil || k.ExpiresAt.After(want) || want.Sub(*k.ExpiresAt) > 2*time.Second {
								return fmt.Errorf("server expiry %v, want created_at + 90 days = %v", k.ExpiresAt, want)
							}
							return nil
						}),
					},
				},
				{
					// Day 60: outside the window, the plan is empty.
					PreConfig: func() { moveClocks(clock, srv, 60*day) },
					Config:    cfg,
					PlanOnly:  true,
				},
				{
					// Day 77: inside the window.
					PreConfig: func() { moveClocks(clock, srv, 77*day) },
					Config:    cfg,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
						expectReplacedBecauseOf(keyAddr, "status"),
					}},
					ConfigStateChecks: []statecheck.StateCheck{expectRotated(srv, &firstID, &firstKey)},
				},
			},
		})
	})
}

// The window that counts is the configured one: on day 70 of 90, widening
// rotate_before_days from 14 to 30 rotates the key in the same plan, and on
// day 135, narrowing it back calls off a rotation (an in-place update that
// calls no API).
func TestAccAPIKeyResource_renewalWindowEdited(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		clock := &testClock{}
		var id, key string
		cfg := func(window int) string {
			return keyConfig(srv, fmt.Sprintf(`
  name               = "window-edited"
  all_mcps           = true
  expires_in_days    = 90
  rotate_before_days = %d
  lifecycle {
    create_before_destroy = true
  }
`, window))
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(provider.WithClock(clock.now)),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{Config: cfg(14), ConfigStateChecks: []statecheck.StateCheck{
					acctest.CaptureString(keyAddr, "id", &id),
					acctest.CaptureString(keyAddr, "key", &key),
				}},
				{
					PreConfig: func() { moveClocks(clock, srv, 70*day) },
					Config:    cfg(30),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						expectRotated(srv, &id, &key),
						acctest.CaptureString(keyAddr, "id", &id),
						acctest.CaptureString(keyAddr, "key", &key),
					},
				},
				{
					// Day 135 is inside the new key's 30-day window (it
					// expires on day 160); narrowing it to 14 keeps the key.
					PreConfig: func() { moveClocks(clock, srv, 135*day) },
					Config:    cfg(14),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
					}},
					ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectKeyKept(srv, keyAddr, &id, &key, acctest.MCPWeather)},
				},
			},
		})
	})
}

// A key the server reports as expired is planned as a replacement, never
// kept as if it worked; the replacement's lifetime counts from the
// provider's clock, so the plan after it is empty.
func TestAccAPIKeyResource_expired(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		clock := &testClock{}
		var id, key string
		cfg := keyConfig(srv, `
  name            = "short-lived"
  all_mcps        = true
  expires_in_days = 30
  lifecycle {
    create_before_destroy = true
  }
`)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(provider.WithClock(clock.now)),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{
					acctest.CaptureString(keyAddr, "id", &id),
					acctest.CaptureString(keyAddr, "key", &key),
				}},
				{
					// The refresh reads "expired" from the server (derived
					// from expires_at on a PlexMCP server).
					PreConfig: func() { moveClocks(clock, srv, 31*day) },
					Config:    cfg,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
						expectRotated(srv, &id, &key),
					},
				},
			},
		})
	})
}

// The provider's own clock catches expiry too, before any refresh would:
// a key past expires_at by the provider's clock is replaced, and the
// replacement's days count from that clock, so it is not born expired.
func TestAccAPIKeyResource_expiredByProviderClock(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		clock := &testClock{}
		var id string
		cfg := keyConfig(srv, `
  name            = "clock"
  all_mcps        = true
  expires_in_days = 5
`)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(provider.WithClock(clock.now)),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{acctest.CaptureString(keyAddr, "id", &id)}},
				{
					PreConfig: func() { clock.set(6 * day) },
					Config:    cfg,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
					}},
					ConfigStateChecks: []statecheck.StateCheck{
						acctest.ExpectReach(srv, keyAddr, acctest.MCPWeather, acctest.Reached),
						acctest.StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
							if got, _ := acctest.StringAttr(state, keyAddr, "id"); got == id {
								return fmt.Errorf("key %s was not replaced", id)
							}
							return acctest.ExpectAPIKeyGone(ctx, srv, id)
						}),
					},
				},
			},
		})
	})
}

// Any change to rotation_triggers replaces the key; the same triggers plan
// nothing.
func TestAccAPIKeyResource_rotationTriggers(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.StartAPI(t, api)
		var id, key string
		cfg := func(version string) string {
			return keyConfig(srv, fmt.Sprintf(`
  name     = "triggered"
  all_mcps = true
  rotation_triggers = {
    version = %q
  }
  lifecycle {
    create_before_destroy = true
  }
`, version))
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			CheckDestroy:             checkNoActiveKeys(srv),
			Steps: []resource.TestStep{
				{Config: cfg("1"), ConfigStateChecks: []statecheck.StateCheck{
					acctest.CaptureString(keyAddr, "id", &id),
					acctest.CaptureString(keyAddr, "key", &key),
				}},
				{Config: cfg("1"), PlanOnly: true},
				{
					Config: cfg("2"),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
						expectReplacedBecauseOf(keyAddr, "rotation_triggers"),
					}},
					ConfigStateChecks: []statecheck.StateCheck{expectRotated(srv, &id, &key)},
				},
			},
		})
	})
}
