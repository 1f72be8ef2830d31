package refserver

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	weatherUUID    = "0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60"
	calculatorUUID = "3b9e7c21-5a84-4f1d-8c36-2e7a9b0d4c15"
	sandboxUUID    = "7d5a1e94-2c63-4b7f-a018-9e4c6b2d3f87"
	privateUUID    = "c4e8f2a6-9b13-4d57-8e20-5f7a1c3b9d64"
)

func TestServerCreate(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	ts.pinClock(time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC))
	for name, tc := range map[string]struct {
		body       string
		created    func(k *serverKeyView) // the 201 answer, beyond id, key and prefixes
		stored     func(k *serverKeyView) // GET afterwards
		expiryDays int                    // GET's expires_at is now + N days
	}{
		"defaults": {body: `{"name":"ci"}`,
			created: func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM = "ci", []string{}, 60 },
			stored: func(k *serverKeyView) {
				k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode = "ci", []string{}, 60, "all"
			}},
		"everything, name trimmed, ids as given": {
			body: `{"name":" ci ","scopes":["b","a","a"],"rate_limit_rpm":10000,"mcp_access_mode":"selected",` +
				`"allowed_mcp_ids":["` + weatherUUID + `","` + strings.ToUpper(weatherUUID) + `","` + privateUUID + `","49960296-d3e9-4a3b-adae-608f0bce04d6"],"description":"dropped","mode":"live"}`,
			created: func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM = "ci", []string{"b", "a", "a"}, 10000 },
			stored: func(k *serverKeyView) {
				k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode = "ci", []string{"b", "a", "a"}, 10000, "selected"
				k.AllowedMCPIDs = &[]string{weatherUUID, weatherUUID, privateUUID, "49960296-d3e9-4a3b-adae-608f0bce04d6"}
			}},
		"an empty id list": {body: `{"name":"e","mcp_access_mode":"selected","allowed_mcp_ids":[]}`,
			created: func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM = "e", []string{}, 60 },
			stored: func(k *serverKeyView) {
				k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode, k.AllowedMCPIDs = "e", []string{}, 60, "selected", &[]string{}
			}},
		"expires_at keeps its offset in the answer": {body: `{"name":"x","expires_at":"2030-06-01T12:00:00.123456789+02:00"}`,
			created: func(k *serverKeyView) {
				k.Name, k.Scopes, k.RateLimitRPM, k.ExpiresAt = "x", []string{}, 60, ptr("2030-06-01T12:00:00.123456789+02:00")
			},
			stored: func(k *serverKeyView) {
				k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode, k.ExpiresAt = "x", []string{}, 60, "all", ptr("2030-06-01T10:00:00.123456Z")
			}},
		"a date is 23:59:59 UTC": {body: `{"name":"x","expires_at":"2030-06-01"}`,
			created: func(k *serverKeyView) {
				k.Name, k.Scopes, k.RateLimitRPM, k.ExpiresAt = "x", []string{}, 60, ptr("2030-06-01T23:59:59Z")
			},
			stored: func(k *serverKeyView) {
				k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode, k.ExpiresAt = "x", []string{}, 60, "all", ptr("2030-06-01T23:59:59Z")
			}},
		"the past is accepted": {body: `{"name":"x","expires_at":"2020-01-01T00:00:00Z"}`,
			created: func(k *serverKeyView) {
				k.Name, k.Scopes, k.RateLimitRPM, k.ExpiresAt = "x", []string{}, 60, ptr("2020-01-01T00:00:00Z")
			},
			stored: func(k *serverKeyView) {
				k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode, k.ExpiresAt = "x", []string{}, 60, "all", ptr("2020-01-01T00:00:00Z")
			}},
		"an unparsable expires_at means no expiry and wins over days": {body: `{"name":"x","expires_at":"2030-01-01T00:00:00","expires_in_days":3}`,
			created: func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM = "x", []string{}, 60 },
			stored:  func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode = "x", []string{}, 60, "all" }},
		"an empty expires_at wins too": {body: `{"name":"x","expires_at":"","expires_in_days":3}`,
			created: func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM = "x", []string{}, 60 },
			stored:  func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode = "x", []string{}, 60, "all" }},
		"expires_at null leaves the days": {body: `{"name":"x","expires_at":null,"expires_in_days":30}`, expiryDays: 30,
			created: func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM = "x", []string{}, 60 },
			stored:  func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode = "x", []string{}, 60, "all" }},
		"no range check on days": {body: `{"name":"x","expires_in_days":-3}`, expiryDays: -3,
			created: func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM = "x", []string{}, 60 },
			stored:  func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode = "x", []string{}, 60, "all" }},
		"nearly year 9999": {body: `{"name":"x","expires_in_days":2900000}`, expiryDays: 2900000,
			created: func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM = "x", []string{}, 60 },
			stored:  func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode = "x", []string{}, 60, "all" }},
		"a name of 100 bytes": {body: `{"name":"` + strings.Repeat("x", 100) + `"}`,
			created: func(k *serverKeyView) { k.Name, k.Scopes, k.RateLimitRPM = strings.Repeat("x", 100), []string{}, 60 },
			stored: func(k *serverKeyView) {
				k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode = strings.Repeat("x", 100), []string{}, 60, "all"
			}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), tc.body).wantStatus(t, http.StatusCreated)
			var fields map[string]json.RawMessage
			decodeStrict(t, r, &fields)
			if len(fields) != 8 {
				t.Errorf("the create answer has %d fields, want 8: %s", len(fields), r.body())
			}
			got := jsonBody[serverKeyView](t, r)
			if !wellFormedKey(got.Key) || got.KeyPrefix != got.Key[:17]+"..." || !fixtureUUID.MatchString(got.ID) {
				t.Errorf("key, prefix or id: %v", got)
			}
			created, err := time.Parse(time.RFC3339Nano, got.CreatedAt)
			if d := created.Sub(time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC)); err != nil || d < 0 || d > time.Minute {
				t.Errorf("created_at %q is not the server's clock", got.CreatedAt)
			}
			want := serverKeyView{}
			tc.created(&want)
			answerExpiry := got.ExpiresAt
			if tc.expiryDays != 0 {
				got.ExpiresAt = nil // checked below, against the stored one
			}
			got.ID, got.Key, got.KeyPrefix, got.CreatedAt = "", "", "", ""
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the create answer (-want +got):\n%s", diff)
			}
			stored := ts.getServerKey(t, jsonBody[serverKeyView](t, r).ID)
			if tc.expiryDays != 0 {
				exp, err1 := time.Parse(time.RFC3339Nano, *stored.ExpiresAt)
				answered, err2 := time.Parse(time.RFC3339Nano, *answerExpiry)
				if secs := exp.Unix() - created.Unix(); err1 != nil || err2 != nil || secs < int64(tc.expiryDays)*86400-5 || secs > int64(tc.expiryDays)*86400+5 {
					t.Errorf("expires_at %s is not created_at + %d days", *stored.ExpiresAt, tc.expiryDays)
				}
				if !storedTime(answered).Equal(exp) || answered.Nanosecond() == 0 {
					t.Errorf("the answer's expires_at %s is not the stored %s with nanoseconds", *answerExpiry, *stored.ExpiresAt)
				}
				stored.ExpiresAt = nil
			}
			want = serverKeyView{}
			tc.stored(&want)
			stored.ID, stored.KeyPrefix, stored.CreatedAt = "", "", ""
			if diff := cmp.Diff(want, stored); diff != "" {
				t.Errorf("GET after create (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestServerCreateRefusals checks the real server's order: name, rate
// limit, quota, expiry, access mode, PIN.
func TestServerCreateRefusals(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{API: APIServer, KeyQuota: 3})
	for name, tc := range map[string]struct {
		body    string
		status  int
		code    string
		message string
	}{
		"blank name":                      {`{"name":" \t"}`, 400, "VALIDATION_ERROR", msgKeyName},
		"101 bytes":                       {`{"name":"` + strings.Repeat("x", 101) + `"}`, 400, "VALIDATION_ERROR", msgKeyName},
		"40 CJK characters are 120 bytes": {`{"name":"` + strings.Repeat("鍵", 40) + `"}`, 400, "VALIDATION_ERROR", msgKeyName},
		"99 bytes and two spaces":         {`{"name":" ` + strings.Repeat("x", 99) + ` "}`, 400, "VALIDATION_ERROR", msgKeyName},
		"rate 0":                          {`{"name":"n","rate_limit_rpm":0}`, 400, "VALIDATION_ERROR", msgRateLimitRange},
		"rate 10001":                      {`{"name":"n","rate_limit_rpm":10001}`, 400, "VALIDATION_ERROR", msgRateLimitRange},
		"name before rate":                {`{"name":"","rate_limit_rpm":0}`, 400, "VALIDATION_ERROR", msgKeyName},
		"days past year 9999":             {`{"name":"n","expires_in_days":2147483647}`, 400, "VALIDATION_ERROR", msgExpiryOutOfYear},
		"days before year 0":              {`{"name":"n","expires_in_days":-800000}`, 400, "VALIDATION_ERROR", msgExpiryOutOfYear},
		"mode in capitals":                {`{"name":"n","mcp_access_mode":"ALL"}`, 400, "VALIDATION_ERROR", msgAccessMode},
		"days before mode":                {`{"name":"n","mcp_access_mode":"x","expires_in_days":2147483647}`, 400, "VALIDATION_ERROR", msgExpiryOutOfYear},
		"a PIN from a key":                {`{"name":"n","pin":"1234"}`, 400, "VALIDATION_ERROR", msgPINNeedsUser},
		"mode before PIN":                 {`{"name":"n","mcp_access_mode":"some","pin":"1234"}`, 400, "VALIDATION_ERROR", msgAccessMode},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts.do(t, "POST", "/api-keys", ts.AdminKey(), tc.body).serverError(t, tc.status, tc.code, tc.message)
		})
	}
	t.Cleanup(func() { // after the parallel subtests: nothing was made
		if n := len(ts.APIKeys()); n != 2 {
			t.Errorf("%d keys after only refused creates", n)
		}
	})
}

// TestServerKeyQuota: every key of the organisation counts, the bootstrap
// key and expired keys included; the quota comes after the name and rate
// checks and before the access mode.
func TestServerKeyQuota(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{API: APIServer, KeyQuota: 3})
	ts.createServerKey(t, map[string]any{"name": "two"})
	ts.createServerKey(t, map[string]any{"name": "three, expired", "expires_in_days": -1})
	quota := "Maximum 3 API keys allowed. Contact support to increase your limit."
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"four","mcp_access_mode":"bad"}`).serverError(t, 402, "QUOTA_EXCEEDED", quota)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"","rate_limit_rpm":0}`).serverError(t, 400, "VALIDATION_ERROR", msgKeyName)
	ts.do(t, "POST", "/api-keys", ts.AdminKey(), `{"name":"four","rate_limit_rpm":0}`).serverError(t, 400, "VALIDATION_ERROR", msgRateLimitRange)
	ts.do(t, "POST", "/api-keys", ts.SecondOrgAdminKey(), `{"name":"theirs"}`).wantStatus(t, http.StatusCreated)
	// Without -key-quota there is no limit.
	free := newServer(t)
	for i := range 25 {
		free.createServerKey(t, map[string]any{"name": "k" + string(rune('a'+i))})
	}
}

// TestServerPatch: fields commit one by one, in order; a bad value answers
// 400 after the fields before it were changed.
func TestServerPatch(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	for name, tc := range map[string]struct {
		create  string
		patch   string
		status  int
		message string
		want    func(k *serverKeyView)
	}{
		"all fields": {patch: `{"name":" renamed ","scopes":["x"],"rate_limit_rpm":5,"mcp_access_mode":"selected","allowed_mcp_ids":["` +
			sandboxUUID + `"],"expires_at":"2031-01-01"}`, status: 200, want: func(k *serverKeyView) {
			k.Name, k.Scopes, k.RateLimitRPM, k.MCPAccessMode = "renamed", []string{"x"}, 5, "selected"
			k.AllowedMCPIDs, k.ExpiresAt = &[]string{sandboxUUID}, ptr("2031-01-01T23:59:59Z")
		}},
		"an empty body is a read":    {patch: `{}`, status: 200, want: func(*serverKeyView) {}},
		"nulls leave fields alone":   {patch: `{"name":null,"scopes":null,"rate_limit_rpm":null,"mcp_access_mode":null,"allowed_mcp_ids":null,"expires_at":null}`, status: 200, want: func(*serverKeyView) {}},
		"expires_in_days is ignored": {patch: `{"expires_in_days":5}`, status: 200, want: func(*serverKeyView) {}},
		"an empty expires_at clears": {patch: `{"expires_at":""}`, status: 200, want: func(k *serverKeyView) { k.ExpiresAt = nil }},
		"ids with mode all stay":     {patch: `{"mcp_access_mode":"all"}`, status: 200, want: func(k *serverKeyView) { k.MCPAccessMode = "all" }},
		"a bad rate after a good name": {patch: `{"name":"kept","rate_limit_rpm":0,"scopes":["kept too"]}`, status: 400, message: msgRateLimitRange,
			want: func(k *serverKeyView) { k.Name, k.Scopes = "kept", []string{"kept too"} }},
		"a bad mode after a good rate": {patch: `{"rate_limit_rpm":7,"mcp_access_mode":"any","allowed_mcp_ids":[]}`, status: 400, message: msgAccessMode,
			want: func(k *serverKeyView) { k.RateLimitRPM = 7 }},
		"a bad expiry after everything": {patch: `{"name":"n","allowed_mcp_ids":[],"expires_at":"soon"}`, status: 400, message: msgExpiryFormat,
			want: func(k *serverKeyView) { k.Name, k.AllowedMCPIDs = "n", &[]string{} }},
		"a past expiry":    {patch: `{"expires_at":"2020-01-01T00:00:00Z"}`, status: 400, message: msgExpiryInPast, want: func(*serverKeyView) {}},
		"a bad name first": {patch: `{"name":"","rate_limit_rpm":7}`, status: 400, message: msgKeyName, want: func(*serverKeyView) {}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := ts.createServerKey(t, `{"name":"original","scopes":["s"],"rate_limit_rpm":30,"mcp_access_mode":"selected","allowed_mcp_ids":["`+
				weatherUUID+`"],"expires_at":"2030-01-01T00:00:00Z"}`)
			before := ts.getServerKey(t, k.ID)
			r := ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), tc.patch)
			want := before
			tc.want(&want)
			if tc.status != 200 {
				r.serverError(t, tc.status, "VALIDATION_ERROR", tc.message)
			} else if diff := cmp.Diff(want, jsonBody[serverKeyView](t, r.wantStatus(t, http.StatusOK))); diff != "" {
				t.Errorf("PATCH answer (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, ts.getServerKey(t, k.ID)); diff != "" {
				t.Errorf("the key after PATCH (-want +got):\n%s", diff)
			}
		})
	}
	ts.do(t, "PATCH", "/api-keys/49960296-d3e9-4a3b-adae-608f0bce04d6", ts.AdminKey(), `{}`).serverError(t, 404, "NOT_FOUND", "Resource not found")
	ts.do(t, "PATCH", "/api-keys/"+ts.bootstrap(t, firstOrgID).ID, ts.AdminKey(), `{"name":5}`).
		text(t, http.StatusUnprocessableEntity, "Failed to deserialize the JSON body into the target type: name: invalid type: integer `5`, expected a string at line 1 column 9")
}

// TestServerPatchRevives: an expired key may be patched, and a new expiry
// (or "") brings it back.
func TestServerPatchRevives(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	k := ts.createServerKey(t, map[string]any{"name": "old", "expires_in_days": -1})
	ts.do(t, "GET", "/mcps", k.Key, nil).authError(t, msgInvalidKey)
	ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), `{"expires_at":""}`).wantStatus(t, http.StatusOK)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	if rec := ts.record(t, k.ID); rec.ExpiresAt != nil || rec.Status != statusActive {
		t.Errorf("after clearing the expiry: %+v", rec)
	}
}

func TestServerDelete(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	k := ts.createServerKey(t, map[string]any{"name": "doomed"})
	ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).empty(t, http.StatusNoContent, "")
	ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).serverError(t, 404, "NOT_FOUND", "Resource not found")
	ts.do(t, "GET", "/api-keys/"+k.ID, ts.AdminKey(), nil).serverError(t, 404, "NOT_FOUND", "Resource not found")
	ts.do(t, "GET", "/mcps", k.Key, nil).authError(t, msgInvalidKey)
	if slices.ContainsFunc(ts.APIKeys(), func(r KeyRecord) bool { return r.ID == k.ID }) {
		t.Error("the deleted key is still stored")
	}
	// Even the last key may go.
	boot := ts.bootstrap(t, firstOrgID).ID
	ts.do(t, "DELETE", "/api-keys/"+boot, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
}

func TestServerRotate(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	k := ts.createServerKey(t, map[string]any{"name": "rotated", "rate_limit_rpm": 9, "scopes": []string{"s"}, "expires_in_days": 5})
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	before := ts.getServerKey(t, k.ID)
	r := ts.do(t, "POST", "/api-keys/"+k.ID+"/rotate", ts.AdminKey(), "not even JSON", "Content-Type", "text/plain").wantStatus(t, http.StatusOK)
	var fields map[string]json.RawMessage
	decodeStrict(t, r, &fields)
	got := jsonBody[serverKeyView](t, r)
	if len(fields) != 6 || got.ID != k.ID || got.Name != "rotated" || got.Key == k.Key || !wellFormedKey(got.Key) ||
		got.KeyPrefix != got.Key[:17]+"..." || got.OldKeyPrefix != k.KeyPrefix || got.RotatedAt == "" {
		t.Fatalf("rotate answered %v", got)
	}
	ts.do(t, "GET", "/mcps", k.Key, nil).authError(t, msgInvalidKey)
	after := ts.getServerKey(t, k.ID)
	want := before
	want.KeyPrefix, want.RequestCount = got.KeyPrefix, 0
	if diff := cmp.Diff(want, after); diff != "" {
		t.Errorf("after rotation (-want +got):\n%s", diff)
	}
	ts.do(t, "GET", "/mcps", got.Key, nil).wantStatus(t, http.StatusOK)
	if rec := ts.record(t, k.ID); rec.Digest != keyDigestHex(got.Key) || rec.RequestCount != 1 || rec.IssuedAt.Before(rec.CreatedAt) {
		t.Errorf("record after rotation: %+v", rec)
	}
	ts.do(t, "POST", "/api-keys/"+"49960296-d3e9-4a3b-adae-608f0bce04d6"+"/rotate", ts.AdminKey(), nil).serverError(t, 404, "NOT_FOUND", "Resource not found")
}

func TestServerUsageAnswer(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	ts.pinClock(time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC))
	k := ts.createServerKey(t, map[string]any{"name": "used"})
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	u := jsonBody[struct {
		KeyID          string `json:"key_id"`
		TotalRequests  int64  `json:"total_requests"`
		PeriodRequests int64  `json:"period_requests"`
		PeriodTokens   int64  `json:"period_tokens"`
		PeriodErrors   int64  `json:"period_errors"`
		AvgLatencyMS   *int   `json:"avg_latency_ms"`
		PeriodStart    string `json:"period_start"`
		PeriodEnd      string `json:"period_end"`
	}](t, ts.do(t, "GET", "/api-keys/"+k.ID+"/usage", k.Key, nil).wantStatus(t, http.StatusOK))
	start, err1 := time.Parse(time.RFC3339Nano, u.PeriodStart)
	end, err2 := time.Parse(time.RFC3339Nano, u.PeriodEnd)
	if u.KeyID != k.ID || u.TotalRequests != 2 || u.PeriodRequests+u.PeriodTokens+u.PeriodErrors != 0 || u.AvgLatencyMS != nil ||
		err1 != nil || err2 != nil || !strings.HasPrefix(u.PeriodStart, "2026-01-01T00:00:00") || start.Nanosecond() != end.Nanosecond() ||
		!strings.HasPrefix(u.PeriodEnd, "2026-01-20T12:00:") {
		t.Errorf("usage %+v", u)
	}
}

func TestServerReveal(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	id := ts.bootstrap(t, firstOrgID).ID
	ts.do(t, "POST", "/api-keys/"+id+"/reveal", ts.AdminKey(), `{"pin":"1234"}`).serverError(t, 401, "UNAUTHORIZED", "Authentication required")
	// The path and the body are read before the handler says no.
	ts.do(t, "POST", "/api-keys/x/reveal", ts.AdminKey(), `{"pin":"1234"}`).wantStatus(t, http.StatusBadRequest)
	ts.do(t, "POST", "/api-keys/"+id+"/reveal", ts.AdminKey(), `{}`).
		text(t, 422, "Failed to deserialize the JSON body into the target type: missing field `pin` at line 1 column 2")
}

// TestServerStateSurvivesARestart: keys keep their fields, rotated digests
// and usage; deleted ones stay deleted.
func TestServerStateSurvivesARestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	ts := newTestServer(t, Config{API: APIServer, StatePath: path})
	k := ts.createServerKey(t, map[string]any{"name": "kept", "scopes": []string{"a"}, "rate_limit_rpm": 5, "mcp_access_mode": "selected",
		"allowed_mcp_ids": []string{weatherUUID, weatherUUID}, "expires_at": "2030-01-01T00:00:00.123456789Z"})
	rotated := jsonBody[serverKeyView](t, ts.do(t, "POST", "/api-keys/"+k.ID+"/rotate", ts.AdminKey(), nil))
	gone := ts.createServerKey(t, map[string]any{"name": "gone"})
	ts.do(t, "DELETE", "/api-keys/"+gone.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
	ts.call(t, rotated.Key, "tools/list", nil)
	wantKey := ts.getServerKey(t, k.ID)
	want := ts.APIKeys()
	after := ts.restart(t, Config{API: APIServer})
	if diff := cmp.Diff(want, after.APIKeys()); diff != "" {
		t.Errorf("keys after restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(wantKey, after.getServerKey(t, k.ID)); diff != "" {
		t.Errorf("the key after restart (-before +after):\n%s", diff)
	}
	after.do(t, "GET", "/mcps", rotated.Key, nil).wantStatus(t, http.StatusOK)
	after.do(t, "GET", "/mcps", k.Key, nil).authError(t, msgInvalidKey)
	after.do(t, "GET", "/mcps", gone.Key, nil).authError(t, msgInvalidKey)
	if _, err := New(Config{StatePath: path}); err == nil {
		t.Error("a hosted server accepted a PlexMCP server's state file")
	}
}
