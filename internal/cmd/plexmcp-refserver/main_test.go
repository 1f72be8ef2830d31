package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// These tests set environment variables, so they do not run in parallel.

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// validKey returns a well-formed management key from the server itself.
func validKey(t *testing.T) string {
	t.Helper()
	s, err := refserver.New(refserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s.AdminKey()
}

type program struct {
	vars   map[string]string
	lines  []string
	stderr *syncBuffer
	stop   func() (rest string, err error) // cancels, waits, returns stdout after the three lines
}

// start runs the program as a shell would and reads the three lines it
// prints; it fails the test if they do not come first.
func start(t *testing.T, args ...string) *program {
	t.Helper()
	t.Setenv("PLEXMCP_API_KEY", "")
	t.Setenv("PLEXMCP_SECOND_ORG_API_KEY", "")
	return startWithEnv(t, args...)
}

func startWithEnv(t *testing.T, args ...string) *program {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	p := &program{vars: map[string]string{}, stderr: &syncBuffer{}}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, p.stderr)
		pw.Close()
		done <- err
	}()
	out := bufio.NewReader(pr)
	for range 3 {
		line, err := out.ReadString('\n')
		if err != nil {
			cancel()
			t.Fatalf("reading stdout: %v (stderr: %s, run: %v)", err, testsecrets.Hide(p.stderr.String()), <-done)
		}
		line = strings.TrimSuffix(line, "\n")
		p.lines = append(p.lines, line)
		name, value, _ := strings.Cut(line, "=")
		p.vars[name] = value
	}
	stopped := false
	p.stop = func() (string, error) {
		stopped = true
		cancel()
		rest, _ := io.ReadAll(out)
		return string(rest), <-done
	}
	t.Cleanup(func() {
		if !stopped {
			_, _ = p.stop()
		}
	})
	return p
}

func TestRunPrintsTheVariablesThenServes(t *testing.T) {
	key := validKey(t)
	p := start(t, "-listen", "127.0.0.1:0", "-admin-key", key)

	names := []string{"PLEXMCP_BASE_URL", "PLEXMCP_API_KEY", "PLEXMCP_SECOND_ORG_API_KEY"}
	for i, line := range p.lines {
		if !strings.HasPrefix(line, names[i]+"=") || strings.ContainsAny(line, `"' `) {
			t.Errorf("line %d is %q, want %s=… unquoted", i+1, line, names[i])
		}
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:[1-9][0-9]*/v1$`).MatchString(p.vars["PLEXMCP_BASE_URL"]) {
		t.Errorf("PLEXMCP_BASE_URL=%s", p.vars["PLEXMCP_BASE_URL"])
	}
	if p.vars["PLEXMCP_API_KEY"] != key {
		t.Errorf("PLEXMCP_API_KEY=%s, want the -admin-key value", testsecrets.Hide(p.vars["PLEXMCP_API_KEY"]))
	}
	second := p.vars["PLEXMCP_SECOND_ORG_API_KEY"]
	if !strings.HasPrefix(second, "pk_live_") || len(second) != 46 || second == key {
		t.Errorf("PLEXMCP_SECOND_ORG_API_KEY=%s (%d characters)", testsecrets.Hide(second), len(second))
	}

	// A real request to the printed URL with the printed key.
	req, _ := http.NewRequest("GET", p.vars["PLEXMCP_BASE_URL"]+"/mcps?name=Weather%20API", nil)
	req.Header.Set("Authorization", "Bearer "+p.vars["PLEXMCP_API_KEY"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"id":"mcp_weather"`) {
		t.Fatalf("GET /mcps: %d %s", resp.StatusCode, body)
	}

	rest, err := p.stop()
	if err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	if rest != "" {
		t.Errorf("stdout after the three lines: %q", rest)
	}
	log := p.stderr.String()
	if !regexp.MustCompile(`(?m)^GET /v1/mcps 200 \S+$`).MatchString(log) {
		t.Errorf("stderr has no access-log line for the request:\n%s", testsecrets.Hide(log, key))
	}
	if strings.Contains(log, key) || strings.Contains(log, "Weather") {
		t.Errorf("stderr leaks a key or query:\n%s", testsecrets.Hide(log, key))
	}
}

func TestRunTakesKeysFromTheEnvironment(t *testing.T) {
	first, second := validKey(t), validKey(t)
	t.Setenv("PLEXMCP_API_KEY", first)
	t.Setenv("PLEXMCP_SECOND_ORG_API_KEY", second)
	p := startWithEnv(t, "-listen", "127.0.0.1:0")
	if p.vars["PLEXMCP_API_KEY"] != first || p.vars["PLEXMCP_SECOND_ORG_API_KEY"] != second {
		t.Errorf("printed other keys than the environment's: %s", testsecrets.Hide(fmt.Sprint(p.vars)))
	}
	// The flag wins over the environment.
	flagKey := validKey(t)
	if p := startWithEnv(t, "-listen", "127.0.0.1:0", "-admin-key", flagKey); p.vars["PLEXMCP_API_KEY"] != flagKey {
		t.Errorf("PLEXMCP_API_KEY=%s, want the flag's", testsecrets.Hide(p.vars["PLEXMCP_API_KEY"]))
	}
}

func TestRunKnobs(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	p := start(t, "-listen", "127.0.0.1:0", "-state", state, "-rate-limit", "100", "-fail-rate", "0", "-clock-offset", "-2136h")
	base, key := p.vars["PLEXMCP_BASE_URL"], p.vars["PLEXMCP_API_KEY"]
	req, _ := http.NewRequest("POST", base+"/api-keys", strings.NewReader(`{"name":"kept","permissions":{"mcps":"*"},"expires_in_days":1}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-RateLimit-Limit") != "100" {
		t.Fatalf("create: %d, X-RateLimit-Limit %q: %s", resp.StatusCode, resp.Header.Get("X-RateLimit-Limit"), testsecrets.Hide(string(body)))
	}
	// The clock runs 89 days behind: the key is created in the past.
	created := regexp.MustCompile(`"created_at":"([^"]+)"`).FindSubmatch(body)
	if at, err := time.Parse(time.RFC3339, string(created[1])); err != nil || time.Since(at) < 2135*time.Hour {
		t.Errorf("created_at %s with -clock-offset -2136h", created[1])
	}
	if _, err := p.stop(); err != nil {
		t.Fatal(err)
	}

	// A restart on the same state still has the key.
	s, err := refserver.New(refserver.Config{StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	if keys := s.APIKeys(); len(keys) != 1 || keys[0].Name != "kept" {
		t.Errorf("after restart: %+v", keys)
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	t.Setenv("PLEXMCP_API_KEY", "")
	t.Setenv("PLEXMCP_SECOND_ORG_API_KEY", "")
	for name, tc := range map[string]struct {
		args  []string
		usage bool // a usage error (exit 2) rather than a runtime one
	}{
		"unknown flag":        {[]string{"-port", "1"}, true},
		"stray argument":      {[]string{"serve"}, true},
		"bad duration":        {[]string{"-clock-offset", "3 days"}, true},
		"bad rate":            {[]string{"-rate-limit", "fast"}, true},
		"fail rate above 1":   {[]string{"-listen", "127.0.0.1:0", "-fail-rate", "1.5"}, false},
		"negative rate limit": {[]string{"-listen", "127.0.0.1:0", "-rate-limit", "-1"}, false},
		"malformed admin key": {[]string{"-listen", "127.0.0.1:0", "-admin-key", "pk_live_xxxxxxxx"}, false},
		"bad listen address":  {[]string{"-listen", "127.0.0.1:99999"}, false},
		"unwritable state":    {[]string{"-listen", "127.0.0.1:0", "-state", filepath.Join(t.TempDir(), "missing", "s.json")}, false},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stdout, &stderr)
			if err == nil || errors.Is(err, errUsage) != tc.usage {
				t.Errorf("run = %v, want a usage error: %v", err, tc.usage)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed to stdout on failure: %q", testsecrets.Hide(stdout.String()))
			}
		})
	}
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, io.Discard, &stderr); !errors.Is(err, flag.ErrHelp) ||
		!strings.Contains(stderr.String(), "-clock-offset") || !strings.Contains(stderr.String(), "PLEXMCP_BASE_URL") {
		t.Errorf("-h: %v\n%s", err, stderr.String())
	}
}
