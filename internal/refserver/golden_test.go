package refserver

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The golden files in internal/testdata/api pin the wire format for both
// the server (here) and the client (internal/plexmcp), which share no Go
// types. Their README says which file is what.
const fixtureRoot = "../testdata/api"

// The fixture directories, one per API.
const (
	hostedFixtures = "hosted"
	serverFixtures = "server"
)

func readFixture(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureRoot, dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value:\n%s", b)
	}
	return v
}

func fixtureNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(fixtureRoot, dir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) < 10 {
		t.Fatalf("only %d fixtures in %s", len(names), dir)
	}
	return names
}

// TestFixturesAreDocumented keeps the README's tables and the directories
// in step: a fixture nobody can look up is as bad as a missing one.
func TestFixturesAreDocumented(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join(fixtureRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := strings.Split(string(readme), "\n## `")
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	for _, dir := range []string{hostedFixtures, serverFixtures} {
		var listed []string
		for _, s := range sections {
			if strings.HasPrefix(s, dir+"/`") {
				for _, m := range row.FindAllStringSubmatch(s, -1) {
					listed = append(listed, m[1])
				}
			}
		}
		files := fixtureNames(t, dir)
		for _, f := range files {
			if !slices.Contains(listed, f) {
				t.Errorf("%s/%s is not in the README's table", dir, f)
			}
		}
		for _, f := range listed {
			if !slices.Contains(files, f) {
				t.Errorf("the README lists %s/%s, which does not exist", dir, f)
			}
		}
	}
}

var (
	fixtureKey        = regexp.MustCompile(`^pmcp_01[0-9a-f]{80}$`)
	fixtureHostedID   = regexp.MustCompile(`^(key|mcp|user)_[0-9A-Za-z]+$`)
	fixtureUUID       = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	fixtureServerTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,8}[1-9])?(Z|[+-]\d{2}:\d{2})$`)
)

// fixtureTimeFields are the fields that hold a timestamp in either API.
var fixtureTimeFields = map[string]bool{
	"created_at": true, "updated_at": true, "expires_at": true, "revoked_at": true,
	"last_used": true, "last_used_at": true, "last_active": true, "timestamp": true,
	"health_checked_at": true, "last_health_check_at": true, "rotated_at": true,
	"period_start": true, "period_end": true,
}

// TestFixturesAreRealistic holds the fixtures to each API's formats, so a
// client test decoding them sees what a real server sends: well-formed
// pmcp_01 keys and prefixes derived from them as that API derives them,
// its ids, and its timestamps.
func TestFixturesAreRealistic(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{hostedFixtures, serverFixtures} {
		hosted := dir == hostedFixtures
		for _, name := range fixtureNames(t, dir) {
			if strings.HasSuffix(name, ".txt") {
				if b := readFixture(t, dir, name); bytes.ContainsAny(b, "\n\r") {
					t.Errorf("%s/%s: a plain-text body is one line without a newline", dir, name)
				}
				continue
			}
			if !strings.HasSuffix(name, ".json") {
				t.Errorf("%s/%s: fixtures are .json or .txt", dir, name)
				continue
			}
			var walk func(path string, v any)
			walk = func(path string, v any) {
				switch x := v.(type) {
				case map[string]any:
					checkFixtureKey(t, dir+"/"+name+path, x, hosted)
					for k, e := range x {
						s, isString := e.(string)
						switch {
						case !isString || strings.HasPrefix(path, ".error"): // messages, not values
						case fixtureTimeFields[k] && hosted:
							if _, err := time.Parse("2006-01-02T15:04:05Z", s); err != nil {
								t.Errorf("%s/%s%s.%s: %q is not UTC whole seconds with Z", dir, name, path, k, s)
							}
						case fixtureTimeFields[k]:
							if !fixtureServerTime.MatchString(s) {
								t.Errorf("%s/%s%s.%s: %q is not RFC 3339 with a trimmed fraction", dir, name, path, k, s)
							}
						case (k == "id" || k == "mcp_id") && hosted:
							if !fixtureHostedID.MatchString(s) {
								t.Errorf("%s/%s%s.%s: %q is not a key_, mcp_ or user_ id", dir, name, path, k, s)
							}
						case k == "id" || k == "key_id" || k == "created_by":
							if !fixtureUUID.MatchString(s) {
								t.Errorf("%s/%s%s.%s: %q is not a lowercase UUID v4", dir, name, path, k, s)
							}
						}
						walk(path+"."+k, e)
					}
				case []any:
					for _, e := range x {
						if s, ok := e.(string); ok && strings.HasSuffix(path, "allowed_mcp_ids") && !fixtureUUID.MatchString(s) {
							t.Errorf("%s/%s%s: %q is not a lowercase UUID v4", dir, name, path, s)
						}
						walk(path+"[]", e)
					}
				}
			}
			walk("", decodeJSON(t, readFixture(t, dir, name)))
		}
	}
}

// checkFixtureKey checks a key and the prefixes in one object.
func checkFixtureKey(t *testing.T, where string, obj map[string]any, hosted bool) {
	t.Helper()
	key, hasKey := obj["key"].(string)
	if hasKey && !fixtureKey.MatchString(key) {
		t.Errorf("%s: key %q is not pmcp_01 and 80 lowercase hex characters", where, key)
		return
	}
	if hosted {
		prefix, ok := obj["prefix"].(string)
		switch {
		case hasKey && prefix != key[:12]:
			t.Errorf("%s: prefix %q is not the key's first 12 characters", where, prefix)
		case ok && !fixtureKey.MatchString(prefix+strings.Repeat("0", 87-len(prefix))):
			t.Errorf("%s: prefix %q is not the start of a pmcp_01 key", where, prefix)
		}
		return
	}
	for _, field := range []string{"key_prefix", "old_key_prefix"} {
		prefix, ok := obj[field].(string)
		switch {
		case !ok:
		case len(prefix) != 20 || !strings.HasSuffix(prefix, "..."):
			t.Errorf("%s: %s %q is not 17 characters and ...", where, field, prefix)
		case !fixtureKey.MatchString(prefix[:17] + strings.Repeat("0", 70)):
			t.Errorf("%s: %s %q is not the start of a pmcp_01 key", where, field, prefix)
		case field == "key_prefix" && hasKey && prefix != key[:17]+"...":
			t.Errorf("%s: key_prefix %q is not the key's first 17 characters and ...", where, prefix)
		}
	}
}
