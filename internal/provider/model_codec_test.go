package provider

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// The model codec stands in for the framework's Get and Set on the hot
// paths; it must read and write exactly what they do, value for value,
// nulls and unknowns included.
func TestModelCodecMatchesTheFramework(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var rs resource.SchemaResponse
	(&apiKeyResource{}).Schema(ctx, resource.SchemaRequest{}, &rs)

	full := func() apiKeyResourceModel {
		m, _ := newAPIKeyResourceModel(ctx, &plexmcp.APIKey{
			ID: "key_0", Name: "imported", KeyPrefix: "pmcp_0100000", Permissions: plexmcp.Permissions{AllMCPs: true},
			Status: plexmcp.StatusActive, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		})
		return m
	}
	models := map[string]apiKeyResourceModel{
		"an imported key": full(),
		"a created key with everything set": func() apiKeyResourceModel {
			m := full()
			m.ID, m.Name, m.Description = types.StringValue("key_1"), types.StringValue("ci"), types.StringValue("é and ü")
			m.AllMCPs = types.BoolNull()
			m.MCPIDs = types.SetValueMust(types.StringType, []attr.Value{types.StringValue("mcp_a"), types.StringValue("mcp_b")})
			m.ExpiresAt = timetypes.NewRFC3339TimeValue(time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC))
			m.ExpiresInDays, m.RotateBeforeDays, m.RateLimitRPM = types.Int64Value(90), types.Int64Value(14), types.Int64Value(60)
			m.RotationTriggers = types.MapValueMust(types.StringType, map[string]attr.Value{"v": types.StringValue("2")})
			m.Key, m.KeyPrefix, m.Status = types.StringValue("pmcp_01secret"), types.StringValue("pmcp_01a1b2c"), types.StringValue("active")
			m.CreatedAt = timetypes.NewRFC3339ValueMust("2026-12-01T00:00:00Z")
			return m
		}(),
		"unknowns, as in a plan": func() apiKeyResourceModel {
			m := full()
			m.ID, m.Name = types.StringUnknown(), types.StringValue("x")
			m.AllMCPs, m.MCPIDs = types.BoolValue(true), types.SetNull(types.StringType)
			m.ExpiresAt, m.Key, m.Status = timetypes.NewRFC3339Unknown(), types.StringUnknown(), types.StringUnknown()
			m.RateLimitRPM = types.Int64Unknown()
			return m
		}(),
	}
	for name, m := range models {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Written both ways, the raw values are the same.
			byFramework := tfsdk.State{Schema: rs.Schema, Raw: tftypes.NewValue(rs.Schema.Type().TerraformType(ctx), nil)}
			if d := byFramework.Set(ctx, &m); d.HasError() {
				t.Fatalf("State.Set: %v", d)
			}
			byCodec := tfsdk.State{Schema: rs.Schema, Raw: byFramework.Raw.Copy()}
			if d := setState(ctx, &byCodec, &m); d.HasError() {
				t.Fatalf("setState: %v", d)
			}
			if !byCodec.Raw.Equal(byFramework.Raw) {
				diffs, _ := byCodec.Raw.Diff(byFramework.Raw)
				t.Errorf("setState wrote another value than State.Set: %v", diffs)
			}
			// Read back both ways, the models are the same.
			var viaFramework, viaCodec apiKeyResourceModel
			if d := byFramework.Get(ctx, &viaFramework); d.HasError() {
				t.Fatalf("State.Get: %v", d)
			}
			if d := getModel(ctx, byFramework, &viaCodec); d.HasError() {
				t.Fatalf("getModel: %v", d)
			}
			if !sameModel(viaCodec, viaFramework) || !sameModel(viaCodec, m) {
				t.Errorf("getModel read another model than State.Get:\n%s", cmp.Diff(viaFramework, viaCodec, cmp.Comparer(func(a, b attr.Value) bool { return a.Equal(b) })))
			}
		})
	}
}

// An invalid value is refused by the codec as by the framework: the
// timestamp type's own validation runs.
func TestModelCodecValidates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var rs resource.SchemaResponse
	(&apiKeyResource{}).Schema(ctx, resource.SchemaRequest{}, &rs)
	m, _ := newAPIKeyResourceModel(ctx, &plexmcp.APIKey{ID: "key_0", Name: "x", CreatedAt: time.Now()})
	m.CreatedAt = timetypes.NewRFC3339ValueMust("2026-12-01T00:00:00Z")
	state := tfsdk.State{Schema: rs.Schema, Raw: tftypes.NewValue(rs.Schema.Type().TerraformType(ctx), nil)}
	if d := state.Set(ctx, &m); d.HasError() {
		t.Fatal(d)
	}
	var attrs map[string]tftypes.Value
	if err := state.Raw.As(&attrs); err != nil {
		t.Fatal(err)
	}
	attrs["created_at"] = tftypes.NewValue(tftypes.String, "yesterday")
	state.Raw = tftypes.NewValue(state.Raw.Type(), attrs)
	var viaFramework, viaCodec apiKeyResourceModel
	fd, cd := state.Get(ctx, &viaFramework), getModel(ctx, state, &viaCodec)
	if !fd.HasError() || !cd.HasError() {
		t.Errorf("an invalid timestamp: framework errors %v, codec errors %v; want both", fd.HasError(), cd.HasError())
	}
}
