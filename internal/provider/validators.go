package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// stringCheck adapts a "what is wrong with this value" function to a
// schema validator, so plan-time checks and Configure share one rule.
type stringCheck struct {
	description string
	check       func(string) string
}

func (v stringCheck) Description(_ context.Context) string         { return v.description }
func (v stringCheck) MarkdownDescription(_ context.Context) string { return v.description }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := v.check(req.ConfigValue.ValueString()); problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Attribute Value",
			fmt.Sprintf("%s %s.", req.Path, problem))
	}
}

// apiKeyFormat rejects a provider key that cannot possibly work, before any
// request is made. The value is never echoed: it is a secret.
func apiKeyFormat() validator.String {
	return stringCheck{
		description: "must be a complete pk_live_… or pk_test_… key without whitespace",
		check: func(s string) string {
			if problem := checkAPIKeyFormat(s); problem != "" {
				return problem + ". Copy the complete management key from the PlexMCP dashboard, or set " + EnvAPIKey
			}
			return ""
		},
	}
}

// keyID rejects, without echoing it, a value that is not a key id: above
// all a secret pasted where the id belongs.
func keyID() validator.String {
	return stringCheck{description: "must be a key id, key_…", check: checkKeyID}
}

// checkKeyID returns what is wrong with a key id, or "". Only the shapes
// that are certainly wrong are refused; the contract makes ids opaque.
func checkKeyID(s string) string {
	switch {
	case strings.HasPrefix(s, "pk_live_"), strings.HasPrefix(s, "pk_test_"):
		return "looks like a secret key (pk_live_… or pk_test_…), not a key id. Use the key's id, key_…, as the " +
			"PlexMCP dashboard and the plexmcp_api_keys data source show it; and since the secret has just been " +
			"written down, consider rotating that key"
	case strings.HasPrefix(s, pendingIDPrefix):
		return "is the placeholder of an unfinished create, not a key id. Use the key's id, key_…"
	case strings.TrimSpace(s) == "":
		return "is empty. Use the key's id, key_…"
	}
	return ""
}

func baseURLFormat() validator.String {
	return stringCheck{description: "must be an absolute http(s) URL", check: checkBaseURL}
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
