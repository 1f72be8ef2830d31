// Command plexmcp-demo is what `make demo` runs: it starts the reference
// server for one of PlexMCP's two APIs, applies examples/quickstart with a
// freshly built provider through a private dev_overrides CLI configuration,
// shows what each environment's key can reach by invoking every seeded MCP
// with it, destroys everything and stops the server.
//
//	plexmcp-demo [-api hosted|server] [-bin bin] [-examples examples] [-terraform terraform]
//
// It works in a temporary copy of examples/, so the working tree is left as
// it was, and it never prints a key: only the public prefixes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

// The APIs the demo can run against, as the reference server's -api flag
// names them.
const (
	apiHosted = "hosted"
	apiServer = "server"
)

type options struct {
	api       string // which PlexMCP API the reference server speaks
	binDir    string // holds terraform-provider-plexmcp and plexmcp-refserver
	examples  string // the repository's examples/ folder
	terraform string // terraform (or tofu) binary
}

// parseOptions reads the command line. An API other than the two the
// reference server speaks is refused here, before anything starts.
func parseOptions(args []string, stderr io.Writer) (options, error) {
	var opts options
	flags := flag.NewFlagSet("plexmcp-demo", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&opts.api, "api", apiHosted, "which PlexMCP API the reference server speaks: hosted (PlexMCP's hosted API) or server (a self-hosted PlexMCP server)")
	flags.StringVar(&opts.binDir, "bin", "bin", "folder with the built terraform-provider-plexmcp and plexmcp-refserver")
	flags.StringVar(&opts.examples, "examples", "examples", "the examples folder to copy quickstart and modules from")
	flags.StringVar(&opts.terraform, "terraform", "terraform", "terraform binary")
	if err := flags.Parse(args); err != nil {
		return opts, err
	}
	if flags.NArg() > 0 {
		return opts, fmt.Errorf("unexpected arguments %q", flags.Args())
	}
	if opts.api != apiHosted && opts.api != apiServer {
		return opts, fmt.Errorf("-api %q: want %s or %s", opts.api, apiHosted, apiServer)
	}
	return opts, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	binDir, err := filepath.Abs(opts.binDir)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "plexmcp-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	// A copy of examples/ keeps .terraform, state and lock files out of the
	// working tree; the quickstart refers to ../modules, so copy both.
	if err := copyTree(opts.examples, filepath.Join(work, "examples")); err != nil {
		return fmt.Errorf("copying examples: %w", err)
	}
	cliConfig := filepath.Join(work, "terraformrc")
	if err := writeCLIConfig(cliConfig, binDir); err != nil {
		return err
	}

	srv, err := startServer(ctx, filepath.Join(binDir, "plexmcp-refserver"), opts.api, filepath.Join(work, "refserver.log"))
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Fprintf(stdout, "==> Reference server for %s listening at %s\n", apiTitle(opts.api), srv.baseURL)

	tf := terraform{
		bin: opts.terraform,
		dir: filepath.Join(work, "examples", "quickstart"),
		env: append(filteredEnv(os.Environ()),
			"TF_CLI_CONFIG_FILE="+cliConfig,
			"TF_DATA_DIR="+filepath.Join(work, "tfdata"),
			"TF_IN_AUTOMATION=1",
			"CHECKPOINT_DISABLE=1",
			"PLEXMCP_BASE_URL="+srv.baseURL,
			"PLEXMCP_API_KEY="+srv.apiKey.Reveal(),
		),
		stdout: stdout,
		stderr: stderr,
	}

	// dev_overrides serves the provider; `get` fetches the local module.
	if err := tf.run(ctx, "get"); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "==> terraform apply examples/quickstart")
	if err := tf.run(ctx, "apply", "-auto-approve", "-input=false", "-compact-warnings"); err != nil {
		return err
	}
	// Destroy even if the summary fails, so no key outlives the demo.
	keys, summaryErr := summarize(ctx, tf, srv, stdout)
	fmt.Fprintln(stdout, "==> terraform destroy")
	destroyErr := tf.run(ctx, "destroy", "-auto-approve", "-input=false", "-compact-warnings")
	if err := errors.Join(summaryErr, destroyErr); err != nil {
		return err
	}
	if err := expectGone(ctx, srv, keys); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "==> Done: every key was %s, the server stopped, the working tree is untouched.\n", goneWord(opts.api))
	return nil
}

// apiTitle names an API for the demo's headings.
func apiTitle(api string) string {
	if api == apiServer {
		return "a self-hosted PlexMCP server's API"
	}
	return "PlexMCP's hosted API"
}

// goneWord says what destroying a key does on each API: the hosted API
// keeps revoked keys, a PlexMCP server deletes them.
func goneWord(api string) string {
	if api == apiServer {
		return "deleted"
	}
	return "revoked"
}
