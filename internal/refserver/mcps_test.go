package refserver

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListMCPs(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	for query, tc := range map[string]struct {
		ids        []string
		pagination wirePagination
		field      string // a 400 naming this field
	}{
		"":                           {ids: []string{"mcp_weather", "mcp_calculator", "mcp_sandbox"}, pagination: wirePagination{1, 20, 3, 1}},
		"?per_page=2":                {ids: []string{"mcp_weather", "mcp_calculator"}, pagination: wirePagination{1, 2, 3, 2}},
		"?per_page=2&page=2":         {ids: []string{"mcp_sandbox"}, pagination: wirePagination{2, 2, 3, 2}},
		"?per_page=2&page=3":         {ids: []string{}, pagination: wirePagination{3, 2, 3, 2}},
		"?page=999999999999":         {ids: []string{}, pagination: wirePagination{999999999999, 20, 3, 1}},
		"?per_page=1&page=3":         {ids: []string{"mcp_sandbox"}, pagination: wirePagination{3, 1, 3, 3}},
		"?per_page=100":              {ids: []string{"mcp_weather", "mcp_calculator", "mcp_sandbox"}, pagination: wirePagination{1, 100, 3, 1}},
		"?name=Calculator":           {ids: []string{"mcp_calculator"}, pagination: wirePagination{1, 20, 1, 1}},
		"?name=Weather%20API":        {ids: []string{"mcp_weather"}, pagination: wirePagination{1, 20, 1, 1}},
		"?name=calculator":           {ids: []string{}, pagination: wirePagination{1, 20, 0, 0}},
		"?name=":                     {ids: []string{}, pagination: wirePagination{1, 20, 0, 0}},
		"?status=active":             {ids: []string{"mcp_weather", "mcp_calculator", "mcp_sandbox"}, pagination: wirePagination{1, 20, 3, 1}},
		"?status=inactive":           {ids: []string{}, pagination: wirePagination{1, 20, 0, 0}},
		"?unknown=ignored":           {ids: []string{"mcp_weather", "mcp_calculator", "mcp_sandbox"}, pagination: wirePagination{1, 20, 3, 1}},
		"?per_page=101":              {field: "per_page"},
		"?per_page=0":                {field: "per_page"},
		"?per_page=-1":               {field: "per_page"},
		"?per_page=ten":              {field: "per_page"},
		"?per_page=":                 {field: "per_page"},
		"?page=0":                    {field: "page"},
		"?page=1.5":                  {field: "page"},
		"?page=99999999999999999999": {field: "page"},
		"?status=enabled":            {field: "status"},
		"?status=":                   {field: "status"},
	} {
		t.Run(query, func(t *testing.T) {
			t.Parallel()
			r := ts.do(t, "GET", "/mcps"+query, ts.AdminKey(), nil)
			if tc.field != "" {
				r.wantError(t, http.StatusBadRequest, codeValidation, tc.field)
				return
			}
			r.wantStatus(t, http.StatusOK)
			var ids []string
			for _, m := range decodeData[[]mcpView](t, r) {
				ids = append(ids, m.ID)
			}
			if string(r.env.Data) == "null" || !slices.Equal(ids, tc.ids) {
				t.Errorf("data %s, want ids %v", r.env.Data, tc.ids)
			}
			if diff := cmp.Diff(&tc.pagination, r.env.Pagination); diff != "" {
				t.Errorf("pagination (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetMCP(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	m := decodeData[mcpView](t, ts.do(t, "GET", "/mcps/mcp_sandbox", ts.AdminKey(), nil).wantStatus(t, http.StatusOK))
	if diff := cmp.Diff(mcpView{ID: "mcp_sandbox", Name: "Sandbox", Mode: "test", Tools: []string{"echo"}}, m); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	ts.do(t, "GET", "/mcps/mcp_nope", ts.AdminKey(), nil).wantError(t, http.StatusNotFound, codeNotFound, "")
	ts.do(t, "HEAD", "/mcps/mcp_sandbox", ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
}

// TestAccessKeysSeeOnlyWhatTheyMayInvoke covers both halves of the rule:
// the grant, and test keys never reaching live MCPs.
func TestAccessKeysSeeOnlyWhatTheyMayInvoke(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	for name, tc := range map[string]struct {
		body    map[string]any
		visible []string
	}{
		"live, all":            {allMCPs("a"), []string{"mcp_weather", "mcp_calculator", "mcp_sandbox"}},
		"live, weather":        {someMCPs("b", "mcp_weather"), []string{"mcp_weather"}},
		"test, all":            {map[string]any{"name": "c", "mode": "test", "permissions": map[string]any{"mcps": "*"}}, []string{"mcp_sandbox"}},
		"test, weather (live)": {map[string]any{"name": "d", "mode": "test", "permissions": map[string]any{"mcps": []string{"mcp_weather"}}}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := ts.createKey(t, tc.body)
			r := ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
			var ids []string
			for _, m := range decodeData[[]mcpView](t, r) {
				ids = append(ids, m.ID)
			}
			if !slices.Equal(ids, tc.visible) || r.env.Pagination.Total != len(tc.visible) {
				t.Errorf("lists %v (total %d), want %v", ids, r.env.Pagination.Total, tc.visible)
			}
			for _, id := range []string{"mcp_weather", "mcp_calculator", "mcp_sandbox"} {
				r := ts.do(t, "GET", "/mcps/"+id, k.Key, nil)
				if slices.Contains(tc.visible, id) {
					r.wantStatus(t, http.StatusOK)
				} else {
					r.wantError(t, http.StatusNotFound, codeNotFound, "")
				}
			}
		})
	}
}
