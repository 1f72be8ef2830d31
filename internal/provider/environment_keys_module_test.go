package provider_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	tfconfig "github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// The README's quickstart, applied as a user would: examples/quickstart/main.tf
// verbatim, with its provider configured from the environment, and the
// environment-keys module it calls. Each environment's key is then used
// against the reference server to prove what it can and cannot reach.
func TestAccEnvironmentKeysModule_quickstart(t *testing.T) {
	acctest.EachAPI(t, testQuickstart)
}

func testQuickstart(t *testing.T, api string) {
	srv := acctest.StartAPI(t, api)
	// The quickstart's provider block is empty: the base URL comes from the
	// environment, so this test cannot run in parallel with others.
	t.Setenv("PLEXMCP_BASE_URL", srv.BaseURL)

	main, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	module, err := filepath.Abs(filepath.Join("..", "..", "examples", "modules", "environment-keys"))
	if err != nil {
		t.Fatal(err)
	}
	// The harness writes the configuration to <WorkingDir>/work…/, so the
	// module is referred to relative to that folder.
	workingDir := t.TempDir()
	rel, err := filepath.Rel(filepath.Join(workingDir, "work"), module)
	if err != nil {
		t.Fatal(err)
	}
	config := strings.ReplaceAll(string(main), `"../modules/environment-keys"`, fmt.Sprintf("%q", rel))
	if config == string(main) {
		t.Fatal("examples/quickstart/main.tf no longer refers to ../modules/environment-keys")
	}
	// A configuration directory, not a string: the harness runs terraform
	// init (which installs modules) before it writes a string configuration,
	// but after it copies a directory.
	configDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(configDir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	resource.Test(t, resource.TestCase{
		WorkingDir: workingDir,
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: acctest.Factories(),
				ConfigDirectory:          tfconfig.StaticDirectory(configDir),
				ConfigStateChecks: []statecheck.StateCheck{
					expectEnvironmentKeys(srv, map[string]map[string]acctest.Reach{
						"production":  {acctest.MCPWeather: acctest.Reached, acctest.MCPCalculator: acctest.Reached, acctest.MCPSandbox: acctest.Denied},
						"staging":     {acctest.MCPWeather: acctest.Reached, acctest.MCPCalculator: acctest.Denied, acctest.MCPSandbox: acctest.Denied},
						"development": {acctest.MCPWeather: acctest.Denied, acctest.MCPCalculator: acctest.Denied, acctest.MCPSandbox: acctest.Reached},
					}),
					acctest.ExpectServerKey(srv, "module.production.plexmcp_api_key.this", func(k refserver.KeyRecord) error {
						want := k.CreatedAt.Add(90 * 24 * time.Hour)
						if k.Name != "quickstart-production" || k.ExpiresAt == nil || k.ExpiresAt.After(want) || want.Sub(*k.ExpiresAt) > 2*time.Second {
							return fmt.Errorf("production key on the server: name %q, expires %v; want quickstart-production, created_at + 90 days = %v", k.Name, k.ExpiresAt, want)
						}
						return nil
					}),
					acctest.ExpectServerKey(srv, "module.development.plexmcp_api_key.this", func(k refserver.KeyRecord) error {
						if k.ExpiresAt != nil {
							return fmt.Errorf("development key on the server expires %v; want never", k.ExpiresAt)
						}
						return nil
					}),
				},
			},
			{
				// The harness cannot read module state after the last step,
				// so this step destroys, and proves every key was revoked.
				ProtoV6ProviderFactories: acctest.Factories(),
				ConfigDirectory:          tfconfig.StaticDirectory(configDir),
				Destroy:                  true,
				ConfigStateChecks: []statecheck.StateCheck{acctest.StateCheckFunc(func(context.Context, *tfjson.State) error {
					return acctest.ExpectNoActiveKeys(srv)
				})},
			},
		},
	})
}

// expectEnvironmentKeys invokes every seeded MCP with each environment's
// key from the quickstart's sensitive "secrets" output, and compares the
// outcomes with want.
func expectEnvironmentKeys(srv *refserver.Running, want map[string]map[string]acctest.Reach) statecheck.StateCheck {
	return acctest.StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
		out, ok := state.Values.Outputs["secrets"]
		if !ok {
			return errors.New("no secrets output in state")
		}
		secrets, ok := out.Value.(map[string]any)
		if !ok || len(secrets) != len(want) {
			return fmt.Errorf("secrets output holds %d environments, want %d", len(secrets), len(want))
		}
		var errs []error
		for env, statuses := range want {
			key, _ := secrets[env].(string)
			for mcp, reach := range statuses {
				if err := acctest.ExpectKeyReach(ctx, srv, key, mcp, reach); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", env, err))
				}
			}
		}
		if active := acctest.ActiveKeys(srv); len(active) != len(want) {
			errs = append(errs, fmt.Errorf("server holds %d active keys, want %d", len(active), len(want)))
		}
		return errors.Join(errs...)
	})
}
