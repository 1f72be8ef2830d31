package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/plexmcp"
)

// keyOutput is one environment's entry in the quickstart's "keys" output.
type keyOutput struct {
	ID        string   `json:"id"`
	KeyPrefix string   `json:"key_prefix"`
	MCPIDs    []string `json:"mcp_ids"`
	ExpiresAt *string  `json:"expires_at"`
}

// quickstartOutputs is what the demo reads from `terraform output -json`.
type quickstartOutputs struct {
	keys    map[string]keyOutput
	secrets map[string]plexmcp.Secret
}

// readOutputs parses `terraform output -json` of the quickstart. The keys
// go straight into Secrets, which never print them.
func readOutputs(raw []byte) (quickstartOutputs, error) {
	var doc struct {
		Keys    struct{ Value map[string]keyOutput } `json:"keys"`
		Secrets struct{ Value map[string]string }    `json:"secrets"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return quickstartOutputs{}, fmt.Errorf("reading terraform output: %w", err)
	}
	out := quickstartOutputs{keys: doc.Keys.Value, secrets: make(map[string]plexmcp.Secret, len(doc.Secrets.Value))}
	for env, key := range doc.Secrets.Value {
		out.secrets[env] = plexmcp.NewSecret(key)
	}
	for env := range out.keys {
		if out.secrets[env].IsZero() {
			return quickstartOutputs{}, fmt.Errorf("terraform output has no key for environment %q", env)
		}
	}
	return out, nil
}

// mcpTool is one seeded MCP and the tool the demo calls on it.
type mcpTool struct {
	id, name, tool string
}

// seededTool names the tool of each MCP the reference server seeds. A
// PlexMCP server reports an MCP's tools only once it has been health-checked,
// which the reference server's Sandbox never is; the demo calls it anyway.
var seededTool = map[string]string{
	"Weather API": "get_weather",
	"Calculator":  "add",
	"Sandbox":     "echo",
}

// demoArguments are arguments each seeded tool accepts.
var demoArguments = map[string]map[string]any{
	"get_weather": {"city": "Lisbon"},
	"add":         {"a": 2, "b": 3},
	"echo":        {"text": "hello"},
}

// summarize prints, per environment, which seeded MCPs answer its key: each
// cell is a real invocation of the MCP's tool with that key. It returns the
// keys it found, for the check after destroy.
func summarize(ctx context.Context, tf terraform, srv *server, w io.Writer) (map[string]keyOutput, error) {
	raw, err := tf.output(ctx, "-json")
	if err != nil {
		return nil, err
	}
	outputs, err := readOutputs(raw)
	if err != nil {
		return nil, err
	}
	admin, err := srv.client(srv.apiKey)
	if err != nil {
		return outputs.keys, err
	}
	mcps, err := seededTools(ctx, admin)
	if err != nil {
		return outputs.keys, err
	}
	var rows []reachRow
	for _, env := range sortedKeys(outputs.keys) {
		k := outputs.keys[env]
		row := reachRow{env: env, id: k.ID, prefix: k.KeyPrefix, expires: k.ExpiresAt}
		client := admin.WithAPIKey(outputs.secrets[env])
		for _, m := range mcps {
			_, err := client.Invoke(ctx, plexmcp.InvokeRequest{MCPID: m.id, Tool: m.tool, Arguments: demoArguments[m.tool]})
			row.cells = append(row.cells, invokeCell(err))
		}
		rows = append(rows, row)
	}
	names := make([]string, len(mcps))
	for i, m := range mcps {
		names[i] = m.name
	}
	fmt.Fprintln(w, "\n==> What each key reaches: every cell calls the MCP's tool with that environment's key")
	if err := formatReach(w, names, rows); err != nil {
		return outputs.keys, err
	}
	fmt.Fprintln(w, "ok: the tool answered. denied: PlexMCP refused the key for that MCP, which is not in its mcp_ids.")
	fmt.Fprintln(w)
	return outputs.keys, nil
}

// seededTools lists the organisation's MCPs, by name, each with the first
// of its tools (or, where the API lists none, the one the server seeds).
func seededTools(ctx context.Context, c *plexmcp.Client) ([]mcpTool, error) {
	mcps, err := c.ListMCPs(ctx, plexmcp.ListMCPsOptions{})
	if err != nil {
		return nil, err
	}
	var out []mcpTool
	for _, m := range mcps {
		// A list carries no tools on either API; the MCP itself does.
		detail, err := c.GetMCP(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		tool := seededTool[m.Name]
		if len(detail.Tools) > 0 {
			tool = detail.Tools[0].Name
		}
		if tool == "" {
			continue // Not one the demo knows how to call.
		}
		out = append(out, mcpTool{id: m.ID, name: m.Name, tool: tool})
	}
	slices.SortFunc(out, func(a, b mcpTool) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// invokeCell words the outcome of one invocation.
func invokeCell(err error) string {
	var apiErr *plexmcp.APIError
	var rpcErr *plexmcp.RPCError
	switch {
	case err == nil:
		return "ok"
	case plexmcp.IsAccessDenied(err):
		return "denied"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("error (HTTP %d)", apiErr.StatusCode)
	case errors.As(err, &rpcErr):
		return fmt.Sprintf("error (%d)", rpcErr.Code)
	default:
		return "error"
	}
}

// reachRow is one environment's line of the summary.
type reachRow struct {
	env, id, prefix string
	expires         *string
	cells           []string
}

// formatReach prints the summary table: one line per environment, one
// column per MCP.
func formatReach(w io.Writer, mcpNames []string, rows []reachRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "ENVIRONMENT\tKEY ID\tKEY PREFIX\tEXPIRES")
	for _, name := range mcpNames {
		fmt.Fprint(tw, "\t"+name)
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s", r.env, r.id, displayPrefix(r.prefix), displayExpiry(r.expires))
		for _, c := range r.cells {
			fmt.Fprint(tw, "\t"+c)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// maxPrefix is the longest key prefix either API reports: a PlexMCP
// server's 17 characters and "...".
const maxPrefix = 20

// displayPrefix marks a key prefix as the start of a key, as a PlexMCP
// server's own prefixes do with "...". Anything longer than a prefix is
// cut, so that a key put where a prefix belongs is never shown.
func displayPrefix(p string) string {
	if len(p) > maxPrefix {
		p = p[:maxPrefix-3] + "..."
	}
	if strings.HasSuffix(p, "...") {
		return p
	}
	return p + "..."
}

// displayExpiry shows an expiry as a date, or "never".
func displayExpiry(s *string) string {
	if s == nil {
		return "never"
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return *s
	}
	return t.UTC().Format(time.DateOnly)
}

// expectGone checks that destroy revoked (hosted) or deleted (a PlexMCP
// server) every key the demo made.
func expectGone(ctx context.Context, srv *server, keys map[string]keyOutput) error {
	admin, err := srv.client(srv.apiKey)
	if err != nil {
		return err
	}
	var errs []error
	for _, env := range sortedKeys(keys) {
		k := keys[env]
		got, err := admin.GetAPIKey(ctx, k.ID)
		switch {
		case plexmcp.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("checking the %s key %s after destroy: %w", env, k.ID, err))
		case got.Status != plexmcp.StatusRevoked:
			errs = append(errs, fmt.Errorf("the %s key %s is still %s after destroy", env, k.ID, got.Status))
		}
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
