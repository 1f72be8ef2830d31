package provider

import (
	"context"
	"fmt"
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
