package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// stringCheck adapts a "what is wrong with this value" function to a
// schema validator, so plan-time checks and the code behind them share one
// rule.
type stringCheck struct {
	description string
	check       func(string) string
	// mayHoldSecret marks an attribute whose refused value may be a secret
	// (a key, or credentials in a URL). Terraform prints the configuration
	// line of an error that names an attribute, literal value and all, so
	// such an error names the attribute in its words only and belongs to
	// the block.
	mayHoldSecret bool
}

func (v stringCheck) Description(_ context.Context) string         { return v.description }
func (v stringCheck) MarkdownDescription(_ context.Context) string { return v.description }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	problem := v.check(req.ConfigValue.ValueString())
	switch {
	case problem == "":
	case v.mayHoldSecret:
		resp.Diagnostics.AddError("Invalid Attribute Value", fmt.Sprintf("%s %s.", req.Path, problem))
	default:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Attribute Value", fmt.Sprintf("%s %s.", req.Path, problem))
	}
}

// configProblem is the client's words for a setting it refuses, or "".
func configProblem(err error) string {
	var cfgErr *plexmcp.ConfigError
	if errors.As(err, &cfgErr) {
		return cfgErr.Problem
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// apiKeyFormat rejects a provider key that cannot possibly work, before any
// request is made, with the client's one offline check. Which API the key
// is for is not known yet at this point, so keys of either API pass. The
// value is never echoed: it is a secret.
func apiKeyFormat() validator.String {
	return stringCheck{
		description:   "must be a complete PlexMCP API key (pmcp_…) without whitespace",
		mayHoldSecret: true,
		check: func(s string) string {
			if problem := configProblem(plexmcp.CheckAPIKey(s, "")); problem != "" {
				return problem + ". Copy the complete key from the PlexMCP dashboard, or set " + EnvAPIKey
			}
			return ""
		},
	}
}

// keyID rejects, without echoing it, a value that is not a key id: above
// all a secret pasted where the id belongs.
func keyID() validator.String {
	return stringCheck{description: "must be a key id", check: checkKeyID, mayHoldSecret: true}
}

// checkKeyID returns what is wrong with a key id, or "". Only the shapes
// that are certainly wrong are refused; ids are opaque (key_… on the
// hosted API, UUIDs on a PlexMCP server).
func checkKeyID(s string) string {
	switch {
	case plexmcp.LooksLikeKey(s):
		return "looks like a secret key, not a key id. Use the key's id, as the PlexMCP dashboard and the " +
			"plexmcp_api_keys data source show it; and since the secret has just been written down, consider " +
			"rotating that key"
	case strings.HasPrefix(s, pendingIDPrefix):
		return "is the placeholder of an unfinished create, not a key id. Use the key's id"
	case strings.TrimSpace(s) == "":
		return "is empty. Use the key's id"
	}
	return ""
}

// mcpID rejects, without echoing it, a secret key pasted where an MCP id
// belongs: the id would be sent to PlexMCP and quoted back in errors.
func mcpID() validator.String {
	return stringCheck{description: "must be an MCP id", check: checkMCPID, mayHoldSecret: true}
}

// checkMCPID returns what is wrong with an MCP id, or "". MCP ids are
// opaque (mcp_… on the hosted API, UUIDs on a PlexMCP server): only a key
// is certainly wrong.
func checkMCPID(s string) string {
	if plexmcp.LooksLikeKey(s) {
		return "looks like a secret API key, not an MCP id. Use the MCP's id, as the plexmcp_mcp and " +
			"plexmcp_mcps data sources show it; and since the secret has just been written down, consider " +
			"rotating that key"
	}
	return ""
}

// mcpIDsHoldNoKey is mcpID for a set of ids. Its error names the set, never
// the element: an element's path is its value, which here is a secret.
type mcpIDsHoldNoKey struct{}

func (mcpIDsHoldNoKey) Description(context.Context) string {
	return "must hold MCP ids, not secret keys"
}
func (v mcpIDsHoldNoKey) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (mcpIDsHoldNoKey) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for _, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		if problem := checkMCPID(s.ValueString()); problem != "" {
			resp.Diagnostics.AddError("Invalid Attribute Value", fmt.Sprintf("An element of %s %s.", req.Path, problem))
			return
		}
	}
}

// baseURLFormat refuses a base_url that is no URL the provider can use,
// with the client's rule. Which API it serves is decided later, with api.
func baseURLFormat() validator.String {
	return stringCheck{
		description:   "must be an absolute http(s) URL without credentials, query or fragment",
		mayHoldSecret: true,
		check: func(s string) string {
			_, err := plexmcp.ResolveEndpoint(s, plexmcp.APIHosted)
			var cfgErr *plexmcp.ConfigError
			if errors.As(err, &cfgErr) && cfgErr.Setting == "base_url" {
				return cfgErr.Problem
			}
			return ""
		},
	}
}

func durationFormat() validator.String {
	return stringCheck{
		description: "must be a positive Go duration such as 30s or 2m",
		check: func(s string) string {
			if d, err := time.ParseDuration(s); err != nil || d <= 0 {
				return fmt.Sprintf("must be a positive duration such as \"30s\" or \"2m\", got %q", s)
			}
			return ""
		},
	}
}

// durationBetween keeps a duration within bounds, at plan time, naming
// the bounds the way a user writes them.
func durationBetween(lowest, highest time.Duration) validator.String {
	return stringCheck{
		description: fmt.Sprintf("must be a Go duration between %s and %s", formatDuration(lowest), formatDuration(highest)),
		check: func(s string) string {
			d, err := time.ParseDuration(s)
			switch {
			case err != nil:
				return fmt.Sprintf("must be a Go duration such as \"30s\" or \"2h\", got %q", s)
			case d < lowest || d > highest:
				return fmt.Sprintf("must be between %s and %s, got %q", formatDuration(lowest), formatDuration(highest), s)
			}
			return ""
		},
	}
}

// formatDuration spells a duration the way a user writes it: 1h, not
// 1h0m0s.
func formatDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
