package refserver

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"path"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Server. The zero value is a working in-memory server
// with freshly generated management keys and no rate limit or faults.
type Config struct {
	AdminKey          string        // management key of org 1 ("" = generate a valid pk_live_ key)
	SecondOrgAdminKey string        // management key of org 2 ("" = generate)
	StatePath         string        // "" = memory only
	RateLimit         float64       // requests/second per key; 0 = off (no X-RateLimit-* headers)
	FailRate          float64       // 0..1 fraction of requests that fail; 0 = off
	ClockOffset       time.Duration // server clock = real now + offset
	AccessLog         io.Writer     // one line per request "METHOD PATH STATUS DURATION"; nil = discard
	Seed              int64         // fault-injection RNG seed; 0 = random
}

// Server is the reference PlexMCP API. All of its methods are safe for
// concurrent use.
type Server struct {
	adminKey, secondAdminKey string
	statePath                string
	handler                  http.Handler
	clockOffset              atomic.Int64
	limiter                  *rateLimiter
	log                      *accessLog

	// mu guards the organisations, their keys and idempotency records, the
	// digest index and dirty. Every mutation and its write to StatePath
	// happen under it, so the file never lags an acknowledged answer.
	mu       sync.Mutex
	orgs     []*org
	byDigest map[[sha256.Size]byte]*apiKey
	dirty    bool // usage changed since the state file was last written

	faultMu  sync.Mutex
	failRate float64
	rng      *mrand.Rand

	countMu    sync.Mutex
	counts     map[string]int
	userAgents map[string]int

	// Test hooks; nil or zero in production.
	lookups          atomic.Int64           // credential lookups in the store
	beforeCreateHook atomic.Pointer[func()] // runs while a create holds its idempotency record
}

// New returns a Server. If cfg.StatePath names an existing file, the keys
// and MCPs in it are loaded; otherwise the seed organisations are written
// there, so an unwritable path fails now rather than on the first create.
func New(cfg Config) (*Server, error) {
	if !(cfg.RateLimit >= 0) || math.IsInf(cfg.RateLimit, 0) { // NaN fails >= too
		return nil, fmt.Errorf("refserver: rate limit %v is not a finite number of requests per second, 0 or more", cfg.RateLimit)
	}
	if !(cfg.FailRate >= 0 && cfg.FailRate <= 1) {
		return nil, fmt.Errorf("refserver: fail rate %v is outside 0..1", cfg.FailRate)
	}
	s := &Server{
		adminKey:       cfg.AdminKey,
		secondAdminKey: cfg.SecondOrgAdminKey,
		statePath:      cfg.StatePath,
		byDigest:       map[[sha256.Size]byte]*apiKey{},
		counts:         map[string]int{},
		userAgents:     map[string]int{},
		failRate:       cfg.FailRate,
		limiter:        newRateLimiter(cfg.RateLimit, time.Now),
		log:            newAccessLog(cfg.AccessLog),
	}
	s.clockOffset.Store(int64(cfg.ClockOffset))
	seed := uint64(cfg.Seed)
	if seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	s.rng = mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	if s.adminKey == "" {
		s.adminKey = mintKey(modeLive)
	}
	if s.secondAdminKey == "" {
		s.secondAdminKey = mintKey(modeLive)
	}
	for name, key := range map[string]string{"admin key": s.adminKey, "second organisation's admin key": s.secondAdminKey} {
		if !wellFormedKey(key) {
			return nil, fmt.Errorf("refserver: the %s is not a well-formed PlexMCP key (pk_live_ or pk_test_, 32 base62 characters, 6-character checksum); omit it to generate one", name)
		}
	}
	if s.adminKey == s.secondAdminKey {
		return nil, errors.New("refserver: the two organisations need different admin keys")
	}

	if err := s.loadOrSeed(); err != nil {
		return nil, err
	}
	s.orgs[0].adminDigest = keyDigest(s.adminKey)
	s.orgs[1].adminDigest = keyDigest(s.secondAdminKey)
	s.handler = s.routes()
	return s, nil
}

// Handler serves the API under /v1; anything else is a 404 in the envelope.
func (s *Server) Handler() http.Handler { return s.handler }

// AdminKey is the management key of the first organisation.
func (s *Server) AdminKey() string { return s.adminKey }

// SecondOrgAdminKey is the management key of the second organisation, which
// exists so that tests can prove one organisation cannot see the other.
func (s *Server) SecondOrgAdminKey() string { return s.secondAdminKey }

// Now is the server's clock: real time plus the configured offset. Expiry,
// key status and idempotency windows all follow it.
func (s *Server) Now() time.Time { return time.Now().Add(time.Duration(s.clockOffset.Load())) }

// SetClockOffset moves the server's clock, for instance past a key's expiry.
func (s *Server) SetClockOffset(d time.Duration) { s.clockOffset.Store(int64(d)) }

// SetFailRate changes the fraction of requests that fail (0 turns faults off).
// Values outside 0..1 are clamped.
func (s *Server) SetFailRate(f float64) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if math.IsNaN(f) {
		f = 0
	}
	s.failRate = min(max(f, 0), 1)
}

// SetRateLimit changes the per-key rate limit (0 turns it off) and starts
// every bucket full.
func (s *Server) SetRateLimit(rps float64) { s.limiter.setRate(rps) }

// APIKeys returns a snapshot of every access key of both organisations,
// ordered by organisation, then creation time, then id.
func (s *Server) APIKeys() []KeyRecord {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []KeyRecord
	for _, o := range s.orgs {
		for _, k := range o.sortedKeys() {
			out = append(out, k.record(now))
		}
	}
	return out
}

// PurgeAPIKey removes an access key outright, as if PlexMCP itself had
// deleted it: afterwards its id answers 404 and the key 401. The HTTP API
// has no such call (DELETE only revokes); tests use this for a key that
// vanished outside Terraform. Idempotency records are left as they are. It
// reports whether the key existed.
func (s *Server) PurgeAPIKey(id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orgs {
		if k, ok := o.keys[id]; ok {
			delete(o.keys, id)
			delete(s.byDigest, k.digest)
			return true, s.persistLocked()
		}
	}
	return false, nil
}

// RequestCounts returns how many requests each route has received, keyed by
// "METHOD /v1/route-pattern" (for example "GET /v1/api-keys/{id}"), faults
// and rejections included. Requests that match no route count under
// "METHOD /". Benchmarks use it to count round trips.
func (s *Server) RequestCounts() map[string]int {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// UserAgents returns how many requests came with each User-Agent header
// ("" for none; past 32 different ones or 512 bytes, "(other)"). Like
// RequestCounts it is for tests, in process only: the access log never
// writes header values.
func (s *Server) UserAgents() map[string]int {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return maps.Clone(s.userAgents)
}

// Flush writes usage (last_used_at, request_count) to the state file if it
// changed since the last write. Mutations are written before they are
// acknowledged; usage is written every second (see Running), because fsyncing on every read
// would make the server crawl, and on Close.
func (s *Server) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty {
		return nil
	}
	return s.persistLocked()
}

// principal is who a request authenticated as: an organisation's
// management key (key == nil) or one of its access keys.
type principal struct {
	org *org
	key *apiKey
}

func (p principal) management() bool { return p.key == nil }

// call is one request as it flows through a route.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	who  principal
	body []byte
	// dropResponse is the "committed, then the connection dropped" fault:
	// the handler does its work and then aborts instead of answering.
	dropResponse bool
}

// access says who may call a route.
type access int

const (
	public     access = iota // no key needed (404s and 405s)
	anyKey                   // management or access key
	management               // management key only; access keys get 403
)

type route struct {
	pattern  string
	access   access
	jsonBody bool
	handle   func(*call) *apiError
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range []route{
		{"GET /v1/mcps", anyKey, false, s.listMCPs},
		{"GET /v1/mcps/{id}", anyKey, false, s.getMCP},
		{"POST /v1/api-keys", management, true, s.createAPIKey},
		{"GET /v1/api-keys", management, false, s.listAPIKeys},
		{"GET /v1/api-keys/{id}", management, false, s.getAPIKey},
		{"PATCH /v1/api-keys/{id}", management, true, s.patchAPIKey},
		{"DELETE /v1/api-keys/{id}", management, false, s.deleteAPIKey},
		{"POST /v1/mcp/invoke", anyKey, true, s.invoke},
	} {
		mux.Handle(rt.pattern, s.wrap(rt))
	}
	// A pattern without a method loses to one with a method, so these catch
	// exactly the wrong-method requests and answer them in the envelope
	// instead of net/http's plain-text 405.
	allowed := map[string]string{
		"/v1/mcps":          "GET, HEAD",
		"/v1/mcps/{id}":     "GET, HEAD",
		"/v1/api-keys":      "GET, HEAD, POST",
		"/v1/api-keys/{id}": "DELETE, GET, HEAD, PATCH",
		"/v1/mcp/invoke":    "POST",
	}
	for p, allow := range allowed {
		mux.Handle(p, s.wrap(route{pattern: p, handle: func(c *call) *apiError {
			c.w.Header().Set("Allow", allow)
			return errorf(http.StatusMethodNotAllowed, codeInvalidRequest, "Method %s is not allowed here; use %s", sanitize(c.r.Method), allow)
		}}))
	}
	unknown := s.wrap(route{pattern: "/", handle: func(*call) *apiError { return notFound("Route") }})
	mux.Handle("/", unknown)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(mux, unknown, w, r) })
}

// serve is the outermost layer: it counts and logs every request and turns
// a panic into a 500, so no handler bug takes the process down or leaves a
// client without an answer.
func (s *Server) serve(mux *http.ServeMux, unknown http.Handler, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		v := recover()
		s.count(r)
		s.log.request(r, sw.status, time.Since(start))
		if v == nil {
			return
		}
		if v != http.ErrAbortHandler {
			s.log.panicked(r, v)
			if sw.status == 0 {
				writeError(sw, errorf(http.StatusInternalServerError, codeInternal, "Internal server error"))
				return
			}
		}
		// Headers are out (or the abort was deliberate): the only honest
		// thing left is to drop the connection.
		panic(http.ErrAbortHandler)
	}()
	// ServeMux would answer an unclean path with a plain-text redirect;
	// the API has no such paths, so they are simply not found, through the
	// same wrapper as any unknown route (rate-limit headers included).
	if !cleanPath(r.URL.Path) {
		unknown.ServeHTTP(sw, r)
		return
	}
	mux.ServeHTTP(sw, r)
}

func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if p[len(p)-1] == '/' && c != "/" {
		c += "/"
	}
	return c == p
}

// wrap applies, in order, the rate limit, fault injection, authentication,
// the management-only rule and body reading, then runs the route. The order
// is the contract's: a 429 or an injected 503 happens before anything
// else, and neither counts as use of a key.
func (s *Server) wrap(rt route) http.Handler {
	isCreate := rt.pattern == "POST /v1/api-keys"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r}
		if e := s.rateLimit(c); e != nil {
			writeError(w, e)
			return
		}
		switch s.pickFault(isCreate) {
		case faultUnavailable:
			writeError(w, errorf(http.StatusServiceUnavailable, codeUnavailable, "Service temporarily unavailable (injected fault); retry"))
			return
		case faultDropAfterCommit:
			c.dropResponse = true
		}
		// Size first: over 1 MiB is 413 whatever the route, the key or the
		// content.
		body, e := readBody(w, r)
		if e != nil {
			writeError(w, e)
			return
		}
		if rt.access != public {
			who, ok := s.authenticate(r)
			if !ok {
				writeError(w, errUnauthorized)
				return
			}
			c.who = who
			if rt.access == management && !who.management() {
				writeError(w, errorf(http.StatusForbidden, codeForbidden, "This endpoint needs a management key; access keys may only list and invoke MCPs"))
				return
			}
		}
		if rt.jsonBody {
			if e := checkJSONMediaType(r); e != nil {
				writeError(w, e)
				return
			}
			c.body = body
		}
		if e := rt.handle(c); e != nil {
			writeError(w, e)
		}
	})
}

// authenticate resolves the Authorization header to a principal and records
// the use of an access key. Malformed keys and bad checksums are rejected
// before the store is consulted.
func (s *Server) authenticate(r *http.Request) (principal, bool) {
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok || !wellFormedKey(token) {
		return principal{}, false
	}
	d := keyDigest(token)
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups.Add(1)
	for _, o := range s.orgs {
		if subtle.ConstantTimeCompare(o.adminDigest[:], d[:]) == 1 {
			return principal{org: o}, true
		}
	}
	k, ok := s.byDigest[d]
	if !ok || subtle.ConstantTimeCompare(k.digest[:], d[:]) != 1 || k.status(now) != statusActive {
		return principal{}, false
	}
	used := wallTime(now)
	k.lastUsedAt = &used
	k.requestCount++
	s.dirty = true
	return principal{org: s.orgByID(k.orgID), key: k}, true
}

func (s *Server) orgByID(id string) *org {
	for _, o := range s.orgs {
		if o.id == id {
			return o
		}
	}
	return nil
}

// count records a request under its route pattern. ServeMux sets
// r.Pattern in place, so it is known here after routing.
func (s *Server) count(r *http.Request) {
	p := r.Pattern
	if _, rest, ok := cutMethod(p); ok {
		p = rest
	}
	if p == "" {
		p = "/"
	}
	method := r.Method
	if !knownMethods[method] {
		method = "OTHER" // clients choose the method: keep the map small
	}
	key := method + " " + p
	s.countMu.Lock()
	s.counts[key]++
	ua := r.UserAgent()
	if _, seen := s.userAgents[ua]; !seen && (len(s.userAgents) >= maxUserAgents || len(ua) > maxUserAgentLen) {
		ua = otherUserAgents // clients choose the header: keep the map small
	}
	s.userAgents[ua]++
	s.countMu.Unlock()
}

// knownMethods are counted by name; any other method counts as OTHER.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// Limits on what UserAgents keeps; the rest is counted as otherUserAgents.
const (
	maxUserAgents   = 32
	maxUserAgentLen = 512
	otherUserAgents = "(other)"
)

func cutMethod(pattern string) (method, rest string, ok bool) {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case ' ':
			return pattern[:i], pattern[i+1:], true
		case '/':
			return "", pattern, false
		}
	}
	return "", pattern, false
}

// statusWriter remembers the status for the access log and for the panic
// handler, which may only write a 500 if nothing was written yet.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// remoteHost is the client's address without the port, for the rate-limit
// bucket shared by requests that present no usable key.
func remoteHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}
