// Package acctest is the shared wiring of the acceptance tests: an
// in-process reference server per test, provider factories, configuration
// builders, and checks that prove behaviour through the server (by invoking
// it with a key from state, or by reading its records) rather than by
// reading back what the provider wrote.
package acctest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// Seeded MCPs of the reference server's first organisation.
const (
	MCPWeather    = "mcp_weather"
	MCPCalculator = "mcp_calculator"
	MCPSandbox    = "mcp_sandbox"
)

// Tools maps each seeded MCP to a tool call that succeeds on it.
var Tools = map[string]plexmcp.InvokeRequest{
	MCPWeather:    {MCPID: MCPWeather, Tool: "get_weather", Arguments: map[string]any{"city": "Lisbon"}},
	MCPCalculator: {MCPID: MCPCalculator, Tool: "add", Arguments: map[string]any{"a": 2, "b": 3}},
	MCPSandbox:    {MCPID: MCPSandbox, Tool: "echo", Arguments: map[string]any{"text": "hello"}},
}

var (
	setupOnce sync.Once
	// adminKey is the management key of every server the tests start. It
	// reaches the provider through PLEXMCP_API_KEY, never through
	// configuration text, which the harness writes to its logs.
	adminKey string
)

// setup makes the harness register the provider under its real address,
// registry.terraform.io/plexmcp/plexmcp (or OpenTofu's host when the caller
// says so), so configurations and modules can name source = "plexmcp/plexmcp";
// and it hands the provider the suite's management key.
func setup() {
	setupOnce.Do(func() {
		if os.Getenv("TF_ACC_PROVIDER_NAMESPACE") == "" {
			_ = os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "plexmcp")
		}
		adminKey = refserver.NewManagementKey()
		_ = os.Setenv("PLEXMCP_API_KEY", adminKey)
		_ = os.Unsetenv("PLEXMCP_BASE_URL")
	})
}

// Start runs a reference server for one test on a free loopback port and
// stops it when the test ends.
func Start(t testing.TB, cfg refserver.Config) *refserver.Running {
	t.Helper()
	setup()
	if cfg.AdminKey == "" {
		cfg.AdminKey = adminKey
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

// Factories serves the provider in-process for terraform.
func Factories(opts ...provider.Option) map[string]func() (tfprotov6.ProviderServer, error) {
	setup()
	return map[string]func() (tfprotov6.ProviderServer, error){
		"plexmcp": providerserver.NewProtocol6WithError(provider.New("test", opts...)()),
	}
}

// ProviderConfig is the terraform and provider blocks that point the
// provider at srv. The management key comes from PLEXMCP_API_KEY.
func ProviderConfig(srv *refserver.Running) string {
	return requiredProviders + fmt.Sprintf(`
provider "plexmcp" {
  base_url    = %[1]q
  max_retries = 10
}
`, srv.BaseURL)
}

// ProviderConfigWithKey is ProviderConfig with an explicit api_key, for
// tests of keys that are wrong on purpose. Never pass a working key: the
// configuration text ends up in logs.
func ProviderConfigWithKey(srv *refserver.Running, apiKey string) string {
	return requiredProviders + fmt.Sprintf(`
provider "plexmcp" {
  base_url    = %[1]q
  api_key     = %[2]q
  max_retries = 10
}
`, srv.BaseURL, apiKey)
}

const requiredProviders = `
terraform {
  required_providers {
    plexmcp = {
      source = "plexmcp/plexmcp"
    }
  }
}
`

// AdminClient is an API client with the server's management key, for
// changing things out of band the way a dashboard user would.
func AdminClient(t testing.TB, srv *refserver.Running) *plexmcp.Client {
	t.Helper()
	c, err := plexmcp.New(plexmcp.Config{BaseURL: srv.BaseURL, APIKey: plexmcp.Secret(srv.AdminKey()), MaxRetries: 10, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: time.Second})
	if err != nil {
		t.Fatalf("creating API client: %v", err)
	}
	return c
}

// InvokeStatus calls the seeded tool of mcpID with key and returns the HTTP
// status the server answered (200 on success).
func InvokeStatus(ctx context.Context, srv *refserver.Running, key, mcpID string) (int, error) {
	c, err := plexmcp.New(plexmcp.Config{BaseURL: srv.BaseURL, APIKey: plexmcp.Secret(key), MaxRetries: 10, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: time.Second})
	if err != nil {
		return 0, err
	}
	call, ok := Tools[mcpID]
	if !ok {
		return 0, fmt.Errorf("no seeded tool for %s", mcpID)
	}
	if _, err := c.Invoke(ctx, call); err != nil {
		var apiErr *plexmcp.APIError
		if errors.As(err, &apiErr) {
			return apiErr.StatusCode, nil
		}
		return 0, err
	}
	return http.StatusOK, nil
}

// StateCheckFunc adapts a function to statecheck.StateCheck.
type StateCheckFunc func(ctx context.Context, state *tfjson.State) error

func (f StateCheckFunc) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f(ctx, req.State)
}

// StringAttr returns a string attribute of a resource in state.
func StringAttr(state *tfjson.State, addr, attr string) (string, error) {
	if state == nil || state.Values == nil || state.Values.RootModule == nil {
		return "", errors.New("state is empty")
	}
	for _, r := range allResources(state.Values.RootModule) {
		if r.Address != addr {
			continue
		}
		v, ok := r.AttributeValues[attr].(string)
		if !ok {
			return "", fmt.Errorf("%s.%s is not a known string (%T)", addr, attr, r.AttributeValues[attr])
		}
		return v, nil
	}
	return "", fmt.Errorf("%s not in state", addr)
}

func allResources(m *tfjson.StateModule) []*tfjson.StateResource {
	out := append([]*tfjson.StateResource(nil), m.Resources...)
	for _, child := range m.ChildModules {
		out = append(out, allResources(child)...)
	}
	return out
}

// CaptureString stores a string attribute from state in *dst, so a later
// step can compare it or use it against the server.
func CaptureString(addr, attr string, dst *string) statecheck.StateCheck {
	return StateCheckFunc(func(_ context.Context, state *tfjson.State) error {
		v, err := StringAttr(state, addr, attr)
		*dst = v
		return err
	})
}

// ExpectInvoke invokes mcpID through the reference server with the key that
// addr holds in state, and fails unless the server answers wantStatus.
func ExpectInvoke(srv *refserver.Running, addr, mcpID string, wantStatus int) statecheck.StateCheck {
	return StateCheckFunc(func(ctx context.Context, state *tfjson.State) error {
		key, err := StringAttr(state, addr, "key")
		if err != nil {
			return err
		}
		return ExpectKeyStatus(ctx, srv, key, mcpID, wantStatus)
	})
}

// ExpectKeyStatus is ExpectInvoke for a key the test already holds. Errors
// name the key by its prefix only.
func ExpectKeyStatus(ctx context.Context, srv *refserver.Running, key, mcpID string, wantStatus int) error {
	got, err := InvokeStatus(ctx, srv, key, mcpID)
	if err != nil {
		return fmt.Errorf("invoking %s with key %s: %w", mcpID, prefix(key), err)
	}
	if got != wantStatus {
		return fmt.Errorf("invoking %s with key %s: got HTTP %d, want %d", mcpID, prefix(key), got, wantStatus)
	}
	return nil
}

// ExpectServerKey finds the key that addr manages among the server's own
// records and hands it to check.
func ExpectServerKey(srv *refserver.Running, addr string, check func(refserver.KeyRecord) error) statecheck.StateCheck {
	return StateCheckFunc(func(_ context.Context, state *tfjson.State) error {
		id, err := StringAttr(state, addr, "id")
		if err != nil {
			return err
		}
		rec, ok := ServerKey(srv, id)
		if !ok {
			return fmt.Errorf("server has no key %s", id)
		}
		return check(rec)
	})
}

// ServerKey returns the server's record of key id.
func ServerKey(srv *refserver.Running, id string) (refserver.KeyRecord, bool) {
	for _, k := range srv.APIKeys() {
		if k.ID == id {
			return k, true
		}
	}
	return refserver.KeyRecord{}, false
}

// ActiveKeys counts the server's active access keys across organisations.
func ActiveKeys(srv *refserver.Running) []refserver.KeyRecord {
	var out []refserver.KeyRecord
	for _, k := range srv.APIKeys() {
		if k.Status == plexmcp.StatusActive {
			out = append(out, k)
		}
	}
	return out
}

func prefix(key string) string {
	if len(key) > 12 {
		return key[:12] + "…"
	}
	return "(short key)"
}
