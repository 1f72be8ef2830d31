package provider_test

import (
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
	"time"

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

// keysConfig is providerHCL (the terraform and provider blocks) and count
// keys named name-0 … name-(count-1), each allowed every MCP.
func keysConfig(providerHCL, name string, count int) string {
	return providerHCL + fmt.Sprintf(`
resource "plexmcp_api_key" %[1]q {
  count    = %[2]d
  name     = "%[1]s-${count.index}"
  all_mcps = true
}
`, name, count)
}

// On the hosted API a create whose answer is lost is found and settled by
// the client, with the Idempotency-Key honoured (as the reference server
// does) or ignored (as the real API may, since it is not documented): the
// apply succeeds and the server holds exactly the keys in state.
func TestAccAPIKeyResource_faults(t *testing.T) {
	for name, ignore := range map[string]bool{"idempotency honoured": false, "idempotency ignored": true} {
		t.Run(name, func(t *testing.T) {
			var accessLog acctest.SyncBuffer
			srv := acctest.Start(t, refserver.Config{
				API: refserver.APIHosted, FailRate: 0.3, IgnoreIdempotencyKey: ignore, AccessLog: &accessLog,
			})
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.Factories(),
				// Destroy runs under the same faults as everything else.
				CheckDestroy: checkNoActiveKeys(srv),
				Steps: []resource.TestStep{{
					Config: keysConfig(acctest.ProviderConfig(srv), "fault", faultKeyCount),
					ConfigStateChecks: []statecheck.StateCheck{
						expectServerMatchesState(srv, "fault", faultKeyCount),
						// The apply above must really have been hit by both
						// faults, or the check before it proves nothing.
						acctest.StateCheckFunc(func(context.Context, *tfjson.State) error {
							st := parseAccessLog(accessLog.String())
							if st.status("503") == 0 || st.droppedCreates == 0 {
								return fmt.Errorf("the apply saw %d injected 503s and %d creates dropped after commit; want both > 0",
									st.status("503"), st.droppedCreates)
							}
							return nil
						}),
					},
					// The harness's post-apply plan (with refresh, under
					// faults) must be empty: that is its default.
				}},
			})
			st := parseAccessLog(accessLog.String())
			t.Logf("under a 30%% fail rate: %d requests, %d answered 503, %d creates committed and dropped, %d creates for %d keys",
				st.total, st.status("503"), st.droppedCreates, st.creates, faultKeyCount)
		})
	}
}

// A PlexMCP server's creates are not idempotent, so the provider never
// resends one that may have reached the server: an ambiguous create fails
// the apply with an error that names the key. Under 30% faults, applies are
// repeated as a user would; at every point, each key of the server (counted
// in its store, as its API lists none to API keys) is either in state or
// was named in such an error, and no name ever has more keys than that
// explains. Removing the named keys, as the errors say, leaves the server
// and state in agreement.
func TestAccAPIKeyResource_faultsServer(t *testing.T) {
	const keys = 20
	var accessLog acctest.SyncBuffer
	srv := acctest.Start(t, refserver.Config{API: refserver.APIServer, FailRate: 0.3, AccessLog: &accessLog})
	workRoot := t.TempDir()
	config := keysConfig(acctest.ProviderConfig(srv), "fault", keys)

	var (
		mu sync.Mutex
		// reported counts the keys each name may have left behind, from
		// the errors of the applies so far.
		reported = map[string]int{}
		failed   int
	)
	uncertain := regexp.MustCompile(`creating API key "([^"]+)" failed after the request reached the server, so a\s+key named`)
	// errorCheck accepts an apply that failed only because of creates that
	// may have made a key, and records which.
	errorCheck := func(err error) error {
		text := strings.Join(strings.Fields(err.Error()), " ")
		found := uncertain.FindAllStringSubmatch(text, -1)
		if len(found) == 0 || strings.Count(text, "Error: ") != len(found) {
			return fmt.Errorf("the apply failed for another reason than uncertain creates: %w", err)
		}
		mu.Lock()
		defer mu.Unlock()
		failed++
		for _, m := range found {
			reported[m[1]]++
		}
		return nil
	}
	// explained checks the invariant: every key of the server is in state
	// or was reported, and no name has more keys than that allows.
	explained := func() error {
		ids, err := stateKeyIDs(workRoot)
		if err != nil {
			return err
		}
		byName := map[string][]string{}
		for _, k := range acctest.ActiveKeys(srv) {
			byName[k.Name] = append(byName[k.Name], k.ID)
		}
		mu.Lock()
		defer mu.Unlock()
		var problems []string
		for name, found := range byName {
			inState := 0
			for _, id := range found {
				if slices.Contains(ids, id) {
					inState++
				}
			}
			if len(found)-inState > reported[name] {
				problems = append(problems, fmt.Sprintf("%s: %d key(s) on the server, %d in state, %d reported as possibly made",
					name, len(found), inState, reported[name]))
			}
		}
		sort.Strings(problems)
		if len(problems) > 0 {
			return fmt.Errorf("keys nobody was told about: %s", strings.Join(problems, "; "))
		}
		return nil
	}
	steps := make([]resource.TestStep, 0, 12)
	for range 10 {
		steps = append(steps, resource.TestStep{
			PreConfig: func() {
				if err := explained(); err != nil {
					t.Fatal(err)
				}
			},
			// An apply that fails only because of uncertain creates passes
			// errorCheck; one that succeeds must plan empty afterwards, under
			// faults too.
			Config: config,
		})
	}
	// Faults end; the user removes the keys the errors named and that state
	// does not hold, and the next apply leaves the server and state equal.
	steps = append(steps, resource.TestStep{
		PreConfig: func() {
			if err := explained(); err != nil {
				t.Fatal(err)
			}
			srv.SetFailRate(0)
			ids, err := stateKeyIDs(workRoot)
			if err != nil {
				t.Fatal(err)
			}
			admin := acctest.AdminClient(t, srv)
			for _, k := range acctest.ActiveKeys(srv) {
				if !slices.Contains(ids, k.ID) {
					if err := admin.RevokeAPIKey(context.Background(), k.ID); err != nil {
						t.Fatalf("removing %s as the error said: %v", k.ID, err)
					}
				}
			}
		},
		Config:            config,
		ConfigStateChecks: []statecheck.StateCheck{expectServerMatchesState(srv, "fault", keys)},
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		WorkingDir:               workRoot,
		ErrorCheck:               errorCheck,
		CheckDestroy:             checkNoActiveKeys(srv),
		Steps:                    steps,
	})
	st := parseAccessLog(accessLog.String())
	t.Logf("under a 30%% fail rate: %d failed applies reported %d possible keys; %d creates, %d committed and dropped",
		failed, len(reported), st.creates, st.droppedCreates)
	if failed == 0 || st.droppedCreates == 0 {
		t.Errorf("%d applies failed and %d creates were dropped after commit; the faults never hit what this test is about", failed, st.droppedCreates)
	}
}

// A create whose every attempt fails, on the hosted API, must fail the
// apply without leaving a key on the server that Terraform does not know
// about. With a fail rate of 1.0 the create commits and then loses its
// answer, and the client cannot even list keys to settle it: the provider
// records the create as pending, and settles it once the server recovers.
func TestAccAPIKeyResource_createRetriesExhausted(t *testing.T) {
	var accessLog acctest.SyncBuffer
	// With one key the fault draws are sequential, so this seed drops the
	// first create after committing it (checked below).
	srv := acctest.Start(t, refserver.Config{
		API: refserver.APIHosted, FailRate: 1.0, Seed: 7, IgnoreIdempotencyKey: true, AccessLog: &accessLog,
	})
	workRoot := t.TempDir()
	config := keysConfig(acctest.ProviderConfigRetries(srv, 1), "exhausted", 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		WorkingDir:               workRoot,
		CheckDestroy:             checkNoActiveKeys(srv),
		Steps: []resource.TestStep{
			{
				Config:      config,
				ExpectError: regexp.MustCompile(`PlexMCP API Key Recorded As Pending`),
			},
			{
				// Right after the failed apply, every active key on the
				// server is one that state knows of, by id or by a pending
				// record of the unfinished create.
				PreConfig: func() {
					st := parseAccessLog(accessLog.String())
					if st.droppedCreates == 0 {
						t.Fatalf("no create was dropped after committing (%d creates, %d answered 503): the test no longer "+
							"exercises the case it is about; pick another Seed", st.creates, st.status("503"))
					}
					ids, err := stateKeyIDs(workRoot)
					if err != nil {
						t.Fatal(err)
					}
					if len(ids) != 1 || !strings.HasPrefix(ids[0], "pending:") {
						t.Fatalf("state holds %q after the failed create, want one pending record", ids)
					}
				},
				// While the server still fails everything, the pending create
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
					if len(ids) != 1 || !strings.HasPrefix(ids[0], "pending:") {
						t.Fatalf("after a failed settlement, state holds %q, want the pending record kept", ids)
					}
					if n := len(acctest.ActiveKeys(srv)); n != 1 {
						t.Fatalf("the server holds %d active key(s); want the one the dropped create made", n)
					}
					srv.SetFailRate(0)
				},
				// Once the server recovers, the same configuration applies:
				// the pending create is settled (its key revoked) and a new
				// key made, so the server holds exactly the key in state.
				Config:            config,
				ConfigStateChecks: []statecheck.StateCheck{expectServerMatchesState(srv, "exhausted", 1)},
			},
		},
	})
}

// On a PlexMCP server an ambiguous create is an error that names the key,
// says it may exist and how to find it, and records nothing; no retry of the
// provider's ever makes a second key.
func TestAccAPIKeyResource_createRetriesExhaustedServer(t *testing.T) {
	var accessLog acctest.SyncBuffer
	srv := acctest.Start(t, refserver.Config{API: refserver.APIServer, FailRate: 1.0, Seed: 7, AccessLog: &accessLog})
	workRoot := t.TempDir()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.Factories(),
		WorkingDir:               workRoot,
		CheckDestroy:             func(*terraform.State) error { return nil }, // The test removes the key itself.
		Steps: []resource.TestStep{{
			Config: keysConfig(acctest.ProviderConfigRetries(srv, 5), "exhausted", 1),
			ExpectError: regexp.MustCompile(`(?s)a\s+key\s+named\s+"exhausted-0"\s+may\s+have\s+been\s+made.*lists\s+no\s+keys.*` +
				`API\s+Keys\s+page.*DELETE\s+/api/v1/api-keys/\{id\}`),
		}},
	})
	st := parseAccessLog(accessLog.String())
	if st.creates != 1 {
		t.Errorf("the provider sent %d creates; after one that may have reached the server, it must send none", st.creates)
	}
	if ids, _ := stateKeyIDs(workRoot); len(ids) != 0 {
		t.Errorf("state holds %q; a PlexMCP server cannot settle a record, so there must be none", ids)
	}
	if n := len(acctest.ActiveKeys(srv)); n > 1 {
		t.Errorf("the server holds %d keys for one create", n)
	}
}

// Throttled by the server's rate limit, many parallel creates queue instead
// of failing: with X-RateLimit-* headers to pace by, without them (learning
// from 429 and Retry-After, as the hosted API documents), and on a PlexMCP
// server, whose 429 says nothing about when to come back.
func TestAccAPIKeyResource_throttled(t *testing.T) {
	for name, cfg := range map[string]refserver.Config{
		"hosted with headers":    {API: refserver.APIHosted, RateLimit: 5, RateLimitHeaders: true},
		"hosted without headers": {API: refserver.APIHosted, RateLimit: 5},
		"server":                 {API: refserver.APIServer, RateLimit: 5},
	} {
		t.Run(name, func(t *testing.T) {
			var accessLog acctest.SyncBuffer
			cfg.AccessLog = &accessLog
			srv := acctest.Start(t, cfg)
			start := time.Now()
			var applied time.Duration
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.Factories(),
				CheckDestroy:             checkNoActiveKeys(srv),
				Steps: []resource.TestStep{{
					Config: keysConfig(acctest.ProviderConfig(srv), "throttle", faultKeyCount),
					ConfigStateChecks: []statecheck.StateCheck{
						expectServerMatchesState(srv, "throttle", faultKeyCount),
						acctest.StateCheckFunc(func(context.Context, *tfjson.State) error {
							applied = time.Since(start)
							if st := parseAccessLog(accessLog.String()); st.status("429") == 0 && !cfg.RateLimitHeaders {
								return fmt.Errorf("no request was throttled (%d requests): the limit did not bite", st.total)
							}
							return nil
						}),
					},
				}},
			})
			// Speed is measured by make bench, side by side; this only
			// reports what this run saw.
			st := parseAccessLog(accessLog.String())
			t.Logf("at 5 requests/s: %d requests, %d answered 429; the apply and its checks took %s", st.total, st.status("429"), applied.Round(time.Millisecond))
		})
	}
}

// expectServerMatchesState proves that the server's active keys are exactly
// the keys in state: the same ids, named prefix-0 … prefix-(n-1), each once.
// A key that a retried create made twice, or committed without Terraform
// learning of it, shows up as an extra key.
func expectServerMatchesState(srv *refserver.Running, prefix string, n int) statecheck.StateCheck {
	return acctest.StateCheckFunc(func(_ context.Context, state *tfjson.State) error {
		stateIDs := acctest.ManagedKeyIDs(state)
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

// accessLogStats counts the reference server's access log lines,
// "METHOD PATH STATUS DURATION", where STATUS is "000" for a connection that
// the server dropped on purpose without an answer.
type accessLogStats struct {
	total    int
	byStatus map[string]int
	// creates counts create attempts; droppedCreates those among them
	// that lost their answer (after the server committed the key).
	creates, droppedCreates int
}

var createPath = regexp.MustCompile(`^(/api)?/v1/api-keys$`)

func parseAccessLog(s string) accessLogStats {
	st := accessLogStats{byStatus: map[string]int{}}
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		// A timestamp may come first.
		f = f[len(f)-4:]
		if !strings.HasPrefix(f[1], "/") {
			continue
		}
		st.total++
		st.byStatus[f[2]]++
		if f[0] == "POST" && createPath.MatchString(f[1]) {
			st.creates++
			if f[2] == "000" || f[2] == "-" {
				st.droppedCreates++
			}
		}
	}
	return st
}

func (s accessLogStats) status(code string) int { return s.byStatus[code] }
