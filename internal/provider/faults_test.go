package provider_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// These tests run many keys through an unreliable or throttled reference
// server and prove, from the server's own records and access log, that
// Terraform and the server still agree afterwards.

// faultKeyCount is how many keys the fault and throttling tests manage: four
// times Terraform's default parallelism, so every operation overlaps others.
const faultKeyCount = 40

// keysConfig is count keys named prefix-0 … prefix-(count-1), each allowed
// every MCP.
func keysConfig(provider, name string, count int) string {
	return provider + fmt.Sprintf(`
resource "plexmcp_api_key" %[1]q {
  count    = %[2]d
  name     = "%[1]s-${count.index}"
  all_mcps = true
}
`, name, count)
}

// providerConfigRetries is acctest.ProviderConfig with another max_retries.
// The management key comes from PLEXMCP_API_KEY, as in every test.
func providerConfigRetries(srv *refserver.Running, maxRetries int) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    plexmcp = {
      source = "plexmcp/plexmcp"
    }
  }
}

provider "plexmcp" {
  base_url    = %[1]q
  max_retries = %[2]d
}
`, srv.BaseURL, maxRetries)
}

func TestAccAPIKeyResource_faults(t *testing.T) {
	var accessLog lockedBuffer
	srv := acctest.Start(t, refserver.Config{FailRate: 0.3, Seed: 20260226, AccessLog: &accessLog})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		// Destroy runs under the same faults as everything else.
		CheckDestroy: checkAllRevoked(srv),
		Steps: []resource.TestStep{{
			Config: keysConfig(acctest.ProviderConfig(srv), "fault", faultKeyCount),
			ConfigStateChecks: []statecheck.StateCheck{
				expectServerMatchesState(srv, "fault", faultKeyCount),
				// The apply above must really have been hit by both faults,
				// or the check before it proves nothing.
				adHocCheck(func(context.Context, *tfjson.State) error {
					st := parseAccessLog(accessLog.String())
					if st.status("503") == 0 || st.droppedCreates == 0 {
						return fmt.Errorf("the apply saw %d injected 503s and %d creates dropped after commit; want both > 0", st.status("503"), st.droppedCreates)
					}
					return nil
				}),
			},
			// The harness's post-apply plan (with refresh, under faults) must
			// be empty: that is its default and stays so here.
		}},
	})
	st := parseAccessLog(accessLog.String())
	t.Logf("under a 30%% fail rate: %d requests, %d answered 503, %d creates committed and dropped, %d POST /v1/api-keys for %d keys",
		st.total, st.status("503"), st.droppedCreates, st.creates, faultKeyCount)
}

// A create whose every attempt fails must fail the apply without leaving a
// key on the server that Terraform does not know about. With a fail rate of
// 1.0 half of the create attempts commit and then lose their answer, and no
// idempotent replay can get through to recover the key, so the provider can
// only stay consistent by recording what it sent (so that a later run can
// find the key) or by not leaving the key behind.
func TestAccAPIKeyResource_createRetriesExhausted(t *testing.T) {
	var accessLog lockedBuffer
	// With one key the fault draws are sequential, so this seed always
	// drops the first create after committing it (checked below).
	srv := acctest.Start(t, refserver.Config{FailRate: 1.0, Seed: 7, AccessLog: &accessLog})
	workRoot := t.TempDir()
	config := keysConfig(providerConfigRetries(srv, 1), "exhausted", 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		WorkingDir:               workRoot,
		CheckDestroy:             checkAllRevoked(srv),
		Steps: []resource.TestStep{
			{
				Config:      config,
				ExpectError: regexp.MustCompile(`Error Creating PlexMCP API Key`),
			},
			{
				// Right after the failed apply, every active key on the
				// server must be one that state knows of, by its id or by a
				// record of the unfinished create (the provider saves that
				// as a tainted instance with a pending id, settled by the
				// next apply, which replays the create and revokes the key).
				PreConfig: func() {
					st := parseAccessLog(accessLog.String())
					if st.droppedCreates == 0 {
						t.Fatalf("no create was dropped after committing (%d POSTs, %d answered 503): the test no longer exercises the case it is about; pick another Seed",
							st.creates, st.status("503"))
					}
					ids, err := stateKeyIDs(workRoot)
					if err != nil {
						t.Fatal(err)
					}
					// An instance whose id the server does not know is a
					// record of an unfinished create; it may stand for one
					// key that state cannot name yet.
					onServer := map[string]bool{}
					for _, k := range srv.APIKeys() {
						onServer[k.ID] = true
					}
					placeholders := 0
					for _, id := range ids {
						if !onServer[id] {
							placeholders++
						}
					}
					var orphans []refserver.KeyRecord
					for _, k := range acctest.ActiveKeys(srv) {
						if !slices.Contains(ids, k.ID) {
							orphans = append(orphans, k)
						}
					}
					if len(orphans) > placeholders {
						t.Errorf("after the failed apply, state holds %d plexmcp_api_key instance(s) (%d unresolved) but the server "+
							"%d active key(s) that state does not name: %s. The server committed a create whose answer was lost "+
							"(%d of %d POST /v1/api-keys attempts were dropped without an answer), no replay got through, and "+
							"the provider recorded nothing, so no later apply or destroy can find the key to revoke it",
							len(ids), placeholders, len(orphans), describeKeys(orphans), st.droppedCreates, st.creates)
					}
				},
				// While the server still fails everything, the pending key
				// cannot be settled: the apply fails and says so, and the
				// record stays in state rather than being dropped.
				Config:      config,
				ExpectError: regexp.MustCompile(`PlexMCP API Key May Still Exist`),
			},
			{
				PreConfig: func() {
					ids, err := stateKeyIDs(workRoot)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.ContainsFunc(ids, func(id string) bool { return strings.HasPrefix(id, "pending:") }) {
						t.Fatalf("after a failed settlement, state holds %q, want the pending record kept", ids)
					}
					srv.SetFailRate(0)
				},
				// Once the server recovers, the same configuration applies,
				// and the server must hold exactly the key in state: an
				// orphan from the failed apply shows up here as a second
				// key named exhausted-0.
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					expectServerMatchesState(srv, "exhausted", 1),
				},
			},
		},
	})
}

// stateKeyIDs reads the ids of the plexmcp_api_key instances in the state
// file of the harness's working directory under workRoot ("" for a null id).
func stateKeyIDs(workRoot string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(workRoot, "work*", "terraform.tfstate"))
	if err != nil || len(paths) > 1 {
		return nil, fmt.Errorf("finding the harness's state under %s: %v (%v)", workRoot, paths, err)
	}
	if len(paths) == 0 {
		return nil, nil
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		return nil, err
	}
	var state struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Attributes struct {
					ID *string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &state); err != nil {
		return nil, fmt.Errorf("reading %s: %w", paths[0], err)
	}
	var ids []string
	for _, r := range state.Resources {
		if r.Type != "plexmcp_api_key" {
			continue
		}
		for _, inst := range r.Instances {
			id := ""
			if inst.Attributes.ID != nil {
				id = *inst.Attributes.ID
			}
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func TestAccAPIKeyResource_throttled(t *testing.T) {
	var accessLog lockedBuffer
	srv := acctest.Start(t, refserver.Config{RateLimit: 5, AccessLog: &accessLog})
	// Pacing works when the provider waits for the server's refill instead
	// of finding the empty bucket by a 429. A few 429s are fair (a fresh
	// provider process knows nothing until its first answer); more than one
	// request in ten means the callers collide.
	checkFew429s := func(phase string) error {
		st := parseAccessLog(accessLog.String())
		if st.total == 0 {
			return fmt.Errorf("%s: the access log is empty", phase)
		}
		if n := st.status("429"); n*10 > st.total {
			return fmt.Errorf("%s: %d of %d requests were answered 429; want at most 10%%", phase, n, st.total)
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		CheckDestroy: func(s *terraform.State) error {
			if err := checkAllRevoked(srv)(s); err != nil {
				return err
			}
			return checkFew429s("apply, plan and destroy")
		},
		Steps: []resource.TestStep{{
			Config: keysConfig(acctest.ProviderConfig(srv), "throttle", faultKeyCount),
			ConfigStateChecks: []statecheck.StateCheck{
				expectServerMatchesState(srv, "throttle", faultKeyCount),
				adHocCheck(func(context.Context, *tfjson.State) error { return checkFew429s("apply") }),
			},
		}},
	})
	st := parseAccessLog(accessLog.String())
	t.Logf("at 5 requests/s: %d requests, %d answered 429", st.total, st.status("429"))
}

// expectServerMatchesState proves that the server's active keys are exactly
// the keys in state: the same ids, named prefix-0 … prefix-(n-1), each once.
// A key that a retried create made twice, or committed without Terraform
// learning of it, shows up as an extra key.
func expectServerMatchesState(srv *refserver.Running, prefix string, n int) statecheck.StateCheck {
	return adHocCheck(func(_ context.Context, state *tfjson.State) error {
		var stateIDs []string
		if state != nil && state.Values != nil && state.Values.RootModule != nil {
			for _, r := range state.Values.RootModule.Resources {
				if r.Type == "plexmcp_api_key" && r.Mode == tfjson.ManagedResourceMode {
					id, _ := r.AttributeValues["id"].(string)
					stateIDs = append(stateIDs, id)
				}
			}
		}
		active := acctest.ActiveKeys(srv)
		var serverIDs []string
		names := map[string]int{}
		for _, k := range active {
			serverIDs = append(serverIDs, k.ID)
			names[k.Name]++
		}
		var problems []string
		if len(stateIDs) != n {
			problems = append(problems, fmt.Sprintf("state holds %d keys, want %d", len(stateIDs), n))
		}
		if len(active) != n {
			problems = append(problems, fmt.Sprintf("the server holds %d active keys, want %d", len(active), n))
		}
		for i := range n {
			name := fmt.Sprintf("%s-%d", prefix, i)
			if c := names[name]; c != 1 {
				problems = append(problems, fmt.Sprintf("%d active keys named %s", c, name))
			}
			delete(names, name)
		}
		for name, c := range names {
			problems = append(problems, fmt.Sprintf("%d unexpected active keys named %s", c, name))
		}
		sort.Strings(stateIDs)
		sort.Strings(serverIDs)
		if !slices.Equal(stateIDs, serverIDs) {
			var orphans []string
			for _, id := range serverIDs {
				if _, found := slices.BinarySearch(stateIDs, id); !found {
					orphans = append(orphans, id)
				}
			}
			problems = append(problems, fmt.Sprintf("the server's active keys are not the keys in state; active on the server only: %v", orphans))
		}
		if len(problems) > 0 {
			return fmt.Errorf("server and state disagree: %s", strings.Join(problems, "; "))
		}
		return nil
	})
}

// describeKeys names keys by id and name, never by secret.
func describeKeys(keys []refserver.KeyRecord) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s (%q, %s…)", k.ID, k.Name, k.KeyPrefix))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// adHocCheck adapts a function to statecheck.StateCheck, for checks that
// read the server, a file or a log rather than state.
type adHocCheck func(ctx context.Context, state *tfjson.State) error

func (f adHocCheck) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f(ctx, req.State)
}

// lockedBuffer is an io.Writer for the reference server's access log that a
// test may read while the server writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// accessLogStats counts the reference server's access log lines,
// "METHOD PATH STATUS DURATION", where STATUS is "-" for a connection that
// was dropped without an answer.
type accessLogStats struct {
	total    int
	byStatus map[string]int
	// creates counts POST /v1/api-keys attempts; droppedCreates those
	// among them that lost their answer (after the server committed or
	// replayed the key).
	creates, droppedCreates int
}

func parseAccessLog(s string) accessLogStats {
	st := accessLogStats{byStatus: map[string]int{}}
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) != 4 || !strings.HasPrefix(f[1], "/") {
			continue
		}
		st.total++
		st.byStatus[f[2]]++
		if f[0] == "POST" && f[1] == "/v1/api-keys" {
			st.creates++
			if f[2] == "-" {
				st.droppedCreates++
			}
		}
	}
	return st
}

func (s accessLogStats) status(code string) int { return s.byStatus[code] }
