package main

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
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
