package refserver

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest/syncbuf"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// freshConnClient never reuses a connection, so net/http cannot retry a
// dropped request on its own and the test sees the drop as a client would.
func freshConnClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func TestHostedInjectedUnavailableDoesNothing(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	k := ts.createKey(t, allMCPs("untouched"))
	ts.SetFailRate(1)
	for _, r := range []*response{
		ts.do(t, "GET", "/mcps", k.Key, nil),
		ts.invoke(t, k.Key, invokeBody("mcp_sandbox", "echo", nil)),
		ts.do(t, "GET", "/mcps", "", nil),
		ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), `{"name":"changed"}`),
		ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil),
		ts.do(t, "GET", "/nope", "", nil),
		ts.send(t, "GET", ts.Origin+"/health", nil),
	} {
		r.hostedError(t, http.StatusServiceUnavailable, codeUnavailable)
		if got := string(r.raw); got != `{"success":false,"error":{"code":"unavailable","message":"Service temporarily unavailable"}}`+"\n" {
			t.Errorf("503 body %s", got)
		}
	}
	if rec := ts.record(t, k.ID); rec.Name != "untouched" || rec.Status != statusActive || rec.RequestCount != 0 || rec.LastUsed != nil {
		t.Errorf("injected faults acted or counted as use: %+v", rec)
	}
}

// TestHostedInjectedCreateFaults drives creates at a 100% fail rate until
// both kinds of fault have happened, and checks what each leaves behind.
func TestHostedInjectedCreateFaults(t *testing.T) {
	t.Parallel()
	log := &syncbuf.Buffer{}
	ts := newTestServer(t, Config{FailRate: 1, Seed: 7, AccessLog: log})
	client := freshConnClient()
	var unavailable, dropped int
	for i := 0; i < 64 && (unavailable == 0 || dropped == 0); i++ {
		body := fmt.Sprintf(`{"name":"attempt %d","permissions":{"mcps":"*"}}`, i)
		idem := fmt.Sprintf("attempt-%d", i)
		before := ts.APIKeys()
		resp, err := client.Do(newRequest(t, "POST", ts.BaseURL+"/api-keys", body, "Authorization", "ApiKey "+ts.AdminKey(), "Idempotency-Key", idem))
		after := ts.APIKeys()

		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(raw), `"code":"unavailable"`) {
				t.Fatalf("create at fail rate 1: %d %s", resp.StatusCode, testsecrets.Hide(string(raw)))
			}
			unavailable++
			if len(after) != len(before) {
				t.Fatalf("a 503 create left a key behind")
			}
			continue
		}

		dropped++
		if len(after) != len(before)+1 {
			t.Fatalf("dropped create: %d keys before, %d after; want it committed", len(before), len(after))
		}
		var committed KeyRecord
		for _, rec := range after {
			if !slices.ContainsFunc(before, func(b KeyRecord) bool { return b.ID == rec.ID }) {
				committed = rec
			}
		}
		// The client's retry with the same Idempotency-Key gets the key
		// that was committed, secret included.
		ts.SetFailRate(0)
		r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, "Idempotency-Key", idem).wantStatus(t, http.StatusCreated)
		ts.SetFailRate(1)
		got := data[keyView](t, r)
		if r.header.Get("Idempotent-Replayed") != "true" || got.ID != committed.ID || keyDigestHex(got.Key) != committed.Digest {
			t.Errorf("retry after a drop: replayed %q, id %s (want %s)", r.header.Get("Idempotent-Replayed"), got.ID, committed.ID)
		}
	}
	if unavailable == 0 || dropped == 0 {
		t.Fatalf("after 64 creates: %d unavailable, %d dropped", unavailable, dropped)
	}
	if !strings.Contains(log.String(), "POST /v1/api-keys 000 ") {
		t.Errorf("access log does not show the dropped request as 000:\n%s", testsecrets.Hide(log.String()))
	}
}

func keyDigestHex(key string) string {
	d := keyDigest(key)
	return fmt.Sprintf("%x", d[:])
}

func TestFaultsFollowTheSeed(t *testing.T) {
	t.Parallel()
	statuses := func() []int {
		ts := newTestServer(t, Config{FailRate: 0.5, Seed: 42})
		var out []int
		for range 40 {
			out = append(out, ts.do(t, "GET", "/mcps", ts.AdminKey(), nil).status)
		}
		return out
	}
	a, b := statuses(), statuses()
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
	if !slices.Contains(a, 200) || !slices.Contains(a, 503) {
		t.Errorf("fail rate 0.5 gave %v", a)
	}
}
