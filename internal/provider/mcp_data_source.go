package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
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
	_ datasource.DataSource                     = (*mcpDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*mcpDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*mcpDataSource)(nil)
)

// NewMCPDataSource returns the plexmcp_mcp data source.
func NewMCPDataSource() datasource.DataSource { return &mcpDataSource{} }

type mcpDataSource struct {
	data *providerData
}

// mcpModel is one MCP as plexmcp_mcp shows it; plexmcp_mcps lists
// mcpSummaryModel, the same without the tools, which PlexMCP reports only
// for one MCP at a time.
type mcpModel struct {
	mcpSummaryModel
	Tools types.List `tfsdk:"tools"`
}

// toolType is one tool of an MCP, as Terraform types.
var toolType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"name": types.StringType, "description": types.StringType,
}}

func (d *mcpDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_mcp"
}

func (d *mcpDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	// The same fields as each element of plexmcp_mcps, with id and name
	// also accepted as the lookup key.
	attrs := mcpAttributes()
	attrs["tools"] = schema.ListNestedAttribute{
		MarkdownDescription: "The tools the MCP offers, as PlexMCP last saw them (a PlexMCP server knows them once it " +
			"has checked the MCP's health; empty before). Tool names are what applications call.",
		Computed: true,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"name":        schema.StringAttribute{MarkdownDescription: "The tool's name, such as `get_weather`.", Computed: true},
			"description": schema.StringAttribute{MarkdownDescription: "What the tool does.", Computed: true},
		}},
	}
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "The MCP's id (`mcp_…` on the hosted API, a UUID on a PlexMCP server). Exactly one of " +
			"`id` and `name` must be set.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.String{mcpID()},
	}
	attrs["name"] = schema.StringAttribute{
		MarkdownDescription: "The MCP's exact name, such as `Weather API`. Exactly one of `id` and `name` " +
			"must be set. A name that matches no MCP, or more than one, is an error.",
		Optional: true,
		Computed: true,
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up one MCP of the organisation by `id` or by exact `name`, typically to " +
			"grant an API key access to it through `mcp_ids`.",
		Attributes: attrs,
	}
}

func (d *mcpDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = dataFromProvider(req.ProviderData, &resp.Diagnostics)
}

func (d *mcpDataSource) ConfigValidators(_ context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
	}
}

func (d *mcpDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	var cfg mcpLookup
	resp.Diagnostics.Append(readAttributes(ctx, req.Config, &cfg)...)
	if resp.Diagnostics.HasError() || !requireClient(d.data, &resp.Diagnostics) {
		return
	}

	var mcp *plexmcp.MCP
	if !cfg.ID.IsNull() {
		var err error
		mcp, err = d.data.client.GetMCP(ctx, cfg.ID.ValueString())
		if plexmcp.IsNotFound(err) {
			resp.Diagnostics.AddAttributeError(path.Root("id"), "PlexMCP MCP Not Found",
				fmt.Sprintf("No MCP with id %q is visible to the provider's API key. Check the id, or look the MCP up by name.", cfg.ID.ValueString()))
			return
		}
		if err != nil {
			addAPIError(&resp.Diagnostics, "Error Reading PlexMCP MCP", err)
			return
		}
	} else {
		// List everything rather than filter server-side, so that a miss can
		// name the MCPs that do exist.
		all, err := d.data.client.ListMCPs(ctx, plexmcp.ListMCPsOptions{})
		if err != nil {
			addAPIError(&resp.Diagnostics, "Error Listing PlexMCP MCPs", err)
			return
		}
		found := findMCPByName(all, cfg.Name.ValueString(), &resp.Diagnostics)
		if found == nil {
			return
		}
		// Only one MCP's own page has its tools.
		if mcp, err = d.data.client.GetMCP(ctx, found.ID); err != nil {
			addAPIError(&resp.Diagnostics, "Error Reading PlexMCP MCP", err)
			return
		}
	}
	state, diags := mcpToModel(mcp)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func findMCPByName(all []plexmcp.MCP, name string, diags *diag.Diagnostics) *plexmcp.MCP {
	var matches []plexmcp.MCP
	names := make([]string, 0, len(all))
	for _, m := range all {
		names = append(names, fmt.Sprintf("%q", m.Name))
		if m.Name == name {
			matches = append(matches, m)
		}
	}
	switch len(matches) {
	case 1:
		return &matches[0]
	case 0:
		sort.Strings(names)
		available := "none"
		if len(names) > 0 {
			available = strings.Join(names, ", ")
		}
		diags.AddAttributeError(path.Root("name"), "PlexMCP MCP Not Found",
			fmt.Sprintf("No MCP is named %q (names are exact and case-sensitive). Available: %s.", name, available))
	default:
		ids := make([]string, 0, len(matches))
		for _, m := range matches {
			ids = append(ids, m.ID)
		}
		diags.AddAttributeError(path.Root("name"), "Ambiguous PlexMCP MCP Name",
			fmt.Sprintf("%d MCPs are named %q (%s). Look the MCP up by id instead.", len(matches), name, strings.Join(ids, ", ")))
	}
	return nil
}

// mcpLookup is what plexmcp_mcp reads from its configuration.
type mcpLookup struct {
	ID   types.String `tfsdk:"id"`
	Name types.String `tfsdk:"name"`
}

func mcpToModel(m *plexmcp.MCP) (mcpModel, diag.Diagnostics) {
	tools := make([]attr.Value, 0, len(m.Tools))
	var diags diag.Diagnostics
	for _, t := range m.Tools {
		tool, d := types.ObjectValue(toolType.AttrTypes, map[string]attr.Value{
			"name": types.StringValue(t.Name), "description": types.StringValue(t.Description),
		})
		diags.Append(d...)
		tools = append(tools, tool)
	}
	list, d := types.ListValue(toolType, tools)
	diags.Append(d...)
	return mcpModel{mcpSummaryModel: mcpToSummary(m), Tools: list}, diags
}
