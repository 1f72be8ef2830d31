package refserver

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

func TestStateSurvivesARestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	first, err := Start("", Config{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Running: first, client: http.DefaultClient}
	live := ts.createKey(t, map[string]any{"name": "live", "description": "d", "permissions": map[string]any{"mcps": []string{"mcp_weather"}}, "expires_in_days": 30}, "Idempotency-Key", "idem-secret-marker")
	test := ts.createKey(t, map[string]any{"name": "test", "mode": "test", "permissions": map[string]any{"mcps": "*"}})
	revoked := ts.createKey(t, allMCPs("revoked"))
	ts.do(t, "DELETE", "/api-keys/"+revoked.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
	ts.do(t, "PATCH", "/api-keys/"+test.ID, ts.AdminKey(), `{"name":"test, renamed"}`).wantStatus(t, http.StatusOK)
	ts.do(t, "POST", "/mcp/invoke", live.Key, `{"mcp_id":"mcp_weather","tool":"get_weather","arguments":{"city":"Rome"}}`).wantStatus(t, http.StatusOK)
	want := first.APIKeys()
	oldAdmin := first.AdminKey()
	if err := first.Close(); err != nil { // flushes the usage of the invoke
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{live.Key, test.Key, revoked.Key, oldAdmin, first.SecondOrgAdminKey(), "idem-secret-marker"} {
		if strings.Contains(string(data), secret) {
			t.Errorf("state file contains %q", testsecrets.Hide(secret, secret))
		}
	}
	if m := regexp.MustCompile(`pk_(live|test)_[0-9A-Za-z]{32}`).Find(data); m != nil {
		t.Errorf("state file contains something key-shaped: %s", testsecrets.Hide(string(m)))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v (%v), want 0600", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left next to the state: %v", entries)
	}

	second := newTestServer(t, Config{StatePath: path})
	if diff := cmp.Diff(want, second.APIKeys()); diff != "" {
		t.Errorf("keys after restart (-before +after):\n%s", diff)
	}
	if second.AdminKey() == oldAdmin {
		t.Error("the management key was persisted")
	}
	second.do(t, "POST", "/mcp/invoke", live.Key, `{"mcp_id":"mcp_weather","tool":"get_weather","arguments":{"city":"Rome"}}`).wantStatus(t, http.StatusOK)
	second.do(t, "GET", "/mcps", revoked.Key, nil).wantError(t, http.StatusUnauthorized, codeUnauthorized, "")
	second.do(t, "GET", "/mcps", oldAdmin, nil).wantError(t, http.StatusUnauthorized, codeUnauthorized, "")
	// Idempotency records are memory only: the same key and body create anew.
	r := second.do(t, "POST", "/api-keys", second.AdminKey(), `{"name":"live","description":"d","permissions":{"mcps":["mcp_weather"]},"expires_in_days":30}`, "Idempotency-Key", "idem-secret-marker")
	if r.wantStatus(t, http.StatusCreated).header.Get("Idempotent-Replayed") != "" {
		t.Error("an idempotency record survived the restart")
	}
	mcps := decodeData[[]mcpView](t, second.do(t, "GET", "/mcps", second.AdminKey(), nil))
	if len(mcps) != 3 {
		t.Errorf("MCPs after restart: %+v", mcps)
	}
}

// TestEveryAcknowledgedMutationIsOnDisk reads the file after each answer,
// without closing the server: nothing acknowledged may wait for a flush.
func TestEveryAcknowledgedMutationIsOnDisk(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	ts := newTestServer(t, Config{StatePath: path})
	onDisk := func() []KeyRecord {
		s, err := New(Config{StatePath: path})
		if err != nil {
			t.Fatal(err)
		}
		return s.APIKeys()
	}
	k := ts.createKey(t, allMCPs("disk"))
	if got := onDisk(); len(got) != 1 || got[0].ID != k.ID {
		t.Fatalf("after create: %+v", got)
	}
	ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), `{"name":"renamed"}`).wantStatus(t, http.StatusOK)
	if got := onDisk(); got[0].Name != "renamed" {
		t.Fatalf("after patch: %+v", got)
	}
	ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
	if got := onDisk(); got[0].RevokedAt == nil {
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
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	body := `{"name":"after","permissions":{"mcps":"*"}}`
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "i").wantError(t, http.StatusInternalServerError, codeInternal, "")
	ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), `{"name":"changed"}`).wantError(t, http.StatusInternalServerError, codeInternal, "")
	ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantError(t, http.StatusInternalServerError, codeInternal, "")
	keys := ts.APIKeys()
	if len(keys) != 1 || keys[0].Name != "before" || keys[0].Status != statusActive {
		t.Errorf("memory changed by unacknowledged mutations: %+v", keys)
	}
	// With the directory back, the same idempotent create goes through.
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "i").wantStatus(t, http.StatusCreated)
}

func TestBadStateFile(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"not JSON":      "{",
		"wrong version": `{"version":99,"organizations":[]}`,
		"missing org":   `{"version":1,"organizations":[{"id":"org_1","mcps":[],"api_keys":[]}]}`,
		"bad digest":    `{"version":1,"organizations":[{"id":"org_1","mcps":[],"api_keys":[{"id":"key_1","sha256":"zz"}]},{"id":"org_2"}]}`,
		"an empty file": "",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
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
	r, err := Start("", Config{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Running: r, client: http.DefaultClient}
	k := ts.createKey(t, allMCPs("used"))
	ts.SetClockOffset(time.Hour)
	for range 3 {
		ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.APIKeys()[0]; got.RequestCount != 3 || got.LastUsedAt == nil {
		t.Errorf("after restart: %+v", got)
	}
}

// Usage reaches the state file on the flusher's tick, not only at Close,
// so a crash loses at most one interval of usage. The test drives the tick
// by hand instead of waiting for the real one.
func TestUsageIsFlushedWithoutClose(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	ts := newTestServer(t, Config{}) // no state file: no flusher of its own
	ts.statePath = path
	ts.flushDone = make(chan struct{})
	tick := make(chan time.Time)
	go ts.flushLoop(tick)

	k := ts.createKey(t, allMCPs("used"))
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	tick <- time.Time{}
	tick <- time.Time{} // taken only once the first flush has finished

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, o := range st.Organizations {
		for _, sk := range o.APIKeys {
			if sk.ID == k.ID {
				found = true
				if sk.RequestCount != 1 || sk.LastUsedAt == nil {
					t.Errorf("state file: request_count %d, last_used_at %v; want 1 and set", sk.RequestCount, sk.LastUsedAt)
				}
			}
		}
	}
	if !found {
		t.Errorf("the state file does not hold key %s", k.ID)
	}
}
