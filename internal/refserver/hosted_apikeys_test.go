package refserver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHostedCreateRefusals(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	perms := `"permissions":{"mcps":"*"}`
	long := func(n int) string { return strings.Repeat("é", n) }
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	t.Cleanup(func() { // after the parallel subtests
		if n := len(ts.APIKeys()); n != 2 {
			t.Errorf("%d keys exist after only refused creates", n-2)
		}
	})
	for name, tc := range map[string]struct {
		body    string
		status  int
		code    string
		message string   // exact, if set
		details []string // exact, as name, problem pairs
	}{
		// 400: not JSON, or the wrong shape.
		"empty body":               {``, 400, codeInvalidRequest, "", nil},
		"malformed":                {`{"name":"n",`, 400, codeInvalidRequest, "", nil},
		"not an object":            {`[{"name":"n"}]`, 400, codeInvalidRequest, "", nil},
		"null body":                {`null`, 400, codeInvalidRequest, "", nil},
		"trailing data":            {`{"name":"n",` + perms + `} {}`, 400, codeInvalidRequest, "", nil},
		"trailing garbage":         {`{"name":"n",` + perms + `}x`, 400, codeInvalidRequest, "", nil},
		"duplicate field":          {`{"name":"n","name":"m",` + perms + `}`, 400, codeInvalidRequest, "Duplicate field: name", []string{"name", "Duplicate field"}},
		"unknown field mode":       {`{"name":"n","mode":"live",` + perms + `}`, 400, codeInvalidRequest, "Unknown field: mode", []string{"mode", "Unknown field"}},
		"two unknown fields":       {`{"scopes":[],"name":"n","mode":"live",` + perms + `}`, 400, codeInvalidRequest, "Unknown field: mode, scopes", []string{"mode", "Unknown field", "scopes", "Unknown field"}},
		"field in the wrong case":  {`{"Name":"n",` + perms + `}`, 400, codeInvalidRequest, "", []string{"Name", "Unknown field"}},
		"name a number":            {`{"name":7,` + perms + `}`, 400, codeInvalidRequest, "", []string{"name", "Must be a string"}},
		"description an object":    {`{"name":"n","description":{},` + perms + `}`, 400, codeInvalidRequest, "", []string{"description", "Must be a string"}},
		"expires_at a number":      {`{"name":"n",` + perms + `,"expires_at":4102444800}`, 400, codeInvalidRequest, "", []string{"expires_at", "Must be a string"}},
		"expires_in_days 1.5":      {`{"name":"n",` + perms + `,"expires_in_days":1.5}`, 400, codeInvalidRequest, "", []string{"expires_in_days", "Must be an integer"}},
		"expires_in_days a string": {`{"name":"n",` + perms + `,"expires_in_days":"30"}`, 400, codeInvalidRequest, "", []string{"expires_in_days", "Must be an integer"}},
		"every wrong type at once": {`{"name":1,"description":2,` + perms + `,"expires_at":3}`, 400, codeInvalidRequest, "",
			[]string{"name", "Must be a string", "description", "Must be a string", "expires_at", "Must be a string"}},
		// 400 Invalid permissions format, before any value.
		"permissions missing":      {`{"name":"n"}`, 400, codeInvalidRequest, msgInvalidPermissions, nil},
		"permissions null":         {`{"name":"n","permissions":null}`, 400, codeInvalidRequest, msgInvalidPermissions, nil},
		"permissions a string":     {`{"name":"n","permissions":"*"}`, 400, codeInvalidRequest, msgInvalidPermissions, nil},
		"permissions empty object": {`{"name":"n","permissions":{}}`, 400, codeInvalidRequest, msgInvalidPermissions, nil},
		"permissions other field":  {`{"name":"n","permissions":{"mcps":"*","tools":"*"}}`, 400, codeInvalidRequest, msgInvalidPermissions, nil},
		"mcps another string":      {`{"name":"n","permissions":{"mcps":"all"}}`, 400, codeInvalidRequest, msgInvalidPermissions, nil},
		"mcps numbers":             {`{"name":"n","permissions":{"mcps":[1]}}`, 400, codeInvalidRequest, msgInvalidPermissions, nil},
		"mcps null":                {`{"name":"n","permissions":{"mcps":null}}`, 400, codeInvalidRequest, msgInvalidPermissions, nil},
		"mcps a null id":           {`{"name":"n","permissions":{"mcps":["mcp_weather",null]}}`, 400, codeInvalidRequest, msgInvalidPermissions, nil},
		"mcps an object":           {`{"name":"n","permissions":{"mcps":{}}}`, 400, codeInvalidRequest, msgInvalidPermissions, nil},
		"bad permissions and name": {`{"name":"","permissions":{"mcps":"all"}}`, 400, codeInvalidRequest, msgInvalidPermissions, nil},
		// 422: values, every bad one at once.
		"name missing":      {`{` + perms + `}`, 422, codeValidation, msgValidation, []string{"name", "Required"}},
		"name null":         {`{"name":null,` + perms + `}`, 422, codeValidation, msgValidation, []string{"name", "Required"}},
		"name empty":        {`{"name":"",` + perms + `}`, 422, codeValidation, msgValidation, []string{"name", "Must be 1 to 100 characters"}},
		"name blank":        {`{"name":" \t\u00a0\u3000",` + perms + `}`, 422, codeValidation, msgValidation, []string{"name", "Must be 1 to 100 characters"}},
		"name 101":          {`{"name":"` + long(101) + `",` + perms + `}`, 422, codeValidation, msgValidation, []string{"name", "Must be 1 to 100 characters"}},
		"description 501":   {`{"name":"n","description":"` + long(501) + `",` + perms + `}`, 422, codeValidation, msgValidation, []string{"description", "Must be at most 500 characters"}},
		"mcps empty list":   {`{"name":"n","permissions":{"mcps":[]}}`, 422, codeValidation, msgValidation, []string{"permissions", "Must list at least one MCP"}},
		"mcps unknown id":   {`{"name":"n","permissions":{"mcps":["mcp_weather","mcp_nope"]}}`, 422, codeValidation, msgValidation, []string{"permissions", "unknown MCP: mcp_nope"}},
		"mcps unknown ids":  {`{"name":"n","permissions":{"mcps":["mcp_x","mcp_weather","mcp_y","mcp_x"]}}`, 422, codeValidation, msgValidation, []string{"permissions", "unknown MCPs: mcp_x, mcp_y"}},
		"expires_at past":   {`{"name":"n",` + perms + `,"expires_at":"2020-01-01T00:00:00Z"}`, 422, codeValidation, msgValidation, []string{"expires_at", "Must be a future date"}},
		"expires_at a date": {`{"name":"n",` + perms + `,"expires_at":"2099-01-01"}`, 422, codeValidation, msgValidation, []string{"expires_at", "Must be an RFC 3339 timestamp"}},
		"both expiries": {`{"name":"n",` + perms + `,"expires_at":"` + future + `","expires_in_days":3}`, 422, codeValidation, msgValidation,
			[]string{"expires_in_days", "Cannot be combined with expires_at"}},
		"expires_in_days 0":    {`{"name":"n",` + perms + `,"expires_in_days":0}`, 422, codeValidation, msgValidation, []string{"expires_in_days", "Must be between 1 and 3650"}},
		"expires_in_days 3651": {`{"name":"n",` + perms + `,"expires_in_days":3651}`, 422, codeValidation, msgValidation, []string{"expires_in_days", "Must be between 1 and 3650"}},
		"expires_in_days -1":   {`{"name":"n",` + perms + `,"expires_in_days":-1}`, 422, codeValidation, msgValidation, []string{"expires_in_days", "Must be between 1 and 3650"}},
		"expires_in_days 1e30": {`{"name":"n",` + perms + `,"expires_in_days":1e30}`, 422, codeValidation, msgValidation, []string{"expires_in_days", "Must be between 1 and 3650"}},
		"every bad value": {`{"name":"","description":"` + long(501) + `","permissions":{"mcps":[]},"expires_at":"2020-01-01T00:00:00Z"}`, 422, codeValidation, msgValidation,
			[]string{"name", "Must be 1 to 100 characters", "description", "Must be at most 500 characters", "permissions", "Must list at least one MCP", "expires_at", "Must be a future date"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := ts.do(t, "POST", "/api-keys", ts.AdminKey(), tc.body).hostedError(t, tc.status, tc.code, tc.details...)
			if tc.message != "" && e.Message != tc.message {
				t.Errorf("message %q, want %q", e.Message, tc.message)
			}
			if tc.details == nil && e.Details != nil && tc.message == msgInvalidPermissions {
				t.Errorf("details %v, want none", e.Details)
			}
		})
	}
}

func TestHostedCreate(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	before := wholeSeconds(ts.Now())
	for name, tc := range map[string]struct {
		body        map[string]any
		name, desc  string
		mcps        string
		expiryDays  int       // expires_at = now + N days
		expiresAt   time.Time // or exactly this
		description string
	}{
		"minimal":                        {body: allMCPs("ci"), name: "ci", mcps: `"*"`},
		"names are stored trimmed":       {body: allMCPs(" \u3000padded name\t "), name: "padded name", mcps: `"*"`},
		"duplicates dropped, order kept": {body: someMCPs("d", "mcp_sandbox", "mcp_weather", "mcp_sandbox"), name: "d", mcps: `["mcp_sandbox","mcp_weather"]`},
		"100 characters after trimming, description of 500": {
			body: map[string]any{"name": " " + strings.Repeat("é", 100) + " ", "description": strings.Repeat("d", 500), "permissions": map[string]any{"mcps": "*"}},
			name: strings.Repeat("é", 100), desc: strings.Repeat("d", 500), mcps: `"*"`,
		},
		"expires_at to the second in UTC": {
			body: map[string]any{"name": "x", "permissions": map[string]any{"mcps": "*"}, "expires_at": "2099-01-01T01:00:00.75+01:00"},
			name: "x", mcps: `"*"`, expiresAt: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		"null means absent": {
			body: map[string]any{"name": "x", "description": nil, "permissions": map[string]any{"mcps": "*"}, "expires_at": nil, "expires_in_days": nil},
			name: "x", mcps: `"*"`,
		},
		"expires_in_days 1":    {body: map[string]any{"name": "x", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 1}, name: "x", mcps: `"*"`, expiryDays: 1},
		"expires_in_days 3650": {body: map[string]any{"name": "x", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 3650.0}, name: "x", mcps: `"*"`, expiryDays: 3650},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), tc.body).wantStatus(t, http.StatusCreated)
			after := wholeSeconds(ts.Now())

			// Exactly the eight documented fields.
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(r.envelope(t).Data, &fields); err != nil {
				t.Fatal(err)
			}
			got := slices.Sorted(func(yield func(string) bool) {
				for k := range fields {
					if !yield(k) {
						return
					}
				}
			})
			if want := []string{"created_at", "expires_at", "id", "key", "name", "permissions", "prefix", "status"}; !slices.Equal(got, want) {
				t.Errorf("create answered with %v, want exactly %v", got, want)
			}
			k := data[keyView](t, r)
			if !wellFormedKey(k.Key) || k.Prefix != k.Key[:12] || k.Status != statusActive || k.Name != tc.name {
				t.Errorf("created %v", k)
			}
			if !strings.HasPrefix(k.ID, "key_") || strings.Trim(k.ID[4:], base62Alphabet) != "" {
				t.Errorf("id %q is not key_ and base62", k.ID)
			}
			if string(k.Permissions.MCPs) != tc.mcps {
				t.Errorf("permissions.mcps %s, want %s", k.Permissions.MCPs, tc.mcps)
			}
			created := mustParseHostedTime(t, k.CreatedAt)
			if created.Before(before) || created.After(after) {
				t.Errorf("created_at %s outside [%s, %s]", k.CreatedAt, before, after)
			}
			switch {
			case tc.expiryDays > 0:
				exp := mustParseHostedTime(t, *k.ExpiresAt)
				d := time.Duration(tc.expiryDays) * 24 * time.Hour
				if exp.Before(before.Add(d)) || exp.After(after.Add(d)) {
					t.Errorf("expires_at %s is not now + %d days", *k.ExpiresAt, tc.expiryDays)
				}
			case !tc.expiresAt.IsZero():
				if k.ExpiresAt == nil || *k.ExpiresAt != tc.expiresAt.Format(hostedTimeLayout) {
					t.Errorf("expires_at %v, want %s", k.ExpiresAt, tc.expiresAt)
				}
			case k.ExpiresAt != nil:
				t.Errorf("expires_at %s, want null", *k.ExpiresAt)
			}

			// The server keeps a digest, and never answers with the secret again.
			sum := sha256.Sum256([]byte(k.Key))
			if rec := ts.record(t, k.ID); rec.Digest != hex.EncodeToString(sum[:]) || rec.Bootstrap || rec.Description != tc.desc {
				t.Errorf("record %+v", rec)
			}
			got2 := ts.do(t, "GET", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
			if strings.Contains(string(got2.raw), k.Key) || strings.Contains(string(got2.raw), `"key"`) {
				t.Errorf("GET returns the secret: %s", got2.body())
			}
			if d := data[keyView](t, got2); d.Description != tc.desc || d.UpdatedAt != d.CreatedAt || d.CreatedAt != k.CreatedAt {
				t.Errorf("GET after create: %v", d)
			}
		})
	}
}

func mustParseHostedTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(hostedTimeLayout, s)
	if err != nil {
		t.Fatalf("timestamp %q is not UTC whole seconds with Z: %v", s, err)
	}
	return tm
}

// TestHostedKeyQuota: active keys count, the bootstrap key included;
// revoked and expired ones do not.
func TestHostedKeyQuota(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{KeyQuota: 3})
	ts.createKey(t, allMCPs("two"))
	doomed := ts.createKey(t, allMCPs("three"))
	over := func() {
		t.Helper()
		e := ts.do(t, "POST", "/api-keys", ts.AdminKey(), allMCPs("four")).hostedError(t, http.StatusForbidden, codeForbidden)
		if e.Message != msgKeyQuota {
			t.Errorf("message %q", e.Message)
		}
	}
	over()
	// The other organisation has its own quota.
	ts.do(t, "POST", "/api-keys", ts.SecondOrgAdminKey(), allMCPs("theirs")).wantStatus(t, http.StatusCreated)
	ts.do(t, "DELETE", "/api-keys/"+doomed.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	soon := ts.createKey(t, map[string]any{"name": "soon", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 1})
	over()
	ts.SetClockOffset(25 * time.Hour)
	ts.createKey(t, allMCPs("after expiry"))
	over()
	if ts.record(t, soon.ID).Status != statusExpired {
		t.Error("the key meant to expire did not")
	}
}

func TestHostedListAPIKeys(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	boot := ts.bootstrap(t, firstOrgID).ID
	var made []string
	for i := range 5 {
		ts.SetClockOffset(time.Duration(i+1) * time.Minute) // distinct created_at
		made = append(made, ts.createKey(t, allMCPs("k"+string(rune('0'+i)))).ID)
	}
	revoked := []string{made[1], made[2]}
	for _, id := range revoked {
		ts.do(t, "DELETE", "/api-keys/"+id, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	}
	ts.SetClockOffset(6 * time.Minute)
	expired := ts.createKey(t, map[string]any{"name": "soon", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 1}).ID
	ts.SetClockOffset(25*time.Hour + 10*time.Minute)
	order := append(append([]string{boot}, made...), expired)
	active := []string{boot, made[0], made[3], made[4]}
	for query, tc := range map[string]struct {
		ids        []string
		pagination wirePagination
	}{
		"":                                 {order, wirePagination{1, 20, 7, 1}},
		"?per_page=4":                      {order[:4], wirePagination{1, 4, 7, 2}},
		"?per_page=4&page=2":               {order[4:], wirePagination{2, 4, 7, 2}},
		"?per_page=4&page=3":               {[]string{}, wirePagination{3, 4, 7, 2}},
		"?per_page=100":                    {order, wirePagination{1, 100, 7, 1}},
		"?status=revoked":                  {revoked, wirePagination{1, 20, 2, 1}},
		"?status=expired":                  {[]string{expired}, wirePagination{1, 20, 1, 1}},
		"?status=active":                   {active, wirePagination{1, 20, 4, 1}},
		"?status=active&per_page=1&page=3": {active[2:3], wirePagination{3, 1, 4, 4}},
		"?unknown=ignored":                 {order, wirePagination{1, 20, 7, 1}},
	} {
		t.Run(query, func(t *testing.T) {
			t.Parallel()
			r := ts.do(t, "GET", "/api-keys"+query, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
			ids := []string{}
			for _, k := range data[[]keyView](t, r) {
				ids = append(ids, k.ID)
				if k.Key != "" || k.CreatedBy != nil || k.RecentActivity != nil || k.Usage.RequestsThisWeek != nil {
					t.Errorf("list item %s has detail or secret fields: %v", k.ID, k)
				}
			}
			if !slices.Equal(ids, tc.ids) {
				t.Errorf("ids %v, want %v", ids, tc.ids)
			}
			if diff := cmp.Diff(&tc.pagination, r.envelope(t).Pagination); diff != "" {
				t.Errorf("pagination (-want +got):\n%s", diff)
			}
		})
	}
	for q, param := range map[string]string{"?status=Active": "status", "?status=all": "status", "?status=": "status",
		"?per_page=101": "per_page", "?per_page=0": "per_page", "?page=-2": "page", "?page=x": "page"} {
		e := ts.do(t, "GET", "/api-keys"+q, ts.AdminKey(), nil).hostedError(t, http.StatusBadRequest, codeInvalidRequest)
		if _, ok := e.Details[param]; !ok {
			t.Errorf("%s: details %v do not name %s", q, e.Details, param)
		}
	}
	// An empty page has total_pages 0.
	empty := ts.do(t, "GET", "/api-keys?status=expired", ts.SecondOrgAdminKey(), nil).envelope(t)
	if string(empty.Data) != "[]" || *empty.Pagination != (wirePagination{1, 20, 0, 0}) {
		t.Errorf("empty list: %s %+v", empty.Data, *empty.Pagination)
	}
}

// TestHostedKeyDetail: created_by is the organisation's seeded owner;
// recent_activity holds the ten newest invocations, newest first.
func TestHostedKeyDetail(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	k := ts.createKey(t, someMCPs("active", "mcp_sandbox"))
	base := time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC)
	for i := range 12 {
		ts.pinClock(base.Add(time.Duration(i) * time.Second))
		ts.invoke(t, k.Key, invokeBody("mcp_sandbox", "echo", map[string]any{"i": i})).wantStatus(t, http.StatusOK)
	}
	ts.pinClock(base.Add(12 * time.Second))
	ts.invoke(t, k.Key, invokeBody("mcp_weather", "get_weather", nil)).wantStatus(t, http.StatusForbidden)
	ts.invoke(t, k.Key, `{"mcp_id":"mcp_sandbox"}`).wantStatus(t, http.StatusUnprocessableEntity)
	ts.invoke(t, k.Key, invokeBody("mcp_nope", "x", nil)).wantStatus(t, http.StatusNotFound)
	got := ts.getKey(t, k.ID)
	if got.CreatedBy == nil || got.CreatedBy.ID != "user_7Qm2Xk9LpV4tR8nBc3Wd" || got.CreatedBy.Email != "owner@example.com" {
		t.Errorf("created_by %+v", got.CreatedBy)
	}
	if len(got.RecentActivity) != maxActivity {
		t.Fatalf("%d activity entries, want %d", len(got.RecentActivity), maxActivity)
	}
	first, second, third := got.RecentActivity[0], got.RecentActivity[1], got.RecentActivity[2]
	if first.MCPID != "mcp_nope" || first.Tool != "x" || first.Status != "error" ||
		second.MCPID != "mcp_sandbox" || second.Tool != "" || second.Status != "error" ||
		third.MCPID != "mcp_weather" || third.Status != "error" || got.RecentActivity[3].Status != "success" {
		t.Errorf("newest entries: %+v", got.RecentActivity[:4])
	}
	for i := 1; i < len(got.RecentActivity); i++ {
		if got.RecentActivity[i-1].Timestamp < got.RecentActivity[i].Timestamp {
			t.Fatalf("activity not newest first: %+v", got.RecentActivity)
		}
	}
	if first.Timestamp != "2026-01-20T12:00:12Z" || got.RecentActivity[maxActivity-1].Timestamp != "2026-01-20T12:00:05Z" {
		t.Errorf("entries from %s back to %s; want 12:00:12 back to 12:00:05, the oldest five gone",
			first.Timestamp, got.RecentActivity[maxActivity-1].Timestamp)
	}
	other := ts.do(t, "GET", "/api-keys/"+ts.bootstrap(t, secondOrgID).ID, ts.SecondOrgAdminKey(), nil)
	if d := data[keyView](t, other); d.CreatedBy.Email != "owner@second.example.com" || len(d.RecentActivity) != 0 || d.RecentActivity == nil {
		t.Errorf("the second organisation's bootstrap key: %v", d)
	}
}

func TestHostedPatchAPIKey(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	revoked := ts.createKey(t, allMCPs("revoked"))
	ts.do(t, "DELETE", "/api-keys/"+revoked.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	immutable := "Permissions and expiration cannot be modified after creation. Create a new key instead."

	for name, tc := range map[string]struct {
		patch   string
		id      string // default: a fresh key
		expire  bool   // move the clock past the key's expiry first
		status  int
		code    string
		details []string
		want    func(k *keyView) // the change on success
	}{
		"rename, trimmed":           {patch: `{"name":"  renamed "}`, status: 200, want: func(k *keyView) { k.Name = "renamed" }},
		"description":               {patch: `{"description":"new"}`, status: 200, want: func(k *keyView) { k.Description = "new" }},
		"both":                      {patch: `{"name":"n","description":""}`, status: 200, want: func(k *keyView) { k.Name, k.Description = "n", "" }},
		"null changes nothing":      {patch: `{"name":null,"description":null}`, status: 200, want: func(*keyView) {}},
		"empty patch":               {patch: `{}`, status: 200, want: func(*keyView) {}},
		"the same name":             {patch: `{"name":"original"}`, status: 200, want: func(*keyView) {}},
		"an expired key":            {patch: `{"name":"still mine"}`, expire: true, status: 200, want: func(k *keyView) { k.Name = "still mine" }},
		"malformed":                 {patch: `{"name":`, status: 400, code: codeInvalidRequest},
		"unknown field":             {patch: `{"label":"x"}`, status: 400, code: codeInvalidRequest, details: []string{"label", "Unknown field"}},
		"name a number":             {patch: `{"name":5}`, status: 400, code: codeInvalidRequest, details: []string{"name", "Must be a string"}},
		"400 before 404":            {patch: `{"mode":"x"}`, id: "key_nope", status: 400, code: codeInvalidRequest},
		"unknown id":                {patch: `{"name":"x"}`, id: "key_nope", status: 404, code: codeNotFound},
		"404 before 422 immutable":  {patch: `{"permissions":{"mcps":"*"}}`, id: "key_nope", status: 404, code: codeNotFound},
		"permissions":               {patch: `{"permissions":{"mcps":"*"}}`, status: 422, code: codeValidation, details: []string{"permissions", immutable}},
		"expires_at":                {patch: `{"name":"ok","expires_at":"2099-01-01T00:00:00Z"}`, status: 422, code: codeValidation, details: []string{"expires_at", immutable}},
		"all three, whatever types": {patch: `{"permissions":5,"expires_at":[],"expires_in_days":"x"}`, status: 422, code: codeValidation, details: []string{"permissions", immutable, "expires_at", immutable, "expires_in_days", immutable}},
		"422 immutable before 409":  {patch: `{"expires_in_days":3}`, id: revoked.ID, status: 422, code: codeValidation, details: []string{"expires_in_days", immutable}},
		"revoked":                   {patch: `{"name":"x"}`, id: revoked.ID, status: 409, code: codeConflict},
		"409 before values":         {patch: `{"name":""}`, id: revoked.ID, status: 409, code: codeConflict},
		"empty name":                {patch: `{"name":" "}`, status: 422, code: codeValidation, details: []string{"name", "Must be 1 to 100 characters"}},
		"bad values, all at once":   {patch: `{"name":"","description":"` + strings.Repeat("d", 501) + `"}`, status: 422, code: codeValidation, details: []string{"name", "Must be 1 to 100 characters", "description", "Must be at most 500 characters"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := ts
			if tc.expire {
				srv = newHosted(t) // its own clock
			}
			k := srv.createKey(t, map[string]any{"name": "original", "description": "old", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 1})
			before := srv.getKey(t, k.ID)
			id := tc.id
			if id == "" {
				id = k.ID
			}
			if tc.expire {
				srv.SetClockOffset(25 * time.Hour)
				before.Status = statusExpired
			}
			srv.SetClockOffset(time.Duration(srv.clockOffset.Load()) + 2*time.Second) // so a change moves updated_at
			r := srv.do(t, "PATCH", "/api-keys/"+id, srv.AdminKey(), tc.patch)
			after := srv.getKey(t, k.ID)
			if tc.code != "" {
				r.hostedError(t, tc.status, tc.code, tc.details...)
				if tc.id == "" && !cmp.Equal(before, after) {
					t.Errorf("a refused PATCH changed the key: %s", cmp.Diff(before, after))
				}
				return
			}
			r.wantStatus(t, tc.status)
			var answer map[string]any
			if err := json.Unmarshal(r.envelope(t).Data, &answer); err != nil || len(answer) != 4 {
				t.Errorf("PATCH answered %s, want exactly id, name, description, updated_at", r.body())
			}
			want := before
			tc.want(&want)
			if want.Name != before.Name || want.Description != before.Description {
				want.UpdatedAt = after.UpdatedAt
				if after.UpdatedAt == before.UpdatedAt {
					t.Error("a change left updated_at as it was")
				}
			}
			if diff := cmp.Diff(want, after); diff != "" {
				t.Errorf("after PATCH (-want +got):\n%s", diff)
			}
			p := data[keyView](t, r)
			if p.ID != k.ID || p.Name != after.Name || p.Description != after.Description || p.UpdatedAt != after.UpdatedAt {
				t.Errorf("PATCH answer %v differs from the key %v", p, after)
			}
		})
	}
}

func TestHostedDeleteAPIKey(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	k := ts.createKey(t, allMCPs("doomed"))
	ts.SetClockOffset(time.Minute)
	r := ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	type revokedView struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		RevokedAt string `json:"revoked_at"`
	}
	first := data[revokedView](t, r)
	if first.ID != k.ID || first.Status != statusRevoked || mustParseHostedTime(t, first.RevokedAt).IsZero() {
		t.Fatalf("DELETE answered %+v", first)
	}
	got := ts.getKey(t, k.ID)
	if got.Status != statusRevoked || got.RevokedAt == nil || *got.RevokedAt != first.RevokedAt || got.UpdatedAt != first.RevokedAt {
		t.Errorf("after DELETE: %v", got)
	}
	ts.SetClockOffset(time.Hour)
	again := data[revokedView](t, ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK))
	if again != first {
		t.Errorf("revoking again answered %+v, want the first revocation %+v", again, first)
	}
	ts.do(t, "DELETE", "/api-keys/key_unknown", ts.AdminKey(), nil).hostedError(t, http.StatusNotFound, codeNotFound)
	// Still listed, as revoked.
	listed := data[[]keyView](t, ts.do(t, "GET", "/api-keys?status=revoked", ts.AdminKey(), nil))
	if len(listed) != 1 || listed[0].ID != k.ID {
		t.Errorf("revoked keys listed: %+v", listed)
	}
}

// TestHostedOnlyActiveKey: the organisation's last active key cannot be
// revoked, by itself or by anyone, until another key is active.
func TestHostedOnlyActiveKey(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	boot := ts.bootstrap(t, firstOrgID).ID
	e := ts.do(t, "DELETE", "/api-keys/"+boot, ts.AdminKey(), nil).hostedError(t, http.StatusForbidden, codeForbidden)
	if e.Message != msgOnlyActiveKey {
		t.Errorf("message %q", e.Message)
	}
	// An expired key does not count as active, and may itself be revoked.
	soon := ts.createKey(t, map[string]any{"name": "soon", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 1})
	ts.SetClockOffset(25 * time.Hour)
	ts.do(t, "DELETE", "/api-keys/"+boot, ts.AdminKey(), nil).hostedError(t, http.StatusForbidden, codeForbidden)
	ts.do(t, "DELETE", "/api-keys/"+soon.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
	// With another active key, the bootstrap key can go, and then the other
	// is the only one.
	other := ts.createKey(t, allMCPs("other"))
	ts.do(t, "DELETE", "/api-keys/"+boot, other.Key, nil).wantStatus(t, http.StatusOK)
	ts.do(t, "DELETE", "/api-keys/"+other.ID, other.Key, nil).hostedError(t, http.StatusForbidden, codeForbidden)
	if rec := ts.record(t, boot); rec.Status != statusRevoked {
		t.Errorf("bootstrap key after revocation: %+v", rec)
	}
}

func TestPurgeAPIKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	ts := newTestServer(t, Config{StatePath: path})
	gone := ts.createKey(t, allMCPs("purged"))
	kept := ts.createKey(t, allMCPs("kept"))
	if ok, err := ts.PurgeAPIKey(gone.ID); !ok || err != nil {
		t.Fatalf("PurgeAPIKey = %v, %v; want true, nil", ok, err)
	}
	ts.do(t, "GET", "/api-keys/"+gone.ID, ts.AdminKey(), nil).hostedError(t, http.StatusNotFound, codeNotFound)
	ts.do(t, "DELETE", "/api-keys/"+gone.ID, ts.AdminKey(), nil).hostedError(t, http.StatusNotFound, codeNotFound)
	ts.do(t, "GET", "/mcps", gone.Key, nil).hostedError(t, http.StatusUnauthorized, codeUnauthorized)
	ts.do(t, "GET", "/mcps", kept.Key, nil).wantStatus(t, http.StatusOK)
	if ok, err := ts.PurgeAPIKey(gone.ID); ok || err != nil {
		t.Errorf("second PurgeAPIKey = %v, %v; want false, nil", ok, err)
	}
	// The purge reached the state file: a restart does not bring it back.
	restarted := newTestServer(t, Config{StatePath: path, AdminKey: ts.AdminKey(), SecondOrgAdminKey: ts.SecondOrgAdminKey()})
	var ids []string
	for _, k := range restarted.APIKeys() {
		ids = append(ids, k.ID)
	}
	if slices.Contains(ids, gone.ID) || !slices.Contains(ids, kept.ID) || len(ids) != 3 {
		t.Errorf("keys after restart: %v, want the two bootstrap keys and %s", ids, kept.ID)
	}
}
