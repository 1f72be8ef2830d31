// Command terraform-provider-plexmcp serves the PlexMCP Terraform provider.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
)

// version is set by goreleaser through -ldflags "-X main.version=…".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/plexmcp/plexmcp",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
