package provider

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// A create whose answer never arrived may still have made a key. The client
// looks for that key and revokes it before it tries again; when even that
// fails, and the API lists keys so that the key can be found later, the
// resource records the create as pending rather than forget it. The record
// moves through these states:
//
//   - pending: state holds a tainted instance whose id is pendingIDPrefix
//     and the window in which the key may have been made (see pendingID),
//     with the configured name; the next plan replaces it.
//   - settled: the next apply or destroy (Delete, never a plan) looks for
//     keys of that name made in that window and revokes them; only then
//     does the record leave state. If settling fails too, the record stays,
//     with instructions.
//
// Where the API lists no keys to API-key callers (a PlexMCP server), no
// record could ever be settled, so there is none: the error says what may
// exist and how a person finds it.

// pendingIDPrefix marks a key whose create may have committed on the server
// although its answer never arrived.
const pendingIDPrefix = "pending:"

// pendingWindowSeparator separates the window's two timestamps in the id.
const pendingWindowSeparator = "/"

// pendingID is the id of a pending record: the window in which the server
// may have made the key, in its own clock, readable in terraform state list.
func pendingID(p plexmcp.PendingCreate) string {
	return pendingIDPrefix + p.From.UTC().Format(time.RFC3339) + pendingWindowSeparator + p.To.UTC().Format(time.RFC3339)
}

// isPending reports whether id is a pending record's.
func isPending(id types.String) bool {
	return strings.HasPrefix(id.ValueString(), pendingIDPrefix)
}

// parsePending reads a pending record back for SettleCreate.
func parsePending(id, name string) (plexmcp.PendingCreate, error) {
	from, to, ok := strings.Cut(strings.TrimPrefix(id, pendingIDPrefix), pendingWindowSeparator)
	if ok {
		fromTime, err1 := time.Parse(time.RFC3339, from)
		toTime, err2 := time.Parse(time.RFC3339, to)
		if err1 == nil && err2 == nil {
			return plexmcp.PendingCreate{Name: name, From: fromTime, To: toTime}, nil
		}
	}
	return plexmcp.PendingCreate{}, fmt.Errorf("the pending record %q is not one this provider writes", id)
}

// markPending turns a planned key into a pending record. Everything only a
// created key has is null.
func markPending(m *apiKeyResourceModel, p plexmcp.PendingCreate) {
	m.ID = types.StringValue(pendingID(p))
	m.Key = types.StringNull()
	m.KeyPrefix = types.StringNull()
	m.Status = types.StringNull()
	m.CreatedAt = timetypes.NewRFC3339Null()
	if m.ExpiresAt.IsUnknown() {
		m.ExpiresAt = timetypes.NewRFC3339Null()
	}
	if m.RateLimitRPM.IsUnknown() {
		m.RateLimitRPM = types.Int64Null()
	}
}

// pendingExplanation is what a user reads when a create is recorded as
// pending.
func pendingExplanation(p plexmcp.PendingCreate) string {
	return fmt.Sprintf("PlexMCP may have created the key %q between %s and %s, but the answer never arrived and "+
		"the provider could not look for it. Terraform stored the create as %s (tainted). The next terraform "+
		"apply (which replaces it) or destroy looks for keys named %q created in that window and revokes them, "+
		"so no key is left that Terraform does not know about.", p.Name, p.From.UTC().Format(time.RFC3339),
		p.To.UTC().Format(time.RFC3339), pendingID(p), p.Name)
}
