package refserver

import (
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

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// restart starts a server on the same state file with the same bootstrap
// keys, as a command line given the same flags would.
func (ts *testServer) restart(t *testing.T, cfg Config) *testServer {
	t.Helper()
	cfg.StatePath, cfg.AdminKey, cfg.SecondOrgAdminKey = ts.statePath, ts.AdminKey(), ts.SecondOrgAdminKey()
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	return newTestServer(t, cfg)
}

func TestHostedStateSurvivesARestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	ts := newTestServer(t, Config{StatePath: path})
	ts.pinClock(time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC))
	live := ts.createKey(t, map[string]any{"name": "live", "description": "d", "permissions": map[string]any{"mcps": []string{"mcp_weather"}}, "expires_in_days": 30},
		"Idempotency-Key", "idem-secret-marker")
	all := ts.createKey(t, allMCPs("all"))
	revoked := ts.createKey(t, allMCPs("revoked"))
	ts.do(t, "DELETE", "/api-keys/"+revoked.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	ts.do(t, "PATCH", "/api-keys/"+all.ID, ts.AdminKey(), `{"name":"all, renamed"}`).wantStatus(t, http.StatusOK)
	ts.invoke(t, live.Key, invokeBody("mcp_weather", "get_weather", map[string]any{"city": "Rome"})).wantStatus(t, http.StatusOK)
	ts.invoke(t, live.Key, invokeBody("mcp_weather", "get_weather", nil)).wantStatus(t, http.StatusBadRequest)
	wantKey := ts.getKey(t, live.ID)
	wantMCP := ts.do(t, "GET", "/mcps/mcp_weather", all.Key, nil).envelope(t).Data
	want := ts.APIKeys()
	if err := ts.Close(); err != nil { // flushes the usage of the invocations
		t.Fatal(err)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{live.Key, all.Key, revoked.Key, ts.AdminKey(), ts.SecondOrgAdminKey(), "idem-secret-marker"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("state file contains %q", testsecrets.Hide(secret, secret))
		}
	}
	if m := regexp.MustCompile(`pmcp_01[0-9a-f]{20,}`).Find(raw); m != nil {
		t.Errorf("state file contains something key-shaped: %s", testsecrets.Hide(string(m)))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v (%v), want 0600", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left next to the state: %v", entries)
	}

	second := ts.restart(t, Config{})
	second.pinClock(time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC))
	if diff := cmp.Diff(want, second.APIKeys()); diff != "" {
		t.Errorf("keys after restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(wantKey, second.getKey(t, live.ID)); diff != "" {
		t.Errorf("usage and activity after restart (-before +after):\n%s", diff)
	}
	if got := second.do(t, "GET", "/mcps/mcp_weather", all.Key, nil).envelope(t).Data; string(got) != string(wantMCP) {
		t.Errorf("MCP statistics after restart:\n got %s\nwant %s", got, wantMCP)
	}
	second.invoke(t, live.Key, invokeBody("mcp_weather", "get_weather", map[string]any{"city": "Rome"})).wantStatus(t, http.StatusOK)
	second.do(t, "GET", "/mcps", revoked.Key, nil).hostedError(t, http.StatusUnauthorized, codeUnauthorized)
	// Idempotency records are memory only: the same key and body create anew.
	r := second.do(t, "POST", "/api-keys", second.AdminKey(), `{"name":"live","description":"d","permissions":{"mcps":["mcp_weather"]},"expires_in_days":30}`,
		"Idempotency-Key", "idem-secret-marker")
	if r.wantStatus(t, http.StatusCreated).header.Get("Idempotent-Replayed") != "" {
		t.Error("an idempotency record survived the restart")
	}
}

// TestBootstrapKeysAcrossRestarts: a bootstrap key already stored is kept,
// not duplicated; a different one given at a restart is another key
// object, and the old one stays valid.
func TestBootstrapKeysAcrossRestarts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	first := newTestServer(t, Config{StatePath: path})
	oldBoot := first.bootstrap(t, firstOrgID)
	oldKey := first.AdminKey()
	same := first.restart(t, Config{})
	if n := len(same.APIKeys()); n != 2 || !cmp.Equal(same.bootstrap(t, firstOrgID), oldBoot) {
		t.Errorf("after a restart with the same keys: %d keys, bootstrap %+v", n, same.bootstrap(t, firstOrgID))
	}
	if err := same.Close(); err != nil {
		t.Fatal(err)
	}
	newKey := NewBootstrapKey()
	changed := newTestServer(t, Config{StatePath: path, AdminKey: newKey, SecondOrgAdminKey: same.SecondOrgAdminKey()})
	var boots []KeyRecord
	for _, k := range changed.APIKeys() {
		if k.Bootstrap && k.OrgID == firstOrgID {
			boots = append(boots, k)
		}
	}
	if len(boots) != 2 || !slices.ContainsFunc(boots, func(k KeyRecord) bool { return k.KeyPrefix == newKey[:12] }) {
		t.Errorf("first organisation's bootstrap keys: %+v", boots)
	}
	changed.do(t, "GET", "/mcps", oldKey, nil).wantStatus(t, http.StatusOK)
	changed.do(t, "GET", "/mcps", newKey, nil).wantStatus(t, http.StatusOK)

	// A bootstrap key that was revoked cannot start a server.
	changed.do(t, "DELETE", "/api-keys/"+oldBoot.ID, newKey, nil).wantStatus(t, http.StatusOK)
	if err := changed.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{StatePath: path, AdminKey: oldKey}); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("New with a revoked bootstrap key: %v", err)
	}
	if _, err := New(Config{StatePath: path, AdminKey: newKey, SecondOrgAdminKey: oldKey}); err == nil {
		t.Error("New accepted the first organisation's key for the second")
	}
}

// TestEveryAcknowledgedMutationIsOnDisk reads the file after each answer,
// without closing the server: nothing acknowledged may wait for a flush.
func TestEveryAcknowledgedMutationIsOnDisk(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	ts := newTestServer(t, Config{StatePath: path})
	onDisk := func(id string) KeyRecord {
		t.Helper()
		s, err := New(Config{StatePath: path, AdminKey: ts.AdminKey(), SecondOrgAdminKey: ts.SecondOrgAdminKey()})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range s.APIKeys() {
			if k.ID == id {
				return k
			}
		}
		t.Fatalf("key %s is not on disk", id)
		return KeyRecord{}
	}
	k := ts.createKey(t, allMCPs("disk"))
	onDisk(k.ID)
	ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), `{"name":"renamed"}`).wantStatus(t, http.StatusOK)
	if got := onDisk(k.ID); got.Name != "renamed" {
		t.Fatalf("after patch: %+v", got)
	}
	ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	if got := onDisk(k.ID); got.RevokedAt == nil {
		t.Fatalf("after delete: %+v", got)
	}
}

// TestFailedWriteIsNotAcknowledged removes the state directory under a
// running server: mutations must fail with 500 and leave memory as it was.
func TestFailedWriteIsNotAcknowledged(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Config{StatePath: filepath.Join(dir, "state.json")})
	k := ts.createKey(t, allMCPs("before"))
	before := ts.APIKeys()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	body := `{"name":"after","permissions":{"mcps":"*"}}`
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "i").hostedError(t, http.StatusInternalServerError, codeInternal)
	ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), `{"name":"changed"}`).hostedError(t, http.StatusInternalServerError, codeInternal)
	ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).hostedError(t, http.StatusInternalServerError, codeInternal)
	after := ts.APIKeys()
	for i := range after { // usage moved on; the keys did not
		after[i].LastUsed, after[i].RequestCount = before[i].LastUsed, before[i].RequestCount
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("memory changed by unacknowledged mutations (-before +after):\n%s", diff)
	}
	// With the directory back, the same idempotent create goes through.
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "i").wantStatus(t, http.StatusCreated)
}

func TestBadStateFile(t *testing.T) {
	t.Parallel()
	valid := func(t *testing.T) stateFile {
		path := filepath.Join(t.TempDir(), "state.json")
		if _, err := New(Config{StatePath: path}); err != nil {
			t.Fatal(err)
		}
		var st stateFile
		raw, _ := os.ReadFile(path)
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	for name, edit := range map[string]func(st *stateFile) string{
		"not JSON":      func(*stateFile) string { return "{" },
		"an empty file": func(*stateFile) string { return "" },
		"version 1":     func(st *stateFile) string { st.Version = 1; return "" },
		"another API":   func(st *stateFile) string { st.API = APIServer; return "" },
		"missing org":   func(st *stateFile) string { st.Organizations = st.Organizations[:1]; return "" },
		"orgs swapped": func(st *stateFile) string {
			st.Organizations[0], st.Organizations[1] = st.Organizations[1], st.Organizations[0]
			return ""
		},
		"unknown MCP": func(st *stateFile) string { st.Organizations[0].MCPs[0].ID = "mcp_gone"; return "" },
		"missing MCP": func(st *stateFile) string { st.Organizations[0].MCPs = st.Organizations[0].MCPs[1:]; return "" },
		"bad digest":  func(st *stateFile) string { st.Organizations[0].APIKeys[0].SHA256 = "zz"; return "" },
		"bad day": func(st *stateFile) string {
			st.Organizations[0].APIKeys[0].Daily = map[string]int64{"today": 1}
			return ""
		},
		"key twice": func(st *stateFile) string {
			o := &st.Organizations[0]
			o.APIKeys = append(o.APIKeys, o.APIKeys[0])
			return ""
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := valid(t)
			content := edit(&st)
			if content == "" && name != "an empty file" {
				b, _ := json.Marshal(st)
				content = string(b)
			}
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := New(Config{StatePath: path}); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

func TestUsageIsFlushedOnClose(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	ts := newTestServer(t, Config{StatePath: path})
	k := ts.createKey(t, allMCPs("used"))
	ts.SetClockOffset(time.Hour)
	for range 3 {
		ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	}
	after := ts.restart(t, Config{})
	if got := after.record(t, k.ID); got.RequestCount != 3 || got.LastUsed == nil {
		t.Errorf("after restart: %+v", got)
	}
}

// Usage reaches the state file on the flusher's tick, not only at Close,
// so a crash loses at most one interval of usage. The test drives the tick
// by hand instead of waiting for the real one.
func TestUsageIsFlushedWithoutClose(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	ts := newHosted(t) // no state file: no flusher of its own
	ts.statePath = path
	ts.flushDone = make(chan struct{})
	tick := make(chan time.Time)
	go ts.flushLoop(tick)

	k := ts.createKey(t, allMCPs("used"))
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	tick <- time.Time{}
	tick <- time.Time{} // taken only once the first flush has finished

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st stateFile
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, o := range st.Organizations {
		for _, sk := range o.APIKeys {
			if sk.ID == k.ID {
				found = true
				if sk.RequestCount != 1 || sk.LastUsed == nil {
					t.Errorf("state file: request_count %d, last_used %v; want 1 and set", sk.RequestCount, sk.LastUsed)
				}
			}
		}
	}
	if !found {
		t.Errorf("the state file does not hold key %s", k.ID)
	}
}
