package refserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// invokedView is the hosted invoke answer as the tests read it.
type invokedView struct {
	Result   json.RawMessage `json:"result"`
	Metadata struct {
		MCPID     string `json:"mcp_id"`
		Tool      string `json:"tool"`
		LatencyMS *int64 `json:"latency_ms"`
		Timestamp string `json:"timestamp"`
	} `json:"metadata"`
}

func TestHostedInvoke(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	weatherOnly := ts.createKey(t, someMCPs("weather only", "mcp_weather")).Key
	all := ts.createKey(t, allMCPs("all")).Key
	admin := ts.AdminKey()

	for name, tc := range map[string]struct {
		key     string
		body    string
		status  int
		code    string
		message string
		details []string
		result  string // exact result on success
	}{
		"weather": {key: admin, body: `{"mcp_id":"mcp_weather","tool":"get_weather","arguments":{"city":"London"}}`, status: 200,
			result: `{"city":"London","conditions":"sunny","temperature_c":21}`},
		"echo keeps numbers as sent": {key: admin, body: `{"mcp_id":"mcp_sandbox","tool":"echo","arguments":{"x":[1,2.50,{"y":null}],"s":"é"}}`, status: 200,
			result: `{"s":"é","x":[1,2.50,{"y":null}]}`},
		"granted key":      {key: weatherOnly, body: `{"mcp_id":"mcp_weather","tool":"get_weather","arguments":{"city":"Paris"}}`, status: 200, result: `{"city":"Paris","conditions":"sunny","temperature_c":21}`},
		"add":              {key: all, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":2,"b":40}}`, status: 200, result: `{"sum":42}`},
		"add fractions":    {key: all, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":0.5,"b":-2}}`, status: 200, result: `{"sum":-1.5}`},
		"no arguments":     {key: all, body: `{"mcp_id":"mcp_sandbox","tool":"echo"}`, status: 200, result: `{}`},
		"null arguments":   {key: all, body: `{"mcp_id":"mcp_sandbox","tool":"echo","arguments":null}`, status: 200, result: `{}`},
		"timeout, context": {key: all, body: `{"mcp_id":"mcp_sandbox","tool":"echo","timeout":5000,"context":{"trace":"x"}}`, status: 200, result: `{}`},

		"unknown MCP":                     {key: weatherOnly, body: `{"mcp_id":"mcp_nope","tool":"add"}`, status: 404, code: codeNotFound, message: "MCP not found"},
		"404 MCP before 403":              {key: weatherOnly, body: `{"mcp_id":"mcp_nope","tool":"nope"}`, status: 404, code: codeNotFound, message: "MCP not found"},
		"other organisation's MCP":        {key: admin, body: `{"mcp_id":"mcp_private","tool":"ping"}`, status: 404, code: codeNotFound, message: "MCP not found"},
		"not permitted":                   {key: weatherOnly, body: `{"mcp_id":"mcp_calculator","tool":"add"}`, status: 403, code: codeMCPNotPermitted, message: msgNoMCPAccess},
		"403 before unknown tool":         {key: weatherOnly, body: `{"mcp_id":"mcp_calculator","tool":"nope"}`, status: 403, code: codeMCPNotPermitted, message: msgNoMCPAccess},
		"unknown tool (a probe)":          {key: weatherOnly, body: `{"mcp_id":"mcp_weather","tool":"nope"}`, status: 404, code: codeToolNotFound, message: "Tool 'nope' not found"},
		"another MCP's tool":              {key: all, body: `{"mcp_id":"mcp_weather","tool":"add"}`, status: 404, code: codeToolNotFound, message: "Tool 'add' not found"},
		"tool not found before arguments": {key: all, body: `{"mcp_id":"mcp_weather","tool":"nope","arguments":{"city":1}}`, status: 404, code: codeToolNotFound},
		"weather without a city":          {key: admin, body: `{"mcp_id":"mcp_weather","tool":"get_weather","arguments":{}}`, status: 400, code: codeInvalidArguments, message: "Wrong argument format"},
		"add without b":                   {key: admin, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":1}}`, status: 400, code: codeInvalidArguments},
		"add with a string":               {key: admin, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":"1","b":2}}`, status: 400, code: codeInvalidArguments},
		"add overflowing":                 {key: admin, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":1e308,"b":1e308}}`, status: 400, code: codeInvalidArguments},
		"add out of range":                {key: admin, body: `{"mcp_id":"mcp_calculator","tool":"add","arguments":{"a":1e400,"b":1}}`, status: 400, code: codeInvalidArguments},
		"missing mcp_id":                  {key: admin, body: `{"tool":"add"}`, status: 422, code: codeValidation, details: []string{"mcp_id", "Required"}},
		"empty both":                      {key: admin, body: `{"mcp_id":"","tool":""}`, status: 422, code: codeValidation, details: []string{"mcp_id", "Required", "tool", "Required"}},
		"tool not a string":               {key: admin, body: `{"mcp_id":"mcp_weather","tool":["get_weather"]}`, status: 400, code: codeInvalidRequest, details: []string{"tool", "Must be a string"}},
		"arguments not an object":         {key: admin, body: `{"mcp_id":"mcp_sandbox","tool":"echo","arguments":[1]}`, status: 400, code: codeInvalidRequest, details: []string{"arguments", "Must be an object"}},
		"timeout not an integer":          {key: admin, body: `{"mcp_id":"mcp_sandbox","tool":"echo","timeout":1.5}`, status: 400, code: codeInvalidRequest, details: []string{"timeout", "Must be an integer"}},
		"context not an object":           {key: admin, body: `{"mcp_id":"mcp_sandbox","tool":"echo","context":"x"}`, status: 400, code: codeInvalidRequest, details: []string{"context", "Must be an object"}},
		"unknown field":                   {key: admin, body: `{"mcp_id":"mcp_weather","tool":"get_weather","args":{}}`, status: 400, code: codeInvalidRequest, details: []string{"args", "Unknown field"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := ts.invoke(t, tc.key, tc.body)
			if tc.code != "" {
				e := r.hostedError(t, tc.status, tc.code, tc.details...)
				if tc.message != "" && e.Message != tc.message {
					t.Errorf("message %q, want %q", e.Message, tc.message)
				}
				return
			}
			r.wantStatus(t, tc.status)
			got := data[invokedView](t, r)
			if string(got.Result) != tc.result {
				t.Errorf("result\n got %s\nwant %s", got.Result, tc.result)
			}
			var sent struct {
				MCPID string `json:"mcp_id"`
				Tool  string `json:"tool"`
			}
			_ = json.Unmarshal([]byte(tc.body), &sent)
			m := got.Metadata
			if m.MCPID != sent.MCPID || m.Tool != sent.Tool || m.LatencyMS == nil || *m.LatencyMS < 0 {
				t.Errorf("metadata %+v for %+v", m, sent)
			}
			if at := mustParseHostedTime(t, m.Timestamp); time.Since(at) > time.Minute || time.Until(at) > time.Second {
				t.Errorf("metadata.timestamp %s is not the server's now", m.Timestamp)
			}
		})
	}
}

// TestHostedProbe: a tool name no MCP has tells reachable (404
// tool_not_found) from not (403) without running anything, but it is use of
// the key and an entry of its recent activity.
func TestHostedProbe(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	k := ts.createKey(t, someMCPs("probe", "mcp_sandbox"))
	ts.invoke(t, k.Key, invokeBody("mcp_sandbox", "no-such-tool", nil)).hostedError(t, http.StatusNotFound, codeToolNotFound)
	ts.invoke(t, k.Key, invokeBody("mcp_weather", "no-such-tool", nil)).hostedError(t, http.StatusForbidden, codeMCPNotPermitted)
	got := ts.getKey(t, k.ID)
	if got.Usage.TotalRequests != 2 || len(got.RecentActivity) != 2 || got.RecentActivity[1].Tool != "no-such-tool" || got.RecentActivity[1].Status != "error" {
		t.Errorf("after two probes: usage %+v, activity %+v", *got.Usage, got.RecentActivity)
	}
	for _, m := range []string{"mcp_sandbox", "mcp_weather"} {
		var d struct {
			RequestCount int64 `json:"request_count"`
		}
		if err := json.Unmarshal(ts.do(t, "GET", "/mcps/"+m, k.Key, nil).envelope(t).Data, &d); err != nil || d.RequestCount != 0 {
			t.Errorf("%s counted a probe: %+v %v", m, d, err)
		}
	}
}

// TestHostedPermissionsAreFixed: permissions cannot change, so a key's reach
// is what it was created with.
func TestHostedPermissionsAreFixed(t *testing.T) {
	t.Parallel()
	ts := newHosted(t)
	k := ts.createKey(t, someMCPs("narrow", "mcp_weather"))
	add := invokeBody("mcp_calculator", "add", map[string]any{"a": 1, "b": 2})
	ts.invoke(t, k.Key, add).hostedError(t, http.StatusForbidden, codeMCPNotPermitted)
	ts.do(t, "PATCH", "/api-keys/"+k.ID, ts.AdminKey(), `{"permissions":{"mcps":["mcp_calculator"]}}`).
		hostedError(t, http.StatusUnprocessableEntity, codeValidation)
	ts.invoke(t, k.Key, add).hostedError(t, http.StatusForbidden, codeMCPNotPermitted)
}

// TestHostedActivityOfRefusedInvocations: an invocation refused for its
// body is still recent activity, with what the body named; one refused by
// the rate limit never happened.
func TestHostedActivityOfRefusedInvocations(t *testing.T) {
	t.Parallel()
	ts, clock := limitedServer(t, Config{RateLimit: 100})
	k := ts.createKey(t, allMCPs("refused"))
	ts.invoke(t, k.Key, `{"mcp_id":"mcp_sandbox","tool":"echo"}`, "Content-Type", "text/plain").wantStatus(t, http.StatusUnsupportedMediaType)
	ts.invoke(t, k.Key, `{"mcp_id":5,"tool":"echo"}`).wantStatus(t, http.StatusBadRequest)
	ts.invoke(t, k.Key, `{`).wantStatus(t, http.StatusBadRequest)
	ts.SetRateLimit(0.001)
	ts.invoke(t, k.Key, invokeBody("mcp_sandbox", "echo", nil)).wantStatus(t, http.StatusOK)
	ts.invoke(t, k.Key, invokeBody("mcp_weather", "limited", nil)).wantStatus(t, http.StatusTooManyRequests)
	clock.advance(time.Hour)
	got := ts.getKey(t, k.ID).RecentActivity
	var seen []string
	for _, a := range got {
		seen = append(seen, a.MCPID+"/"+a.Tool+"/"+a.Status)
	}
	if want := "mcp_sandbox/echo/success,//error,/echo/error,mcp_sandbox/echo/error"; strings.Join(seen, ",") != want {
		t.Errorf("recent activity %v, want %s", seen, want)
	}
}
