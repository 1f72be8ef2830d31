package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	ephemeralschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	resourceschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The resource and the ephemeral resource take the same inputs; a value one
// accepts, the other must accept too, and both must refuse the same ones.
func TestKeyInputsValidateAlike(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var rs resource.SchemaResponse
	(&apiKeyResource{}).Schema(ctx, resource.SchemaRequest{}, &rs)
	var es ephemeral.SchemaResponse
	(&apiKeyEphemeralResource{}).Schema(ctx, ephemeral.SchemaRequest{}, &es)

	stringValidators := func(name string) (res, eph []validator.String) {
		ra, ok := rs.Schema.Attributes[name].(resourceschema.StringAttribute)
		ea, ok2 := es.Schema.Attributes[name].(ephemeralschema.StringAttribute)
		if !ok || !ok2 {
			t.Fatalf("%s is not a string attribute of both objects", name)
		}
		return ra.Validators, ea.Validators
	}
	setValidators := func(name string) (res, eph []validator.Set) {
		ra, ok := rs.Schema.Attributes[name].(resourceschema.SetAttribute)
		ea, ok2 := es.Schema.Attributes[name].(ephemeralschema.SetAttribute)
		if !ok || !ok2 {
			t.Fatalf("%s is not a set attribute of both objects", name)
		}
		return ra.Validators, ea.Validators
	}
	stringErrors := func(vs []validator.String, name, value string) bool {
		var failed bool
		for _, v := range vs {
			var resp validator.StringResponse
			v.ValidateString(ctx, validator.StringRequest{Path: path.Root(name), ConfigValue: types.StringValue(value)}, &resp)
			failed = failed || resp.Diagnostics.HasError()
		}
		return failed
	}

	strCases := []struct {
		attr, name, value string
		wantErr           bool
	}{
		{"name", "ascii", "ci-production", false},
		{"name", "100 ASCII characters", strings.Repeat("a", 100), false},
		{"name", "101 ASCII characters", strings.Repeat("a", 101), true},
		{"name", "60 two-byte characters (120 bytes)", strings.Repeat("é", 60), false},
		{"name", "100 three-byte characters", strings.Repeat("鍵", 100), false},
		{"name", "101 three-byte characters", strings.Repeat("鍵", 101), true},
		{"name", "empty", "", true},
		{"name", "leading space", " ci", true},
		{"name", "trailing newline", "ci\n", true},
		{"name", "trailing no-break space", "ci\u00a0", true},
		{"name", "inner space", "ci production", false},
		{"description", "empty", "", false},
		{"description", "500 two-byte characters", strings.Repeat("ü", 500), false},
		{"description", "501 characters", strings.Repeat("ü", 501), true},
	}
	for _, tc := range strCases {
		res, eph := stringValidators(tc.attr)
		gotRes, gotEph := stringErrors(res, tc.attr, tc.value), stringErrors(eph, tc.attr, tc.value)
		if gotRes != tc.wantErr || gotEph != tc.wantErr {
			t.Errorf("%s %s: resource refuses = %v, ephemeral refuses = %v, want %v", tc.attr, tc.name, gotRes, gotEph, tc.wantErr)
		}
	}

	setCases := []struct {
		name    string
		ids     []string
		wantErr bool
	}{
		{"one id", []string{"mcp_weather"}, false},
		{"empty set", []string{}, true},
		{"an empty id", []string{""}, true},
	}
	for _, tc := range setCases {
		res, eph := setValidators("mcp_ids")
		elems := make([]attr.Value, 0, len(tc.ids))
		for _, id := range tc.ids {
			elems = append(elems, types.StringValue(id))
		}
		value := types.SetValueMust(types.StringType, elems)
		var got []bool
		for _, vs := range [][]validator.Set{res, eph} {
			var failed bool
			for _, v := range vs {
				var resp validator.SetResponse
				v.ValidateSet(ctx, validator.SetRequest{Path: path.Root("mcp_ids"), ConfigValue: value}, &resp)
				failed = failed || resp.Diagnostics.HasError()
			}
			got = append(got, failed)
		}
		if diff := cmp.Diff([]bool{tc.wantErr, tc.wantErr}, got); diff != "" {
			t.Errorf("mcp_ids %s: refusals (resource, ephemeral) differ from want (-want +got):\n%s", tc.name, diff)
		}
	}
}
