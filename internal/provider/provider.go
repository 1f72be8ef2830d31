// Package provider is the Terraform side of PlexMCP: the provider
// configuration, its resources, data sources, ephemeral resources, list
// resources and actions. It talks to PlexMCP only through the typed client
// in internal/plexmcp, and learns what the PlexMCP API behind it can do only
// from the client's declared capabilities.
package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// Environment variables the provider reads when its block leaves an
// attribute unset.
const (
	EnvAPIKey  = "PLEXMCP_API_KEY"
	EnvBaseURL = "PLEXMCP_BASE_URL"
	EnvAPI     = "PLEXMCP_API"
)

const defaultRequestTimeout = 30 * time.Second

var (
	_ provider.Provider                       = (*plexmcpProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*plexmcpProvider)(nil)
	_ provider.ProviderWithListResources      = (*plexmcpProvider)(nil)
	_ provider.ProviderWithActions            = (*plexmcpProvider)(nil)
)

// Option adjusts a provider instance. Options exist for tests, which need to
// move the provider's clock or watch what it does; users never see them.
type Option func(*plexmcpProvider)

// WithClock replaces the clock the provider plans expiry and renewal
// windows with.
func WithClock(now func() time.Time) Option {
	return func(p *plexmcpProvider) { p.now = now }
}

// WithDefaultBaseURL replaces PlexMCP's public URL as the default base URL,
// so that tests can try the detection of the API (which happens only when
// base_url is left unset) against a reference server.
func WithDefaultBaseURL(u string) Option {
	return func(p *plexmcpProvider) { p.defaultBaseURL = u }
}

// New returns a constructor for the provider, as providerserver expects.
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider {
		p := &plexmcpProvider{version: version, now: time.Now}
		for _, opt := range opts {
			opt(p)
		}
		return p
	}
}

type plexmcpProvider struct {
	version        string
	now            func() time.Time
	defaultBaseURL string
}

type plexmcpProviderModel struct {
	APIKey         types.String `tfsdk:"api_key"`
	BaseURL        types.String `tfsdk:"base_url"`
	API            types.String `tfsdk:"api"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
}

// providerData is what Configure hands to every object of the provider.
type providerData struct {
	client *plexmcp.Client
	now    func() time.Time
}

// dataFromProvider unpacks what Configure handed over; nil means the
// provider could not configure a client yet.
func dataFromProvider(v any, diags *diag.Diagnostics) *providerData {
	if v == nil {
		return nil
	}
	data, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data", fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider.", v))
		return nil
	}
	return data
}

// requireClient reports whether data has a client, and says why not.
func requireClient(data *providerData, diags *diag.Diagnostics) bool {
	if data == nil || data.client == nil {
		diags.AddError("PlexMCP Provider Not Configured",
			"The provider has no API client, usually because api_key or base_url depends on a value that is "+
				"not known yet. Apply the resources it depends on first (terraform apply -target), then apply again.")
		return false
	}
	return true
}

// clock returns data's clock, or the wall clock before Configure.
func (data *providerData) clock() time.Time {
	if data != nil && data.now != nil {
		return data.now()
	}
	return time.Now()
}

func (p *plexmcpProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "plexmcp"
	resp.Version = p.version
}

func (p *plexmcpProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manage [PlexMCP](https://plexmcp.com) API keys as code: create one key per " +
			"environment, limit it to the MCPs it needs, expire and rotate it without downtime. Works with " +
			"PlexMCP's hosted API and with self-hosted PlexMCP servers.",
		Attributes: map[string]schema.Attribute{
			"api_key": schema.StringAttribute{
				MarkdownDescription: "A PlexMCP API key of the organisation whose keys this configuration " +
					"manages (`pmcp_…`; the hosted API also accepts older `pk_live_…`/`pk_test_…` keys). Any " +
					"key of an organisation may manage its keys. Falls back to the `" + EnvAPIKey + "` " +
					"environment variable; prefer the variable, so the key stays out of your configuration.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{apiKeyFormat()},
			},
			"base_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the PlexMCP API. For PlexMCP's hosted API it ends in `/v1`; " +
					"for a self-hosted PlexMCP server, in `/api/v1` (or give the server's address and set " +
					"`api`). Falls back to the `" + EnvBaseURL + "` environment variable, then to `" +
					plexmcp.DefaultBaseURL + "`, where the provider asks the server which API it runs (see the " +
					"provider's documentation).",
				Optional:   true,
				Validators: []validator.String{baseURLFormat()},
			},
			"api": schema.StringAttribute{
				MarkdownDescription: "Which PlexMCP API `base_url` serves: `hosted` (PlexMCP's hosted API, " +
					"`…/v1`) or `server` (a self-hosted PlexMCP server, `…/api/v1`). Usually unnecessary, as " +
					"`base_url`'s path says; set it when `base_url` has no version path. Falls back to the `" +
					EnvAPI + "` environment variable.",
				Optional: true,
				Validators: []validator.String{stringvalidator.OneOf(string(plexmcp.APIHosted),
					string(plexmcp.APIServer))},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many times a request is retried after a connection error, "+
					"an HTTP 429 or a 5xx answer, with jittered exponential backoff that honours `Retry-After`. "+
					"A create is resent only where that cannot make a second key (see the provider's "+
					"documentation). `0` turns retries off. Defaults to `%d`.", plexmcp.DefaultMaxRetries),
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, 50)},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "How long one HTTP attempt may take before it is abandoned and retried, " +
					"as a Go duration such as `30s` or `2m`. Defaults to `30s`. Whole operations are bounded " +
					"by each resource's `timeouts` block.",
				Optional:   true,
				Validators: []validator.String{durationFormat()},
			},
		},
	}
}

func (p *plexmcpProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg plexmcpProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A key or URL that another resource produces is unknown during plan.
	// Objects then plan without a client and fail only if they need one.
	if cfg.APIKey.IsUnknown() || cfg.BaseURL.IsUnknown() || cfg.API.IsUnknown() || cfg.MaxRetries.IsUnknown() ||
		cfg.RequestTimeout.IsUnknown() {
		tflog.Debug(ctx, "provider configuration is not known yet; deferring client setup")
		return
	}

	apiKey, keySource := valueOrEnv(cfg.APIKey, EnvAPIKey, "api_key")
	baseURL, urlSource := valueOrEnv(cfg.BaseURL, EnvBaseURL, "base_url")
	api, apiSource := valueOrEnv(cfg.API, EnvAPI, "api")

	if apiKey == "" {
		resp.Diagnostics.AddAttributeError(path.Root("api_key"), "Missing PlexMCP API Key",
			"The provider needs a PlexMCP API key of the organisation whose keys it manages. Set api_key in the "+
				"provider block, or export "+EnvAPIKey+" (recommended, so the key stays out of your configuration).")
		return
	}
	endpoint, err := plexmcp.ResolveEndpoint(baseURL, plexmcp.API(api))
	if err != nil {
		addConfigError(&resp.Diagnostics, err, map[string]string{"base_url": urlSource, "api": apiSource})
		return
	}
	keyAPI := endpoint.API
	if endpoint.Detect {
		keyAPI = "" // Not known until the server is asked.
	}
	if err := plexmcp.CheckAPIKey(apiKey, keyAPI); err != nil {
		addConfigError(&resp.Diagnostics, err, map[string]string{"api_key": keySource})
		return
	}

	timeout := defaultRequestTimeout
	if !cfg.RequestTimeout.IsNull() {
		d, err := time.ParseDuration(cfg.RequestTimeout.ValueString())
		if err != nil || d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("request_timeout"), "Invalid Request Timeout",
				fmt.Sprintf("request_timeout must be a positive Go duration such as \"30s\", got %q.", cfg.RequestTimeout.ValueString()))
			return
		}
		timeout = d
	}
	clientCfg := plexmcp.Config{
		BaseURL:        endpoint.BaseURL,
		API:            plexmcp.API(api),
		APIKey:         plexmcp.NewSecret(apiKey),
		UserAgent:      userAgent(p.version, req.TerraformVersion),
		RequestTimeout: timeout,
		Logger:         tflogLogger{},
		Now:            p.now,
	}
	if providerLogsOff() {
		// Every line would be dropped: spare the client building them
		// (two per request, each scrubbed field by field).
		clientCfg.Logger = nil
	}
	if endpoint.Detect {
		// Leaving both open is what asks the client to detect the API; a
		// test may stand in for PlexMCP's public URL.
		clientCfg.BaseURL, clientCfg.API = "", ""
		clientCfg.DefaultBaseURL = p.defaultBaseURL
	}
	if !cfg.MaxRetries.IsNull() {
		clientCfg.MaxRetries = new(int(cfg.MaxRetries.ValueInt64()))
	}
	client, err := plexmcp.New(clientCfg)
	if err != nil {
		addConfigError(&resp.Diagnostics, err, nil)
		return
	}

	data := &providerData{client: client, now: p.now}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
	resp.ListResourceData = data
	resp.ActionData = data
}

// valueOrEnv returns an attribute's value, or else the environment
// variable's, and where a user finds it: the one it came from, or both
// when neither is set.
func valueOrEnv(v types.String, env, attribute string) (value, source string) {
	if !v.IsNull() {
		return v.ValueString(), "from " + attribute
	}
	if value = os.Getenv(env); value != "" {
		return value, "from " + env
	}
	return "", "in the provider block, or " + env
}

// addConfigError reports a setting the client refused, on the attribute
// it names, and says where the value came from (the attribute or its
// environment variable). The client's words never repeat the value.
func addConfigError(diags *diag.Diagnostics, err error, sources map[string]string) {
	var cfgErr *plexmcp.ConfigError
	if !errors.As(err, &cfgErr) {
		diags.AddError("Unable to Create PlexMCP API Client", err.Error())
		return
	}
	source := sources[cfgErr.Setting]
	if source == "" {
		source = "in the provider block"
	}
	summary := map[string]string{
		"api_key":  "Invalid PlexMCP API Key",
		"base_url": "Invalid PlexMCP Base URL",
		"api":      "PlexMCP API Not Clear",
	}[cfgErr.Setting]
	if summary == "" {
		summary = "Invalid PlexMCP Provider Configuration"
	}
	detail := fmt.Sprintf("%s (%s) %s.", cfgErr.Setting, source, cfgErr.Problem)
	switch cfgErr.Setting {
	case "api_key", "base_url":
		// Terraform would print the attribute's line of configuration,
		// and with it a key (or credentials in the URL) written there:
		// the error names the setting in its words instead.
		if cfgErr.Setting == "api_key" {
			detail += " Copy the complete key from the PlexMCP dashboard (API Keys) into api_key or " + EnvAPIKey + "."
		}
		diags.AddError(summary, detail)
	default:
		diags.AddAttributeError(path.Root(cfgErr.Setting), summary, detail)
	}
}

func (p *plexmcpProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewAPIKeyResource,
	}
}

func (p *plexmcpProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewMCPDataSource,
		NewMCPsDataSource,
		NewAPIKeyDataSource,
		NewAPIKeysDataSource,
	}
}

func (p *plexmcpProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewAPIKeyEphemeralResource,
	}
}

func (p *plexmcpProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewAPIKeyListResource,
	}
}

func (p *plexmcpProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{
		NewVerifyAPIKeyAction,
	}
}

func userAgent(providerVersion, terraformVersion string) string {
	if terraformVersion == "" {
		terraformVersion = "unknown"
	}
	return fmt.Sprintf("terraform-provider-plexmcp/%s (+https://registry.terraform.io/providers/plexmcp/plexmcp) Terraform/%s",
		providerVersion, terraformVersion)
}
