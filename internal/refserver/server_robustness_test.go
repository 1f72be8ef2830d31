package refserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest/syncbuf"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

func TestServerRouting(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	id := ts.bootstrap(t, firstOrgID).ID
	for name, tc := range map[string]struct {
		method, path string // relative to the origin, sent exactly as written
		key          bool
		status       int
		allow        string
	}{
		"health":                    {"GET", "/health", false, 200, ""},
		"health, HEAD":              {"HEAD", "/health", false, 200, ""},
		"health/live":               {"GET", "/health/live", false, 200, ""},
		"health/ready":              {"GET", "/health/ready", false, 200, ""},
		"POST health":               {"POST", "/health", false, 405, "GET,HEAD"},
		"unknown, no key":           {"GET", "/api/v1/nope", false, 404, ""},
		"unknown, with a key":       {"GET", "/api/v1/nope", true, 404, ""},
		"the base itself":           {"GET", "/api/v1", true, 404, ""},
		"trailing slash":            {"GET", "/api/v1/api-keys/", true, 404, ""},
		"percent-encoded route":     {"GET", "/api/v1/api%2Dkeys", true, 404, ""},
		"uppercase":                 {"GET", "/api/v1/API-KEYS", true, 404, ""},
		"the hosted API's base":     {"GET", "/v1/mcps", true, 404, ""},
		"the hosted invoke":         {"POST", "/v1/mcp/invoke", true, 404, ""},
		"root":                      {"GET", "/", false, 404, ""},
		"an empty id":               {"GET", "/api/v1/api-keys//usage", true, 404, ""},
		"not served: users":         {"GET", "/api/v1/users", true, 404, ""},
		"wrong method, no key":      {"PUT", "/api/v1/api-keys", false, 401, ""},
		"PUT api-keys":              {"PUT", "/api/v1/api-keys", true, 405, "GET,HEAD,POST"},
		"POST api-key":              {"POST", "/api/v1/api-keys/" + id, true, 405, "GET,HEAD,PATCH,DELETE"},
		"405 before the UUID":       {"POST", "/api/v1/api-keys/not-a-uuid", true, 405, "GET,HEAD,PATCH,DELETE"},
		"GET rotate":                {"GET", "/api/v1/api-keys/" + id + "/rotate", true, 405, "POST"},
		"POST usage":                {"POST", "/api/v1/api-keys/" + id + "/usage", true, 405, "GET,HEAD"},
		"GET reveal":                {"GET", "/api/v1/api-keys/" + id + "/reveal", true, 405, "POST"},
		"POST mcps (not emulated)":  {"POST", "/api/v1/mcps", true, 405, "GET,HEAD"},
		"DELETE mcp (not emulated)": {"DELETE", "/api/v1/mcps/" + weatherUUID, true, 405, "GET,HEAD"},
		"HEAD of a GET route":       {"HEAD", "/api/v1/mcps", true, 200, ""},
		"a percent-encoded id":      {"GET", "/api/v1/mcps/" + strings.Replace(weatherUUID, "-", "%2D", 1), true, 200, ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := newRequest(t, tc.method, ts.Origin+"/", nil)
			req.URL.Opaque = "//" + req.URL.Host + tc.path // send the path exactly as written
			if tc.key {
				req.Header.Set("Authorization", "ApiKey "+ts.AdminKey())
			}
			resp, err := ts.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("Allow") != tc.allow {
				t.Fatalf("%d Allow %q, want %d %q: %s", resp.StatusCode, resp.Header.Get("Allow"), tc.status, tc.allow, testsecrets.Hide(string(body)))
			}
			if (tc.status == 404 || tc.status == 405) && len(body) != 0 {
				t.Errorf("a %d with a body: %s", tc.status, body)
			}
		})
	}
}

// TestServerCheckOrder sends requests that fail several checks at once:
// the first check of the emulated order must answer.
func TestServerCheckOrder(t *testing.T) {
	t.Parallel()
	ts, _ := limitedServer(t, Config{API: APIServer, RateLimit: 1})
	admin := ts.AdminKey()
	ts.do(t, "GET", "/mcps", admin, nil).wantStatus(t, http.StatusOK) // spends the only token
	ts.do(t, "GET", "/nope", "", nil).empty(t, http.StatusNotFound, "")
	ts.do(t, "PUT", "/mcps", "", nil).authError(t, msgAuthRequired)
	ts.do(t, "PUT", "/mcps", admin, nil).empty(t, http.StatusMethodNotAllowed, "GET,HEAD")
	ts.do(t, "GET", "/api-keys/not-a-uuid", admin, nil).serverError(t, 429, "RATE_LIMITED", "Too many requests")
	ts.SetRateLimit(0)
	uuid := "Invalid URL: UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1"
	ts.do(t, "PATCH", "/api-keys/not-a-uuid", admin, `{`, "Content-Type", "text/plain").text(t, 400, uuid)
	ts.do(t, "GET", "/mcps?per_page=x", admin, `{`, "Content-Type", "text/plain").
		text(t, 400, "Failed to deserialize query string: invalid digit found in string")
	big := `{"name":"` + strings.Repeat("x", 10<<20) + `"}`
	ts.do(t, "POST", "/api-keys", admin, big, "Content-Type", "text/plain").text(t, 415, "Expected request with `Content-Type: application/json`")
	ts.do(t, "POST", "/api-keys", admin, big).text(t, 413, "Failed to buffer the request body: length limit exceeded")
	ts.do(t, "POST", "/api-keys", admin, `{"name":1,`).text(t, 422, "Failed to deserialize the JSON body into the target type: name: invalid type: integer `1`, expected a string at line 1 column 9")
	ts.SetFailRate(1)
	ts.do(t, "PUT", "/nope", "", nil).serverError(t, 503, "SERVICE_UNAVAILABLE", "Service unavailable")
}

func TestServerBodyLimitAndTypes(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	name := strings.Repeat("x", 90)
	padded := func(n int) []byte {
		b := []byte(`{"name":"` + name + `","pad":"`)
		return append(append(b, bytes.Repeat([]byte("p"), n-len(b)-2)...), '"', '}')
	}
	for name, tc := range map[string]struct {
		body   io.Reader
		ct     string
		status int
	}{
		"exactly 10 MiB":                  {bytes.NewReader(padded(10 << 20)), "application/json", 201},
		"10 MiB + 1":                      {bytes.NewReader(padded(10<<20 + 1)), "application/json", 413},
		"10 MiB + 1, chunked":             {hideLength{bytes.NewReader(padded(10<<20 + 1))}, "application/json", 413},
		"application/json; charset=utf-8": {strings.NewReader(`{"name":"c"}`), "application/json; charset=utf-8", 201},
		"application/vnd.plexmcp+json":    {strings.NewReader(`{"name":"c"}`), "application/vnd.plexmcp+json", 201},
		"APPLICATION/JSON":                {strings.NewReader(`{"name":"c"}`), "APPLICATION/JSON", 201},
		"text/json":                       {strings.NewReader(`{"name":"c"}`), "text/json", 415},
		"no content type":                 {strings.NewReader(`{"name":"c"}`), "", 415},
		"unparsable content type":         {strings.NewReader(`{"name":"c"}`), "application/json;;", 415},
		"trailing data accepted":          {strings.NewReader(`{"name":"c"} and more`), "application/json", 201},
		"unknown fields ignored":          {strings.NewReader(`{"name":"c","permissions":{"mcps":"*"},"mode":"live"}`), "application/json", 201},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := ts.sendBody(t, "POST", ts.BaseURL+"/api-keys", tc.body, "Authorization", "ApiKey "+ts.AdminKey(), "Content-Type", tc.ct)
			r.wantStatus(t, tc.status)
		})
	}
	// Routes without a body ignore it, however large.
	ts.sendBody(t, "GET", ts.BaseURL+"/mcps", bytes.NewReader(bytes.Repeat([]byte("x"), 11<<20)), "Authorization", "ApiKey "+ts.AdminKey()).
		wantStatus(t, http.StatusOK)
}

func TestServerInjectedFaults(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	k := ts.createServerKey(t, map[string]any{"name": "untouched"})
	ts.SetFailRate(1)
	for _, r := range []*response{
		ts.do(t, "GET", "/mcps", k.Key, nil),
		ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), `{"name":"changed"}`),
		ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil),
		ts.do(t, "GET", "/api-keys", "", nil),
	} {
		r.serverError(t, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "Service unavailable")
	}
	// The proxy and /health are not the management API.
	ts.call(t, k.Key, "tools/list", nil)
	ts.send(t, "GET", ts.Origin+"/health", nil).wantStatus(t, http.StatusOK)
	if rec := ts.record(t, k.ID); rec.Name != "untouched" || rec.RequestCount != 1 {
		t.Errorf("faults acted or counted as use: %+v", rec)
	}

	// Half the failing creates commit, then drop the connection.
	log := &syncbuf.Buffer{}
	ts = newTestServer(t, Config{API: APIServer, FailRate: 1, Seed: 7, AccessLog: log})
	client := freshConnClient()
	var unavailable, dropped int
	for i := 0; i < 64 && (unavailable == 0 || dropped == 0); i++ {
		before := len(ts.APIKeys())
		resp, err := client.Do(newRequest(t, "POST", ts.BaseURL+"/api-keys", fmt.Sprintf(`{"name":"attempt %d"}`, i), "Authorization", "ApiKey "+ts.AdminKey()))
		after := len(ts.APIKeys())
		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 503 || after != before {
				t.Fatalf("a failing create: %d %s, %d keys before and %d after", resp.StatusCode, raw, before, after)
			}
			unavailable++
			continue
		}
		if after != before+1 {
			t.Fatalf("a dropped create did not commit: %d keys before, %d after", before, after)
		}
		dropped++
	}
	if unavailable == 0 || dropped == 0 || !strings.Contains(log.String(), "POST /api/v1/api-keys 000 ") {
		t.Errorf("%d unavailable, %d dropped; log:\n%s", unavailable, dropped, testsecrets.Hide(log.String()))
	}
}

func TestServerRequestCountsAndLog(t *testing.T) {
	t.Parallel()
	log := &syncbuf.Buffer{}
	ts := newTestServer(t, Config{API: APIServer, AccessLog: log})
	k := ts.createServerKey(t, map[string]any{"name": "logged"})
	ts.do(t, "GET", "/api-keys/"+k.ID, ts.AdminKey(), nil)
	ts.do(t, "GET", "/api-keys/"+k.Key, ts.AdminKey(), nil)
	ts.do(t, "POST", "/api-keys/"+k.ID+"/rotate", ts.AdminKey(), nil)
	ts.call(t, ts.AdminKey(), "tools/list", nil)
	ts.send(t, "GET", ts.Origin+"/health", nil)
	ts.do(t, "GET", "/nope", "", nil)
	want := map[string]int{
		"POST /api/v1/api-keys":             1,
		"GET /api/v1/api-keys/{id}":         2,
		"POST /api/v1/api-keys/{id}/rotate": 1,
		"POST /mcp":                         1,
		"GET /health":                       1,
		"GET /":                             1,
	}
	got := ts.RequestCounts()
	if len(got) != len(want) {
		t.Errorf("RequestCounts() = %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("RequestCounts()[%q] = %d, want %d", k, got[k], n)
		}
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	wantLines := []string{"POST /api/v1/api-keys 201 ", "GET /api/v1/api-keys/" + k.ID + " 200 ", "GET /api/v1/api-keys/pmcp_[redacted] 400 ",
		"POST /api/v1/api-keys/" + k.ID + "/rotate 200 ", "POST /mcp 200 ", "GET /health 200 ", "GET /api/v1/nope 404 "}
	if len(lines) != len(wantLines) {
		t.Fatalf("log:\n%s", testsecrets.Hide(log.String(), k.Key))
	}
	for i, line := range lines {
		if !strings.HasPrefix(line, wantLines[i]) {
			t.Errorf("line %q, want %q…", testsecrets.Hide(line, k.Key), wantLines[i])
		}
	}
	if strings.Contains(log.String(), k.Key[len("pmcp_"):]) || strings.Contains(log.String(), ts.AdminKey()) {
		t.Errorf("the log holds a key:\n%s", testsecrets.Hide(log.String(), k.Key, ts.AdminKey()))
	}
}

// TestServerIgnoresIdempotencyKey: a retried create makes a second key.
func TestServerIgnoresIdempotencyKey(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	for range 2 {
		ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"twice"}`, "Idempotency-Key", "same").wantStatus(t, http.StatusCreated)
	}
	if n := len(slices.DeleteFunc(ts.APIKeys(), func(k KeyRecord) bool { return k.Name != "twice" })); n != 2 {
		t.Errorf("%d keys named twice, want 2", n)
	}
}
