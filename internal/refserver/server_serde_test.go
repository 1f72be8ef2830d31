package refserver

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestServerJSONErrors pins the words and positions of the management
// API's JSON rejections, as serde_json (behind axum, with the field's path)
// words them.
func TestServerJSONErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body   string
		syntax bool // 400 rather than 422
		want   string
	}{
		// Syntax, in the order serde reads.
		{``, true, "EOF while parsing a value at line 1 column 0"},
		{`   `, true, "EOF while parsing a value at line 1 column 3"},
		{`x`, true, "expected value at line 1 column 1"},
		{`{`, true, "EOF while parsing an object at line 1 column 1"},
		{`{"name":`, true, "name: EOF while parsing a value at line 1 column 8"},
		{`{"name" "x"}`, true, "expected `:` at line 1 column 9"},
		{`{"name":"x" "scopes":[]}`, true, "expected `,` or `}` at line 1 column 13"},
		{`{"name":"x",}`, true, "trailing comma at line 1 column 13"},
		{`{name:"x"}`, true, "key must be a string at line 1 column 2"},
		{`{"name":"x\q"}`, true, "name: invalid escape at line 1 column 12"},
		{"{\"name\":\"x\ny\"}", true, "name: control character (\\u0000-\\u001F) found while parsing a string at line 2 column 0"},
		{"{\n  \"name\": tru\n}", true, "name: expected ident at line 3 column 0"},
		{`{"name":"x","scopes":["a",]}`, true, "scopes: trailing comma at line 1 column 27"},
		{`{"name":"x","scopes":["a" "b"]}`, true, "scopes: expected `,` or `]` at line 1 column 27"},
		{`{"name":"x","allowed_mcp_ids":["0f3c2a58`, true, "allowed_mcp_ids[0]: EOF while parsing a string at line 1 column 40"},
		{`{"name":"x","other":{"a" 1}}`, true, "other: expected `:` at line 1 column 26"},
		{`{"name":"x","rate_limit_rpm":01}`, true, "rate_limit_rpm: invalid number at line 1 column 31"},
		{`{"name":"x","rate_limit_rpm":1e999}`, true, "rate_limit_rpm: number out of range at line 1 column 34"},
		// Types, where serde stands when it sees them.
		{`{}`, false, "missing field `name` at line 1 column 2"},
		{`{"scopes":[]}`, false, "missing field `name` at line 1 column 13"},
		{`{"rate_limit_rpm":"60","name":"x"}`, false, `rate_limit_rpm: invalid type: string "60", expected i32 at line 1 column 22`},
		{`{"name":null}`, false, "name: invalid type: null, expected a string at line 1 column 12"},
		{`{"name":7}`, false, "name: invalid type: integer `7`, expected a string at line 1 column 9"},
		{`{"name":["x"]}`, false, "name: invalid type: sequence, expected a string at line 1 column 8"},
		{`{"name":{"x":1}}`, false, "name: invalid type: map, expected a string at line 1 column 8"},
		{`{"name":"x","rate_limit_rpm":1.5}`, false, "rate_limit_rpm: invalid type: floating point `1.5`, expected i32 at line 1 column 32"},
		{`{"name":"x","rate_limit_rpm":60.0}`, false, "rate_limit_rpm: invalid type: floating point `60.0`, expected i32 at line 1 column 33"},
		{`{"name":"x","rate_limit_rpm":3000000000}`, false, "rate_limit_rpm: invalid value: integer `3000000000`, expected i32 at line 1 column 39"},
		{`{"name":"x","rate_limit_rpm":true}`, false, "rate_limit_rpm: invalid type: boolean `true`, expected i32 at line 1 column 33"},
		{`{"name":"x","scopes":null}`, false, "scopes: invalid type: null, expected a sequence at line 1 column 25"},
		{`{"name":"x","scopes":[1]}`, false, "scopes[0]: invalid type: integer `1`, expected a string at line 1 column 23"},
		{`{"name":"x","mcp_access_mode":null}`, false, "mcp_access_mode: invalid type: null, expected a string at line 1 column 34"},
		{`{"name":"x","allowed_mcp_ids":["nope"]}`, false, "allowed_mcp_ids[0]: UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1 at line 1 column 37"},
		{`{"name":"x","allowed_mcp_ids":[5]}`, false, "allowed_mcp_ids[0]: invalid type: integer `5`, expected a UUID string at line 1 column 32"},
		{`{"name":"x","name":"y"}`, false, "duplicate field `name` at line 1 column 18"},
		{`[]`, false, "invalid type: sequence, expected struct CreateApiKeyRequest at line 1 column 0"},
		{`"x"`, false, `invalid type: string "x", expected struct CreateApiKeyRequest at line 1 column 3`},
		// A wrong type read before a later syntax error wins.
		{`{"name":5,`, false, "name: invalid type: integer `5`, expected a string at line 1 column 9"},
		{`{"name":"x","allowed_mcp_ids":["bad",`, false, "allowed_mcp_ids[0]: UUID parsing failed: invalid length: expected length 32 for simple format, found 3 at line 1 column 36"},
	} {
		d, err := sjDecode([]byte(tc.body), createKeyRequest, true, false)
		if err == nil {
			t.Errorf("%s: decoded as %v", tc.body, d)
			continue
		}
		if got := err.text([]byte(tc.body)); got != tc.want || err.syntax != tc.syntax {
			t.Errorf("%s:\n got %q (syntax %v)\nwant %q (syntax %v)", tc.body, got, err.syntax, tc.want, tc.syntax)
		}
	}
}

func TestServerJSONDecodes(t *testing.T) {
	t.Parallel()
	body := `{"name":" ci ","scopes":["a","a"],"rate_limit_rpm":-5,"expires_at":null,"unknown":{"deep":[1,{"x":null}]},` +
		`"allowed_mcp_ids":["0F3C2A587D414E8B9A6F1C2D3E4F5A60","{3b9e7c21-5a84-4f1d-8c36-2e7a9b0d4c15}","urn:uuid:0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60"]} trailing`
	d, err := sjDecode([]byte(body), createKeyRequest, true, false)
	if err != nil {
		t.Fatal(err.text([]byte(body)))
	}
	want := sjDecoded{
		"name": " ci ", "scopes": []string{"a", "a"}, "rate_limit_rpm": int32(-5), "expires_at": nil,
		"allowed_mcp_ids": []string{"0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60", "3b9e7c21-5a84-4f1d-8c36-2e7a9b0d4c15", "0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60"},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The proxy's serde_json::from_str refuses trailing data.
	if _, err := sjDecode([]byte(`{"jsonrpc":"2.0","method":"x"} x`), jsonRPCRequest, false, true); err == nil ||
		err.text([]byte(`{"jsonrpc":"2.0","method":"x"} x`)) != "trailing characters at line 1 column 32" {
		t.Errorf("trailing data on the proxy: %v", err)
	}
	// Nesting deeper than serde_json's limit.
	deep := `{"name":"x","unknown":` + strings.Repeat("[", 130) + strings.Repeat("]", 130) + `}`
	if _, err := sjDecode([]byte(deep), createKeyRequest, true, false); err == nil || err.msg != "recursion limit exceeded" {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestRustTexts(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`a"b\c`:       `"a\"b\\c"`,
		"tab\tnl\n":   `"tab\tnl\n"`,
		"é\x01\u200b": `"é\u{1}\u{200b}"`,
	} {
		if got := rustDebugString(in); got != want {
			t.Errorf("rustDebugString(%q) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"ok":                "",
		"a\xffb":            "invalid utf-8 sequence of 1 bytes from index 1",
		"ab\xe2\x82":        "incomplete utf-8 byte sequence from index 2",
		"\xe2\x28\xa1":      "invalid utf-8 sequence of 1 bytes from index 0",
		"\xf0\x90\x28\xbc":  "invalid utf-8 sequence of 2 bytes from index 0",
		"x\xf0\x90\x8c\x28": "invalid utf-8 sequence of 3 bytes from index 1",
		"\xed\xa0\x80":      "invalid utf-8 sequence of 1 bytes from index 0", // a surrogate
		"€\xc0\x80":         "invalid utf-8 sequence of 1 bytes from index 3",
	} {
		if got := rustUTF8Error([]byte(in)); got != want {
			t.Errorf("rustUTF8Error(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"":                      "cannot parse integer from empty string",
		"ten":                   "invalid digit found in string",
		"-":                     "invalid digit found in string",
		"99999999999999999999":  "number too large to fit in target type",
		"-99999999999999999999": "number too small to fit in target type",
	} {
		_, msg := parseMCPQuery("page=" + in)
		if in == "" {
			_, msg = parseMCPQuery("page=")
		}
		if msg != want {
			t.Errorf("page=%s: %q, want %q", in, msg, want)
		}
	}
}
