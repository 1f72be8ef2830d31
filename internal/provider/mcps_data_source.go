package provider

import (
	"context"

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
	NameRegex types.String `tfsdk:"name_regex"`
	Mode      types.String `tfsdk:"mode"`
	IDs       types.List   `tfsdk:"ids"`
	MCPs      []mcpModel   `tfsdk:"mcps"`
}

func (d *mcpsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_mcps"
}

func (d *mcpsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the MCPs the provider's API key can see, optionally filtered by name and mode, " +
			"for example to grant a key every test-mode MCP through `mcp_ids`. A management key sees every MCP " +
			"of its organisation; an access key sees only the MCPs it may invoke.",
		Attributes: map[string]schema.Attribute{
			"name_regex": nameRegexAttribute("MCPs"),
			"mode": schema.StringAttribute{
				MarkdownDescription: "Keep only MCPs in this mode: `live` or `test`. Leave unset for both.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(plexmcp.ModeLive, plexmcp.ModeTest)},
			},
			"ids": schema.ListAttribute{
				MarkdownDescription: "The ids of the matching MCPs, in the order of `mcps`. Convenient for " +
					"`mcp_ids = data.plexmcp_mcps.example.ids`. Empty, not null, when nothing matches.",
				ElementType: types.StringType,
				Computed:    true,
			},
			"mcps": schema.ListNestedAttribute{
				MarkdownDescription: "The matching MCPs, in the order PlexMCP lists them (oldest first). Each has " +
					"the attributes of the `plexmcp_mcp` data source.",
				Computed:     true,
				NestedObject: schema.NestedAttributeObject{Attributes: mcpAttributes()},
			},
		},
	}
}

// mcpAttributes describes one MCP as a read-only object.
func mcpAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id":          schema.StringAttribute{MarkdownDescription: "The MCP's id (`mcp_…`), for a key's `mcp_ids`.", Computed: true},
		"name":        schema.StringAttribute{MarkdownDescription: "The MCP's name, such as `Weather API`.", Computed: true},
		"description": schema.StringAttribute{MarkdownDescription: "What the MCP does.", Computed: true},
		"mode": schema.StringAttribute{
			MarkdownDescription: "`live` or `test`. Only `test` MCPs can be invoked with `pk_test_…` keys.",
			Computed:            true,
		},
		"status": schema.StringAttribute{MarkdownDescription: "The MCP's status, such as `active`.", Computed: true},
		"tools":  schema.ListAttribute{MarkdownDescription: "The tools the MCP offers.", Computed: true, ElementType: types.StringType},
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

	// The API filters by exact name and status only, so the regular
	// expression and the mode are applied here.
	all, err := d.data.client.ListMCPs(ctx, plexmcp.ListMCPsOptions{})
	if err != nil {
		addAPIError(&resp.Diagnostics, "Error Listing PlexMCP MCPs", err)
		return
	}
	state.MCPs = make([]mcpModel, 0, len(all))
	ids := make([]string, 0, len(all))
	for i := range all {
		m := &all[i]
		if nameRegex != nil && !nameRegex.MatchString(m.Name) {
			continue
		}
		if !state.Mode.IsNull() && m.Mode != state.Mode.ValueString() {
			continue
		}
		model, diags := mcpToModel(ctx, m)
		resp.Diagnostics.Append(diags...)
		state.MCPs = append(state.MCPs, model)
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
