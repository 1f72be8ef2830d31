package refserver

import (
	"net/http"
	"testing"
)

func TestInvoke(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	weatherOnly := ts.createKey(t, someMCPs("weather only", "mcp_weather")).Key
	all := ts.createKey(t, allMCPs("all")).Key
	testAll := ts.createKey(t, map[string]any{"name": "test all", "mode": "test", "permissions": map[string]any{"mcps": "*"}}).Key
	testWeather := ts.createKey(t, map[string]any{"name": "test weather", "mode": "test", "permissions": map[string]any{"mcps": []string{"mcp_weather", "mcp_sandbox"}}}).Key
	admin := ts.AdminKey()
	// Runs after the parallel subtests: each key above was used, even by
	// refused requests.
	t.Cleanup(func() {
		for _, k := range ts.APIKeys() {
			if k.RequestCount == 0 || k.LastUsedAt == nil {
				t.Errorf("key %q was never counted as used", k.Name)
			}
		}
	})

	for name, tc := range map[string]struct {
		key    string
		body   string
		status int
		code   string
		field  string
		data   string // exact data on success
	}{
		"admin, weather": {key: admin, body: `{"mcp_id":"mcp_weather","tool":"get_weather","arguments":{"city":"London"}}`, status: 200,
			data: `{"mcp_id":"mcp_weather","tool":"get_weather","result":{"city":"London","conditions":"sunny","temperature_c":21}}`},
		"admin, sandbox": {key: admin, body: `{"mcp_id":"mcp_sandbox","tool":"echo","arguments":{"x":[1,2.50,{"y":null}],"s":"é"}}`, status: 200,
			data: `{"mcp_id":"mcp_sandbox","tool":"echo","result":{"s":"é","x":[1,2.50,{"y":null}]}}`},
		"granted key": {key: weatherOnly, body: `{"mcp_id":"mcp_weather","tool":"get_weather","arguments":{"city":"Paris"}}`, status: 200,
			data: `{"mcp_id":"mcp_weather","tool":"get_weather","result":{"city":"Paris","conditions":"sunny","temperature_c":21}}`},
		"all key, add": {key: all, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":2,"b":40}}`, status: 200,
			data: `{"mcp_id":"mcp_calculator","tool":"add","result":{"sum":42}}`},
		"add, fractions": {key: all, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":0.5,"b":-2}}`, status: 200,
			data: `{"mcp_id":"mcp_calculator","tool":"add","result":{"sum":-1.5}}`},
		"test key, test MCP": {key: testAll, body: `{"mcp_id":"mcp_sandbox","tool":"echo"}`, status: 200,
			data: `{"mcp_id":"mcp_sandbox","tool":"echo","result":{}}`},
		"live key, test MCP": {key: all, body: `{"mcp_id":"mcp_sandbox","tool":"echo","arguments":null}`, status: 200,
			data: `{"mcp_id":"mcp_sandbox","tool":"echo","result":{}}`},

		"not granted":                      {key: weatherOnly, body: `{"mcp_id":"mcp_calculator","tool":"add"}`, status: 403, code: codeForbidden},
		"test key, live MCP in all":        {key: testAll, body: `{"mcp_id":"mcp_weather","tool":"get_weather"}`, status: 403, code: codeForbidden},
		"test key, live MCP granted by id": {key: testWeather, body: `{"mcp_id":"mcp_weather","tool":"get_weather"}`, status: 403, code: codeForbidden},
		"unknown MCP before 403":           {key: weatherOnly, body: `{"mcp_id":"mcp_nope","tool":"add"}`, status: 404, code: codeNotFound},
		"other organisation's MCP":         {key: admin, body: `{"mcp_id":"mcp_private_tools","tool":"ping"}`, status: 404, code: codeNotFound},
		"403 before unknown tool":          {key: weatherOnly, body: `{"mcp_id":"mcp_calculator","tool":"nope"}`, status: 403, code: codeForbidden},
		"unknown tool":                     {key: weatherOnly, body: `{"mcp_id":"mcp_weather","tool":"add"}`, status: 404, code: codeNotFound},
		"missing mcp_id":                   {key: admin, body: `{"tool":"add"}`, status: 400, code: codeValidation, field: "mcp_id"},
		"empty mcp_id":                     {key: admin, body: `{"mcp_id":"","tool":"add"}`, status: 400, code: codeValidation, field: "mcp_id"},
		"missing tool":                     {key: admin, body: `{"mcp_id":"mcp_weather"}`, status: 400, code: codeValidation, field: "tool"},
		"tool not a string":                {key: admin, body: `{"mcp_id":"mcp_weather","tool":["get_weather"]}`, status: 400, code: codeValidation, field: "tool"},
		"arguments not an object":          {key: admin, body: `{"mcp_id":"mcp_sandbox","tool":"echo","arguments":[1]}`, status: 400, code: codeValidation, field: "arguments"},
		"weather without a city":           {key: admin, body: `{"mcp_id":"mcp_weather","tool":"get_weather","arguments":{}}`, status: 400, code: codeValidation, field: "arguments.city"},
		"add without b":                    {key: admin, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":1}}`, status: 400, code: codeValidation, field: "arguments.b"},
		"add with a string":                {key: admin, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":"1","b":2}}`, status: 400, code: codeValidation, field: "arguments.a"},
		"add overflowing":                  {key: admin, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":1e308,"b":1e308}}`, status: 400, code: codeValidation, field: "arguments"},
		"add out of range":                 {key: admin, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":1e400,"b":1}}`, status: 400, code: codeValidation, field: "arguments.a"},
		"unknown field":                    {key: admin, body: `{"mcp_id":"mcp_weather","tool":"get_weather","args":{}}`, status: 400, code: codeInvalidRequest, field: "args"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := ts.do(t, "POST", "/mcp/invoke", tc.key, tc.body)
			if tc.code != "" {
				e := r.wantError(t, tc.status, tc.code, tc.field)
				if tc.status == http.StatusForbidden && e.Message != "API key does not have access to this MCP" {
					t.Errorf("403 message %q", e.Message)
				}
				return
			}
			r.wantStatus(t, tc.status)
			if got := string(r.env.Data); got != tc.data {
				t.Errorf("data\n got %s\nwant %s", got, tc.data)
			}
		})
	}
}
