package acctest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// CLI runs the terraform (or tofu) binary of the acceptance tests by hand,
// for what the harness cannot drive (terraform query -generate-config-out):
// in a directory of the test's, with a private, empty CLI configuration,
// against the provider served in this process (ServeForReattach).
type CLI struct {
	bin, dir string
	env      []string
	secrets  []string
}

// NewCLI serves the provider for the length of the test and returns a CLI
// that runs in dir. Output it returns or reports goes through
// testsecrets.Hide, with secrets named.
func NewCLI(t *testing.T, dir string, secrets ...string) (*CLI, error) {
	reattach, stop, err := ServeForReattach(t)
	if err != nil {
		return nil, err
	}
	t.Cleanup(stop)
	rc := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(rc, []byte("# Empty on purpose: no user setting may change a test.\n"), 0o600); err != nil {
		return nil, err
	}
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		bin = "terraform"
	}
	var env []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); {
		case strings.HasPrefix(name, "TF_LOG"), name == "TF_REATTACH_PROVIDERS", name == "TF_CLI_CONFIG_FILE":
		default:
			env = append(env, kv)
		}
	}
	env = append(env, "TF_REATTACH_PROVIDERS="+reattach, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1")
	return &CLI{bin: bin, dir: dir, env: env, secrets: append(secrets, bootstrapKey)}, nil
}

// Run runs the binary with args and returns its combined output. A failure
// says how the command ended and what it printed, secrets hidden.
func (c *CLI) Run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.bin, append(args, "-no-color")...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	raw, err := cmd.CombinedOutput()
	out := testsecrets.Hide(string(raw), c.secrets...)
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return out, fmt.Errorf("%s %s exited with %d:\n%s", filepath.Base(c.bin), args[0], exit.ExitCode(), out)
		}
		return out, fmt.Errorf("running %s %s: %v", filepath.Base(c.bin), args[0], err)
	}
	return out, nil
}
