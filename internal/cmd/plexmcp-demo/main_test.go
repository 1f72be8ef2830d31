package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// testKey is shaped like a real key, so that a leak of it is caught by
// the same patterns that catch real ones.
const testKey = "pmcp_01" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseOptions(t *testing.T) {
	t.Parallel()
	defaults := options{api: apiHosted, binDir: "bin", examples: "examples", terraform: "terraform"}
	tests := []struct {
		name    string
		args    []string
		want    options
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{name: "server API", args: []string{"-api", "server"}, want: options{api: apiServer, binDir: "bin", examples: "examples", terraform: "terraform"}},
		{name: "hosted API", args: []string{"-api=hosted"}, want: defaults},
		{
			name: "every flag",
			args: []string{"-api", "server", "-bin", "/tmp/b", "-examples", "ex", "-terraform", "tofu"},
			want: options{api: apiServer, binDir: "/tmp/b", examples: "ex", terraform: "tofu"},
		},
		{name: "unknown API", args: []string{"-api", "oss"}, wantErr: `-api "oss": want hosted or server`},
		{name: "API in the wrong case", args: []string{"-api", "Server"}, wantErr: `-api "Server": want hosted or server`},
		{name: "stray argument", args: []string{"server"}, wantErr: `unexpected arguments ["server"]`},
		{name: "unknown flag", args: []string{"-mode", "live"}, wantErr: "flag provided but not defined: -mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseOptions(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("parseOptions(%q) error = %v, want %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseOptions(%q): %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(options{})); diff != "" {
				t.Errorf("parseOptions(%q) mismatch (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestParseOptionsHelp(t *testing.T) {
	t.Parallel()
	var usage bytes.Buffer
	_, err := parseOptions([]string{"-h"}, &usage)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseOptions(-h) error = %v, want flag.ErrHelp", err)
	}
	if !strings.Contains(usage.String(), "-api") {
		t.Errorf("usage does not mention -api:\n%s", usage.String())
	}
}

func TestReadStartLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		in          string
		wantBaseURL string
		wantKey     string
		wantErr     bool
	}{
		{
			name:        "hosted",
			in:          "PLEXMCP_BASE_URL=http://127.0.0.1:1/v1\nPLEXMCP_API_KEY=" + testKey + "\nPLEXMCP_SECOND_ORG_API_KEY=x\n",
			wantBaseURL: "http://127.0.0.1:1/v1", wantKey: testKey,
		},
		{
			name:        "server, CRLF",
			in:          "PLEXMCP_BASE_URL=http://127.0.0.1:1/api/v1\r\nPLEXMCP_API_KEY=" + testKey + "\r\n",
			wantBaseURL: "http://127.0.0.1:1/api/v1", wantKey: testKey,
		},
		{
			name:        "last line without newline",
			in:          "PLEXMCP_API_KEY=" + testKey + "\nPLEXMCP_BASE_URL=http://h/v1",
			wantBaseURL: "http://h/v1", wantKey: testKey,
		},
		{name: "no key", in: "PLEXMCP_BASE_URL=http://h/v1\n", wantErr: true},
		{name: "no URL", in: "PLEXMCP_API_KEY=" + testKey + "\n", wantErr: true},
		{name: "nothing", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			baseURL, key, err := readStartLines(bufio.NewReader(strings.NewReader(tt.in)))
			if tt.wantErr {
				if err == nil {
					t.Fatal("readStartLines: no error")
				}
				if strings.Contains(err.Error(), testKey[12:]) {
					t.Errorf("the error repeats the key: %s", testsecrets.Hide(err.Error(), testKey))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if baseURL != tt.wantBaseURL || key != tt.wantKey {
				t.Errorf("readStartLines = %q, %s; want %q, %s", baseURL, testsecrets.Hide(key, testKey),
					tt.wantBaseURL, testsecrets.Hide(tt.wantKey, testKey))
			}
		})
	}
}

func TestReadOutputs(t *testing.T) {
	t.Parallel()
	raw := `{
  "keys": {"sensitive": false, "type": ["object"], "value": {
    "production": {"id": "key_1", "key_prefix": "pmcp_01a1b2c", "mcp_ids": ["mcp_weather"], "expires_at": "2027-03-01T10:00:00Z"},
    "development": {"id": "key_2", "key_prefix": "pmcp_01d3e4f", "mcp_ids": ["mcp_sandbox"], "expires_at": null}
  }},
  "secrets": {"sensitive": true, "type": ["object"], "value": {"production": "` + testKey + `", "development": "` + testKey + `"}}
}`
	got, err := readOutputs([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	expires := "2027-03-01T10:00:00Z"
	wantKeys := map[string]keyOutput{
		"production":  {ID: "key_1", KeyPrefix: "pmcp_01a1b2c", MCPIDs: []string{"mcp_weather"}, ExpiresAt: &expires},
		"development": {ID: "key_2", KeyPrefix: "pmcp_01d3e4f", MCPIDs: []string{"mcp_sandbox"}},
	}
	if diff := cmp.Diff(wantKeys, got.keys); diff != "" {
		t.Errorf("keys mismatch (-want +got):\n%s", diff)
	}
	for env, s := range got.secrets {
		if s.Reveal() != testKey {
			t.Errorf("secret of %s = %s, want the key", env, testsecrets.Hide(s.Reveal(), testKey))
		}
		if printed := fmt.Sprintf("%v %+v %#v %s", s, got, got, s); strings.Contains(printed, testKey[12:]) {
			t.Errorf("printing the outputs shows the key: %s", testsecrets.Hide(printed, testKey))
		}
	}
}

func TestReadOutputsRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, wantErr string
	}{
		{name: "not JSON", raw: "Error: no outputs", wantErr: "reading terraform output"},
		{
			name:    "a key without its secret",
			raw:     `{"keys": {"value": {"staging": {"id": "key_3"}}}, "secrets": {"value": {}}}`,
			wantErr: `terraform output has no key for environment "staging"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := readOutputs([]byte(tt.raw))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("readOutputs error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestInvokeCell(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"success", nil, "ok"},
		{"hosted API refuses the MCP", &plexmcp.APIError{StatusCode: 403, Code: "mcp_not_permitted", Message: "API key does not have access to this MCP"}, "denied"},
		{"PlexMCP server refuses the MCP", &plexmcp.RPCError{HTTPStatus: 200, Code: -32602, Message: "MCP not found or access denied: Calculator"}, "denied"},
		{"wrapped refusal", fmt.Errorf("invoking: %w", &plexmcp.APIError{StatusCode: 403, Code: "mcp_not_permitted"}), "denied"},
		{"another 403", &plexmcp.APIError{StatusCode: 403, Code: "forbidden"}, "error (HTTP 403)"},
		{"bad key on the hosted API", &plexmcp.APIError{StatusCode: 401, Code: "unauthorized"}, "error (HTTP 401)"},
		{"bad key on the proxy", &plexmcp.RPCError{HTTPStatus: 401, Code: -32002, Message: "API key not found"}, "error (-32002)"},
		{"transport", errors.New("connection refused"), "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := invokeCell(tt.err); got != tt.want {
				t.Errorf("invokeCell(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestFormatReach(t *testing.T) {
	t.Parallel()
	expires := "2027-03-01T23:29:14Z"
	rows := []reachRow{
		{env: "development", id: "key_2", prefix: "pmcp_01d3e4f", cells: []string{"denied", "ok", "denied"}},
		{env: "production", id: "0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60", prefix: "pmcp_01ed51b3a02d...", expires: &expires, cells: []string{"ok", "denied", "ok"}},
	}
	var out bytes.Buffer
	if err := formatReach(&out, []string{"Calculator", "Sandbox", "Weather API"}, rows); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"ENVIRONMENT  KEY ID                                KEY PREFIX            EXPIRES     Calculator  Sandbox  Weather API\n" +
		"development  key_2                                 pmcp_01d3e4f...       never       denied      ok       denied\n" +
		"production   0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60  pmcp_01ed51b3a02d...  2027-03-01  ok          denied   ok\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("formatReach mismatch (-want +got):\n%s", diff)
	}
}

func TestDisplayPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"hosted prefix", "pmcp_01a1b2c", "pmcp_01a1b2c..."},
		{"server prefix", "pmcp_01ed51b3a02d...", "pmcp_01ed51b3a02d..."},
		{"a whole key where the prefix belongs", testKey, "pmcp_010123456789..."},
		{"empty", "", "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := displayPrefix(tt.in); got != tt.want {
				t.Errorf("displayPrefix(%s) = %q, want %q", testsecrets.Hide(tt.in, testKey), got, tt.want)
			}
		})
	}
}

func TestDisplayExpiry(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		in   *string
		want string
	}{
		{"never", nil, "never"},
		{"UTC", str("2027-03-01T23:29:14Z"), "2027-03-01"},
		{"an offset is shown in UTC", str("2027-03-01T23:29:14-02:00"), "2027-03-02"},
		{"not a time", str("soon"), "soon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := displayExpiry(tt.in); got != tt.want {
				t.Errorf("displayExpiry = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFilteredEnv(t *testing.T) {
	t.Parallel()
	in := []string{"PATH=/bin", "TF_CLI_CONFIG_FILE=/home/me/.terraformrc", "PLEXMCP_API_KEY=" + testKey, "HOME=/home/me", "TF_LOG=DEBUG"}
	want := []string{"PATH=/bin", "HOME=/home/me"}
	if diff := cmp.Diff(want, filteredEnv(in)); diff != "" {
		t.Errorf("filteredEnv mismatch (-want +got):\n%s", testsecrets.Hide(diff, testKey))
	}
}
