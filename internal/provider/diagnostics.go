package provider

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// fieldPaths maps the API's validation_error field names to the attributes
// a user writes, so Terraform can point at the offending line.
var fieldPaths = map[string]path.Path{
	"name":            path.Root("name"),
	"description":     path.Root("description"),
	"mode":            path.Root("mode"),
	"permissions":     path.Root("mcp_ids"),
	"expires_at":      path.Root("expires_at"),
	"expires_in_days": path.Root("expires_in_days"),
}

// addAPIError turns a client error into a diagnostic a person can act on:
// what failed, why, what to do, and the server's own code and message.
func addAPIError(diags *diag.Diagnostics, summary string, err error) {
	var apiErr *plexmcp.APIError
	if !errors.As(err, &apiErr) {
		diags.AddError(summary, fmt.Sprintf("The request to the PlexMCP API failed: %s.\n\n"+
			"Check that base_url (or %s) is reachable from here; requests that fail this way are "+
			"retried up to max_retries times before Terraform gives up.", err, EnvBaseURL))
		return
	}
	server := fmt.Sprintf("PlexMCP answered HTTP %d %s: %q.", apiErr.StatusCode, apiErr.Code, apiErr.Message)
	switch apiErr.StatusCode {
	case http.StatusUnauthorized:
		// The provider's own key is at fault, not this object's
		// configuration: no attribute of this block to point at.
		diags.AddError(summary, fmt.Sprintf(
			"%s\n\nPlexMCP rejected the provider's API key (Invalid or missing API key). Check that api_key in "+
				"the provider block, or %s, holds the complete key, copied without extra whitespace, and that the key "+
				"has not been revoked and has not expired. The provider sends it as \"Authorization: ApiKey <key>\" "+
				"itself: give the key alone.", server, EnvAPIKey))
	case http.StatusForbidden:
		diags.AddError(summary, fmt.Sprintf(
			"%s\n\nPlexMCP refused this operation to the provider's API key. Check that api_key or %s belongs to "+
				"the organisation whose keys this configuration manages, and that the operation is allowed (PlexMCP "+
				"never revokes an organisation's only active key).", server, EnvAPIKey))
	case http.StatusBadRequest:
		field, _ := apiErr.Details["field"].(string)
		if p, ok := fieldPaths[field]; ok {
			diags.AddAttributeError(p, summary, fmt.Sprintf("%s\n\nFix %s and apply again; nothing was created or changed.", server, field))
			return
		}
		diags.AddError(summary, server)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusInternalServerError:
		diags.AddError(summary, fmt.Sprintf("%s\n\nThe request was retried %d time(s) with backoff and still "+
			"failed. Apply again later, or raise max_retries in the provider block.", server, max(apiErr.Attempts-1, 0)))
	default:
		diags.AddError(summary, server)
	}
}
