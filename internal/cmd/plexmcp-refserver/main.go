// Command plexmcp-refserver serves a reference PlexMCP API, the server the
// provider's acceptance tests run against, as a standalone program:
//
//	plexmcp-refserver [-listen 127.0.0.1:8089] [-admin-key KEY] [-state FILE]
//	                  [-rate-limit RPS] [-rate-limit-headers] [-fail-rate 0.0-1.0]
//	                  [-clock-offset DURATION] [-ignore-idempotency-key]
//	                  [-api hosted|server] [-key-quota N] [-key-propagation DURATION]
//
// Before it answers any request it prints, one per line, the variables a
// shell can eval to talk to it:
//
//	PLEXMCP_BASE_URL=http://127.0.0.1:8089/v1      (…/api/v1 with -api server)
//	PLEXMCP_API_KEY=pmcp_01…
//	PLEXMCP_SECOND_ORG_API_KEY=pmcp_01…
//
// and then logs one line per request to stderr. The command line is part of
// the contract: scripts depend on it. internal/refserver/README.md describes
// both APIs and every flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
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
		fmt.Fprintln(redactingWriter{os.Stderr}, "plexmcp-refserver:", err)
		os.Exit(1)
	}
}

// keyShaped matches PlexMCP keys of every documented format (pmcp_ keys and
// the older pk_live_ and pk_test_ ones); the first group is what stays
// readable: the 12 characters of a key's public prefix. Text no longer than
// that ("a pmcp_01 key" in the usage) is no key and stays as it is.
var keyShaped = regexp.MustCompile(`(pmcp_[0-9A-Za-z]{7}|pk_(?:live|test)_)[0-9A-Za-z]+`)

// redactingWriter keeps keys out of everything the program writes to
// stderr. The flag package quotes a bad flag value, and a stray argument is
// echoed: both are where a key lands when a shell word is misplaced (for
// example "-admin-key= $PLEXMCP_API_KEY"). Each message, and each
// access-log line, arrives in one Write.
type redactingWriter struct{ w io.Writer }

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := r.w.Write(keyShaped.ReplaceAll(p, []byte("${1}[redacted]"))); err != nil {
		return 0, err
	}
	return len(p), nil
}

var errUsage = errors.New("usage error")

// run is the whole program, minus signal handling and exit codes, so that
// tests can drive it with a context and pipes.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plexmcp-refserver", flag.ContinueOnError)
	// The contract keeps keys off stderr: what the program writes about its
	// command line is filtered, as the access log is (AccessLog below).
	fs.SetOutput(redactingWriter{stderr})
	listen := fs.String("listen", "127.0.0.1:8089", "`address` to listen on; 127.0.0.1:0 picks a free port")
	adminKey := fs.String("admin-key", "", "bootstrap `key` of the first organisation, a pmcp_01 key (default $PLEXMCP_API_KEY, else a generated one)")
	statePath := fs.String("state", "", "`file` that keeps keys and usage across restarts (default: memory only)")
	rateLimit := fs.Float64("rate-limit", 0, "per-key rate limit in requests per second, with 429s: every route of the hosted API, the management API of a PlexMCP server (default: off)")
	rateLimitHeaders := fs.Bool("rate-limit-headers", false, "with -rate-limit, send X-RateLimit-* headers (hosted API only)")
	failRate := fs.Float64("fail-rate", 0, "`fraction` (0.0-1.0) of requests that fail: 503, or for half the failing creates a dropped connection after the commit")
	clockOffset := fs.Duration("clock-offset", 0, "run the server's clock this `duration` ahead, or behind if negative (e.g. -2136h), to test expiry")
	ignoreIdem := fs.Bool("ignore-idempotency-key", false, "ignore Idempotency-Key on creates, as the hosted API may")
	api := fs.String("api", refserver.APIHosted, "which PlexMCP `API` to serve: hosted (PlexMCP Cloud) or server (a self-hosted PlexMCP server)")
	keyQuota := fs.Int("key-quota", 0, "an organisation may hold at most `N` keys (0: unlimited)")
	keyPropagation := fs.Duration("key-propagation", 0, "a new key answers 401 for its first `duration`, as a key still propagating would")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: plexmcp-refserver [flags]\n\n"+
			"Serves a reference PlexMCP API. On start it prints PLEXMCP_BASE_URL, PLEXMCP_API_KEY and\n"+
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
		fmt.Fprintf(fs.Output(), "unexpected arguments: %q\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	if *api != refserver.APIHosted && *api != refserver.APIServer {
		fmt.Fprintf(fs.Output(), "invalid value %q for flag -api: want %s or %s\n", *api, refserver.APIHosted, refserver.APIServer)
		fs.Usage()
		return errUsage
	}
	key := *adminKey
	if key == "" {
		key = os.Getenv("PLEXMCP_API_KEY")
	}

	srv, err := refserver.Listen(*listen, refserver.Config{
		API:                  *api,
		AdminKey:             key,
		SecondOrgAdminKey:    os.Getenv("PLEXMCP_SECOND_ORG_API_KEY"),
		StatePath:            *statePath,
		RateLimit:            *rateLimit,
		RateLimitHeaders:     *rateLimitHeaders,
		FailRate:             *failRate,
		ClockOffset:          *clockOffset,
		IgnoreIdempotencyKey: *ignoreIdem,
		KeyQuota:             *keyQuota,
		KeyPropagation:       *keyPropagation,
		// The access log redacts keys in paths, but it prints the method
		// as sent, and a method is whatever token a client chose: a key
		// given to curl -X is one. Every line passes this filter too.
		AccessLog: redactingWriter{stderr},
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
