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
		diags.AddAttributeError(path.Root("api_key"), summary, fmt.Sprintf(
			"%s\n\nThe provider's API key was rejected (Invalid or missing API key). Check that api_key or %s "+
				"holds the complete management key, copied without extra whitespace; that the key has not been "+
				"revoked and has not expired. The provider sends it as \"Authorization: Bearer <key>\": do not "+
				"include the word Bearer yourself.", server, EnvAPIKey))
	case http.StatusForbidden:
		diags.AddAttributeError(path.Root("api_key"), summary, fmt.Sprintf(
			"%s\n\nManaging API keys needs a management key (created by an organisation owner). The provider's "+
				"api_key is an access key, which may only list and invoke the MCPs it was granted. Configure "+
				"a management key in api_key or %s.", server, EnvAPIKey))
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
