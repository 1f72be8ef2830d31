package provider_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// rpcRateLimited is the JSON-RPC error a PlexMCP server's proxy answers a
// key past its rate_limit_rpm with.
const rpcRateLimited = -32029

// On a PlexMCP server, rate_limit_rpm is what the proxy enforces: with 2,
// the third call within one of the server's fixed UTC minutes is refused
// with JSON-RPC -32029 (the server names the limit), and the next minute
// the key works again. Changing the limit, or removing it for the server's
// default of 60, updates the same key in place, and the server holds the
// new value; a key that never set one has 60 too.
func TestAccAPIKeyResource_rateLimit(t *testing.T) {
	srv := acctest.StartAPI(t, refserver.APIServer) // The hosted API has no per-key limit.
	const limited, unlimited = keyAddr, "plexmcp_api_key.default"
	var id, key string
	cfg := func(rateLimit string) string {
		return acctest.ProviderConfig(srv) + fmt.Sprintf(`
resource "plexmcp_api_key" "test" {
  name     = "limited"
  all_mcps = true
  %s
}

resource "plexmcp_api_key" "default" {
  name     = "default-limit"
  all_mcps = true
}
`, rateLimit)
	}
	serverLimit := func(addr string, want int) statecheck.StateCheck {
		return acctest.ExpectServerKey(srv, addr, func(k refserver.KeyRecord) error {
			if k.RateLimitRPM != want {
				return fmt.Errorf("the server holds rate_limit_rpm %d for %s, want %d", k.RateLimitRPM, addr, want)
			}
			return nil
		})
	}
	// Three calls in one minute: the server's clock is moved to the start
	// of its next minute, so the calls cannot straddle two windows.
	thirdCallRefused := acctest.StateCheckFunc(func(ctx context.Context, _ *tfjson.State) error {
		now := time.Now() // The server's clock, until it is moved here.
		offset := now.Truncate(time.Minute).Add(time.Minute).Sub(now)
		srv.SetClockOffset(offset)
		for call := 1; call <= 2; call++ {
			if err := acctest.InvokeOnce(ctx, srv, key, acctest.MCPWeather); err != nil {
				return fmt.Errorf("call %d of 2 allowed in a minute: %w", call, err)
			}
		}
		err := acctest.InvokeOnce(ctx, srv, key, acctest.MCPWeather)
		var rpcErr *plexmcp.RPCError
		if !errors.As(err, &rpcErr) || rpcErr.Code != rpcRateLimited || rpcErr.HTTPStatus != 429 || rpcErr.Data["limit_rpm"] != 2.0 {
			return fmt.Errorf("the third call in a minute answered %v; want HTTP 429, JSON-RPC %d with limit_rpm 2", err, rpcRateLimited)
		}
		srv.SetClockOffset(offset + time.Minute)
		if err := acctest.InvokeOnce(ctx, srv, key, acctest.MCPWeather); err != nil {
			return fmt.Errorf("the first call of the next minute: %w", err)
		}
		return nil
	})
	inPlace := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(limited, plancheck.ResourceActionUpdate),
		plancheck.ExpectResourceAction(unlimited, plancheck.ResourceActionNoop),
	}}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkNoActiveKeys(srv),
		Steps: []resource.TestStep{
			{
				Config: cfg("rate_limit_rpm = 2"),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.CaptureString(limited, "id", &id),
					acctest.CaptureString(limited, "key", &key),
					serverLimit(limited, 2),
					serverLimit(unlimited, 60),
					thirdCallRefused,
				},
			},
			{
				Config:           cfg("rate_limit_rpm = 5"),
				ConfigPlanChecks: inPlace,
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectKeyKept(srv, limited, &id, &key, acctest.MCPWeather),
					serverLimit(limited, 5),
				},
			},
			{
				Config:           cfg(""),
				ConfigPlanChecks: inPlace,
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectKeyKept(srv, limited, &id, &key, acctest.MCPWeather),
					serverLimit(limited, 60),
				},
			},
		},
	})
}
