package refserver

// NewManagementKey returns a fresh, well-formed pk_live_ key to use as
// Config.AdminKey. Test suites give every server they start the same one,
// so the key can travel in PLEXMCP_API_KEY instead of in configuration
// text that harnesses log.
func NewManagementKey() string { return mintKey(modeLive) }
