package provider

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// Errors about the provider's own key belong to no attribute of the object
// that met them: a path such as api_key, which resources do not have, made
// Terraform point at the resource block instead.
func TestAddAPIErrorCredentialProblemsHaveNoPath(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		status   int
		wantWord string
	}{
		"unauthorized": {http.StatusUnauthorized, "rejected the provider's API key"},
		"forbidden":    {http.StatusForbidden, "refused this operation"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var diags diag.Diagnostics
			addAPIError(&diags, "Error Reading PlexMCP API Key", &plexmcp.APIError{StatusCode: tc.status, Code: "x", Message: "y"})
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1", len(diags))
			}
			if withPath, ok := diags[0].(diag.DiagnosticWithPath); ok {
				t.Errorf("the diagnostic points at %s, which the object does not have", withPath.Path())
			}
			if !strings.Contains(diags[0].Detail(), tc.wantWord) {
				t.Errorf("detail %q does not say %q", diags[0].Detail(), tc.wantWord)
			}
		})
	}
}

// A PlexMCP server commits an update field by field, so a refusal part-way
// may follow changes it has already made. The error must not claim that
// nothing changed, and must say what state now holds; an update refused
// whole still says that nothing changed.
func TestAddAPIErrorPartialUpdate(t *testing.T) {
	t.Parallel()
	refusal := &plexmcp.APIError{StatusCode: http.StatusBadRequest, Code: "VALIDATION_ERROR",
		Message: "Rate limit must be between 1 and 10000 requests per minute"}
	cases := map[string]struct {
		err     error
		want    []string
		wantNot []string
	}{
		"refused whole": {
			err:  refusal,
			want: []string{"Nothing was created or changed"},
		},
		"refused part-way, read back": {
			err:     &plexmcp.PartialUpdateError{Current: &plexmcp.APIKey{ID: "6a0d2c1e-0000-4000-8000-000000000001"}, Err: refusal},
			want:    []string{"Rate limit must be between", "applied part of the change", "state now holds the key as PlexMCP reports it"},
			wantNot: []string{"Nothing was created or changed"},
		},
		"refused part-way, not read back": {
			err:     &plexmcp.PartialUpdateError{Err: refusal},
			want:    []string{"Rate limit must be between", "may have applied part of the change", "next refresh"},
			wantNot: []string{"Nothing was created or changed"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var diags diag.Diagnostics
			addAPIError(&diags, "Error Updating PlexMCP API Key", tc.err)
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1", len(diags))
			}
			detail := diags[0].Detail()
			for _, w := range tc.want {
				if !strings.Contains(detail, w) {
					t.Errorf("detail %q does not say %q", detail, w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(detail, w) {
					t.Errorf("detail %q says %q, which is not true of a partial update", detail, w)
				}
			}
		})
	}
}
