// Command plexmcp-refserver serves the reference PlexMCP API, the server the
// provider's acceptance tests run against, as a standalone program:
//
//	plexmcp-refserver [-listen 127.0.0.1:8089] [-admin-key KEY] [-state FILE]
//	                  [-rate-limit RPS] [-fail-rate 0.0-1.0] [-clock-offset DURATION]
//
// Before it answers any request it prints, one per line, the variables a
// shell can eval to talk to it:
//
//	PLEXMCP_BASE_URL=http://127.0.0.1:8089/v1
//	PLEXMCP_API_KEY=pk_live_…
//	PLEXMCP_SECOND_ORG_API_KEY=pk_live_…
//
// and then logs one line per request to stderr. The command line is part of
// the API contract (reference-api.md): scripts depend on it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2) // the flag package has already explained
	default:
		fmt.Fprintln(os.Stderr, "plexmcp-refserver:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage error")

// run is the whole program, minus signal handling and exit codes, so that
// tests can drive it with a context and pipes.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plexmcp-refserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8089", "`address` to listen on; 127.0.0.1:0 picks a free port")
	adminKey := fs.String("admin-key", "", "management `key` of the first organisation (default $PLEXMCP_API_KEY, else a generated one)")
	statePath := fs.String("state", "", "`file` that keeps keys and MCPs across restarts (default: memory only)")
	rateLimit := fs.Float64("rate-limit", 0, "per-key rate limit in requests per second, with X-RateLimit-* headers and 429s (default: off)")
	failRate := fs.Float64("fail-rate", 0, "`fraction` (0.0-1.0) of requests that fail: 503, or for half the failing creates a dropped connection after the commit")
	clockOffset := fs.Duration("clock-offset", 0, "run the server's clock this `duration` ahead, or behind if negative (e.g. -2136h), to test expiry")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: plexmcp-refserver [flags]\n\n"+
			"Serves the reference PlexMCP API. On start it prints PLEXMCP_BASE_URL, PLEXMCP_API_KEY and\n"+
			"PLEXMCP_SECOND_ORG_API_KEY (from $PLEXMCP_SECOND_ORG_API_KEY, else generated) for a shell to eval.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %q\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	key := *adminKey
	if key == "" {
		key = os.Getenv("PLEXMCP_API_KEY")
	}

	srv, err := refserver.Listen(*listen, refserver.Config{
		AdminKey:          key,
		SecondOrgAdminKey: os.Getenv("PLEXMCP_SECOND_ORG_API_KEY"),
		StatePath:         *statePath,
		RateLimit:         *rateLimit,
		FailRate:          *failRate,
		ClockOffset:       *clockOffset,
		AccessLog:         stderr,
	})
	if err != nil {
		return err
	}
	// Listening but not yet serving: whoever reads these lines can rely on
	// them before the first request is answered.
	if _, err := fmt.Fprintf(stdout, "PLEXMCP_BASE_URL=%s\nPLEXMCP_API_KEY=%s\nPLEXMCP_SECOND_ORG_API_KEY=%s\n",
		srv.BaseURL, srv.AdminKey(), srv.SecondOrgAdminKey()); err != nil {
		_ = srv.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	select {
	case <-ctx.Done():
		return srv.Close()
	case err := <-served:
		return errors.Join(err, srv.Close())
	}
}
