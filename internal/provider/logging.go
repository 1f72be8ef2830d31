package provider

import (
	"context"
	"os"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// keyPattern matches anything shaped like a PlexMCP key, wherever it
// appears: pmcp_ keys and the hosted API's older pk_live_/pk_test_ ones. It
// leaves the 12 characters the hosted API reports as a key's prefix
// readable, since that is what links log lines to keys; a real key carries
// 75 more hexadecimal characters.
var keyPattern = regexp.MustCompile(`pmcp_[0-9A-Za-z]{8,}|pk_(live|test)_[A-Za-z0-9]{5,}`)

// Field names whose values are always secret, whatever they hold.
var secretFields = []string{"key", "api_key", "authorization", "Authorization"}

// maskSecrets returns a context whose provider logger (and the client's
// subsystem) masks keys in messages and fields. Every entry point calls it,
// so a key that slips into a log call is still not written.
//
// Where the provider's logs are off there is nothing to mask, and ctx is
// returned as it is: the seven context layers (one of them a new logger)
// cost about 4% of the provider's CPU in make bench's 300-key plan.
func maskSecrets(ctx context.Context) context.Context {
	if providerLogsOff() {
		return ctx
	}
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, secretFields...)
	ctx = tflog.MaskAllFieldValuesRegexes(ctx, keyPattern)
	ctx = tflog.MaskMessageRegexes(ctx, keyPattern)
	ctx = tflog.NewSubsystem(ctx, clientSubsystem)
	ctx = tflog.SubsystemMaskFieldValuesWithFieldKeys(ctx, clientSubsystem, secretFields...)
	ctx = tflog.SubsystemMaskAllFieldValuesRegexes(ctx, clientSubsystem, keyPattern)
	ctx = tflog.SubsystemMaskMessageRegexes(ctx, clientSubsystem, keyPattern)
	return ctx
}

const clientSubsystem = "plexmcp_client"

// providerLogLevelEnv sets the level of every log line of this provider,
// its client's subsystem included: terraform-plugin-go names it after the
// provider's address (registry.terraform.io/plexmcp/plexmcp).
const providerLogLevelEnv = "TF_LOG_PROVIDER_PLEXMCP"

// providerLogsOff reports that providerLogLevelEnv is OFF, as main.go sets
// it when nobody reads the provider's logs: terraform-plugin-log then drops
// every line the provider and its client's subsystem write, before masking.
func providerLogsOff() bool {
	return strings.EqualFold(strings.TrimSpace(os.Getenv(providerLogLevelEnv)), "off")
}

// tflogLogger sends the API client's request log to Terraform's log, under
// its own subsystem (TF_LOG_PROVIDER_PLEXMCP_PLEXMCP_CLIENT=DEBUG).
type tflogLogger struct{}

func (tflogLogger) Log(ctx context.Context, level plexmcp.Level, msg string, fields map[string]any) {
	ctx = maskSecrets(ctx)
	switch level {
	case plexmcp.LevelWarn:
		tflog.SubsystemWarn(ctx, clientSubsystem, msg, fields)
	case plexmcp.LevelDebug:
		tflog.SubsystemDebug(ctx, clientSubsystem, msg, fields)
	default:
		tflog.SubsystemTrace(ctx, clientSubsystem, msg, fields)
	}
}
