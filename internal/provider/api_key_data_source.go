package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

var (
	_ datasource.DataSource              = (*apiKeyDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*apiKeyDataSource)(nil)
)

// NewAPIKeyDataSource returns the plexmcp_api_key data source.
func NewAPIKeyDataSource() datasource.DataSource { return &apiKeyDataSource{} }

type apiKeyDataSource struct {
	data *providerData
}

// apiKeyMetadataModel is an API key as the data sources show it: everything
// PlexMCP reports about the key, and never its secret. plexmcp_api_key uses
// it as its whole model, plexmcp_api_keys for each element of api_keys.
type apiKeyMetadataModel struct {
	ID           types.String      `tfsdk:"id"`
	Name         types.String      `tfsdk:"name"`
	Description  types.String      `tfsdk:"description"`
	Mode         types.String      `tfsdk:"mode"`
	KeyPrefix    types.String      `tfsdk:"key_prefix"`
	AllMCPs      types.Bool        `tfsdk:"all_mcps"`
	MCPIDs       types.Set         `tfsdk:"mcp_ids"`
	Status       types.String      `tfsdk:"status"`
	ExpiresAt    timetypes.RFC3339 `tfsdk:"expires_at"`
	CreatedAt    timetypes.RFC3339 `tfsdk:"created_at"`
	LastUsedAt   timetypes.RFC3339 `tfsdk:"last_used_at"`
	RequestCount types.Int64       `tfsdk:"request_count"`
	RevokedAt    timetypes.RFC3339 `tfsdk:"revoked_at"`
}

func (d *apiKeyDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (d *apiKeyDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := apiKeyMetadataAttributes()
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "The key's id (`key_…`), for example `plexmcp_api_key.ci.id`. Revoked keys are found " +
			"too; a key of another organisation is not.",
		Required:   true,
		Validators: []validator.String{keyID()},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one API key's metadata by id: its permissions, expiry, status and usage " +
			"(`last_used_at`, `request_count`), for example to alert on a key nobody uses any more. The secret is " +
			"never available here: PlexMCP shows it only when the key is created.",
		Attributes: attrs,
	}
}

// apiKeyMetadataAttributes describes an API key as a read-only object; the
// singular data source makes id its input.
func apiKeyMetadataAttributes() map[string]schema.Attribute {
	timestamp := func(description string) schema.StringAttribute {
		return schema.StringAttribute{CustomType: timetypes.RFC3339Type{}, MarkdownDescription: description, Computed: true}
	}
	return map[string]schema.Attribute{
		"id":          schema.StringAttribute{MarkdownDescription: "The key's id (`key_…`).", Computed: true},
		"name":        schema.StringAttribute{MarkdownDescription: "The key's name, such as `ci-production`.", Computed: true},
		"description": schema.StringAttribute{MarkdownDescription: "Notes on the key's use; empty if none.", Computed: true},
		"mode": schema.StringAttribute{
			MarkdownDescription: "`live` for a `pk_live_…` key, `test` for a `pk_test_…` key, which may invoke only " +
				"test-mode MCPs.",
			Computed: true,
		},
		"key_prefix": schema.StringAttribute{
			MarkdownDescription: "The first 12 characters of the key, such as `pk_live_a1B2`: safe to log, and enough " +
				"to recognise the key in the PlexMCP dashboard or in a leaked-secret report.",
			Computed: true,
		},
		"all_mcps": schema.BoolAttribute{
			MarkdownDescription: "`true` if the key may invoke every MCP of the organisation, including MCPs added " +
				"later; `false` if only those in `mcp_ids`.",
			Computed: true,
		},
		"mcp_ids": schema.SetAttribute{
			MarkdownDescription: "The ids of the MCPs the key may invoke (`mcp_…`). Null when `all_mcps` is `true`.",
			ElementType:         types.StringType,
			Computed:            true,
		},
		"status": schema.StringAttribute{
			MarkdownDescription: "`active`, `expired` or `revoked`, as PlexMCP reports it now. Only an `active` key " +
				"is accepted by the API.",
			Computed: true,
		},
		"expires_at": timestamp("When the key stops working (RFC 3339, UTC); null for a key that never expires."),
		"created_at": timestamp("When the key was created (RFC 3339, UTC)."),
		"last_used_at": timestamp("When the key last authenticated a request (RFC 3339, UTC); null if it never has. " +
			"A key unused for months is a candidate for revocation."),
		"request_count": schema.Int64Attribute{
			MarkdownDescription: "How many requests the key has authenticated since it was created. Requests refused " +
				"by rate limiting are not counted.",
			Computed: true,
		},
		"revoked_at": timestamp("When the key was revoked (RFC 3339, UTC); null unless `status` is `revoked`."),
	}
}

func (d *apiKeyDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = dataFromProvider(req.ProviderData, &resp.Diagnostics)
}

func (d *apiKeyDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	var cfg apiKeyMetadataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !requireClient(d.data, &resp.Diagnostics) {
		return
	}
	id := cfg.ID.ValueString()
	key, err := d.data.client.GetAPIKey(ctx, id)
	if plexmcp.IsNotFound(err) {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "PlexMCP API Key Not Found",
			fmt.Sprintf("No API key with id %q exists in the organisation of the provider's management key. Check "+
				"the id (it starts with key_), and that the provider points at the right organisation; the "+
				"plexmcp_api_keys data source lists the keys that exist.", id))
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Error Reading PlexMCP API Key", err)
		return
	}
	state, diags := apiKeyToMetadataModel(ctx, key)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// apiKeyToMetadataModel converts what the API reports about a key for both
// data sources. It has no secret to copy: plexmcp.APIKey carries none.
func apiKeyToMetadataModel(ctx context.Context, k *plexmcp.APIKey) (apiKeyMetadataModel, diag.Diagnostics) {
	m := apiKeyMetadataModel{
		ID:           types.StringValue(k.ID),
		Name:         types.StringValue(k.Name),
		Description:  types.StringValue(k.Description),
		Mode:         types.StringValue(k.Mode),
		KeyPrefix:    types.StringValue(k.KeyPrefix),
		AllMCPs:      types.BoolValue(k.Permissions.AllMCPs),
		MCPIDs:       types.SetNull(types.StringType),
		Status:       types.StringValue(k.Status),
		ExpiresAt:    optionalTime(k.ExpiresAt),
		CreatedAt:    timetypes.NewRFC3339TimeValue(k.CreatedAt.UTC()),
		LastUsedAt:   optionalTime(k.LastUsedAt),
		RequestCount: types.Int64Value(k.RequestCount),
		RevokedAt:    optionalTime(k.RevokedAt),
	}
	var diags diag.Diagnostics
	if !k.Permissions.AllMCPs {
		m.MCPIDs, diags = types.SetValueFrom(ctx, types.StringType, k.Permissions.MCPIDs)
	}
	return m, diags
}
