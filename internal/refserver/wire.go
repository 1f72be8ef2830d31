package refserver

import "time"

// The server's wire types. They are deliberately its own: the client
// (internal/plexmcp) has separate ones, and the golden files in
// internal/testdata/api hold both to the same JSON.

type mcpJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Mode        string   `json:"mode"`
	Status      string   `json:"status"`
	Tools       []string `json:"tools"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
}

func (m *mcp) json() mcpJSON {
	return mcpJSON{ID: m.id, Name: m.name, Description: m.description, Mode: m.mode, Status: m.status,
		Tools: append([]string{}, m.tools...), CreatedAt: formatTime(m.createdAt), UpdatedAt: formatTime(m.updatedAt)}
}

// permissionsJSON.MCPs is the string "*" or a list of MCP ids.
type permissionsJSON struct {
	MCPs any `json:"mcps"`
}

type apiKeyJSON struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Mode         string          `json:"mode"`
	KeyPrefix    string          `json:"key_prefix"`
	Permissions  permissionsJSON `json:"permissions"`
	ExpiresAt    *string         `json:"expires_at"`
	Status       string          `json:"status"`
	CreatedAt    string          `json:"created_at"`
	LastUsedAt   *string         `json:"last_used_at"`
	RequestCount int64           `json:"request_count"`
	RevokedAt    *string         `json:"revoked_at"`
	// Key is set only in the create response (and its replays).
	Key string `json:"key,omitempty"`
}

func (k *apiKey) json(now time.Time) apiKeyJSON {
	perms := permissionsJSON{MCPs: "*"}
	if !k.allMCPs {
		perms.MCPs = append([]string{}, k.mcpIDs...)
	}
	return apiKeyJSON{
		ID: k.id, Name: k.name, Description: k.description, Mode: k.mode, KeyPrefix: k.prefix,
		Permissions:  perms,
		ExpiresAt:    formatOptionalTime(k.expiresAt),
		Status:       k.status(now),
		CreatedAt:    formatTime(k.createdAt),
		LastUsedAt:   formatOptionalTime(k.lastUsedAt),
		RequestCount: k.requestCount,
		RevokedAt:    formatOptionalTime(k.revokedAt),
	}
}

type invokeJSON struct {
	MCPID  string `json:"mcp_id"`
	Tool   string `json:"tool"`
	Result any    `json:"result"`
}
