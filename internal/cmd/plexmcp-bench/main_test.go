package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

func TestParseOptions(t *testing.T) {
	t.Parallel()
	defaults := options{
		binDir: "bin", terraform: "terraform", apis: []string{apiHosted, apiServer},
		keys: 300, throttled: 40, rate: 5, rounds: 5, startups: 5,
	}
	with := func(f func(*options)) options {
		o := defaults
		o.apis = append([]string(nil), defaults.apis...)
		f(&o)
		return o
	}
	tests := []struct {
		name    string
		args    []string
		want    options
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{name: "one API", args: []string{"-apis", "server"}, want: with(func(o *options) { o.apis = []string{apiServer} })},
		{name: "APIs in another order, repeated, spaced", args: []string{"-apis", "server, hosted,server"},
			want: with(func(o *options) { o.apis = []string{apiServer, apiHosted} })},
		{name: "a quick run", args: []string{"-keys", "20", "-runs", "1", "-throttled-keys", "0", "-startups", "0"},
			want: with(func(o *options) { o.keys, o.rounds, o.throttled, o.startups = 20, 1, 0, 0 })},
		{name: "profiles", args: []string{"-cpuprofile", "/tmp/p"}, want: with(func(o *options) { o.cpuProfile = "/tmp/p" })},
		{name: "unknown API", args: []string{"-apis", "hosted,oss"}, wantErr: `-apis: "oss" is not an API: want hosted, server or both`},
		{name: "no API", args: []string{"-apis", ""}, wantErr: `-apis: "" is not an API`},
		{name: "no keys", args: []string{"-keys", "0"}, wantErr: "-keys must be at least 1"},
		{name: "no rounds", args: []string{"-runs", "0"}, wantErr: "-runs must be at least 1"},
		{name: "negative startups", args: []string{"-startups", "-1"}, wantErr: "cannot be negative"},
		{name: "no rate", args: []string{"-rate-limit", "0"}, wantErr: "-rate-limit must be positive"},
		{name: "no rate, nothing throttled", args: []string{"-rate-limit", "0", "-throttled-keys", "0"},
			want: with(func(o *options) { o.rate, o.throttled = 0, 0 })},
		{name: "stray argument", args: []string{"hosted"}, wantErr: `unexpected arguments ["hosted"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseOptions(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseOptions(%q) error = %v, want %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseOptions(%q): %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(options{})); diff != "" {
				t.Errorf("parseOptions(%q) mismatch (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestStatChildrenCPU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		stat string
		want time.Duration
	}{
		{
			// pid (comm) state ppid pgrp session tty tpgid flags minflt
			// cminflt majflt cmajflt utime stime cutime cstime ...
			name: "terraform",
			stat: "4242 (terraform) Z 1 4242 4242 0 -1 4194560 900 1200 0 0 150 30 212 41 20 0 12 0",
			want: 253 * clockTick,
		},
		{
			name: "a command name with spaces and parentheses",
			stat: "7 (a (b) c) S 1 7 7 0 -1 0 0 0 0 0 1 2 3 4 20 0",
			want: 7 * clockTick,
		},
		{name: "cut short", stat: "7 (x) S 1 7 7 0 -1 0 0 0 0 0 1 2", want: 0},
		{name: "not numbers", stat: "7 (x) S 1 7 7 0 -1 0 0 0 0 0 1 2 a b", want: 0},
		{name: "no command", stat: "garbage", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := statChildrenCPU([]byte(tt.stat)); got != tt.want {
				t.Errorf("statChildrenCPU(%q) = %s, want %s", tt.stat, got, tt.want)
			}
		})
	}
}

func TestStatusField(t *testing.T) {
	t.Parallel()
	status := "Name:\tterraform-provi\nPPid:\t4242\nVmHWM:\t   48128 kB\nVmRSS:\t   40000 kB\nEmpty:\n"
	tests := []struct {
		name string
		want int64
	}{
		{"PPid", 4242},
		{"VmHWM", 48128},
		{"VmPeak", 0},
		{"Empty", 0},
		{"Name", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := statusField([]byte(status), tt.name); got != tt.want {
				t.Errorf("statusField(%s) = %d, want %d", tt.name, got, tt.want)
			}
		})
	}
}

// TestWaitExitedLeavesTheProcessReadable checks the mechanism the CPU
// figures rest on: once a process has exited, and before it is reaped, its
// /proc entry still tells what the children it waited for used.
func TestWaitExitedLeavesTheProcessReadable(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	// The child counts for a while, so that it uses some CPU, and exits.
	cmd := exec.CommandContext(t.Context(), "sh", "-c", `sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done'; exit 3`)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := waitExited(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	cpu := childrenCPU(cmd.Process.Pid)
	err := cmd.Wait()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 3 {
		t.Fatalf("Wait after waitExited: %v; the exit status was lost", err)
	}
	if cpu <= 0 {
		t.Errorf("childrenCPU = %s, want the CPU time the waited-for child used", cpu)
	}
	if total := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(); cpu > total {
		t.Errorf("childrenCPU = %s, more than the %s of the process and its children together", cpu, total)
	}
}

func TestAccessLogCounter(t *testing.T) {
	t.Parallel()
	var c accessLogCounter
	// Writes that split lines anywhere, a panic report, and a dropped
	// connection.
	for _, chunk := range []string{
		"POST /v1/api-keys 201 1.2ms\nPOST /v1/api-k",
		"eys 429 80µs\nGET /v1/api-keys/key_1 200 900µs\n",
		"panic serving GET /v1/x *errors.errorString\ngoroutine 1 [running]:\n",
		"POST /v1/api-keys 000 3ms\nPOST /v1/api-keys 429 1ms\nPOST /v1/api-keys 201",
	} {
		if n, err := c.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	requests, n429s := c.count()
	if requests != 5 || n429s != 2 {
		t.Errorf("count = %d requests, %d 429s; want 5 and 2 (the unfinished last line not yet counted)", requests, n429s)
	}
}

func TestThrottledRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		run        throttledRun
		wantFloor  time.Duration
		wantTarget float64
	}{
		{"hosted, headers", throttledRun{api: apiHosted, headers: true, keys: 40, rate: 5}, 8 * time.Second, 1.3},
		{"hosted, no headers", throttledRun{api: apiHosted, keys: 40, rate: 5}, 8 * time.Second, 1.5},
		{"server: a POST and a GET per key", throttledRun{api: apiServer, keys: 40, rate: 5}, 16 * time.Second, 1.5},
		{"a fractional rate", throttledRun{api: apiHosted, keys: 3, rate: 0.5}, 6 * time.Second, 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.run.floor(); got != tt.wantFloor {
				t.Errorf("floor = %s, want %s", got, tt.wantFloor)
			}
			if got := tt.run.target(); got != tt.wantTarget {
				t.Errorf("target = %.1f, want %.1f", got, tt.wantTarget)
			}
		})
	}
}

func TestMedians(t *testing.T) {
	t.Parallel()
	l := lifecycle{rounds: []round{
		{apply: runResult{wall: 3 * time.Second, providerHWM: 30}},
		{apply: runResult{wall: 1 * time.Second, providerHWM: 50}},
		{apply: runResult{wall: 2 * time.Second, providerHWM: 40}},
	}}
	if got := median(l, applyPhase, wallOf); got != 2*time.Second {
		t.Errorf("median wall = %s, want 2s", got)
	}
	if got := median(l, applyPhase, providerHWMOf); got != 40 {
		t.Errorf("median peak memory = %d, want 40", got)
	}
	if got := medianOf([]float64{4, 1}); got != 4 {
		t.Errorf("medianOf of two = %g, want the upper middle 4", got)
	}
	if got := medianOf([]time.Duration(nil)); got != 0 {
		t.Errorf("medianOf of none = %s, want 0", got)
	}
	fw := lifecycle{rounds: []round{
		{apply: runResult{wall: 2 * time.Second}},
		{apply: runResult{wall: 1 * time.Second}},
	}}
	if diff := cmp.Diff([]float64{1.5, 1}, pairedRatios(l, fw, applyPhase)); diff != "" {
		t.Errorf("pairedRatios mismatch (-want +got):\n%s", diff)
	}
}

func TestRefreshRequests(t *testing.T) {
	t.Parallel()
	const get, list = "GET /v1/api-keys/{id}", "GET /v1/api-keys"
	clean := round{planRequests: map[string]int{get: 3}}
	tests := []struct {
		name     string
		rounds   []round
		wantText string
		wantOK   bool
	}{
		{
			name:     "one GET per key in every round",
			rounds:   []round{clean, clean},
			wantText: "3 GET /v1/api-keys/{id} for 3 keys and nothing else, in each of 2 rounds",
			wantOK:   true,
		},
		{
			name:     "a list call in one round",
			rounds:   []round{clean, {planRequests: map[string]int{get: 3, list: 1}}},
			wantText: "1.33 per key in a round: 3 GET /v1/api-keys/{id} for 3 keys, 1 list calls, 0 other requests (GET /v1/api-keys: 1, GET /v1/api-keys/{id}: 3)",
		},
		{
			name:     "a key read twice and another route",
			rounds:   []round{{planRequests: map[string]int{get: 4, "GET /v1/mcps": 2}}},
			wantText: "2.00 per key in a round: 4 GET /v1/api-keys/{id} for 3 keys, 0 list calls, 2 other requests (GET /v1/api-keys/{id}: 4, GET /v1/mcps: 2)",
		},
		{
			name:     "a key not read",
			rounds:   []round{{planRequests: map[string]int{get: 2}}},
			wantText: "0.67 per key in a round: 2 GET /v1/api-keys/{id} for 3 keys, 0 list calls, 0 other requests (GET /v1/api-keys/{id}: 2)",
		},
		{name: "no rounds", wantText: "no rounds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			text, ok := refreshRequests(lifecycle{rounds: tt.rounds}, get, list, 3)
			if text != tt.wantText || ok != tt.wantOK {
				t.Errorf("refreshRequests = %q, %t; want %q, %t", text, ok, tt.wantText, tt.wantOK)
			}
		})
	}
}

// TestReportVerdicts prints a report of made-up measurements and checks
// each target's verdict: the ratios are to the framework floor.
func TestReportVerdicts(t *testing.T) {
	t.Parallel()
	s := func(d float64) time.Duration { return time.Duration(d * float64(time.Second)) }
	// A provider uses half its wall time in CPU, unless cpu says (apply,
	// plan).
	phases := func(apply, plan float64, get string, keys int, cpu ...float64) round {
		applyCPU, planCPU := apply/2, plan/2
		if len(cpu) == 2 {
			applyCPU, planCPU = cpu[0], cpu[1]
		}
		r := round{
			apply:   runResult{wall: s(apply), providerCPU: s(applyCPU)},
			plan:    runResult{wall: s(plan), providerCPU: s(planCPU)},
			destroy: runResult{wall: s(1)},
		}
		if get != "" {
			r.planRequests = map[string]int{get: keys}
		}
		return r
	}
	srv := func(base string) *subject {
		return &subject{name: "plexmcp_api_key, " + base, role: roleProvider, api: base}
	}
	hosted, server := srv(apiHosted), srv(apiServer)
	// The subjects' servers are not running; routes only reads BaseURL.
	hosted.srv, server.srv = runningAt("http://127.0.0.1:1/v1"), runningAt("http://127.0.0.1:1/api/v1")
	rep := report{
		opts: options{keys: 10, rounds: 1, throttled: 40, rate: 5, apis: []string{apiHosted, apiServer}},
		subjects: []*subject{
			{name: "terraform_data", role: roleData},
			{name: "schema, framework", role: roleFramework},
			hosted, server,
		},
		lifecycles: []lifecycle{
			{rounds: []round{phases(0.5, 0.2, "", 0)}},
			{rounds: []round{phases(2, 1, "", 0)}},
			{rounds: []round{phases(2.2, 1.1, "GET /v1/api-keys/{id}", 10, 1.08, 0.55)}},
			{rounds: []round{phases(2.3, 1.05, "GET /api/v1/api-keys/{id}", 9, 1.2, 0.52)}},
		},
		throttled: []throttledRun{
			{api: apiHosted, headers: true, keys: 40, rate: 5, wall: s(10.4), requests: 40},
			{api: apiHosted, keys: 40, rate: 5, wall: s(12.1), requests: 45, n429s: 5},
			{api: apiServer, keys: 40, rate: 5, wall: s(24), requests: 90, n429s: 10},
		},
	}
	var out bytes.Buffer
	if err := rep.write(&out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for line := range strings.Lines(out.String()) {
		if strings.HasSuffix(strings.TrimSpace(line), "met") || strings.HasSuffix(strings.TrimSpace(line), "MISSED") {
			f := strings.Fields(line)
			got = append(got, strings.Join(f[:3], " ")+" … "+f[len(f)-1])
		}
	}
	want := []string{
		"apply of 10 … met",                // 2.2 / 2 = 1.10
		"plan (refresh) of … met",          // 1.1 / 1 = 1.10
		"the provider's own … met",         // +8% and +10% of the floor's 1 s and 0.5 s
		"exactly one GET … met",            // 10 GETs for 10 keys
		"throttled apply with … met",       // 10.4 / 8 = 1.30
		"throttled apply without … MISSED", // 12.1 / 8 > 1.5
		"apply of 10 … MISSED",             // 2.3 / 2 = 1.15
		"plan (refresh) of … met",          // 1.05
		"the provider's own … MISSED",      // +20% in apply
		"exactly one GET … MISSED",         // 9 GETs for 10 keys
		"throttled apply without … met",    // 24 / 16 = 1.5
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts mismatch (-want +got):\n%s\nreport:\n%s", diff, out.String())
	}
	for _, s := range []string{"2.20s (1.10×)", "0.50s (0.25×)", "2.00s (1.00×)", "round by round 1.10–1.10×", "+8.0% / +10.0%", "+20.0% / +4.0%"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the report lacks %q:\n%s", s, out.String())
		}
	}
}

// runningAt stands for a reference server at baseURL, for code that only
// reads its address.
func runningAt(baseURL string) *refserver.Running { return &refserver.Running{BaseURL: baseURL} }
