package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

var (
	_ datasource.DataSource              = (*apiKeysDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*apiKeysDataSource)(nil)
)

// NewAPIKeysDataSource returns the plexmcp_api_keys data source.
func NewAPIKeysDataSource() datasource.DataSource { return &apiKeysDataSource{} }

type apiKeysDataSource struct {
	data *providerData
}

type apiKeysDataSourceModel struct {
	Status    types.String          `tfsdk:"status"`
	NameRegex types.String          `tfsdk:"name_regex"`
	APIKeys   []apiKeyMetadataModel `tfsdk:"api_keys"`
}

func (d *apiKeysDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_keys"
}

func (d *apiKeysDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the organisation's API keys, including those created outside Terraform, with " +
			"the same metadata as the `plexmcp_api_key` data source (except `created_by` and `recent_activity`, " +
			"which PlexMCP reports only for one key) and never their secrets. Use it to audit keys: which have " +
			"expired, which were revoked, which nobody has used. PlexMCP's hosted API only: a self-hosted PlexMCP " +
			"server lists no keys to API keys, so there it is an error that says so.",
		Attributes: map[string]schema.Attribute{
			"status": schema.StringAttribute{
				MarkdownDescription: keyStatusDescription,
				Optional:            true,
				Validators:          keyStatusValidators(),
			},
			"name_regex": nameRegexAttribute("keys"),
			"api_keys": schema.ListNestedAttribute{
				MarkdownDescription: "The matching keys, oldest first, as PlexMCP lists them. Each has the " +
					"attributes of the `plexmcp_api_key` data source. Empty, not null, when nothing matches.",
				Computed:     true,
				NestedObject: schema.NestedAttributeObject{Attributes: apiKeyMetadataAttributes()},
			},
		},
	}
}

func (d *apiKeysDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = dataFromProvider(req.ProviderData, &resp.Diagnostics)
}

func (d *apiKeysDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	var state apiKeysDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &state)...)
	nameRegex := compileNameRegex(state.NameRegex, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || !requireClient(d.data, &resp.Diagnostics) {
		return
	}

	if !d.data.client.Capabilities(ctx).ListsKeys {
		resp.Diagnostics.AddError("Listing API Keys Not Supported by a PlexMCP Server", keysNotListedExplanation(
			"the plexmcp_api_keys data source")+" Read keys one at a time with the plexmcp_api_key data source, by id.")
		return
	}
	keys, err := d.data.client.ListAPIKeys(ctx, plexmcp.ListAPIKeysOptions{Status: state.Status.ValueString()})
	if err != nil {
		addAPIError(&resp.Diagnostics, "Error Listing PlexMCP API Keys", err)
		return
	}
	state.APIKeys = make([]apiKeyMetadataModel, 0, len(keys))
	for i := range keys {
		if nameRegex != nil && !nameRegex.MatchString(keys[i].Name) {
			continue
		}
		m, diags := apiKeyToMetadataModel(ctx, &keys[i])
		resp.Diagnostics.Append(diags...)
		state.APIKeys = append(state.APIKeys, m)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}
