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
