package main

import (
	"context"
	"fmt"
	"math/big"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	plexmcpprovider "github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
)

type floorProvider struct{}

func (floorProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "plexmcpfloor"
}

func (floorProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (floorProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (floorProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{newFloorResource}
}

func (floorProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// newFloorResource wraps the real plexmcp_api_key resource. Where the real
// one declares a resource identity, so does the floor: the framework then
// does identity work on every create, read and update, which any
// framework provider with that resource must pay for too.
func newFloorResource() resource.Resource {
	apiKey := plexmcpprovider.NewAPIKeyResource()
	if withIdentity, ok := apiKey.(resource.ResourceWithIdentity); ok {
		return floorResourceWithIdentity{floorResource: floorResource{real: apiKey}, identity: withIdentity}
	}
	return floorResource{real: apiKey}
}

// floorResource borrows only Metadata and Schema from the real resource. It
// must not embed it: embedding would promote ModifyPlan, ValidateConfig and
// the rest, and the floor would no longer be a floor.
type floorResource struct{ real resource.Resource }

func (r floorResource) Metadata(ctx context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	r.real.Metadata(ctx, req, resp)
}

func (r floorResource) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	r.real.Schema(ctx, req, resp)
}

func (floorResource) Create(_ context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	stateFromPlan(req.Plan, &resp.State, &resp.Diagnostics)
	fillIdentity(resp.State.Raw, resp.Identity, &resp.Diagnostics)
}

// Read leaves the state the framework copied into the response untouched.
// The framework refuses a read that ends without an identity, which it
// has none of before Terraform 1.12 sends one back: the floor fills it in.
func (floorResource) Read(_ context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	fillIdentity(req.State.Raw, resp.Identity, &resp.Diagnostics)
}

func (floorResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	stateFromPlan(req.Plan, &resp.State, &resp.Diagnostics)
	fillIdentity(resp.State.Raw, resp.Identity, &resp.Diagnostics)
}

// Delete does nothing: the framework removes the resource from state.
func (floorResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// floorResourceWithIdentity is a floorResource whose real resource has an
// identity, which it borrows as it borrows the schema.
type floorResourceWithIdentity struct {
	floorResource
	identity resource.ResourceWithIdentity
}

func (r floorResourceWithIdentity) IdentitySchema(ctx context.Context, req resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	r.identity.IdentitySchema(ctx, req, resp)
}

// stateFromPlan stores the plan, its unknowns filled, as the new state.
func stateFromPlan(plan tfsdk.Plan, state *tfsdk.State, diags *diag.Diagnostics) {
	v, err := known(plan.Raw)
	if err != nil {
		diags.AddError("Floor Apply", err.Error())
		return
	}
	state.Raw = v
}

// fillIdentity sets a null identity from the state: each identity
// attribute is the state's top-level attribute of the same name (the key's
// id, for plexmcp_api_key). A known identity, or none, is left alone.
func fillIdentity(state tftypes.Value, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	if identity == nil || !identity.Raw.IsNull() {
		return
	}
	v, err := identityFrom(state, identity.Raw.Type())
	if err != nil {
		diags.AddError("Floor Identity", err.Error())
		return
	}
	identity.Raw = v
}

// identityFrom builds a value of the identity type t from state's
// top-level attributes of the same names.
func identityFrom(state tftypes.Value, t tftypes.Type) (tftypes.Value, error) {
	obj, ok := t.(tftypes.Object)
	if !ok {
		return tftypes.Value{}, fmt.Errorf("identity type %s is not an object", t)
	}
	var attrs map[string]tftypes.Value
	if err := state.As(&attrs); err != nil {
		return tftypes.Value{}, fmt.Errorf("reading the state: %w", err)
	}
	out := make(map[string]tftypes.Value, len(obj.AttributeTypes))
	for name := range obj.AttributeTypes {
		v, ok := attrs[name]
		if !ok {
			return tftypes.Value{}, fmt.Errorf("identity attribute %q is not in the state", name)
		}
		out[name] = v
	}
	return tftypes.NewValue(t, out), nil
}

// floorTime fills every unknown string. It is a valid RFC 3339 time because
// the schema's timestamp attributes use a type that compares times.
const floorTime = "2026-01-01T00:00:00Z"

// known replaces each unknown in v by a fixed value of its type, standing in
// for the values a provider learns from its API on create.
func known(v tftypes.Value) (tftypes.Value, error) {
	return tftypes.Transform(v, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		switch t := v.Type(); {
		case t.Is(tftypes.String):
			return tftypes.NewValue(t, floorTime), nil
		case t.Is(tftypes.Bool):
			return tftypes.NewValue(t, false), nil
		case t.Is(tftypes.Number):
			return tftypes.NewValue(t, big.NewFloat(0)), nil
		default:
			return tftypes.NewValue(t, nil), nil
		}
	})
}
