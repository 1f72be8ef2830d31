package main

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// protocolServer answers the resource RPCs that Terraform sends for every
// instance with the least a provider must do: decode what the answer
// depends on, encode the answer, nothing else. Everything else (schema,
// provider configuration) is the framework's.
type protocolServer struct {
	tfprotov6.ProviderServer
	types    map[string]tftypes.Type
	computed map[string][]string // each resource type's top-level computed attributes
	// identities holds the identity type of each resource type that has
	// one. Terraform 1.12 and later keep identities, and expect one back
	// from every apply.
	identities map[string]tftypes.Type
}

func newProtocolServer(ctx context.Context, framework tfprotov6.ProviderServer) (*protocolServer, error) {
	resp, err := framework.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		return nil, err
	}
	if len(resp.Diagnostics) > 0 {
		return nil, fmt.Errorf("schema: %s: %s", resp.Diagnostics[0].Summary, resp.Diagnostics[0].Detail)
	}
	s := &protocolServer{
		ProviderServer: framework,
		types:          map[string]tftypes.Type{},
		computed:       map[string][]string{},
		identities:     map[string]tftypes.Type{},
	}
	for name, schema := range resp.ResourceSchemas {
		s.types[name] = schema.ValueType()
		for _, a := range schema.Block.Attributes {
			if a.Computed {
				s.computed[name] = append(s.computed[name], a.Name)
			}
		}
	}
	ids, err := framework.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		return nil, err
	}
	if len(ids.Diagnostics) > 0 {
		return nil, fmt.Errorf("identity schema: %s: %s", ids.Diagnostics[0].Summary, ids.Diagnostics[0].Detail)
	}
	for name, schema := range ids.IdentitySchemas {
		s.identities[name] = schema.ValueType()
	}
	return s, nil
}

func (s *protocolServer) typeOf(name string) (tftypes.Type, error) {
	t, ok := s.types[name]
	if !ok {
		return nil, fmt.Errorf("unknown resource type %q", name)
	}
	return t, nil
}

func (s *protocolServer) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

// UpgradeResourceState converts the stored JSON to the wire format, which
// is the one job Terraform leaves to the provider here.
func (s *protocolServer) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	t, err := s.typeOf(req.TypeName)
	if err != nil {
		return nil, err
	}
	v, err := req.RawState.UnmarshalWithOpts(t, tfprotov6.UnmarshalOpts{})
	if err != nil {
		return nil, err
	}
	dv, err := tfprotov6.NewDynamicValue(t, v)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &dv}, nil
}

// ReadResource hands back what Terraform has, identity included.
func (s *protocolServer) ReadResource(_ context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private, NewIdentity: req.CurrentIdentity}, nil
}

// PlanResourceChange accepts Terraform's proposed state, except on create,
// where computed attributes the configuration leaves null become unknown.
func (s *protocolServer) PlanResourceChange(_ context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	t, err := s.typeOf(req.TypeName)
	if err != nil {
		return nil, err
	}
	prior, err := req.PriorState.Unmarshal(t)
	if err != nil {
		return nil, err
	}
	unchanged := &tfprotov6.PlanResourceChangeResponse{
		PlannedState: req.ProposedNewState, PlannedPrivate: req.PriorPrivate, PlannedIdentity: req.PriorIdentity,
	}
	if !prior.IsNull() {
		return unchanged, nil
	}
	proposed, err := req.ProposedNewState.Unmarshal(t)
	if err != nil {
		return nil, err
	}
	if proposed.IsNull() {
		return unchanged, nil
	}
	var attrs map[string]tftypes.Value
	if err := proposed.As(&attrs); err != nil {
		return nil, err
	}
	for _, name := range s.computed[req.TypeName] {
		if v := attrs[name]; v.IsNull() {
			attrs[name] = tftypes.NewValue(v.Type(), tftypes.UnknownValue)
		}
	}
	dv, err := tfprotov6.NewDynamicValue(t, tftypes.NewValue(t, attrs))
	if err != nil {
		return nil, err
	}
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: &dv}, nil
}

func (s *protocolServer) ApplyResourceChange(_ context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	t, err := s.typeOf(req.TypeName)
	if err != nil {
		return nil, err
	}
	planned, err := req.PlannedState.Unmarshal(t)
	if err != nil {
		return nil, err
	}
	if planned.IsNull() { // destroy
		return &tfprotov6.ApplyResourceChangeResponse{NewState: req.PlannedState}, nil
	}
	v, err := known(planned)
	if err != nil {
		return nil, err
	}
	dv, err := tfprotov6.NewDynamicValue(t, v)
	if err != nil {
		return nil, err
	}
	resp := &tfprotov6.ApplyResourceChangeResponse{NewState: &dv, Private: req.PlannedPrivate}
	// Terraform before 1.12 drops the identity on the wire; building it
	// is the one thing the floor does for newer versions alone.
	if it, ok := s.identities[req.TypeName]; ok {
		id, err := identityFrom(v, it)
		if err != nil {
			return nil, err
		}
		idv, err := tfprotov6.NewDynamicValue(it, id)
		if err != nil {
			return nil, err
		}
		resp.NewIdentity = &tfprotov6.ResourceIdentityData{IdentityData: &idv}
	}
	return resp, nil
}
