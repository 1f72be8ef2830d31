package provider

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Reading and writing models on the hot paths of plexmcp_api_key.
//
// terraform-plugin-framework's Get and Set reflect over the whole model on
// every call and compile a regular expression for each of its fields
// (internal/reflect.isValidFieldName), and GetAttribute and SetAttribute
// walk the schema by path and copy the SDK logger's options once per
// attribute. In make bench's 300-key plan (one Read per key) State.Get and
// State.Set took three quarters of Read's CPU, and the provider used 35 to
// 40% more CPU than a framework provider that does no work at all.
//
// The functions here do the same conversions, with the same attribute
// types and the same validation, straight on the Raw value: they take each
// attribute's type from the schema once per model type, and fall back to
// the framework's own methods whenever the value is not a known object of
// that schema. A model read or written here is exactly what Get or Set
// would have read or written.

// modelSource is tfsdk.Config, tfsdk.Plan or tfsdk.State, whose Get
// decodes a whole model.
type modelSource interface {
	Get(ctx context.Context, target any) diag.Diagnostics
}

// getModel is src.Get(ctx, dst) for a model with a field for every
// attribute of the schema.
func getModel[T any](ctx context.Context, src modelSource, dst *T) diag.Diagnostics {
	v := reflect.ValueOf(dst).Elem()
	if raw, schema, ok := rawOf(src); ok {
		if c := codecFor(ctx, v.Type(), schema); c != nil && c.complete {
			if diags, ok := c.decode(ctx, raw, v); ok {
				return diags
			}
		}
	}
	return src.Get(ctx, dst)
}

// setState is dst.Set(ctx, src) for a model with a field for every
// attribute of the schema.
func setState[T any](ctx context.Context, dst *tfsdk.State, src *T) diag.Diagnostics {
	raw, diags, ok := encodeModel(ctx, dst.Raw, dst.Schema, src)
	if !ok {
		return dst.Set(ctx, src)
	}
	if !diags.HasError() {
		dst.Raw = raw
	}
	return diags
}

// sameModel reports whether every tagged field of a equals b's (as
// attr.Value.Equal compares them), so that writing b where a was read
// would change nothing.
func sameModel[T any](a, b T) bool {
	va, vb := reflect.ValueOf(&a).Elem(), reflect.ValueOf(&b).Elem()
	for i := range attributeNames(va.Type()) {
		x, ok := va.Field(i).Interface().(attr.Value)
		if !ok || !x.Equal(vb.Field(i).Interface().(attr.Value)) { //nolint:forcetypeassert // same type as x
			return false
		}
	}
	return true
}

// setIdentityModel is dst.Set(ctx, src) for a resource identity.
func setIdentityModel[T any](ctx context.Context, dst *tfsdk.ResourceIdentity, src *T) diag.Diagnostics {
	raw, diags, ok := encodeModel(ctx, dst.Raw, dst.Schema, src)
	if !ok {
		return dst.Set(ctx, src)
	}
	if !diags.HasError() {
		dst.Raw = raw
	}
	return diags
}

// encodeModel encodes *src as a value of current's type, if schema's
// codec for it can; ok is false where the framework must do it instead.
func encodeModel[T any](ctx context.Context, current tftypes.Value, schema schemaTyper, src *T) (tftypes.Value, diag.Diagnostics, bool) {
	v := reflect.ValueOf(src).Elem()
	if schema == nil {
		return tftypes.Value{}, nil, false
	}
	c := codecFor(ctx, v.Type(), schema)
	if c == nil || !c.complete || current.Type() == nil || !current.Type().Equal(c.objType) {
		return tftypes.Value{}, nil, false
	}
	raw, diags := c.encode(ctx, v)
	return raw, diags, true
}

// setPlanAttribute is plan.SetAttribute(ctx, path.Root(name), v) for a
// top-level attribute. Terraform calls ModifyPlan for every key of every
// plan.
func setPlanAttribute(ctx context.Context, plan *tfsdk.Plan, name string, v attr.Value) diag.Diagnostics {
	var attrs map[string]tftypes.Value
	if !plan.Raw.IsKnown() || plan.Raw.IsNull() || plan.Raw.As(&attrs) != nil {
		return plan.SetAttribute(ctx, path.Root(name), v)
	}
	current, ok := attrs[name]
	if !ok || !v.Type(ctx).TerraformType(ctx).Equal(current.Type()) {
		return plan.SetAttribute(ctx, path.Root(name), v) // The framework says what is wrong.
	}
	tfv, err := v.ToTerraformValue(ctx)
	if err != nil {
		return plan.SetAttribute(ctx, path.Root(name), v)
	}
	diags := validateValue(ctx, nil, v, tfv, path.Root(name))
	if diags.HasError() {
		return diags
	}
	attrs[name] = tfv
	plan.Raw = tftypes.NewValue(plan.Raw.Type(), attrs)
	return diags
}

// schemaTyper is what the schema of a Config, Plan, State or
// ResourceIdentity offers.
type schemaTyper interface {
	Type() attr.Type
}

// rawOf returns the Raw value and schema of a Config, Plan or State.
func rawOf(src any) (tftypes.Value, schemaTyper, bool) {
	switch s := src.(type) {
	case tfsdk.Config:
		return s.Raw, s.Schema, s.Schema != nil
	case tfsdk.Plan:
		return s.Raw, s.Schema, s.Schema != nil
	case tfsdk.State:
		return s.Raw, s.Schema, s.Schema != nil
	}
	return tftypes.Value{}, nil, false
}

// modelCodec converts between a model struct and the object value of one
// schema.
type modelCodec struct {
	objType tftypes.Type // the schema's object type
	fields  []modelField
	// complete says the struct has a field for every attribute, as Get and
	// Set require of a whole model.
	complete bool
}

// modelField is one tagged field and its attribute's type in the schema.
type modelField struct {
	name  string
	index int
	typ   attr.Type
}

// modelCodecs caches a codec per model type. A model type serves one
// schema; a value of another schema's type makes the callers fall back to
// the framework.
var modelCodecs sync.Map // reflect.Type → *modelCodec

// codecFor returns t's codec for schema, or nil if schema lacks one of t's
// attributes (the framework then reports it).
func codecFor(ctx context.Context, t reflect.Type, schema schemaTyper) *modelCodec {
	if c, ok := modelCodecs.Load(t); ok {
		return c.(*modelCodec) //nolint:forcetypeassert // only this function stores
	}
	st, ok := schema.Type().(attr.TypeWithAttributeTypes)
	if !ok {
		return nil
	}
	types := st.AttributeTypes()
	c := &modelCodec{objType: schema.Type().TerraformType(ctx)}
	names := attributeNames(t)
	for i, name := range names {
		typ, ok := types[name]
		if !ok {
			return nil
		}
		c.fields = append(c.fields, modelField{name: name, index: i, typ: typ})
	}
	c.complete = len(names) == len(types)
	modelCodecs.Store(t, c)
	return c
}

// decode fills dst's fields from raw, as Get or GetAttribute would. ok is
// false, and dst untouched, unless raw is a known object of the codec's
// schema.
func (c *modelCodec) decode(ctx context.Context, raw tftypes.Value, dst reflect.Value) (diag.Diagnostics, bool) {
	if !raw.IsKnown() || raw.IsNull() || !raw.Type().Equal(c.objType) {
		return nil, false
	}
	var attrs map[string]tftypes.Value
	if err := raw.As(&attrs); err != nil {
		return nil, false
	}
	var diags diag.Diagnostics
	for _, f := range c.fields {
		p := path.Root(f.name)
		tfv := attrs[f.name]
		v, err := f.typ.ValueFromTerraform(ctx, tfv)
		if err != nil {
			diags.AddAttributeError(p, "Value Conversion Error", "An unexpected error was encountered trying to "+
				"convert an attribute value. This is always an error in the provider. Please report the following "+
				"to the provider developer:\n\n"+err.Error())
			continue
		}
		diags.Append(validateValue(ctx, f.typ, v, tfv, p)...)
		field := dst.Field(f.index)
		if rv := reflect.ValueOf(v); rv.Type() == field.Type() {
			field.Set(rv)
		} else {
			diags.AddAttributeError(p, "Value Conversion Error", fmt.Sprintf("An unexpected error was encountered "+
				"trying to convert an attribute value. This is always an error in the provider. Please report the "+
				"following to the provider developer:\n\nCannot use %T as %s", v, field.Type()))
		}
	}
	return diags, true
}

// encode builds the object value of src, as Set would.
func (c *modelCodec) encode(ctx context.Context, src reflect.Value) (tftypes.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	attrs := make(map[string]tftypes.Value, len(c.fields))
	for _, f := range c.fields {
		p := path.Root(f.name)
		v, ok := src.Field(f.index).Interface().(attr.Value)
		if !ok || !f.typ.TerraformType(ctx).Equal(v.Type(ctx).TerraformType(ctx)) {
			diags.AddAttributeError(p, "Value Conversion Error", fmt.Sprintf("An unexpected error was encountered "+
				"while verifying an attribute value matched its expected type. This is always an error in the "+
				"provider. Please report the following to the provider developer:\n\nExpected %s, got %T",
				f.typ, src.Field(f.index).Interface()))
			continue
		}
		tfv, err := v.ToTerraformValue(ctx)
		if err != nil {
			diags.AddAttributeError(p, "Value Conversion Error", "An unexpected error was encountered trying to "+
				"convert an attribute value. This is always an error in the provider. Please report the following "+
				"to the provider developer:\n\n"+err.Error())
			continue
		}
		diags.Append(validateValue(ctx, f.typ, v, tfv, p)...)
		attrs[f.name] = tfv
	}
	if diags.HasError() {
		return tftypes.Value{}, diags
	}
	return tftypes.NewValue(c.objType, attrs), diags
}

// validateValue runs the validation the framework runs on every value it
// reads or writes: the value's own, else its type's.
func validateValue(ctx context.Context, typ attr.Type, v attr.Value, tfv tftypes.Value, p path.Path) diag.Diagnostics {
	if va, ok := v.(xattr.ValidateableAttribute); ok {
		var resp xattr.ValidateAttributeResponse
		va.ValidateAttribute(ctx, xattr.ValidateAttributeRequest{Path: p}, &resp)
		return resp.Diagnostics
	}
	if typ == nil {
		typ = v.Type(ctx)
	}
	//nolint:staticcheck // Deprecated, but the framework still runs it, so this does too.
	if tv, ok := typ.(xattr.TypeWithValidate); ok {
		return tv.Validate(ctx, tfv, p)
	}
	return nil
}
