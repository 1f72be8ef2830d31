// Command terraform-provider-plexmcpfloor is a baseline for make bench and is
// never released. It serves plexmcp_api_key's exact schema, as
// plexmcpfloor_api_key, and does no work: no API call, no validation, no
// plan logic. Timing it next to the real provider separates what Terraform
// and the plugin stack cost for that schema from what the provider adds.
//
// PLEXMCPFLOOR_SERVER picks the stack:
//
//   - "framework" (the default): a terraform-plugin-framework resource whose
//     CRUD methods only copy values, so the framework's own per-RPC work is
//     all that runs;
//   - "protocol": the hot resource RPCs (validate, upgrade, read, plan,
//     apply) answered straight from terraform-plugin-go with the least any
//     provider must do. No provider with this schema can be faster than
//     Terraform is with this one.
package main

import (
	"context"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

const address = "registry.terraform.io/plexmcp/plexmcpfloor"

func main() {
	// The real provider's main.go turns the SDK's unread TRACE logging off;
	// the floor must not pay for it either.
	for _, v := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"} {
		_ = os.Setenv(v, "OFF")
	}
	framework := providerserver.NewProtocol6(floorProvider{})
	var err error
	switch mode := os.Getenv("PLEXMCPFLOOR_SERVER"); mode {
	case "", "framework":
		err = tf6server.Serve(address, framework)
	case "protocol":
		err = tf6server.Serve(address, func() tfprotov6.ProviderServer {
			s, err := newProtocolServer(context.Background(), framework())
			if err != nil {
				log.Fatal(err)
			}
			return s
		})
	default:
		log.Fatalf("PLEXMCPFLOOR_SERVER=%q: want framework or protocol", mode)
	}
	if err != nil {
		log.Fatal(err)
	}
}
