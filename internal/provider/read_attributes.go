package provider

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// attributeGetter is what tfsdk.Config, tfsdk.Plan and tfsdk.State share.
type attributeGetter interface {
	GetAttribute(ctx context.Context, p path.Path, target any) diag.Diagnostics
}

// readAttributes fills every field of *dst from the top-level attribute
// that its tfsdk tag names.
//
// Plan modifiers and validators run for every key on every plan, and most
// need three or four attributes. Decoding the whole model for them was a
// measurable share of a large plan, and reading attributes into a full
// model by name left the other fields silently null. A narrow struct read
// here has only the fields it needs, each one read: a field that is not in
// it does not compile. The attributes are read straight from the Raw value
// where the schema allows (model_codec.go), else one by one through the
// framework.
func readAttributes[T any](ctx context.Context, src attributeGetter, dst *T) diag.Diagnostics {
	v := reflect.ValueOf(dst).Elem()
	if raw, schema, ok := rawOf(src); ok {
		if c := codecFor(ctx, v.Type(), schema); c != nil {
			if diags, ok := c.decode(ctx, raw, v); ok {
				return diags
			}
		}
	}
	var diags diag.Diagnostics
	for i, name := range attributeNames(v.Type()) {
		diags.Append(src.GetAttribute(ctx, path.Root(name), v.Field(i).Addr().Interface())...)
	}
	return diags
}

// attributeNamesByType caches each struct type's tfsdk tags.
var attributeNamesByType sync.Map // reflect.Type → []string

// attributeNames returns the tfsdk tag of each field of t, in field order.
// A field without a tag is a programming error, caught by the tests of
// every struct that uses it.
func attributeNames(t reflect.Type) []string {
	if names, ok := attributeNamesByType.Load(t); ok {
		return names.([]string) //nolint:forcetypeassert // only this function stores
	}
	names := make([]string, t.NumField())
	for i := range names {
		tag, ok := t.Field(i).Tag.Lookup("tfsdk")
		if !ok || tag == "" || tag == "-" {
			panic(fmt.Sprintf("provider: field %s.%s has no tfsdk tag to read it by", t.Name(), t.Field(i).Name))
		}
		names[i] = tag
	}
	attributeNamesByType.Store(t, names)
	return names
}
