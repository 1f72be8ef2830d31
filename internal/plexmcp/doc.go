// Package plexmcp is the provider's PlexMCP API client. One Client speaks
// either of PlexMCP's two APIs behind the same typed operations: the hosted
// API (reference-api.md: /v1, the {"success":…} envelope) and a self-hosted
// PlexMCP server (plexmcp-server-api.md: /api/v1, bare JSON, a JSON-RPC
// proxy). Callers decide what they may do from Capabilities alone; each
// API's paths, auth, envelopes, error shapes and quirks live in its own
// files (hosted*.go, server*.go) behind a small interface (dialect, in
// api.go) to the shared machinery of retries, pacing and logging.
//
// It knows nothing of Terraform, and shares no wire types with the
// reference server in internal/refserver: golden fixtures in
// internal/testdata/api connect the two.
//
// The promises, each tested against fakes and the real reference server:
//
//   - Never two keys for one create, and never a key nobody knows about. A
//     create is resent by itself only when the server provably did not act
//     on it. On the hosted API, any other failure after the request may
//     have arrived is settled before another attempt: the client finds the
//     key the failed attempt may have made and revokes it (an
//     Idempotency-Key is sent too, but not relied on). A PlexMCP server
//     lists no keys to an API-key caller, so there such a failure is
//     reported at once as a *CreateUncertainError that says how a person
//     can find the key.
//   - An update never leaves the caller believing something untrue. A
//     PlexMCP server commits PATCH fields one at a time, so the client
//     sends one concern at a time, ordered so that no moment grants more
//     than the old or the new permissions, and reports a failure with the
//     key as the server then holds it (*PartialUpdateError).
//   - Parallel callers queue rather than collide. Each key has a pacer that
//     queues attempts in order and learns the server's rate limit, from
//     X-RateLimit-* headers where they are sent and from 429s alone where
//     they are not.
//   - No secret leaves the client except in the credential header. The
//     Logger never sees headers, bodies or keys, errors are scrubbed, and
//     Secret, Config and Client print placeholders whatever the verb.
package plexmcp
