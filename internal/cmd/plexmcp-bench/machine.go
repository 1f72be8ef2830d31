package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// machine describes where the numbers come from: the date, Terraform, the
// CPU, memory and Go.
func machine(ctx context.Context, terraform string) string {
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
	tfVersion := terraform
	if out, err := exec.CommandContext(ctx, terraform, "version").Output(); err == nil {
		tfVersion = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	return fmt.Sprintf("%s, %s, %d CPUs (%s), %s RAM, %s, %s", time.Now().UTC().Format(time.DateOnly), tfVersion,
		runtime.NumCPU(), model, mem, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
}
