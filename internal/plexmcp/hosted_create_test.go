package plexmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeKeys is a hosted API that holds keys and fails creates, lists and
// revokes as a script says, so that every way a create can go wrong is
// reproduced exactly.
type fakeKeys struct {
	t  *testing.T
	mu sync.Mutex
	// skew is how far the server's clock runs ahead of the test's.
	skew   time.Duration
	honour bool // replay a create with a known Idempotency-Key
	keys   []*fakeKey
	idem   map[string]*fakeKey
	seq    int

	// Scripts: the i-th request of each kind does the i-th step, the
	// last repeating; an empty script means "ok".
	creates []string
	lists   []string
	revokes []string
	n       map[string]int

	// late is a commit a dropped create makes only after the next list.
	late *fakeKey
	// lateAfter is how long the server takes to make that late commit:
	// the clocks of both sides (advance) move on by it first.
	lateAfter   time.Duration
	advance     time.Duration
	createIdems []string
}

type fakeKey struct {
	ID, Name, Secret string
	Created          time.Time
	Revoked          bool
}

func newFakeKeys(t *testing.T) *fakeKeys {
	return &fakeKeys{t: t, idem: map[string]*fakeKey{}, n: map[string]int{}}
}

func (f *fakeKeys) now() time.Time { return time.Now().Add(f.skew + f.advance) }

// clientNow is the client's clock, moved on with the server's by advance.
func (f *fakeKeys) clientNow() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Now().Add(f.advance)
}

func (f *fakeKeys) step(kind string, script []string) string {
	i := f.n[kind]
	f.n[kind]++
	if len(script) == 0 {
		return "ok"
	}
	return script[min(i, len(script)-1)]
}

// commit makes a key; f.mu is held.
func (f *fakeKeys) commit(name string) *fakeKey {
	f.seq++
	k := &fakeKey{
		ID: fmt.Sprintf("key_%04d", f.seq), Name: strings.TrimSpace(name),
		Secret:  fmt.Sprintf("pmcp_01%080x", f.seq),
		Created: f.now().Truncate(time.Second),
	}
	f.keys = append(f.keys, k)
	return k
}

func (k *fakeKey) json() string {
	status := StatusActive
	if k.Revoked {
		status = StatusRevoked
	}
	return fmt.Sprintf(`{"id":%q,"name":%q,"prefix":%q,"status":%q,"permissions":{"mcps":"*"},"expires_at":null,"created_at":%q}`,
		k.ID, k.Name, k.Secret[:12], status, k.Created.UTC().Format(time.RFC3339))
}

func (f *fakeKeys) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	w.Header().Set("Date", f.now().UTC().Format(http.TimeFormat))
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/api-keys":
		f.create(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/api-keys":
		f.list(w, r)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v1/api-keys/"):
		f.revoke(w, strings.TrimPrefix(r.URL.Path, "/v1/api-keys/"))
	default:
		f.mu.Unlock()
		f.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(599)
	}
}

// create handles POST /v1/api-keys; it unlocks f.mu.
func (f *fakeKeys) create(w http.ResponseWriter, r *http.Request) {
	var body struct{ Name string }
	_ = json.NewDecoder(r.Body).Decode(&body)
	idem := r.Header.Get("Idempotency-Key")
	f.createIdems = append(f.createIdems, idem)
	if k := f.idem[idem]; k != nil && f.honour {
		f.mu.Unlock()
		respond(201, hostedOK(strings.Replace(k.json(), "{", fmt.Sprintf(`{"key":%q,`, k.Secret), 1)), "Idempotent-Replayed", "true")(w, r)
		return
	}
	step := f.step("create", f.creates)
	var k *fakeKey
	switch step {
	case "ok", "drop", "503-after-commit", "garbage":
		k = f.commit(body.Name)
		f.idem[idem] = k
	case "drop-late":
		f.late = &fakeKey{Name: body.Name}
		f.idem[idem] = f.late
	}
	f.mu.Unlock()
	switch step {
	case "ok":
		respond(201, hostedOK(strings.Replace(k.json(), "{", fmt.Sprintf(`{"key":%q,`, k.Secret), 1)))(w, r)
	case "drop", "drop-late", "drop-nothing":
		hangUp(w, r)
	case "503", "503-after-commit":
		respond(503, hostedErr("unavailable", "Service temporarily unavailable"))(w, r)
	case "429":
		respond(429, hostedErr("rate_limited", "Too many requests"), "Retry-After", "0")(w, r)
	case "409":
		respond(409, hostedErr("conflict", "A request with this Idempotency-Key is in flight"))(w, r)
	case "422":
		respond(422, hostedErr("validation_error", "Validation failed"))(w, r)
	case "garbage":
		respond(201, `{"success":true,"data":{"id":`)(w, r)
	default:
		f.t.Errorf("unknown create step %q", step)
	}
}

// list handles GET /v1/api-keys?status=active; it unlocks f.mu.
func (f *fakeKeys) list(w http.ResponseWriter, r *http.Request) {
	step := f.step("list", f.lists)
	if step != "ok" {
		f.mu.Unlock()
		respond(503, hostedErr("unavailable", "Service temporarily unavailable"))(w, r)
		return
	}
	if r.URL.Query().Get("status") != StatusActive {
		f.t.Errorf("a settling list without ?status=active: %s", r.URL.RawQuery)
	}
	var items []string
	for _, k := range f.keys {
		if !k.Revoked {
			items = append(items, k.json())
		}
	}
	if f.late != nil && f.late.ID == "" {
		// The create that dropped commits now, after this list.
		f.advance += f.lateAfter
		w.Header().Set("Date", f.now().UTC().Format(http.TimeFormat))
		late := f.commit(f.late.Name)
		*f.late = *late
		f.keys[len(f.keys)-1] = f.late
	}
	f.mu.Unlock()
	respond(200, fmt.Sprintf(`{"success":true,"data":[%s],"pagination":{"page":1,"per_page":100,"total":%d,"total_pages":1}}`,
		strings.Join(items, ","), len(items)))(w, r)
}

// revoke handles DELETE /v1/api-keys/{id}; it unlocks f.mu.
func (f *fakeKeys) revoke(w http.ResponseWriter, id string) {
	step := f.step("revoke", f.revokes)
	var found *fakeKey
	for _, k := range f.keys {
		if k.ID == id {
			found = k
		}
	}
	if step == "ok" && found != nil {
		found.Revoked = true
	}
	f.mu.Unlock()
	switch {
	case step != "ok":
		respond(500, hostedErr("internal_error", "boom"))(w, nil)
	case found == nil:
		respond(404, hostedErr("not_found", "API key not found"))(w, nil)
	default:
		respond(200, hostedOK(fmt.Sprintf(`{"id":%q,"status":"revoked","revoked_at":"2026-01-20T12:00:00Z"}`, id)))(w, nil)
	}
}

// active returns the ids of the active keys named name.
func (f *fakeKeys) active(name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, k := range f.keys {
		if k.Name == name && !k.Revoked {
			ids = append(ids, k.ID)
		}
	}
	return ids
}

func (f *fakeKeys) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n[kind]
}

func (f *fakeKeys) idems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.createIdems...)
}

func (f *fakeKeys) client(t *testing.T) *Client {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := fastConfig(srv.URL+"/v1", APIHosted, testKey, nil)
	cfg.Now = f.clientNow
	return mustNew(t, cfg)
}

func TestCreateSettlement(t *testing.T) {
	t.Parallel()
	type want struct {
		Creates, Lists, Revokes int
		SameIdem                bool // every create attempt carried one Idempotency-Key
		Err                     string
	}
	tests := map[string]struct {
		creates, lists, revokes []string
		honour                  bool
		skew, lateAfter         time.Duration
		want                    want
	}{
		"a success settles nothing":             {want: want{Creates: 1, SameIdem: true}},
		"429 is resent without looking":         {creates: []string{"429", "ok"}, want: want{Creates: 2, SameIdem: true}},
		"409 in flight is resent":               {creates: []string{"409", "ok"}, want: want{Creates: 2, SameIdem: true}},
		"422 is final":                          {creates: []string{"422"}, want: want{Creates: 1, SameIdem: true, Err: "validation_error"}},
		"a hang-up before commit":               {creates: []string{"drop-nothing", "ok"}, want: want{Creates: 2, Lists: 2, SameIdem: true}},
		"a 503 before commit":                   {creates: []string{"503", "ok"}, want: want{Creates: 2, Lists: 2, SameIdem: true}},
		"a hang-up after commit, ignored key":   {creates: []string{"drop", "ok"}, want: want{Creates: 2, Lists: 2, Revokes: 1}},
		"a hang-up after commit, honoured key":  {creates: []string{"drop", "ok"}, honour: true, want: want{Creates: 2, Lists: 2, Revokes: 1}},
		"a 503 after commit":                    {creates: []string{"503-after-commit", "ok"}, want: want{Creates: 2, Lists: 2, Revokes: 1}},
		"a 201 the client cannot read":          {creates: []string{"garbage", "ok"}, want: want{Creates: 2, Lists: 2, Revokes: 1}},
		"a late commit, ignored key":            {creates: []string{"drop-late", "ok"}, want: want{Creates: 2, Lists: 2, Revokes: 1, SameIdem: true}},
		"a late commit, honoured key: replayed": {creates: []string{"drop-late", "ok"}, honour: true, want: want{Creates: 2, Lists: 2, SameIdem: true}},
		// The server commits the unanswered attempt well after the
		// client gave up on it, outside any window of the attempt itself.
		"a commit long after the hang-up": {creates: []string{"drop-late", "ok"}, lateAfter: time.Minute, want: want{Creates: 2, Lists: 2, Revokes: 1, SameIdem: true}},
		"server clock an hour ahead":      {creates: []string{"drop", "ok"}, skew: time.Hour, want: want{Creates: 2, Lists: 2, Revokes: 1}},
		"server clock a day behind":       {creates: []string{"drop", "ok"}, skew: -24 * time.Hour, want: want{Creates: 2, Lists: 2, Revokes: 1}},
		"two faults in a row":             {creates: []string{"drop", "503", "ok"}, want: want{Creates: 3, Lists: 3, Revokes: 1}},
		"the budget runs out, settled": {
			creates: []string{"503"}, want: want{Creates: 4, Lists: 4, SameIdem: true, Err: "unavailable"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFakeKeys(t)
			f.creates, f.lists, f.revokes, f.honour, f.skew, f.lateAfter = tc.creates, tc.lists, tc.revokes, tc.honour, tc.skew, tc.lateAfter
			c := f.client(t)
			k, err := c.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}})
			idems := f.idems()
			same := true
			for _, i := range idems {
				same = same && i == idems[0] && len(i) == 32
			}
			got := want{Creates: len(idems), Lists: f.count("list"), Revokes: f.count("revoke"), SameIdem: same}
			if err != nil {
				got.Err = err.Error()
				if strings.Contains(err.Error(), tc.want.Err) && tc.want.Err != "" {
					got.Err = tc.want.Err
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			active := f.active("ci")
			switch {
			case err != nil && len(active) != 0:
				t.Errorf("the create failed, yet keys %v are active", active)
			case err == nil && (len(active) != 1 || active[0] != k.ID):
				t.Errorf("the create returned %s, but the active keys named ci are %v", k.ID, active)
			case err == nil && (k.Key.IsZero() || k.Pending != nil):
				t.Errorf("the created key has no secret, or a pending record %v", k.Pending)
			}
			if !tc.want.SameIdem && len(idems) > 1 && idems[len(idems)-1] == idems[0] {
				t.Error("after revoking a stray key the create was resent with the old Idempotency-Key, which would replay it")
			}
		})
	}
}

// TestCreateUnsettled covers the creates the client cannot settle: the
// error names the window, and SettleCreate later revokes the stray.
func TestCreateUnsettled(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		creates, lists, revokes []string
		cause                   func(error) bool
	}{
		"the list keeps failing": {creates: []string{"drop"}, lists: []string{"fail", "fail", "fail", "fail", "ok"}, cause: func(err error) bool {
			e, ok := asAPIError(err)
			return ok && e.StatusCode == 503
		}},
		"the revoke keeps failing": {creates: []string{"drop"}, revokes: []string{"fail", "fail", "fail", "fail", "ok"}, cause: func(err error) bool {
			e, ok := asAPIError(err)
			return ok && e.StatusCode == 500
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFakeKeys(t)
			f.creates, f.lists, f.revokes = tc.creates, tc.lists, tc.revokes
			c := f.client(t)
			before := time.Now()
			_, err := c.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: " ci ", Permissions: Permissions{AllMCPs: true}})
			var ue *CreateUncertainError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want *CreateUncertainError", err)
			}
			stray := f.active("ci")
			if len(stray) != 1 {
				t.Fatalf("active keys %v, want the one stray", stray)
			}
			created := f.keys[0].Created
			if ue.Name != "ci" || !ue.Findable || created.Before(ue.From) || created.After(ue.To) || ue.From.Before(before.Add(-settleSlack-time.Second)) {
				t.Errorf("error %+v does not name ci and a window around %v", ue, created)
			}
			if !tc.cause(err) {
				t.Errorf("the cause is not reachable: %v", err)
			}
			if f.count("create") != 1 {
				t.Errorf("%d creates were sent before the stray was settled, want 1", f.count("create"))
			}
			// Later (the next apply), the list and revoke work again.
			revoked, err := c.SettleCreate(testCtx(t), ue.Pending())
			if err != nil {
				t.Fatalf("SettleCreate: %v", err)
			}
			if diff := cmp.Diff(stray, revoked); diff != "" || len(f.active("ci")) != 0 {
				t.Errorf("SettleCreate revoked %v, want the stray %v; still active: %v", revoked, stray, f.active("ci"))
			}
		})
	}
}

// TestCreateUnansweredBudgetRunsOut covers a create whose every attempt
// got no answer: nothing is active when the client gives up, but a server
// still working on an attempt may commit it later, so the error is
// findable and its window reaches past now; SettleCreate revokes what
// commits inside it.
func TestCreateUnansweredBudgetRunsOut(t *testing.T) {
	t.Parallel()
	f := newFakeKeys(t)
	f.creates = []string{"drop-nothing"}
	c := f.client(t)
	_, err := c.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}})
	var ue *CreateUncertainError
	if !errors.As(err, &ue) || !ue.Findable {
		t.Fatalf("err = %v, want a findable *CreateUncertainError", err)
	}
	gaveUp := f.now()
	if !ue.To.After(gaveUp.Add(settleSlack)) {
		t.Errorf("the window ends at %v, when the client gave up (%v): a later commit of an unanswered attempt would be missed", ue.To, gaveUp)
	}
	// An attempt commits a few seconds after the client gave up.
	f.mu.Lock()
	late := f.commit("ci")
	late.Created = gaveUp.Add(2 * time.Second).Truncate(time.Second)
	f.mu.Unlock()
	revoked, err := c.SettleCreate(testCtx(t), ue.Pending())
	if err != nil {
		t.Fatalf("SettleCreate: %v", err)
	}
	if diff := cmp.Diff([]string{late.ID}, revoked); diff != "" || len(f.active("ci")) != 0 {
		t.Errorf("SettleCreate revoked (-want +got):\n%s\nstill active: %v", diff, f.active("ci"))
	}
}

// TestCreateSweepFails covers a create that succeeded after an ambiguous
// attempt, where the last look for a late commit failed: the key comes
// back with a pending record.
func TestCreateSweepFails(t *testing.T) {
	t.Parallel()
	f := newFakeKeys(t)
	// The first list (before the resend) works; the sweep's does not.
	f.creates, f.lists = []string{"drop-nothing", "ok"}, []string{"ok", "fail", "fail", "fail", "fail", "ok"}
	c := f.client(t)
	k, err := c.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}})
	if err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	if k.Pending == nil {
		t.Fatal("no pending record, though the sweep failed")
	}
	if k.Pending.Name != "ci" || !k.Pending.From.Before(k.Pending.To) || k.Pending.Keep != k.ID {
		t.Errorf("Pending = %+v, want a record for ci that keeps %s", k.Pending, k.ID)
	}
	// The same client knows the key as its own; a fresh one (the next
	// terraform run, another process) knows it only from the record. The
	// key was made a moment after the ambiguous attempt, inside the
	// record's window, so only Keep saves it.
	for name, settler := range map[string]*Client{"the same client": c, "a fresh client": f.client(t)} {
		if ids, err := settler.SettleCreate(testCtx(t), *k.Pending); err != nil || len(ids) != 0 {
			t.Errorf("%s: SettleCreate = %v, %v; the key the create returned must stay", name, ids, err)
		}
	}
	if active := f.active("ci"); len(active) != 1 || active[0] != k.ID {
		t.Errorf("active keys %v, want %s", active, k.ID)
	}
}

// TestSettleLeavesOtherKeys checks what settlement must never touch: the
// client's own earlier key of the same name, a key of that name created
// outside the window, and keys of other names.
func TestSettleLeavesOtherKeys(t *testing.T) {
	t.Parallel()
	f := newFakeKeys(t)
	f.mu.Lock()
	old := f.commit("ci")
	old.Created = old.Created.Add(-time.Hour)
	other := f.commit("other")
	f.mu.Unlock()
	f.creates = []string{"ok", "drop", "ok"}
	c := f.client(t)
	first, err := c.CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}})
	if err != nil {
		t.Fatalf("first create: %v", err)
	}
	// A copy with another key shares what the client knows as its own.
	second, err := c.WithAPIKey(NewSecret(otherKey)).CreateAPIKey(testCtx(t), CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}})
	if err != nil {
		t.Fatalf("second create: %v", err)
	}
	want := []string{old.ID, first.ID, second.ID}
	if diff := cmp.Diff(want, f.active("ci")); diff != "" {
		t.Errorf("active keys named ci (-want +got):\n%s", diff)
	}
	if got := f.active("other"); len(got) != 1 || got[0] != other.ID {
		t.Errorf("active keys named other: %v", got)
	}
	if f.count("revoke") != 1 {
		t.Errorf("%d revokes, want 1 (the stray)", f.count("revoke"))
	}
}

func TestCreateCancelledAfterSending(t *testing.T) {
	t.Parallel()
	f := newFakeKeys(t)
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			// Read the body, so that the server notices the client
			// hanging up.
			_, _ = io.Copy(io.Discard, r.Body)
			f.mu.Lock()
			f.commit("ci")
			f.mu.Unlock()
			close(arrived)
			<-r.Context().Done() // the client gives up before the answer
			return
		}
		f.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := mustNew(t, fastConfig(srv.URL+"/v1", APIHosted, testKey, nil))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	_, err := c.CreateAPIKey(ctx, CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}})
	var ue *CreateUncertainError
	if !errors.As(err, &ue) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a *CreateUncertainError caused by the cancellation", err)
	}
	// The next apply settles it.
	revoked, err := c.SettleCreate(testCtx(t), ue.Pending())
	if err != nil || len(revoked) != 1 || len(f.active("ci")) != 0 {
		t.Errorf("SettleCreate = %v, %v; still active: %v", revoked, err, f.active("ci"))
	}
}

// TestCreatesOfOneNameRunOneAtATime runs creates on an in-memory server in
// a synctest bubble, where "blocked" can be observed without waiting.
func TestCreatesOfOneNameRunOneAtATime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		posts := map[string]int{}
		var seq int
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var body struct{ Name string }
			_ = json.NewDecoder(r.Body).Decode(&body)
			mu.Lock()
			posts[body.Name]++
			seq++
			id := seq
			mu.Unlock()
			if body.Name == "x" {
				<-release
			}
			respond(201, hostedOK(fmt.Sprintf(`{"id":"key_%d","name":%q,"key":"pmcp_01%080x","prefix":"pmcp_01","status":"active","permissions":{"mcps":"*"},"expires_at":null,"created_at":"2026-01-20T12:00:00Z"}`, id, body.Name, id)))(w, r)
		})
		cfg := fastConfig("http://plexmcp.test/v1", APIHosted, testKey, nil)
		cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			return rec.Result(), nil
		})}
		c := mustNew(t, cfg)
		copyOfC := c.WithAPIKey(NewSecret(otherKey))
		seen := func() map[string]int {
			mu.Lock()
			defer mu.Unlock()
			return map[string]int{"x": posts["x"], "y": posts["y"]}
		}
		create := func(c *Client, name string) {
			go func() {
				if _, err := c.CreateAPIKey(context.Background(), CreateAPIKeyRequest{Name: name, Permissions: Permissions{AllMCPs: true}}); err != nil {
					t.Errorf("create %s: %v", name, err)
				}
			}()
			synctest.Wait()
		}
		// The first request of a pacer goes alone; get it out of the way.
		create(c, "warm-up")
		create(c, "x")
		create(copyOfC, "x")
		create(c, "y")
		if diff := cmp.Diff(map[string]int{"x": 1, "y": 1}, seen()); diff != "" {
			t.Errorf("while one create of x is in flight (-want +got):\n%s", diff)
		}
		close(release)
		synctest.Wait()
		if diff := cmp.Diff(map[string]int{"x": 2, "y": 1}, seen()); diff != "" {
			t.Errorf("in the end (-want +got):\n%s", diff)
		}
	})
}
