package provider

import (
	"context"
	"regexp"

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
func maskSecrets(ctx context.Context) context.Context {
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
