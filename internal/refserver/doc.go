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
//
// Where the contract leaves a choice open, the server is strict, so that a
// client bug shows up here rather than against the real API:
//
//   - Request field names match case-sensitively; unknown and duplicate
//     fields are 400 invalid_request with details.field naming them.
//   - A JSON type error in a known field (a number for name) is 400
//     validation_error naming the field, like any other bad value.
//   - Query parameters that are present must be valid: page and per_page
//     positive integers (400 validation_error otherwise); ?status= on
//     /mcps takes active or inactive.
//   - name is validated after trimming but stored as sent; a null
//     description clears it; null for the other optional create fields
//     means absent. In a PATCH, mode, expires_at and expires_in_days are
//     refused whenever present, even as null, before the key is looked up.
//   - Check order: rate limit (429), injected fault (503), body size (413,
//     on every route, whatever the key), authentication (401),
//     management-only routes (403), media type (415), JSON (400), then the
//     route's own checks. Unknown and unclean paths (//v1/mcps) pass the
//     same checks before their 404, so they carry the rate-limit headers.
//   - Methods outside GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS are
//     counted together as OTHER in RequestCounts; at most 32 User-Agents are
//     counted apart. Idempotency records keep a SHA-256 of the body.
//   - Idempotency-Key must be a single non-empty value of at most 255
//     characters (else 400 validation_error naming Idempotency-Key). The
//     body is compared after it has parsed as JSON, so malformed JSON is a
//     400 even under a known key.
//   - Usage (last_used_at, request_count) is written to the state file
//     every second and on Close, so a crash loses at most a second of usage
//     counts; every mutation (keys, revocations) is written before it is
//     answered. Writing usage on every request would fsync on every read.
package refserver
