package provider

import (
	"context"
	"sort"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// The inputs that both plexmcp_api_key objects take (the resource and the
// ephemeral resource) keep their rules and their words here, once. The two
// objects build their attributes from different schema packages, so what is
// shared is what matters: the validators and the descriptions.

// Limits on a key's name and description, in characters (Unicode code
// points), as PlexMCP counts them.
const (
	maxNameLength        = 100
	maxDescriptionLength = 500
)

const (
	nameDescription = "A name that says who uses the key, 1 to 100 characters without leading or trailing " +
		"spaces, for example `ci-production`."
	descriptionDescription = "Notes on the key's use, up to 500 characters. Defaults to empty."
	allMCPsDescription     = "Set to `true` to let the key invoke every MCP of the organisation, including " +
		"MCPs added later. Exactly one of `all_mcps` and `mcp_ids` must be set, and `all_mcps` only to `true` " +
		"(leave it unset to use `mcp_ids`)."
	mcpIDsDescription = "The ids of the MCPs the key may invoke, for example from the `plexmcp_mcp` or " +
		"`plexmcp_mcps` data source. At least one. Exactly one of `all_mcps` and `mcp_ids` must be set."
)

// nameValidators are the rules for a key's name wherever it is configured.
func nameValidators() []validator.String {
	return []validator.String{
		stringvalidator.UTF8LengthBetween(1, maxNameLength),
		stringCheck{description: "must not start or end with whitespace", check: checkTrimmed},
	}
}

// descriptionValidators are the rules for a key's description.
func descriptionValidators() []validator.String {
	return []validator.String{stringvalidator.UTF8LengthAtMost(maxDescriptionLength)}
}

// mcpIDsValidators are the rules for the MCPs a key may invoke.
func mcpIDsValidators() []validator.Set {
	return []validator.Set{
		setvalidator.SizeAtLeast(1),
		setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1)),
		mcpIDsHoldNoKey{},
	}
}

// checkTrimmed refuses a name that starts or ends with white space:
// PlexMCP stores names trimmed (of Unicode white space), and a stored name
// that differs from the configuration would show as a change on every plan.
func checkTrimmed(s string) string {
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if s != "" && (unicode.IsSpace(first) || unicode.IsSpace(last)) {
		return "must not start or end with whitespace; PlexMCP trims names, and the trimmed name would differ " +
			"from the configuration"
	}
	return ""
}

// validatePermissionsConfig enforces "all_mcps = true, or a non-empty
// mcp_ids", which the resource and the ephemeral resource share.
func validatePermissionsConfig(allMCPs types.Bool, mcpIDs types.Set, diags *diag.Diagnostics) {
	if allMCPs.IsUnknown() || mcpIDs.IsUnknown() {
		return
	}
	switch {
	case !allMCPs.IsNull() && !allMCPs.ValueBool():
		diags.AddAttributeError(path.Root("all_mcps"), "Invalid all_mcps Value",
			"all_mcps = false does not choose any MCPs. Set all_mcps = true to reach every MCP of the "+
				"organisation, or remove all_mcps and list the MCPs in mcp_ids.")
	case allMCPs.IsNull() && mcpIDs.IsNull():
		diags.AddAttributeError(path.Root("mcp_ids"), "Missing MCP Permissions",
			"Choose which MCPs the key may invoke: set all_mcps = true, or list their ids in mcp_ids "+
				"(for example data.plexmcp_mcp.weather.id).")
	case !allMCPs.IsNull() && !mcpIDs.IsNull():
		diags.AddAttributeError(path.Root("mcp_ids"), "Conflicting MCP Permissions",
			"Set either all_mcps = true or mcp_ids, not both. Remove mcp_ids to reach every MCP, or remove "+
				"all_mcps to reach only the listed ones.")
	}
}

// computedTimestamp is a read-only RFC 3339 attribute of a data source.
func computedTimestamp(description string) schema.StringAttribute {
	return schema.StringAttribute{CustomType: timetypes.RFC3339Type{}, MarkdownDescription: description, Computed: true}
}

// The per-key rate limit of a PlexMCP server: 1 to 10000 requests a minute
// through its MCP proxy, 60 unless said otherwise.
const (
	defaultRateLimitRPM = 60
	maxRateLimitRPM     = 10000
)

const rateLimitDescription = "How many requests a minute the key may make through a PlexMCP server's MCP proxy, " +
	"1 to 10000; the server's default is 60. A self-hosted PlexMCP server only: PlexMCP's hosted API has no " +
	"per-key limit, so setting it there is refused at plan time."

// rateLimitValidators are the rules for rate_limit_rpm.
func rateLimitValidators() []validator.Int64 {
	return []validator.Int64{int64validator.Between(1, maxRateLimitRPM)}
}

// permissionsFromModel turns all_mcps and mcp_ids into the client's
// permissions.
func permissionsFromModel(ctx context.Context, allMCPs types.Bool, mcpIDs types.Set, out *plexmcp.Permissions) diag.Diagnostics {
	if allMCPs.ValueBool() {
		*out = plexmcp.Permissions{AllMCPs: true}
		return nil
	}
	var ids []string
	d := mcpIDs.ElementsAs(ctx, &ids, false)
	// A set has no order; sorting makes the request body reproducible.
	sort.Strings(ids)
	*out = plexmcp.Permissions{MCPIDs: ids}
	return d
}

// permissionsToModel is the reverse: all_mcps true and mcp_ids null for a
// key that reaches every MCP, else all_mcps null and the ids.
func permissionsToModel(ctx context.Context, p plexmcp.Permissions) (types.Bool, types.Set, diag.Diagnostics) {
	if p.AllMCPs {
		return types.BoolValue(true), types.SetNull(types.StringType), nil
	}
	ids, diags := types.SetValueFrom(ctx, types.StringType, p.MCPIDs)
	return types.BoolNull(), ids, diags
}
