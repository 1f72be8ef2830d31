// Package provider is the Terraform side of PlexMCP: the provider
// configuration, its resources, data sources and ephemeral resources. It
// talks to PlexMCP only through the typed client in internal/plexmcp.
package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
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
)

const defaultRequestTimeout = 30 * time.Second

var (
	_ provider.Provider                       = (*plexmcpProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*plexmcpProvider)(nil)
	_ provider.ProviderWithListResources      = (*plexmcpProvider)(nil)
)

// Option adjusts a provider instance. Options exist for tests, which need to
// move the provider's clock or watch what it does; users never see them.
type Option func(*plexmcpProvider)

// WithClock replaces the clock the provider plans expiry and renewal
// windows with.
func WithClock(now func() time.Time) Option {
	return func(p *plexmcpProvider) { p.now = now }
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
	version string
	now     func() time.Time
}

type plexmcpProviderModel struct {
	APIKey         types.String `tfsdk:"api_key"`
	BaseURL        types.String `tfsdk:"base_url"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
}

// providerData is what Configure hands to every resource and data source.
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

func requireClient(data *providerData, diags *diag.Diagnostics) bool {
	if data == nil || data.client == nil {
		diags.AddError("PlexMCP Provider Not Configured",
			"The provider has no API client, usually because api_key or base_url depends on a value that is "+
				"not known yet. Apply the resources it depends on first (terraform apply -target), then apply again.")
		return false
	}
	return true
}

func (p *plexmcpProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "plexmcp"
	resp.Version = p.version
}

func (p *plexmcpProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manage [PlexMCP](https://plexmcp.com) API keys as code: create one key per " +
			"environment, limit it to the MCPs it needs, expire and rotate it without downtime.",
		Attributes: map[string]schema.Attribute{
			"api_key": schema.StringAttribute{
				MarkdownDescription: "A PlexMCP **management** key (`pk_live_…` or `pk_test_…`), created by an " +
					"organisation owner. Access keys cannot manage other keys. Falls back to the `" + EnvAPIKey +
					"` environment variable; prefer the variable, so the key stays out of your configuration.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{apiKeyFormat()},
			},
			"base_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the PlexMCP API, including the version path. Falls back to the `" +
					EnvBaseURL + "` environment variable, then to `" + plexmcp.DefaultBaseURL + "`.",
				Optional:   true,
				Validators: []validator.String{baseURLFormat()},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many times a request is retried after a connection error, "+
					"an HTTP 429 or a 5xx answer, with jittered exponential backoff that honours `Retry-After`. "+
					"Creates are retried with one idempotency key, so a retry never makes a second key; a create "+
					"still unanswered after its retries (or its timeout) is replayed once more with that key, so "+
					"that its key is not lost. Defaults to `%d`.", plexmcp.DefaultMaxRetries),
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
	// Resources then plan without a client and fail only if they need one.
	if cfg.APIKey.IsUnknown() || cfg.BaseURL.IsUnknown() || cfg.MaxRetries.IsUnknown() || cfg.RequestTimeout.IsUnknown() {
		tflog.Debug(ctx, "provider configuration is not known yet; deferring client setup")
		return
	}

	apiKey := cfg.APIKey.ValueString()
	keySource := "api_key"
	if cfg.APIKey.IsNull() {
		apiKey = os.Getenv(EnvAPIKey)
		keySource = EnvAPIKey
	}

	if apiKey == "" {
		resp.Diagnostics.AddAttributeError(path.Root("api_key"), "Missing PlexMCP API Key",
			"The provider needs a PlexMCP management key to manage API keys. Set api_key in the provider "+
				"block, or export "+EnvAPIKey+" (recommended, so the key stays out of your configuration).")
		return
	}
	if problem := checkAPIKeyFormat(apiKey); problem != "" {
		resp.Diagnostics.AddAttributeError(path.Root("api_key"), "Invalid PlexMCP API Key",
			fmt.Sprintf("The key from %s %s. Copy the complete management key from the PlexMCP dashboard "+
				"(API Keys) into api_key or %s.", keySource, problem, EnvAPIKey))
		return
	}

	baseURL := cfg.BaseURL.ValueString()
	if cfg.BaseURL.IsNull() {
		baseURL = os.Getenv(EnvBaseURL)
	}
	if baseURL != "" {
		if problem := checkBaseURL(baseURL); problem != "" {
			// Not repeating the URL: it may carry a key in its query.
			resp.Diagnostics.AddAttributeError(path.Root("base_url"), "Invalid PlexMCP Base URL",
				fmt.Sprintf("The base URL (from base_url or %s) %s.", EnvBaseURL, problem))
			return
		}
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
	maxRetries := -1
	if !cfg.MaxRetries.IsNull() {
		maxRetries = int(cfg.MaxRetries.ValueInt64())
	}

	client, err := plexmcp.New(plexmcp.Config{
		BaseURL:        baseURL,
		APIKey:         plexmcp.Secret(apiKey),
		UserAgent:      userAgent(p.version, req.TerraformVersion),
		MaxRetries:     maxRetries,
		RequestTimeout: timeout,
		Logger:         tflogLogger{},
	})
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create PlexMCP API Client", err.Error())
		return
	}

	data := &providerData{client: client, now: p.now}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
	resp.ListResourceData = data
	resp.ActionData = data
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

func (p *plexmcpProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewAPIKeyListResource,
	}
}

func (p *plexmcpProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewAPIKeyEphemeralResource,
	}
}

func userAgent(providerVersion, terraformVersion string) string {
	if terraformVersion == "" {
		terraformVersion = "unknown"
	}
	return fmt.Sprintf("terraform-provider-plexmcp/%s (+https://registry.terraform.io/providers/plexmcp/plexmcp) Terraform/%s",
		providerVersion, terraformVersion)
}

// checkAPIKeyFormat returns what is wrong with a key, or "". It checks only
// what a client can know offline; the checksum is the server's business.
func checkAPIKeyFormat(key string) string {
	switch {
	case strings.TrimSpace(key) != key:
		return "has leading or trailing whitespace (often a newline copied with it); remove it"
	case strings.ContainsFunc(key, unicode.IsSpace):
		return "contains whitespace; a PlexMCP key is a single word"
	case strings.ContainsFunc(key, unicode.IsControl):
		return "contains a control character; copy the key again as plain text"
	case strings.HasPrefix(strings.ToLower(key), "bearer"):
		return "starts with \"Bearer\"; give the key alone, the provider adds the Bearer scheme itself"
	case !strings.HasPrefix(key, "pk_live_") && !strings.HasPrefix(key, "pk_test_"):
		return "does not start with pk_live_ or pk_test_"
	case len(key) <= len("pk_live_"):
		return "is only a prefix; copy the complete key"
	}
	return ""
}

// checkBaseURL returns what is wrong with a base URL, or "".
func checkBaseURL(raw string) string {
	if err := plexmcp.CheckBaseURL(raw); err != nil {
		return strings.TrimPrefix(err.Error(), "plexmcp: the base URL ")
	}
	return ""
}
