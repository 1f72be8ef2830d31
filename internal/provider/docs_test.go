package provider_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The documentation sends users to this repository's modules at a release
// tag. That tag must be the release the documentation describes, the
// newest in CHANGELOG.md: a module of another release is written for
// another provider (v0.1.0's environment-keys module sets mode, which 0.2.0
// refuses as an unsupported argument).
func TestDocsModuleRefsAreThisRelease(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	newest := regexp.MustCompile(`(?m)^## (\d+\.\d+\.\d+)\b`).FindSubmatch(changelog)
	if newest == nil {
		t.Fatal("CHANGELOG.md names no release")
	}
	release := "v" + string(newest[1])

	moduleRef := regexp.MustCompile(`github\.com/plexmcp/terraform-provider-plexmcp//[^"?\s]+\?ref=([^"\s` + "`" + `]+)`)
	found := 0
	for _, top := range []string{"README.md", "templates", "examples"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			text, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range moduleRef.FindAllStringSubmatch(string(text), -1) {
				found++
				if m[1] != release {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s points users at a module of %s; the documentation describes %s: %s",
						rel, m[1], release, strings.TrimSpace(m[0]))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if found == 0 {
		t.Error("no documentation points at a module of this repository by release: this test checks nothing")
	}
}
