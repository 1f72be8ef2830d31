package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// FuzzAPIKeyFormat checks that the api_key validator (plan time) and the
// client the provider configures (apply time) agree on every key, since
// both use plexmcp.CheckAPIKey; a key the validator lets through must not
// fail later with a vaguer message. The problem is shown to the user and so
// must never quote the key.
func FuzzAPIKeyFormat(f *testing.F) {
	valid := "pmcp_01" + strings.Repeat("0123456789abcdef", 5)
	for _, seed := range []string{
		valid, valid[:86], valid + "0", valid[:7] + strings.ToUpper(valid[7:]),
		"pmcp_02anything", "pmcp_", "pk_live_0123456789abcdefghijABCDEFGHIJ0a1B2c", "pk_test_x", "pk_live_",
		"", " " + valid, valid + "\n", "ApiKey " + valid, "Bearer " + valid, "\"" + valid + "\"",
		"sk_live_abc", "pmcp_01\xff\xfe", "pmcp_01ü",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if key == "" {
			return // No key at all is Configure's error ("Missing PlexMCP API Key"), not a format.
		}
		var resp validator.StringResponse
		apiKeyFormat().ValidateString(context.Background(), validator.StringRequest{
			Path: path.Root("api_key"), ConfigValue: types.StringValue(key),
		}, &resp)
		problem := ""
		for _, d := range resp.Diagnostics {
			problem += d.Detail()
		}
		_, err := plexmcp.New(plexmcp.Config{BaseURL: "https://api.plexmcp.com/v1", APIKey: plexmcp.NewSecret(key)})
		switch {
		case problem == "" && err != nil:
			t.Errorf("the validator accepts a key the client refuses: %v", err)
		case problem != "" && err == nil:
			t.Errorf("the validator refuses a key the client accepts: %s", problem)
		}
		// Anything shorter than a key's public prefix (12 characters) is
		// no secret and may be a word of the message.
		if len(key) >= 12 && strings.Contains(problem, key) {
			t.Errorf("the problem quotes the key")
		}
	})
}
