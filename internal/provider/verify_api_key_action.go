package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

var (
	_ action.Action              = (*verifyAPIKeyAction)(nil)
	_ action.ActionWithConfigure = (*verifyAPIKeyAction)(nil)
)

// How long the action keeps trying by default, and how its waits grow. A
// new key usually works at once; the back-off is for the systems where it
// takes a moment to reach every node.
const (
	defaultVerifyTimeout = 2 * time.Minute
	minVerifyTimeout     = time.Second
	maxVerifyTimeout     = time.Hour
	verifyFirstWait      = 500 * time.Millisecond
	verifyMaxWait        = 10 * time.Second
)

// NewVerifyAPIKeyAction returns the plexmcp_verify_api_key action.
func NewVerifyAPIKeyAction() action.Action { return &verifyAPIKeyAction{} }

type verifyAPIKeyAction struct {
	data *providerData
}

type verifyAPIKeyConfig struct {
	Key     types.String `tfsdk:"key"`
	KeyID   types.String `tfsdk:"key_id"`
	Timeout types.String `tfsdk:"timeout"`
}

func (a *verifyAPIKeyAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_verify_api_key"
}

func (a *verifyAPIKeyAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Proves that an API key works: it calls PlexMCP with the key and checks that the key " +
			"reaches every MCP it was granted, waiting with back-off until `timeout`, because a new credential can " +
			"take a moment to work everywhere. Its calls run no tool (they count as the key's use, like any " +
			"request): on PlexMCP's hosted API, an invocation of a tool no MCP has (a key that may reach the MCP " +
			"is told the tool does not exist, one that may not is refused); on a PlexMCP server, a JSON-RPC " +
			"`tools/list`, where an MCP that offers no tools cannot be seen and so fails the check.\n\n" +
			"Trigger it from the key's `lifecycle` with `action_trigger` on `after_create` (Terraform 1.14 or " +
			"later): with `create_before_destroy`, a rotation whose new key does not work stops the apply before " +
			"the old key is revoked (`on_failure = halt`, Terraform 1.16). The next apply finishes the rotation " +
			"**without verifying the new key again** (it already exists, so `after_create` does not fire): find " +
			"out why it failed first, or replace the new key (`terraform apply -replace=<address>`) to have it " +
			"made and verified anew. See " +
			"the [rotation guide](../guides/rotating-keys.md).",
		Attributes: map[string]schema.Attribute{
			"key": schema.StringAttribute{
				MarkdownDescription: "The secret key to verify, such as `caller.key` when the key's own " +
					"`action_trigger` invokes the action. Terraform treats it as sensitive, as it came from a " +
					"sensitive attribute.",
				Required: true,
			},
			"key_id": schema.StringAttribute{
				MarkdownDescription: "The key's id, such as `caller.id`. The action reads which MCPs " +
					"the key was granted (every MCP of the organisation for `all_mcps`) with the provider's own " +
					"key, and checks that the key reaches each.",
				Required:   true,
				Validators: []validator.String{keyID()},
			},
			"timeout": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("How long to keep trying before the action fails, as a Go "+
					"duration such as `30s` or `5m`. Defaults to `%s`.", formatDuration(defaultVerifyTimeout)),
				Optional:   true,
				Validators: []validator.String{durationBetween(minVerifyTimeout, maxVerifyTimeout)},
			},
		},
	}
}

func (a *verifyAPIKeyAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = dataFromProvider(req.ProviderData, &resp.Diagnostics)
}

func (a *verifyAPIKeyAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	ctx = maskSecrets(ctx)
	var cfg verifyAPIKeyConfig
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !requireClient(a.data, &resp.Diagnostics) {
		return
	}
	timeout := defaultVerifyTimeout
	if !cfg.Timeout.IsNull() {
		timeout, _ = time.ParseDuration(cfg.Timeout.ValueString()) // validated
	}
	key := plexmcp.NewSecret(cfg.Key.ValueString())
	if err := plexmcp.CheckAPIKey(key.Reveal(), a.data.client.API(ctx)); err != nil {
		// Not on the attribute: Terraform would print its line of
		// configuration, and with it a key written there.
		resp.Diagnostics.AddError("Invalid PlexMCP API Key", "The key to verify (key) "+configProblem(err)+".")
		return
	}
	id := cfg.KeyID.ValueString()

	deadline := time.Now().Add(timeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	// What the key must reach, from PlexMCP's own record of its grant.
	want, err := a.grantedMCPs(ctx, id)
	var (
		unusable unusableKeyError
		stale    staleGrantError
	)
	switch {
	case errors.As(err, &stale):
		resp.Diagnostics.AddAttributeError(path.Root("key_id"), "PlexMCP API Key Cannot Reach Its MCPs",
			fmt.Sprintf("%s, so it can never reach them: the action did not wait for it. Remove them from the key's "+
				"mcp_ids (the plexmcp_mcps data source lists the MCPs that exist).", stale))
		return
	case errors.As(err, &unusable):
		resp.Diagnostics.AddAttributeError(path.Root("key_id"), "PlexMCP API Key Can Never Work",
			fmt.Sprintf("%s, so it can never work: the action did not wait for it. Check that key and key_id name "+
				"the key to verify; a key revoked or deleted outside Terraform is replaced by the next terraform apply.",
				unusable.reason))
		return
	case err != nil:
		addAPIError(&resp.Diagnostics, "Error Verifying PlexMCP API Key", err)
		return
	}
	prober := a.data.client.WithAPIKey(key)
	wait := verifyFirstWait
	for attempt := 1; ; attempt++ {
		reached, err := probe(ctx, prober, want)
		missing := missingMCPs(want, reached)
		if err == nil && len(missing) == 0 {
			tflog.Debug(ctx, "verified PlexMCP API key", map[string]any{"id": id, "mcps": len(want), "attempts": attempt})
			return
		}
		var why string
		switch {
		case plexmcp.IsUnauthorized(err):
			why = "PlexMCP does not accept the key yet (401)"
		case err != nil && !plexmcp.IsRateLimited(err) && !isTransient(err):
			addAPIError(&resp.Diagnostics, "Error Verifying PlexMCP API Key", err)
			return
		case err != nil:
			why = err.Error()
		default:
			why = "the key does not reach " + strings.Join(missing, ", ") + " yet"
		}
		if time.Until(deadline) < wait {
			resp.Diagnostics.AddError("PlexMCP API Key Does Not Work",
				fmt.Sprintf("After %s and %d attempts, %s. The key was created and is in state, but it is not "+
					"verified: with create_before_destroy and on_failure = halt, the key it replaces was not revoked and "+
					"still works. The next terraform apply revokes that old key without verifying the new one again, so "+
					"check the new key first (its permissions, or whether PlexMCP needs longer: raise this action's "+
					"timeout), or replace it (terraform apply -replace=<its address>) to make another and verify that one.",
					formatDuration(timeout), attempt, why))
			return
		}
		if resp.SendProgress != nil {
			resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("%s; trying again in %s", why, wait)})
		}
		select {
		case <-ctx.Done():
			resp.Diagnostics.AddError("PlexMCP API Key Not Verified", "The verification was interrupted before the key worked.")
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, verifyMaxWait)
	}
}

// probe calls PlexMCP with the prober's key and reports which of want it
// reaches. A grant with nothing to reach (all_mcps in an organisation that
// has no MCP yet) still needs the key to be accepted, so the proof is then
// a list of the MCPs, made with the key; otherwise the key would be called
// verified without a single request made with it.
func probe(ctx context.Context, prober *plexmcp.Client, want []plexmcp.MCP) (map[string]bool, error) {
	if len(want) == 0 {
		_, err := prober.ListMCPs(ctx, plexmcp.ListMCPsOptions{})
		return nil, err
	}
	return prober.ReachableMCPs(ctx, want)
}

// grantedMCPs returns the MCPs key id was granted, as PlexMCP records them.
func (a *verifyAPIKeyAction) grantedMCPs(ctx context.Context, id string) ([]plexmcp.MCP, error) {
	k, err := a.data.client.GetAPIKey(ctx, id)
	switch {
	case plexmcp.IsNotFound(err):
		return nil, unusableKeyError{fmt.Sprintf("PlexMCP has no API key %s: it was deleted (a PlexMCP server deletes "+
			"the keys it revokes) or never existed", id)}
	case err != nil:
		return nil, err
	case k.Status == plexmcp.StatusRevoked || k.Status == plexmcp.StatusExpired:
		return nil, unusableKeyError{fmt.Sprintf("API key %s is %s", id, k.Status)}
	}
	all, err := a.data.client.ListMCPs(ctx, plexmcp.ListMCPsOptions{})
	if err != nil {
		return nil, err
	}
	if k.Permissions.AllMCPs {
		return all, nil
	}
	byID := make(map[string]plexmcp.MCP, len(all))
	for _, m := range all {
		byID[m.ID] = m
	}
	out := make([]plexmcp.MCP, 0, len(k.Permissions.MCPIDs))
	var gone []string
	for _, mcpID := range k.Permissions.MCPIDs {
		if m, ok := byID[mcpID]; ok {
			out = append(out, m)
		} else {
			gone = append(gone, mcpID)
		}
	}
	if len(gone) > 0 {
		// A grant the key can never meet: say so now rather than wait.
		return nil, staleGrantError{id: id, mcpIDs: gone}
	}
	return out, nil
}

// staleGrantError is a key granted MCPs that the organisation no longer
// has (an MCP deleted after the grant): it can never reach them.
type staleGrantError struct {
	id     string
	mcpIDs []string
}

func (e staleGrantError) Error() string {
	return fmt.Sprintf("API key %s is granted MCP id(s) %s, which the organisation no longer has", e.id, strings.Join(e.mcpIDs, ", "))
}

// unusableKeyError says why PlexMCP's own record of a key shows that the key
// can never work, so that waiting for it would only waste the timeout.
type unusableKeyError struct{ reason string }

func (e unusableKeyError) Error() string { return e.reason }

// missingMCPs names the MCPs of want that reached does not mark reachable.
func missingMCPs(want []plexmcp.MCP, reached map[string]bool) []string {
	var out []string
	for _, m := range want {
		if !reached[m.ID] {
			out = append(out, fmt.Sprintf("%q (%s)", m.Name, m.ID))
		}
	}
	sort.Strings(out)
	return out
}

// isTransient reports whether err is a failure that waiting may cure.
func isTransient(err error) bool {
	var apiErr *plexmcp.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500
	}
	return !errors.Is(err, context.Canceled)
}
