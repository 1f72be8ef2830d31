// Package acctest is the shared wiring of the acceptance tests: a reference
// server per test (of either PlexMCP API), provider factories,
// configuration builders, and checks that prove behaviour through the
// server (by invoking it with a key from state, or by reading its records)
// rather than by reading back what the provider wrote.
package acctest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// APIs are the PlexMCP APIs every case that applies to both runs against:
// PlexMCP's hosted API and a self-hosted PlexMCP server, both served by
// the reference server.
var APIs = []string{refserver.APIHosted, refserver.APIServer}

// EachAPI runs f as one subtest per PlexMCP API, named after it. The
// subtests run in parallel when f starts a parallel test case.
func EachAPI(t *testing.T, f func(t *testing.T, api string)) {
	t.Helper()
	for _, api := range APIs {
		t.Run(api, func(t *testing.T) { f(t, api) })
	}
}

// Capabilities is what the provider learns about api: the client's own
// declaration, so that a test expects what the provider was told.
func Capabilities(api string) plexmcp.Capabilities {
	c, err := plexmcp.New(plexmcp.Config{BaseURL: "http://127.0.0.1/", API: plexmcp.API(api)})
	if err != nil {
		panic(fmt.Sprintf("acctest: a client for the %s API: %v", api, err))
	}
	return c.Capabilities(context.Background())
}

// Names of the seeded MCPs of the reference server's first organisation,
// the same under both APIs (their ids differ: see MCPID).
const (
	MCPWeather    = "Weather API"
	MCPCalculator = "Calculator"
	MCPSandbox    = "Sandbox"
)

// tools maps each seeded MCP to a tool call that succeeds on it.
var tools = map[string]plexmcp.InvokeRequest{
	MCPWeather:    {Tool: "get_weather", Arguments: map[string]any{"city": "Lisbon"}},
	MCPCalculator: {Tool: "add", Arguments: map[string]any{"a": 2, "b": 3}},
	MCPSandbox:    {Tool: "echo", Arguments: map[string]any{"text": "hello"}},
}

var (
	setupOnce sync.Once
	// bootstrapKey is the first organisation's bootstrap key in every
	// server the tests start. It reaches the provider through
	// PLEXMCP_API_KEY, never through configuration text, which the harness
	// writes to its logs.
	bootstrapKey string
)

// setup makes the harness register the provider under its real address,
// registry.terraform.io/plexmcp/plexmcp (or OpenTofu's host when the caller
// says so), so configurations and modules can name source = "plexmcp/plexmcp";
// and it hands the provider the suite's key.
func setup() {
	setupOnce.Do(func() {
		if os.Getenv("TF_ACC_PROVIDER_NAMESPACE") == "" {
			_ = os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "plexmcp")
		}
		bootstrapKey = refserver.NewBootstrapKey()
		_ = os.Setenv("PLEXMCP_API_KEY", bootstrapKey)
		_ = os.Unsetenv("PLEXMCP_BASE_URL")
		_ = os.Unsetenv("PLEXMCP_API")
	})
}

// Start runs a reference server for one test on a free loopback port and
// stops it when the test ends. cfg.API chooses the PlexMCP API.
func Start(t testing.TB, cfg refserver.Config) *refserver.Running {
	t.Helper()
	setup()
	if cfg.AdminKey == "" {
		cfg.AdminKey = bootstrapKey
	}
	srv, err := refserver.Start("", cfg)
	if err != nil {
		t.Fatalf("starting reference server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("stopping reference server: %v", err)
		}
	})
	return srv
}

// StartAPI is Start with only the API chosen.
func StartAPI(t testing.TB, api string) *refserver.Running {
	t.Helper()
	return Start(t, refserver.Config{API: api})
}

// Factories serves the provider in-process for terraform.
func Factories(opts ...provider.Option) map[string]func() (tfprotov6.ProviderServer, error) {
	setup()
	return map[string]func() (tfprotov6.ProviderServer, error){
		"plexmcp": providerserver.NewProtocol6WithError(provider.New("test", opts...)()),
	}
}

// ProviderConfig is the terraform and provider blocks that point the
// provider at srv. The key comes from PLEXMCP_API_KEY.
func ProviderConfig(srv *refserver.Running) string {
	return ProviderConfigRetries(srv, 10)
}

// ProviderConfigRetries is ProviderConfig with another max_retries.
func ProviderConfigRetries(srv *refserver.Running, maxRetries int) string {
	return RequiredProviders + fmt.Sprintf(`
provider "plexmcp" {
  base_url    = %[1]q
  max_retries = %[2]d
}
`, srv.BaseURL, maxRetries)
}

// ProviderConfigWithKey is ProviderConfig with an explicit api_key, for
// tests of keys that are wrong on purpose. Never pass a working key: the
// configuration text ends up in logs.
func ProviderConfigWithKey(srv *refserver.Running, apiKey string) string {
	return RequiredProviders + fmt.Sprintf(`
provider "plexmcp" {
  base_url    = %[1]q
  api_key     = %[2]q
  max_retries = 10
}
`, srv.BaseURL, apiKey)
}

// RequiredProviders names the provider by its registry address.
const RequiredProviders = `
terraform {
  required_providers {
    plexmcp = {
      source = "plexmcp/plexmcp"
    }
  }
}
`

// clientConfig is how tests reach a reference server: patient, because
// many tests inject faults or limits.
func clientConfig(srv *refserver.Running, key string) plexmcp.Config {
	return plexmcp.Config{
		BaseURL: srv.BaseURL, API: plexmcp.API(srv.API()), APIKey: plexmcp.NewSecret(key),
		MaxRetries: new(10), RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: time.Second,
	}
}

// AdminClient is an API client with the server's bootstrap key, for
// changing things out of band the way a dashboard user would.
func AdminClient(t testing.TB, srv *refserver.Running) *plexmcp.Client {
	t.Helper()
	return KeyClient(t, srv, srv.AdminKey())
}

// SecondOrgClient is an API client of the reference server's second
// organisation, for objects the provider's organisation must not see.
func SecondOrgClient(t testing.TB, srv *refserver.Running) *plexmcp.Client {
	t.Helper()
	return KeyClient(t, srv, srv.SecondOrgAdminKey())
}

// KeyClient is an API client that uses key.
func KeyClient(t testing.TB, srv *refserver.Running, key string) *plexmcp.Client {
	t.Helper()
	c, err := plexmcp.New(clientConfig(srv, key))
	if err != nil {
		t.Fatalf("creating an API client: %s", err)
	}
	return c
}

// MCPID is the id of the first organisation's MCP of that name, under
// srv's API.
func MCPID(srv *refserver.Running, name string) string {
	for _, m := range srv.MCPs() {
		if m.Name == name && m.OrgID == firstOrg(srv) {
			return m.ID
		}
	}
	panic(fmt.Sprintf("acctest: the reference server has no MCP named %q", name))
}

// firstOrg is the organisation of srv's bootstrap key.
func firstOrg(srv *refserver.Running) string {
	for _, k := range srv.APIKeys() {
		if k.Bootstrap && k.Name == "bootstrap" && k.Digest == digestOf(srv.AdminKey()) {
			return k.OrgID
		}
	}
	panic("acctest: the reference server has no bootstrap key")
}
