package refserver

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

func TestIdempotentReplay(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	body := `{"name":"ci","permissions":{"mcps":"*"}}`
	first := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "create-ci-1").wantStatus(t, http.StatusCreated)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Error("first answer marked as replayed")
	}
	second := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "create-ci-1").wantStatus(t, http.StatusCreated)
	if second.header.Get("Idempotent-Replayed") != "true" {
		t.Error("replay without Idempotent-Replayed: true")
	}
	if string(first.raw) != string(second.raw) {
		t.Errorf("replay differs:\n%s\n%s", first.raw, second.raw)
	}
	if decodeData[keyView](t, second).Key == "" {
		t.Error("replay lost the secret")
	}
	if n := len(ts.APIKeys()); n != 1 {
		t.Errorf("%d keys after a replay, want 1", n)
	}

	// The same body under another key, or without one, is a new key.
	third := decodeData[keyView](t, ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "create-ci-2").wantStatus(t, http.StatusCreated))
	if third.ID == decodeData[keyView](t, first).ID {
		t.Error("a different Idempotency-Key replayed")
	}
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body).wantStatus(t, http.StatusCreated)
	if n := len(ts.APIKeys()); n != 3 {
		t.Errorf("%d keys, want 3", n)
	}
}

func TestIdempotencyMismatch(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"a","permissions":{"mcps":"*"}}`, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated)
	// Byte for byte: the same JSON with different spacing is a different body.
	for _, body := range []string{`{"name":"b","permissions":{"mcps":"*"}}`, `{"name": "a","permissions":{"mcps":"*"}}`} {
		ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "k").
			wantError(t, http.StatusUnprocessableEntity, codeIdempotencyMismatch, "")
	}
	if n := len(ts.APIKeys()); n != 1 {
		t.Errorf("%d keys, want 1", n)
	}
}

func TestIdempotencyForgetsFailedValidation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"","permissions":{"mcps":"*"}}`, "Idempotency-Key", "k").
		wantError(t, http.StatusBadRequest, codeValidation, "name")
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"fixed","permissions":{"mcps":"*"}}`, "Idempotency-Key", "k").
		wantStatus(t, http.StatusCreated)
}

func TestIdempotencyIsPerOrganisation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	body := `{"name":"same","permissions":{"mcps":"*"}}`
	a := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "shared").wantStatus(t, http.StatusCreated)
	b := ts.do(t, "POST", "/api-keys", ts.SecondOrgAdminKey(), body, "Idempotency-Key", "shared").wantStatus(t, http.StatusCreated)
	if b.header.Get("Idempotent-Replayed") != "" || decodeData[keyView](t, a).ID == decodeData[keyView](t, b).ID {
		t.Error("the second organisation got the first one's replay")
	}
}

func TestIdempotencyWindowFollowsTheServerClock(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	body := `{"name":"daily","permissions":{"mcps":"*"}}`
	first := decodeData[keyView](t, ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated))
	ts.SetClockOffset(23 * time.Hour)
	if r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated); r.header.Get("Idempotent-Replayed") != "true" {
		t.Error("no replay after 23 h")
	}
	ts.SetClockOffset(24 * time.Hour)
	r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated)
	if r.header.Get("Idempotent-Replayed") != "" || decodeData[keyView](t, r).ID == first.ID {
		t.Error("replayed after 24 h")
	}
}

func TestIdempotencyKeyHeader(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	body := `{"name":"h","permissions":{"mcps":"*"}}`
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", strings.Repeat("k", 255)).wantStatus(t, http.StatusCreated)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", strings.Repeat("k", 256)).
		wantError(t, http.StatusBadRequest, codeValidation, "Idempotency-Key")
	req := newRequest(t, "POST", ts.BaseURL+"/api-keys", ts.AdminKey(), body)
	req.Header["Idempotency-Key"] = []string{""}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("empty Idempotency-Key: %d, want 400", resp.StatusCode)
	}
}

// TestIdempotencyInFlight holds a create inside the server (after it has
// claimed its idempotency record) while a retry arrives.
func TestIdempotencyInFlight(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
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
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "slow").wantError(t, http.StatusConflict, codeConflict, "")
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"other","permissions":{"mcps":"*"}}`, "Idempotency-Key", "slow").
		wantError(t, http.StatusConflict, codeConflict, "")
	close(release)
	first := (<-done).wantStatus(t, http.StatusCreated)
	retry := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "slow").wantStatus(t, http.StatusCreated)
	if retry.header.Get("Idempotent-Replayed") != "true" || string(retry.raw) != string(first.raw) {
		t.Errorf("retry after completion: replayed=%q\n%s\n%s", retry.header.Get("Idempotent-Replayed"), first.raw, retry.raw)
	}
}

// TestPanicReleasesTheIdempotencyRecord: a handler bug is a 500, and it
// must not leave the record in flight, or every retry would be a 409.
func TestPanicReleasesTheIdempotencyRecord(t *testing.T) {
	t.Parallel()
	log := &syncBuffer{}
	ts := newTestServer(t, Config{AccessLog: log})
	var once sync.Once
	hook := func() { once.Do(func() { panic("boom " + ts.AdminKey()) }) }
	ts.beforeCreateHook.Store(&hook)
	body := `{"name":"p","permissions":{"mcps":"*"}}`
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "p").wantError(t, http.StatusInternalServerError, codeInternal, "")
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", "p").wantStatus(t, http.StatusCreated)
	if out := log.String(); !strings.Contains(out, "panic serving POST /v1/api-keys") || strings.Contains(out, ts.AdminKey()) {
		t.Errorf("panic log should name the route but not the panic value:\n%s", testsecrets.Hide(out, ts.AdminKey()))
	}
}
