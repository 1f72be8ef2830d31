package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/helpers/validatordiag"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

var (
	_ resource.Resource                   = (*apiKeyResource)(nil)
	_ resource.ResourceWithConfigure      = (*apiKeyResource)(nil)
	_ resource.ResourceWithImportState    = (*apiKeyResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*apiKeyResource)(nil)
	_ resource.ResourceWithValidateConfig = (*apiKeyResource)(nil)
	_ resource.ResourceWithIdentity       = (*apiKeyResource)(nil)
)

// Default operation timeouts. Creates get the most room: a create retried
// through faults must be allowed to settle what an earlier attempt may have
// made rather than give up with a key committed on the server.
const (
	defaultCreateTimeout = 10 * time.Minute
	defaultReadTimeout   = 5 * time.Minute
	defaultUpdateTimeout = 5 * time.Minute
	defaultDeleteTimeout = 5 * time.Minute
)

// NewAPIKeyResource returns the plexmcp_api_key resource.
func NewAPIKeyResource() resource.Resource { return &apiKeyResource{} }

type apiKeyResource struct {
	data *providerData
}

type apiKeyResourceModel struct {
	ID               types.String      `tfsdk:"id"`
	Name             types.String      `tfsdk:"name"`
	Description      types.String      `tfsdk:"description"`
	AllMCPs          types.Bool        `tfsdk:"all_mcps"`
	MCPIDs           types.Set         `tfsdk:"mcp_ids"`
	ExpiresAt        timetypes.RFC3339 `tfsdk:"expires_at"`
	ExpiresInDays    types.Int64       `tfsdk:"expires_in_days"`
	RotateBeforeDays types.Int64       `tfsdk:"rotate_before_days"`
	RotationTriggers types.Map         `tfsdk:"rotation_triggers"`
	RateLimitRPM     types.Int64       `tfsdk:"rate_limit_rpm"`
	Key              types.String      `tfsdk:"key"`
	KeyPrefix        types.String      `tfsdk:"key_prefix"`
	Status           types.String      `tfsdk:"status"`
	CreatedAt        timetypes.RFC3339 `tfsdk:"created_at"`
	Timeouts         timeouts.Value    `tfsdk:"timeouts"`
}

func (r *apiKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (r *apiKeyResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An API key that calls PlexMCP MCPs on behalf of one application or environment.\n\n" +
			"The secret (`key`) is shown by PlexMCP exactly once, when the key is created; the provider keeps it " +
			"in state and never reads it again. Changing `name` or `description` updates the key in place. " +
			"Changing its expiry or `rotation_triggers` replaces it, and so does changing which MCPs it reaches " +
			"on PlexMCP's hosted API, which fixes permissions at creation (a self-hosted PlexMCP server changes " +
			"them in place). With `lifecycle { create_before_destroy = true }` the new key exists before the old " +
			"one is revoked. A key that has expired, was revoked or deleted outside Terraform, or has entered its " +
			"renewal window (`rotate_before_days`) is planned for replacement.\n\n" +
			"On a self-hosted PlexMCP server, any API key can manage every key and MCP of its organisation: " +
			"give keys only to those you would trust with all of them.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The key's id, as PlexMCP reports it (`key_…` on the hosted API, a UUID on a " +
					"PlexMCP server). Use it to import the key.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: nameDescription + " On a PlexMCP server, 100 bytes of UTF-8 at most. " +
					"Updated in place.",
				Required:   true,
				Validators: nameValidators(),
			},
			"description": schema.StringAttribute{
				MarkdownDescription: descriptionDescription + " Updated in place. PlexMCP's hosted API only: a " +
					"PlexMCP server keeps no description, so anything but empty is refused at plan time there.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(""),
				Validators: descriptionValidators(),
			},
			"all_mcps": schema.BoolAttribute{
				MarkdownDescription: allMCPsDescription + " " + permissionChangeDescription,
				Optional:            true,
			},
			"mcp_ids": schema.SetAttribute{
				MarkdownDescription: mcpIDsDescription + " " + permissionChangeDescription,
				ElementType:         types.StringType,
				Optional:            true,
				Validators:          mcpIDsValidators(),
			},
			"expires_at": schema.StringAttribute{
				CustomType: timetypes.RFC3339Type{},
				MarkdownDescription: "When the key stops working, as an RFC 3339 timestamp such as " +
					"`2027-01-31T00:00:00Z`. It must be in the future when the key is created. Leave it and " +
					"`expires_in_days` unset for a key that never expires. Conflicts with `expires_in_days`, which " +
					"fills this attribute in. Changing it replaces the key.",
				Optional: true,
				Computed: true,
			},
			"expires_in_days": schema.Int64Attribute{
				MarkdownDescription: "Lifetime of the key in days (1 to 3650), counted from the moment the key is " +
					"created; the provider sends PlexMCP the resulting date, which is in `expires_at`. Conflicts " +
					"with `expires_at`. Changing it replaces the key; setting it on a key just imported keeps the " +
					"key and its expiry.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(1, 3650)},
				PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplaceIf(
					func(ctx context.Context, req planmodifier.Int64Request, resp *int64planmodifier.RequiresReplaceIfFuncResponse) {
						resp.RequiresReplace = !adoptedAfterImport(ctx, req.Private, req.StateValue.IsNull())
					},
					replaceUnlessImported, replaceUnlessImported)},
			},
			"rotate_before_days": schema.Int64Attribute{
				MarkdownDescription: "The renewal window: from `rotate_before_days` days before `expires_at`, every " +
					"plan replaces the key, so a scheduled apply rotates it before it expires. Needs `expires_at` " +
					"or `expires_in_days`; at least 1 and shorter than the key's lifetime. With " +
					"`expires_in_days = 90` and `rotate_before_days = 14`, applies from day 76 on rotate the key. " +
					"Changing it is an in-place update that calls no API, and counts from the same plan.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"rotation_triggers": schema.MapAttribute{
				MarkdownDescription: "Arbitrary strings; any change to them replaces the key (setting them on a key " +
					"just imported does not). Use it to rotate on a version bump or when another resource changes, " +
					"without the `time` provider.",
				ElementType: types.StringType,
				Optional:    true,
				PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplaceIf(
					func(ctx context.Context, req planmodifier.MapRequest, resp *mapplanmodifier.RequiresReplaceIfFuncResponse) {
						resp.RequiresReplace = !adoptedAfterImport(ctx, req.Private, req.StateValue.IsNull())
					},
					replaceUnlessImported, replaceUnlessImported)},
			},
			"rate_limit_rpm": schema.Int64Attribute{
				MarkdownDescription: rateLimitDescription + " Updated in place.",
				Optional:            true,
				Computed:            true,
				Validators:          rateLimitValidators(),
			},
			"key": schema.StringAttribute{
				MarkdownDescription: "The secret key (`pmcp_…`). PlexMCP shows it only when the key is created, so " +
					"it is known only for keys this configuration created: imported keys have it null. Sensitive; " +
					"lives only in state. To keep it out of state, use the `plexmcp_api_key` ephemeral resource.",
				Computed:      true,
				Sensitive:     true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"key_prefix": schema.StringAttribute{
				MarkdownDescription: "The start of the key as PlexMCP shows it, such as `pmcp_01a1b2c` (a PlexMCP " +
					"server shows 17 characters and `...`): safe to log and show, and enough to recognise the key " +
					"in the dashboard.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "`active`, `expired` or `revoked`, as PlexMCP reported at the last refresh (a " +
					"PlexMCP server deletes revoked keys, so there it is `active` or `expired`). A key that is not " +
					"`active` is planned for replacement.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"created_at": schema.StringAttribute{
				CustomType:          timetypes.RFC3339Type{},
				MarkdownDescription: "When the key was created (RFC 3339, UTC).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

// permissionChangeDescription says what changing a key's MCPs does.
const permissionChangeDescription = "Changing which MCPs the key reaches replaces the key on PlexMCP's hosted " +
	"API, which fixes permissions when a key is created, and updates it in place on a PlexMCP server."

// apiKeyIdentity is the key's resource identity (Terraform 1.12 and
// later): its id, which import blocks and terraform query use to name the
// key without a secret.
type apiKeyIdentity struct {
	ID types.String `tfsdk:"id"`
}

func (r *apiKeyResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "The key's id, as the PlexMCP dashboard and the plexmcp_api_keys data source show it.",
			},
		},
	}
}

// setIdentity records the key's id as its identity. Terraform older than
// 1.12 has no identities; the framework then passes none.
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id types.String, diags *diag.Diagnostics) {
	if identity == nil {
		return
	}
	diags.Append(setIdentityModel(ctx, identity, &apiKeyIdentity{ID: id})...)
}

func (r *apiKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = dataFromProvider(req.ProviderData, &resp.Diagnostics)
}

// expiryConflict words the rule that expires_at and expires_in_days
// conflict. ValidateConfig applies it to the values it reads anyway: as a
// ConfigValidator it read both attributes again by path for every key of
// every plan, about 2% of the provider's CPU in make bench's 300-key plan.
// The diagnostic is the validator's own.
var expiryConflict = resourcevalidator.Conflicting(path.MatchRoot("expires_at"), path.MatchRoot("expires_in_days"))

// apiKeyConfigRules is what ValidateConfig reads from the configuration.
type apiKeyConfigRules struct {
	AllMCPs          types.Bool        `tfsdk:"all_mcps"`
	MCPIDs           types.Set         `tfsdk:"mcp_ids"`
	ExpiresAt        timetypes.RFC3339 `tfsdk:"expires_at"`
	ExpiresInDays    types.Int64       `tfsdk:"expires_in_days"`
	RotateBeforeDays types.Int64       `tfsdk:"rotate_before_days"`
}

// ValidateConfig checks the rules that span attributes and that the library
// validators cannot word helpfully.
func (r *apiKeyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg apiKeyConfigRules
	resp.Diagnostics.Append(readAttributes(ctx, req.Config, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if configured(cfg.ExpiresAt) && configured(cfg.ExpiresInDays) {
		resp.Diagnostics.Append(validatordiag.InvalidAttributeCombinationDiagnostic(path.Root("expires_at"),
			expiryConflict.Description(ctx)))
	}
	validatePermissionsConfig(cfg.AllMCPs, cfg.MCPIDs, &resp.Diagnostics)

	if !cfg.RotateBeforeDays.IsNull() && !cfg.RotateBeforeDays.IsUnknown() {
		switch {
		case cfg.ExpiresAt.IsNull() && cfg.ExpiresInDays.IsNull():
			resp.Diagnostics.AddAttributeError(path.Root("rotate_before_days"), "Renewal Window Without Expiry",
				"rotate_before_days counts back from the key's expiry, but this key never expires. Set expires_in_days "+
					"(for example 90) or expires_at, or remove rotate_before_days.")
		case !cfg.ExpiresInDays.IsNull() && !cfg.ExpiresInDays.IsUnknown() &&
			cfg.RotateBeforeDays.ValueInt64() >= cfg.ExpiresInDays.ValueInt64():
			resp.Diagnostics.AddAttributeError(path.Root("rotate_before_days"), "Renewal Window Too Long",
				fmt.Sprintf("rotate_before_days (%d) must be shorter than expires_in_days (%d), or every plan would "+
					"replace the key. Lower rotate_before_days or raise expires_in_days.",
					cfg.RotateBeforeDays.ValueInt64(), cfg.ExpiresInDays.ValueInt64()))
		}
	}
}

// configured reports a value that is set and known, as the framework's
// Conflicting validator counts them.
func configured(v attr.Value) bool { return !v.IsNull() && !v.IsUnknown() }

// apiKeyPlanConfig is what ModifyPlan reads from the configuration.
type apiKeyPlanConfig struct {
	Name          types.String      `tfsdk:"name"`
	Description   types.String      `tfsdk:"description"`
	ExpiresAt     timetypes.RFC3339 `tfsdk:"expires_at"`
	ExpiresInDays types.Int64       `tfsdk:"expires_in_days"`
	RateLimitRPM  types.Int64       `tfsdk:"rate_limit_rpm"`
}

// apiKeyPlanned is what ModifyPlan reads from the proposed plan.
type apiKeyPlanned struct {
	AllMCPs          types.Bool  `tfsdk:"all_mcps"`
	MCPIDs           types.Set   `tfsdk:"mcp_ids"`
	RotateBeforeDays types.Int64 `tfsdk:"rotate_before_days"`
	// RateLimitRPM and ExpiresAt are what ModifyPlan may replace: it
	// writes them only when the value changes.
	RateLimitRPM types.Int64       `tfsdk:"rate_limit_rpm"`
	ExpiresAt    timetypes.RFC3339 `tfsdk:"expires_at"`
}

// apiKeyPrior is what ModifyPlan reads from the prior state.
type apiKeyPrior struct {
	ID            types.String      `tfsdk:"id"`
	KeyPrefix     types.String      `tfsdk:"key_prefix"`
	Status        types.String      `tfsdk:"status"`
	AllMCPs       types.Bool        `tfsdk:"all_mcps"`
	MCPIDs        types.Set         `tfsdk:"mcp_ids"`
	ExpiresAt     timetypes.RFC3339 `tfsdk:"expires_at"`
	ExpiresInDays types.Int64       `tfsdk:"expires_in_days"`
}

// ModifyPlan refuses what the PlexMCP API behind the provider cannot keep,
// plans expires_at and rate_limit_rpm, and plans a replacement for a key
// whose permissions cannot change in place or that no longer works or is
// inside its renewal window. Terraform calls it again with no prior state
// when it replaces, which is where the create-time checks run.
func (r *apiKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // Destroy.
	}
	creating := req.State.Raw.IsNull()
	var (
		cfg     apiKeyPlanConfig
		planned apiKeyPlanned
		prior   apiKeyPrior
	)
	resp.Diagnostics.Append(readAttributes(ctx, req.Config, &cfg)...)
	resp.Diagnostics.Append(readAttributes(ctx, req.Plan, &planned)...)
	if !creating {
		resp.Diagnostics.Append(readAttributes(ctx, req.State, &prior)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	now := r.data.clock()

	// What the API can do decides the rest. Without a client (a provider
	// configuration not known yet) nothing can be told; apply checks again.
	if r.data != nil && r.data.client != nil {
		caps := r.data.client.Capabilities(ctx)
		refuseUnsupportedInputs(caps, cfg, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
		rateLimit := cfg.RateLimitRPM
		if rateLimit.IsNull() && caps.KeyRateLimits {
			rateLimit = types.Int64Value(defaultRateLimitRPM)
		}
		if !rateLimit.Equal(planned.RateLimitRPM) {
			resp.Diagnostics.Append(setPlanAttribute(ctx, &resp.Plan, "rate_limit_rpm", rateLimit)...)
		}

		if !creating && !caps.PermissionsUpdatable &&
			(!planned.AllMCPs.Equal(prior.AllMCPs) || !planned.MCPIDs.Equal(prior.MCPIDs)) {
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root("all_mcps"), path.Root("mcp_ids"))
			resp.Diagnostics.AddAttributeWarning(path.Root("mcp_ids"), "PlexMCP API Key Will Be Replaced",
				fmt.Sprintf("PlexMCP's hosted API cannot change which MCPs a key reaches after it is created, so "+
					"this plan replaces API key %s (%s) with a new key that has the new permissions. With "+
					"lifecycle { create_before_destroy = true } the new key exists before the old one is revoked.",
					prior.ID.ValueString(), prior.KeyPrefix.ValueString()))
		}
	}

	expiresAt := planExpiry(cfg, prior, creating, adoptedAfterImport(ctx, req.Private, prior.ExpiresInDays.IsNull()))
	if !expiresAt.Equal(planned.ExpiresAt) {
		resp.Diagnostics.Append(setPlanAttribute(ctx, &resp.Plan, "expires_at", expiresAt)...)
	}

	if creating {
		checkNewKeyExpiry(expiresAt, planned.RotateBeforeDays, now, &resp.Diagnostics)
		return
	}
	if !sameSecond(expiresAt, prior.ExpiresAt) {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("expires_at"))
	}
	if reason := replacementReason(prior, planned.RotateBeforeDays, now); reason != "" {
		resp.Diagnostics.Append(setPlanAttribute(ctx, &resp.Plan, "status", types.StringUnknown())...)
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("status"))
		resp.Diagnostics.AddAttributeWarning(path.Root("status"), "PlexMCP API Key Will Be Replaced",
			fmt.Sprintf("API key %s (%s) %s, so this plan replaces it. With lifecycle { create_before_destroy = true } "+
				"the new key exists before the old one is revoked.", prior.ID.ValueString(), prior.KeyPrefix.ValueString(), reason))
	}
}

// refuseUnsupportedInputs refuses, at plan time, what the API behind the
// provider would drop or reject: each error names the attribute, why and
// the fix, and nothing is created.
func refuseUnsupportedInputs(caps plexmcp.Capabilities, cfg apiKeyPlanConfig, diags *diag.Diagnostics) {
	if !caps.KeyDescriptions && !cfg.Description.IsUnknown() && cfg.Description.ValueString() != "" {
		diags.AddAttributeError(path.Root("description"), "Description Not Supported by a PlexMCP Server",
			"A self-hosted PlexMCP server keeps no description for an API key: it would drop this one without a "+
				"word. Remove description (or set it to \"\"), and say what the key is for in its name.")
	}
	if !caps.KeyRateLimits && !cfg.RateLimitRPM.IsNull() {
		diags.AddAttributeError(path.Root("rate_limit_rpm"), "Rate Limit Not Supported by PlexMCP's Hosted API",
			"rate_limit_rpm is a per-key limit of self-hosted PlexMCP servers; PlexMCP's hosted API has no such "+
				"setting and would not keep it. Remove rate_limit_rpm, or point the provider at a PlexMCP server.")
	}
	if caps.NameLengthInBytes && !cfg.Name.IsUnknown() {
		if n := len(cfg.Name.ValueString()); n > maxNameLength {
			diags.AddAttributeError(path.Root("name"), "Name Too Long for a PlexMCP Server",
				fmt.Sprintf("A PlexMCP server counts a name's length in bytes of UTF-8, at most %d; this name has %d "+
					"characters but %d bytes. Shorten it, or use fewer characters outside ASCII.",
					maxNameLength, utf8.RuneCountInString(cfg.Name.ValueString()), n))
		}
	}
}

// planExpiry is the expires_at a plan shows: an explicit date; for
// expires_in_days, the date already in state while the lifetime is
// unchanged (or was just adopted by an import), else unknown until the key
// is created; or never.
//
// A new key's date is not planned from the clock: Terraform plans every
// resource again when it applies a plan and refuses a planned value that
// changed, and a plan saved today may be applied tomorrow. Create counts
// the days from the moment the key is made instead.
func planExpiry(cfg apiKeyPlanConfig, prior apiKeyPrior, creating, adopted bool) timetypes.RFC3339 {
	switch {
	case !cfg.ExpiresAt.IsNull():
		return cfg.ExpiresAt
	case !cfg.ExpiresInDays.IsNull():
		sameLifetime := prior.ExpiresInDays.Equal(cfg.ExpiresInDays) || adopted
		if !creating && sameLifetime && !prior.ExpiresAt.IsNull() {
			return prior.ExpiresAt
		}
		return timetypes.NewRFC3339Unknown()
	default:
		return timetypes.NewRFC3339Null()
	}
}

// checkNewKeyExpiry applies the rules that hold only for a key about to be
// created: an expiry in the future, and a renewal window that has not
// already started.
func checkNewKeyExpiry(expires timetypes.RFC3339, rotateBeforeDays types.Int64, now time.Time, diags *diag.Diagnostics) {
	if expires.IsNull() || expires.IsUnknown() {
		return
	}
	expiresAt, d := expires.ValueRFC3339Time()
	if d.HasError() {
		diags.Append(d...)
		return
	}
	if !expiresAt.After(now) {
		diags.AddAttributeError(path.Root("expires_at"), "API Key Expiry In The Past",
			fmt.Sprintf("expires_at (%s) is not in the future, so the new key would never work. Set a later "+
				"expires_at, or use expires_in_days to count from the moment the key is created.",
				expires.ValueString()))
		return
	}
	if !rotateBeforeDays.IsNull() && !rotateBeforeDays.IsUnknown() {
		windowStart := expiresAt.Add(-days(rotateBeforeDays.ValueInt64()))
		if !windowStart.After(now) {
			diags.AddAttributeError(path.Root("rotate_before_days"), "Renewal Window Already Open",
				fmt.Sprintf("A key expiring at %s with rotate_before_days = %d would be inside its renewal window "+
					"from the moment it is created, and every plan would replace it. Set a later expires_at or a "+
					"smaller rotate_before_days.", expires.ValueString(), rotateBeforeDays.ValueInt64()))
		}
	}
}

// replacementReason says why an existing key can no longer be kept, or "".
// The renewal window is the planned one, so that editing rotate_before_days
// takes effect in the same plan, including to call off a rotation.
func replacementReason(prior apiKeyPrior, rotateBeforeDays types.Int64, now time.Time) string {
	switch prior.Status.ValueString() {
	case plexmcp.StatusRevoked:
		return "was revoked outside Terraform"
	case plexmcp.StatusExpired:
		return "has expired"
	}
	if prior.ExpiresAt.IsNull() || prior.ExpiresAt.IsUnknown() {
		return ""
	}
	expiresAt, d := prior.ExpiresAt.ValueRFC3339Time()
	if d.HasError() {
		return ""
	}
	if !expiresAt.After(now) {
		return fmt.Sprintf("expired at %s", prior.ExpiresAt.ValueString())
	}
	if !rotateBeforeDays.IsNull() && !rotateBeforeDays.IsUnknown() {
		n := rotateBeforeDays.ValueInt64()
		if windowStart := expiresAt.Add(-days(n)); !now.Before(windowStart) {
			return fmt.Sprintf("expires at %s and is inside its %d-day renewal window (rotate_before_days)",
				prior.ExpiresAt.ValueString(), n)
		}
	}
	return ""
}

func (r *apiKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	ctx = maskSecrets(ctx)
	var plan apiKeyResourceModel
	resp.Diagnostics.Append(getModel(ctx, req.Plan, &plan)...)
	if resp.Diagnostics.HasError() || !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	createReq, d := plan.createRequest(ctx, r.data.clock())
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	created, err := r.data.client.CreateAPIKey(ctx, createReq)
	if err != nil {
		var uncertain *plexmcp.CreateUncertainError
		if errors.As(err, &uncertain) && uncertain.Findable {
			// The key may exist, and the client could not look for it
			// now. Record the create (Terraform keeps it tainted) so that
			// the next apply or destroy finds it instead of forgetting it.
			pending := uncertain.Pending()
			markPending(&plan, pending)
			resp.Diagnostics.AddError("PlexMCP API Key Recorded As Pending",
				pendingExplanation(pending)+fmt.Sprintf(" Cause: %v.", uncertain.Err))
			resp.Diagnostics.Append(setState(ctx, &resp.State, &plan)...)
			setIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
			return
		}
		addAPIError(&resp.Diagnostics, "Error Creating PlexMCP API Key", err)
		return
	}
	tflog.Debug(ctx, "created PlexMCP API key", map[string]any{"id": created.ID, "key_prefix": created.KeyPrefix})

	plan.Key = types.StringValue(created.Key.Reveal())
	resp.Diagnostics.Append(plan.setFromAPI(ctx, &created.APIKey)...)
	resp.Diagnostics.Append(setState(ctx, &resp.State, &plan)...)
	setIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
	if created.Pending != nil {
		// An earlier attempt of this create may have left another key the
		// client could not look for. Keep the record, so that destroying
		// this key settles it too, and tell the user now.
		record, _ := json.Marshal(pendingRecord{Name: created.Pending.Name, From: created.Pending.From, To: created.Pending.To,
			Keep: created.Pending.Keep})
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateUnsettled, record)...)
		resp.Diagnostics.AddWarning("Another PlexMCP API Key May Exist",
			pendingExplanation(*created.Pending)+" The key this apply created is "+created.ID+"; the other one, if it "+
				"exists, is looked for and revoked when this key is destroyed. To end it sooner, find active keys named "+
				fmt.Sprintf("%q", created.Pending.Name)+" with the plexmcp_api_keys data source and revoke the one that is not "+created.ID+".")
	}
}

// privateUnsettled names the private data of a key whose create succeeded
// after an earlier attempt that may have made another key (a
// pendingRecord).
const privateUnsettled = "unsettled_create"

// pendingRecord is a plexmcp.PendingCreate in private state. Keep is the
// key this resource holds, which settling must never revoke: it was made
// inside the window too.
type pendingRecord struct {
	Name string    `json:"name"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Keep string    `json:"keep"`
}

// createRequest is what Create asks PlexMCP for: the planned key, with
// expires_in_days counted from now (see planExpiry).
func (m apiKeyResourceModel) createRequest(ctx context.Context, now time.Time) (plexmcp.CreateAPIKeyRequest, diag.Diagnostics) {
	req := plexmcp.CreateAPIKeyRequest{
		Name:        m.Name.ValueString(),
		Description: m.Description.ValueString(),
	}
	diags := permissionsFromModel(ctx, m.AllMCPs, m.MCPIDs, &req.Permissions)
	switch {
	case !m.ExpiresAt.IsNull() && !m.ExpiresAt.IsUnknown():
		t, d := m.ExpiresAt.ValueRFC3339Time()
		diags.Append(d...)
		t = t.UTC()
		req.ExpiresAt = &t
	case !m.ExpiresInDays.IsNull():
		t := now.Add(days(m.ExpiresInDays.ValueInt64())).UTC().Truncate(time.Second)
		req.ExpiresAt = &t
	}
	if !m.RateLimitRPM.IsNull() && !m.RateLimitRPM.IsUnknown() {
		req.RateLimitRPM = m.RateLimitRPM.ValueInt64Pointer()
	}
	return req, diags
}

func (r *apiKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	ctx = maskSecrets(ctx)
	var state apiKeyResourceModel
	resp.Diagnostics.Append(getModel(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() || !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	// The identity is the id, whatever the refresh finds: state written
	// before identities existed (or by Terraform older than 1.12) gets one
	// here, and a key found gone leaves with the identity it had.
	setIdentity(ctx, resp.Identity, state.ID, &resp.Diagnostics)
	timeout, d := state.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if isPending(state.ID) {
		// A pending record is tainted, so the plan replaces it and Delete
		// settles it at apply time. Settling it here would let a plan,
		// which saves nothing, revoke keys.
		return
	}

	key, err := r.data.client.GetAPIKey(ctx, state.ID.ValueString())
	if plexmcp.IsNotFound(err) {
		tflog.Warn(ctx, "PlexMCP API key no longer exists; removing it from state", map[string]any{"id": state.ID.ValueString()})
		// Said out loud, not only logged: the same 404 is what a key of
		// another organisation answers, and a key dropped for that reason
		// is still live where it was made.
		resp.Diagnostics.AddWarning("PlexMCP API Key Not Found", keyNotFoundWarning(state.ID.ValueString(), state.KeyPrefix.ValueString()))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Error Reading PlexMCP API Key", err)
		return
	}
	refreshed := state
	resp.Diagnostics.Append(refreshed.setFromAPI(ctx, key)...)
	// A refresh usually finds the key as state has it, and resp.State
	// already holds that state: encoding it again was a fifth of Read's
	// CPU in make bench's 300-key plan.
	if !sameModel(state, refreshed) {
		resp.Diagnostics.Append(setState(ctx, &resp.State, &refreshed)...)
	}
}

func (r *apiKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	ctx = maskSecrets(ctx)
	var plan, state apiKeyResourceModel
	resp.Diagnostics.Append(getModel(ctx, req.Plan, &plan)...)
	resp.Diagnostics.Append(getModel(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() || !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	timeout, d := plan.Timeouts.Update(ctx, defaultUpdateTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	patch, changed, d := updateRequest(ctx, plan, state)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	var key *plexmcp.APIKey
	if changed {
		var err error
		key, err = r.data.client.UpdateAPIKey(ctx, state.ID.ValueString(), patch)
		if err != nil {
			var partial *plexmcp.PartialUpdateError
			if errors.As(err, &partial) && partial.Current != nil {
				// Part of the change may have been applied: state must
				// say what PlexMCP now holds, not what was planned.
				resp.Diagnostics.Append(state.setFromAPI(ctx, partial.Current)...)
				resp.Diagnostics.Append(setState(ctx, &resp.State, &state)...)
			}
			if plexmcp.IsConflict(err) {
				resp.Diagnostics.AddError("Error Updating PlexMCP API Key", fmt.Sprintf("API key %s was revoked "+
					"outside Terraform and can no longer be changed. Run terraform apply again: the refreshed plan "+
					"replaces it with a new key.", state.ID.ValueString()))
				return
			}
			addAPIError(&resp.Diagnostics, "Error Updating PlexMCP API Key", err)
			return
		}
	}
	// Attributes that never reach the API (triggers, renewal window,
	// timeouts) only change in state.
	plan.Key = state.Key
	if key != nil {
		// Status was planned from state; a change (say, the key expired
		// a moment ago) shows up at the next refresh instead of as an
		// inconsistent result now.
		plannedStatus := plan.Status
		resp.Diagnostics.Append(plan.setFromAPI(ctx, key)...)
		plan.Status = plannedStatus
	}
	resp.Diagnostics.Append(setState(ctx, &resp.State, &plan)...)
	setIdentity(ctx, resp.Identity, plan.ID, &resp.Diagnostics)
	// Once state holds the configuration, later changes follow the usual rules.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, nil)...)
}

// updateRequest is what changed between state and plan, in the client's
// terms. ModifyPlan has refused what the API cannot change in place.
func updateRequest(ctx context.Context, plan, state apiKeyResourceModel) (plexmcp.UpdateAPIKeyRequest, bool, diag.Diagnostics) {
	var (
		patch   plexmcp.UpdateAPIKeyRequest
		changed bool
		diags   diag.Diagnostics
	)
	if !plan.Name.Equal(state.Name) {
		patch.Name = plan.Name.ValueStringPointer()
		changed = true
	}
	if !plan.Description.Equal(state.Description) {
		patch.Description = plan.Description.ValueStringPointer()
		changed = true
	}
	if !plan.AllMCPs.Equal(state.AllMCPs) || !plan.MCPIDs.Equal(state.MCPIDs) {
		var perms plexmcp.Permissions
		diags.Append(permissionsFromModel(ctx, plan.AllMCPs, plan.MCPIDs, &perms)...)
		patch.Permissions = &perms
		changed = true
	}
	if !plan.RateLimitRPM.IsNull() && !plan.RateLimitRPM.IsUnknown() && !plan.RateLimitRPM.Equal(state.RateLimitRPM) {
		patch.RateLimitRPM = plan.RateLimitRPM.ValueInt64Pointer()
		changed = true
	}
	return patch, changed, diags
}

func (r *apiKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = maskSecrets(ctx)
	var state apiKeyResourceModel
	resp.Diagnostics.Append(getModel(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() || !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	timeout, d := state.Timeouts.Delete(ctx, defaultDeleteTimeout)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if isPending(state.ID) {
		pending, err := parsePending(state.ID.ValueString(), state.Name.ValueString())
		if err == nil {
			r.settle(ctx, pending, &resp.Diagnostics)
		} else {
			resp.Diagnostics.AddError("Error Settling Pending PlexMCP API Key", err.Error()+
				". Look for active keys named "+fmt.Sprintf("%q", state.Name.ValueString())+" in the PlexMCP dashboard, "+
				"revoke any that nothing uses, then remove this record with terraform state rm.")
		}
		return
	}
	// Revoking is idempotent on the hosted API, and a key that is already
	// gone is what destroy wants too. Any other failure, a 403 above all,
	// keeps the key in state: it may still work.
	if err := r.data.client.RevokeAPIKey(ctx, state.ID.ValueString()); err != nil && !plexmcp.IsNotFound(err) {
		addAPIError(&resp.Diagnostics, "Error Revoking PlexMCP API Key", err)
		return
	}
	if raw, d := req.Private.GetKey(ctx, privateUnsettled); !d.HasError() && len(raw) > 0 {
		var record pendingRecord
		if json.Unmarshal(raw, &record) == nil {
			r.settle(ctx, plexmcp.PendingCreate{Name: record.Name, From: record.From, To: record.To, Keep: record.Keep}, &resp.Diagnostics)
		}
	}
}

// settle looks for the key an unfinished create may have made, and revokes
// it. Any failure is an error, which keeps the record in state.
func (r *apiKeyResource) settle(ctx context.Context, pending plexmcp.PendingCreate, diags *diag.Diagnostics) {
	revoked, err := r.data.client.SettleCreate(ctx, pending)
	if err != nil {
		addAPIError(diags, "Error Settling Pending PlexMCP API Key", err)
		diags.AddError("PlexMCP API Key May Still Exist", pendingExplanation(pending)+" Looking for it failed "+
			"again, so Terraform keeps the record. Fix the error above and apply again; or, if the PlexMCP "+
			"dashboard shows no active key of that name made in that window (revoke it there if it does), remove "+
			"the record with terraform state rm.")
		return
	}
	tflog.Info(ctx, "settled an unfinished PlexMCP API key create", map[string]any{"name": pending.Name, "revoked": len(revoked)})
}

func (r *apiKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	// An import block names the key by id (import { id = … }) or, from
	// Terraform 1.12, by identity (import { identity = { id = … } }).
	id := req.ID
	if id == "" && req.Identity != nil {
		var identity apiKeyIdentity
		resp.Diagnostics.Append(req.Identity.Get(ctx, &identity)...)
		if resp.Diagnostics.HasError() {
			return
		}
		id = identity.ID.ValueString()
	}
	// Never repeat the id in the error: a user who mixed up key and id has
	// just typed a secret.
	if problem := checkKeyID(id); problem != "" {
		resp.Diagnostics.AddError("Invalid Import ID", "The import ID "+problem+".")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	setIdentity(ctx, resp.Identity, types.StringValue(id), &resp.Diagnostics)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, []byte("true"))...)
	resp.Diagnostics.AddWarning("Imported PlexMCP API Key Has No Secret",
		fmt.Sprintf("PlexMCP shows a key's secret only when it is created, so the imported key %s has key = null. "+
			"Everything else is managed as usual. If something needs the secret, replace the key (terraform apply "+
			"-replace) and distribute the new one.", id))
}

// replaceUnlessImported describes the plan modifier of the
// configuration-only inputs that replace a key when they change.
const replaceUnlessImported = "Changing it replaces the key, except to set it on a key just imported."

// privateImported marks, in private state, a key imported and not yet
// updated. Its configuration-only inputs (expires_in_days,
// rotation_triggers) are null in state after an import; the first plan
// adopts what the configuration says instead of replacing the key just
// imported. The first update removes the mark.
const privateImported = "imported"

// privateGetter is the private state of a plan modifier or of ModifyPlan.
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

// adoptedAfterImport reports whether a configuration-only input whose state
// is null (stateNull) belongs to a key just imported, and so is adopted
// rather than treated as a change.
func adoptedAfterImport(ctx context.Context, private privateGetter, stateNull bool) bool {
	if !stateNull {
		return false
	}
	v, _ := private.GetKey(ctx, privateImported)
	return string(v) == "true"
}

// setFromAPI copies what the API reports about a key into the model. The
// secret, the configuration-only attributes and timeouts are left as they
// are; an expiry that names the same second as before keeps its spelling,
// so a plan written with an offset does not show a diff.
func (m *apiKeyResourceModel) setFromAPI(ctx context.Context, k *plexmcp.APIKey) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(k.ID)
	m.Name = types.StringValue(k.Name)
	m.Description = types.StringValue(k.Description)
	m.KeyPrefix = types.StringValue(k.KeyPrefix)
	m.Status = types.StringValue(k.Status)
	m.CreatedAt = timetypes.NewRFC3339TimeValue(k.CreatedAt.UTC())
	m.RateLimitRPM = types.Int64PointerValue(k.RateLimitRPM)
	if k.ExpiresAt == nil {
		m.ExpiresAt = timetypes.NewRFC3339Null()
	} else if !holdsSecondOf(m.ExpiresAt, *k.ExpiresAt) {
		m.ExpiresAt = timetypes.NewRFC3339TimeValue(k.ExpiresAt.UTC().Truncate(time.Second))
	}
	m.AllMCPs, m.MCPIDs, diags = permissionsToModel(ctx, k.Permissions)
	if m.Key.IsUnknown() {
		m.Key = types.StringNull()
	}
	return diags
}

// newAPIKeyResourceModel is the resource's view of a key found by listing,
// for terraform query: what PlexMCP reports, with the inputs only a
// configuration has (the secret, expires_in_days, the renewal window,
// triggers, timeouts) null, as after an import.
func newAPIKeyResourceModel(ctx context.Context, k *plexmcp.APIKey) (apiKeyResourceModel, diag.Diagnostics) {
	m := apiKeyResourceModel{
		Key:              types.StringNull(),
		ExpiresAt:        timetypes.NewRFC3339Null(),
		ExpiresInDays:    types.Int64Null(),
		RotateBeforeDays: types.Int64Null(),
		RotationTriggers: types.MapNull(types.StringType),
		Timeouts: timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
			"create": types.StringType, "read": types.StringType, "update": types.StringType, "delete": types.StringType,
		})},
	}
	diags := m.setFromAPI(ctx, k)
	return m, diags
}
