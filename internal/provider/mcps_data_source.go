package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

var (
	_ datasource.DataSource              = (*mcpsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*mcpsDataSource)(nil)
)

// NewMCPsDataSource returns the plexmcp_mcps data source.
func NewMCPsDataSource() datasource.DataSource { return &mcpsDataSource{} }

type mcpsDataSource struct {
	data *providerData
}

type mcpsDataSourceModel struct {
	NameRegex types.String      `tfsdk:"name_regex"`
	Status    types.String      `tfsdk:"status"`
	Health    types.String      `tfsdk:"health"`
	IDs       types.List        `tfsdk:"ids"`
	MCPs      []mcpSummaryModel `tfsdk:"mcps"`
}

// mcpSummaryModel is one MCP in a list: plexmcp_mcp's attributes but the
// tools.
type mcpSummaryModel struct {
	ID           types.String      `tfsdk:"id"`
	Name         types.String      `tfsdk:"name"`
	Description  types.String      `tfsdk:"description"`
	EndpointURL  types.String      `tfsdk:"endpoint_url"`
	Status       types.String      `tfsdk:"status"`
	Health       types.String      `tfsdk:"health"`
	CreatedAt    timetypes.RFC3339 `tfsdk:"created_at"`
	LastActive   timetypes.RFC3339 `tfsdk:"last_active"`
	RequestCount types.Int64       `tfsdk:"request_count"`
}

// MCP statuses and health as PlexMCP reports them.
const (
	mcpStatusActive   = "active"
	mcpStatusInactive = "inactive"
	mcpHealthy        = "healthy"
	mcpUnhealthy      = "unhealthy"
	mcpHealthUnknown  = "unknown"
)

func (d *mcpsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_mcps"
}

func (d *mcpsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the organisation's MCPs, optionally filtered by name, status and health, for " +
			"example to grant a key every active MCP through `mcp_ids`. Every API key of an organisation sees " +
			"all of its MCPs.",
		Attributes: map[string]schema.Attribute{
			"name_regex": nameRegexAttribute("MCPs"),
			"status": schema.StringAttribute{
				MarkdownDescription: "Keep only MCPs with this status: `active` or `inactive`. Leave unset for both.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(mcpStatusActive, mcpStatusInactive)},
			},
			"health": schema.StringAttribute{
				MarkdownDescription: "Keep only MCPs whose last health check found them `healthy`, `unhealthy` or " +
					"`unknown` (not checked yet). Leave unset for all.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(mcpHealthy, mcpUnhealthy, mcpHealthUnknown)},
			},
			"ids": schema.ListAttribute{
				MarkdownDescription: "The ids of the matching MCPs, in the order of `mcps`. Convenient for " +
					"`mcp_ids = data.plexmcp_mcps.example.ids`. Empty, not null, when nothing matches.",
				ElementType: types.StringType,
				Computed:    true,
			},
			"mcps": schema.ListNestedAttribute{
				MarkdownDescription: "The matching MCPs, in the order PlexMCP lists them. Each has the attributes of " +
					"the `plexmcp_mcp` data source except `tools`, which PlexMCP reports only for one MCP.",
				Computed:     true,
				NestedObject: schema.NestedAttributeObject{Attributes: mcpAttributes()},
			},
		},
	}
}

// mcpAttributes describes one MCP as a read-only object, without its tools.
func mcpAttributes() map[string]schema.Attribute {
	str := func(description string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: description, Computed: true}
	}
	return map[string]schema.Attribute{
		"id":           str("The MCP's id, for a key's `mcp_ids`."),
		"name":         str("The MCP's name, such as `Weather API`."),
		"description":  str("What the MCP does; empty if nobody said."),
		"endpoint_url": str("Where PlexMCP reaches the MCP."),
		"status":       str("`active` or `inactive` (a PlexMCP server also knows others); only active MCPs answer."),
		"health":       str("`healthy`, `unhealthy` or `unknown`, from PlexMCP's last health check."),
		"created_at":   computedTimestamp("When the MCP was registered (RFC 3339, UTC)."),
		"last_active":  computedTimestamp("When the MCP last answered a call (RFC 3339, UTC); null if never, or where PlexMCP does not say."),
		"request_count": schema.Int64Attribute{
			MarkdownDescription: "How many calls the MCP has answered; 0 where PlexMCP does not say.",
			Computed:            true,
		},
	}
}

func (d *mcpsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = dataFromProvider(req.ProviderData, &resp.Diagnostics)
}

func (d *mcpsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	var state mcpsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &state)...)
	nameRegex := compileNameRegex(state.NameRegex, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || !requireClient(d.data, &resp.Diagnostics) {
		return
	}

	// The status filter is PlexMCP's; name and health are filtered here.
	all, err := d.data.client.ListMCPs(ctx, plexmcp.ListMCPsOptions{Status: state.Status.ValueString()})
	if err != nil {
		addAPIError(&resp.Diagnostics, "Error Listing PlexMCP MCPs", err)
		return
	}
	state.MCPs = make([]mcpSummaryModel, 0, len(all))
	ids := make([]string, 0, len(all))
	for i := range all {
		m := &all[i]
		switch {
		case nameRegex != nil && !nameRegex.MatchString(m.Name),
			!state.Status.IsNull() && m.Status != state.Status.ValueString(),
			!state.Health.IsNull() && m.Health != state.Health.ValueString():
			continue
		}
		state.MCPs = append(state.MCPs, mcpToSummary(m))
		ids = append(ids, m.ID)
	}
	list, diags := types.ListValueFrom(ctx, types.StringType, ids)
	resp.Diagnostics.Append(diags...)
	state.IDs = list
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// mcpToSummary converts what the API reports about an MCP.
func mcpToSummary(m *plexmcp.MCP) mcpSummaryModel {
	return mcpSummaryModel{
		ID:           types.StringValue(m.ID),
		Name:         types.StringValue(m.Name),
		Description:  types.StringValue(m.Description),
		EndpointURL:  types.StringValue(m.EndpointURL),
		Status:       types.StringValue(m.Status),
		Health:       types.StringValue(m.Health),
		CreatedAt:    timetypes.NewRFC3339TimeValue(m.CreatedAt.UTC()),
		LastActive:   optionalTime(m.LastActive),
		RequestCount: types.Int64Value(m.RequestCount),
	}
}
