package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// startup is what starting the provider costs.
type startup struct {
	// handshake is exec of the provider binary to its go-plugin handshake
	// line, after which it serves gRPC.
	handshake time.Duration
	// schemaWith and schemaEmpty are `terraform providers schema -json`
	// with the provider and in an empty directory.
	schemaWith, schemaEmpty time.Duration
}

// measureStartup times the provider's start, opts.startups times each,
// and keeps the medians. The provider is the first one in subjects.
func (b *bench) measureStartup(ctx context.Context, subjects []*subject) (startup, error) {
	var st startup
	var provider *subject
	for _, s := range subjects {
		if s.role == roleProvider {
			provider = s
			break
		}
	}
	if b.opts.startups == 0 || provider == nil {
		return st, nil
	}
	fmt.Fprintln(b.progress, "==> start-up")
	emptyDir, err := b.dir("empty", "")
	if err != nil {
		return st, err
	}
	if st.handshake, err = b.repeat(ctx, b.handshake); err != nil {
		return st, err
	}
	if st.schemaEmpty, err = b.repeat(ctx, func(ctx context.Context) (time.Duration, error) {
		return b.schema(ctx, emptyDir, b.env(nil), "")
	}); err != nil {
		return st, err
	}
	st.schemaWith, err = b.repeat(ctx, func(ctx context.Context) (time.Duration, error) {
		return b.schema(ctx, provider.dir, provider.env, `"plexmcp_api_key"`)
	})
	return st, err
}

// handshake starts the provider binary as Terraform would and times it up
// to the go-plugin handshake line.
func (b *bench) handshake(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.providerBin)
	cmd.Env = b.env(nil,
		"TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
		"PLUGIN_PROTOCOL_VERSIONS=6")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	elapsed := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("provider handshake: %w", err)
	}
	if !strings.HasPrefix(line, "1|6|") {
		return 0, fmt.Errorf("provider handshake: unexpected %q", strings.TrimSpace(line))
	}
	return elapsed, nil
}

// schema times `terraform providers schema -json` in dir, and checks that
// the answer names want.
func (b *bench) schema(ctx context.Context, dir string, env []string, want string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, b.opts.terraform, "providers", "schema", "-json")
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("terraform providers schema in %s: %w: %s", filepath.Base(dir), err, truncate(out.String(), 2000))
	}
	elapsed := time.Since(start)
	if !strings.Contains(out.String(), want) {
		return 0, fmt.Errorf("terraform providers schema -json in %s did not return %s", filepath.Base(dir), want)
	}
	return elapsed, nil
}

// repeat runs f opts.startups times and returns the median.
func (b *bench) repeat(ctx context.Context, f func(context.Context) (time.Duration, error)) (time.Duration, error) {
	var ds []time.Duration
	for range b.opts.startups {
		d, err := f(ctx)
		if err != nil {
			return 0, err
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
