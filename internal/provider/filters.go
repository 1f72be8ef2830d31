package provider

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// The filters of the lists: plexmcp_mcps, plexmcp_api_keys and the
// plexmcp_api_key list resource (terraform query). The name filter is an RE2
// expression, checked at plan time and applied by the provider, because
// PlexMCP filters by exact name at most. The objects build their attributes
// from different schema packages; the rules and words are shared here.

// nameRegexDescription describes the name filter of a list of objects.
func nameRegexDescription(objects string) string {
	return fmt.Sprintf("Keep only %[1]s whose name matches this [RE2 regular expression]"+
		"(https://github.com/google/re2/wiki/Syntax). The match is unanchored: `ci` matches `ci-production` "+
		"and `legacy-ci`; write `^ci-` for a prefix, and `(?i)` in front to ignore case. Leave unset for "+
		"all %[1]s.", objects)
}

// nameRegexAttribute is the optional name filter of the list data sources.
// The expression is compiled at plan time, so a typo fails before any
// request is made.
func nameRegexAttribute(objects string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: nameRegexDescription(objects),
		Optional:            true,
		Validators:          []validator.String{regexFormat()},
	}
}

// keyStatusDescription describes the status filter of the key lists.
const keyStatusDescription = "Keep only keys with this status: `active`, `expired` or `revoked`. Filtered by " +
	"PlexMCP. Leave unset for all keys."

// keyStatusValidators are the rules of the key lists' status filter.
func keyStatusValidators() []validator.String {
	return []validator.String{
		stringvalidator.OneOf(plexmcp.StatusActive, plexmcp.StatusExpired, plexmcp.StatusRevoked),
	}
}

// regexFormat rejects a name_regex that does not compile. Without it a bad
// expression would only surface when the data source is read, after any
// resources planned before it.
func regexFormat() validator.String {
	return stringCheck{
		description: "must be a valid RE2 regular expression",
		check: func(s string) string {
			if _, err := regexp.Compile(s); err != nil {
				return fmt.Sprintf("must be a valid RE2 regular expression (https://github.com/google/re2/wiki/Syntax), "+
					"but %s. Fix the expression; in HCL a backslash is written twice, as in \"^ci\\\\.\"", err)
			}
			return ""
		},
	}
}

// compileNameRegex returns the configured name filter, or nil when there is
// none. The plan-time validator has already rejected a bad expression; this
// catches one that was unknown then.
func compileNameRegex(v types.String, diags *diag.Diagnostics) *regexp.Regexp {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	re, err := regexp.Compile(v.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("name_regex"), "Invalid Name Regular Expression",
			fmt.Sprintf("name_regex %q is not a valid RE2 regular expression: %s. Fix the expression and apply again.",
				v.ValueString(), err))
		return nil
	}
	return re
}

// keysNotListedExplanation says why what needs a list of keys cannot have
// one on a PlexMCP server.
func keysNotListedExplanation(what string) string {
	return "A self-hosted PlexMCP server lists no keys to an API-key caller: its key list is empty for every API " +
		"key, whatever the organisation holds, so " + what + " would find nothing and be wrong. (An owner or admin " +
		"sees every key on the server's API Keys page.)"
}
