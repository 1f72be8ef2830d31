// Command plexmcp-bench is what `make bench` runs: it times real terraform
// with the provider just built (through a private dev_overrides CLI
// configuration) against a reference server in this process, next to
// Terraform's built-in terraform_data as the floor that no provider can beat,
// and prints one table:
//
//   - wall time of apply, plan (which refreshes) and destroy of N keys
//     against N terraform_data, and their ratios, with two more floors in
//     between: the same schema served with no provider work at all,
//     straight through the protocol and through the framework
//     (terraform-provider-plexmcpfloor), so that what Terraform costs for
//     the schema and what the provider adds can be told apart;
//   - API requests per refreshed key during that plan, from the server's
//     own counters;
//   - a throttled apply against a rate-limited server, as a ratio of the
//     floor that the rate limit itself sets;
//   - provider start-up (exec to the go-plugin handshake, and the extra time
//     `terraform providers schema -json` takes with the provider);
//   - peak memory (VmHWM) of the provider and terraform processes, sampled
//     from /proc during the apply.
//
// It works in a temporary directory and never prints a key.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/refserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench failed:", err)
		os.Exit(1)
	}
}

type options struct {
	binDir    string
	terraform string
	keys      int     // keys (and terraform_data) in the main comparison
	throttled int     // keys in the throttled apply
	rate      float64 // the throttled server's requests per second
	runs      int     // repetitions of each apply, plan and destroy
	startups  int     // repetitions of the start-up measurements
}

// Targets the numbers are held to.
const (
	targetApply     = 1.8
	targetRefresh   = 3.2
	targetThrottled = 1.3
)

// Reference server routes as RequestCounts names them.
const (
	routeGetKey   = "GET /v1/api-keys/{id}"
	routeListKeys = "GET /v1/api-keys"
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var opts options
	flags := flag.NewFlagSet("plexmcp-bench", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&opts.binDir, "bin", "bin", "folder with the built terraform-provider-plexmcp")
	flags.StringVar(&opts.terraform, "terraform", "terraform", "terraform binary")
	flags.IntVar(&opts.keys, "keys", 300, "keys (and terraform_data resources) to apply, refresh and destroy")
	flags.IntVar(&opts.throttled, "throttled-keys", 40, "keys in the throttled apply")
	flags.Float64Var(&opts.rate, "rate-limit", 5, "requests per second the throttled server allows")
	flags.IntVar(&opts.runs, "runs", 3, "repetitions of each apply, plan and destroy (the median is shown)")
	flags.IntVar(&opts.startups, "startups", 5, "repetitions of the start-up measurements (the median is shown)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	binDir, err := filepath.Abs(opts.binDir)
	if err != nil {
		return err
	}
	providerBin := filepath.Join(binDir, "terraform-provider-plexmcp")
	for _, bin := range []string{providerBin, filepath.Join(binDir, "terraform-provider-plexmcpfloor")} {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("%w (make bench builds it)", err)
		}
	}

	work, err := os.MkdirTemp("", "plexmcp-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	cliConfig := filepath.Join(work, "terraformrc")
	if err := os.WriteFile(cliConfig, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/plexmcp/plexmcp" = %[1]q
    "registry.opentofu.org/plexmcp/plexmcp" = %[1]q
    "registry.terraform.io/plexmcp/plexmcpfloor" = %[1]q
    "registry.opentofu.org/plexmcp/plexmcpfloor" = %[1]q
  }
  direct {}
}
`, binDir)), 0o600); err != nil {
		return err
	}
	b := &bench{opts: opts, work: work, cliConfig: cliConfig, providerBin: providerBin}

	fmt.Fprintf(stdout, "plexmcp-bench: %s\n", b.machine(ctx))
	fmt.Fprintf(stdout, "load average before: %s\n\n", loadAverage())

	// 1. N keys against N terraform_data: apply, plan (refresh), destroy.
	floorDir, err := b.dir("floor", fmt.Sprintf(`
resource "terraform_data" "bench" {
  count = %d
  input = "bench-${count.index}"
}
`, opts.keys))
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "==> floor: %d terraform_data\n", opts.keys)
	floor, err := b.lifecycle(ctx, floorDir, nil, nil, nil)
	if err != nil {
		return fmt.Errorf("terraform_data: %w", err)
	}

	srv, err := refserver.Start("", refserver.Config{})
	if err != nil {
		return err
	}
	defer srv.Close()
	noneActive := func() error {
		if n := activeKeys(srv); n != 0 {
			return fmt.Errorf("%d key(s) still active after destroy", n)
		}
		return nil
	}
	keysDir, err := b.dir("keys", keysConfig("plexmcp", opts.keys))
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "==> plexmcp: %d plexmcp_api_key\n", opts.keys)
	plex, err := b.lifecycle(ctx, keysDir, srv, nil, noneActive)
	if err != nil {
		return fmt.Errorf("plexmcp_api_key: %w", err)
	}

	// The same schema with no provider work at all, through the framework
	// and straight through the protocol: what Terraform and the plugin
	// stack cost before the provider does anything.
	schemaDir, err := b.dir("schema", keysConfig("plexmcpfloor", opts.keys))
	if err != nil {
		return err
	}
	var schemaFloor [2]lifecycleResult
	for i, stack := range []string{"protocol", "framework"} {
		fmt.Fprintf(stderr, "==> schema floor (%s): %d plexmcpfloor_api_key\n", stack, opts.keys)
		if schemaFloor[i], err = b.lifecycle(ctx, schemaDir, nil, []string{"PLEXMCPFLOOR_SERVER=" + stack}, nil); err != nil {
			return fmt.Errorf("schema floor (%s): %w", stack, err)
		}
	}
	protocolFloor, frameworkFloor := schemaFloor[0], schemaFloor[1]

	// 2. A throttled apply: the rate limit alone needs keys/rate seconds.
	var throttleLog lineCounter
	slow, err := refserver.Start("", refserver.Config{RateLimit: opts.rate, AccessLog: &throttleLog})
	if err != nil {
		return err
	}
	defer slow.Close()
	slowDir, err := b.dir("throttled", keysConfig("plexmcp", opts.throttled))
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "==> throttled: %d plexmcp_api_key at %g requests/s\n", opts.throttled, opts.rate)
	throttled, err := b.terraform(ctx, slowDir, slow, nil, "apply", "-auto-approve", "-input=false")
	if err != nil {
		return err
	}
	throttledRequests, throttled429 := throttleLog.count()
	if _, err := b.terraform(ctx, slowDir, slow, nil, "destroy", "-auto-approve", "-input=false"); err != nil {
		return err
	}

	// 3. Start-up.
	fmt.Fprintln(stderr, "==> start-up")
	handshake, err := b.repeat(ctx, b.handshake)
	if err != nil {
		return fmt.Errorf("provider handshake: %w", err)
	}
	emptyDir, err := b.dir("empty", "")
	if err != nil {
		return err
	}
	schemaEmpty, err := b.repeat(ctx, func(ctx context.Context) (time.Duration, error) { return b.schema(ctx, emptyDir, nil) })
	if err != nil {
		return err
	}
	schemaPlex, err := b.repeat(ctx, func(ctx context.Context) (time.Duration, error) { return b.schema(ctx, keysDir, srv) })
	if err != nil {
		return err
	}

	// The table.
	w := stdout
	n := opts.keys
	fmt.Fprintf(w, "median of %d runs; ratios are to terraform_data\n", max(opts.runs, 1))
	fmt.Fprintf(w, "%-24s %14s %17s %17s %17s  %s\n", fmt.Sprintf("wall time, %d resources", n),
		"terraform_data", "schema, protocol", "schema, framework", "plexmcp_api_key", "target")
	cell := func(r, floor runResult) string {
		return fmt.Sprintf("%s %6.2f×", secs(r.wall), ratio(r.wall, floor.wall))
	}
	row := func(name string, get func(lifecycleResult) runResult, target float64) {
		f := get(floor)
		plexRatio := ratio(get(plex).wall, f.wall)
		protocolRatio, frameworkRatio := ratio(get(protocolFloor).wall, f.wall), ratio(get(frameworkFloor).wall, f.wall)
		want := fmt.Sprintf("≤ %.1f×", target)
		v := ""
		// A target below a floor cannot be met by any provider built on
		// that floor's stack; say so rather than only "missed".
		switch {
		case target == 0:
		case plexRatio <= target:
			v = verdict(true, want)
		case protocolRatio > target:
			v = fmt.Sprintf("%-8s MISSED: out of reach, the schema's protocol floor is %.2f×", want, protocolRatio)
		case frameworkRatio > target:
			v = fmt.Sprintf("%-8s MISSED: out of reach with the framework, whose floor is %.2f×", want, frameworkRatio)
		default:
			v = verdict(false, want)
		}
		fmt.Fprintf(w, "%-24s %14s %17s %17s %17s  %s\n", name, secs(f.wall),
			cell(get(protocolFloor), f), cell(get(frameworkFloor), f), cell(get(plex), f), v)
	}
	row("apply", func(r lifecycleResult) runResult { return r.apply }, targetApply)
	row("plan (refreshes)", func(r lifecycleResult) runResult { return r.plan }, targetRefresh)
	row("destroy", func(r lifecycleResult) runResult { return r.destroy }, 0)
	cpu := func(l lifecycleResult) string { return secs(l.apply.cpu) + "/" + secs(l.plan.cpu) }
	providerCPU := func(l lifecycleResult) string {
		return secs(l.apply.providerCPU) + "/" + secs(l.plan.providerCPU)
	}
	fmt.Fprintf(w, "%-24s %14s %17s %17s %17s\n", "CPU, apply/plan", cpu(floor), cpu(protocolFloor), cpu(frameworkFloor), cpu(plex))
	fmt.Fprintf(w, "%-24s %14s %17s %17s %17s\n", "  of which the provider", "", providerCPU(protocolFloor), providerCPU(frameworkFloor), providerCPU(plex))
	fmt.Fprintln(w, "schema, protocol/framework: plexmcp_api_key's schema served with no provider work at all, straight")
	fmt.Fprintln(w, "through terraform-plugin-go / through terraform-plugin-framework (internal/cmd/terraform-provider-plexmcpfloor)")
	fmt.Fprintln(w)

	gets, lists := plex.planRequests[routeGetKey], plex.planRequests[routeListKeys]
	others := 0
	for route, c := range plex.planRequests {
		if route != routeGetKey {
			others += c
		}
	}
	fmt.Fprintf(w, "%-34s %.2f (%d GET /v1/api-keys/{id} for %d keys, %d list calls, %d other requests) %s\n",
		"requests per refreshed key", float64(gets+others)/float64(n), gets, n, lists, others-lists,
		verdict(gets == n && others == 0, "1 GET, no list:"))
	floorThrottled := time.Duration(float64(opts.throttled) / opts.rate * float64(time.Second))
	tr := ratio(throttled.wall, floorThrottled)
	fmt.Fprintf(w, "%-34s %s against a floor of %d/%g = %s: %.2f× (%d requests, %d answered 429) %s\n",
		fmt.Sprintf("throttled apply (%d keys at %g/s)", opts.throttled, opts.rate), secs(throttled.wall),
		opts.throttled, opts.rate, secs(floorThrottled), tr, throttledRequests, throttled429,
		verdict(tr <= targetThrottled, fmt.Sprintf("≤ %.1f×", targetThrottled)))
	fmt.Fprintf(w, "%-34s %s (median of %d: exec of the provider binary to its go-plugin handshake line)\n",
		"provider start-up", ms(handshake), opts.startups)
	fmt.Fprintf(w, "%-34s %s with the provider, %s in an empty directory: +%s (median of %d)\n",
		"terraform providers schema -json", ms(schemaPlex), ms(schemaEmpty), ms(schemaPlex-schemaEmpty), opts.startups)
	fmt.Fprintf(w, "%-34s provider %s, terraform %s, during the apply of %d keys (terraform alone: %s for %d terraform_data)\n",
		"peak memory (VmHWM)", mib(plex.apply.providerHWM), mib(plex.apply.terraformHWM), n, mib(floor.apply.terraformHWM), n)
	fmt.Fprintf(w, "\nload average after: %s\n", loadAverage())
	return nil
}

type bench struct {
	opts        options
	work        string
	cliConfig   string
	providerBin string
}

// keysConfig declares n keys of the named provider's api_key resource.
func keysConfig(provider string, n int) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    %[1]s = {
      source = "plexmcp/%[1]s"
    }
  }
}

provider "%[1]s" {}

resource "%[1]s_api_key" "bench" {
  count    = %[2]d
  name     = "bench-${count.index}"
  all_mcps = true
}
`, provider, n)
}

func (b *bench) dir(name, config string) (string, error) {
	dir := filepath.Join(b.work, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600)
}

type lifecycleResult struct {
	apply, plan, destroy runResult
	planRequests         map[string]int
}

// lifecycle applies dir, plans it again (a refresh of everything, which
// must find nothing to change) and destroys it, opts.runs times, and keeps
// the median of each measurement.
func (b *bench) lifecycle(ctx context.Context, dir string, srv *refserver.Running, env []string, afterDestroy func() error) (lifecycleResult, error) {
	var runs []lifecycleResult
	for range max(b.opts.runs, 1) {
		r, err := b.lifecycleOnce(ctx, dir, srv, env, afterDestroy)
		if err != nil {
			return r, err
		}
		runs = append(runs, r)
	}
	phase := func(get func(lifecycleResult) runResult) runResult {
		var rs []runResult
		for _, r := range runs {
			rs = append(rs, get(r))
		}
		return runResult{
			wall:         median(rs, func(r runResult) time.Duration { return r.wall }),
			cpu:          median(rs, func(r runResult) time.Duration { return r.cpu }),
			providerCPU:  median(rs, func(r runResult) time.Duration { return r.providerCPU }),
			providerHWM:  median(rs, func(r runResult) int64 { return r.providerHWM }),
			terraformHWM: median(rs, func(r runResult) int64 { return r.terraformHWM }),
		}
	}
	return lifecycleResult{
		apply:        phase(func(r lifecycleResult) runResult { return r.apply }),
		plan:         phase(func(r lifecycleResult) runResult { return r.plan }),
		destroy:      phase(func(r lifecycleResult) runResult { return r.destroy }),
		planRequests: runs[len(runs)-1].planRequests,
	}, nil
}

func median[T any, V int64 | time.Duration](xs []T, f func(T) V) V {
	vs := make([]V, 0, len(xs))
	for _, x := range xs {
		vs = append(vs, f(x))
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

func (b *bench) lifecycleOnce(ctx context.Context, dir string, srv *refserver.Running, env []string, afterDestroy func() error) (lifecycleResult, error) {
	var res lifecycleResult
	var err error
	if res.apply, err = b.terraform(ctx, dir, srv, env, "apply", "-auto-approve", "-input=false"); err != nil {
		return res, err
	}
	var before map[string]int
	if srv != nil {
		before = srv.RequestCounts()
	}
	// -detailed-exitcode: 0 is an empty plan, 2 a plan with changes.
	if res.plan, err = b.terraform(ctx, dir, srv, env, "plan", "-input=false", "-detailed-exitcode"); err != nil {
		return res, fmt.Errorf("%w (exit status 2 means the plan after apply was not empty)", err)
	}
	if srv != nil {
		res.planRequests = map[string]int{}
		for route, c := range srv.RequestCounts() {
			if d := c - before[route]; d != 0 {
				res.planRequests[route] = d
			}
		}
	}
	if res.destroy, err = b.terraform(ctx, dir, srv, env, "destroy", "-auto-approve", "-input=false"); err != nil {
		return res, err
	}
	if afterDestroy != nil {
		err = afterDestroy()
	}
	return res, err
}

type runResult struct {
	wall time.Duration
	// cpu is user+system time of terraform and the providers it waited
	// for (wait4's rusage); providerCPU is the provider's part, sampled.
	cpu, providerCPU          time.Duration
	providerHWM, terraformHWM int64 // bytes; 0 if never seen
}

const sampleEvery = 50 * time.Millisecond

// terraform runs one command in dir, timing it and sampling, from /proc,
// the peak memory of terraform and of the provider processes it starts.
func (b *bench) terraform(ctx context.Context, dir string, srv *refserver.Running, extraEnv []string, args ...string) (runResult, error) {
	cmd := exec.CommandContext(ctx, b.opts.terraform, append(args, "-no-color")...)
	cmd.Dir = dir
	cmd.Env = append(b.env(srv), extraEnv...)
	logPath := filepath.Join(dir, args[0]+".log")
	out, err := os.Create(logPath)
	if err != nil {
		return runResult{}, err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return runResult{}, err
	}
	var res runResult
	providers := map[int]procSample{}
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			res.terraformHWM = max(res.terraformHWM, sample(cmd.Process.Pid).hwm)
			for _, pid := range newChildren(cmd.Process.Pid, "terraform-provi") {
				if s := sample(pid); s.hwm > 0 {
					providers[pid] = s
				}
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	err = cmd.Wait()
	res.wall = time.Since(start)
	close(done)
	<-sampled
	if ps := cmd.ProcessState; ps != nil {
		res.cpu = ps.UserTime() + ps.SystemTime()
	}
	for _, s := range providers {
		res.providerHWM = max(res.providerHWM, s.hwm)
		res.providerCPU += s.cpu
	}
	if err != nil {
		return res, fmt.Errorf("terraform %s in %s: %w; the last lines of its output:\n%s", args[0], filepath.Base(dir), err, tail(logPath, 20))
	}
	return res, nil
}

// env is the caller's environment without its Terraform and PlexMCP
// settings, plus the private CLI configuration and, for the provider, the
// server to talk to (its key goes by environment, never on a command line).
func (b *bench) env(srv *refserver.Running) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TF_") || strings.HasPrefix(kv, "PLEXMCP_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+b.cliConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	if srv != nil {
		env = append(env, "PLEXMCP_BASE_URL="+srv.BaseURL, "PLEXMCP_API_KEY="+srv.AdminKey())
	}
	return env
}

// handshake starts the provider binary as Terraform would and times it up
// to the go-plugin handshake line, after which it serves gRPC.
func (b *bench) handshake(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.providerBin)
	cmd.Env = append(b.env(nil),
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
		return 0, fmt.Errorf("reading the handshake: %w", err)
	}
	if !strings.HasPrefix(line, "1|6|") {
		return 0, fmt.Errorf("unexpected handshake %q", strings.TrimSpace(line))
	}
	return elapsed, nil
}

// schema times `terraform providers schema -json` in dir.
func (b *bench) schema(ctx context.Context, dir string, srv *refserver.Running) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, b.opts.terraform, "providers", "schema", "-json")
	cmd.Dir = dir
	cmd.Env = b.env(srv)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("terraform providers schema in %s: %w: %s", filepath.Base(dir), err, truncate(out.String(), 2000))
	}
	elapsed := time.Since(start)
	if srv != nil && !strings.Contains(out.String(), `"plexmcp_api_key"`) {
		return 0, errors.New("terraform providers schema -json did not return the plexmcp_api_key schema")
	}
	return elapsed, nil
}

// repeat runs f opts.startups times and returns the median.
func (b *bench) repeat(ctx context.Context, f func(context.Context) (time.Duration, error)) (time.Duration, error) {
	var ds []time.Duration
	for range max(b.opts.startups, 1) {
		d, err := f(ctx)
		if err != nil {
			return 0, err
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

// machine describes where the numbers come from.
func (b *bench) machine(ctx context.Context) string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown memory"
	if kb := procField("/proc/meminfo", "MemTotal"); kb > 0 {
		mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	tfVersion := "terraform"
	if out, err := exec.CommandContext(ctx, b.opts.terraform, "version").Output(); err == nil {
		tfVersion = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	return fmt.Sprintf("%s, %s, %d CPUs (%s), %s RAM, %s, %s", time.Now().UTC().Format("2006-01-02"), tfVersion,
		runtime.NumCPU(), model, mem, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
}

// procSample is what /proc last said about a process.
type procSample struct {
	hwm int64         // VmHWM, bytes
	cpu time.Duration // utime+stime
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times: 100 per second
// on Linux.
const clockTick = 10 * time.Millisecond

func sample(pid int) procSample {
	s := procSample{hwm: procField(fmt.Sprintf("/proc/%d/status", pid), "VmHWM") * 1024}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the parenthesised command name; utime and stime
		// are the 14th and 15th fields of the whole line.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 {
			f := strings.Fields(string(stat[i+1:]))
			if len(f) > 12 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				st, _ := strconv.ParseInt(f[12], 10, 64)
				s.cpu = time.Duration(u+st) * clockTick
			}
		}
	}
	return s
}

// newChildren lists the processes started after parent whose parent it is
// and whose name starts with comm. Only pids above the parent's are read,
// which keeps sampling cheap next to what it measures.
func newChildren(parent int, comm string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= parent {
			continue
		}
		if procField(fmt.Sprintf("/proc/%d/status", pid), "PPid") != int64(parent) {
			continue
		}
		name, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.HasPrefix(string(name), comm) {
			out = append(out, pid)
		}
	}
	return out
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// procField reads "Name: value [kB]" from a /proc file, or 0.
func procField(path, name string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != name {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		return n
	}
	return 0
}

// lineCounter counts the reference server's access log lines and the 429s
// among them.
type lineCounter struct {
	mu           sync.Mutex
	partial      []byte
	lines, n429s int
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		f := strings.Fields(string(c.partial[:i]))
		c.partial = c.partial[i+1:]
		if len(f) == 4 {
			c.lines++
			if f[2] == "429" {
				c.n429s++
			}
		}
	}
	return len(p), nil
}

func (c *lineCounter) count() (lines, n429s int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines, c.n429s
}

func activeKeys(srv *refserver.Running) int {
	n := 0
	for _, k := range srv.APIKeys() {
		if k.Status == "active" {
			n++
		}
	}
	return n
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func verdict(ok bool, target string) string {
	if ok {
		return fmt.Sprintf("%-8s met", target)
	}
	return fmt.Sprintf("%-8s MISSED", target)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
func ms(d time.Duration) string   { return fmt.Sprintf("%dms", d.Milliseconds()) }

func mib(n int64) string {
	if n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
