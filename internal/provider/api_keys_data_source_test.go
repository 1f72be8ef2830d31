package provider_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// More keys than fit on one page (the client asks for 100) all come back,
// in the API's order; status filters on the server, name_regex here, and
// the second organisation's key never appears.
func TestAccAPIKeysDataSource_pagination(t *testing.T) {
	const total = 105
	srv := acctest.StartAPI(t, refserver.APIHosted) // The only API that lists keys to API keys.
	ctx := context.Background()
	admin := acctest.AdminClient(t, srv)
	byName := map[string]string{}
	for i := range total {
		name := fmt.Sprintf("bulk-%03d", i)
		k, err := admin.CreateAPIKey(ctx, plexmcp.CreateAPIKeyRequest{Name: name, Permissions: plexmcp.Permissions{AllMCPs: true}})
		if err != nil {
			t.Fatalf("creating %s: %v", name, err)
		}
		byName[name] = k.ID
	}
	for _, name := range []string{"bulk-007", "bulk-050", "bulk-104"} {
		if err := admin.RevokeAPIKey(ctx, byName[name]); err != nil {
			t.Fatalf("revoking %s: %v", name, err)
		}
	}
	other, err := acctest.SecondOrgClient(t, srv).CreateAPIKey(ctx, plexmcp.CreateAPIKeyRequest{
		Name: "bulk-other-org", Permissions: plexmcp.Permissions{AllMCPs: true},
	})
	if err != nil {
		t.Fatalf("creating the second organisation's key: %v", err)
	}

	first := ""
	for _, k := range srv.APIKeys() {
		if k.Name == "bulk-000" {
			first = k.OrgID
		}
	}
	// The server's records, in its listing order (created_at, then id), are
	// what every list must match element by element.
	idsWhere := func(keep func(refserver.KeyRecord) bool, extra map[string]knownvalue.Check) knownvalue.Check {
		var checks []knownvalue.Check
		for _, k := range srv.APIKeys() {
			if k.ID == other.ID || k.OrgID != first || !keep(k) {
				continue
			}
			obj := map[string]knownvalue.Check{"id": knownvalue.StringExact(k.ID), "name": knownvalue.StringExact(k.Name)}
			for attr, c := range extra {
				obj[attr] = c
			}
			checks = append(checks, knownvalue.ObjectPartial(obj))
		}
		return knownvalue.ListExact(checks)
	}
	all := func(refserver.KeyRecord) bool { return true }
	revoked := func(k refserver.KeyRecord) bool { return k.Status == plexmcp.StatusRevoked }
	apiKeys := tfjsonpath.New("api_keys")

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		Steps: []resource.TestStep{{
			Config: acctest.ProviderConfig(srv) + `
data "plexmcp_api_keys" "all" {}

data "plexmcp_api_keys" "revoked" {
  status = "revoked"
}

data "plexmcp_api_keys" "active" {
  status = "active"
}

data "plexmcp_api_keys" "first_ten" {
  name_regex = "^bulk-00\\d$"
}

data "plexmcp_api_keys" "first_ten_revoked" {
  status     = "revoked"
  name_regex = "^bulk-00\\d$"
}

data "plexmcp_api_keys" "none" {
  name_regex = "^no-such-key$"
}

# Read exactly as often as each list above, in one request every time: it
# counts the reads for the page check after the test.
data "plexmcp_mcps" "probe" {}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				// Every key, the provider's own (bootstrap) key included.
				statecheck.ExpectKnownValue("data.plexmcp_api_keys.all", apiKeys, knownvalue.ListSizeExact(total+1)),
				statecheck.ExpectKnownValue("data.plexmcp_api_keys.all", apiKeys, idsWhere(all, nil)),
				statecheck.ExpectKnownValue("data.plexmcp_api_keys.revoked", apiKeys, knownvalue.ListSizeExact(3)),
				statecheck.ExpectKnownValue("data.plexmcp_api_keys.revoked", apiKeys, idsWhere(revoked, map[string]knownvalue.Check{
					"status":     knownvalue.StringExact(plexmcp.StatusRevoked),
					"revoked_at": knownvalue.NotNull(),
				})),
				statecheck.ExpectKnownValue("data.plexmcp_api_keys.active", apiKeys, knownvalue.ListSizeExact(total+1-3)),
				statecheck.ExpectKnownValue("data.plexmcp_api_keys.first_ten", apiKeys, knownvalue.ListSizeExact(10)),
				statecheck.ExpectKnownValue("data.plexmcp_api_keys.first_ten_revoked", apiKeys, knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id":          knownvalue.StringExact(byName["bulk-007"]),
						"name":        knownvalue.StringExact("bulk-007"),
						"description": knownvalue.StringExact(""),
						"key_prefix":  knownvalue.StringRegexp(keyPrefixPattern[refserver.APIHosted]),
						"all_mcps":    knownvalue.Bool(true),
						"mcp_ids":     knownvalue.Null(),
						"status":      knownvalue.StringExact(plexmcp.StatusRevoked),
						"expires_at":  knownvalue.Null(),
						"created_at":  knownvalue.NotNull(),
						"updated_at":  knownvalue.NotNull(),
						"last_used":   knownvalue.Null(),
						"revoked_at":  knownvalue.NotNull(),
						"usage": knownvalue.ObjectExact(map[string]knownvalue.Check{
							"total_requests": knownvalue.Int64Exact(0), "requests_today": knownvalue.Int64Exact(0),
							// A list reports today's count only; one key, all of them.
							"requests_this_week": knownvalue.Null(), "requests_this_month": knownvalue.Null(),
						}),
						"rate_limit_rpm":  knownvalue.Null(),
						"created_by":      knownvalue.Null(),
						"recent_activity": knownvalue.Null(),
					}),
				})),
				statecheck.ExpectKnownValue("data.plexmcp_api_keys.none", apiKeys, knownvalue.ListSizeExact(0)),
				expectNoSecretIn("data.plexmcp_api_keys.all"),
			},
		}},
	})

	// 106 keys cannot come back in one page of at most 100: the six lists
	// above took more requests than there were reads of them.
	counts := srv.RequestCounts()
	pages, reads := counts["GET /v1/api-keys"], counts["GET /v1/mcps"]
	t.Logf("GET /v1/api-keys: %d requests; reads of each list: %d", pages, reads)
	if pages < 2 || reads == 0 || pages <= 6*reads {
		t.Errorf("the server answered GET /v1/api-keys %d time(s) for %d reads of 6 lists; listing %d keys needs more than one page",
			pages, reads, total)
	}
}
