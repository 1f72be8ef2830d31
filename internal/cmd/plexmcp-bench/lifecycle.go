package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// round is one apply, plan and destroy of one subject.
type round struct {
	apply, plan, destroy runResult
	// planRequests counts, by route, the requests the subject's server
	// received during the plan; nil for the floors.
	planRequests map[string]int
}

// lifecycle is every round of one subject.
type lifecycle struct {
	rounds []round
}

// measureLifecycles runs opts.rounds rounds; in each, every subject is
// applied, planned (a refresh of everything, which must find nothing to
// change) and destroyed, in the order given. The result is in the same
// order as subjects.
func (b *bench) measureLifecycles(ctx context.Context, subjects []*subject) ([]lifecycle, error) {
	out := make([]lifecycle, len(subjects))
	for i := range b.opts.rounds {
		for j, s := range subjects {
			fmt.Fprintf(b.progress, "==> round %d of %d: %s, %d resources\n", i+1, b.opts.rounds, s.name, b.opts.keys)
			r, err := b.lifecycleOnce(ctx, s)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.name, err)
			}
			out[j].rounds = append(out[j].rounds, r)
		}
	}
	return out, nil
}

func (b *bench) lifecycleOnce(ctx context.Context, s *subject) (round, error) {
	var r round
	var err error
	if r.apply, err = b.terraform(ctx, s.dir, s.env, "apply", "-auto-approve", "-input=false"); err != nil {
		return r, err
	}
	var before map[string]int
	if s.srv != nil {
		before = s.srv.RequestCounts()
	}
	// -detailed-exitcode: 0 is an empty plan, 2 a plan with changes.
	if r.plan, err = b.terraform(ctx, s.dir, s.env, "plan", "-input=false", "-detailed-exitcode"); err != nil {
		return r, fmt.Errorf("%w (exit status 2 means the plan after apply was not empty)", err)
	}
	if s.srv != nil {
		r.planRequests = map[string]int{}
		for route, c := range s.srv.RequestCounts() {
			if d := c - before[route]; d != 0 {
				r.planRequests[route] = d
			}
		}
	}
	if r.destroy, err = b.terraform(ctx, s.dir, s.env, "destroy", "-auto-approve", "-input=false"); err != nil {
		return r, err
	}
	if s.srv != nil {
		if n := activeKeys(s.srv); n != 0 {
			return r, fmt.Errorf("%d key(s) still active after destroy", n)
		}
	}
	return r, nil
}

// Phases of a round, for the medians.
func applyPhase(r round) runResult   { return r.apply }
func planPhase(r round) runResult    { return r.plan }
func destroyPhase(r round) runResult { return r.destroy }

// median is the median over the rounds of one measurement of one phase.
func median[V int64 | time.Duration](l lifecycle, phase func(round) runResult, metric func(runResult) V) V {
	vs := make([]V, 0, len(l.rounds))
	for _, r := range l.rounds {
		vs = append(vs, metric(phase(r)))
	}
	return medianOf(vs)
}

// medianOf returns the middle value of vs (the upper middle for an even
// count), or zero for none.
func medianOf[V int64 | time.Duration | float64](vs []V) V {
	if len(vs) == 0 {
		return 0
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	return vs[len(vs)/2]
}

// Measurements of a phase, for the medians.
func wallOf(r runResult) time.Duration        { return r.wall }
func cpuOf(r runResult) time.Duration         { return r.cpu }
func providerCPUOf(r runResult) time.Duration { return r.providerCPU }
func benchCPUOf(r runResult) time.Duration    { return r.benchCPU }
func providerHWMOf(r runResult) int64         { return r.providerHWM }
func terraformHWMOf(r runResult) int64        { return r.terraformHWM }

// pairedRatios is, round by round, a's wall time of phase over b's: the
// two ran one after the other, on the machine as it then was.
func pairedRatios(a, b lifecycle, phase func(round) runResult) []float64 {
	var out []float64
	for i := range min(len(a.rounds), len(b.rounds)) {
		out = append(out, ratio(phase(a.rounds[i]).wall, phase(b.rounds[i]).wall))
	}
	return out
}
