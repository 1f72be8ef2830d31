package refserver

import (
	"net/http"
	"slices"
	"testing"
)

func TestServerListMCPs(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	all := []string{sandboxUUID, calculatorUUID, weatherUUID} // newest first
	for query, tc := range map[string]struct {
		ids  []string
		text string // a 400 of this text, or a 500 when "500"
	}{
		"":                               {ids: all},
		"?status=active":                 {ids: all},
		"?status=Active":                 {ids: []string{}},
		"?status=":                       {ids: []string{}},
		"?mcp_type=http":                 {ids: all},
		"?mcp_type=sse":                  {ids: []string{}},
		"?status=active&mcp_type=http":   {ids: all},
		"?per_page=2":                    {ids: all[:2]},
		"?per_page=2&page=2":             {ids: all[2:]},
		"?per_page=2&page=3":             {ids: []string{}},
		"?page=0":                        {ids: all},
		"?page=-5":                       {ids: all},
		"?per_page=0":                    {ids: []string{}},
		"?per_page=1000":                 {ids: all},
		"?per_page=1&page=%2B2":          {ids: all[1:2]},
		"?name=Sandbox&unknown=1":        {ids: all},
		"?per_page=-1":                   {text: "500"},
		"?page=9223372036854775807":      {text: "500"}, // the offset overflows
		"?page=92233720368547758":        {ids: []string{}},
		"?per_page=ten":                  {text: "Failed to deserialize query string: invalid digit found in string"},
		"?page=":                         {text: "Failed to deserialize query string: cannot parse integer from empty string"},
		"?page=1.5":                      {text: "Failed to deserialize query string: invalid digit found in string"},
		"?page=1&page=2":                 {text: "Failed to deserialize query string: duplicate field `page`"},
		"?per_page=99999999999999999999": {text: "Failed to deserialize query string: number too large to fit in target type"},
	} {
		t.Run(query, func(t *testing.T) {
			t.Parallel()
			r := ts.do(t, "GET", "/mcps"+query, ts.AdminKey(), nil)
			switch tc.text {
			case "":
			case "500":
				r.serverError(t, http.StatusInternalServerError, "DATABASE_ERROR", "Database error")
				return
			default:
				r.text(t, http.StatusBadRequest, tc.text)
				return
			}
			ids := []string{}
			for _, m := range jsonBody[[]map[string]any](t, r.wantStatus(t, http.StatusOK)) {
				id, _ := m["id"].(string)
				ids = append(ids, id)
			}
			if !slices.Equal(ids, tc.ids) {
				t.Errorf("ids %v, want %v", ids, tc.ids)
			}
		})
	}
}

func TestServerGetMCP(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	for _, id := range []string{weatherUUID, "0F3C2A587D414E8B9A6F1C2D3E4F5A60", "%7B" + weatherUUID + "%7D", "urn:uuid:" + weatherUUID} {
		m := jsonBody[map[string]any](t, ts.do(t, "GET", "/mcps/"+id, ts.AdminKey(), nil).wantStatus(t, http.StatusOK))
		config, _ := m["config"].(map[string]any)
		if m["id"] != weatherUUID || config["api_key"] != "[REDACTED]" {
			t.Errorf("GET /mcps/%s: %v", id, m)
		}
	}
	sandbox := jsonBody[map[string]any](t, ts.do(t, "GET", "/mcps/"+sandboxUUID, ts.AdminKey(), nil))
	if _, has := sandbox["tools_json"]; has || sandbox["health_status"] != "unknown" || sandbox["last_health_check_at"] != nil {
		t.Errorf("a never-checked MCP: %v", sandbox)
	}
	ts.do(t, "GET", "/mcps/"+privateUUID, ts.AdminKey(), nil).serverError(t, 404, "NOT_FOUND", "Resource not found")
	ts.do(t, "GET", "/mcps/mcp_weather", ts.AdminKey(), nil).
		text(t, 400, "Invalid URL: UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `m` at 1")
	ts.do(t, "GET", "/mcps/%ff", ts.AdminKey(), nil).text(t, 400, "Invalid URL: Invalid UTF-8 in `mcp_id`")
	ts.do(t, "GET", "/api-keys/%ff", ts.AdminKey(), nil).text(t, 400, "Invalid URL: Invalid UTF-8 in `key_id`")
	if m := ts.MCPs(); m[0].ID != weatherUUID || m[3].ID != privateUUID {
		t.Errorf("MCPs() under the server API: %+v", m)
	}
}
