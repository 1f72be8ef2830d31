package plexmcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The golden fixtures in internal/testdata/api are owned by the reference
// server's side and pin the wire format for both ends. Here every response
// fixture is served over HTTP and read through the client's public methods
// (the exact path real responses take), and every request fixture is
// compared with the JSON the client sends for the same request.

const goldenDir = "../testdata/api"

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	return b
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func utcp(s string) *time.Time { t := utc(s); return &t }

var (
	goldenCI = APIKey{
		ID:           "key_3kTMd9nQ2xWfA7bZp1Lc",
		Name:         "ci",
		Description:  "Used by the deploy pipeline.",
		Mode:         ModeLive,
		KeyPrefix:    "pk_live_7Hq2",
		Permissions:  Permissions{MCPIDs: []string{"mcp_weather", "mcp_calculator"}},
		ExpiresAt:    utcp("2026-04-16T09:30:00Z"),
		Status:       StatusActive,
		CreatedAt:    utc("2026-01-16T09:30:00Z"),
		LastUsedAt:   utcp("2026-01-20T14:02:11Z"),
		RequestCount: 3,
	}
	goldenRevoked = APIKey{
		ID:           "key_5RvHn8TqY2mLc6XwBz4D",
		Name:         "old-laptop",
		Mode:         ModeLive,
		KeyPrefix:    "pk_live_Qm8x",
		Permissions:  Permissions{AllMCPs: true},
		Status:       StatusRevoked,
		CreatedAt:    utc("2026-01-16T09:31:00Z"),
		LastUsedAt:   utcp("2026-01-18T17:45:03Z"),
		RequestCount: 1,
		RevokedAt:    utcp("2026-02-01T08:00:00Z"),
	}
	goldenWeather = MCP{
		ID: "mcp_weather", Name: "Weather API", Description: "Current weather for a city.",
		Mode: ModeLive, Status: "active", Tools: []string{"get_weather"},
		CreatedAt: utc("2026-01-01T00:00:00Z"), UpdatedAt: utc("2026-01-01T00:00:00Z"),
	}
)

func TestGoldenResponses(t *testing.T) {
	t.Parallel()
	createdCI := goldenCI
	createdCI.LastUsedAt, createdCI.RequestCount = nil, 0

	tests := map[string]struct {
		status int
		header []string
		call   func(context.Context, *Client) (any, error)
		want   any
	}{
		"mcp.json": {
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetMCP(ctx, "mcp_weather") },
			want: &goldenWeather,
		},
		"mcp_list.json": {
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListMCPs(ctx, ListMCPsOptions{}) },
			want: []MCP{
				goldenWeather,
				{
					ID: "mcp_calculator", Name: "Calculator", Description: "Adds two numbers.",
					Mode: ModeLive, Status: "active", Tools: []string{"add"},
					CreatedAt: utc("2026-01-01T00:01:00Z"), UpdatedAt: utc("2026-01-01T00:01:00Z"),
				},
				{
					ID: "mcp_sandbox", Name: "Sandbox", Description: "Echoes its arguments, for test keys.",
					Mode: ModeTest, Status: "active", Tools: []string{"echo"},
					CreatedAt: utc("2026-01-01T00:02:00Z"), UpdatedAt: utc("2026-01-01T00:02:00Z"),
				},
			},
		},
		"api_key.json": {
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetAPIKey(ctx, "key_3kTMd9nQ2xWfA7bZp1Lc") },
			want: &goldenCI,
		},
		"api_key_all_mcps.json": {
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetAPIKey(ctx, "key_9PzLw2QeX7rTb4NcVm1K") },
			want: &APIKey{
				ID: "key_9PzLw2QeX7rTb4NcVm1K", Name: "staging", Mode: ModeTest, KeyPrefix: "pk_test_Vb3n",
				Permissions: Permissions{AllMCPs: true}, ExpiresAt: utcp("2099-01-01T00:00:00Z"),
				Status: StatusActive, CreatedAt: utc("2026-01-16T09:31:00Z"),
			},
		},
		"api_key_revoked.json": {
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetAPIKey(ctx, "key_5RvHn8TqY2mLc6XwBz4D") },
			want: &goldenRevoked,
		},
		"api_key_list.json": {
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListAPIKeys(ctx, ListAPIKeysOptions{}) },
			want: []APIKey{goldenCI, goldenRevoked},
		},
		"api_key_created.json": {
			status: http.StatusCreated,
			header: []string{"Idempotent-Replayed", "true"},
			call: func(ctx context.Context, c *Client) (any, error) {
				k, err := c.CreateAPIKey(ctx, CreateAPIKeyRequest{Name: "ci", Permissions: Permissions{AllMCPs: true}})
				if err != nil {
					return nil, err
				}
				// Compare the secret in the clear; Secret hides it from cmp's output only.
				return struct {
					APIKey   APIKey
					Key      string
					Replayed bool
				}{k.APIKey, k.Key.Reveal(), k.Replayed}, nil
			},
			want: struct {
				APIKey   APIKey
				Key      string
				Replayed bool
			}{createdCI, "pk_live_7Hq2Lr9XwKcT4mNbV8sZpQ3yJd6Fg1Ae1Lmce0", true},
		},
		"invoke_response.json": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Invoke(ctx, InvokeRequest{MCPID: "mcp_weather", Tool: "get_weather"})
			},
			want: &InvokeResult{MCPID: "mcp_weather", Tool: "get_weather", Result: map[string]any{"city": "London", "conditions": "sunny", "temperature_c": 21.0}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			status := tc.status
			if status == 0 {
				status = http.StatusOK
			}
			_, srv := serve(t, reply(status, string(readGolden(t, name)), tc.header...))
			c := mustNew(t, fastConfig(srv.URL+"/v1", testKey, nil))
			got, err := tc.call(testCtx(t), c)
			if err != nil {
				t.Fatalf("decoding %s: %v", name, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s decoded wrong (-want +got):\n%s", name, diff)
			}
		})
	}

	// Every field of every object fixture must be one the client knows:
	// a field the client does not read is a field it silently drops.
	for name := range tests {
		t.Run("strict/"+name, func(t *testing.T) {
			t.Parallel()
			assertKnownFields(t, name, readGolden(t, name))
		})
	}
}

// assertKnownFields decodes a fixture's data strictly into the client's wire
// struct for it.
func assertKnownFields(t *testing.T, name string, body []byte) {
	t.Helper()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	var target any
	switch {
	case strings.HasPrefix(name, "mcp_list"):
		target = &[]wireMCP{}
	case strings.HasPrefix(name, "mcp"):
		target = &wireMCP{}
	case strings.HasPrefix(name, "api_key_list"):
		target = &[]wireAPIKey{}
	case strings.HasPrefix(name, "api_key"):
		target = &wireAPIKey{}
	case strings.HasPrefix(name, "invoke_response"):
		target = &wireInvokeResult{}
	default:
		t.Fatalf("no wire struct for %s", name)
	}
	dec := json.NewDecoder(bytes.NewReader(env.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(target); err != nil {
		t.Errorf("%s has a field the client does not read: %v", name, err)
	}
}

// errorStatus is the contract's status for each error code.
var errorStatus = map[string]int{
	CodeInvalidRequest:      400,
	CodeValidation:          400,
	CodeUnauthorized:        401,
	CodeForbidden:           403,
	CodeNotFound:            404,
	CodeConflict:            409,
	CodePayloadTooLarge:     413,
	CodeIdempotencyMismatch: 422,
	CodeRateLimited:         429,
	CodeInternal:            500,
	CodeUnavailable:         503,
}

func TestGoldenErrors(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(goldenDir, "error_*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no error fixtures in %s (err %v)", goldenDir, err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body := readGolden(t, name)
			var raw struct {
				Error struct {
					Code    string         `json:"code"`
					Message string         `json:"message"`
					Details map[string]any `json:"details"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &raw); err != nil {
				t.Fatal(err)
			}
			status, ok := errorStatus[raw.Error.Code]
			if !ok {
				t.Fatalf("%s has code %q, which the contract does not list", name, raw.Error.Code)
			}
			// The second answer is for the request that confirms a 404.
			_, srv := serve(t, reply(status, string(body)), reply(http.StatusOK, emptyList))
			cfg := fastConfig(srv.URL+"/v1", testKey, nil)
			cfg.MaxRetries = 0 // keep 429/503 fixtures to one attempt
			c := mustNew(t, cfg)
			_, err := c.GetAPIKey(testCtx(t), "key_x")
			got := apiErrorOf(t, err)
			want := &APIError{StatusCode: status, Code: raw.Error.Code, Message: raw.Error.Message, Details: raw.Error.Details, Attempts: 1}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s decoded wrong (-want +got):\n%s", name, diff)
			}
			// error_validation.json holds validation_error, and so on.
			if base := strings.TrimSuffix(strings.TrimPrefix(name, "error_"), ".json"); !strings.HasPrefix(raw.Error.Code, base) {
				t.Errorf("%s holds code %q", name, raw.Error.Code)
			}
		})
	}
	if body := readGolden(t, "error_validation.json"); len(body) > 0 {
		var e struct {
			Error wireError `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Details["field"] != "name" {
			t.Errorf("error_validation.json: details %v (err %v), want field name", e.Error.Details, err)
		}
	}
}

// shape maps every path in a JSON document to its JSON type, so two
// documents compare equal when they have the same keys with the same kinds
// of values, whatever the values are.
func shape(t *testing.T, b []byte) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			out[path] = "object"
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			out[path] = "array"
			for _, e := range x {
				walk(path+"[]", e)
			}
		case string:
			out[path] = "string"
		case float64:
			out[path] = "number"
		case bool:
			out[path] = "bool"
		case nil:
			out[path] = "null"
		default:
			out[path] = fmt.Sprintf("%T", x)
		}
	}
	walk("", v)
	return out
}

func TestGoldenRequests(t *testing.T) {
	t.Parallel()
	ninety := int64(90)
	name, desc := "ci-deploy", "Rotated every quarter."
	tests := map[string]any{
		"create_request.json": createToWire(CreateAPIKeyRequest{
			Name: "ci", Description: "Used by the deploy pipeline.", Mode: ModeLive,
			Permissions:   Permissions{MCPIDs: []string{"mcp_weather", "mcp_calculator"}},
			ExpiresInDays: &ninety,
		}),
		"create_request_all_mcps.json": createToWire(CreateAPIKeyRequest{
			Name: "staging", Mode: ModeTest, Permissions: Permissions{AllMCPs: true},
			ExpiresAt: utcp("2099-01-01T00:00:00Z"),
		}),
		"patch_request.json": updateToWire(UpdateAPIKeyRequest{Name: &name, Description: &desc, Permissions: &Permissions{AllMCPs: true}}),
		"invoke_request.json": invokeToWire(InvokeRequest{
			MCPID: "mcp_weather", Tool: "get_weather", Arguments: map[string]any{"city": "London"},
		}),
	}
	for file, req := range tests {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			want := readGolden(t, file)
			if diff := cmp.Diff(shape(t, want), shape(t, got)); diff != "" {
				t.Errorf("the client's %s has other keys (-fixture +client):\n%s\nclient sent %s", file, diff, got)
			}
			// Same request, same values: the JSON must be equal, not just alike.
			var w, g any
			_ = json.Unmarshal(want, &w)
			_ = json.Unmarshal(got, &g)
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("the client's %s differs (-fixture +client):\n%s", file, diff)
			}
		})
	}
}

// TestGoldenFixturesAreAllChecked makes a new fixture fail here until the
// client has a check for it, so the wire format cannot grow on one side only.
func TestGoldenFixturesAreAllChecked(t *testing.T) {
	t.Parallel()
	known := map[string]bool{
		"mcp.json": true, "mcp_list.json": true, "api_key.json": true, "api_key_all_mcps.json": true,
		"api_key_revoked.json": true, "api_key_list.json": true, "api_key_created.json": true,
		"invoke_response.json": true, "create_request.json": true, "create_request_all_mcps.json": true,
		"patch_request.json": true, "invoke_request.json": true,
	}
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil || len(files) < len(known) {
		t.Fatalf("found %d fixtures in %s (%v), want at least the %d known ones", len(files), goldenDir, err, len(known))
	}
	var unchecked []string
	for _, f := range files {
		name := filepath.Base(f)
		if !known[name] && !strings.HasPrefix(name, "error_") {
			unchecked = append(unchecked, name)
		}
	}
	sort.Strings(unchecked)
	if len(unchecked) > 0 {
		t.Errorf("fixtures without a client-side check: %v", unchecked)
	}
}
