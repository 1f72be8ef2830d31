package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"testing"
)

func TestUnreadLogVars(t *testing.T) {
	t.Parallel()
	quiet := []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_PLEXMCP"}
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"no logging asked for", []string{"HOME=/root", "PATH=/usr/bin"}, quiet},
		{"a log path alone enables nothing", []string{"TF_LOG_PATH=/tmp/tf.log", "TF_LOG_PATH_MASK=x-%s"}, quiet},
		{"an empty TF_LOG is unset", []string{"TF_LOG="}, quiet},
		{"TF_LOG", []string{"TF_LOG=TRACE"}, nil},
		{"TF_LOG_PROVIDER", []string{"TF_LOG_PROVIDER=DEBUG"}, nil},
		{"this provider's own variable", []string{"TF_LOG_PROVIDER_PLEXMCP=TRACE"}, nil},
		{"an SDK subsystem", []string{"TF_LOG_SDK_PROTO=TRACE"}, nil},
		{"core logging", []string{"TF_LOG_CORE=TRACE"}, nil},
		{"a value containing =", []string{"X=TF_LOG=TRACE"}, quiet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := unreadLogVars(tt.environ); !slices.Equal(got, tt.want) {
				t.Errorf("unreadLogVars(%q) = %q, want %q", tt.environ, got, tt.want)
			}
		})
	}
}

func TestStartCPUProfile(t *testing.T) {
	profile := fmt.Sprintf("cpu-%d.pprof", os.Getpid())
	tests := []struct {
		name        string
		dir         func(t *testing.T) string // "" leaves the variable unset
		wantProfile bool
	}{
		{name: "off by default", dir: func(*testing.T) string { return "" }},
		{name: "a folder", dir: func(t *testing.T) string { return t.TempDir() }, wantProfile: true},
		{name: "a folder that does not exist", dir: func(t *testing.T) string { return filepath.Join(t.TempDir(), "missing") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir(t)
			t.Setenv(cpuProfileEnv, dir)
			if dir == "" {
				if err := os.Unsetenv(cpuProfileEnv); err != nil {
					t.Fatal(err)
				}
			}
			stop := startCPUProfile()
			// Only one CPU profile can run at a time: starting another
			// tells whether startCPUProfile started one.
			otherErr := pprof.StartCPUProfile(io.Discard)
			if otherErr == nil {
				pprof.StopCPUProfile()
			}
			stop()
			if profiling := otherErr != nil; profiling != tt.wantProfile {
				t.Errorf("profiling = %t, want %t", profiling, tt.wantProfile)
			}
			if dir == "" {
				return
			}
			info, err := os.Stat(filepath.Join(dir, profile))
			switch {
			case tt.wantProfile && err != nil:
				t.Errorf("no profile written: %v", err)
			case tt.wantProfile && info.Size() == 0:
				t.Error("the profile is empty")
			case !tt.wantProfile && err == nil:
				t.Error("a profile was written where none can be")
			}
		})
	}
}
