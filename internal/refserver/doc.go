// Package refserver is the reference PlexMCP API server that the provider's
// acceptance tests run against, and that the plexmcp-refserver program serves
// on its own.
//
// It implements the contract in the project's reference-api.md exactly,
// including the parts a real server only shows under stress: rate limits,
// idempotent retries, dropped connections after a commit, expiry driven by a
// movable clock and crash-safe state. It shares no Go types with the API
// client (internal/plexmcp); the golden JSON files in internal/testdata/api pin
// the wire format for both sides, so a misspelt field cannot pass on both.
package refserver
