package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// secretPastPrefix matches a pmcp_01 key with more than a PlexMCP server's
// 17-character prefix showing: what the demo must never print.
var secretPastPrefix = regexp.MustCompile(`pmcp_01[0-9a-f]{11,}`)

// TestAccDemo runs the whole demo against each API with binaries built for
// the test, as make demo does, and checks what each key was shown to reach.
func TestAccDemo(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("TF_ACC is not set: the demo runs terraform")
	}
	tfBin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tfBin == "" {
		var err error
		if tfBin, err = exec.LookPath("terraform"); err != nil {
			t.Skip("no terraform on the PATH")
		}
	}
	bin := t.TempDir()
	for _, pkg := range []struct{ out, dir string }{
		{"terraform-provider-plexmcp", "../../.."},
		{"plexmcp-refserver", "../plexmcp-refserver"},
	} {
		cmd := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(bin, pkg.out), pkg.dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg.dir, err, out)
		}
	}

	// The quickstart grants production Weather API and Calculator, staging
	// Weather API, and development Sandbox; columns are sorted by name.
	want := [][]string{
		{"development", "denied", "ok", "denied"},
		{"production", "ok", "denied", "ok"},
		{"staging", "denied", "denied", "ok"},
	}
	for _, api := range []string{apiHosted, apiServer} {
		t.Run(api, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), []string{"-api", api, "-bin", bin, "-examples", "../../../examples", "-terraform", tfBin}, &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if err != nil {
				t.Fatalf("demo: %v\n%s", err, testsecrets.Hide(out))
			}
			if leak := secretPastPrefix.FindString(out); leak != "" {
				t.Errorf("the demo printed more of a key than its prefix: %s", testsecrets.Hide(leak))
			}
			if diff := cmp.Diff(want, reachCells(out)); diff != "" {
				t.Errorf("what each key reaches (-want +got):\n%s\noutput:\n%s", diff, testsecrets.Hide(out))
			}
			if !strings.Contains(out, "==> Done: every key was "+goneWord(api)) {
				t.Errorf("the demo did not finish:\n%s", testsecrets.Hide(out))
			}
		})
	}
}

// reachCells picks the environment and the cells out of each line of the
// demo's summary table.
func reachCells(out string) [][]string {
	var rows [][]string
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 5 || (f[0] != "development" && f[0] != "production" && f[0] != "staging") {
			continue
		}
		rows = append(rows, append([]string{f[0]}, f[4:]...))
	}
	return rows
}
