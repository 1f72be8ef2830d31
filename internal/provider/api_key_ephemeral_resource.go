package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

var (
	_ ephemeral.EphemeralResource                   = (*apiKeyEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithConfigure      = (*apiKeyEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithValidateConfig = (*apiKeyEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithClose          = (*apiKeyEphemeralResource)(nil)
)

// Lifetimes of an ephemeral key. The floor leaves room for a run to use the
// key; the ceiling keeps a key whose Close never ran (a killed terraform)
// from outliving the day.
const (
	defaultEphemeralTTL = time.Hour
	minEphemeralTTL     = time.Minute
	maxEphemeralTTL     = 24 * time.Hour

	// ephemeralCloseTimeout bounds the revoke at the end of a run.
	ephemeralCloseTimeout = 2 * time.Minute

	// privateOpenedKey names the private data that carries the opened key (its id, never its secret) from
	// Open to Close.
	privateOpenedKey = "opened_key"
)

// NewAPIKeyEphemeralResource returns the plexmcp_api_key ephemeral resource.
func NewAPIKeyEphemeralResource() ephemeral.EphemeralResource { return &apiKeyEphemeralResource{} }

type apiKeyEphemeralResource struct {
	data *providerData
}

type apiKeyEphemeralModel struct {
	Name         types.String      `tfsdk:"name"`
	Description  types.String      `tfsdk:"description"`
	AllMCPs      types.Bool        `tfsdk:"all_mcps"`
	MCPIDs       types.Set         `tfsdk:"mcp_ids"`
	RateLimitRPM types.Int64       `tfsdk:"rate_limit_rpm"`
	TTL          types.String      `tfsdk:"ttl"`
	ID           types.String      `tfsdk:"id"`
	Key          types.String      `tfsdk:"key"`
	KeyPrefix    types.String      `tfsdk:"key_prefix"`
	ExpiresAt    timetypes.RFC3339 `tfsdk:"expires_at"`
}

// openedKey is what Open leaves for Close in private data. It never holds
// the secret.
type openedKey struct {
	ID        string    `json:"id"`
	KeyPrefix string    `json:"key_prefix"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (e *apiKeyEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (e *apiKeyEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A short-lived API key that exists only while Terraform runs and never reaches " +
			"state or plan files. Use it to give another provider or a tool a key of its own for the length of one " +
			"run, limited to the MCPs it needs, so that nothing it runs holds a long-lived key.\n\n" +
			"Terraform opens ephemeral resources in every plan and every apply, so each run creates its own key, " +
			"expiring `ttl` after it was created, and revokes it when the run ends. If a run is killed before it " +
			"can revoke the key, the key still stops working at `expires_at`. Needs Terraform 1.10 or later. For " +
			"a key that outlives the run, use the `plexmcp_api_key` resource. What the PlexMCP API cannot keep " +
			"(a description on a PlexMCP server, `rate_limit_rpm` on the hosted API) is refused when it is opened, " +
			"before any key is made.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				MarkdownDescription: nameDescription + " It is what the PlexMCP dashboard shows while the key exists.",
				Required:            true,
				Validators:          nameValidators(),
			},
			"description": schema.StringAttribute{
				MarkdownDescription: descriptionDescription,
				Optional:            true,
				Validators:          descriptionValidators(),
			},
			"all_mcps": schema.BoolAttribute{
				MarkdownDescription: allMCPsDescription,
				Optional:            true,
			},
			"mcp_ids": schema.SetAttribute{
				MarkdownDescription: mcpIDsDescription,
				ElementType:         types.StringType,
				Optional:            true,
				Validators:          mcpIDsValidators(),
			},
			"rate_limit_rpm": schema.Int64Attribute{
				MarkdownDescription: rateLimitDescription,
				Optional:            true,
				Validators:          rateLimitValidators(),
			},
			"ttl": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("How long the key lives, as a Go duration such as `15m` or `2h`: "+
					"it expires that long after it is created, even if the run is killed before it can be revoked. "+
					"Between `%s` and `%s`; defaults to `%s`. Choose the longest time the run may need the key.",
					formatDuration(minEphemeralTTL), formatDuration(maxEphemeralTTL), formatDuration(defaultEphemeralTTL)),
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{ttlFormat()},
			},
			"id": schema.StringAttribute{
				MarkdownDescription: "The key's id, as the PlexMCP dashboard shows it during the run.",
				Computed:            true,
			},
			"key": schema.StringAttribute{
				MarkdownDescription: "The secret key (`pmcp_…`). Sensitive; use it only where " +
					"ephemeral values are allowed, such as a provider block or a write-only attribute.",
				Computed:  true,
				Sensitive: true,
			},
			"key_prefix": schema.StringAttribute{
				MarkdownDescription: "The start of the key as PlexMCP shows it, such as `pmcp_01a1b2c`: safe to log.",
				Computed:            true,
			},
			"expires_at": schema.StringAttribute{
				CustomType:          timetypes.RFC3339Type{},
				MarkdownDescription: "When the key stops working (RFC 3339, UTC): its creation time plus `ttl`, to the second.",
				Computed:            true,
			},
		},
	}
}

// ttlFormat keeps ttl within the bounds an ephemeral key may live, at plan
// time, so a bad value fails before any key is created.
func ttlFormat() validator.String {
	return stringCheck{
		description: fmt.Sprintf("must be a Go duration between %s and %s", formatDuration(minEphemeralTTL), formatDuration(maxEphemeralTTL)),
		check:       checkTTL,
	}
}

func checkTTL(s string) string {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return fmt.Sprintf("must be a Go duration such as \"15m\" or \"2h\", got %q", s)
	case d < minEphemeralTTL:
		return fmt.Sprintf("must be at least %s, got %q; a shorter-lived key could expire before the run uses it",
			formatDuration(minEphemeralTTL), s)
	case d > maxEphemeralTTL:
		return fmt.Sprintf("must be at most %s, got %q; for a key that lives longer, use the plexmcp_api_key "+
			"resource with expires_in_days", formatDuration(maxEphemeralTTL), s)
	}
	return ""
}

func (e *apiKeyEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = dataFromProvider(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig applies the permission rules of the plexmcp_api_key
// resource, with the same messages.
func (e *apiKeyEphemeralResource) ValidateConfig(ctx context.Context, req ephemeral.ValidateConfigRequest, resp *ephemeral.ValidateConfigResponse) {
	var cfg apiKeyEphemeralModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validatePermissionsConfig(cfg.AllMCPs, cfg.MCPIDs, &resp.Diagnostics)
}

func (e *apiKeyEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	ctx = maskSecrets(ctx)
	var m apiKeyEphemeralModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !requireClient(e.data, &resp.Diagnostics) {
		return
	}
	if m.TTL.IsNull() {
		m.TTL = types.StringValue(formatDuration(defaultEphemeralTTL))
	}
	// The validator rejects bad values at plan time; this guards against
	// one it could not see because it was not known yet.
	if problem := checkTTL(m.TTL.ValueString()); problem != "" {
		resp.Diagnostics.AddAttributeError(path.Root("ttl"), "Invalid Attribute Value", "ttl "+problem+".")
		return
	}
	ttl, _ := time.ParseDuration(m.TTL.ValueString()) // checked just above
	// Terraform opens ephemeral resources while it plans, so this refuses
	// what the API cannot keep at plan time, before any key exists.
	refuseUnsupportedInputs(e.data.client.Capabilities(ctx), apiKeyPlanConfig{
		Name: m.Name, Description: m.Description, RateLimitRPM: m.RateLimitRPM,
	}, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	expiresAt := e.data.clock().Add(ttl).Truncate(time.Second).UTC()
	createReq := plexmcp.CreateAPIKeyRequest{
		Name:         m.Name.ValueString(),
		Description:  m.Description.ValueString(),
		ExpiresAt:    &expiresAt,
		RateLimitRPM: m.RateLimitRPM.ValueInt64Pointer(),
	}
	resp.Diagnostics.Append(permissionsFromModel(ctx, m.AllMCPs, m.MCPIDs, &createReq.Permissions)...)
	if resp.Diagnostics.HasError() {
		return
	}
	created, err := e.data.client.CreateAPIKey(ctx, createReq)
	if err != nil {
		// A create the client could not settle says itself what may exist
		// and how to find it. Nothing records an ephemeral key, so nothing
		// settles it later: its expiry is the backstop.
		var uncertain *plexmcp.CreateUncertainError
		if errors.As(err, &uncertain) {
			resp.Diagnostics.AddError("Error Creating Ephemeral PlexMCP API Key", fmt.Sprintf("%s.\n\nTerraform "+
				"keeps no record of ephemeral keys, so no later run looks for it; such a key stops working at %s "+
				"regardless.", uncertain.Error(), expiresAt.Format(time.RFC3339)))
			return
		}
		addAPIError(&resp.Diagnostics, "Error Creating Ephemeral PlexMCP API Key", err)
		return
	}
	opened := openedKey{ID: created.ID, KeyPrefix: created.KeyPrefix, ExpiresAt: expiresAt}
	if created.ExpiresAt != nil {
		opened.ExpiresAt = created.ExpiresAt.UTC()
	}
	tflog.Debug(ctx, "created ephemeral PlexMCP API key", map[string]any{"id": opened.ID, "key_prefix": opened.KeyPrefix, "expires_at": opened.ExpiresAt})

	m.ID = types.StringValue(created.ID)
	m.Key = types.StringValue(created.Key.Reveal())
	m.KeyPrefix = types.StringValue(created.KeyPrefix)
	m.ExpiresAt = timetypes.NewRFC3339TimeValue(opened.ExpiresAt.Truncate(time.Second))
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
	private, err := json.Marshal(opened)
	if err != nil {
		resp.Diagnostics.AddError("Error Recording Ephemeral PlexMCP API Key",
			fmt.Sprintf("The key could not be recorded for revocation at the end of the run: %s. This is a bug in the provider.", err))
	} else {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateOpenedKey, private)...)
	}
	if resp.Diagnostics.HasError() {
		// Terraform closes only what opened successfully; revoke now rather
		// than leave the key working until it expires.
		e.revoke(ctx, opened, &resp.Diagnostics)
	}
}

// Close revokes the key as soon as Terraform no longer needs it.
func (e *apiKeyEphemeralResource) Close(ctx context.Context, req ephemeral.CloseRequest, resp *ephemeral.CloseResponse) {
	ctx = maskSecrets(ctx)
	raw, diags := req.Private.GetKey(ctx, privateOpenedKey)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() || len(raw) == 0 {
		return
	}
	var opened openedKey
	if err := json.Unmarshal(raw, &opened); err != nil || opened.ID == "" {
		resp.Diagnostics.AddError("Error Revoking Ephemeral PlexMCP API Key", "The provider could not tell which "+
			"key this run created, so it was not revoked; it stops working at its expiry. Find it by name in the "+
			"PlexMCP dashboard to revoke it sooner. This is a bug in the provider.")
		return
	}
	if !requireClient(e.data, &resp.Diagnostics) {
		return
	}
	e.revoke(ctx, opened, &resp.Diagnostics)
}

// revoke ends an ephemeral key. A key that is already gone is what the
// caller wants too; one that cannot be revoked still expires on its own,
// and the diagnostics say when.
func (e *apiKeyEphemeralResource) revoke(ctx context.Context, k openedKey, diags *diag.Diagnostics) {
	ctx, cancel := context.WithTimeout(ctx, ephemeralCloseTimeout)
	defer cancel()
	if err := e.data.client.RevokeAPIKey(ctx, k.ID); err != nil && !plexmcp.IsNotFound(err) {
		addAPIError(diags, "Error Revoking Ephemeral PlexMCP API Key", err)
		diags.AddWarning("Ephemeral PlexMCP API Key Still Active",
			fmt.Sprintf("The key %s (%s) that this run created could not be revoked. It stops working on its own "+
				"at %s; revoke it in the PlexMCP dashboard to end it sooner.", k.ID, k.KeyPrefix,
				k.ExpiresAt.Format(time.RFC3339)))
		return
	}
	tflog.Debug(ctx, "revoked ephemeral PlexMCP API key", map[string]any{"id": k.ID, "key_prefix": k.KeyPrefix})
}
