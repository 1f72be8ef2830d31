package refserver

import (
	"net/http"
	"testing"
	"time"
)

func TestServerAuthFailures(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	deleted := ts.createServerKey(t, map[string]any{"name": "deleted"})
	ts.do(t, "DELETE", "/api-keys/"+deleted.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
	expired := ts.createServerKey(t, map[string]any{"name": "expired", "expires_in_days": 0})
	other := newServer(t)
	admin := ts.AdminKey()
	for name, tc := range map[string]struct {
		header  []string
		message string
	}{
		"no header":              {nil, msgAuthRequired},
		"lowercase scheme":       {[]string{"Authorization", "apikey " + admin}, msgAuthRequired},
		"no space":               {[]string{"Authorization", "ApiKey" + admin}, msgAuthRequired},
		"Basic":                  {[]string{"Authorization", "Basic " + admin}, msgAuthRequired},
		"X-API-Key":              {[]string{"X-API-Key", admin}, msgAuthRequired},
		"not visible ASCII":      {[]string{"Authorization", "ApiKey " + admin[:86] + "\u00e9"}, msgAuthRequired},
		"a key as Bearer":        {[]string{"Authorization", "Bearer " + admin}, msgInvalidToken},
		"a JWT cookie wins":      {[]string{"Authorization", "ApiKey " + admin, "Cookie", "theme=dark; plexmcp_auth_token=x"}, msgInvalidToken},
		"two spaces":             {[]string{"Authorization", "ApiKey  " + admin}, msgInvalidKey},
		"malformed":              {[]string{"Authorization", "ApiKey pmcp_xxxxxxxx"}, msgInvalidKey},
		"unknown":                {[]string{"Authorization", "ApiKey " + other.AdminKey()}, msgInvalidKey},
		"deleted":                {[]string{"Authorization", "ApiKey " + deleted.Key}, msgInvalidKey},
		"expired":                {[]string{"Authorization", "ApiKey " + expired.Key}, msgInvalidKey},
		"one character changed":  {[]string{"Authorization", "ApiKey " + flip(admin, 40)}, msgInvalidKey},
		"other cookies are fine": {[]string{"Authorization", "ApiKey " + flip(admin, 40), "Cookie", "plexmcp_auth=x"}, msgInvalidKey},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, path := range []string{"/api-keys", "/mcps", "/api-keys/" + deleted.ID} {
				ts.do(t, "GET", path, "", nil, tc.header...).authError(t, tc.message)
			}
			// 401 before 405 on a known path; unknown paths are 404 first.
			ts.do(t, "PUT", "/api-keys", "", nil, tc.header...).authError(t, tc.message)
			ts.do(t, "GET", "/no-such-route", "", nil, tc.header...).empty(t, http.StatusNotFound, "")
		})
	}
	t.Cleanup(func() { // after the parallel subtests: no refused request counted
		if rec := ts.bootstrap(t, firstOrgID); rec.RequestCount != 3 {
			t.Errorf("the bootstrap key counted %d requests, want its 3 own", rec.RequestCount)
		}
	})
}

// TestServerKeysSeeAnEmptyList: the list is filtered by the caller's user,
// which an API key does not have, yet the same key may read, change,
// rotate and delete any key of its organisation by id.
func TestServerKeysSeeAnEmptyList(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	narrow := ts.createServerKey(t, map[string]any{"name": "narrow", "mcp_access_mode": "none"})
	other := ts.createServerKey(t, map[string]any{"name": "other"})
	for _, key := range []string{ts.AdminKey(), narrow.Key} {
		if got := string(ts.do(t, "GET", "/api-keys", key, nil).wantStatus(t, http.StatusOK).raw); got != `{"api_keys":[],"total":0}` {
			t.Errorf("a key's list: %s", got)
		}
	}
	ts.do(t, "GET", "/api-keys/"+other.ID, narrow.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "PATCH", "/api-keys/"+other.ID, narrow.Key, `{"name":"renamed by narrow"}`).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/api-keys/"+other.ID+"/usage", narrow.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "POST", "/api-keys/"+other.ID+"/rotate", narrow.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "POST", "/api-keys", narrow.Key, `{"name":"made by narrow"}`).wantStatus(t, http.StatusCreated)
	ts.do(t, "DELETE", "/api-keys/"+other.ID, narrow.Key, nil).wantStatus(t, http.StatusNoContent)
	// mcp_access_mode none limits only the proxy.
	if mcps := jsonBody[[]map[string]any](t, ts.do(t, "GET", "/mcps", narrow.Key, nil)); len(mcps) != 3 {
		t.Errorf("a none-mode key sees %d MCPs, want all 3", len(mcps))
	}
	// A key may delete itself.
	ts.do(t, "DELETE", "/api-keys/"+narrow.ID, narrow.Key, nil).wantStatus(t, http.StatusNoContent)
	ts.do(t, "GET", "/api-keys", narrow.Key, nil).authError(t, msgInvalidKey)
}

// TestServerOwnerSeesTheList uses the test-only owner token, a JWT caller.
func TestServerOwnerSeesTheList(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	ts.ownerToken = "owner-token"
	owner := []string{"Authorization", "Bearer owner-token"}
	made := jsonBody[serverKeyView](t, ts.do(t, "POST", "/api-keys", "", `{"name":"by the owner"}`, owner...).wantStatus(t, http.StatusCreated))
	ts.SetClockOffset(time.Minute)
	byKey := ts.createServerKey(t, map[string]any{"name": "by a key"})
	list := jsonBody[struct {
		APIKeys []map[string]any `json:"api_keys"`
		Total   int              `json:"total"`
	}](t, ts.do(t, "GET", "/api-keys", "", nil, owner...).wantStatus(t, http.StatusOK))
	if list.Total != 3 || len(list.APIKeys) != 3 || list.APIKeys[0]["id"] != byKey.ID || list.APIKeys[2]["name"] != "bootstrap" {
		t.Errorf("the owner's list, newest first: %+v", list)
	}
	if _, has := list.APIKeys[0]["created_by"]; has {
		t.Error("list items have created_by")
	}
	if got := ts.getServerKey(t, made.ID); got.CreatedBy == nil || *got.CreatedBy != "59809d85-ff47-41c9-b22b-bb4ef4ddce7c" {
		t.Errorf("created_by of the owner's key: %v", got.CreatedBy)
	}
	if got := ts.getServerKey(t, byKey.ID); got.CreatedBy != nil {
		t.Errorf("created_by of a key's key: %v", *got.CreatedBy)
	}
	// The owner's token is refused where it is not a JWT: the second
	// organisation, and the cookie with another value.
	ts.do(t, "GET", "/api-keys", "", nil, "Cookie", "plexmcp_auth_token=owner-token").wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/api-keys", "", nil, "Cookie", "plexmcp_auth_token=guess").authError(t, msgInvalidToken)
	// PIN flows stop at their first checks.
	ts.do(t, "POST", "/api-keys", "", `{"name":"p","pin":"12a4"}`, owner...).serverError(t, 400, "VALIDATION_ERROR", msgPINDigits)
	ts.do(t, "POST", "/api-keys", "", `{"name":"p","pin":"1234"}`, owner...).serverError(t, 400, "VALIDATION_ERROR", msgNoPINForUser)
	ts.do(t, "POST", "/api-keys/"+made.ID+"/reveal", "", `{"pin":"123"}`, owner...).serverError(t, 400, "VALIDATION_ERROR", msgPINLength)
	ts.do(t, "POST", "/api-keys/"+made.ID+"/reveal", "", `{"pin":"1234"}`, owner...).serverError(t, 400, "VALIDATION_ERROR", msgNoPINForReveal)
}

func TestServerOrganisationsAreIsolated(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	mine := ts.createServerKey(t, map[string]any{"name": "mine"})
	second := ts.SecondOrgAdminKey()
	for _, rq := range []struct{ method, path, body string }{
		{"GET", "/api-keys/" + mine.ID, ""},
		{"PATCH", "/api-keys/" + mine.ID, `{"name":"stolen"}`},
		{"DELETE", "/api-keys/" + mine.ID, ""},
		{"POST", "/api-keys/" + mine.ID + "/rotate", ""},
		{"GET", "/api-keys/" + mine.ID + "/usage", ""},
		{"GET", "/mcps/0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60", ""},
	} {
		var body any
		if rq.body != "" {
			body = rq.body
		}
		ts.do(t, rq.method, rq.path, second, body).serverError(t, http.StatusNotFound, "NOT_FOUND", "Resource not found")
	}
	if got := ts.getServerKey(t, mine.ID); got.Name != "mine" {
		t.Errorf("after the other organisation's attempts: %v", got)
	}
	mcps := jsonBody[[]map[string]any](t, ts.do(t, "GET", "/mcps", second, nil))
	if len(mcps) != 1 || mcps[0]["name"] != "Private Tools" {
		t.Errorf("the second organisation's MCPs: %v", mcps)
	}
}

// TestServerUsage: every authenticated management request counts, before
// the answer; 429s and injected faults do not.
func TestServerUsage(t *testing.T) {
	t.Parallel()
	ts, _ := limitedServer(t, Config{API: APIServer, RateLimit: 1000})
	k := ts.createServerKey(t, map[string]any{"name": "used"})
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "PUT", "/mcps", k.Key, nil).wantStatus(t, http.StatusMethodNotAllowed)
	ts.do(t, "GET", "/api-keys/nope", k.Key, nil).wantStatus(t, http.StatusBadRequest)
	ts.do(t, "GET", "/no-such-route", k.Key, nil).wantStatus(t, http.StatusNotFound) // never authenticated
	ts.SetRateLimit(0.001)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusTooManyRequests)
	ts.SetRateLimit(0)
	ts.SetFailRate(1)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusServiceUnavailable)
	ts.SetFailRate(0)
	got := jsonBody[serverKeyView](t, ts.do(t, "GET", "/api-keys/"+k.ID, k.Key, nil))
	if got.RequestCount != 5 || got.LastUsedAt == nil { // four before, and this GET itself
		t.Errorf("request_count %d, last_used_at %v; want 5 and set", got.RequestCount, got.LastUsedAt)
	}
}

// TestServerExpiryBoundary: the management API wants expires_at after now;
// the proxy calls a key expired only once expires_at is before now.
func TestServerExpiryBoundary(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	k := ts.createServerKey(t, map[string]any{"name": "day", "expires_in_days": 1})
	exp, err := time.Parse(time.RFC3339Nano, *ts.getServerKey(t, k.ID).ExpiresAt)
	if err != nil {
		t.Fatal(err)
	}
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	ts.SetClockOffset(time.Until(exp) + time.Second)
	ts.do(t, "GET", "/mcps", k.Key, nil).authError(t, msgInvalidKey)
	r, _ := ts.call(t, k.Key, "tools/list", nil)
	r.rpcError(t, http.StatusUnauthorized, rpcBadKey, "API key has expired")
	if rec := ts.record(t, k.ID); rec.Status != statusExpired {
		t.Errorf("record status %q", rec.Status)
	}
}

// TestServerKeyPropagation: a new or rotated key answers 401 everywhere
// for its first -key-propagation.
func TestServerKeyPropagation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{API: APIServer, KeyPropagation: time.Minute})
	k := ts.createServerKey(t, map[string]any{"name": "new"})
	ts.do(t, "GET", "/mcps", k.Key, nil).authError(t, msgInvalidKey)
	r, _ := ts.call(t, k.Key, "tools/list", nil)
	r.rpcError(t, http.StatusUnauthorized, rpcBadKey, "API key not found")
	ts.SetClockOffset(59 * time.Second)
	ts.do(t, "GET", "/mcps", k.Key, nil).authError(t, msgInvalidKey)
	ts.SetClockOffset(time.Minute)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	rotated := jsonBody[serverKeyView](t, ts.do(t, "POST", "/api-keys/"+k.ID+"/rotate", k.Key, nil).wantStatus(t, http.StatusOK))
	ts.do(t, "GET", "/mcps", rotated.Key, nil).authError(t, msgInvalidKey)
	ts.do(t, "GET", "/mcps", k.Key, nil).authError(t, msgInvalidKey)
	ts.SetClockOffset(2*time.Minute + time.Second)
	ts.do(t, "GET", "/mcps", rotated.Key, nil).wantStatus(t, http.StatusOK)
}
