package main

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	plexmcpprovider "github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
)

// The bench only means something if both floors take the same lifecycle as
// the real provider: apply, an empty plan after refresh, destroy.
const floorConfig = `
resource "plexmcpfloor_api_key" "bench" {
  count    = 3
  name     = "bench-${count.index}"
  all_mcps = true
}
`

func floorLifecycle(t *testing.T, server func() (tfprotov6.ProviderServer, error)) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){"plexmcpfloor": server},
		Steps: []resource.TestStep{
			{
				Config: floorConfig,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("plexmcpfloor_api_key.bench[2]", plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue("plexmcpfloor_api_key.bench[2]", tfjsonpath.New("id")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("plexmcpfloor_api_key.bench[2]", tfjsonpath.New("id"), knownvalue.StringExact(floorTime)),
					statecheck.ExpectKnownValue("plexmcpfloor_api_key.bench[2]", tfjsonpath.New("name"), knownvalue.StringExact("bench-2")),
				},
			},
		},
	})
}

// The floor keeps a key's identity as the real resource does, so that
// Terraform 1.12 and later, which store identities, can use it.
func floorIdentity(t *testing.T, server func() (tfprotov6.ProviderServer, error)) {
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){"plexmcpfloor": server},
		Steps: []resource.TestStep{
			{
				Config: floorConfig,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentityValue("plexmcpfloor_api_key.bench[1]", tfjsonpath.New("id"), knownvalue.StringExact(floorTime)),
				},
			},
		},
	})
}

func TestAccFloorAPIKey_frameworkIdentity(t *testing.T) {
	floorIdentity(t, providerserver.NewProtocol6WithError(floorProvider{}))
}

func TestAccFloorAPIKey_protocolIdentity(t *testing.T) {
	floorIdentity(t, func() (tfprotov6.ProviderServer, error) {
		return newProtocolServer(context.Background(), providerserver.NewProtocol6(floorProvider{})())
	})
}

// TestFloorServesTheRealSchema holds the floor to its promise: the schema
// and the identity schema Terraform sees are plexmcp_api_key's, exactly.
func TestFloorServesTheRealSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	apiKeyProvider := providerserver.NewProtocol6(plexmcpprovider.New("test")())()
	floor := providerserver.NewProtocol6(floorProvider{})()
	protocol, err := newProtocolServer(ctx, providerserver.NewProtocol6(floorProvider{})())
	if err != nil {
		t.Fatal(err)
	}
	want, err := apiKeyProvider.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs, err := apiKeyProvider.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if want.ResourceSchemas["plexmcp_api_key"] == nil || wantIDs.IdentitySchemas["plexmcp_api_key"] == nil {
		t.Fatal("the real provider serves no plexmcp_api_key schema or identity schema")
	}
	for name, server := range map[string]tfprotov6.ProviderServer{"framework": floor, "protocol": protocol} {
		got, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.ResourceSchemas["plexmcp_api_key"], got.ResourceSchemas["plexmcpfloor_api_key"]); diff != "" {
			t.Errorf("%s floor: schema differs from plexmcp_api_key's (-real +floor):\n%s", name, diff)
		}
		gotIDs, err := server.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantIDs.IdentitySchemas["plexmcp_api_key"], gotIDs.IdentitySchemas["plexmcpfloor_api_key"]); diff != "" {
			t.Errorf("%s floor: identity schema differs from plexmcp_api_key's (-real +floor):\n%s", name, diff)
		}
	}
}

func TestIdentityFrom(t *testing.T) {
	t.Parallel()
	identityType := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"id": tftypes.String}}
	stateType := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"id": tftypes.String, "name": tftypes.String}}
	state := tftypes.NewValue(stateType, map[string]tftypes.Value{
		"id": tftypes.NewValue(tftypes.String, "key_1"), "name": tftypes.NewValue(tftypes.String, "n"),
	})
	tests := []struct {
		name    string
		state   tftypes.Value
		typ     tftypes.Type
		want    tftypes.Value
		wantErr bool
	}{
		{
			name: "the id from the state", state: state, typ: identityType,
			want: tftypes.NewValue(identityType, map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, "key_1")}),
		},
		{
			name: "an identity attribute the state lacks", state: state,
			typ:     tftypes.Object{AttributeTypes: map[string]tftypes.Type{"key_id": tftypes.String}},
			wantErr: true,
		},
		{name: "not an object", state: state, typ: tftypes.String, wantErr: true},
		{name: "a state that is not an object", state: tftypes.NewValue(tftypes.String, "x"), typ: identityType, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := identityFrom(tt.state, tt.typ)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("identityFrom = %s, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("identityFrom = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAccFloorAPIKey_framework(t *testing.T) {
	floorLifecycle(t, providerserver.NewProtocol6WithError(floorProvider{}))
}

func TestAccFloorAPIKey_protocol(t *testing.T) {
	floorLifecycle(t, func() (tfprotov6.ProviderServer, error) {
		return newProtocolServer(context.Background(), providerserver.NewProtocol6(floorProvider{})())
	})
}

func TestKnown(t *testing.T) {
	t.Parallel()
	unknown := func(t tftypes.Type) tftypes.Value { return tftypes.NewValue(t, tftypes.UnknownValue) }
	set := tftypes.Set{ElementType: tftypes.String}
	tests := []struct {
		name     string
		in, want tftypes.Value
	}{
		{"unknown string", unknown(tftypes.String), tftypes.NewValue(tftypes.String, floorTime)},
		{"unknown bool", unknown(tftypes.Bool), tftypes.NewValue(tftypes.Bool, false)},
		{"unknown number", unknown(tftypes.Number), tftypes.NewValue(tftypes.Number, 0)},
		{"unknown set", unknown(set), tftypes.NewValue(set, nil)},
		{"known string kept", tftypes.NewValue(tftypes.String, "bench-1"), tftypes.NewValue(tftypes.String, "bench-1")},
		{"null kept", tftypes.NewValue(tftypes.String, nil), tftypes.NewValue(tftypes.String, nil)},
		{
			"inside an object",
			tftypes.NewValue(tftypes.Object{AttributeTypes: map[string]tftypes.Type{"id": tftypes.String, "name": tftypes.String}},
				map[string]tftypes.Value{"id": unknown(tftypes.String), "name": tftypes.NewValue(tftypes.String, "n")}),
			tftypes.NewValue(tftypes.Object{AttributeTypes: map[string]tftypes.Type{"id": tftypes.String, "name": tftypes.String}},
				map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, floorTime), "name": tftypes.NewValue(tftypes.String, "n")}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := known(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("known(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
