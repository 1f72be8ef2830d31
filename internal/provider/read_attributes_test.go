package provider

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestReadAttributes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var rs resource.SchemaResponse
	(&apiKeyResource{}).Schema(ctx, resource.SchemaRequest{}, &rs)
	state := tfsdk.State{Schema: rs.Schema}
	raw := map[string]tftypes.Value{}
	for name, a := range rs.Schema.Attributes {
		raw[name] = tftypes.NewValue(a.GetType().TerraformType(ctx), nil)
	}
	for name, b := range rs.Schema.Blocks {
		raw[name] = tftypes.NewValue(b.Type().TerraformType(ctx), nil)
	}
	raw["id"] = tftypes.NewValue(tftypes.String, "key_1")
	raw["key_prefix"] = tftypes.NewValue(tftypes.String, "pmcp_01a2b3c")
	raw["status"] = tftypes.NewValue(tftypes.String, "active")
	raw["expires_in_days"] = tftypes.NewValue(tftypes.Number, 90)
	state.Raw = tftypes.NewValue(rs.Schema.Type().TerraformType(ctx), raw)

	var got apiKeyPrior
	if diags := readAttributes(ctx, state, &got); diags.HasError() {
		t.Fatalf("readAttributes: %v", diags)
	}
	want := apiKeyPrior{
		ID:            types.StringValue("key_1"),
		KeyPrefix:     types.StringValue("pmcp_01a2b3c"),
		Status:        types.StringValue("active"),
		AllMCPs:       types.BoolNull(),
		MCPIDs:        types.SetNull(types.StringType),
		ExpiresAt:     got.ExpiresAt, // null, compared below
		ExpiresInDays: types.Int64Value(90),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readAttributes (-want +got):\n%s", diff)
	}
	if !got.ExpiresAt.IsNull() {
		t.Errorf("expires_at = %v, want null", got.ExpiresAt)
	}

	// A struct field without a tag would be read from nowhere: refuse it
	// loudly rather than leave it null.
	defer func() {
		if recover() == nil {
			t.Error("readAttributes accepted a field without a tfsdk tag")
		}
	}()
	var untagged struct{ ID types.String }
	readAttributes(ctx, state, &untagged)
}
