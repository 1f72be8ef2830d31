package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// terraform runs terraform commands in one directory with one environment.
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

// run runs one command with its output shown to the user.
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

// filteredEnv drops the caller's Terraform and PlexMCP settings from
// environ, so the demo behaves the same on every machine and never touches
// the caller's own CLI configuration or PlexMCP organisation.
func filteredEnv(environ []string) []string {
	var env []string
	for _, kv := range environ {
		if strings.HasPrefix(kv, "TF_") || strings.HasPrefix(kv, "PLEXMCP_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// writeCLIConfig writes a Terraform CLI configuration that serves the
// provider from binDir (for Terraform and OpenTofu) and installs anything
// else as usual.
func writeCLIConfig(path, binDir string) error {
	return os.WriteFile(path, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/plexmcp/plexmcp" = %[1]q
    "registry.opentofu.org/plexmcp/plexmcp" = %[1]q
  }
  direct {}
}
`, binDir)), 0o600)
}

// copyTree copies src to dst, leaving out any .terraform folder.
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
