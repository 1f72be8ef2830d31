package provider

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// fieldPaths maps the fields that PlexMCP's validation errors name to the
// attributes a user writes, so Terraform can point at the offending line.
var fieldPaths = map[string]path.Path{
	"name":            path.Root("name"),
	"description":     path.Root("description"),
	"permissions":     path.Root("mcp_ids"),
	"expires_at":      path.Root("expires_at"),
	"expires_in_days": path.Root("expires_in_days"),
	"rate_limit_rpm":  path.Root("rate_limit_rpm"),
}

// addAPIError turns a client error into a diagnostic a person can act on:
// what failed, why, what to do, and the server's own code and message.
func addAPIError(diags *diag.Diagnostics, summary string, err error) {
	var (
		apiErr         *plexmcp.APIError
		uncertain      *plexmcp.CreateUncertainError
		unsupported    *plexmcp.UnsupportedError
		configErr      *plexmcp.ConfigError
		rpcErr         *plexmcp.RPCError
		unknownMCPs    *plexmcp.UnknownMCPsError
		partial        *plexmcp.PartialUpdateError
		unwrappedAsAPI = errors.As(err, &apiErr)
	)
	switch {
	case errors.As(err, &uncertain):
		// The client's words say what may exist and how to find it.
		diags.AddError(summary, uncertain.Error()+".")
		return
	case errors.As(err, &unknownMCPs):
		diags.AddAttributeError(path.Root("mcp_ids"), summary, fmt.Sprintf("The organisation has no MCP with the "+
			"id %s, so the key could never reach it (a PlexMCP server would accept the id without a word). Use the "+
			"ids of the plexmcp_mcp or plexmcp_mcps data source; nothing was created or changed.",
			strings.Join(unknownMCPs.IDs, ", ")))
		return
	case errors.As(err, &unsupported):
		diags.AddError(summary, fmt.Sprintf("%s. This is a limit of the PlexMCP API the provider talks to, "+
			"not of the provider.", unsupported.Error()))
		return
	case errors.As(err, &configErr):
		diags.AddError(summary, fmt.Sprintf("%s.", configErr.Error()))
		return
	case errors.As(err, &rpcErr):
		diags.AddError(summary, fmt.Sprintf("PlexMCP's MCP proxy answered JSON-RPC error %d: %q.", rpcErr.Code, rpcErr.Message))
		return
	case !unwrappedAsAPI:
		diags.AddError(summary, fmt.Sprintf("The request to the PlexMCP API failed: %s.\n\n"+
			"Check that base_url (or %s) is reachable from here; requests that fail this way are "+
			"retried up to max_retries times before Terraform gives up.", err, EnvBaseURL))
		return
	}
	server := fmt.Sprintf("PlexMCP answered HTTP %d", apiErr.StatusCode)
	if apiErr.Code != "" {
		server += " " + apiErr.Code
	}
	if apiErr.Message != "" {
		server += fmt.Sprintf(": %q", apiErr.Message)
	}
	server += "."
	// A refused request changed nothing, unless a PlexMCP server had
	// already committed part of an update, field by field: then every
	// message says so instead.
	unchanged := " Nothing was created or changed."
	if errors.As(err, &partial) {
		unchanged = ""
		if partial.Current != nil {
			server += "\n\nPlexMCP applied part of the change before it refused the rest; the state now holds the key " +
				"as PlexMCP reports it, and the next plan shows what is left to change."
		} else {
			server += "\n\nPlexMCP may have applied part of the change before it refused the rest; the next refresh " +
				"reads the key as PlexMCP now holds it."
		}
	}
	switch {
	case apiErr.StatusCode == http.StatusUnauthorized:
		// The provider's own key is at fault, not this object's
		// configuration: no attribute of this block to point at.
		diags.AddError(summary, fmt.Sprintf(
			"%s\n\nPlexMCP rejected the provider's API key (Invalid or missing API key). Check that api_key in "+
				"the provider block, or %s, holds the complete key, copied without extra whitespace, and that the key "+
				"has not been revoked and has not expired. The provider sends it as \"Authorization: ApiKey <key>\" "+
				"itself: give the key alone.", server, EnvAPIKey))
	case plexmcp.IsOnlyActiveKey(err):
		diags.AddError(summary, fmt.Sprintf("%s\n\nPlexMCP never revokes an organisation's only active key, and "+
			"this one is it: most likely the provider's own key (api_key or %s) is managed by this "+
			"configuration. Nothing was revoked and the key stays in state. Give the provider another key of the "+
			"organisation first, or remove this key from the configuration with a removed block (or terraform "+
			"state rm) to stop managing it without revoking it.", server, EnvAPIKey))
	case plexmcp.IsQuotaExceeded(err):
		diags.AddError(summary, fmt.Sprintf("%s\n\nThe organisation has reached its plan's limit of API keys, so "+
			"PlexMCP made no new key. Revoke keys that are no longer used (the plexmcp_api_keys data source shows "+
			"which were never or long not used), or raise the limit with PlexMCP, then apply again.", server))
	case apiErr.StatusCode == http.StatusForbidden:
		diags.AddError(summary, fmt.Sprintf(
			"%s\n\nPlexMCP refused this operation to the provider's API key. Check that api_key or %s belongs to "+
				"the organisation whose keys this configuration manages.", server, EnvAPIKey))
	case plexmcp.IsValidation(err):
		added := false
		fields := make([]string, 0, len(apiErr.Details))
		for field := range apiErr.Details {
			fields = append(fields, field)
		}
		sort.Strings(fields)
		for _, field := range fields {
			if p, ok := fieldPaths[field]; ok {
				diags.AddAttributeError(p, summary, fmt.Sprintf("%s\n\nPlexMCP refused %s: %s. Fix it and apply again.%s",
					server, field, apiErr.Details[field], unchanged))
				added = true
			}
		}
		if !added {
			diags.AddError(summary, server+"\n\nFix the configuration and apply again."+unchanged)
		}
	case apiErr.StatusCode == http.StatusTooManyRequests || apiErr.StatusCode >= 500:
		diags.AddError(summary, fmt.Sprintf("%s\n\nThe request was retried %d time(s) with backoff and still "+
			"failed. Apply again later, or raise max_retries in the provider block.", server, max(apiErr.Attempts-1, 0)))
	default:
		diags.AddError(summary, server)
	}
}

// keyNotFoundWarning explains a managed key that a refresh found gone. A
// key deleted in the dashboard answers 404, but so does every key of
// another organisation: a provider pointed at the wrong organisation would
// otherwise drop every key from state without a word while they stay live.
func keyNotFoundWarning(id, prefix string) string {
	return fmt.Sprintf("PlexMCP has no API key %s (prefix %s) in the organisation of the provider's api_key, so "+
		"it was removed from state and the plan creates it again.\n\n"+
		"If it was deleted on purpose, nothing else is needed. If api_key (or %s, or base_url) was changed to a "+
		"key of another organisation or another PlexMCP server, the key may still be live where it was made: "+
		"restore the setting before you apply, or revoke the key there.", id, prefix, EnvAPIKey)
}
