// Package plexmcp is the provider's PlexMCP API client: typed calls, errors
// that keep the server's code and message, and the retry, rate-limit and
// logging policy that lets Terraform run many operations at once safely.
//
// It knows nothing of Terraform, and shares no wire types with the
// reference server in internal/refserver: its JSON structs are its own
// (wire.go), checked against the golden fixtures in internal/testdata/api.
//
// Three properties matter more than the rest, and each has a test against
// the real reference server:
//
//   - A create is never applied twice. Every CreateAPIKey carries one
//     Idempotency-Key and byte-identical body on all of its attempts, so a
//     response lost after the server committed is replayed, not re-minted.
//   - Parallel callers queue rather than collide. Each credential has a
//     pacer that mirrors the server's token bucket from the X-RateLimit-*
//     headers and hands out send slots at the refill rate.
//   - No secret leaves the client except in the Authorization header. The
//     Logger never sees headers, bodies or keys, errors are scrubbed, and
//     Secret, Config and Client print placeholders.
package plexmcp
