package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets of the main comparison: the provider's apply and plan (which
// refreshes every key) may take at most this much longer than the
// framework floor's, in one run on one machine.
const (
	targetApply   = 1.10
	targetRefresh = 1.10
)

// targetOwnCPU bounds the provider's own cost: the CPU its process uses
// over what the framework floor's uses, as a share of the latter.
const targetOwnCPU = 0.10

// report is everything measured, ready to print.
type report struct {
	opts       options
	subjects   []*subject
	lifecycles []lifecycle // in the order of subjects
	throttled  []throttledRun
	startup    startup
}

// write prints the comparison table, the verdicts per API, and the other
// measurements.
func (r report) write(w io.Writer) error {
	if err := r.writeComparison(w); err != nil {
		return err
	}
	for _, api := range r.opts.apis {
		fmt.Fprintln(w)
		if err := r.writeTargets(w, api); err != nil {
			return err
		}
	}
	if r.startup.handshake > 0 {
		fmt.Fprintln(w)
		tw := newTable(w)
		fmt.Fprintf(tw, "provider start-up\t%s (median of %d: exec of the provider binary to its go-plugin handshake line)\n",
			ms(r.startup.handshake), r.opts.startups)
		fmt.Fprintf(tw, "terraform providers schema -json\t%s with the provider, %s in an empty directory: +%s (median of %d)\n",
			ms(r.startup.schemaWith), ms(r.startup.schemaEmpty), ms(r.startup.schemaWith-r.startup.schemaEmpty), r.opts.startups)
		return tw.Flush()
	}
	return nil
}

// framework is the lifecycle of the framework floor, which the targets
// are relative to.
func (r report) framework() lifecycle {
	for i, s := range r.subjects {
		if s.role == roleFramework {
			return r.lifecycles[i]
		}
	}
	return lifecycle{}
}

// writeComparison prints wall time, CPU and memory of every subject.
func (r report) writeComparison(w io.Writer) error {
	fw := r.framework()
	fmt.Fprintf(w, "%d resources, median of %d rounds; (×) is the ratio to the framework floor (schema, framework)\n",
		r.opts.keys, r.opts.rounds)
	tw := newTable(w)
	fmt.Fprint(tw, "")
	for _, s := range r.subjects {
		fmt.Fprint(tw, "\t"+s.name)
	}
	fmt.Fprintln(tw)
	for _, p := range []struct {
		name  string
		phase func(round) runResult
	}{{"apply", applyPhase}, {"plan (refreshes)", planPhase}, {"destroy", destroyPhase}} {
		fmt.Fprint(tw, p.name)
		floor := median(fw, p.phase, wallOf)
		for i := range r.subjects {
			wall := median(r.lifecycles[i], p.phase, wallOf)
			fmt.Fprintf(tw, "\t%s (%.2f×)", secs(wall), ratio(wall, floor))
		}
		fmt.Fprintln(tw)
	}
	row := func(name string, cell func(s *subject, l lifecycle) string) {
		fmt.Fprint(tw, name)
		for i, s := range r.subjects {
			fmt.Fprint(tw, "\t"+cell(s, r.lifecycles[i]))
		}
		fmt.Fprintln(tw)
	}
	applyPlan := func(l lifecycle, metric func(runResult) time.Duration) string {
		return secs(median(l, applyPhase, metric)) + " / " + secs(median(l, planPhase, metric))
	}
	row("CPU, apply / plan", func(_ *subject, l lifecycle) string { return applyPlan(l, cpuOf) })
	row("  of which the provider", func(s *subject, l lifecycle) string {
		if s.role == roleData {
			return ""
		}
		return applyPlan(l, providerCPUOf)
	})
	row("  provider over the framework floor", func(s *subject, l lifecycle) string {
		if s.role != roleProvider {
			return ""
		}
		over := func(phase func(round) runResult) string {
			return signedSecs(median(l, phase, providerCPUOf) - median(fw, phase, providerCPUOf))
		}
		return over(applyPhase) + " / " + over(planPhase)
	})
	row("CPU of this process (the server), apply / plan", func(_ *subject, l lifecycle) string {
		return applyPlan(l, benchCPUOf)
	})
	row("peak memory in apply, provider", func(s *subject, l lifecycle) string {
		if s.role == roleData {
			return ""
		}
		return mib(median(l, applyPhase, providerHWMOf))
	})
	row("peak memory in apply, terraform", func(_ *subject, l lifecycle) string {
		return mib(median(l, applyPhase, terraformHWMOf))
	})
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "schema, protocol / framework: plexmcp_api_key's schema served with no provider work, straight through")
	fmt.Fprintln(w, "terraform-plugin-go / through terraform-plugin-framework (internal/cmd/terraform-provider-plexmcpfloor)")
	return nil
}

// writeTargets prints each target of one API with its verdict.
func (r report) writeTargets(w io.Writer, api string) error {
	fw := r.framework()
	var prov lifecycle
	var srv *subject
	for i, s := range r.subjects {
		if s.role == roleProvider && s.api == api {
			prov, srv = r.lifecycles[i], s
		}
	}
	if srv == nil {
		return nil
	}
	fmt.Fprintf(w, "targets, %s API:\n", api)
	tw := newTable(w)
	for _, t := range []struct {
		what   string
		phase  func(round) runResult
		target float64
	}{
		{fmt.Sprintf("apply of %d keys", r.opts.keys), applyPhase, targetApply},
		{fmt.Sprintf("plan (refresh) of %d keys", r.opts.keys), planPhase, targetRefresh},
	} {
		got := ratio(median(prov, t.phase, wallOf), median(fw, t.phase, wallOf))
		lo, hi := minMax(pairedRatios(prov, fw, t.phase))
		fmt.Fprintf(tw, "  %s ≤ %.2f× the framework floor\t%.3f× (round by round %.2f–%.2f×)\t%s\n",
			t.what, t.target, got, lo, hi, verdict(got <= t.target))
	}
	own := func(phase func(round) runResult) (float64, time.Duration, time.Duration) {
		p, f := median(prov, phase, providerCPUOf), median(fw, phase, providerCPUOf)
		return ratio(p-f, f), p - f, f
	}
	ownApply, overApply, floorApply := own(applyPhase)
	ownPlan, overPlan, floorPlan := own(planPhase)
	fmt.Fprintf(tw, "  the provider's own CPU ≤ %.0f%% of the framework floor's, apply / plan\t%+.1f%% / %+.1f%% (%s / %s over %s / %s)\t%s\n",
		targetOwnCPU*100, ownApply*100, ownPlan*100, signedSecs(overApply), signedSecs(overPlan), secs(floorApply), secs(floorPlan),
		verdict(ownApply <= targetOwnCPU && ownPlan <= targetOwnCPU))
	getRoute, listRoute, err := routes(srv.srv)
	if err != nil {
		return err
	}
	text, ok := refreshRequests(prov, getRoute, listRoute, r.opts.keys)
	fmt.Fprintf(tw, "  exactly one GET per refreshed key, no list call\t%s\t%s\n", text, verdict(ok))
	for _, t := range r.throttled {
		if t.api != api {
			continue
		}
		headers := "without X-RateLimit-* headers"
		if t.headers {
			headers = "with X-RateLimit-* headers"
		}
		got := ratio(t.wall, t.floor())
		fmt.Fprintf(tw, "  throttled apply %s ≤ %.1f×\t%s for %d keys at %g/s against a floor of %s: %.2f× (%d requests, %d answered 429)\t%s\n",
			headers, t.target(), secs(t.wall), t.keys, t.rate, secs(t.floor()), got, t.requests, t.n429s, verdict(got <= t.target()))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if api == apiServer && len(r.throttled) > 0 {
		fmt.Fprintf(w, "  A PlexMCP server sends no X-RateLimit-* headers, and a create there is a POST and a GET: the floor is %d×%d/%g s.\n",
			r.opts.throttled, requestsPerCreate[apiServer], r.opts.rate)
	}
	return nil
}

// refreshRequests says what the server received during each plan, and
// whether that was exactly one GET of each key and nothing else, in every
// round.
func refreshRequests(l lifecycle, getRoute, listRoute string, keys int) (string, bool) {
	ok := len(l.rounds) > 0
	var worst map[string]int
	for _, r := range l.rounds {
		if r.planRequests[getRoute] != keys || len(r.planRequests) != 1 {
			ok = false
			worst = r.planRequests
		}
	}
	if ok {
		return fmt.Sprintf("%d %s for %d keys and nothing else, in each of %d rounds", keys, getRoute, keys, len(l.rounds)), true
	}
	if worst == nil {
		return "no rounds", false
	}
	others := 0
	for route, c := range worst {
		if route != getRoute && route != listRoute {
			others += c
		}
	}
	return fmt.Sprintf("%.2f per key in a round: %d %s for %d keys, %d list calls, %d other requests (%s)",
		float64(sum(worst))/float64(keys), worst[getRoute], getRoute, keys, worst[listRoute], others, describeCounts(worst)), false
}

func sum(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// describeCounts lists route counts in a stable order.
func describeCounts(m map[string]int) string {
	var parts []string
	for _, route := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s: %d", route, m[route]))
	}
	return strings.Join(parts, ", ")
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func minMax(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	return slices.Min(xs), slices.Max(xs)
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func signedSecs(d time.Duration) string { return fmt.Sprintf("%+.2fs", d.Seconds()) }

func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

func mib(n int64) string {
	if n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}
