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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/acctest/syncbuf"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// These tests set environment variables, so they do not run in parallel.

type program struct {
	vars   map[string]string
	lines  []string
	stderr *syncbuf.Buffer
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
	p := &program{vars: map[string]string{}, stderr: &syncbuf.Buffer{}}
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

// get sends a request with a key in "Authorization: ApiKey …".
func get(t *testing.T, method, url, key, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "ApiKey "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(raw)
}

var keyShape = regexp.MustCompile(`^pmcp_01[0-9a-f]{80}$`)

func TestRunPrintsTheVariablesThenServes(t *testing.T) {
	key := refserver.NewBootstrapKey()
	p := start(t, "-listen", "127.0.0.1:0", "-admin-key", key)

	names := []string{"PLEXMCP_BASE_URL", "PLEXMCP_API_KEY", "PLEXMCP_SECOND_ORG_API_KEY"}
	for i, line := range p.lines {
		if !strings.HasPrefix(line, names[i]+"=") || strings.ContainsAny(line, `"' `) {
			t.Errorf("line %d is %q, want %s=… unquoted", i+1, testsecrets.Hide(line), names[i])
		}
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:[1-9][0-9]*/v1$`).MatchString(p.vars["PLEXMCP_BASE_URL"]) {
		t.Errorf("PLEXMCP_BASE_URL=%s", p.vars["PLEXMCP_BASE_URL"])
	}
	if p.vars["PLEXMCP_API_KEY"] != key {
		t.Errorf("PLEXMCP_API_KEY=%s, want the -admin-key value", testsecrets.Hide(p.vars["PLEXMCP_API_KEY"]))
	}
	second := p.vars["PLEXMCP_SECOND_ORG_API_KEY"]
	if !keyShape.MatchString(second) || second == key {
		t.Errorf("PLEXMCP_SECOND_ORG_API_KEY=%s (%d characters)", testsecrets.Hide(second), len(second))
	}

	// A real request to the printed URL with the printed key.
	resp, body := get(t, "GET", p.vars["PLEXMCP_BASE_URL"]+"/mcps?name=Weather%20API", p.vars["PLEXMCP_API_KEY"], "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"id":"mcp_weather"`) {
		t.Fatalf("GET /mcps: %d %s", resp.StatusCode, testsecrets.Hide(body))
	}

	rest, err := p.stop()
	if err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	if rest != "" {
		t.Errorf("stdout after the three lines: %q", testsecrets.Hide(rest))
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
	first, second := refserver.NewBootstrapKey(), refserver.NewBootstrapKey()
	t.Setenv("PLEXMCP_API_KEY", first)
	t.Setenv("PLEXMCP_SECOND_ORG_API_KEY", second)
	p := startWithEnv(t, "-listen", "127.0.0.1:0")
	if p.vars["PLEXMCP_API_KEY"] != first || p.vars["PLEXMCP_SECOND_ORG_API_KEY"] != second {
		t.Errorf("printed other keys than the environment's: %s", testsecrets.Hide(fmt.Sprint(p.vars)))
	}
	// The flag wins over the environment.
	flagKey := refserver.NewBootstrapKey()
	if p := startWithEnv(t, "-listen", "127.0.0.1:0", "-admin-key", flagKey); p.vars["PLEXMCP_API_KEY"] != flagKey {
		t.Errorf("PLEXMCP_API_KEY=%s, want the flag's", testsecrets.Hide(p.vars["PLEXMCP_API_KEY"]))
	}
}

func TestRunKnobs(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	p := start(t, "-listen", "127.0.0.1:0", "-state", state, "-rate-limit", "100", "-rate-limit-headers", "-fail-rate", "0",
		"-clock-offset", "-2136h", "-ignore-idempotency-key", "-key-quota", "3", "-key-propagation", "1h")
	base, key := p.vars["PLEXMCP_BASE_URL"], p.vars["PLEXMCP_API_KEY"]
	create := func(name string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", base+"/api-keys", strings.NewReader(`{"name":"`+name+`","permissions":{"mcps":"*"},"expires_in_days":1}`))
		req.Header.Set("Authorization", "ApiKey "+key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "same")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(raw)
	}
	resp, body := create("kept")
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-RateLimit-Limit") != "100" {
		t.Fatalf("create: %d, X-RateLimit-Limit %q: %s", resp.StatusCode, resp.Header.Get("X-RateLimit-Limit"), testsecrets.Hide(body))
	}
	// The clock runs 89 days behind: the key is created in the past.
	created := regexp.MustCompile(`"created_at":"([^"]+)"`).FindStringSubmatch(body)
	if at, err := time.Parse(time.RFC3339, created[1]); err != nil || time.Since(at) < 2135*time.Hour {
		t.Errorf("created_at %s with -clock-offset -2136h", created[1])
	}
	// -key-propagation: the new key is not usable yet.
	newKey := regexp.MustCompile(`"key":"([^"]+)"`).FindStringSubmatch(body)[1]
	if resp, _ := get(t, "GET", base+"/mcps", newKey, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a key still propagating: %d, want 401", resp.StatusCode)
	}
	// -ignore-idempotency-key: the same header makes a second key; then
	// -key-quota 3 (the bootstrap key and two) refuses a third.
	if resp, body := create("second"); resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("second create: %d %s", resp.StatusCode, testsecrets.Hide(body))
	}
	if resp, body := create("third"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("third create: %d %s, want 403 past the quota", resp.StatusCode, testsecrets.Hide(body))
	}
	if _, err := p.stop(); err != nil {
		t.Fatal(err)
	}

	// A restart on the same state still has the keys, and the bootstrap key
	// given again is not duplicated.
	s, err := refserver.New(refserver.Config{StatePath: state, AdminKey: key, SecondOrgAdminKey: p.vars["PLEXMCP_SECOND_ORG_API_KEY"]})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range s.APIKeys() {
		names = append(names, k.Name)
	}
	slices.Sort(names)
	if strings.Join(names, ",") != "bootstrap,bootstrap,kept,second" {
		t.Errorf("after restart: %v", names)
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
		"unknown API":         {[]string{"-api", "cloud"}, true},
		"bad quota":           {[]string{"-key-quota", "many"}, true},
		"fail rate above 1":   {[]string{"-listen", "127.0.0.1:0", "-fail-rate", "1.5"}, false},
		"negative rate limit": {[]string{"-listen", "127.0.0.1:0", "-rate-limit", "-1"}, false},
		"negative quota":      {[]string{"-listen", "127.0.0.1:0", "-key-quota", "-1"}, false},
		"malformed admin key": {[]string{"-listen", "127.0.0.1:0", "-admin-key", "pmcp_xxxxxxxx"}, false},
		"legacy admin key":    {[]string{"-listen", "127.0.0.1:0", "-admin-key", "pk_live_AbCdEfGhIjKlMnOpQrStUvWxYz012345abcdef"}, false},
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
	err := run(context.Background(), []string{"-h"}, io.Discard, &stderr)
	usage := stderr.String()
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(usage, "PLEXMCP_BASE_URL") {
		t.Errorf("-h: %v\n%s", err, usage)
	}
	// Redaction leaves what is no longer than a key's public prefix alone.
	if !strings.Contains(usage, "a pmcp_01 key") || strings.Contains(usage, "[redacted]") {
		t.Errorf("-h garbles the key format:\n%s", usage)
	}
	// The usage names exactly the flags of the contract.
	for _, f := range []string{"listen", "admin-key", "state", "rate-limit", "rate-limit-headers", "fail-rate", "clock-offset",
		"ignore-idempotency-key", "api", "key-quota", "key-propagation"} {
		if !strings.Contains(usage, "\n  -"+f+" ") && !strings.Contains(usage, "\n  -"+f+"\n") {
			t.Errorf("-h does not list -%s:\n%s", f, usage)
		}
	}
	if n := strings.Count(usage, "\n  -"); n != 11 {
		t.Errorf("-h lists %d flags, want the contract's 11:\n%s", n, usage)
	}
}

// TestRunNeverEchoesAKey misplaces a key on the command line, as a shell
// word in the wrong place does: the usage errors must not print it.
func TestRunNeverEchoesAKey(t *testing.T) {
	t.Setenv("PLEXMCP_API_KEY", "")
	t.Setenv("PLEXMCP_SECOND_ORG_API_KEY", "")
	key := refserver.NewBootstrapKey()
	for name, args := range map[string][]string{
		"a stray argument":         {"-listen", "127.0.0.1:0", "-admin-key=", key},
		"a numeric flag's value":   {"-rate-limit", key},
		"a duration flag's value":  {"-key-propagation", key},
		"the -api flag's value":    {"-api", key},
		"a legacy key, stray":      {"pk_live_AbCdEfGhIjKlMnOpQrStUvWxYz012345abcdef"},
		"a key with a scheme word": {"ApiKey", key},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), args, &stdout, &stderr); !errors.Is(err, errUsage) {
				t.Errorf("run = %v, want a usage error", err)
			}
			secret := args[len(args)-1]
			if stderr.Len() == 0 || strings.Contains(stderr.String(), secret[12:]) {
				t.Errorf("stderr is empty or holds the key:\n%s", testsecrets.Hide(stderr.String(), secret))
			}
		})
	}
}

// TestRunLogsNoKeyItWasSent sends a key where the access log quotes the
// request: in the path, and as the method, a token net/http accepts from a
// misplaced shell word (curl -X "$PLEXMCP_API_KEY"). stderr must show at
// most a key's public prefix.
func TestRunLogsNoKeyItWasSent(t *testing.T) {
	for _, api := range []string{refserver.APIHosted, refserver.APIServer} {
		t.Run(api, func(t *testing.T) {
			key := refserver.NewBootstrapKey()
			p := start(t, "-listen", "127.0.0.1:0", "-api", api, "-admin-key", key)
			base := p.vars["PLEXMCP_BASE_URL"]
			get(t, "GET", base+"/api-keys/"+key, key, "")
			get(t, key, base+"/mcps", key, "")
			if _, err := p.stop(); err != nil {
				t.Fatal(err)
			}
			log := p.stderr.String()
			if lines := strings.Count(log, "\n"); lines != 2 {
				t.Errorf("%d lines on stderr, want one per request:\n%s", lines, testsecrets.Hide(log, key))
			}
			if strings.Contains(log, key[12:]) {
				t.Errorf("stderr holds the key past its public prefix:\n%s", testsecrets.Hide(log, key))
			}
		})
	}
}

func TestRunServesAPlexMCPServer(t *testing.T) {
	p := start(t, "-listen", "127.0.0.1:0", "-api", "server", "-key-quota", "2")
	base, key := p.vars["PLEXMCP_BASE_URL"], p.vars["PLEXMCP_API_KEY"]
	if !regexp.MustCompile(`^http://127\.0\.0\.1:[1-9][0-9]*/api/v1$`).MatchString(base) || !keyShape.MatchString(key) {
		t.Fatalf("PLEXMCP_BASE_URL=%s, PLEXMCP_API_KEY=%s", base, testsecrets.Hide(key))
	}
	origin := strings.TrimSuffix(base, "/api/v1")
	if resp, body := get(t, "GET", origin+"/health", "", ""); resp.StatusCode != http.StatusOK ||
		body != `{"status":"healthy","version":"1.0.0","database":"healthy"}` {
		t.Errorf("GET /health: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(t, "GET", base+"/api-keys", key, ""); resp.StatusCode != http.StatusOK || body != `{"api_keys":[],"total":0}` {
		t.Errorf("GET /api-keys: %d %s", resp.StatusCode, testsecrets.Hide(body))
	}
	if resp, _ := get(t, "POST", base+"/api-keys", key, `{"name":"second"}`); resp.StatusCode != http.StatusCreated {
		t.Errorf("the second key of a quota of 2: %d", resp.StatusCode)
	}
	if resp, body := get(t, "POST", base+"/api-keys", key, `{"name":"third"}`); resp.StatusCode != http.StatusPaymentRequired ||
		!strings.Contains(body, "QUOTA_EXCEEDED") {
		t.Errorf("past -key-quota: %d %s", resp.StatusCode, testsecrets.Hide(body))
	}
	if _, err := p.stop(); err != nil {
		t.Fatal(err)
	}
	if log := p.stderr.String(); !strings.Contains(log, "GET /health 200 ") || !strings.Contains(log, "GET /api/v1/api-keys 200 ") {
		t.Errorf("stderr:\n%s", testsecrets.Hide(log, key))
	}
}
