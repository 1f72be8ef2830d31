package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// runResult is what one terraform command cost.
type runResult struct {
	wall time.Duration
	// cpu is user+system time of terraform and of the providers it
	// started and waited for; providerCPU is the providers' part.
	cpu, providerCPU time.Duration
	// benchCPU is what this process used meanwhile: the reference server
	// the provider talks to, on the same cores, and the sampling.
	benchCPU                  time.Duration
	providerHWM, terraformHWM int64 // peak resident memory, bytes; 0 if never seen
}

// sampleEvery is how often /proc is read for peak memory.
const sampleEvery = 50 * time.Millisecond

// terraform runs one command in dir, timing it, and sampling from /proc
// the peak memory of terraform and of the provider processes it starts.
// Its output goes to a log file in dir, whose end is shown on failure.
func (b *bench) terraform(ctx context.Context, dir string, env []string, args ...string) (runResult, error) {
	cmd := exec.CommandContext(ctx, b.opts.terraform, append(args, "-no-color")...)
	cmd.Dir = dir
	cmd.Env = env
	logPath := filepath.Join(dir, args[0]+".log")
	out, err := os.Create(logPath)
	if err != nil {
		return runResult{}, err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out

	benchBefore := selfCPU()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return runResult{}, err
	}
	var res runResult
	providers := map[int]int64{} // pid → VmHWM
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			res.terraformHWM = max(res.terraformHWM, peakMemory(cmd.Process.Pid))
			for _, pid := range newChildren(cmd.Process.Pid, "terraform-provi") {
				providers[pid] = max(providers[pid], peakMemory(pid))
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	// Terraform has exited but is not reaped yet: its /proc entry still
	// says how much CPU the providers it waited for used, to the tick.
	waitErr := waitExited(cmd.Process.Pid)
	res.wall = time.Since(start)
	res.benchCPU = selfCPU() - benchBefore
	res.providerCPU = childrenCPU(cmd.Process.Pid)
	close(done)
	<-sampled
	err = cmd.Wait()
	if waitErr != nil && err == nil {
		err = waitErr
	}
	if ps := cmd.ProcessState; ps != nil {
		res.cpu = ps.UserTime() + ps.SystemTime()
	}
	for _, hwm := range providers {
		res.providerHWM = max(res.providerHWM, hwm)
	}
	if err != nil {
		return res, fmt.Errorf("terraform %s in %s: %w; the last lines of its output:\n%s", args[0], filepath.Base(dir), err, tail(logPath, 20))
	}
	return res, nil
}

// tail returns the last n lines of a file.
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
