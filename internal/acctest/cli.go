package acctest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"

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

// NewCLI returns a CLI that runs in dir, with the provider served for the
// length of the test. Like the harness, it skips the test unless TF_ACC is
// set, and when the binary (TF_ACC_TERRAFORM_PATH, else terraform on the
// PATH) is older than minimum; pre-releases count as their release. Output
// it returns or reports goes through testsecrets.Hide, with secrets named.
func NewCLI(t *testing.T, dir string, minimum *version.Version, secrets ...string) *CLI {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance tests run only with TF_ACC=1")
	}
	setup()
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		bin = "terraform"
	}
	rc := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(rc, []byte("# Empty on purpose: no user setting may change a test.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); {
		case strings.HasPrefix(name, "TF_LOG"), name == "TF_REATTACH_PROVIDERS", name == "TF_CLI_CONFIG_FILE":
		default:
			env = append(env, kv)
		}
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	c := &CLI{bin: bin, dir: dir, env: env, secrets: append(secrets, bootstrapKey)}

	out, err := c.Run(t.Context(), "version", "-json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("reading %s version -json: %v", bin, err)
	}
	got, err := version.NewVersion(v.Version)
	if err != nil {
		t.Fatalf("reading %s version -json: %v", bin, err)
	}
	if got.Core().LessThan(minimum) {
		t.Skipf("%s %s is older than %s: skipping test", filepath.Base(bin), got, minimum)
	}

	reattach, stop, err := ServeForReattach(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	c.env = append(c.env, "TF_REATTACH_PROVIDERS="+reattach)
	return c
}

// Run runs the binary with args and returns what it printed to stdout. A
// failure says how the command ended and what it printed, secrets hidden.
func (c *CLI) Run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	out := testsecrets.Hide(string(raw), c.secrets...)
	if err != nil {
		printed := out + testsecrets.Hide(stderr.String(), c.secrets...)
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return out, fmt.Errorf("%s %s exited with %d:\n%s", filepath.Base(c.bin), args[0], exit.ExitCode(), printed)
		}
		return out, fmt.Errorf("running %s %s: %v\n%s", filepath.Base(c.bin), args[0], err, printed)
	}
	return out, nil
}
