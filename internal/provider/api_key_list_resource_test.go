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

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// List resources (terraform query) need Terraform 1.14.
var queryVersions = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

// seededKeyCount is more keys than one page holds (the provider asks for
// 100 a page), with enough active ones for two pages too.
const seededKeyCount = 150

// seededKey is a key made through the API before Terraform runs, as a
// dashboard user would make it.
type seededKey struct {
	id, name  string
	allMCPs   bool
	expiresAt *time.Time
	revoked   bool
}

// seedKeys makes seededKeyCount keys on the hosted API: team-a-NNN for even
// N and team-b-NNN for odd, every third with an expiry, half with every
// MCP and half with two, every fifth revoked. So 120 are active.
func seedKeys(t *testing.T, srv *refserver.Running) []seededKey {
	t.Helper()
	admin := acctest.AdminClient(t, srv)
	expiry := time.Now().Add(90 * day).UTC().Truncate(time.Second)
	two := []string{acctest.MCPID(srv, acctest.MCPWeather), acctest.MCPID(srv, acctest.MCPCalculator)}
	keys := make([]seededKey, 0, seededKeyCount)
	for i := range seededKeyCount {
		k := seededKey{name: fmt.Sprintf("team-%c-%03d", "ab"[i%2], i), allMCPs: i%4 < 2, revoked: i%5 == 0}
		req := plexmcp.CreateAPIKeyRequest{Name: k.name, Permissions: plexmcp.Permissions{AllMCPs: k.allMCPs}}
		if !k.allMCPs {
			req.Permissions.MCPIDs = two
		}
		if i%3 == 0 {
			k.expiresAt, req.ExpiresAt = &expiry, &expiry
		}
		made, err := admin.CreateAPIKey(t.Context(), req)
		if err != nil {
			t.Fatalf("creating %s: %v", k.name, err)
		}
		k.id = made.ID
		if k.revoked {
			if err := admin.RevokeAPIKey(t.Context(), k.id); err != nil {
				t.Fatalf("revoking %s: %v", k.name, err)
			}
		}
		keys = append(keys, k)
	}
	return keys
}

// idsOf returns the ids of the keys that keep accepts, sorted.
func idsOf(keys []seededKey, keep func(seededKey) bool) []string {
	var ids []string
	for _, k := range keys {
		if keep(k) {
			ids = append(ids, k.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// terraform query finds exactly the keys its filters match among 150 made
// through the API, across pages: name_regex and status together, status
// revoked, and name_regex alone with the keys' attributes, each key named
// by its identity; and so does the documentation's example.
func TestAccAPIKeyListResource_query(t *testing.T) {
	srv := acctest.StartAPI(t, refserver.APIHosted) // The only API that lists keys to API keys.
	keys := seedKeys(t, srv)
	active := idsOf(keys, func(k seededKey) bool { return !k.revoked })
	revokedB := idsOf(keys, func(k seededKey) bool { return k.revoked && strings.HasPrefix(k.name, "team-b-") })
	teamA := idsOf(keys, func(k seededKey) bool { return strings.HasPrefix(k.name, "team-a-") })
	// team-a-006 has an expiry and two MCPs; team-a-004 neither.
	withExpiry, plain := keys[6], keys[4]
	listed := func(addr string, want []string) querycheck.QueryResultCheck {
		return expectFoundIDs{addr: addr, want: want}
	}
	known := func(k seededKey, checks map[string]knownvalue.Check) querycheck.QueryResultCheck {
		var values []querycheck.KnownValueCheck
		for attr, c := range checks {
			values = append(values, querycheck.KnownValueCheck{Path: tfjsonpath.New(attr), KnownValue: c})
		}
		filter := queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"id": knownvalue.StringExact(k.id)})
		return querycheck.ExpectResourceKnownValues("plexmcp_api_key.team_a", filter, values)
	}
	// The documentation's example, as a user copies it, with its name filter
	// pointed at the seeded keys: it must find every active one, more than
	// terraform query returns from a list block by default.
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "list-resources", "plexmcp_api_key", "list-resource.tfquery.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	exampleBlock := strings.Replace(string(example), `name_regex = "^ci-"`, `name_regex = "^team-"`, 1)
	if exampleBlock == string(example) {
		t.Fatal(`the list resource's example no longer filters by name_regex = "^ci-"`)
	}
	var listsBefore int
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		TerraformVersionChecks:   queryVersions,
		Steps: []resource.TestStep{
			{
				// terraform query needs a configuration with the provider.
				Config: acctest.ProviderConfig(srv),
			},
			{
				PreConfig: func() { listsBefore = srv.RequestCounts()["GET /v1/api-keys"] },
				Query:     true,
				Config: `
list "plexmcp_api_key" "active" {
  provider = plexmcp
  limit    = 1000
  config {
    name_regex = "^team-"
    status     = "active"
  }
}

list "plexmcp_api_key" "revoked_b" {
  provider = plexmcp
  config {
    name_regex = "^team-b-"
    status     = "revoked"
  }
}

list "plexmcp_api_key" "team_a" {
  provider         = plexmcp
  include_resource = true
  limit            = 1000
  config {
    name_regex = "^team-a-"
  }
}
` + exampleBlock,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("plexmcp_api_key.ci", len(active)),
					listed("plexmcp_api_key.ci", active),
					querycheck.ExpectLength("plexmcp_api_key.active", len(active)),
					listed("plexmcp_api_key.active", active),
					querycheck.ExpectLength("plexmcp_api_key.revoked_b", len(revokedB)),
					listed("plexmcp_api_key.revoked_b", revokedB),
					querycheck.ExpectLength("plexmcp_api_key.team_a", len(teamA)),
					listed("plexmcp_api_key.team_a", teamA),
					querycheck.ExpectIdentity("plexmcp_api_key.team_a", map[string]knownvalue.Check{"id": knownvalue.StringExact(withExpiry.id)}),
					known(withExpiry, map[string]knownvalue.Check{
						"name":       knownvalue.StringExact(withExpiry.name),
						"status":     knownvalue.StringExact(plexmcp.StatusActive),
						"all_mcps":   knownvalue.Null(),
						"mcp_ids":    knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(acctest.MCPID(srv, acctest.MCPWeather)), knownvalue.StringExact(acctest.MCPID(srv, acctest.MCPCalculator))}),
						"expires_at": knownvalue.StringExact(withExpiry.expiresAt.Format(time.RFC3339)),
						"key":        knownvalue.Null(),
					}),
					known(plain, map[string]knownvalue.Check{
						"name":       knownvalue.StringExact(plain.name),
						"all_mcps":   knownvalue.Bool(true),
						"mcp_ids":    knownvalue.Null(),
						"expires_at": knownvalue.Null(),
					}),
					// More pages than the three list blocks: the provider paged.
					queryCheckFunc(func() error {
						if n := srv.RequestCounts()["GET /v1/api-keys"] - listsBefore; n < 4 {
							return fmt.Errorf("the query asked for %d page(s) of keys; three lists of 120, 15 and 75 keys need 4 or more", n)
						}
						return nil
					}),
				},
			},
		},
	})
}

// terraform query -generate-config-out writes a resource and an import
// block for each key it finds; applying them adopts the keys as they are.
// The plan afterwards is empty and the server holds the same keys, none
// replaced, changed or revoked (it saw no create, update or revoke).
func TestAccAPIKeyListResource_generateConfig(t *testing.T) {
	dir := t.TempDir()
	cli := acctest.NewCLI(t, dir, tfversion.Version1_14_0)
	srv := acctest.StartAPI(t, refserver.APIHosted)
	keys := seedKeys(t, srv)
	want := idsOf(keys, func(k seededKey) bool { return !k.revoked && strings.HasPrefix(k.name, "team-a-") })
	files := map[string]string{
		"main.tf": acctest.ProviderConfig(srv),
		"keys.tfquery.hcl": `
list "plexmcp_api_key" "team_a" {
  provider         = plexmcp
  include_resource = true
  limit            = 1000
  config {
    name_regex = "^team-a-"
    status     = "active"
  }
}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before, countsBefore := serverKeys(srv), srv.RequestCounts()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	for _, args := range [][]string{
		{"init", "-input=false", "-no-color"},
		{"query", "-generate-config-out=generated.tf", "-no-color"},
	} {
		if _, err := cli.Run(ctx, args...); err != nil {
			t.Fatal(err)
		}
	}
	generated, err := os.ReadFile(filepath.Join(dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	resources := regexp.MustCompile(`(?m)^resource "plexmcp_api_key" "team_a_\d+" \{$`).FindAll(generated, -1)
	var imported []string
	for _, m := range regexp.MustCompile(`(?s)import \{.*?identity = \{\s*id = "([^"]+)"`).FindAllSubmatch(generated, -1) {
		imported = append(imported, string(m[1]))
	}
	slices.Sort(imported)
	if len(resources) != len(want) {
		t.Errorf("generated.tf has %d plexmcp_api_key resources, want %d", len(resources), len(want))
	}
	if diff := cmp.Diff(want, imported); diff != "" {
		t.Fatalf("generated.tf imports other keys than the active team-a ones (-want +got):\n%s", diff)
	}

	if out, err := cli.Run(ctx, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		t.Fatal(err)
	} else if !strings.Contains(out, fmt.Sprintf("Resources: %d imported, 0 added, 0 changed, 0 destroyed.", len(want))) {
		t.Fatalf("the apply did more or less than import %d keys:\n%s", len(want), out)
	}
	if _, err := cli.Run(ctx, "plan", "-detailed-exitcode", "-input=false", "-no-color"); err != nil {
		t.Fatalf("the plan after adopting the keys is not empty: %v", err)
	}
	if diff := cmp.Diff(before, serverKeys(srv)); diff != "" {
		t.Errorf("adopting the keys changed them on the server (-before +after):\n%s", diff)
	}
	for route, n := range srv.RequestCounts() {
		isKeyWrite := strings.Contains(route, "/api-keys") && !strings.HasPrefix(route, "GET ")
		if isKeyWrite && n != countsBefore[route] {
			t.Errorf("the server saw %d %s request(s) while the keys were adopted", n-countsBefore[route], route)
		}
	}
}

// On a PlexMCP server, whose key list is empty for every API key, terraform
// query fails with the provider's refusal, not an empty result, and never
// asks the server for the list.
func TestAccAPIKeyListResource_refusedByServer(t *testing.T) {
	srv := acctest.StartAPI(t, refserver.APIServer)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		TerraformVersionChecks:   queryVersions,
		Steps: []resource.TestStep{
			{Config: acctest.ProviderConfig(srv)},
			{
				Query: true,
				Config: `
list "plexmcp_api_key" "all" {
  provider = plexmcp
  config {
    status = "active"
  }
}
`,
				ExpectError: acctest.Message("Listing API Keys Not Supported by a PlexMCP Server",
					"lists no keys to an API-key caller", "would find nothing and be wrong",
					"Import keys one at a time by id instead"),
			},
		},
	})
	if n := srv.RequestCounts()["GET /api/v1/api-keys"]; n != 0 {
		t.Errorf("the server was asked for its key list %d time(s); the refusal must be the provider's own", n)
	}
}

// serverKey is what adopting a key must not change on the server.
type serverKey struct {
	ID, Name, Description, Status, Digest string
	AllMCPs                               bool
	MCPIDs                                []string
	ExpiresAt, RevokedAt                  *time.Time
	UpdatedAt                             time.Time
}

// serverKeys is the server's record of every key, less usage.
func serverKeys(srv *refserver.Running) []serverKey {
	var out []serverKey
	for _, k := range srv.APIKeys() {
		out = append(out, serverKey{
			ID: k.ID, Name: k.Name, Description: k.Description, Status: k.Status, Digest: k.Digest,
			AllMCPs: k.AllMCPs, MCPIDs: k.MCPIDs, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, UpdatedAt: k.UpdatedAt,
		})
	}
	return out
}

// expectFoundIDs checks that a list block found exactly the keys want, by
// the ids in their identities.
type expectFoundIDs struct {
	addr string
	want []string
}

func (e expectFoundIDs) CheckQuery(_ context.Context, req querycheck.CheckQueryRequest, resp *querycheck.CheckQueryResponse) {
	var got []string
	for _, r := range req.Query {
		if strings.TrimPrefix(r.Address, "list.") == e.addr {
			id, _ := r.Identity["id"].(string)
			got = append(got, id)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(e.want, got); diff != "" {
		resp.Error = fmt.Errorf("%s found other keys than expected (-want +got):\n%s", e.addr, diff)
	}
}

// queryCheckFunc adapts a function that reads the server to a query check.
type queryCheckFunc func() error

func (f queryCheckFunc) CheckQuery(_ context.Context, _ querycheck.CheckQueryRequest, resp *querycheck.CheckQueryResponse) {
	resp.Error = f()
}
