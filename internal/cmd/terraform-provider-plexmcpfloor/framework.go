package main

import (
	"context"
	"math/big"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	plexmcp "github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
)

type floorProvider struct{}

func (floorProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "plexmcpfloor"
}

func (floorProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (floorProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (floorProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return floorResource{real: plexmcp.NewAPIKeyResource()} },
	}
}

func (floorProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

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
}

// Read leaves the state the framework copied into the response untouched.
func (floorResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (floorResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	stateFromPlan(req.Plan, &resp.State, &resp.Diagnostics)
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

// Delete does nothing: the framework removes the resource from state.
func (floorResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

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
