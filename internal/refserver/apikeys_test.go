package refserver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

func TestCreateAPIKeyValidation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	perms := `"permissions":{"mcps":"*"}`
	long := func(n int) string { return strings.Repeat("x", n) }
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	t.Cleanup(func() { // after the parallel subtests
		if n := len(ts.APIKeys()); n != 0 {
			t.Errorf("%d keys exist after only invalid creates", n)
		}
	})
	for name, tc := range map[string]struct {
		body  string
		code  string
		field string
	}{
		"name missing":              {`{` + perms + `}`, codeValidation, "name"},
		"name empty":                {`{"name":"",` + perms + `}`, codeValidation, "name"},
		"name blank":                {`{"name":"  \t ",` + perms + `}`, codeValidation, "name"},
		"name 101":                  {`{"name":"` + long(101) + `",` + perms + `}`, codeValidation, "name"},
		"name null":                 {`{"name":null,` + perms + `}`, codeValidation, "name"},
		"name number":               {`{"name":7,` + perms + `}`, codeValidation, "name"},
		"description 501":           {`{"name":"n","description":"` + long(501) + `",` + perms + `}`, codeValidation, "description"},
		"description object":        {`{"name":"n","description":{},` + perms + `}`, codeValidation, "description"},
		"mode prod":                 {`{"name":"n","mode":"prod",` + perms + `}`, codeValidation, "mode"},
		"mode uppercase":            {`{"name":"n","mode":"LIVE",` + perms + `}`, codeValidation, "mode"},
		"permissions missing":       {`{"name":"n"}`, codeValidation, "permissions"},
		"permissions null":          {`{"name":"n","permissions":null}`, codeValidation, "permissions"},
		"permissions empty object":  {`{"name":"n","permissions":{}}`, codeValidation, "permissions"},
		"permissions a string":      {`{"name":"n","permissions":"*"}`, codeValidation, "permissions"},
		"mcps empty list":           {`{"name":"n","permissions":{"mcps":[]}}`, codeValidation, "permissions"},
		"mcps other string":         {`{"name":"n","permissions":{"mcps":"all"}}`, codeValidation, "permissions"},
		"mcps numbers":              {`{"name":"n","permissions":{"mcps":[1]}}`, codeValidation, "permissions"},
		"mcps unknown id":           {`{"name":"n","permissions":{"mcps":["mcp_weather","mcp_nope"]}}`, codeValidation, "permissions"},
		"mcps other org's id":       {`{"name":"n","permissions":{"mcps":["mcp_private_tools"]}}`, codeValidation, "permissions"},
		"permissions unknown field": {`{"name":"n","permissions":{"mcps":"*","tools":"*"}}`, codeInvalidRequest, "permissions.tools"},
		"expires_at in the past":    {`{"name":"n",` + perms + `,"expires_at":"2020-01-01T00:00:00Z"}`, codeValidation, "expires_at"},
		"expires_at not RFC 3339":   {`{"name":"n",` + perms + `,"expires_at":"2099-01-01"}`, codeValidation, "expires_at"},
		"expires_at a number":       {`{"name":"n",` + perms + `,"expires_at":4102444800}`, codeValidation, "expires_at"},
		"both expiries":             {`{"name":"n",` + perms + `,"expires_at":"` + future + `","expires_in_days":3}`, codeValidation, "expires_in_days"},
		"expires_in_days 0":         {`{"name":"n",` + perms + `,"expires_in_days":0}`, codeValidation, "expires_in_days"},
		"expires_in_days 3651":      {`{"name":"n",` + perms + `,"expires_in_days":3651}`, codeValidation, "expires_in_days"},
		"expires_in_days 1.5":       {`{"name":"n",` + perms + `,"expires_in_days":1.5}`, codeValidation, "expires_in_days"},
		"expires_in_days string":    {`{"name":"n",` + perms + `,"expires_in_days":"30"}`, codeValidation, "expires_in_days"},
		"expires_in_days negative":  {`{"name":"n",` + perms + `,"expires_in_days":-1}`, codeValidation, "expires_in_days"},
		"unknown field":             {`{"name":"n",` + perms + `,"scopes":["read"]}`, codeInvalidRequest, "scopes"},
		"field in the wrong case":   {`{"Name":"n",` + perms + `}`, codeInvalidRequest, "Name"},
		"duplicate field":           {`{"name":"n","name":"m",` + perms + `}`, codeInvalidRequest, "name"},
		"trailing data":             {`{"name":"n",` + perms + `} {}`, codeInvalidRequest, ""},
		"trailing garbage":          {`{"name":"n",` + perms + `}x`, codeInvalidRequest, ""},
		"malformed":                 {`{"name":"n",`, codeInvalidRequest, ""},
		"not an object":             {`[{"name":"n"}]`, codeInvalidRequest, ""},
		"null body":                 {`null`, codeInvalidRequest, ""},
		"empty body":                {``, codeInvalidRequest, ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts.do(t, "POST", "/api-keys", ts.AdminKey(), tc.body).wantError(t, http.StatusBadRequest, tc.code, tc.field)
		})
	}
}

func TestCreateAPIKeyUnknownMCPIsNamed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	e := ts.do(t, "POST", "/api-keys", ts.AdminKey(), someMCPs("n", "mcp_weather", "mcp_nope")).
		wantError(t, http.StatusBadRequest, codeValidation, "permissions")
	if e.Details["value"] != "mcp_nope" || !strings.Contains(e.Message, "mcp_nope") {
		t.Errorf("error does not name the unknown id: %+v", e)
	}
}

func TestCreateAPIKey(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	before := wallTime(ts.Now())
	for name, tc := range map[string]struct {
		body       map[string]any
		want       keyView // compared without id, key, key_prefix and times
		wantMCPs   string
		expiryDays int       // expires_at = now + N days
		expiresAt  time.Time // or exactly this
	}{
		"minimal": {
			body:     allMCPs("ci"),
			want:     keyView{Name: "ci", Mode: "live", Status: "active"},
			wantMCPs: `"*"`,
		},
		"everything, duplicates dropped in order": {
			body: map[string]any{"name": "  padded name  ", "description": "for CI", "mode": "test",
				"permissions":     map[string]any{"mcps": []string{"mcp_sandbox", "mcp_weather", "mcp_sandbox", "mcp_weather"}},
				"expires_in_days": 90},
			want:       keyView{Name: "  padded name  ", Description: "for CI", Mode: "test", Status: "active"},
			wantMCPs:   `["mcp_sandbox","mcp_weather"]`,
			expiryDays: 90,
		},
		"name of exactly 100 after trimming, description of 500": {
			body:     map[string]any{"name": " " + strings.Repeat("é", 100) + " ", "description": strings.Repeat("d", 500), "permissions": map[string]any{"mcps": "*"}},
			want:     keyView{Name: " " + strings.Repeat("é", 100) + " ", Description: strings.Repeat("d", 500), Mode: "live", Status: "active"},
			wantMCPs: `"*"`,
		},
		"expires_at truncated to the second in UTC": {
			body:      map[string]any{"name": "x", "permissions": map[string]any{"mcps": "*"}, "expires_at": "2099-01-01T01:00:00.75+01:00"},
			want:      keyView{Name: "x", Mode: "live", Status: "active"},
			wantMCPs:  `"*"`,
			expiresAt: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		"null optional fields": {
			body:     map[string]any{"name": "x", "description": nil, "mode": nil, "permissions": map[string]any{"mcps": "*"}, "expires_at": nil, "expires_in_days": nil},
			want:     keyView{Name: "x", Mode: "live", Status: "active"},
			wantMCPs: `"*"`,
		},
		"expires_in_days 3650": {
			body:       map[string]any{"name": "x", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 3650},
			want:       keyView{Name: "x", Mode: "live", Status: "active"},
			wantMCPs:   `"*"`,
			expiryDays: 3650,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := ts.createKey(t, tc.body)
			after := wallTime(ts.Now())

			wantPrefix := "pk_" + tc.want.Mode + "_"
			if !strings.HasPrefix(k.Key, wantPrefix) || !wellFormedKey(k.Key) || k.KeyPrefix != k.Key[:12] {
				t.Errorf("key %q, key_prefix %q", testsecrets.Hide(k.Key), k.KeyPrefix)
			}
			if !strings.HasPrefix(k.ID, "key_") || strings.Trim(k.ID[4:], base62Alphabet) != "" {
				t.Errorf("id %q is not key_ + base62", k.ID)
			}
			if string(k.Permissions.MCPs) != tc.wantMCPs {
				t.Errorf("permissions.mcps %s, want %s", k.Permissions.MCPs, tc.wantMCPs)
			}
			created := mustParseWireTime(t, k.CreatedAt)
			if created.Before(before) || created.After(after) {
				t.Errorf("created_at %s outside [%s, %s]", k.CreatedAt, before, after)
			}
			switch {
			case tc.expiryDays > 0:
				exp := mustParseWireTime(t, *k.ExpiresAt)
				d := time.Duration(tc.expiryDays) * 24 * time.Hour
				if exp.Before(before.Add(d)) || exp.After(after.Add(d)) {
					t.Errorf("expires_at %s is not now + %d days", *k.ExpiresAt, tc.expiryDays)
				}
			case !tc.expiresAt.IsZero():
				if k.ExpiresAt == nil || *k.ExpiresAt != tc.expiresAt.Format(wireTimeLayout) {
					t.Errorf("expires_at %v, want %s", k.ExpiresAt, tc.expiresAt)
				}
			case k.ExpiresAt != nil:
				t.Errorf("expires_at %s, want null", *k.ExpiresAt)
			}
			got := k
			got.ID, got.Key, got.KeyPrefix, got.CreatedAt, got.ExpiresAt, got.Permissions.MCPs = "", "", "", "", nil, nil
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}

			// The server keeps a digest, and never answers with the secret again.
			sum := sha256.Sum256([]byte(k.Key))
			if rec := ts.record(t, k.ID); rec.Digest != hex.EncodeToString(sum[:]) {
				t.Errorf("stored digest %s is not SHA-256 of the key", rec.Digest)
			}
			r := ts.do(t, "GET", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
			if strings.Contains(string(r.raw), k.Key) || strings.Contains(string(r.raw), `"key"`) {
				t.Errorf("GET returns the secret: %s", r.body())
			}
		})
	}
}

func mustParseWireTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(wireTimeLayout, s)
	if err != nil {
		t.Fatalf("timestamp %q is not UTC whole seconds with Z: %v", s, err)
	}
	return tm
}

func TestListAPIKeys(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	if r := ts.do(t, "GET", "/api-keys", ts.AdminKey(), nil).wantStatus(t, http.StatusOK); string(r.env.Data) != "[]" ||
		*r.env.Pagination != (wirePagination{1, 20, 0, 0}) {
		t.Fatalf("empty list: %s", r.body())
	}
	var all []string
	for i := range 5 {
		all = append(all, ts.createKey(t, allMCPs("k"+string(rune('0'+i)))).ID)
	}
	revoked := []string{all[1], all[2]}
	for _, id := range revoked {
		ts.do(t, "DELETE", "/api-keys/"+id, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
	}
	expired := ts.createKey(t, map[string]any{"name": "soon", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 1}).ID
	ts.SetClockOffset(25 * time.Hour)

	// The list's order is the documented one: created_at, then id.
	var order, active []string
	for _, rec := range ts.APIKeys() {
		order = append(order, rec.ID)
		if rec.Status == statusActive {
			active = append(active, rec.ID)
		}
	}
	if len(active) != 3 {
		t.Fatalf("%d active keys, want 3", len(active))
	}
	inOrder := func(ids ...string) []string {
		return slices.DeleteFunc(slices.Clone(order), func(id string) bool { return !slices.Contains(ids, id) })
	}
	for query, tc := range map[string]struct {
		ids        func() []string
		pagination wirePagination
	}{
		"":                                 {func() []string { return order }, wirePagination{1, 20, 6, 1}},
		"?per_page=4":                      {func() []string { return order[:4] }, wirePagination{1, 4, 6, 2}},
		"?per_page=4&page=2":               {func() []string { return order[4:] }, wirePagination{2, 4, 6, 2}},
		"?per_page=4&page=3":               {func() []string { return []string{} }, wirePagination{3, 4, 6, 2}},
		"?status=revoked":                  {func() []string { return inOrder(revoked...) }, wirePagination{1, 20, 2, 1}},
		"?status=expired":                  {func() []string { return []string{expired} }, wirePagination{1, 20, 1, 1}},
		"?status=active":                   {func() []string { return active }, wirePagination{1, 20, 3, 1}},
		"?status=active&per_page=1&page=3": {func() []string { return active[2:] }, wirePagination{3, 1, 3, 3}},
	} {
		t.Run(query, func(t *testing.T) {
			t.Parallel()
			r := ts.do(t, "GET", "/api-keys"+query, ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
			ids := []string{}
			for _, k := range decodeData[[]keyView](t, r) {
				ids = append(ids, k.ID)
				if k.Key != "" {
					t.Errorf("list returns a secret for %s", k.ID)
				}
			}
			if want := tc.ids(); !slices.Equal(ids, want) {
				t.Errorf("ids %v, want %v", ids, want)
			}
			if diff := cmp.Diff(&tc.pagination, r.env.Pagination); diff != "" {
				t.Errorf("pagination (-want +got):\n%s", diff)
			}
		})
	}
	for _, q := range []string{"?status=Active", "?status=all", "?status=", "?per_page=101", "?page=-2"} {
		ts.do(t, "GET", "/api-keys"+q, ts.AdminKey(), nil).wantError(t, http.StatusBadRequest, codeValidation, "")
	}
}

func TestPatchAPIKey(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	revoked := ts.createKey(t, allMCPs("revoked"))
	ts.do(t, "DELETE", "/api-keys/"+revoked.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)

	for name, tc := range map[string]struct {
		create map[string]any
		patch  string
		id     string // default: the created key
		expire bool   // move the clock past the key's expiry first
		status int
		code   string
		field  string
		check  func(t *testing.T, before, after keyView)
	}{
		"rename": {patch: `{"name":"renamed"}`, status: 200, check: func(t *testing.T, before, after keyView) {
			before.Name = "renamed"
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("only the name should change (-want +got):\n%s", diff)
			}
		}},
		"description set and cleared with null": {patch: `{"description":null}`, create: map[string]any{"name": "d", "description": "old", "permissions": map[string]any{"mcps": "*"}}, status: 200,
			check: func(t *testing.T, _, after keyView) {
				if after.Description != "" {
					t.Errorf("description %q, want cleared", after.Description)
				}
			}},
		"permissions to a list, duplicates dropped": {patch: `{"permissions":{"mcps":["mcp_calculator","mcp_weather","mcp_calculator"]}}`, status: 200,
			check: func(t *testing.T, _, after keyView) {
				if got := string(after.Permissions.MCPs); got != `["mcp_calculator","mcp_weather"]` {
					t.Errorf("permissions.mcps %s", got)
				}
			}},
		"permissions back to all": {patch: `{"permissions":{"mcps":"*"}}`, create: someMCPs("p", "mcp_weather"), status: 200,
			check: func(t *testing.T, _, after keyView) {
				if got := string(after.Permissions.MCPs); got != `"*"` {
					t.Errorf("permissions.mcps %s", got)
				}
			}},
		"empty patch changes nothing": {patch: `{}`, status: 200, check: func(t *testing.T, before, after keyView) {
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		"expired key may be patched": {patch: `{"name":"still mine"}`, expire: true,
			create: map[string]any{"name": "e", "permissions": map[string]any{"mcps": "*"}, "expires_in_days": 1}, status: 200,
			check: func(t *testing.T, _, after keyView) {
				if after.Status != statusExpired || after.Name != "still mine" {
					t.Errorf("status %q name %q", after.Status, after.Name)
				}
			}},
		"mode":                              {patch: `{"mode":"live"}`, status: 400, code: codeValidation, field: "mode"},
		"expires_at":                        {patch: `{"expires_at":"2099-01-01T00:00:00Z"}`, status: 400, code: codeValidation, field: "expires_at"},
		"expires_in_days":                   {patch: `{"expires_in_days":5}`, status: 400, code: codeValidation, field: "expires_in_days"},
		"expires_at null":                   {patch: `{"expires_at":null}`, status: 400, code: codeValidation, field: "expires_at"},
		"mode is checked before the rest":   {patch: `{"name":"","mode":"test"}`, status: 400, code: codeValidation, field: "mode"},
		"mode is checked before revocation": {patch: `{"mode":"test"}`, id: revoked.ID, status: 400, code: codeValidation, field: "mode"},
		"revoked":                           {patch: `{"name":"x"}`, id: revoked.ID, status: 409, code: codeConflict},
		"revoked, even when empty":          {patch: `{}`, id: revoked.ID, status: 409, code: codeConflict},
		"unknown id":                        {patch: `{"name":"x"}`, id: "key_doesnotexist", status: 404, code: codeNotFound},
		"invalid name":                      {patch: `{"name":"   "}`, status: 400, code: codeValidation, field: "name"},
		"invalid description":               {patch: `{"description":"` + strings.Repeat("d", 501) + `"}`, status: 400, code: codeValidation, field: "description"},
		"permissions null":                  {patch: `{"permissions":null}`, status: 400, code: codeValidation, field: "permissions"},
		"unknown MCP":                       {patch: `{"permissions":{"mcps":["mcp_x"]}}`, status: 400, code: codeValidation, field: "permissions"},
		"unknown field":                     {patch: `{"label":"x"}`, status: 400, code: codeInvalidRequest, field: "label"},
		"name valid but another invalid":    {patch: `{"name":"ok","description":5}`, status: 400, code: codeValidation, field: "description"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			create := tc.create
			if create == nil {
				create = allMCPs("original")
			}
			srv := ts
			if tc.expire {
				srv = newTestServer(t, Config{}) // its own clock
			}
			k := srv.createKey(t, create)
			k.Key = ""
			id := tc.id
			if id == "" {
				id = k.ID
			}
			if tc.expire {
				srv.SetClockOffset(25 * time.Hour)
				k.Status = statusExpired
			}
			r := srv.do(t, "PATCH", "/api-keys/"+id, srv.AdminKey(), tc.patch)
			if tc.code != "" {
				r.wantError(t, tc.status, tc.code, tc.field)
				// A refused patch changes nothing.
				if got := decodeData[keyView](t, srv.do(t, "GET", "/api-keys/"+k.ID, srv.AdminKey(), nil)); tc.id == "" && !cmp.Equal(got, k) {
					t.Errorf("refused patch changed the key: %s", cmp.Diff(k, got))
				}
				return
			}
			r.wantStatus(t, tc.status)
			after := decodeData[keyView](t, r)
			tc.check(t, k, after)
			if got := decodeData[keyView](t, srv.do(t, "GET", "/api-keys/"+k.ID, srv.AdminKey(), nil)); !cmp.Equal(got, after) {
				t.Errorf("GET after PATCH differs from the PATCH answer: %s", cmp.Diff(after, got))
			}
		})
	}
}

func TestPatchedPermissionsApplyToTheNextRequest(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	k := ts.createKey(t, someMCPs("narrow", "mcp_weather"))
	add := map[string]any{"mcp_id": "mcp_calculator", "tool": "add", "arguments": map[string]any{"a": 1, "b": 2}}
	ts.do(t, "POST", "/mcp/invoke", k.Key, add).wantError(t, http.StatusForbidden, codeForbidden, "")
	ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), `{"permissions":{"mcps":["mcp_calculator"]}}`).wantStatus(t, http.StatusOK)
	ts.do(t, "POST", "/mcp/invoke", k.Key, add).wantStatus(t, http.StatusOK)
}

func TestDeleteAPIKey(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	k := ts.createKey(t, allMCPs("doomed"))
	r := ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
	if len(r.raw) != 0 {
		t.Errorf("204 with body %q", r.body())
	}
	first := decodeData[keyView](t, ts.do(t, "GET", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK))
	if first.Status != statusRevoked || first.RevokedAt == nil {
		t.Fatalf("after DELETE: status %q revoked_at %v", first.Status, first.RevokedAt)
	}
	ts.SetClockOffset(time.Hour)
	ts.do(t, "DELETE", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
	second := decodeData[keyView](t, ts.do(t, "GET", "/api-keys/"+k.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusOK))
	if *second.RevokedAt != *first.RevokedAt {
		t.Errorf("revoking again moved revoked_at from %s to %s", *first.RevokedAt, *second.RevokedAt)
	}
	ts.do(t, "DELETE", "/api-keys/key_unknown", ts.AdminKey(), nil).wantError(t, http.StatusNotFound, codeNotFound, "")
	ts.do(t, "GET", "/api-keys/key_unknown", ts.AdminKey(), nil).wantError(t, http.StatusNotFound, codeNotFound, "")
	// The key is still listed, as revoked.
	listed := decodeData[[]keyView](t, ts.do(t, "GET", "/api-keys", ts.AdminKey(), nil))
	if len(listed) != 1 || listed[0].Status != statusRevoked {
		t.Errorf("list after revocation: %+v", listed)
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
	ts.do(t, "GET", "/api-keys/"+gone.ID, ts.AdminKey(), nil).wantError(t, http.StatusNotFound, codeNotFound, "")
	ts.do(t, "DELETE", "/api-keys/"+gone.ID, ts.AdminKey(), nil).wantError(t, http.StatusNotFound, codeNotFound, "")
	ts.do(t, "GET", "/mcps", gone.Key, nil).wantError(t, http.StatusUnauthorized, codeUnauthorized, "")
	ts.do(t, "GET", "/mcps", kept.Key, nil).wantStatus(t, http.StatusOK)
	listed := decodeData[[]keyView](t, ts.do(t, "GET", "/api-keys", ts.AdminKey(), nil))
	if len(listed) != 1 || listed[0].ID != kept.ID {
		t.Errorf("list after purge: %+v, want only %s", listed, kept.ID)
	}
	if ok, err := ts.PurgeAPIKey(gone.ID); ok || err != nil {
		t.Errorf("second PurgeAPIKey = %v, %v; want false, nil", ok, err)
	}
	// The purge reached the state file: a restart does not bring it back.
	restarted := newTestServer(t, Config{StatePath: path})
	if keys := restarted.APIKeys(); len(keys) != 1 || keys[0].ID != kept.ID {
		t.Errorf("keys after restart: %+v, want only %s", keys, kept.ID)
	}
}

func TestUserAgentsStayBounded(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	get := func(ua string) {
		req := newRequest(t, "GET", ts.BaseURL+"/mcps", ts.AdminKey(), nil)
		req.Header.Set("User-Agent", ua)
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	get("first/1.0")
	get("first/1.0")
	get(strings.Repeat("x", maxUserAgentLen+1))
	for i := range maxUserAgents - 2 + 7 {
		get(fmt.Sprintf("client/%d", i))
	}
	got := ts.UserAgents()
	if got["first/1.0"] != 2 {
		t.Errorf(`UserAgents()["first/1.0"] = %d, want 2`, got["first/1.0"])
	}
	// "first/1.0" and "(other)" (the long one) take two entries, so
	// maxUserAgents-2 clients get theirs and the last 7 count as other.
	if len(got) != maxUserAgents || got[otherUserAgents] != 1+7 {
		t.Errorf("UserAgents() holds %d entries and %d under %q, want %d and 8", len(got), got[otherUserAgents], otherUserAgents, maxUserAgents)
	}
}
