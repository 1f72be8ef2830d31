package refserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The golden files pin the wire format for both the server (here) and the
// client (internal/plexmcp), which share no Go types. Each response
// fixture is reproduced against a live server and compared with the
// server's real answer: field names and JSON types exactly, and values
// exactly too except for the ones that vary per run (ids, secrets, times).
const fixtureDir = "../testdata/api"

// volatileFields vary per run; they are compared by type only.
var volatileFields = map[string]bool{
	"id": true, "key": true, "key_prefix": true,
	"created_at": true, "expires_at": true, "last_used_at": true, "revoked_at": true,
}

type golden struct {
	// exact: the whole body is deterministic, so compare every value.
	exact bool
	// produce makes a server give the fixture's answer.
	produce func(t *testing.T) *response
}

// goldenResponses maps each response fixture to the request that
// reproduces it.
func goldenResponses() map[string]golden {
	createCI := func(t *testing.T, ts *testServer) keyView {
		r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, "create_request.json")).wantStatus(t, http.StatusCreated)
		return decodeData[keyView](t, r)
	}
	use := func(t *testing.T, ts *testServer, key string, times int) {
		for range times {
			ts.do(t, "GET", "/mcps", key, nil).wantStatus(t, http.StatusOK)
		}
	}
	oldLaptop := func(t *testing.T, ts *testServer) keyView {
		k := ts.createKey(t, allMCPs("old-laptop"))
		use(t, ts, k.Key, 1)
		ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
		return k
	}
	return map[string]golden{
		"mcp.json": {exact: true, produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			return ts.do(t, "GET", "/mcps/mcp_weather", ts.AdminKey(), nil)
		}},
		"mcp_list.json": {exact: true, produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			return ts.do(t, "GET", "/mcps", ts.AdminKey(), nil)
		}},
		"api_key_created.json": {produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, "create_request.json"))
		}},
		"api_key.json": {produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			k := createCI(t, ts)
			use(t, ts, k.Key, 3)
			return ts.do(t, "GET", "/api-keys/"+k.ID, ts.AdminKey(), nil)
		}},
		"api_key_all_mcps.json": {produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, "create_request_all_mcps.json")).wantStatus(t, http.StatusCreated)
			return ts.do(t, "GET", "/api-keys/"+decodeData[keyView](t, r).ID, ts.AdminKey(), nil)
		}},
		"api_key_revoked.json": {produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			return ts.do(t, "GET", "/api-keys/"+oldLaptop(t, ts).ID, ts.AdminKey(), nil)
		}},
		"api_key_list.json": {produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			use(t, ts, createCI(t, ts).Key, 3)
			ts.SetClockOffset(time.Minute) // created a minute later, so listed second
			oldLaptop(t, ts)
			return ts.do(t, "GET", "/api-keys", ts.AdminKey(), nil)
		}},
		"invoke_response.json": {exact: true, produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			k := createCI(t, ts)
			return ts.do(t, "POST", "/mcp/invoke", k.Key, readFixture(t, "invoke_request.json"))
		}},
		"error_validation.json": {exact: true, produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"","permissions":{"mcps":"*"}}`)
		}},
		"error_unauthorized.json": {exact: true, produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			return ts.do(t, "GET", "/mcps", "pk_live_xxxxxxxx", nil)
		}},
		"error_forbidden.json": {exact: true, produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			k := ts.createKey(t, someMCPs("calculator only", "mcp_calculator"))
			return ts.do(t, "POST", "/mcp/invoke", k.Key, readFixture(t, "invoke_request.json"))
		}},
		"error_not_found.json": {exact: true, produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			return ts.do(t, "GET", "/api-keys/key_3kTMd9nQ2xWfA7bZp1Lc", ts.AdminKey(), nil)
		}},
		"error_conflict.json": {exact: true, produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			k := oldLaptop(t, ts)
			return ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), readFixture(t, "patch_request.json"))
		}},
		"error_idempotency_mismatch.json": {exact: true, produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{})
			ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, "create_request.json"), "Idempotency-Key", "k").wantStatus(t, http.StatusCreated)
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, "create_request_all_mcps.json"), "Idempotency-Key", "k")
		}},
		"error_rate_limited.json": {exact: true, produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{RateLimit: 1})
			clock := &fakeClock{t: time.Now()}
			ts.limiter.mu.Lock()
			ts.limiter.now = clock.now
			ts.limiter.mu.Unlock()
			ts.do(t, "GET", "/mcps", ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
			return ts.do(t, "GET", "/mcps", ts.AdminKey(), nil)
		}},
		"error_unavailable.json": {exact: true, produce: func(t *testing.T) *response {
			ts := newTestServer(t, Config{FailRate: 1})
			return ts.do(t, "GET", "/mcps", ts.AdminKey(), nil)
		}},
	}
}

// requestFixtures are bodies a client sends; the server must accept each.
var requestFixtures = map[string]struct{ method, path string }{
	"create_request.json":          {"POST", "/api-keys"},
	"create_request_all_mcps.json": {"POST", "/api-keys"},
	"patch_request.json":           {"PATCH", "/api-keys/{id}"},
	"invoke_request.json":          {"POST", "/mcp/invoke"},
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	return v
}

// shapeOf replaces every value by its JSON type, keeping object keys and
// array lengths.
func shapeOf(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = shapeOf(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = shapeOf(e)
		}
		return s
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "unknown"
}

// masked replaces the strings of volatile fields by a placeholder.
func masked(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			if _, isString := e.(string); isString && volatileFields[k] {
				m[k] = "<volatile>"
			} else {
				m[k] = masked(e)
			}
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = masked(e)
		}
		return s
	}
	return v
}

func TestGoldenResponses(t *testing.T) {
	t.Parallel()
	for name, g := range goldenResponses() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := decodeJSON(t, readFixture(t, name))
			r := g.produce(t)
			got := decodeJSON(t, r.raw)
			if diff := cmp.Diff(shapeOf(want), shapeOf(got)); diff != "" {
				t.Fatalf("field names or types differ from %s (-fixture +server):\n%s", name, diff)
			}
			if !g.exact {
				want, got = masked(want), masked(got)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("values differ from %s (-fixture +server):\n%s", name, diff)
			}
		})
	}
}

func TestRequestFixturesAreAccepted(t *testing.T) {
	t.Parallel()
	for name, rq := range requestFixtures {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, Config{})
			path := strings.Replace(rq.path, "{id}", ts.createKey(t, allMCPs("target")).ID, 1)
			r := ts.do(t, rq.method, path, ts.AdminKey(), readFixture(t, name))
			if r.status != http.StatusOK && r.status != http.StatusCreated {
				t.Fatalf("%s %s with %s: %d %s", rq.method, path, name, r.status, r.body())
			}
		})
	}
}

// TestFixturesAreRealistic holds the fixtures to the contract's formats, so
// a client test decoding them sees what a real server sends: keys with a
// valid checksum, their first 12 characters as key_prefix, base62 ids and
// UTC whole-second timestamps.
func TestFixturesAreRealistic(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	responses := goldenResponses()
	idPattern := regexp.MustCompile(`^(key|mcp)_[0-9A-Za-z_]+$`)
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		_, isResponse := responses[name]
		_, isRequest := requestFixtures[name]
		if !isResponse && !isRequest {
			t.Errorf("%s is tested by nothing; add it to goldenResponses or requestFixtures", name)
		}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch x := v.(type) {
			case map[string]any:
				mode, _ := x["mode"].(string)
				if key, ok := x["key"].(string); ok {
					if !wellFormedKey(key) || x["key_prefix"] != key[:keyPrefixLen] || !strings.HasPrefix(key, "pk_"+mode+"_") {
						t.Errorf("%s%s: key %q does not match its checksum, key_prefix or mode", name, path, key)
					}
				}
				if prefix, ok := x["key_prefix"].(string); ok && !strings.HasPrefix(prefix, "pk_"+mode+"_") {
					t.Errorf("%s%s: key_prefix %q does not match mode", name, path, prefix)
				}
				for k, e := range x {
					if s, ok := e.(string); ok && strings.HasSuffix(k, "_at") {
						if _, err := time.Parse(wireTimeLayout, s); err != nil {
							t.Errorf("%s%s.%s: %q is not a UTC whole-second timestamp", name, path, k, s)
						}
					}
					if s, ok := e.(string); ok && (k == "id" || k == "mcp_id") && !idPattern.MatchString(s) {
						t.Errorf("%s%s.%s: %q is not a key_/mcp_ id", name, path, k, s)
					}
					walk(path+"."+k, e)
				}
			case []any:
				for _, e := range x {
					walk(path+"[]", e)
				}
			}
		}
		walk("", decodeJSON(t, readFixture(t, name)))
	}
	for name := range responses {
		if !slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == name }) {
			t.Errorf("fixture %s is missing", name)
		}
	}
}
