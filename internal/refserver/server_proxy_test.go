package refserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestProxyKeys(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	deleted := ts.createServerKey(t, map[string]any{"name": "deleted"})
	ts.do(t, "DELETE", "/api-keys/"+deleted.ID, ts.AdminKey(), nil).wantStatus(t, http.StatusNoContent)
	expired := ts.createServerKey(t, map[string]any{"name": "expired", "expires_at": "2020-01-01T00:00:00Z"})
	none := ts.createServerKey(t, map[string]any{"name": "none", "mcp_access_mode": "none"})
	foreign := NewBootstrapKey() // well formed, signed elsewhere, unknown here
	admin := ts.AdminKey()
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	for name, tc := range map[string]struct {
		header  []string
		status  int
		code    int
		message string
	}{
		"X-API-Key":                        {[]string{"X-API-Key", admin}, 200, 0, ""},
		"Bearer":                           {[]string{"Authorization", "Bearer " + admin}, 200, 0, ""},
		"X-API-Key wins":                   {[]string{"X-API-Key", admin, "Authorization", "Bearer nonsense"}, 200, 0, ""},
		"no key":                           {nil, 401, rpcMissingKey, "Missing X-API-Key header"},
		"ApiKey is not read here":          {[]string{"Authorization", "ApiKey " + admin}, 401, rpcMissingKey, "Missing X-API-Key header"},
		"lowercase bearer":                 {[]string{"Authorization", "bearer " + admin}, 401, rpcMissingKey, "Missing X-API-Key header"},
		"an empty X-API-Key":               {[]string{"X-API-Key", "", "Authorization", "Bearer " + admin}, 200, 0, ""},
		"malformed":                        {[]string{"X-API-Key", "pmcp_short"}, 401, rpcBadKey, "Invalid API key format"},
		"not signed here":                  {[]string{"X-API-Key", foreign}, 401, rpcBadKey, "Invalid API key format"},
		"signed here, deleted":             {[]string{"X-API-Key", deleted.Key}, 401, rpcBadKey, "API key not found"},
		"expired":                          {[]string{"X-API-Key", expired.Key}, 401, rpcBadKey, "API key has expired"},
		"mode none":                        {[]string{"X-API-Key", none.Key}, 401, rpcBadKey, "This API key has MCP access disabled"},
		"a bootstrap key signed elsewhere": {[]string{"X-API-Key", ts.SecondOrgAdminKey()}, 200, 0, ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := ts.send(t, "POST", ts.Origin+"/mcp", body, tc.header...)
			if tc.status == 200 {
				if got := jsonBody[rpc](t, r.wantStatus(t, http.StatusOK)); got.Error != nil {
					t.Errorf("%s", r.body())
				}
				return
			}
			got := r.rpcError(t, tc.status, tc.code, tc.message)
			if got.ID != nil {
				t.Errorf("a pre-dispatch error with an id: %s", r.body())
			}
		})
	}
	// An empty X-API-Key is still the key to check: no fallback to Bearer.
	req := newRequest(t, "POST", ts.Origin+"/mcp", body, "Authorization", "Bearer "+admin)
	req.Header["X-Api-Key"] = []string{""}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an empty X-API-Key beside a valid Bearer: %d, want 401", resp.StatusCode)
	}
	// Host routing is not emulated: any Host reaches the key's organisation.
	req = newRequest(t, "POST", ts.Origin+"/mcp", body, "X-API-Key", admin)
	req.Host = "acme.plexmcp.example"
	resp, err = ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("another Host: %d", resp.StatusCode)
	}
}

func TestProxyFraming(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin := ts.AdminKey()
	for name, tc := range map[string]struct {
		body   string
		status int
		want   string // the exact answer
	}{
		"string id":      {`{"jsonrpc":"2.0","id":"abc","method":"ping"}`, 200, `{"jsonrpc":"2.0","id":"abc","error":{"code":-32601,"message":"Method not found: ping"}}`},
		"null id":        {`{"jsonrpc":"2.0","id":null,"method":"ping"}`, 200, `{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found: ping"}}`},
		"no id":          {`{"jsonrpc":"2.0","method":"resources/list"}`, 200, `{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found: resources/list"}}`},
		"notification":   {`{"jsonrpc":"2.0","id":5,"method":"notifications/initialized"}`, 200, `{"jsonrpc":"2.0","result":null}`},
		"version 1.0":    {`{"jsonrpc":"1.0","id":7,"method":"tools/list"}`, 400, `{"jsonrpc":"2.0","id":7,"error":{"code":-32600,"message":"Invalid JSON-RPC version, expected 2.0"}}`},
		"not JSON":       {`hello`, 400, `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Invalid JSON: expected value at line 1 column 1"}}`},
		"trailing data":  {`{"jsonrpc":"2.0","method":"x"} {}`, 400, `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Invalid JSON: trailing characters at line 1 column 32"}}`},
		"no method":      {`{"jsonrpc":"2.0","id":1}`, 400, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,\"message\":\"Invalid JSON: missing field `method` at line 1 column 24\"}}"},
		"a float id":     {`{"jsonrpc":"2.0","id":1.5,"method":"x"}`, 400, `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Invalid JSON: data did not match any variant of untagged enum JsonRpcId at line 1 column 25"}}`},
		"a batch":        {`[{"jsonrpc":"2.0","method":"x"}]`, 400, `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Invalid JSON: invalid type: sequence, expected struct JsonRpcRequest at line 1 column 0"}}`},
		"bad UTF-8":      {"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\"}", 400, `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Invalid UTF-8: invalid utf-8 sequence of 1 bytes from index 27"}}`},
		"HTML unescaped": {`{"jsonrpc":"2.0","id":"<&>","method":"a<b"}`, 200, `{"jsonrpc":"2.0","id":"<&>","error":{"code":-32601,"message":"Method not found: a<b"}}`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := ts.invoke(t, admin, tc.body).wantStatus(t, tc.status)
			if string(r.raw) != tc.want || r.header.Get("Content-Type") != "application/json" {
				t.Errorf("\n got %s\nwant %s", r.body(), tc.want)
			}
		})
	}
	ts.send(t, "GET", ts.Origin+"/mcp", nil).empty(t, http.StatusMethodNotAllowed, "POST")
	big := `{"jsonrpc":"2.0","method":"x","params":"` + strings.Repeat("a", 1<<20) + `"}`
	ts.send(t, "POST", ts.Origin+"/mcp", big).text(t, http.StatusRequestEntityTooLarge, "Failed to buffer the request body: length limit exceeded")
	// The body limit comes before the key.
	ts.invoke(t, "", big).wantStatus(t, http.StatusRequestEntityTooLarge)
}

func TestProxyTools(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	selected := ts.createServerKey(t, map[string]any{"name": "selected", "mcp_access_mode": "selected",
		"allowed_mcp_ids": []string{weatherUUID, privateUUID, weatherUUID}})
	emptyList := ts.createServerKey(t, map[string]any{"name": "empty", "mcp_access_mode": "selected", "allowed_mcp_ids": []string{}})
	nullList := ts.createServerKey(t, map[string]any{"name": "null", "mcp_access_mode": "selected"})
	allWithIDs := ts.createServerKey(t, map[string]any{"name": "all", "allowed_mcp_ids": []string{weatherUUID}})
	for name, tc := range map[string]struct {
		key   string
		tools []string
	}{
		"bootstrap (all)":            {ts.AdminKey(), []string{"Calculator:add", "Sandbox:echo", "Weather API:get_weather"}},
		"all ignores its ids":        {allWithIDs.Key, []string{"Calculator:add", "Sandbox:echo", "Weather API:get_weather"}},
		"selected, another org's id": {selected.Key, []string{"Weather API:get_weather"}},
		"selected, []":               {emptyList.Key, []string{}},
		"selected, null":             {nullList.Key, []string{}},
		"the second organisation":    {ts.SecondOrgAdminKey(), []string{"Private Tools:ping"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, got := ts.call(t, tc.key, "tools/list", nil)
			var result struct {
				Tools []struct {
					Name        string         `json:"name"`
					Description string         `json:"description"`
					InputSchema map[string]any `json:"inputSchema"`
				} `json:"tools"`
			}
			if err := json.Unmarshal(got.Result, &result); err != nil || result.Tools == nil {
				t.Fatalf("tools/list: %s (%v)", got.Result, err)
			}
			names := []string{}
			for _, tl := range result.Tools {
				names = append(names, tl.Name)
				mcp, _, _ := strings.Cut(tl.Name, ":")
				if !strings.HasPrefix(tl.Description, "["+mcp+"] ") || tl.InputSchema["type"] != "object" {
					t.Errorf("tool %+v", tl)
				}
			}
			if strings.Join(names, ",") != strings.Join(tc.tools, ",") {
				t.Errorf("tools %v, want %v", names, tc.tools)
			}
		})
	}

	for name, tc := range map[string]struct {
		key     string
		params  any
		code    int // 0: success
		message string
		text    string
	}{
		"weather":                  {selected.Key, map[string]any{"name": "Weather API:get_weather", "arguments": map[string]any{"city": "Oslo"}}, 0, "", `{"city":"Oslo","conditions":"sunny","temperature_c":21}`},
		"add":                      {ts.AdminKey(), map[string]any{"name": "Calculator:add", "arguments": map[string]any{"a": 2, "b": 40}}, 0, "", `{"sum":42}`},
		"echo, null arguments":     {ts.AdminKey(), map[string]any{"name": "Sandbox:echo", "arguments": nil}, 0, "", `{}`},
		"extra params ignored":     {ts.AdminKey(), map[string]any{"name": "Sandbox:echo", "x": 1}, 0, "", `{}`},
		"missing params":           {ts.AdminKey(), nil, rpcInvalidParams, "Missing params", ""},
		"params without name":      {ts.AdminKey(), map[string]any{}, rpcInvalidParams, "Invalid params: missing field `name`", ""},
		"name a number":            {ts.AdminKey(), map[string]any{"name": 5}, rpcInvalidParams, "Invalid params: invalid type: integer `5`, expected a string", ""},
		"params a string":          {ts.AdminKey(), "x", rpcInvalidParams, `Invalid params: invalid type: string "x", expected struct ToolCallParams`, ""},
		"no colon":                 {ts.AdminKey(), map[string]any{"name": "get_weather"}, rpcInvalidParams, "Invalid tool name format. Expected 'mcp_name:tool_name', got: get_weather", ""},
		"not reachable":            {selected.Key, map[string]any{"name": "Calculator:add"}, rpcInvalidParams, "MCP not found or access denied: Calculator", ""},
		"unknown MCP":              {ts.AdminKey(), map[string]any{"name": "Nope:x"}, rpcInvalidParams, "MCP not found or access denied: Nope", ""},
		"another org's MCP":        {ts.AdminKey(), map[string]any{"name": "Private Tools:ping"}, rpcInvalidParams, "MCP not found or access denied: Private Tools", ""},
		"split at the first colon": {ts.AdminKey(), map[string]any{"name": "Weather API:get:weather"}, rpcInternalError, "Tool call failed on Weather API: MCP server returned error: Unknown tool: get:weather", ""},
		"unknown tool (reachable)": {ts.AdminKey(), map[string]any{"name": "Weather API:nope"}, rpcInternalError, "Tool call failed on Weather API: MCP server returned error: Unknown tool: nope", ""},
		"wrong arguments":          {ts.AdminKey(), map[string]any{"name": "Calculator:add", "arguments": map[string]any{"a": "1"}}, rpcInternalError, "Tool call failed on Calculator: MCP server returned error: Wrong argument format", ""},
		"arguments not an object":  {ts.AdminKey(), map[string]any{"name": "Sandbox:echo", "arguments": []int{1}}, rpcInternalError, "Tool call failed on Sandbox: MCP server returned error: Wrong argument format", ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, got := ts.call(t, tc.key, "tools/call", tc.params)
			r.wantStatus(t, http.StatusOK) // every dispatched answer
			if tc.code != 0 {
				if got.Error == nil || got.Error.Code != tc.code || got.Error.Message != tc.message || string(got.ID) != "1" {
					t.Errorf("%s, want %d %q", r.body(), tc.code, tc.message)
				}
				return
			}
			var result struct {
				Content []struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"content"`
				IsError *bool `json:"isError"`
			}
			if err := json.Unmarshal(got.Result, &result); err != nil || len(result.Content) != 1 || result.Content[0].Type != "text" ||
				result.Content[0].Text != tc.text || result.IsError == nil || *result.IsError {
				t.Errorf("%s, want the text %s", r.body(), tc.text)
			}
		})
	}
}

// TestProxyUsage: a dispatched request is use of its key, whatever its
// answer; one refused before dispatch is not.
func TestProxyUsage(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	k := ts.createServerKey(t, map[string]any{"name": "used", "rate_limit_rpm": 4})
	ts.pinClock(time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC))
	ts.call(t, k.Key, "tools/list", nil)
	ts.call(t, k.Key, "nope", nil)
	ts.invoke(t, k.Key, `{"jsonrpc":"2.0","method":"notifications/initialized"}`).wantStatus(t, http.StatusOK)
	ts.invoke(t, k.Key, `{`).wantStatus(t, http.StatusBadRequest)
	ts.invoke(t, k.Key, `{}`).wantStatus(t, http.StatusTooManyRequests) // the fifth this minute
	rec := ts.record(t, k.ID)
	if rec.RequestCount != 3 || rec.LastUsed == nil || !strings.HasPrefix(rec.LastUsed.Format(time.RFC3339), "2026-01-20T12:00:") {
		t.Errorf("after 3 dispatched, 1 refused and 1 limited: %+v", rec)
	}
}

func TestProxyRateLimit(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	k := ts.createServerKey(t, map[string]any{"name": "slow", "rate_limit_rpm": 2})
	ts.pinClock(time.Date(2026, 1, 20, 12, 0, 20, 0, time.UTC))
	ts.call(t, k.Key, "tools/list", nil)
	ts.call(t, k.Key, "tools/list", nil)
	r := ts.invoke(t, k.Key, map[string]any{"jsonrpc": "2.0", "id": 9, "method": "tools/list"})
	got := r.rpcError(t, http.StatusTooManyRequests, rpcRateLimited, "Rate limit exceeded")
	if d := string(got.Error.Data); d != `{"limit_rpm":2,"remaining_minute":0,"reset_at":1768910460,"retry_after_seconds":40}` || got.ID != nil {
		t.Errorf("429: %s", r.body())
	}
	if r.header.Get("Retry-After") != "" || r.header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("429 with rate-limit headers: %v", r.header)
	}
	// Other keys have their own windows; management requests are not
	// limited by it.
	ts.call(t, ts.AdminKey(), "tools/list", nil)
	ts.do(t, "GET", "/mcps", k.Key, nil).wantStatus(t, http.StatusOK)
	// A lower limit applies at the next request; a new UTC minute starts
	// afresh.
	ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), `{"rate_limit_rpm":1}`).wantStatus(t, http.StatusOK)
	ts.pinClock(time.Date(2026, 1, 20, 12, 1, 0, 0, time.UTC))
	if r, got := ts.call(t, k.Key, "tools/list", nil); got.Error != nil {
		t.Errorf("in a new minute: %s", r.body())
	}
	ts.invoke(t, k.Key, map[string]any{"jsonrpc": "2.0", "method": "tools/list"}).wantStatus(t, http.StatusTooManyRequests)
}

// TestProxyStream: a client that accepts text/event-stream gets one
// server-sent event wrapping the answer.
func TestProxyStream(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	r := ts.invoke(t, ts.AdminKey(), `{"jsonrpc":"2.0","id":1,"method":"ping"}`, "Accept", "application/json, text/event-stream").wantStatus(t, http.StatusOK)
	want := "event: result\ndata: {\"type\":\"final_result\",\"response\":{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"Method not found: ping\"}}}\n\n"
	if string(r.raw) != want || r.header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("%q (%s), want %q", r.raw, r.header.Get("Content-Type"), want)
	}
	// Errors before dispatch stay JSON.
	r = ts.invoke(t, "", `{}`, "Accept", "text/event-stream")
	if r.status != http.StatusUnauthorized || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("a pre-dispatch error as %d %s", r.status, r.header.Get("Content-Type"))
	}
}
