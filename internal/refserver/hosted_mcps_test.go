package refserver

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHostedListMCPs(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	all := []string{"mcp_weather", "mcp_calculator", "mcp_sandbox"}
	for query, tc := range map[string]struct {
		ids        []string
		pagination wirePagination
		param      string // a 400 naming this parameter
	}{
		"":                    {ids: all, pagination: wirePagination{1, 20, 3, 1}},
		"?per_page=2":         {ids: all[:2], pagination: wirePagination{1, 2, 3, 2}},
		"?per_page=2&page=2":  {ids: all[2:], pagination: wirePagination{2, 2, 3, 2}},
		"?per_page=2&page=3":  {ids: []string{}, pagination: wirePagination{3, 2, 3, 2}},
		"?page=999999999999":  {ids: []string{}, pagination: wirePagination{999999999999, 20, 3, 1}},
		"?per_page=100":       {ids: all, pagination: wirePagination{1, 100, 3, 1}},
		"?name=Calculator":    {ids: []string{"mcp_calculator"}, pagination: wirePagination{1, 20, 1, 1}},
		"?name=Weather%20API": {ids: []string{"mcp_weather"}, pagination: wirePagination{1, 20, 1, 1}},
		"?name=calculator":    {ids: []string{}, pagination: wirePagination{1, 20, 0, 0}},
		"?status=active":      {ids: all, pagination: wirePagination{1, 20, 3, 1}},
		"?status=all":         {ids: all, pagination: wirePagination{1, 20, 3, 1}},
		"?status=inactive":    {ids: []string{}, pagination: wirePagination{1, 20, 0, 0}},
		"?health=healthy":     {ids: all, pagination: wirePagination{1, 20, 3, 1}},
		"?health=unhealthy":   {ids: []string{}, pagination: wirePagination{1, 20, 0, 0}},
		"?unknown=ignored":    {ids: all, pagination: wirePagination{1, 20, 3, 1}},
		"?per_page=101":       {param: "per_page"},
		"?per_page=0":         {param: "per_page"},
		"?per_page=ten":       {param: "per_page"},
		"?page=0":             {param: "page"},
		"?page=1.5":           {param: "page"},
		"?status=enabled":     {param: "status"},
		"?health=unknown":     {param: "health"},
	} {
		t.Run(query, func(t *testing.T) {
			t.Parallel()
			r := ts.do(t, "GET", "/mcps"+query, ts.AdminKey(), nil)
			if tc.param != "" {
				if e := r.hostedError(t, http.StatusBadRequest, codeInvalidRequest); e.Details[tc.param] == "" {
					t.Errorf("details %v do not name %s", e.Details, tc.param)
				}
				return
			}
			r.wantStatus(t, http.StatusOK)
			ids := []string{}
			for _, m := range data[[]mcpView](t, r) {
				ids = append(ids, m.ID)
				if m.Tools != nil || m.Stats != nil || m.UpdatedAt != "" || m.HealthCheckedAt != "" {
					t.Errorf("list item %s has detail fields: %+v", m.ID, m)
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
}

// TestHostedMCPStats: only invocations that ran a tool reached the MCP; a
// probe (unknown tool) or a refused key did not.
func TestHostedMCPStats(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	ts.pinClock(time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC))
	narrow := ts.createKey(t, someMCPs("narrow", "mcp_calculator"))
	for _, args := range []map[string]any{{"city": "Oslo"}, {"city": "Rome"}, {}, {"city": 7}} {
		ts.invoke(t, ts.AdminKey(), invokeBody("mcp_weather", "get_weather", args))
	}
	ts.invoke(t, ts.AdminKey(), invokeBody("mcp_weather", "nope", nil)).wantStatus(t, http.StatusNotFound)
	ts.invoke(t, narrow.Key, invokeBody("mcp_weather", "get_weather", nil)).wantStatus(t, http.StatusForbidden)

	get := func(id string) mcpView {
		return data[mcpView](t, ts.do(t, "GET", "/mcps/"+id, narrow.Key, nil).wantStatus(t, http.StatusOK))
	}
	w := get("mcp_weather")
	if w.RequestCount != 4 || w.Stats.TotalRequests != 4 || w.Stats.RequestsToday != 4 || w.Stats.ErrorRate != 0.5 ||
		w.LastActive == nil || *w.LastActive != "2026-01-20T12:00:00Z" || len(w.Tools) != 1 || w.Tools[0].Name != "get_weather" {
		t.Errorf("Weather API after 4 runs, 2 with wrong arguments: %+v", w)
	}
	if c := get("mcp_calculator"); c.RequestCount != 0 || c.LastActive != nil || c.Stats.TotalRequests != 0 || c.Stats.ErrorRate != 0 || c.Stats.AvgLatencyMS != 0 {
		t.Errorf("an MCP never invoked: %+v", c)
	}
	ts.pinClock(time.Date(2026, 1, 21, 0, 0, 1, 0, time.UTC))
	if w := get("mcp_weather"); w.Stats.RequestsToday != 0 || w.Stats.TotalRequests != 4 {
		t.Errorf("the next day: %+v", w.Stats)
	}
	listed := data[[]mcpView](t, ts.do(t, "GET", "/mcps?name=Weather%20API", ts.AdminKey(), nil))
	if len(listed) != 1 || listed[0].RequestCount != 4 || listed[0].LastActive == nil || listed[0].Stats != nil {
		t.Errorf("listed: %+v", listed)
	}
	ts.do(t, "GET", "/mcps/mcp_nope", ts.AdminKey(), nil).hostedError(t, http.StatusNotFound, codeNotFound)
	ts.do(t, "HEAD", "/mcps/mcp_sandbox", ts.AdminKey(), nil).wantStatus(t, http.StatusOK)
}
