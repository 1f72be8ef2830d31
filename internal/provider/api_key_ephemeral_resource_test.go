package provider_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// Ephemeral resources need Terraform 1.10.
var ephemeralVersions = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)}

// An ephemeral key configures a second provider for the length of a run:
// the key works (the second provider reads with it), it has the
// permissions configured (the server's records say so while it lives), it
// is revoked when the run ends (deleted, on a PlexMCP server), it expires
// ttl after creation, and it is in neither the state Terraform reports nor
// the state file it writes.
func TestAccAPIKeyEphemeralResource_configuresProvider(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		var accessLog acctest.SyncBuffer
		srv := acctest.Start(t, refserver.Config{API: api, AccessLog: &accessLog})
		const name = "ephemeral-ci"
		// The output marks the state file of this run among those of other
		// tests, so the check can find it on disk and read its bytes.
		marker := fmt.Sprintf("state-of-%s-%d", t.Name(), time.Now().UnixNano())
		config := func(permissions string) string {
			return fmt.Sprintf(`
terraform {
  required_providers {
    plexmcp = {
      source = "plexmcp/plexmcp"
    }
    plexmcpshort = {
      source = "plexmcp/plexmcpshort"
    }
  }
}

provider "plexmcp" {
  base_url = %[1]q
}

output "marker" {
  value = %[2]q
}

ephemeral "plexmcp_api_key" "short" {
  name = %[3]q
  ttl  = "10m"
  %[4]s
}

# In real use this is provider "plexmcp" { alias = "short" }; see
# shortLivedFactories for why the test names it differently.
provider "plexmcpshort" {
  base_url = %[1]q
  api_key  = ephemeral.plexmcp_api_key.short.key
}

data "plexmcp_mcps" "seen" {
  provider = plexmcpshort
}
`, srv.BaseURL, marker, name, permissions)
		}
		// Every key the runs opened was closed: created and revoked (or
		// deleted) as often, and none of that name is active.
		expectClosed := acctest.StateCheckFunc(func(context.Context, *tfjson.State) error {
			created := len(regexp.MustCompile(`(?m)POST \S*/api-keys 201`).FindAllString(accessLog.String(), -1))
			closed := len(regexp.MustCompile(`(?m)DELETE \S*/api-keys/\S+ 20[04]`).FindAllString(accessLog.String(), -1))
			if created == 0 || closed != created {
				return fmt.Errorf("the runs created %d ephemeral key(s) and revoked %d; want as many revoked as created", created, closed)
			}
			for _, k := range acctest.ActiveKeys(srv) {
				if k.Name == name {
					return fmt.Errorf("ephemeral key %s (%s) is still active after the run", k.ID, k.KeyPrefix)
				}
			}
			return nil
		})
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: shortLivedFactories(),
			TerraformVersionChecks:   ephemeralVersions,
			Steps: []resource.TestStep{
				{
					Config: config(`all_mcps = true`),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue("data.plexmcp_mcps.seen", tfjsonpath.New("ids"), knownvalue.ListSizeExact(3)),
						expectNoKeyInState(),
						expectNoKeyInFile(marker),
						expectClosed,
					},
				},
				{
					Config: config("mcp_ids = " + mcpIDs(srv, acctest.MCPCalculator)),
					ConfigStateChecks: []statecheck.StateCheck{
						expectNoKeyInState(),
						expectNoKeyInFile(marker),
						expectClosed,
					},
				},
			},
		})
		if !acctest.Capabilities(api).RevokedKeysRemain {
			return // A PlexMCP server deletes them: nothing left to read.
		}
		// The hosted API keeps revoked keys: each had the permissions of its
		// step, and was made to expire ten minutes after it was opened.
		var all, one int
		for _, k := range srv.APIKeys() {
			if k.Name != name {
				continue
			}
			switch {
			case k.AllMCPs:
				all++
			case len(k.MCPIDs) == 1 && k.MCPIDs[0] == acctest.MCPID(srv, acctest.MCPCalculator):
				one++
			default:
				t.Errorf("ephemeral key %s has permissions all=%v %v", k.ID, k.AllMCPs, k.MCPIDs)
			}
			if k.ExpiresAt == nil || k.ExpiresAt.Sub(k.CreatedAt) < 10*time.Minute-time.Second || k.ExpiresAt.Sub(k.CreatedAt) > 10*time.Minute+time.Second {
				t.Errorf("ephemeral key %s was created at %v to expire at %v; want ten minutes later", k.ID, k.CreatedAt, k.ExpiresAt)
			}
		}
		// At least a plan and an apply of each step.
		if all < 2 || one < 2 {
			t.Errorf("the server saw %d ephemeral key(s) with every MCP and %d with one; want at least 2 of each", all, one)
		}
	})
}

// shortLivedFactories serves the provider twice: as plexmcp, and as
// plexmcpshort for the configuration that uses the ephemeral key.
//
// Terraform starts one plugin process per provider configuration, so an
// alias of plexmcp gets a provider instance of its own. The test harness
// instead reattaches every configuration of an address to the one
// in-process server, where the alias's Configure would replace the
// management key's client, and Close would then try to revoke the key with
// the key itself. A second address keeps the two configurations apart, as
// separate processes do.
func shortLivedFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	f := acctest.Factories()
	f["plexmcpshort"] = providerserver.NewProtocol6WithError(provider.New("test")())
	return f
}

// Bad configuration fails at plan time, names the attribute, and creates
// nothing on the server.
func TestAccAPIKeyEphemeralResource_validation(t *testing.T) {
	srv := acctest.StartAPI(t, refserver.APIHosted)
	cases := map[string]struct{ body, err string }{
		"ttl too long":       {`all_mcps = true` + "\n" + `ttl = "25h"`, `(?s)ttl must be at most 24h, got "25h".*plexmcp_api_key\s+resource`},
		"ttl too short":      {`all_mcps = true` + "\n" + `ttl = "30s"`, `(?s)ttl must be at least 1m, got "30s"`},
		"ttl not duration":   {`all_mcps = true` + "\n" + `ttl = "a day"`, `(?s)ttl must be a Go duration such as "15m" or "2h", got "a day"`},
		"neither permission": {``, `Choose which MCPs the key may invoke`},
		"both permissions":   {`all_mcps = true` + "\n" + `mcp_ids = ["mcp_weather"]`, `Set either all_mcps = true or mcp_ids`},
		"all_mcps false":     {`all_mcps = false`, `all_mcps = false does not choose any MCPs`},
		"empty mcp_ids":      {`mcp_ids = []`, `(?s)mcp_ids.*at least 1`},
		"removed mode":       {`all_mcps = true` + "\n" + `mode = "live"`, `(?s)Unsupported argument.*mode`},
		"long description":   {`all_mcps = true` + "\n" + fmt.Sprintf("description = %q", strings.Repeat("ü", 501)), `(?s)description.*character count`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.Factories(),
				TerraformVersionChecks:   ephemeralVersions,
				Steps: []resource.TestStep{{
					Config:      acctest.ProviderConfig(srv) + "ephemeral \"plexmcp_api_key\" \"x\" {\n  name = \"x\"\n" + tc.body + "\n}\n",
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

// A create whose answer never came may have made a key that nothing will
// look for again: Terraform records no ephemeral key. The error says what
// may exist and when it stops working, and every key the failed attempts
// left behind does expire then.
func TestAccAPIKeyEphemeralResource_createUncertain(t *testing.T) {
	acctest.EachAPI(t, func(t *testing.T, api string) {
		srv := acctest.Start(t, refserver.Config{API: api, FailRate: 1, Seed: 1})
		opened := time.Now()
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.Factories(),
			TerraformVersionChecks:   ephemeralVersions,
			Steps: []resource.TestStep{{
				Config: acctest.ProviderConfigRetries(srv, 0) + `
ephemeral "plexmcp_api_key" "x" {
  name     = "uncertain"
  all_mcps = true
  ttl      = "15m"
}
`,
				ExpectError: acctest.Message(`a key named "uncertain" may`, "no later run looks for it; such a key stops working at"),
			}},
		})
		// Seed 1 makes the create commit and drop its answer, so a key is
		// left behind on both APIs.
		left := 0
		for _, k := range acctest.ActiveKeys(srv) {
			if k.Name != "uncertain" {
				continue
			}
			left++
			if k.ExpiresAt == nil || k.ExpiresAt.After(opened.Add(16*time.Minute)) {
				t.Errorf("key %s left by the failed create expires at %v, not within the ttl", k.ID, k.ExpiresAt)
			}
		}
		if left != 1 {
			t.Errorf("%d keys named uncertain are active, want the 1 the dropped create made", left)
		}
	})
}

// expectNoKeyInState fails if anything in state holds a string that starts
// like a key.
func expectNoKeyInState() statecheck.StateCheck {
	return acctest.StateCheckFunc(func(_ context.Context, state *tfjson.State) error {
		isKey := func(s string) bool { return strings.HasPrefix(s, "pmcp_") || strings.HasPrefix(s, "pk_") }
		for _, r := range acctest.Resources(state) {
			if err := findSecret(r.Address, r.AttributeValues, isKey); err != nil {
				return err
			}
		}
		if state != nil && state.Values != nil {
			for name, o := range state.Values.Outputs {
				if err := findSecret("output."+name, o.Value, isKey); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// expectNoKeyInFile finds the state file that the harness's Terraform wrote
// (the one holding marker) and fails if a key appears anywhere in it, in
// any form.
func expectNoKeyInFile(marker string) statecheck.StateCheck {
	return acctest.StateCheckFunc(func(context.Context, *tfjson.State) error {
		base := os.Getenv("TF_ACC_TEMP_DIR")
		if base == "" {
			base = os.TempDir()
		}
		files, err := filepath.Glob(filepath.Join(base, "plugintest*", "work*", "terraform.tfstate"))
		if err != nil {
			return err
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil || !bytes.Contains(raw, []byte(marker)) {
				continue // Another test's state, perhaps just removed.
			}
			if !bytes.Contains(raw, []byte(`"plexmcp_mcps"`)) {
				return fmt.Errorf("the state file %s does not hold data.plexmcp_mcps.seen", f)
			}
			if bytes.Contains(raw, []byte("pmcp_01")) || bytes.Contains(raw, []byte("pk_live_")) {
				return fmt.Errorf("the state file %s contains an API key", f)
			}
			return nil
		}
		return fmt.Errorf("no state file under %s holds the marker %q", base, marker)
	})
}
