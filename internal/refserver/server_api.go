package refserver

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// serverAPI emulates a self-hosted PlexMCP server: the management API under
// /api/v1, the JSON-RPC proxy at POST /mcp and GET /health. See README.md,
// "A PlexMCP server's API".
type serverAPI struct {
	s       *Server
	routes  []routeOf[serverHandler]
	windows *minuteLimiter // the proxy's per-key rate_limit_rpm
}

// serverCall is one authenticated management request.
type serverCall struct {
	w     http.ResponseWriter
	r     *http.Request
	org   *org
	key   *apiKey // the calling key; nil for the owner
	owner string  // the owner's user id when the caller is the owner
	id    string  // the path's UUID, lowercased and hyphenated
	body  sjDecoded
	// dropResponse is the "committed, then the connection dropped" fault.
	dropResponse bool
}

// serverBody is what a route reads of the request body.
type serverBody int

const (
	noBody    serverBody = iota // not read at all
	readsJSON                   // Json<T>: 415, 413, 400 and 422 in that order
)

type serverHandler struct {
	idParam string // the name of the path's UUID parameter, for its errors
	body    serverBody
	shape   sjStruct
	handle  func(*serverCall) *serverError
}

// Paths of a PlexMCP server that are not under /api/v1.
const (
	serverProxyPath = "/mcp"
	serverBase      = "/api/v1"
)

// maxServerBody is the management API's body limit (10 MiB).
const maxServerBody = 10 << 20

func newServerAPI(s *Server) http.Handler {
	h := &serverAPI{s: s, windows: newMinuteLimiter()}
	route := func(method, pattern string, hd serverHandler) {
		h.routes = append(h.routes, routeOf[serverHandler]{method: method, pattern: newPattern(serverBase + pattern), handle: hd})
	}
	route(http.MethodGet, "/api-keys", serverHandler{handle: h.listAPIKeys})
	route(http.MethodPost, "/api-keys", serverHandler{body: readsJSON, shape: createKeyRequest, handle: h.createAPIKey})
	route(http.MethodGet, "/api-keys/{id}", serverHandler{idParam: "key_id", handle: h.getAPIKey})
	route(http.MethodPatch, "/api-keys/{id}", serverHandler{idParam: "key_id", body: readsJSON, shape: updateKeyRequest, handle: h.patchAPIKey})
	route(http.MethodDelete, "/api-keys/{id}", serverHandler{idParam: "key_id", handle: h.deleteAPIKey})
	route(http.MethodPost, "/api-keys/{id}/rotate", serverHandler{idParam: "key_id", handle: h.rotateAPIKey})
	route(http.MethodGet, "/api-keys/{id}/usage", serverHandler{idParam: "key_id", handle: h.keyUsage})
	route(http.MethodPost, "/api-keys/{id}/reveal", serverHandler{idParam: "key_id", body: readsJSON, shape: revealRequest, handle: h.revealAPIKey})
	route(http.MethodGet, "/mcps", serverHandler{handle: h.listMCPs})
	route(http.MethodGet, "/mcps/{id}", serverHandler{idParam: "mcp_id", handle: h.getMCP})
	return s.outer(h)
}

// rawPath is the request's path as sent, still percent-encoded: a PlexMCP
// server routes on it and decodes only the parameters.
func rawPath(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		p, _, _ := strings.Cut(r.RequestURI, "?")
		return p
	}
	return r.URL.EscapedPath()
}

func (h *serverAPI) serveAPI(w http.ResponseWriter, r *http.Request) {
	switch path := rawPath(r); {
	case path == serverProxyPath:
		r.Pattern = path
		h.proxy(w, r)
	case path == "/health" || path == "/health/live" || path == "/health/ready":
		r.Pattern = path
		h.health(w, r, path)
	case path == serverBase || strings.HasPrefix(path, serverBase+"/"):
		h.management(w, r, path)
	default:
		writeEmpty(w, http.StatusNotFound)
	}
}

// internalError is a handler bug: shape B, as an unexpected error of a
// PlexMCP server's handler would be.
func (h *serverAPI) internalError(w http.ResponseWriter) { writeServerError(w, errServerInternal) }

// health answers GET /health with the database's state (always healthy
// here), and the liveness and readiness probes with an empty 200.
func (h *serverAPI) health(w http.ResponseWriter, r *http.Request, path string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET,HEAD")
		writeEmpty(w, http.StatusMethodNotAllowed)
		return
	}
	if path != "/health" {
		writeEmpty(w, http.StatusOK)
		return
	}
	writeJSONBody(w, http.StatusOK, encodeJSON(serverHealth{Status: "healthy", Version: serverVersion, Database: "healthy"}))
}

// management applies the management API's order: injected fault (503),
// unknown route (404, empty, before authentication), authentication (401,
// shape A), wrong method (405, empty, with Allow), rate limit (429), the
// path's UUID (400), then for bodies the content type (415), size (413) and
// JSON (400 or 422), then the handler. Every authenticated request but a
// 429 or an injected fault is use of its key.
func (h *serverAPI) management(w http.ResponseWriter, r *http.Request, path string) {
	s := h.s
	rt, id, pattern, allow := lookup(h.routes, r.Method, path)
	r.Pattern = pattern
	c := &serverCall{w: w, r: r}
	switch s.pickFault(rt != nil && r.Method == http.MethodPost && pattern == serverBase+"/api-keys") {
	case faultUnavailable:
		writeServerError(w, errServerUnavailable)
		return
	case faultDropAfterCommit:
		c.dropResponse = true
	}
	if pattern == "" {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	now := s.Now()
	if msg := h.authenticate(c, now); msg != "" {
		writeAuthError(w, msg)
		return
	}
	if rt == nil {
		h.recordUse(c, now)
		w.Header().Set("Allow", strings.Join(allow, ","))
		writeEmpty(w, http.StatusMethodNotAllowed)
		return
	}
	if c.key != nil {
		if d := s.limiter.take(c.key.id); d.enabled && !d.allowed {
			writeServerError(w, errServerRateLimited) // no Retry-After: the real server sends none
			return
		}
	}
	h.recordUse(c, now)
	hd := rt.handle
	if hd.idParam != "" {
		raw := percentDecode(id)
		if !utf8.ValidString(raw) {
			writeText(w, http.StatusBadRequest, "Invalid URL: Invalid UTF-8 in `"+hd.idParam+"`")
			return
		}
		uuid, msg := parseUUID(raw)
		if msg != "" {
			writeText(w, http.StatusBadRequest, "Invalid URL: UUID parsing failed: "+msg)
			return
		}
		c.id = uuid
	}
	if hd.body == readsJSON {
		body, status, text := readServerJSON(w, r, hd.shape)
		if text != "" {
			writeText(w, status, text)
			return
		}
		c.body = body
	}
	if e := hd.handle(c); e != nil {
		writeServerError(w, e)
	}
}

// authenticate reads the management API's credentials as a PlexMCP
// server's middleware does, and returns its shape A message on failure. A
// bearer token (or a plexmcp_auth_token cookie) is a JWT: it wins over an
// API key and, here, is always refused (except the owner's test token); it
// is never sent anywhere. "ApiKey " is matched exactly.
func (h *serverAPI) authenticate(c *serverCall, now time.Time) string {
	s := h.s
	header, ok := visibleHeader(c.r, "Authorization")
	if token, isBearer := strings.CutPrefix(header, "Bearer "); ok && isBearer {
		return h.ownerOrRefused(c, token)
	}
	if token, hasCookie := authCookie(c.r); hasCookie {
		return h.ownerOrRefused(c, token)
	}
	key, isKey := strings.CutPrefix(header, "ApiKey ")
	if !ok || !isKey {
		return msgAuthRequired
	}
	if !wellFormedKey(key) {
		return msgInvalidKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.lookupKeyLocked(key)
	// The middleware's query: the key exists and expires_at > NOW().
	if k == nil || k.expiresAt != nil && !k.expiresAt.After(now) || k.propagating(now, s.keyPropagation) {
		return msgInvalidKey
	}
	c.key, c.org = k, s.orgByID(k.orgID)
	return ""
}

// ownerOrRefused takes a JWT: the first organisation's owner if it is the
// test-only owner token, else refused.
func (h *serverAPI) ownerOrRefused(c *serverCall, token string) string {
	if h.s.ownerToken == "" || token != h.s.ownerToken {
		return msgInvalidToken
	}
	c.org = h.s.orgs[0]
	c.owner = c.org.def.serverOwner
	return ""
}

// visibleHeader is the first value of a header if it is visible ASCII, as
// the http crate's to_str requires; anything else counts as absent.
func visibleHeader(r *http.Request, name string) (string, bool) {
	values := r.Header.Values(name)
	if len(values) == 0 {
		return "", false
	}
	for _, c := range []byte(values[0]) {
		if (c < 0x20 && c != '\t') || c >= 0x7f {
			return "", false
		}
	}
	return values[0], true
}

// authCookie finds a plexmcp_auth_token cookie in the first Cookie header.
func authCookie(r *http.Request) (string, bool) {
	header, ok := visibleHeader(r, "Cookie")
	if !ok {
		return "", false
	}
	for part := range strings.SplitSeq(header, ";") {
		if token, found := strings.CutPrefix(strings.TrimSpace(part), "plexmcp_auth_token="); found {
			return token, true
		}
	}
	return "", false
}

func (h *serverAPI) recordUse(c *serverCall, now time.Time) {
	if c.key == nil {
		return
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	h.s.recordUseLocked(c.key, now)
}

// percentDecode decodes %XX escapes and leaves malformed ones as they are,
// as the percent-encoding crate does.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1:i+3]) {
			hi := strings.IndexByte("0123456789abcdef", s[i+1]|0x20)
			lo := strings.IndexByte("0123456789abcdef", s[i+2]|0x20)
			b.WriteByte(byte(hi<<4 | lo))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// readServerJSON is axum's Json extractor: the content type (415), the body
// within 10 MiB (413), then JSON syntax (400) and shape (422), as plain
// text. Unknown fields and trailing data are accepted.
func readServerJSON(w http.ResponseWriter, r *http.Request, shape sjStruct) (sjDecoded, int, string) {
	if !jsonContentType(r) {
		return nil, http.StatusUnsupportedMediaType, "Expected request with `Content-Type: application/json`"
	}
	const tooLarge = "Failed to buffer the request body: length limit exceeded"
	if r.ContentLength > maxServerBody {
		return nil, http.StatusRequestEntityTooLarge, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxServerBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, http.StatusRequestEntityTooLarge, tooLarge
		}
		return nil, http.StatusBadRequest, "Failed to buffer the request body: " + err.Error()
	}
	d, serr := sjDecode(body, shape, true, false)
	switch {
	case serr == nil:
		return d, 0, ""
	case serr.syntax:
		return nil, http.StatusBadRequest, "Failed to parse the request body as JSON: " + serr.text(body)
	}
	return nil, http.StatusUnprocessableEntity, "Failed to deserialize the JSON body into the target type: " + serr.text(body)
}

// jsonContentType is axum's test: application/json or application/*+json,
// parameters allowed.
func jsonContentType(r *http.Request) bool {
	header, ok := visibleHeader(r, "Content-Type")
	if !ok {
		return false
	}
	mt, _, err := mime.ParseMediaType(header)
	return err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}
