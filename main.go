// Command terraform-provider-plexmcp serves the PlexMCP Terraform provider.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/provider"
)

// version is set by goreleaser through -ldflags "-X main.version=…".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	quietUnreadLogs()
	stopProfile := startCPUProfile()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/plexmcp/plexmcp",
		Debug:   debug,
	})
	stopProfile()
	if err != nil {
		log.Fatal(err.Error())
	}
}

// cpuProfileEnv names a folder where each provider process writes a CPU
// profile of itself, cpu-<pid>.pprof, for performance work (make bench
// BENCHARGS=-cpuprofile=DIR sets it). Unset, the default, nothing is
// profiled. Terraform ends a provider by asking it to shut down, so Serve
// returns and the profile is complete.
const cpuProfileEnv = "PLEXMCP_PROVIDER_CPUPROFILE"

// startCPUProfile starts the CPU profile cpuProfileEnv asks for, and
// returns what stops it. A profile that cannot start is reported on
// stderr, which Terraform logs, and the provider runs on.
func startCPUProfile() (stop func()) {
	dir := os.Getenv(cpuProfileEnv)
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", os.Getpid())))
	if err != nil {
		log.Printf("%s: %v", cpuProfileEnv, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Printf("%s: %v", cpuProfileEnv, err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

// quietUnreadLogs turns off the plugin SDK's and the provider's own logging
// when nobody asked for logs. Terraform starts providers with both at TRACE
// and throws the lines away unless TF_LOG is set; producing them took about
// half of the provider's CPU time in a 300-key plan (see make bench).
func quietUnreadLogs() {
	for _, v := range unreadLogVars(os.Environ()) {
		_ = os.Setenv(v, "OFF")
	}
}

// unreadLogVars names the log-level variables to set to OFF, given the
// environment: none if any TF_LOG* variable other than a log path is set,
// since then someone may be reading (TF_LOG_PROVIDER_PLEXMCP, TF_LOG_CORE
// and the like included).
func unreadLogVars(environ []string) []string {
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_LOG") && !strings.HasPrefix(name, "TF_LOG_PATH") && value != "" {
			return nil
		}
	}
	// The provider logger's variable is TF_LOG_PROVIDER_ plus the provider's
	// type name; plain TF_LOG_PROVIDER is not read by the provider.
	return []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_PLEXMCP"}
}
