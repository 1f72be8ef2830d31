// Command plexmcp-demo is what `make demo` runs: it starts the reference
// server, applies examples/quickstart with a freshly built provider through
// a private dev_overrides CLI configuration, proves what each key can reach
// by invoking the server with it, destroys everything and stops the server.
// It works in a temporary copy of examples/, so the working tree is left as
// it was, and it never prints a key: only prefixes.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

type options struct {
	binDir    string // holds terraform-provider-plexmcp and plexmcp-refserver
	examples  string // the repository's examples/ folder
	terraform string // terraform (or tofu) binary
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var opts options
	flags := flag.NewFlagSet("plexmcp-demo", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&opts.binDir, "bin", "bin", "folder with the built provider and reference server")
	flags.StringVar(&opts.examples, "examples", "examples", "the examples folder to copy quickstart and modules from")
	flags.StringVar(&opts.terraform, "terraform", "terraform", "terraform binary")
	if err := flags.Parse(args); err != nil {
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
	if err := os.WriteFile(cliConfig, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/plexmcp/plexmcp" = %q
    "registry.opentofu.org/plexmcp/plexmcp" = %q
  }
  direct {}
}
`, binDir, binDir)), 0o600); err != nil {
		return err
	}

	srv, err := startServer(ctx, filepath.Join(binDir, "plexmcp-refserver"), filepath.Join(work, "refserver.log"))
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Fprintf(stdout, "==> Reference server listening at %s\n", srv.baseURL)

	tf := terraform{
		bin: opts.terraform,
		dir: filepath.Join(work, "examples", "quickstart"),
		env: append(filteredEnv(),
			"TF_CLI_CONFIG_FILE="+cliConfig,
			"TF_DATA_DIR="+filepath.Join(work, "tfdata"),
			"TF_IN_AUTOMATION=1",
			"CHECKPOINT_DISABLE=1",
			"PLEXMCP_BASE_URL="+srv.baseURL,
			"PLEXMCP_API_KEY="+srv.apiKey,
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
	summaryErr := summarize(ctx, tf, srv, stdout)
	fmt.Fprintln(stdout, "==> terraform destroy")
	destroyErr := tf.run(ctx, "destroy", "-auto-approve", "-input=false", "-compact-warnings")
	if err := errors.Join(summaryErr, destroyErr); err != nil {
		return err
	}
	if err := expectAllRevoked(ctx, srv); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "==> Done: every key was revoked, the server stopped, the working tree is untouched.")
	return nil
}

type keyOutput struct {
	ID        string   `json:"id"`
	KeyPrefix string   `json:"key_prefix"`
	MCPIDs    []string `json:"mcp_ids"`
	ExpiresAt *string  `json:"expires_at"`
}

// summarize prints, per environment, which seeded MCPs answer its key: each
// cell is a real invocation of the reference server.
func summarize(ctx context.Context, tf terraform, srv *server, w io.Writer) error {
	raw, err := tf.output(ctx, "-json")
	if err != nil {
		return err
	}
	var outputs struct {
		Keys    struct{ Value map[string]keyOutput }      `json:"keys"`
		Secrets struct{ Value map[string]plexmcp.Secret } `json:"secrets"`
	}
	if err := json.Unmarshal(raw, &outputs); err != nil {
		return fmt.Errorf("reading terraform output: %w", err)
	}
	admin, err := plexmcp.New(plexmcp.Config{BaseURL: srv.baseURL, APIKey: plexmcp.Secret(srv.apiKey)})
	if err != nil {
		return err
	}
	mcps, err := admin.ListMCPs(ctx, plexmcp.ListMCPsOptions{})
	if err != nil {
		return err
	}
	envs := make([]string, 0, len(outputs.Keys.Value))
	for env := range outputs.Keys.Value {
		envs = append(envs, env)
	}
	sort.Strings(envs)

	fmt.Fprintln(w, "\n==> Keys (prefixes only), and what each can invoke on the reference server:")
	fmt.Fprintf(w, "%-12s %-25s %-14s %-21s", "ENVIRONMENT", "KEY ID", "PREFIX", "EXPIRES")
	for _, m := range mcps {
		fmt.Fprintf(w, " %-14s", m.Name)
	}
	fmt.Fprintln(w)
	for _, env := range envs {
		k := outputs.Keys.Value[env]
		expires := "never"
		if k.ExpiresAt != nil {
			expires = *k.ExpiresAt
		}
		fmt.Fprintf(w, "%-12s %-25s %-14s %-21s", env, k.ID, k.KeyPrefix+"…", expires)
		client := admin.WithAPIKey(outputs.Secrets.Value[env])
		for _, m := range mcps {
			fmt.Fprintf(w, " %-14s", invokeCell(ctx, client, m))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	return nil
}

func invokeCell(ctx context.Context, c *plexmcp.Client, m plexmcp.MCP) string {
	if len(m.Tools) == 0 {
		return "no tools"
	}
	_, err := c.Invoke(ctx, plexmcp.InvokeRequest{MCPID: m.ID, Tool: m.Tools[0], Arguments: demoArguments[m.Tools[0]]})
	var apiErr *plexmcp.APIError
	switch {
	case err == nil:
		return "200 ok"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("%d %s", apiErr.StatusCode, apiErr.Code)
	default:
		return "error"
	}
}

var demoArguments = map[string]map[string]any{
	"get_weather": {"city": "Lisbon"},
	"add":         {"a": 2, "b": 3},
	"echo":        {"text": "hello"},
}

func expectAllRevoked(ctx context.Context, srv *server) error {
	admin, err := plexmcp.New(plexmcp.Config{BaseURL: srv.baseURL, APIKey: plexmcp.Secret(srv.apiKey)})
	if err != nil {
		return err
	}
	active, err := admin.ListAPIKeys(ctx, plexmcp.ListAPIKeysOptions{Status: plexmcp.StatusActive})
	if err != nil {
		return err
	}
	if len(active) != 0 {
		return fmt.Errorf("%d key(s) still active after destroy", len(active))
	}
	return nil
}

type terraform struct {
	bin            string
	dir            string
	env            []string
	stdout, stderr io.Writer
}

func (t terraform) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, t.bin, args...)
	cmd.Dir = t.dir
	cmd.Env = t.env
	cmd.Stderr = t.stderr
	return cmd
}

func (t terraform) run(ctx context.Context, args ...string) error {
	cmd := t.command(ctx, args...)
	cmd.Stdout = t.stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("terraform %s: %w", args[0], err)
	}
	return nil
}

// output returns `terraform output` without echoing it: it holds keys.
func (t terraform) output(ctx context.Context, args ...string) ([]byte, error) {
	out, err := t.command(ctx, append([]string{"output"}, args...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("terraform output: %w", err)
	}
	return out, nil
}

// filteredEnv drops the caller's Terraform and PlexMCP settings, so the
// demo behaves the same on every machine.
func filteredEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TF_") || strings.HasPrefix(kv, "PLEXMCP_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

type server struct {
	cmd     *exec.Cmd
	baseURL string
	apiKey  string
	// done is closed when the process has exited. Its exit status is not
	// kept: the demo stops the server on purpose.
	done chan struct{}
}

// startServer runs the reference server program on a free port and reads
// the lines it prints before it accepts connections.
func startServer(ctx context.Context, bin, logPath string) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-listen", "127.0.0.1:0")
	cmd.Env = filteredEnv()
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w (run make build first)", bin, err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	lines := bufio.NewScanner(stdout)
	for (s.baseURL == "" || s.apiKey == "") && lines.Scan() {
		name, value, _ := strings.Cut(lines.Text(), "=")
		switch name {
		case "PLEXMCP_BASE_URL":
			s.baseURL = value
		case "PLEXMCP_API_KEY":
			s.apiKey = value
		}
	}
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		_ = logFile.Close()
		close(s.done)
	}()
	if s.baseURL == "" || s.apiKey == "" {
		s.stop()
		return nil, errors.New("the reference server did not print PLEXMCP_BASE_URL and PLEXMCP_API_KEY")
	}
	return s, nil
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
