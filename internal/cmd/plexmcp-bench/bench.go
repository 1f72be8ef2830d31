package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

// bench is one run of the benchmark: its options, its temporary directory
// and private Terraform CLI configuration, and what to stop at the end.
type bench struct {
	opts        options
	work        string
	cliConfig   string
	providerBin string
	progress    io.Writer // one line per step, so a long run shows where it is
	closers     []func()
}

// newBench checks that the binaries are built and prepares the temporary
// directory with a CLI configuration that serves both providers from
// opts.binDir.
func newBench(opts options, progress io.Writer) (*bench, error) {
	binDir, err := filepath.Abs(opts.binDir)
	if err != nil {
		return nil, err
	}
	providerBin := filepath.Join(binDir, "terraform-provider-plexmcp")
	for _, bin := range []string{providerBin, filepath.Join(binDir, "terraform-provider-plexmcpfloor")} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("%w (make bench builds it)", err)
		}
	}
	if opts.cpuProfile != "" {
		if opts.cpuProfile, err = filepath.Abs(opts.cpuProfile); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(opts.cpuProfile, 0o755); err != nil {
			return nil, err
		}
	}
	work, err := os.MkdirTemp("", "plexmcp-bench-")
	if err != nil {
		return nil, err
	}
	b := &bench{opts: opts, work: work, providerBin: providerBin, progress: progress}
	b.closers = append(b.closers, func() { _ = os.RemoveAll(work) })
	b.cliConfig = filepath.Join(work, "terraformrc")
	if err := os.WriteFile(b.cliConfig, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/plexmcp/plexmcp" = %[1]q
    "registry.opentofu.org/plexmcp/plexmcp" = %[1]q
    "registry.terraform.io/plexmcp/plexmcpfloor" = %[1]q
    "registry.opentofu.org/plexmcp/plexmcpfloor" = %[1]q
  }
  direct {}
}
`, binDir)), 0o600); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// close stops the servers and removes the temporary directory, newest
// first.
func (b *bench) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

// startServer starts a reference server that close stops.
func (b *bench) startServer(cfg refserver.Config) (*refserver.Running, error) {
	srv, err := refserver.Start("", cfg)
	if err != nil {
		return nil, err
	}
	b.closers = append(b.closers, func() { _ = srv.Close() })
	return srv, nil
}

// dir makes a folder of the temporary directory holding config as main.tf.
func (b *bench) dir(name, config string) (string, error) {
	dir := filepath.Join(b.work, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600)
}

// env is the caller's environment without its Terraform and PlexMCP
// settings, plus the private CLI configuration and, for the provider, the
// server to talk to (its key goes by environment, never on a command line).
func (b *bench) env(srv *refserver.Running, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TF_") || strings.HasPrefix(kv, "PLEXMCP_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+b.cliConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	if srv != nil {
		env = append(env, "PLEXMCP_BASE_URL="+srv.BaseURL, "PLEXMCP_API_KEY="+srv.AdminKey())
		if b.opts.cpuProfile != "" {
			env = append(env, cpuProfileEnv+"="+b.opts.cpuProfile)
		}
	}
	return append(env, extra...)
}

// cpuProfileEnv names the folder where the provider writes a CPU profile
// of each of its processes (see the provider's main.go).
const cpuProfileEnv = "PLEXMCP_PROVIDER_CPUPROFILE"

// keysConfig declares n keys of the named provider's api_key resource.
func keysConfig(provider string, n int) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    %[1]s = {
      source = "plexmcp/%[1]s"
    }
  }
}

provider "%[1]s" {}

resource "%[1]s_api_key" "bench" {
  count    = %[2]d
  name     = "bench-${count.index}"
  all_mcps = true
}
`, provider, n)
}

// dataConfig declares n terraform_data resources.
func dataConfig(n int) string {
	return fmt.Sprintf(`
resource "terraform_data" "bench" {
  count = %d
  input = "bench-${count.index}"
}
`, n)
}
