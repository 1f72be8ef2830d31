package refserver

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// hostedAPI serves PlexMCP's hosted API: management under /v1, invocation
// at POST /mcp. See README.md, "The hosted API".
type hostedAPI struct {
	s      *Server
	routes []routeOf[hostedHandler]
}

// hostedCall is one authenticated request as it flows through a route.
type hostedCall struct {
	w    http.ResponseWriter
	r    *http.Request
	org  *org
	key  *apiKey // the calling key
	id   string  // the route's {id}
	body []byte
	// dropResponse is the "committed, then the connection dropped" fault:
	// the handler does its work and then aborts instead of answering.
	dropResponse bool
}

type hostedHandler struct {
	jsonBody bool // 415 unless the body is application/json
	handle   func(*hostedCall) *hostedError
}

// hostedCreatePath is the route whose failing requests may be dropped
// after committing.
const hostedCreatePath = "/v1/api-keys"

// hostedInvokePath is where keys invoke tools, at the origin.
const hostedInvokePath = "/mcp"

func newHostedAPI(s *Server) http.Handler {
	h := &hostedAPI{s: s}
	route := func(method, pattern string, jsonBody bool, handle func(*hostedCall) *hostedError) {
		h.routes = append(h.routes, routeOf[hostedHandler]{method: method, pattern: newPattern(pattern), handle: hostedHandler{jsonBody, handle}})
	}
	route(http.MethodGet, "/v1/mcps", false, h.listMCPs)
	route(http.MethodGet, "/v1/mcps/{id}", false, h.getMCP)
	route(http.MethodGet, hostedCreatePath, false, h.listAPIKeys)
	route(http.MethodPost, hostedCreatePath, true, h.createAPIKey)
	route(http.MethodGet, "/v1/api-keys/{id}", false, h.getAPIKey)
	route(http.MethodPatch, "/v1/api-keys/{id}", true, h.patchAPIKey)
	route(http.MethodDelete, "/v1/api-keys/{id}", false, h.deleteAPIKey)
	route(http.MethodPost, hostedInvokePath, true, h.invoke)
	return s.outer(h)
}

// isAPIPath reports whether a path belongs to the API, where a key is
// needed even to learn that a route does not exist. Other paths (/, /health,
// /favicon.ico) are simply not found.
func isAPIPath(p string) bool {
	return p == "/v1" || strings.HasPrefix(p, "/v1/") || p == "/mcp" || strings.HasPrefix(p, "/mcp/")
}

// serveAPI applies the hosted API's order of checks: injected fault (503),
// body over 1 MiB (413), authentication (401), unknown route (404) or wrong
// method (405), rate limit (429), content type (415), then the route's own
// checks (400, 422, then state). A 429 or an injected fault is not use of
// a key; every other authenticated request is.
func (h *hostedAPI) serveAPI(w http.ResponseWriter, r *http.Request) {
	s := h.s
	path := r.URL.Path
	rt, id, pattern, allow := lookup(h.routes, r.Method, path)
	r.Pattern = pattern
	c := &hostedCall{w: w, r: r, id: id}
	switch s.pickFault(rt != nil && r.Method == http.MethodPost && rt.pattern.text == hostedCreatePath) {
	case faultUnavailable:
		writeHostedError(w, hostedErrorf(http.StatusServiceUnavailable, codeUnavailable, msgUnavailable))
		return
	case faultDropAfterCommit:
		c.dropResponse = true
	}
	body, e := readHostedBody(w, r)
	if e != nil {
		writeHostedError(w, e)
		return
	}
	if !isAPIPath(path) {
		writeHostedError(w, hostedNotFound("Resource"))
		return
	}
	now := s.Now()
	if !h.authenticate(c, now) {
		writeHostedError(w, errHostedUnauthorized)
		return
	}
	if rt == nil {
		h.recordUse(c, now)
		h.rateLimitHeaders(c, s.limiter.peek(c.key.id), now)
		if allow != nil {
			list := strings.Join(allow, ", ")
			w.Header().Set("Allow", list)
			writeHostedError(w, hostedErrorf(http.StatusMethodNotAllowed, codeInvalidRequest, "Method %s is not allowed here; use %s", sanitize(r.Method), list))
			return
		}
		writeHostedError(w, hostedNotFound("Resource"))
		return
	}
	d := s.limiter.take(c.key.id)
	h.rateLimitHeaders(c, d, now)
	if d.enabled && !d.allowed {
		w.Header().Set("Retry-After", strconv.Itoa(d.retryAfter))
		writeHostedError(w, hostedErrorf(http.StatusTooManyRequests, codeRateLimited, msgRateLimited))
		return
	}
	h.recordUse(c, now)
	if rt.pattern.text == hostedInvokePath {
		// Every invocation past authentication and the rate limit is
		// recent activity, whatever its answer.
		defer h.recordInvocation(c, body, now)
	}
	if rt.handle.jsonBody {
		if e := checkHostedMediaType(r); e != nil {
			writeHostedError(w, e)
			return
		}
		c.body = body
	}
	if e := rt.handle.handle(c); e != nil {
		writeHostedError(w, e)
	}
}

func (h *hostedAPI) internalError(w http.ResponseWriter) { writeHostedError(w, errHostedInternal()) }

// authenticate resolves the Authorization header to a key of an
// organisation. The scheme is matched exactly: "ApiKey " everywhere, and
// "Bearer " too on POST /mcp (another method there is refused for its
// scheme before its method). Malformed keys are rejected before the store
// is consulted; revoked, expired and still-propagating keys are refused.
func (h *hostedAPI) authenticate(c *hostedCall, now time.Time) bool {
	header := c.r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(header, "ApiKey ")
	if !ok && c.r.Method == http.MethodPost && c.r.URL.Path == hostedInvokePath {
		key, ok = strings.CutPrefix(header, "Bearer ")
	}
	if !ok || !wellFormedKey(key) {
		return false
	}
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.lookupKeyLocked(key)
	if k == nil || k.status(now) != statusActive || k.propagating(now, s.keyPropagation) {
		return false
	}
	c.key, c.org = k, s.orgByID(k.orgID)
	return true
}

// recordInvocation adds an invocation to the key's recent activity once it
// is answered: success for a 200, else error. The MCP and tool are what the
// body named, "" where it named none.
func (h *hostedAPI) recordInvocation(c *hostedCall, body []byte, now time.Time) {
	var named struct {
		MCPID any `json:"mcp_id"`
		Tool  any `json:"tool"`
	}
	_ = json.Unmarshal(body, &named)
	mcpID, _ := named.MCPID.(string)
	tool, _ := named.Tool.(string)
	status := http.StatusOK
	if sw, ok := c.w.(*statusWriter); ok {
		status = sw.status
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	c.key.addActivity(activity{at: wholeSeconds(now), mcpID: mcpID, tool: tool, success: status == http.StatusOK})
	h.s.dirty = true
}

func (h *hostedAPI) recordUse(c *hostedCall, now time.Time) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	h.s.recordUseLocked(c.key, now)
}

// rateLimitHeaders sets X-RateLimit-* on an answer to a key, when asked
// to with -rate-limit-headers and while limiting is on. Reset follows the
// server's clock.
func (h *hostedAPI) rateLimitHeaders(c *hostedCall, d rateDecision, now time.Time) {
	if !h.s.rateLimitHeaders || !d.enabled {
		return
	}
	hd := c.w.Header()
	hd.Set("X-RateLimit-Limit", strconv.Itoa(d.limit))
	hd.Set("X-RateLimit-Remaining", strconv.Itoa(d.remaining))
	hd.Set("X-RateLimit-Reset", strconv.FormatInt(d.resetAt(now), 10))
}
