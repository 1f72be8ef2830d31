package provider_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// A key made by the resource and then used shows its usage through the data
// source, exactly as the server counted it, and the data source never has
// the secret.
func TestAccAPIKeyDataSource_usage(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	const (
		dsAddr      = "data.plexmcp_api_key.used"
		resAddr     = "plexmcp_api_key.used"
		invocations = 3
	)
	config := acctest.ProviderConfig(srv) + `
resource "plexmcp_api_key" "used" {
  name        = "used-by-ci"
  description = "watched for usage"
  mcp_ids     = ["mcp_weather", "mcp_calculator"]
}

data "plexmcp_api_key" "used" {
  id = plexmcp_api_key.used.id
}
`
	var id, key string
	// matchesServer compares a data source attribute with the server's own
	// record of the key at the time of the check.
	matchesServer := func(attr string, want func(refserver.KeyRecord) any) statecheck.StateCheck {
		return stateFunc(func(_ context.Context, state *tfjson.State) error {
			got, err := stateAttr(state, dsAddr, attr)
			if err != nil {
				return err
			}
			rec, ok := acctest.ServerKey(srv, id)
			if !ok {
				return fmt.Errorf("server has no key %s", id)
			}
			if w := want(rec); fmt.Sprint(got) != fmt.Sprint(w) {
				return fmt.Errorf("%s.%s = %v, server says %v", dsAddr, attr, got, w)
			}
			return nil
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.CaptureString(resAddr, "id", &id),
					acctest.CaptureString(resAddr, "key", &key),
					statecheck.CompareValuePairs(dsAddr, tfjsonpath.New("id"), resAddr, tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.CompareValuePairs(dsAddr, tfjsonpath.New("key_prefix"), resAddr, tfjsonpath.New("key_prefix"), compare.ValuesSame()),
					statecheck.CompareValuePairs(dsAddr, tfjsonpath.New("created_at"), resAddr, tfjsonpath.New("created_at"), compare.ValuesSame()),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("name"), knownvalue.StringExact("used-by-ci")),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("description"), knownvalue.StringExact("watched for usage")),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("mode"), knownvalue.StringExact("live")),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("all_mcps"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("mcp_ids"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact(acctest.MCPWeather), knownvalue.StringExact(acctest.MCPCalculator),
					})),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("expires_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("revoked_at"), knownvalue.Null()),
					// Not used yet: the provider's own requests use the management key.
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("request_count"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("last_used_at"), knownvalue.Null()),
					expectNoSecretIn(dsAddr),
				},
			},
			{
				PreConfig: func() {
					for range invocations {
						status, err := acctest.InvokeStatus(context.Background(), srv, key, acctest.MCPWeather)
						if err != nil || status != http.StatusOK {
							t.Fatalf("invoking %s with the key: HTTP %d, %v", acctest.MCPWeather, status, err)
						}
					}
				},
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("request_count"), knownvalue.Int64Exact(invocations)),
					matchesServer("request_count", func(k refserver.KeyRecord) any { return k.RequestCount }),
					statecheck.ExpectKnownValue(dsAddr, tfjsonpath.New("last_used_at"), knownvalue.NotNull()),
					matchesServer("last_used_at", func(k refserver.KeyRecord) any {
						if k.LastUsedAt == nil {
							return nil
						}
						return k.LastUsedAt.UTC().Format(time.RFC3339)
					}),
					expectNoSecretIn(dsAddr),
				},
			},
		},
	})
}

// An id that does not exist, or belongs to another organisation, is an
// error that points at id.
func TestAccAPIKeyDataSource_notFound(t *testing.T) {
	srv := acctest.Start(t, refserver.Config{})
	other := secondOrgClient(t, srv)
	otherKey, err := other.CreateAPIKey(context.Background(), plexmcp.CreateAPIKeyRequest{
		Name: "other-org", Permissions: plexmcp.Permissions{AllMCPs: true},
	})
	if err != nil {
		t.Fatalf("creating the second organisation's key: %v", err)
	}
	for name, id := range map[string]string{"unknown id": "key_doesnotexist", "other organisation's key": otherKey.ID} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.Factories(),
				Steps: []resource.TestStep{{
					Config:      acctest.ProviderConfig(srv) + fmt.Sprintf("data \"plexmcp_api_key\" \"x\" {\n  id = %q\n}\n", id),
					ExpectError: regexp.MustCompile(fmt.Sprintf(`(?s)PlexMCP API Key Not Found.*with data\.plexmcp_api_key\.x.*id = %[1]q.*No\s+API\s+key\s+with\s+id\s+%[1]q`, id)),
				}},
			})
		})
	}
}

// stateFunc adapts a function to statecheck.StateCheck.
type stateFunc func(ctx context.Context, state *tfjson.State) error

func (f stateFunc) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f(ctx, req.State)
}

// stateResources returns every resource and data source in state, in all
// modules.
func stateResources(state *tfjson.State) []*tfjson.StateResource {
	if state == nil || state.Values == nil || state.Values.RootModule == nil {
		return nil
	}
	var out []*tfjson.StateResource
	var walk func(*tfjson.StateModule)
	walk = func(m *tfjson.StateModule) {
		out = append(out, m.Resources...)
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	walk(state.Values.RootModule)
	return out
}

func stateAttr(state *tfjson.State, addr, attr string) (any, error) {
	for _, r := range stateResources(state) {
		if r.Address == addr {
			v, ok := r.AttributeValues[attr]
			if !ok {
				return nil, fmt.Errorf("%s has no attribute %s", addr, attr)
			}
			return v, nil
		}
	}
	return nil, fmt.Errorf("%s is not in state", addr)
}

// fullKeyPattern matches a secret key, but not the 12-character key_prefix
// that is safe to show.
var fullKeyPattern = regexp.MustCompile(`pk_(live|test)_[A-Za-z0-9]{5,}`)

// expectNoSecretIn fails if the object at addr has a key attribute, at any
// depth, or holds anything longer than a key prefix that looks like a key.
func expectNoSecretIn(addr string) statecheck.StateCheck {
	return stateFunc(func(_ context.Context, state *tfjson.State) error {
		for _, r := range stateResources(state) {
			if r.Address == addr {
				return findSecret(addr, r.AttributeValues, func(s string) bool { return fullKeyPattern.MatchString(s) })
			}
		}
		return fmt.Errorf("%s is not in state", addr)
	})
}

// findSecret walks a decoded JSON value and reports the first "key"
// attribute, or string that isSecret accepts. The message never includes
// the value.
func findSecret(where string, v any, isSecret func(string) bool) error {
	switch v := v.(type) {
	case string:
		if isSecret(v) {
			return fmt.Errorf("%s holds a value shaped like an API key", where)
		}
	case map[string]any:
		for k, child := range v {
			if k == "key" {
				return fmt.Errorf("%s has an attribute named key", where)
			}
			if err := findSecret(where+"."+k, child, isSecret); err != nil {
				return err
			}
		}
	case []any:
		for i, child := range v {
			if err := findSecret(fmt.Sprintf("%s[%d]", where, i), child, isSecret); err != nil {
				return err
			}
		}
	}
	return nil
}

// secondOrgClient is an API client of the reference server's second
// organisation, for objects the provider's organisation must not see.
func secondOrgClient(t *testing.T, srv *refserver.Running) *plexmcp.Client {
	t.Helper()
	c, err := plexmcp.New(plexmcp.Config{BaseURL: srv.BaseURL, APIKey: plexmcp.Secret(srv.SecondOrgAdminKey()), MaxRetries: 10})
	if err != nil {
		t.Fatalf("creating the second organisation's API client: %v", err)
	}
	return c
}
