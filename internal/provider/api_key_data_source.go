package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
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

// apiKeyMetadataModel is an API key as the data sources show it: what
// PlexMCP reports about the key for watching it, and never its secret.
// plexmcp_api_key uses it as its whole model, plexmcp_api_keys for each
// element of api_keys. None of it is on the resource: usage changes with
// every call and would make every plan show a change.
type apiKeyMetadataModel struct {
	ID             types.String      `tfsdk:"id"`
	Name           types.String      `tfsdk:"name"`
	Description    types.String      `tfsdk:"description"`
	KeyPrefix      types.String      `tfsdk:"key_prefix"`
	AllMCPs        types.Bool        `tfsdk:"all_mcps"`
	MCPIDs         types.Set         `tfsdk:"mcp_ids"`
	Status         types.String      `tfsdk:"status"`
	ExpiresAt      timetypes.RFC3339 `tfsdk:"expires_at"`
	CreatedAt      timetypes.RFC3339 `tfsdk:"created_at"`
	UpdatedAt      timetypes.RFC3339 `tfsdk:"updated_at"`
	LastUsed       timetypes.RFC3339 `tfsdk:"last_used"`
	RevokedAt      timetypes.RFC3339 `tfsdk:"revoked_at"`
	RateLimitRPM   types.Int64       `tfsdk:"rate_limit_rpm"`
	Usage          types.Object      `tfsdk:"usage"`
	CreatedBy      types.Object      `tfsdk:"created_by"`
	RecentActivity types.List        `tfsdk:"recent_activity"`
}

// The nested objects of apiKeyMetadataModel, as Terraform types.
var (
	usageType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"total_requests": types.Int64Type, "requests_today": types.Int64Type,
		"requests_this_week": types.Int64Type, "requests_this_month": types.Int64Type,
	}}
	createdByType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"id": types.StringType, "email": types.StringType,
	}}
	activityType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"timestamp": timetypes.RFC3339Type{}, "mcp_id": types.StringType, "tool": types.StringType,
		"status": types.StringType,
	}}
)

func (d *apiKeyDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (d *apiKeyDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := apiKeyMetadataAttributes()
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "The key's id, for example `plexmcp_api_key.ci.id`. Revoked keys are found too on " +
			"PlexMCP's hosted API; a key of another organisation is not.",
		Required:   true,
		Validators: []validator.String{keyID()},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one API key by id: its permissions, expiry, status and what PlexMCP reports " +
			"for watching it (`last_used`, `usage` and, on PlexMCP's hosted API, `recent_activity` with each " +
			"call's success or error), for example to alert on a key nobody uses any more or on one whose calls " +
			"fail. Works on both PlexMCP APIs. The secret is never available here: PlexMCP shows it only when the " +
			"key is created.",
		Attributes: attrs,
	}
}

// apiKeyMetadataAttributes describes an API key as a read-only object; the
// singular data source makes id its input.
func apiKeyMetadataAttributes() map[string]schema.Attribute {
	count := func(description string) schema.Int64Attribute {
		return schema.Int64Attribute{MarkdownDescription: description, Computed: true}
	}
	return map[string]schema.Attribute{
		"id":          schema.StringAttribute{MarkdownDescription: "The key's id.", Computed: true},
		"name":        schema.StringAttribute{MarkdownDescription: "The key's name, such as `ci-production`.", Computed: true},
		"description": schema.StringAttribute{MarkdownDescription: "Notes on the key's use; empty if none (always on a PlexMCP server).", Computed: true},
		"key_prefix": schema.StringAttribute{
			MarkdownDescription: "The start of the key as PlexMCP shows it, such as `pmcp_01a1b2c`: safe to log, and " +
				"enough to recognise the key in the PlexMCP dashboard or in a leaked-secret report.",
			Computed: true,
		},
		"all_mcps": schema.BoolAttribute{
			MarkdownDescription: "`true` if the key may invoke every MCP of the organisation, including MCPs added " +
				"later; `false` if only those in `mcp_ids`.",
			Computed: true,
		},
		"mcp_ids": schema.SetAttribute{
			MarkdownDescription: "The ids of the MCPs the key may invoke. Null when `all_mcps` is `true`.",
			ElementType:         types.StringType,
			Computed:            true,
		},
		"status": schema.StringAttribute{
			MarkdownDescription: "`active`, `expired` or `revoked`, as PlexMCP reports it now (a PlexMCP server " +
				"deletes revoked keys, so there it is `active` or `expired`). Only an `active` key works.",
			Computed: true,
		},
		"expires_at": computedTimestamp("When the key stops working (RFC 3339, UTC); null for a key that never expires."),
		"created_at": computedTimestamp("When the key was created (RFC 3339, UTC)."),
		"updated_at": computedTimestamp("When the key was last changed (RFC 3339, UTC); null where PlexMCP does not say."),
		"last_used": computedTimestamp("When the key last authenticated a request (RFC 3339, UTC); null if it never " +
			"has. A key unused for months is a candidate for revocation."),
		"revoked_at": computedTimestamp("When the key was revoked (RFC 3339, UTC); null unless `status` is `revoked`."),
		"rate_limit_rpm": schema.Int64Attribute{
			MarkdownDescription: "The key's own limit of requests a minute through a PlexMCP server's MCP proxy; null " +
				"on PlexMCP's hosted API, which has none.",
			Computed: true,
		},
		"usage": schema.SingleNestedAttribute{
			MarkdownDescription: "How many requests the key has made, as PlexMCP counts them (requests refused by " +
				"rate limiting are not counted). Days, weeks (from Monday) and months are calendar periods in UTC.",
			Computed: true,
			Attributes: map[string]schema.Attribute{
				"total_requests": count("Since the key was created."),
				"requests_today": count("Today; null where PlexMCP does not report it (a PlexMCP server, a list of keys on the hosted API)."),
				"requests_this_week": count("This week; null where PlexMCP does not report it (a PlexMCP server, a " +
					"list of keys)."),
				"requests_this_month": count("This month; null where PlexMCP does not report it (a PlexMCP server, a " +
					"list of keys)."),
			},
		},
		"created_by": schema.SingleNestedAttribute{
			MarkdownDescription: "Who created the key, where PlexMCP says (the hosted API, for one key); null otherwise.",
			Computed:            true,
			Attributes: map[string]schema.Attribute{
				"id":    schema.StringAttribute{MarkdownDescription: "The user's id.", Computed: true},
				"email": schema.StringAttribute{MarkdownDescription: "The user's email address.", Computed: true},
			},
		},
		"recent_activity": schema.ListNestedAttribute{
			MarkdownDescription: "The key's most recent invocations, newest first (at most 10), where PlexMCP reports " +
				"them (the hosted API, for one key); null otherwise. Count the `error` entries to watch for " +
				"unexpected error rates.",
			Computed: true,
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"timestamp": computedTimestamp("When the call was made (RFC 3339, UTC)."),
				"mcp_id":    schema.StringAttribute{MarkdownDescription: "The MCP that was called.", Computed: true},
				"tool":      schema.StringAttribute{MarkdownDescription: "The tool that was called.", Computed: true},
				"status":    schema.StringAttribute{MarkdownDescription: "`success` or `error`.", Computed: true},
			}},
		},
	}
}

func (d *apiKeyDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = dataFromProvider(req.ProviderData, &resp.Diagnostics)
}

// apiKeyLookup is what the data source reads from its configuration.
type apiKeyLookup struct {
	ID types.String `tfsdk:"id"`
}

func (d *apiKeyDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	var cfg apiKeyLookup
	resp.Diagnostics.Append(readAttributes(ctx, req.Config, &cfg)...)
	if resp.Diagnostics.HasError() || !requireClient(d.data, &resp.Diagnostics) {
		return
	}
	id := cfg.ID.ValueString()
	key, err := d.data.client.GetAPIKey(ctx, id)
	if plexmcp.IsNotFound(err) {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "PlexMCP API Key Not Found",
			fmt.Sprintf("No API key with id %q exists in the organisation of the provider's API key. Check the id, "+
				"and that the provider points at the right organisation (and, on a PlexMCP server, that the key was "+
				"not deleted).", id))
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
		KeyPrefix:    types.StringValue(k.KeyPrefix),
		AllMCPs:      types.BoolValue(k.Permissions.AllMCPs),
		MCPIDs:       types.SetNull(types.StringType),
		Status:       types.StringValue(k.Status),
		ExpiresAt:    optionalTime(k.ExpiresAt),
		CreatedAt:    timetypes.NewRFC3339TimeValue(k.CreatedAt.UTC()),
		UpdatedAt:    optionalTime(k.UpdatedAt),
		LastUsed:     optionalTime(k.LastUsed),
		RevokedAt:    optionalTime(k.RevokedAt),
		RateLimitRPM: types.Int64PointerValue(k.RateLimitRPM),
	}
	var diags, d diag.Diagnostics
	if !k.Permissions.AllMCPs {
		m.MCPIDs, d = types.SetValueFrom(ctx, types.StringType, k.Permissions.MCPIDs)
		diags.Append(d...)
	}
	m.Usage, d = types.ObjectValue(usageType.AttrTypes, map[string]attr.Value{
		"total_requests":      types.Int64Value(k.Usage.TotalRequests),
		"requests_today":      types.Int64PointerValue(k.Usage.RequestsToday),
		"requests_this_week":  types.Int64PointerValue(k.Usage.RequestsThisWeek),
		"requests_this_month": types.Int64PointerValue(k.Usage.RequestsThisMonth),
	})
	diags.Append(d...)
	m.CreatedBy = types.ObjectNull(createdByType.AttrTypes)
	if k.CreatedBy != nil {
		m.CreatedBy, d = types.ObjectValue(createdByType.AttrTypes, map[string]attr.Value{
			"id": types.StringValue(k.CreatedBy.ID), "email": types.StringValue(k.CreatedBy.Email),
		})
		diags.Append(d...)
	}
	m.RecentActivity = types.ListNull(activityType)
	if k.RecentActivity != nil {
		entries := make([]attr.Value, 0, len(k.RecentActivity))
		for _, a := range k.RecentActivity {
			entry, d := types.ObjectValue(activityType.AttrTypes, map[string]attr.Value{
				"timestamp": timetypes.NewRFC3339TimeValue(a.Timestamp.UTC()),
				"mcp_id":    types.StringValue(a.MCPID),
				"tool":      types.StringValue(a.Tool),
				"status":    types.StringValue(a.Status),
			})
			diags.Append(d...)
			entries = append(entries, entry)
		}
		m.RecentActivity, d = types.ListValue(activityType, entries)
		diags.Append(d...)
	}
	return m, diags
}
