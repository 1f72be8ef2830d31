// Command plexmcp-bench is what `make bench` runs: it times real terraform
// with the provider just built (through a private dev_overrides CLI
// configuration) against reference servers in this process, for both of
// PlexMCP's APIs, next to the framework floor: plexmcp_api_key's exact
// schema served through terraform-plugin-framework by a provider that does
// no work (terraform-provider-plexmcpfloor). It prints:
//
//   - wall time and CPU of apply, plan (which refreshes) and destroy of N
//     keys, for the provider on each API and for three floors: the
//     framework floor, the same schema straight through terraform-plugin-go
//     (the protocol floor, below which no provider with this schema can
//     go), and Terraform's built-in terraform_data;
//   - API requests per refreshed key during that plan, from the servers'
//     own counters;
//   - throttled applies against rate-limited servers, as a ratio of the
//     floor that the rate limit itself sets, with and without
//     X-RateLimit-* headers;
//   - provider start-up and peak memory;
//   - whether each target is met.
//
// Every subject's apply, plan and destroy run once per round, in the same
// order, and each figure is the median over the rounds: interleaving keeps
// a change in the machine's load from favouring one subject. It works in a
// temporary directory and never prints a key.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "bench failed:", err)
		os.Exit(1)
	}
}

// The PlexMCP APIs, as refserver.Config.API names them.
const (
	apiHosted = "hosted"
	apiServer = "server"
)

type options struct {
	binDir     string
	terraform  string
	apis       []string // the APIs to measure the provider against
	keys       int      // keys (and terraform_data) in the main comparison
	throttled  int      // keys in each throttled apply; 0 skips them
	rate       float64  // the throttled servers' requests per second
	rounds     int      // rounds of apply, plan and destroy per subject
	startups   int      // repetitions of the start-up measurements; 0 skips them
	cpuProfile string   // folder for the provider's CPU profiles; "" for none
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var opts options
	var apis string
	flags := flag.NewFlagSet("plexmcp-bench", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&opts.binDir, "bin", "bin", "folder with the built terraform-provider-plexmcp and terraform-provider-plexmcpfloor")
	flags.StringVar(&opts.terraform, "terraform", "terraform", "terraform binary")
	flags.StringVar(&apis, "apis", apiHosted+","+apiServer, "comma-separated PlexMCP APIs to measure the provider against: hosted, server")
	flags.IntVar(&opts.keys, "keys", 300, "keys (and terraform_data resources) to apply, refresh and destroy")
	flags.IntVar(&opts.throttled, "throttled-keys", 40, "keys in each throttled apply (0 skips them)")
	flags.Float64Var(&opts.rate, "rate-limit", 5, "requests per second the throttled servers allow")
	flags.IntVar(&opts.rounds, "runs", 5, "rounds of apply, plan and destroy of every subject (medians are shown)")
	flags.IntVar(&opts.startups, "startups", 5, "repetitions of the start-up measurements (the median is shown; 0 skips them)")
	flags.StringVar(&opts.cpuProfile, "cpuprofile", "", "`folder` where each provider process writes a CPU profile ("+cpuProfileEnv+")")
	if err := flags.Parse(args); err != nil {
		return opts, err
	}
	if flags.NArg() > 0 {
		return opts, fmt.Errorf("unexpected arguments %q", flags.Args())
	}
	seen := map[string]bool{}
	for api := range strings.SplitSeq(apis, ",") {
		api = strings.TrimSpace(api)
		if api != apiHosted && api != apiServer {
			return opts, fmt.Errorf("-apis: %q is not an API: want hosted, server or both", api)
		}
		if !seen[api] {
			seen[api] = true
			opts.apis = append(opts.apis, api)
		}
	}
	switch {
	case opts.keys < 1:
		return opts, errors.New("-keys must be at least 1")
	case opts.rounds < 1:
		return opts, errors.New("-runs must be at least 1")
	case opts.throttled < 0 || opts.startups < 0:
		return opts, errors.New("-throttled-keys and -startups cannot be negative")
	case opts.throttled > 0 && opts.rate <= 0:
		return opts, errors.New("-rate-limit must be positive")
	}
	return opts, nil
}

// run is the whole benchmark: set up, measure, print.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	b, err := newBench(opts, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	fmt.Fprintf(stdout, "plexmcp-bench: %s\n", machine(ctx, opts.terraform))
	fmt.Fprintf(stdout, "load average before: %s\n\n", loadAverage())

	subjects, err := b.subjects()
	if err != nil {
		return err
	}
	lifecycles, err := b.measureLifecycles(ctx, subjects)
	if err != nil {
		return err
	}
	throttled, err := b.measureThrottled(ctx)
	if err != nil {
		return err
	}
	startup, err := b.measureStartup(ctx, subjects)
	if err != nil {
		return err
	}
	rep := report{opts: opts, subjects: subjects, lifecycles: lifecycles, throttled: throttled, startup: startup}
	if err := rep.write(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nload average after: %s\n", loadAverage())
	return nil
}
