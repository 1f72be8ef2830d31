package refserver

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest/syncbuf"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

func TestIdempotentReplay(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	body := `{"name":"ci","permissions":{"mcps":"*"}}`
	first := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "create-ci-1").wantStatus(t, http.StatusCreated)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Error("first answer marked as replayed")
	}
	second := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "create-ci-1").wantStatus(t, http.StatusCreated)
	if second.header.Get("Idempotent-Replayed") != "true" {
		t.Error("replay without Idempotent-Replayed: true")
	}
	if string(first.raw) != string(second.raw) || data[keyView](t, second).Key == "" {
		t.Errorf("replay differs or lost the secret:\n%s\n%s", first.body(), second.body())
	}
	if n := len(ts.APIKeys()); n != 3 {
		t.Errorf("%d keys after a replay, want 3", n)
	}
	// The same body under another Idempotency-Key, or without one, is a new key.
	third := data[keyView](t, ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "create-ci-2").wantStatus(t, http.StatusCreated))
	if third.ID == data[keyView](t, first).ID {
		t.Error("a different Idempotency-Key replayed")
	}
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body).wantStatus(t, http.StatusCreated)
	if n := len(ts.APIKeys()); n != 5 {
		t.Errorf("%d keys, want 5", n)
	}
}

// TestIdempotencyIsPerCallingKey: another key, even of the same
// organisation, never gets a replay, and so never sees the secret.
func TestIdempotencyIsPerCallingKey(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	other := ts.createKey(t, allMCPs("other"))
	body := `{"name":"same","permissions":{"mcps":"*"}}`
	a := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "shared").wantStatus(t, http.StatusCreated)
	for _, key := range []string{other.Key, ts.SecondOrgAdminKey()} {
		b := ts.do(t, "POST", "/api-keys", key, body, "Idempotency-Key", "shared").wantStatus(t, http.StatusCreated)
		if b.header.Get("Idempotent-Replayed") != "" || data[keyView](t, a).ID == data[keyView](t, b).ID {
			t.Error("another key got the first one's replay")
		}
	}
	// Nor is a different body under the same header a mismatch for it.
	ts.do(t, "POST", "/api-keys", other.Key, `{"name":"different","permissions":{"mcps":"*"}}`, "Idempotency-Key", "shared2").wantStatus(t, http.StatusCreated)
}

func TestIdempotencyMismatch(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"a","permissions":{"mcps":"*"}}`, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated)
	// Byte for byte: the same JSON with different spacing is a different body.
	for _, body := range []string{`{"name":"b","permissions":{"mcps":"*"}}`, `{"name": "a","permissions":{"mcps":"*"}}`} {
		e := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "k").
			hostedError(t, http.StatusUnprocessableEntity, codeIdempotencyMismatch)
		if e.Message != "This Idempotency-Key was already used with a different request body" {
			t.Errorf("message %q", e.Message)
		}
	}
	// A malformed body is a 400 before the record is consulted.
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{`, "Idempotency-Key", "k").hostedError(t, http.StatusBadRequest, codeInvalidRequest)
	if n := len(ts.APIKeys()); n != 3 {
		t.Errorf("%d keys, want 3", n)
	}
}

func TestIdempotencyForgetsFailedRequests(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{KeyQuota: 2})
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"","permissions":{"mcps":"*"}}`, "Idempotency-Key", "k").
		hostedError(t, http.StatusUnprocessableEntity, codeValidation)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"fixed","permissions":{"mcps":"*"}}`, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"over","permissions":{"mcps":"*"}}`, "Idempotency-Key", "q").
		hostedError(t, http.StatusForbidden, codeForbidden)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"other","permissions":{"mcps":"*"}}`, "Idempotency-Key", "q").
		hostedError(t, http.StatusForbidden, codeForbidden) // not a mismatch: the first attempt was forgotten
}

func TestIdempotencyWindowFollowsTheServerClock(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	body := `{"name":"daily","permissions":{"mcps":"*"}}`
	first := data[keyView](t, ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated))
	ts.SetClockOffset(23 * time.Hour)
	if r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated); r.header.Get("Idempotent-Replayed") != "true" {
		t.Error("no replay after 23 h")
	}
	ts.SetClockOffset(24 * time.Hour)
	r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated)
	if r.header.Get("Idempotent-Replayed") != "" || data[keyView](t, r).ID == first.ID {
		t.Error("replayed after 24 h")
	}
}

func TestIdempotencyKeyHeader(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	body := `{"name":"h","permissions":{"mcps":"*"}}`
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", strings.Repeat("k", 255)).wantStatus(t, http.StatusCreated)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", strings.Repeat("k", 256)).
		hostedError(t, http.StatusBadRequest, codeInvalidRequest, "Idempotency-Key", "Must be 1 to 255 characters")
	for name, values := range map[string][]string{"empty": {""}, "repeated": {"a", "b"}} {
		req := newRequest(t, "POST", ts.BaseURL+"/api-keys", body, "Authorization", "ApiKey "+ts.AdminKey())
		req.Header["Idempotency-Key"] = values
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s Idempotency-Key: %d, want 400", name, resp.StatusCode)
		}
	}
}

// TestIgnoreIdempotencyKey: with -ignore-idempotency-key the header means
// nothing, valid or not, so every create makes a key.
func TestIgnoreIdempotencyKey(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{IgnoreIdempotencyKey: true})
	body := `{"name":"again","permissions":{"mcps":"*"}}`
	a := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated)
	b := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"other","permissions":{"mcps":"*"}}`, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", strings.Repeat("k", 300)).wantStatus(t, http.StatusCreated)
	if b.header.Get("Idempotent-Replayed") != "" || data[keyView](t, a).ID == data[keyView](t, b).ID {
		t.Error("a replay with the header ignored")
	}
	if n := len(ts.APIKeys()); n != 6 {
		t.Errorf("%d keys, want 6", n)
	}
}

// TestIdempotencyInFlight holds a create inside the server (after it has
// claimed its idempotency record) while a retry arrives.
func TestIdempotencyInFlight(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hook := func() {
		once.Do(func() {
			close(entered)
			<-release
		})
	}
	ts.beforeCreateHook.Store(&hook)

	body := `{"name":"slow","permissions":{"mcps":"*"}}`
	done := make(chan *response)
	go func() { done <- ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "slow") }()
	<-entered
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "slow").hostedError(t, http.StatusConflict, codeConflict)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"other","permissions":{"mcps":"*"}}`, "Idempotency-Key", "slow").
		hostedError(t, http.StatusConflict, codeConflict)
	close(release)
	first := (<-done).wantStatus(t, http.StatusCreated)
	retry := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "slow").wantStatus(t, http.StatusCreated)
	if retry.header.Get("Idempotent-Replayed") != "true" || string(retry.raw) != string(first.raw) {
		t.Errorf("retry after completion: replayed=%q\n%s\n%s", retry.header.Get("Idempotent-Replayed"), first.body(), retry.body())
	}
}

// TestPanicReleasesTheIdempotencyRecord: a handler bug is a 500, and it
// must not leave the record in flight, or every retry would be a 409.
func TestPanicReleasesTheIdempotencyRecord(t *testing.T) {
	t.Parallel()
	log := &syncbuf.Buffer{}
	ts := newTestServer(t, Config{AccessLog: log})
	var once sync.Once
	hook := func() { once.Do(func() { panic("boom " + ts.AdminKey()) }) }
	ts.beforeCreateHook.Store(&hook)
	body := `{"name":"p","permissions":{"mcps":"*"}}`
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "p").hostedError(t, http.StatusInternalServerError, codeInternal)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "p").wantStatus(t, http.StatusCreated)
	if out := log.String(); !strings.Contains(out, "panic serving POST /v1/api-keys") || strings.Contains(out, ts.AdminKey()) {
		t.Errorf("panic log should name the route but not the panic value:\n%s", testsecrets.Hide(out, ts.AdminKey()))
	}
}
