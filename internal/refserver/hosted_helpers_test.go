package refserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// The tests' own view of the hosted API's wire format, independent of the
// server's types (the golden tests compare raw JSON as well).
type wireEnvelope struct {
	Success    *bool           `json:"success"`
	Data       json.RawMessage `json:"data"`
	Pagination *wirePagination `json:"pagination"`
	Error      *wireError      `json:"error"`
}

type wirePagination struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Total      int `json:"total"`
	TotalPages int `json:"total_pages"`
}

type wireError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details map[string]string `json:"details"`
}

// envelope decodes a hosted answer strictly and checks the parts every
// answer shares: the JSON content type and success matching the status.
func (r *response) envelope(t *testing.T) wireEnvelope {
	t.Helper()
	var env wireEnvelope
	decodeStrict(t, r, &env)
	if env.Success == nil || *env.Success != (r.status < 300) {
		t.Fatalf("%s %s: %d with success %v: %s", r.method, r.path, r.status, env.Success, r.body())
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", r.method, r.path, ct)
	}
	return env
}

// hostedError checks status and code, and that details, if want gives
// any, are exactly those; it returns the error.
func (r *response) hostedError(t *testing.T, status int, code string, details ...string) *wireError {
	t.Helper()
	r.wantStatus(t, status)
	e := r.envelope(t).Error
	if e == nil || e.Code != code || e.Message == "" {
		t.Fatalf("%s %s: error %+v, want code %q: %s", r.method, r.path, e, code, r.body())
	}
	if len(details) > 0 {
		want := map[string]string{}
		for i := 0; i+1 < len(details); i += 2 {
			want[details[i]] = details[i+1]
		}
		if fmt.Sprint(e.Details) != fmt.Sprint(want) {
			t.Fatalf("%s %s: details %v, want %v", r.method, r.path, e.Details, want)
		}
	}
	return e
}

// data decodes a successful hosted answer's data into T, refusing unknown
// fields.
func data[T any](t *testing.T, r *response) T {
	t.Helper()
	env := r.envelope(t)
	var v T
	dec := json.NewDecoder(bytes.NewReader(env.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s %s: decoding data as %T: %v: %s", r.method, r.path, v, err, r.body())
	}
	return v
}

// keyView is a hosted key object as the tests read it: the union of the
// create answer, list items and the detail.
type keyView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Key         string `json:"key"`
	Prefix      string `json:"prefix"`
	Status      string `json:"status"`
	Permissions struct {
		MCPs json.RawMessage `json:"mcps"`
	} `json:"permissions"`
	ExpiresAt *string `json:"expires_at"`
	CreatedAt string  `json:"created_at"`
	CreatedBy *struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"created_by"`
	UpdatedAt string  `json:"updated_at"`
	LastUsed  *string `json:"last_used"`
	RevokedAt *string `json:"revoked_at"`
	Usage     *struct {
		TotalRequests     int64  `json:"total_requests"`
		RequestsToday     int64  `json:"requests_today"`
		RequestsThisWeek  *int64 `json:"requests_this_week"`
		RequestsThisMonth *int64 `json:"requests_this_month"`
	} `json:"usage"`
	RecentActivity []struct {
		Timestamp string `json:"timestamp"`
		MCPID     string `json:"mcp_id"`
		Tool      string `json:"tool"`
		Status    string `json:"status"`
	} `json:"recent_activity"`
}

// String keeps the secret out of failure messages that print a keyView.
func (k keyView) String() string {
	type plain keyView // no String method, so no recursion
	p := plain(k)
	if p.Key != "" {
		p.Key = testsecrets.Hide(p.Key, p.Key)
	}
	return fmt.Sprintf("%+v", p)
}

// mcpView is a hosted MCP as the tests read it: the union of a list item
// and the detail.
type mcpView struct {
	ID              string  `json:"id"`
	Name            string  `json:"name"`
	EndpointURL     string  `json:"endpoint_url"`
	Description     string  `json:"description"`
	Status          string  `json:"status"`
	Health          string  `json:"health"`
	HealthCheckedAt string  `json:"health_checked_at"`
	CreatedAt       string  `json:"created_at"`
	UpdatedAt       string  `json:"updated_at"`
	LastActive      *string `json:"last_active"`
	RequestCount    int64   `json:"request_count"`
	Stats           *struct {
		TotalRequests int64   `json:"total_requests"`
		RequestsToday int64   `json:"requests_today"`
		ErrorRate     float64 `json:"error_rate"`
		AvgLatencyMS  int64   `json:"avg_latency_ms"`
	} `json:"stats"`
	Tools []struct {
		Name        string         `json:"name"`
		Description string         `json:"description"`
		InputSchema map[string]any `json:"input_schema"`
	} `json:"tools"`
}

func allMCPs(name string) map[string]any {
	return map[string]any{"name": name, "permissions": map[string]any{"mcps": "*"}}
}

func someMCPs(name string, ids ...string) map[string]any {
	return map[string]any{"name": name, "permissions": map[string]any{"mcps": ids}}
}

// createKey creates a key in the first organisation with its bootstrap
// key and returns it with its secret.
func (ts *testServer) createKey(t *testing.T, body map[string]any, header ...string) keyView {
	t.Helper()
	r := ts.do(t, "POST", "/api-keys", ts.AdminKey(), body, header...).wantStatus(t, http.StatusCreated)
	k := data[keyView](t, r)
	if k.Key == "" || k.ID == "" {
		t.Fatalf("create answered without key or id: %s", r.body())
	}
	return k
}

// getKey reads a key's detail with the bootstrap key.
func (ts *testServer) getKey(t *testing.T, id string) keyView {
	t.Helper()
	return data[keyView](t, ts.do(t, "GET", "/api-keys/"+id, ts.AdminKey(), nil).wantStatus(t, http.StatusOK))
}

func invokeBody(mcpID, tool string, args map[string]any) map[string]any {
	b := map[string]any{"mcp_id": mcpID, "tool": tool}
	if args != nil {
		b["arguments"] = args
	}
	return b
}
