package provider_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

const keyAddr = "plexmcp_api_key.test"

const day = 24 * time.Hour

// keyConfig renders one plexmcp_api_key with the given body.
func keyConfig(srv *refserver.Running, body string) string {
	return acctest.ProviderConfig(srv) + fmt.Sprintf(`
resource "plexmcp_api_key" "test" {
%s
}
`, body)
}

// mcpIDs renders the ids of the named seeded MCPs, under srv's API, as an
// HCL list.
func mcpIDs(srv *refserver.Running, names ...string) string {
	quoted := make([]string, 0, len(names))
	for _, n := range names {
		quoted = append(quoted, fmt.Sprintf("%q", acctest.MCPID(srv, n)))
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// keyPrefixPattern is the public prefix each API shows: the key's first
// 12 characters (hosted), or its first 17 and "..." (a PlexMCP server).
var keyPrefixPattern = map[string]*regexp.Regexp{
	refserver.APIHosted: regexp.MustCompile(`^pmcp_01[0-9a-f]{5}$`),
	refserver.APIServer: regexp.MustCompile(`^pmcp_01[0-9a-f]{10}\.\.\.$`),
}

// checkNoActiveKeys is the CheckDestroy of every test: destroy must revoke
// (or, on a PlexMCP server, delete) every key it created, as the server
// sees it.
func checkNoActiveKeys(srv *refserver.Running) resource.TestCheckFunc {
	return func(*terraform.State) error { return acctest.ExpectNoActiveKeys(srv) }
}

// testClock is a provider clock a test can move forward between steps.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time      { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) set(d time.Duration) { c.offset.Store(int64(d)) }

// moveClocks moves the provider's and the server's clocks together, as
// real clocks move.
func moveClocks(clock *testClock, srv *refserver.Running, d time.Duration) {
	clock.set(d)
	srv.SetClockOffset(d)
}

// requestOrder reports where in an access log the first line matching
// each pattern is, so a test can prove one request came before another.
func requestOrder(log string, patterns ...*regexp.Regexp) []int {
	lines := strings.Split(log, "\n")
	out := make([]int, len(patterns))
	for i, p := range patterns {
		out[i] = -1
		for n, line := range lines {
			if p.MatchString(line) {
				out[i] = n
				break
			}
		}
	}
	return out
}

// digest is the hex SHA-256 that the reference server keeps of a key.
func digest(key string) string {
	d := sha256.Sum256([]byte(key))
	return hex.EncodeToString(d[:])
}

// expectReplacedBecauseOf checks that the plan replaces addr because of
// attribute: what Terraform shows as "# forces replacement" on that line.
func expectReplacedBecauseOf(addr, attribute string) plancheck.PlanCheck {
	return replacedBecauseOf{addr: addr, attribute: attribute}
}

type replacedBecauseOf struct{ addr, attribute string }

func (c replacedBecauseOf) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr || rc.Change == nil {
			continue
		}
		for _, p := range rc.Change.ReplacePaths {
			if steps, ok := p.([]any); ok && len(steps) > 0 && steps[0] == c.attribute {
				return
			}
		}
		resp.Error = fmt.Errorf("%s is not replaced because of %s (replace paths %v)", c.addr, c.attribute, rc.Change.ReplacePaths)
		return
	}
	resp.Error = fmt.Errorf("%s is not in the plan", c.addr)
}

// fullKeyPattern matches a secret key, but not the 12-character prefix
// that is safe to show.
var fullKeyPattern = regexp.MustCompile(`pmcp_[0-9a-f]{13,}|pk_(live|test)_[A-Za-z0-9]{5,}`)

// expectNoSecretIn fails if the object at addr has a key attribute, at any
// depth, or holds anything longer than a key prefix that looks like a key.
func expectNoSecretIn(addr string) statecheck.StateCheck {
	return acctest.StateCheckFunc(func(_ context.Context, state *tfjson.State) error {
		for _, r := range acctest.Resources(state) {
			if r.Address == addr {
				return findSecret(addr, r.AttributeValues, fullKeyPattern.MatchString)
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
