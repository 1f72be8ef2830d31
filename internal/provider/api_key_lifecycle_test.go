package provider_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// testClock is a provider clock a test can move forward between steps.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time      { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) set(d time.Duration) { c.offset.Store(int64(d)) }

const day = 24 * time.Hour

// With expires_in_days = 90 and rotate_before_days = 14, nothing happens on
// day 60, and from day 77 the plan rotates the key, new before old.
func TestAccAPIKeyResource_renewalWindow(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	clock := &testClock{}
	var firstID, firstKey string
	cfg := keyConfig(srv, `
  name               = "renewed"
  all_mcps           = true
  expires_in_days    = 90
  rotate_before_days = 14
  timeouts {
    create = "2m"
  }
  lifecycle {
    create_before_destroy = true
  }
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(provider.WithClock(clock.now)),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.CaptureString(keyAddr, "id", &firstID),
					acctest.CaptureString(keyAddr, "key", &firstKey),
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						// PlexMCP counts the days from creation.
						want := k.CreatedAt.Add(90 * day)
						if k.ExpiresAt == nil || !k.ExpiresAt.Equal(want) {
							return fmt.Errorf("server expiry %v, want created_at + 90 days = %v", k.ExpiresAt, want)
						}
						return nil
					}),
				},
			},
			{
				// Day 60: outside the window, the plan is empty.
				PreConfig: func() { clock.set(60 * day) },
				Config:    cfg,
				PlanOnly:  true,
			},
			{
				// Day 77: inside the window. The server's clock moves too, so
				// the new key's 90 days count from "day 77".
				PreConfig: func() {
					clock.set(77 * day)
					srv.SetClockOffset(77 * day)
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusOK),
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.ID == firstID {
							return fmt.Errorf("key %s was not rotated", firstID)
						}
						return acctest.ExpectKeyStatus(context.Background(), srv, firstKey, acctest.MCPWeather, http.StatusUnauthorized)
					}),
				},
			},
		},
	})
}

// The window that counts is the configured one: on day 70 of 90, narrowing
// rotate_before_days from 30 to 14 calls off a rotation in the same plan
// (an in-place update that calls no API), and widening it back rotates the
// key at once.
func TestAccAPIKeyResource_renewalWindowEdited(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	clock := &testClock{}
	var firstID string
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
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{Config: cfg(14), ConfigStateChecks: []statecheck.StateCheck{acctest.CaptureString(keyAddr, "id", &firstID)}},
			{
				// Day 70 with a 30-day window: this plan rotates. The
				// server's clock moves too, so the new key expires on day 160.
				PreConfig: func() { clock.set(70 * day); srv.SetClockOffset(70 * day) },
				Config:    cfg(30),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.ID == firstID {
							return fmt.Errorf("key %s was not rotated when the window was widened", firstID)
						}
						firstID = k.ID
						return nil
					}),
				},
			},
			{
				// Day 135 is inside the new key's 30-day window; narrowing it
				// to 14 keeps the key.
				PreConfig: func() { clock.set(135 * day); srv.SetClockOffset(135 * day) },
				Config:    cfg(14),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.ID != firstID || k.Status != plexmcp.StatusActive {
							return fmt.Errorf("key %s (%s) replaced the kept key %s", k.ID, k.Status, firstID)
						}
						return nil
					}),
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusOK),
				},
			},
		},
	})
}

// A key the server reports as expired is planned as a replacement, never
// kept as if it worked.
func TestAccAPIKeyResource_expired(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	clock := &testClock{}
	var firstID string
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
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{acctest.CaptureString(keyAddr, "id", &firstID)}},
			{
				// Both clocks pass the expiry: the refresh reads the status
				// "expired" from the server, and the replacement's 30 days
				// count from the provider's clock, which agrees with the
				// server's as real clocks do.
				PreConfig: func() {
					srv.SetClockOffset(31 * day)
					clock.set(31 * day)
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(keyAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusOK),
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.ID == firstID {
							return fmt.Errorf("expired key %s was kept", firstID)
						}
						return nil
					}),
				},
			},
		},
	})
}

// The provider's own clock also catches expiry, before the next refresh
// would: a key past expires_at is replaced.
func TestAccAPIKeyResource_expiredByProviderClock(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	clock := &testClock{}
	var oldID string
	cfg := keyConfig(srv, `
  name            = "clock"
  all_mcps        = true
  expires_in_days = 5
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(provider.WithClock(clock.now)),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{acctest.CaptureString(keyAddr, "id", &oldID)}},
			{
				PreConfig: func() { clock.set(6 * day) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				// The new key's 5 days count from the provider's clock, so the
				// plan after the apply is empty: no key born expired.
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectServerKey(srv, keyAddr, func(k refserver.KeyRecord) error {
						if k.ID == oldID {
							return fmt.Errorf("key %s was not replaced", oldID)
						}
						if old, ok := acctest.ServerKey(srv, oldID); !ok || old.Status != plexmcp.StatusRevoked {
							return fmt.Errorf("the replaced key %s is %q, want revoked", oldID, old.Status)
						}
						return nil
					}),
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusOK),
				},
			},
		},
	})
}

// Any change to rotation_triggers replaces the key.
func TestAccAPIKeyResource_rotationTriggers(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	var firstKey string
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
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{Config: cfg("1"), ConfigStateChecks: []statecheck.StateCheck{acctest.CaptureString(keyAddr, "key", &firstKey)}},
			{Config: cfg("1"), PlanOnly: true},
			{
				Config: cfg("2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectInvoke(srv, keyAddr, acctest.MCPWeather, http.StatusOK),
					acctest.ExpectServerKey(srv, keyAddr, func(refserver.KeyRecord) error {
						return acctest.ExpectKeyStatus(context.Background(), srv, firstKey, acctest.MCPWeather, http.StatusUnauthorized)
					}),
				},
			},
		},
	})
}
