package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

var (
	_ list.ListResource              = (*apiKeyListResource)(nil)
	_ list.ListResourceWithConfigure = (*apiKeyListResource)(nil)
)

// NewAPIKeyListResource returns the plexmcp_api_key list resource, which
// terraform query (Terraform 1.14 and later) uses to find keys, for example
// the ones made by hand in the dashboard, and to write import blocks and
// configuration for them.
func NewAPIKeyListResource() list.ListResource { return &apiKeyListResource{} }

type apiKeyListResource struct {
	data *providerData
}

type apiKeyListConfig struct {
	NameRegex types.String `tfsdk:"name_regex"`
	Status    types.String `tfsdk:"status"`
}

func (l *apiKeyListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (l *apiKeyListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Finds the organisation's API keys for `terraform query` (Terraform 1.14 or later), " +
			"including keys made by hand in the PlexMCP dashboard, so that they can be brought under Terraform: " +
			"`terraform query -generate-config-out=keys.tf` writes a `plexmcp_api_key` resource and an `import` " +
			"block for each key found. It pages through every key and filters like the `plexmcp_api_keys` data " +
			"source; Terraform returns at most the list block's `limit` of them (100 unless it is set), so set " +
			"`limit` above the number of keys to adopt. Imported keys have no secret (`key` is null): PlexMCP " +
			"shows it only when a key is created.",
		Attributes: map[string]schema.Attribute{
			"name_regex": schema.StringAttribute{
				MarkdownDescription: nameRegexDescription("keys"),
				Optional:            true,
				Validators:          []validator.String{regexFormat()},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: keyStatusDescription + " Revoked keys cannot be managed; use `active`, " +
					"the usual choice for adoption.",
				Optional:   true,
				Validators: keyStatusValidators(),
			},
		},
	}
}

func (l *apiKeyListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.data = dataFromProvider(req.ProviderData, &resp.Diagnostics)
}

func (l *apiKeyListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	ctx = maskSecrets(ctx)
	var cfg apiKeyListConfig
	diags := req.Config.Get(ctx, &cfg)
	nameRegex := compileNameRegex(cfg.NameRegex, &diags)
	if diags.HasError() || !requireClient(l.data, &diags) {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if !l.data.client.Capabilities(ctx).ListsKeys {
		diags.AddError("Listing API Keys Not Supported by a PlexMCP Server", keysNotListedExplanation(
			"terraform query")+" Import keys one at a time by id instead: import { to = plexmcp_api_key.x, "+
			"identity = { id = \"<uuid>\" } }.")
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	keys, err := l.data.client.ListAPIKeys(ctx, plexmcp.ListAPIKeysOptions{Status: cfg.Status.ValueString()})
	if err != nil {
		addAPIError(&diags, "Error Listing PlexMCP API Keys", err)
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	tflog.Debug(ctx, "listed PlexMCP API keys", map[string]any{"count": len(keys)})

	stream.Results = func(push func(list.ListResult) bool) {
		var pushed int64
		for i := range keys {
			k := &keys[i]
			if nameRegex != nil && !nameRegex.MatchString(k.Name) {
				continue
			}
			if req.Limit > 0 && pushed >= req.Limit {
				return
			}
			result := req.NewListResult(ctx)
			result.DisplayName = fmt.Sprintf("%s (%s, %s)", k.Name, k.KeyPrefix, k.Status)
			result.Diagnostics.Append(result.Identity.Set(ctx, apiKeyIdentity{ID: types.StringValue(k.ID)})...)
			if req.IncludeResource {
				m, d := newAPIKeyResourceModel(ctx, k)
				result.Diagnostics.Append(d...)
				result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
			}
			pushed++
			if !push(result) {
				return
			}
		}
	}
}
