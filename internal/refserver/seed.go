package refserver

import "time"

// Organisation ids. They never appear on the wire; they tie persisted keys
// to the bootstrap keys each start supplies, and tests read them in
// KeyRecord.OrgID.
const (
	firstOrgID  = "org_1"
	secondOrgID = "org_2"
)

// seedEpoch is the fixed creation time of the seeded MCPs, so that their
// JSON is byte-for-byte stable and the golden files can pin it.
var seedEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func seedAt(d time.Duration) time.Time { return seedEpoch.Add(d) }

// mcpDef is a seeded MCP: what both APIs show of it, and what each shows
// in its own way. MCPs have no endpoint that changes them, so this never
// changes; only usage statistics do.
type mcpDef struct {
	name, description, endpointURL string
	tools                          []*tool

	// The hosted API: mcp_… ids, whole-second times.
	hostedID                     string
	hostedCreated, hostedChecked time.Time

	// A PlexMCP server: UUIDs, fractional times, the stored config
	// (secrets included: the API redacts them) and the last health check,
	// nil when there was none.
	serverID      string
	serverCreated time.Time
	serverConfig  map[string]any
	serverCheck   *healthCheck
}

// healthCheck is what a PlexMCP server learned from an MCP's last health
// check.
type healthCheck struct {
	at                        time.Time
	serverName, serverVersion string
	latencyMS                 int
}

// orgDef is a seeded organisation: its MCPs and the user who owns it. The
// owner created the bootstrap key (PlexMCP keys are first made in its
// dashboard).
type orgDef struct {
	id          string
	hostedOwner owner
	serverOwner string // UUID
	mcps        []*mcpDef
}

// owner is a user as the hosted API shows it in created_by.
type owner struct{ id, email string }

var seedOrgDefs = []orgDef{
	{
		id:          firstOrgID,
		hostedOwner: owner{id: "user_7Qm2Xk9LpV4tR8nBc3Wd", email: "owner@example.com"},
		serverOwner: "59809d85-ff47-41c9-b22b-bb4ef4ddce7c",
		mcps: []*mcpDef{
			{
				name: "Weather API", description: "Current weather for any city.",
				endpointURL: "https://mcp.example.com/weather", tools: []*tool{tools["get_weather"]},
				hostedID: "mcp_weather", hostedCreated: seedAt(0), hostedChecked: seedAt(5 * time.Minute),
				serverID: "0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60", serverCreated: seedAt(250 * time.Millisecond),
				serverConfig: map[string]any{"api_key": "upstream-token-not-a-plexmcp-key", "auth_type": "bearer",
					"endpoint_url": "https://mcp.example.com/weather"},
				serverCheck: &healthCheck{at: seedAt(5*time.Minute + 750*time.Millisecond), serverName: "weather-mcp", serverVersion: "1.4.2", latencyMS: 12},
			},
			{
				name: "Calculator", description: "Simple arithmetic.",
				endpointURL: "https://mcp.example.com/calculator", tools: []*tool{tools["add"]},
				hostedID: "mcp_calculator", hostedCreated: seedAt(time.Minute), hostedChecked: seedAt(5 * time.Minute),
				serverID: "3b9e7c21-5a84-4f1d-8c36-2e7a9b0d4c15", serverCreated: seedAt(time.Minute + 250*time.Millisecond),
				serverConfig: map[string]any{"auth_type": "none", "endpoint_url": "https://mcp.example.com/calculator"},
				serverCheck:  &healthCheck{at: seedAt(5*time.Minute + 1500*time.Millisecond), serverName: "calculator-mcp", serverVersion: "0.9.0", latencyMS: 8},
			},
			{
				name: "Sandbox", description: "Echoes its arguments, for trying things out.",
				endpointURL: "https://mcp.example.com/sandbox", tools: []*tool{tools["echo"]},
				hostedID: "mcp_sandbox", hostedCreated: seedAt(2 * time.Minute), hostedChecked: seedAt(5 * time.Minute),
				serverID: "7d5a1e94-2c63-4b7f-a018-9e4c6b2d3f87", serverCreated: seedAt(2*time.Minute + 250*time.Millisecond),
				serverConfig: map[string]any{"endpoint_url": "https://mcp.example.com/sandbox"},
			},
		},
	},
	{
		id:          secondOrgID,
		hostedOwner: owner{id: "user_3Hs8Nq2ZxT6vK1mLp9Rb", email: "owner@second.example.com"},
		serverOwner: "b139ebdb-d026-436c-ae23-f8f2da3161b0",
		mcps: []*mcpDef{
			{
				name: "Private Tools", description: "Belongs to the second organisation only.",
				endpointURL: "https://mcp.example.com/private-tools", tools: []*tool{tools["ping"]},
				hostedID: "mcp_private", hostedCreated: seedAt(0), hostedChecked: seedAt(5 * time.Minute),
				serverID: "c4e8f2a6-9b13-4d57-8e20-5f7a1c3b9d64", serverCreated: seedAt(250 * time.Millisecond),
				serverConfig: map[string]any{"endpoint_url": "https://mcp.example.com/private-tools"},
			},
		},
	},
}

// seedOrgs returns the two organisations, with their MCPs as api shows
// them and no keys yet.
func seedOrgs(api string) []*org {
	var out []*org
	for i := range seedOrgDefs {
		d := &seedOrgDefs[i]
		o := &org{def: d, keys: map[string]*apiKey{}, idem: map[string]*idemRecord{}}
		for _, md := range d.mcps {
			m := &mcp{def: md, id: md.hostedID, createdAt: md.hostedCreated, stats: mcpStats{daily: dailyCounts{}}}
			if api == APIServer {
				m.id, m.createdAt = md.serverID, md.serverCreated
			}
			o.mcps = append(o.mcps, m)
		}
		out = append(out, o)
	}
	return out
}
