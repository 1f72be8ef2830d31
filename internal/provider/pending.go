package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// A create whose answer never arrived may still have made a key. Rather
// than forget it, the resource records the key as pending, and the
// record moves through these states:
//
//   - created: the answer arrived; state holds the key's real id.
//   - pending: the outcome is unknown; state holds a tainted record whose id
//     starts with pendingIDPrefix, so the next plan replaces it.
//   - settled: the next apply or destroy (Delete, never a plan) finds the
//     key that create may have made and revokes it; only then does the
//     record leave state. If settling fails too, the record stays, with
//     instructions.

// pendingIDPrefix marks a key whose create may have committed on the server
// although its answer never arrived. The rest of the id is the create's
// idempotency key.
const pendingIDPrefix = "pending:"

func markPending(m *apiKeyResourceModel, req plexmcp.CreateAPIKeyRequest) {
	m.ID = types.StringValue(pendingIDPrefix + req.IdempotencyKey)
	m.Key = types.StringNull()
	m.KeyPrefix = types.StringNull()
	m.Status = types.StringNull()
	m.CreatedAt = timetypes.NewRFC3339Null()
	// The expiry that was sent, so that a replay sends the same body.
	m.ExpiresAt = timetypes.NewRFC3339Null()
	if req.ExpiresAt != nil {
		m.ExpiresAt = timetypes.NewRFC3339TimeValue(*req.ExpiresAt)
	}
}

// resolvePending replays a pending create with its idempotency key, which
// Delete does before revoking. The server answers with the key it
// committed or, if the first attempt never got through, creates it now;
// either way the key becomes known and can be revoked. No error answer
// proves that nothing was created (a 401 is about the provider's own key, a
// 422 means a record exists), so any failure keeps the instance in state.
func resolvePending(ctx context.Context, client *plexmcp.Client, m *apiKeyResourceModel) diag.Diagnostics {
	idem := strings.TrimPrefix(m.ID.ValueString(), pendingIDPrefix)
	req, diags := createRequestFromModel(ctx, *m, idem, time.Now())
	if diags.HasError() {
		return diags
	}
	created, err := client.CreateAPIKey(ctx, req)
	if err != nil {
		addAPIError(&diags, "Error Resolving Pending PlexMCP API Key", err)
		diags.AddError("PlexMCP API Key May Still Exist",
			fmt.Sprintf("An earlier create of the API key %q got no answer, and replaying it failed, so it is not "+
				"known whether PlexMCP holds that key. Terraform keeps it in state so that it is not forgotten. Fix "+
				"the error above and apply again; or, if the PlexMCP dashboard shows no active key named %q (revoke "+
				"it there if it does), remove it with terraform state rm.", m.Name.ValueString(), m.Name.ValueString()))
		return diags
	}
	tflog.Info(ctx, "resolved pending PlexMCP API key", map[string]any{"id": created.ID, "key_prefix": created.KeyPrefix, "replayed": created.Replayed})
	m.Key = types.StringValue(created.Key.Reveal())
	diags.Append(m.setFromAPI(ctx, &created.APIKey)...)
	return diags
}

func isPending(m apiKeyResourceModel) bool {
	return strings.HasPrefix(m.ID.ValueString(), pendingIDPrefix)
}

// createWithRecovery creates a key, and if the outcome is unknown after the
// client's retries (the server may have committed a create whose answer was
// lost), replays the same idempotent request once more on a fresh deadline.
// A replay either returns the committed key, which then lands in state, or
// proves nothing was created. Without it a timeout could leave a live key
// that Terraform does not know about.
func createWithRecovery(ctx context.Context, client *plexmcp.Client, req plexmcp.CreateAPIKeyRequest) (*plexmcp.CreatedAPIKey, error) {
	created, err := client.CreateAPIKey(ctx, req)
	// An interrupt (Ctrl-C) stops here: the caller records the key as
	// pending, and the next apply settles it. A timeout or exhausted
	// retries get one more try on a fresh deadline.
	if err == nil || !outcomeUnknown(err) || errors.Is(ctx.Err(), context.Canceled) {
		return created, err
	}
	tflog.Warn(ctx, "create outcome unknown; replaying with the same idempotency key", map[string]any{"error": err.Error()})
	recoverCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	created, replayErr := client.CreateAPIKey(recoverCtx, req)
	if replayErr == nil {
		return created, nil
	}
	return nil, fmt.Errorf("%w (a replay with the same idempotency key also failed: %v)", err, replayErr)
}

// outcomeUnknown reports whether a failed create may still have committed:
// anything but a definite 4xx answer from the server.
func outcomeUnknown(err error) bool {
	var apiErr *plexmcp.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500 || apiErr.StatusCode == 429 || apiErr.StatusCode == 409
	}
	return true
}
