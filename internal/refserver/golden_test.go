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

// The golden files in internal/testdata/api pin the wire format for both
// the server (here) and the client (internal/plexmcp), which share no Go
// types. Their README says which file is what.
const fixtureRoot = "../testdata/api"

// The fixture directories, one per API.
const (
	hostedFixtures = "hosted"
	serverFixtures = "server"
)

func readFixture(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureRoot, dir, name))
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
	if dec.More() {
		t.Fatalf("more than one JSON value:\n%s", b)
	}
	return v
}

func fixtureNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(fixtureRoot, dir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) < 10 {
		t.Fatalf("only %d fixtures in %s", len(names), dir)
	}
	return names
}

// TestFixturesAreDocumented keeps the README's tables and the directories
// in step: a fixture nobody can look up is as bad as a missing one.
func TestFixturesAreDocumented(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join(fixtureRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := strings.Split(string(readme), "\n## `")
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	for _, dir := range []string{hostedFixtures, serverFixtures} {
		var listed []string
		for _, s := range sections {
			if strings.HasPrefix(s, dir+"/`") {
				for _, m := range row.FindAllStringSubmatch(s, -1) {
					listed = append(listed, m[1])
				}
			}
		}
		files := fixtureNames(t, dir)
		for _, f := range files {
			if !slices.Contains(listed, f) {
				t.Errorf("%s/%s is not in the README's table", dir, f)
			}
		}
		for _, f := range listed {
			if !slices.Contains(files, f) {
				t.Errorf("the README lists %s/%s, which does not exist", dir, f)
			}
		}
	}
}

var (
	fixtureKey        = regexp.MustCompile(`^pmcp_01[0-9a-f]{80}$`)
	fixtureHostedID   = regexp.MustCompile(`^(key|mcp|user)_[0-9A-Za-z]+$`)
	fixtureUUID       = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	fixtureServerTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,8}[1-9])?(Z|[+-]\d{2}:\d{2})$`)
)

// fixtureTimeFields are the fields that hold a timestamp in either API.
var fixtureTimeFields = map[string]bool{
	"created_at": true, "updated_at": true, "expires_at": true, "revoked_at": true,
	"last_used": true, "last_used_at": true, "last_active": true, "timestamp": true,
	"health_checked_at": true, "last_health_check_at": true, "rotated_at": true,
	"period_start": true, "period_end": true,
}

// TestFixturesAreRealistic holds the fixtures to each API's formats, so a
// client test decoding them sees what a real server sends: well-formed
// pmcp_01 keys and prefixes derived from them as that API derives them,
// its ids, and its timestamps.
func TestFixturesAreRealistic(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{hostedFixtures, serverFixtures} {
		hosted := dir == hostedFixtures
		for _, name := range fixtureNames(t, dir) {
			if strings.HasSuffix(name, ".txt") {
				if b := readFixture(t, dir, name); bytes.ContainsAny(b, "\n\r") {
					t.Errorf("%s/%s: a plain-text body is one line without a newline", dir, name)
				}
				continue
			}
			if !strings.HasSuffix(name, ".json") {
				t.Errorf("%s/%s: fixtures are .json or .txt", dir, name)
				continue
			}
			var walk func(path string, v any)
			walk = func(path string, v any) {
				switch x := v.(type) {
				case map[string]any:
					checkFixtureKey(t, dir+"/"+name+path, x, hosted)
					for k, e := range x {
						s, isString := e.(string)
						switch {
						case !isString || strings.HasPrefix(path, ".error"): // messages, not values
						case fixtureTimeFields[k] && hosted:
							if _, err := time.Parse("2006-01-02T15:04:05Z", s); err != nil {
								t.Errorf("%s/%s%s.%s: %q is not UTC whole seconds with Z", dir, name, path, k, s)
							}
						case fixtureTimeFields[k]:
							if !fixtureServerTime.MatchString(s) {
								t.Errorf("%s/%s%s.%s: %q is not RFC 3339 with a trimmed fraction", dir, name, path, k, s)
							}
						case (k == "id" || k == "mcp_id") && hosted:
							if !fixtureHostedID.MatchString(s) {
								t.Errorf("%s/%s%s.%s: %q is not a key_, mcp_ or user_ id", dir, name, path, k, s)
							}
						case k == "id" || k == "key_id" || k == "created_by":
							if !fixtureUUID.MatchString(s) {
								t.Errorf("%s/%s%s.%s: %q is not a lowercase UUID v4", dir, name, path, k, s)
							}
						}
						walk(path+"."+k, e)
					}
				case []any:
					for _, e := range x {
						if s, ok := e.(string); ok && strings.HasSuffix(path, "allowed_mcp_ids") && !fixtureUUID.MatchString(s) {
							t.Errorf("%s/%s%s: %q is not a lowercase UUID v4", dir, name, path, s)
						}
						walk(path+"[]", e)
					}
				}
			}
			walk("", decodeJSON(t, readFixture(t, dir, name)))
		}
	}
}

// checkFixtureKey checks a key and the prefixes in one object.
func checkFixtureKey(t *testing.T, where string, obj map[string]any, hosted bool) {
	t.Helper()
	key, hasKey := obj["key"].(string)
	if hasKey && !fixtureKey.MatchString(key) {
		t.Errorf("%s: key %q is not pmcp_01 and 80 lowercase hex characters", where, key)
		return
	}
	if hosted {
		prefix, ok := obj["prefix"].(string)
		switch {
		case hasKey && prefix != key[:12]:
			t.Errorf("%s: prefix %q is not the key's first 12 characters", where, prefix)
		case ok && !fixtureKey.MatchString(prefix+strings.Repeat("0", 87-len(prefix))):
			t.Errorf("%s: prefix %q is not the start of a pmcp_01 key", where, prefix)
		}
		return
	}
	for _, field := range []string{"key_prefix", "old_key_prefix"} {
		prefix, ok := obj[field].(string)
		switch {
		case !ok:
		case len(prefix) != 20 || !strings.HasSuffix(prefix, "..."):
			t.Errorf("%s: %s %q is not 17 characters and ...", where, field, prefix)
		case !fixtureKey.MatchString(prefix[:17] + strings.Repeat("0", 70)):
			t.Errorf("%s: %s %q is not the start of a pmcp_01 key", where, field, prefix)
		case field == "key_prefix" && hasKey && prefix != key[:17]+"...":
			t.Errorf("%s: key_prefix %q is not the key's first 17 characters and ...", where, prefix)
		}
	}
}

// goldenNow is where the golden tests pin the server's clock, so that the
// calendar counters and minute windows in the fixtures hold.
var goldenNow = time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC)

// newGoldenServer starts a server whose clock reads goldenNow from the
// start, so that even the bootstrap keys are created then.
func newGoldenServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	cfg.ClockOffset = time.Until(goldenNow)
	return newTestServer(t, cfg)
}

// at moves a golden server's clock to goldenNow plus d.
func (ts *testServer) at(d time.Duration) { ts.pinClock(goldenNow.Add(d)) }

// golden is how one response fixture is reproduced.
type golden struct {
	status  int
	produce func(t *testing.T) *response
}

// volatile lists the fields of each API whose values vary per run; they
// are compared by JSON type only. The fixtures' README lists them too.
var volatile = map[string]map[string]bool{
	hostedFixtures: {
		"id": true, "key": true, "prefix": true, "created_at": true, "updated_at": true, "last_used": true,
		"revoked_at": true, "timestamp": true, "last_active": true, "latency_ms": true, "avg_latency_ms": true,
	},
	serverFixtures: {
		"id": true, "key_id": true, "key": true, "key_prefix": true, "old_key_prefix": true, "created_at": true,
		"last_used_at": true, "rotated_at": true, "period_start": true, "period_end": true, "reset_at": true,
		"retry_after_seconds": true,
	},
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

// masked replaces the values of volatile fields (other than objects and
// arrays) by a placeholder.
func masked(v any, fields map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				m[k] = masked(e, fields)
			default:
				if fields[k] {
					m[k] = "<volatile>"
				} else {
					m[k] = e
				}
			}
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = masked(e, fields)
		}
		return s
	}
	return v
}

// checkGolden compares a live answer with a fixture.
func checkGolden(t *testing.T, dir, name string, g golden) {
	t.Helper()
	want := readFixture(t, dir, name)
	r := g.produce(t)
	if r.status != g.status {
		t.Fatalf("status %d, want %d: %s", r.status, g.status, r.body())
	}
	if strings.HasSuffix(name, ".txt") {
		if string(r.raw) != string(want) {
			t.Errorf("body\n got %q\nwant %q", r.raw, want)
		}
		return
	}
	wantJSON, gotJSON := decodeJSON(t, want), decodeJSON(t, r.raw)
	if diff := cmp.Diff(shapeOf(wantJSON), shapeOf(gotJSON)); diff != "" {
		t.Fatalf("field names or types differ from %s (-fixture +server):\n%s", name, diff)
	}
	if diff := cmp.Diff(masked(wantJSON, volatile[dir]), masked(gotJSON, volatile[dir])); diff != "" {
		t.Errorf("values differ from %s (-fixture +server):\n%s", name, diff)
	}
}

// TestGoldenResponsesAreAllReproduced makes a new response fixture fail
// until a test reproduces it, and a request fixture until one sends it.
func TestGoldenResponsesAreAllReproduced(t *testing.T) {
	t.Parallel()
	for dir, cases := range map[string]map[string]golden{hostedFixtures: hostedGoldens(), serverFixtures: serverGoldens()} {
		requests := goldenRequests[dir]
		for _, name := range fixtureNames(t, dir) {
			_, isResponse := cases[name]
			_, isRequest := requests[name]
			if !isResponse && !isRequest {
				t.Errorf("%s/%s is reproduced by nothing; add it to the golden tests", dir, name)
			}
		}
	}
}

func TestHostedGoldenResponses(t *testing.T) {
	t.Parallel()
	for name, g := range hostedGoldens() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, hostedFixtures, name, g)
		})
	}
}

// goldenRequests are the request fixtures and where a client sends them.
var goldenRequests = map[string]map[string]struct{ method, path string }{
	hostedFixtures: {
		"create_request.json":          {"POST", "/api-keys"},
		"create_request_all_mcps.json": {"POST", "/api-keys"},
		"patch_request.json":           {"PATCH", "/api-keys/{id}"},
		"invoke_request.json":          {"POST", "/mcp"},
	},
	serverFixtures: {
		"create_request.json":          {"POST", "/api-keys"},
		"create_request_all_mcps.json": {"POST", "/api-keys"},
		"patch_request.json":           {"PATCH", "/api-keys/{id}"},
		"initialize_request.json":      {"POST", "/mcp"},
		"tools_list_request.json":      {"POST", "/mcp"},
		"tools_call_request.json":      {"POST", "/mcp"},
	},
}

func TestHostedRequestFixturesAreAccepted(t *testing.T) {
	t.Parallel()
	for name, rq := range goldenRequests[hostedFixtures] {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts := newGoldenServer(t, Config{})
			body := readFixture(t, hostedFixtures, name)
			var r *response
			if rq.path == "/mcp" {
				r = ts.invoke(t, ts.AdminKey(), body)
			} else {
				path := strings.Replace(rq.path, "{id}", ts.createKey(t, allMCPs("target")).ID, 1)
				r = ts.do(t, rq.method, path, ts.AdminKey(), body)
			}
			if r.status != http.StatusOK && r.status != http.StatusCreated {
				t.Fatalf("%s %s with %s: %d %s", rq.method, rq.path, name, r.status, r.body())
			}
		})
	}
}

// hostedGoldens maps each hosted response fixture to the requests that
// reproduce it.
func hostedGoldens() map[string]golden {
	// create makes the key of create_request.json.
	create := func(t *testing.T, ts *testServer) keyView {
		t.Helper()
		return data[keyView](t, ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, hostedFixtures, "create_request.json")).wantStatus(t, http.StatusCreated))
	}
	// ci is the key of create_request.json after three requests: a list,
	// an invocation and a probe.
	ci := func(t *testing.T, ts *testServer) keyView {
		t.Helper()
		ts.at(time.Minute)
		k := create(t, ts)
		ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
		ts.at(time.Minute + time.Second)
		ts.invoke(t, k.Key, readFixture(t, hostedFixtures, "invoke_request.json")).wantStatus(t, http.StatusOK)
		ts.at(time.Minute + 2*time.Second)
		ts.invoke(t, k.Key, invokeBody("mcp_calculator", "nope", nil)).wantStatus(t, http.StatusNotFound)
		return k
	}
	// oldLaptop is a key used once and revoked.
	oldLaptop := func(t *testing.T, ts *testServer) keyView {
		t.Helper()
		ts.at(2 * time.Minute)
		k := ts.createKey(t, allMCPs("old-laptop"))
		ts.at(2*time.Minute + 30*time.Second)
		ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
		ts.at(3 * time.Minute)
		ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
		return k
	}
	plain := func(produce func(t *testing.T, ts *testServer) *response) func(t *testing.T) *response {
		return func(t *testing.T) *response { return produce(t, newGoldenServer(t, Config{})) }
	}
	return map[string]golden{
		"api_key_created.json": {201, plain(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, hostedFixtures, "create_request.json"))
		})},
		"api_key.json": {200, plain(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/api-keys/"+ci(t, ts).ID, ts.AdminKey(), nil)
		})},
		"api_key_revoked.json": {200, plain(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/api-keys/"+oldLaptop(t, ts).ID, ts.AdminKey(), nil)
		})},
		"api_key_list.json": {200, plain(func(t *testing.T, ts *testServer) *response {
			ci(t, ts)
			oldLaptop(t, ts)
			return ts.do(t, "GET", "/api-keys", ts.AdminKey(), nil)
		})},
		"api_key_patched.json": {200, plain(func(t *testing.T, ts *testServer) *response {
			k := create(t, ts)
			ts.at(5 * time.Minute)
			return ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), readFixture(t, hostedFixtures, "patch_request.json"))
		})},
		"api_key_deleted.json": {200, plain(func(t *testing.T, ts *testServer) *response {
			k := ts.createKey(t, allMCPs("old-laptop"))
			return ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil)
		})},
		"mcp_list.json": {200, plain(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/mcps", ts.AdminKey(), nil)
		})},
		"mcp.json": {200, plain(func(t *testing.T, ts *testServer) *response {
			for _, city := range []any{"London", "Paris", nil, "Rome"} {
				ts.invoke(t, ts.AdminKey(), invokeBody("mcp_weather", "get_weather", map[string]any{"city": city}))
			}
			return ts.do(t, "GET", "/mcps/mcp_weather", ts.AdminKey(), nil)
		})},
		"invoke_response.json": {200, plain(func(t *testing.T, ts *testServer) *response {
			return ts.invoke(t, create(t, ts).Key, readFixture(t, hostedFixtures, "invoke_request.json"))
		})},
		"error_unauthorized.json": {401, plain(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/mcps", flip(ts.AdminKey(), 30), nil)
		})},
		"error_forbidden.json": {403, func(t *testing.T) *response {
			ts := newGoldenServer(t, Config{KeyQuota: 1})
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, hostedFixtures, "create_request_all_mcps.json"))
		}},
		"error_only_active_key.json": {403, plain(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "DELETE", "/api-keys/"+ts.bootstrap(t, firstOrgID).ID, ts.AdminKey(), nil)
		})},
		"error_mcp_not_permitted.json": {403, plain(func(t *testing.T, ts *testServer) *response {
			return ts.invoke(t, create(t, ts).Key, invokeBody("mcp_sandbox", "echo", nil))
		})},
		"error_not_found.json": {404, plain(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/api-keys/key_3kTMd9nQ2xWfA7bZp1Lc", ts.AdminKey(), nil)
		})},
		"error_tool_not_found.json": {404, plain(func(t *testing.T, ts *testServer) *response {
			return ts.invoke(t, ts.AdminKey(), invokeBody("mcp_weather", "nope", nil))
		})},
		"error_conflict.json": {409, plain(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "PATCH", "/api-keys/"+oldLaptop(t, ts).ID, ts.AdminKey(), readFixture(t, hostedFixtures, "patch_request.json"))
		})},
		"error_invalid_permissions.json": {400, plain(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"ci","permissions":{"mcps":"all"}}`)
		})},
		"error_invalid_request.json": {400, plain(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"ci","mode":"live","permissions":{"mcps":"*"}}`)
		})},
		"error_validation.json": {422, plain(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"  ","permissions":{"mcps":"*"},"expires_at":"2020-01-01T00:00:00Z"}`)
		})},
		"error_invalid_arguments.json": {400, plain(func(t *testing.T, ts *testServer) *response {
			return ts.invoke(t, ts.AdminKey(), invokeBody("mcp_weather", "get_weather", map[string]any{"town": "London"}))
		})},
		"error_idempotency_mismatch.json": {422, plain(func(t *testing.T, ts *testServer) *response {
			ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, hostedFixtures, "create_request.json"), "Idempotency-Key", "k").wantStatus(t, http.StatusCreated)
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, hostedFixtures, "create_request_all_mcps.json"), "Idempotency-Key", "k")
		})},
		"error_rate_limited.json": {429, func(t *testing.T) *response {
			ts, _ := limitedServer(t, Config{RateLimit: 1})
			ts.do(t, "GET", "/mcps", ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
			return ts.do(t, "GET", "/mcps", ts.AdminKey(), nil)
		}},
		"error_unavailable.json": {503, func(t *testing.T) *response {
			ts := newGoldenServer(t, Config{FailRate: 1})
			return ts.do(t, "GET", "/mcps", ts.AdminKey(), nil)
		}},
	}
}

func TestServerGoldenResponses(t *testing.T) {
	t.Parallel()
	for name, g := range serverGoldens() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, serverFixtures, name, g)
		})
	}
}

func TestServerRequestFixturesAreAccepted(t *testing.T) {
	t.Parallel()
	for name, rq := range goldenRequests[serverFixtures] {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts := newGoldenServer(t, Config{API: APIServer})
			body := readFixture(t, serverFixtures, name)
			if rq.path == "/mcp" {
				r := ts.invoke(t, ts.AdminKey(), body).wantStatus(t, http.StatusOK)
				if got := jsonBody[rpc](t, r); got.Error != nil {
					t.Fatalf("%s: %s", name, r.body())
				}
				return
			}
			path := strings.Replace(rq.path, "{id}", ts.createServerKey(t, map[string]any{"name": "target"}).ID, 1)
			r := ts.do(t, rq.method, path, ts.AdminKey(), body)
			if r.status != http.StatusOK && r.status != http.StatusCreated {
				t.Fatalf("%s %s with %s: %d %s", rq.method, rq.path, name, r.status, r.body())
			}
		})
	}
}

// serverGoldens maps each server fixture to the requests that reproduce
// it.
func serverGoldens() map[string]golden {
	// ci is the key of create_request.json.
	ci := func(t *testing.T, ts *testServer) serverKeyView {
		t.Helper()
		return ts.createServerKey(t, readFixture(t, serverFixtures, "create_request.json"))
	}
	// used is ci after two proxy calls.
	used := func(t *testing.T, ts *testServer) serverKeyView {
		t.Helper()
		k := ci(t, ts)
		ts.invoke(t, k.Key, readFixture(t, serverFixtures, "tools_list_request.json")).wantStatus(t, http.StatusOK)
		ts.invoke(t, k.Key, readFixture(t, serverFixtures, "tools_call_request.json")).wantStatus(t, http.StatusOK)
		return k
	}
	server := func(produce func(t *testing.T, ts *testServer) *response) func(t *testing.T) *response {
		return func(t *testing.T) *response { return produce(t, newGoldenServer(t, Config{API: APIServer})) }
	}
	rpcCall := func(id int, method string, params any) map[string]any {
		return map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params}
	}
	return map[string]golden{
		"health.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.send(t, "GET", ts.Origin+"/health", nil)
		})},
		"api_key_created.json": {201, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, serverFixtures, "create_request.json"))
		})},
		"api_key.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/api-keys/"+used(t, ts).ID, ts.AdminKey(), nil)
		})},
		"api_key_bootstrap.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/api-keys/"+ts.bootstrap(t, firstOrgID).ID, ts.AdminKey(), nil)
		})},
		"api_key_list.json": {200, server(func(t *testing.T, ts *testServer) *response {
			ts.ownerToken = "golden-owner-token"
			ts.at(time.Minute)
			ci(t, ts)
			return ts.do(t, "GET", "/api-keys", "", nil, "Authorization", "Bearer golden-owner-token")
		})},
		"api_key_list_empty.json": {200, server(func(t *testing.T, ts *testServer) *response {
			ci(t, ts)
			return ts.do(t, "GET", "/api-keys", ts.AdminKey(), nil)
		})},
		"api_key_patched.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "PATCH", "/api-keys/"+ci(t, ts).ID, ts.AdminKey(), readFixture(t, serverFixtures, "patch_request.json"))
		})},
		"api_key_rotated.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys/"+ci(t, ts).ID+"/rotate", ts.AdminKey(), nil)
		})},
		"api_key_usage.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/api-keys/"+used(t, ts).ID+"/usage", ts.AdminKey(), nil)
		})},
		"mcp.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/mcps/0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60", ts.AdminKey(), nil)
		})},
		"mcp_list.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/mcps", ts.AdminKey(), nil)
		})},
		"error_unauthorized.json": {401, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/api-keys", flip(ts.AdminKey(), 30), nil)
		})},
		"error_authentication_required.json": {401, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/api-keys", "", nil)
		})},
		"error_invalid_token.json": {401, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/api-keys", "", nil, "Authorization", "Bearer "+ts.AdminKey())
		})},
		"error_not_found.json": {404, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/api-keys/49960296-d3e9-4a3b-adae-608f0bce04d6", ts.AdminKey(), nil)
		})},
		"error_quota_exceeded.json": {402, func(t *testing.T) *response {
			ts := newGoldenServer(t, Config{API: APIServer, KeyQuota: 2})
			ci(t, ts)
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), readFixture(t, serverFixtures, "create_request_all_mcps.json"))
		}},
		"error_validation.json": {400, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"  "}`)
		})},
		"error_expiry_in_past.json": {400, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "PATCH", "/api-keys/"+ci(t, ts).ID, ts.AdminKey(), `{"expires_at":"2020-01-01T00:00:00Z"}`)
		})},
		"error_reveal_unauthorized.json": {401, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys/"+ci(t, ts).ID+"/reveal", ts.AdminKey(), `{"pin":"1234"}`)
		})},
		"error_rate_limited.json": {429, func(t *testing.T) *response {
			ts, _ := limitedServer(t, Config{API: APIServer, RateLimit: 1})
			ts.do(t, "GET", "/api-keys", ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
			return ts.do(t, "GET", "/api-keys", ts.AdminKey(), nil)
		}},
		"error_unavailable.json": {503, func(t *testing.T) *response {
			ts := newGoldenServer(t, Config{API: APIServer, FailRate: 1})
			return ts.do(t, "GET", "/api-keys", ts.AdminKey(), nil)
		}},
		"error_unsupported_media_type.txt": {415, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"ci"}`, "Content-Type", "text/plain")
		})},
		"error_json_syntax.txt": {400, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), "", "Content-Type", "application/json")
		})},
		"error_json_type.txt": {422, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"rate_limit_rpm":"60","name":"x"}`)
		})},
		"error_json_missing_field.txt": {422, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{}`)
		})},
		"error_invalid_uuid.txt": {400, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/api-keys/not-a-uuid", ts.AdminKey(), nil)
		})},
		"error_query.txt": {400, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/mcps?per_page=ten", ts.AdminKey(), nil)
		})},
		"error_payload_too_large.txt": {413, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"`+strings.Repeat("x", 10<<20)+`"}`)
		})},
		"error_unknown_route.txt": {404, server(func(t *testing.T, ts *testServer) *response {
			return ts.do(t, "GET", "/nope", ts.AdminKey(), nil)
		})},
		"error_method_not_allowed.txt": {405, server(func(t *testing.T, ts *testServer) *response {
			r := ts.do(t, "PUT", "/api-keys/"+ts.bootstrap(t, firstOrgID).ID, ts.AdminKey(), nil)
			if r.header.Get("Allow") != "GET,HEAD,PATCH,DELETE" {
				t.Errorf("Allow %q", r.header.Get("Allow"))
			}
			return r
		})},
		"initialize_response.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.invoke(t, ts.AdminKey(), readFixture(t, serverFixtures, "initialize_request.json"))
		})},
		"tools_list_response.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.invoke(t, ci(t, ts).Key, readFixture(t, serverFixtures, "tools_list_request.json"))
		})},
		"tools_call_response.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.invoke(t, ci(t, ts).Key, readFixture(t, serverFixtures, "tools_call_request.json"))
		})},
		"jsonrpc_error_access_denied.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.invoke(t, ci(t, ts).Key, rpcCall(2, "tools/call", map[string]any{"name": "Sandbox:echo", "arguments": map[string]any{}}))
		})},
		"jsonrpc_error_method_not_found.json": {200, server(func(t *testing.T, ts *testServer) *response {
			return ts.invoke(t, ts.AdminKey(), map[string]any{"jsonrpc": "2.0", "id": 3, "method": "ping"})
		})},
		"jsonrpc_error_unauthorized.json": {401, server(func(t *testing.T, ts *testServer) *response {
			k := ci(t, ts)
			ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
			return ts.invoke(t, k.Key, readFixture(t, serverFixtures, "tools_list_request.json"))
		})},
		"jsonrpc_error_rate_limited.json": {429, server(func(t *testing.T, ts *testServer) *response {
			k := ts.createServerKey(t, map[string]any{"name": "slow", "rate_limit_rpm": 1})
			ts.invoke(t, k.Key, readFixture(t, serverFixtures, "tools_list_request.json")).wantStatus(t, http.StatusOK)
			return ts.invoke(t, k.Key, readFixture(t, serverFixtures, "tools_list_request.json"))
		})},
	}
}
