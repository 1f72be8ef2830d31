// Package refserver is a reference implementation of PlexMCP's APIs: the
// server the provider's acceptance tests run against, and that the
// plexmcp-refserver program serves on its own.
//
// A Server speaks one of two APIs, chosen by Config.API: PlexMCP's hosted
// API (PlexMCP Cloud, the default) or a self-hosted PlexMCP server's API.
// Both share one store of organisations, keys, MCPs and usage, and the same
// knobs: a movable clock, injected faults, rate limits, key quotas, key
// propagation and crash-safe state. Each API's handlers and wire types live
// in files named for it (hosted_*.go, server_*.go). The server shares no Go
// types with the API client (internal/plexmcp); the golden JSON files in
// internal/testdata/api pin the wire format for both sides.
//
// README.md in this directory states the contract the server keeps for
// each API, the order of its checks, its knobs, and every place where it
// deliberately differs from the real PlexMCP.
package refserver
