package acctest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
)

// ServeForReattach serves the provider in this process in debug mode and
// returns the TF_REATTACH_PROVIDERS value that points Terraform (or
// OpenTofu) at it, for tests that run terraform themselves (terraform show,
// terraform query) rather than through the harness. stop ends it.
func ServeForReattach(t *testing.T, opts ...provider.Option) (string, func(), error) {
	factory := Factories(opts...)["plexmcp"]
	if _, err := factory(); err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	configCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	serveErr := make(chan error, 1)
	go func() {
		serveErr <- tf6server.Serve("registry.terraform.io/plexmcp/plexmcp",
			func() tfprotov6.ProviderServer {
				s, _ := factory()
				return s
			},
			tf6server.WithDebug(ctx, configCh, closeCh),
			tf6server.WithLoggingSink(t),
			tf6server.WithGoPluginLogger(hclog.New(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Off})),
		)
	}()
	stop := func() {
		cancel()
		<-closeCh
	}
	var rc *plugin.ReattachConfig
	select {
	case rc = <-configCh:
	case err := <-serveErr:
		cancel()
		return "", nil, fmt.Errorf("serving the provider for reattachment: %v", err)
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, errors.New("serving the provider for reattachment: no reattach configuration after 30s")
	}
	type addr struct{ Network, String string }
	type reattachConfig struct {
		Protocol        string
		ProtocolVersion int
		Pid             int
		Test            bool
		Addr            addr
	}
	c := reattachConfig{
		Protocol:        string(rc.Protocol),
		ProtocolVersion: rc.ProtocolVersion,
		Pid:             rc.Pid,
		Test:            rc.Test,
		Addr:            addr{Network: rc.Addr.Network(), String: rc.Addr.String()},
	}
	raw, err := json.Marshal(map[string]reattachConfig{
		"registry.terraform.io/plexmcp/plexmcp": c,
		"registry.opentofu.org/plexmcp/plexmcp": c,
	})
	if err != nil {
		stop()
		return "", nil, err
	}
	return string(raw), stop, nil
}
