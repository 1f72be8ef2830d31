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
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The APIs a Server can speak (Config.API).
const (
	// APIHosted is PlexMCP's hosted API (PlexMCP Cloud), under /v1.
	APIHosted = "hosted"
	// APIServer is a self-hosted PlexMCP server's API, under /api/v1.
	APIServer = "server"
)

// Config configures a Server. The zero value is a working in-memory server
// of the hosted API with freshly generated bootstrap keys and no rate limit
// or faults.
type Config struct {
	// API is APIHosted ("" means the same) or APIServer.
	API string
	// AdminKey and SecondOrgAdminKey are the bootstrap keys of the two
	// organisations: well-formed pmcp_01 keys, or "" to generate one.
	AdminKey          string
	SecondOrgAdminKey string
	StatePath         string  // "" = memory only
	RateLimit         float64 // requests/second per key (the management API, and POST /mcp on the hosted API); 0 = off
	// RateLimitHeaders sends X-RateLimit-* on the hosted API's answers to
	// a key while RateLimit is on. A PlexMCP server sends none.
	RateLimitHeaders bool
	FailRate         float64       // 0..1 fraction of requests that fail; 0 = off
	ClockOffset      time.Duration // server clock = real now + offset
	// IgnoreIdempotencyKey makes the hosted API ignore Idempotency-Key,
	// as the real one may. A PlexMCP server always ignores it.
	IgnoreIdempotencyKey bool
	// KeyQuota caps the keys an organisation may hold; 0 = unlimited. The
	// hosted API counts active keys, a PlexMCP server every key.
	KeyQuota int
	// KeyPropagation makes a new key (created or rotated) answer 401 for
	// this long, as a key still propagating would. Bootstrap keys never do.
	KeyPropagation time.Duration
	AccessLog      io.Writer // one line per request "METHOD PATH STATUS DURATION"; nil = discard
	Seed           int64     // fault-injection RNG seed; 0 = random
}

// Server is a reference PlexMCP API: the hosted API or a PlexMCP server's,
// chosen by Config.API. All of its methods are safe for concurrent use.
type Server struct {
	api                      string
	adminKey, secondAdminKey string
	statePath                string
	rateLimitHeaders         bool
	ignoreIdempotencyKey     bool
	keyQuota                 int
	keyPropagation           time.Duration
	// hmacSecret signs the keys this process makes. It is never stored:
	// keys are authenticated by format and digest.
	hmacSecret []byte

	handler     http.Handler
	clockOffset atomic.Int64
	limiter     *rateLimiter
	log         *accessLog

	// mu guards the organisations, their keys, MCP statistics and
	// idempotency records, the digest index and dirty. Every mutation and
	// its write to StatePath happen under it, so the file never lags an
	// acknowledged answer.
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
	// ownerToken, when set, is a bearer token that a PlexMCP server's
	// management API takes for the first organisation's owner (a JWT
	// caller, who sees the whole key list). Only tests set it; the
	// command line cannot.
	ownerToken string
}

// defaultRateLimitRPM is a PlexMCP server's rate_limit_rpm when a create
// names none; bootstrap keys have it too.
const defaultRateLimitRPM = 60

// New returns a Server. If cfg.StatePath names an existing file, the keys
// in it are loaded; otherwise the seed organisations are written there, so
// an unwritable path fails now rather than on the first create.
func New(cfg Config) (*Server, error) {
	api := cfg.API
	if api == "" {
		api = APIHosted
	}
	switch {
	case api != APIHosted && api != APIServer:
		return nil, fmt.Errorf("refserver: API %q is neither %q nor %q", cfg.API, APIHosted, APIServer)
	case !(cfg.RateLimit >= 0) || math.IsInf(cfg.RateLimit, 0): // NaN fails >= too
		return nil, fmt.Errorf("refserver: rate limit %v is not a finite number of requests per second, 0 or more", cfg.RateLimit)
	case !(cfg.FailRate >= 0 && cfg.FailRate <= 1):
		return nil, fmt.Errorf("refserver: fail rate %v is outside 0..1", cfg.FailRate)
	case cfg.KeyQuota < 0:
		return nil, fmt.Errorf("refserver: key quota %d is negative", cfg.KeyQuota)
	case cfg.KeyPropagation < 0:
		return nil, fmt.Errorf("refserver: key propagation %v is negative", cfg.KeyPropagation)
	}
	s := &Server{
		api:                  api,
		adminKey:             cfg.AdminKey,
		secondAdminKey:       cfg.SecondOrgAdminKey,
		statePath:            cfg.StatePath,
		rateLimitHeaders:     cfg.RateLimitHeaders,
		ignoreIdempotencyKey: cfg.IgnoreIdempotencyKey,
		keyQuota:             cfg.KeyQuota,
		keyPropagation:       cfg.KeyPropagation,
		hmacSecret:           newHMACSecret(),
		byDigest:             map[[sha256.Size]byte]*apiKey{},
		counts:               map[string]int{},
		userAgents:           map[string]int{},
		failRate:             cfg.FailRate,
		limiter:              newRateLimiter(cfg.RateLimit, time.Now),
		log:                  newAccessLog(cfg.AccessLog),
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
		s.adminKey = mintKey(s.hmacSecret)
	}
	if s.secondAdminKey == "" {
		s.secondAdminKey = mintKey(s.hmacSecret)
	}
	for name, key := range map[string]string{"admin key": s.adminKey, "second organisation's admin key": s.secondAdminKey} {
		if !wellFormedKey(key) {
			return nil, fmt.Errorf("refserver: the %s is not a well-formed PlexMCP key (pmcp_01 and 80 lowercase hex characters); omit it to generate one", name)
		}
	}
	if s.adminKey == s.secondAdminKey {
		return nil, errors.New("refserver: the two organisations need different admin keys")
	}
	if err := s.loadOrSeed(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	err := s.ensureBootstrapLocked()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if s.api == APIServer {
		s.handler = newServerAPI(s)
	} else {
		s.handler = newHostedAPI(s)
	}
	return s, nil
}

// ensureBootstrapLocked makes each organisation's bootstrap key a key
// object. A key already stored (by an earlier start with -state) is kept
// as it is; it must still be usable.
func (s *Server) ensureBootstrapLocked() error {
	added := false
	for i, key := range []string{s.adminKey, s.secondAdminKey} {
		o := s.orgs[i]
		if k, ok := s.byDigest[keyDigest(key)]; ok {
			switch {
			case k.orgID != o.def.id:
				return fmt.Errorf("refserver: the state file holds the %s organisation's bootstrap key in the other organisation", ordinal(i))
			case k.status(s.Now()) != statusActive:
				return fmt.Errorf("refserver: the state file holds the %s organisation's bootstrap key as %s; give another key or remove the state file", ordinal(i), k.status(s.Now()))
			}
			continue
		}
		now := s.stamp(s.Now())
		k := &apiKey{
			id: s.newKeyID(), orgID: o.def.id, name: "bootstrap", digest: keyDigest(key), prefix: s.prefixOf(key),
			bootstrap: true, createdAt: now, updatedAt: now, issuedAt: now, daily: dailyCounts{},
		}
		if s.api == APIServer {
			k.accessMode, k.scopes, k.rateLimitRPM, k.createdBy = accessAll, []string{}, defaultRateLimitRPM, o.def.serverOwner
		} else {
			k.allMCPs = true
		}
		s.addKeyLocked(o, k)
		added = true
	}
	if added {
		return s.persistLocked()
	}
	return nil
}

func ordinal(i int) string { return [...]string{"first", "second"}[i] }

// addKeyLocked puts a new key in the store (not yet on disk).
func (s *Server) addKeyLocked(o *org, k *apiKey) {
	o.keys[k.id] = k
	s.byDigest[k.digest] = k
}

// removeKeyLocked takes a key out of the store (not yet off disk).
func (s *Server) removeKeyLocked(o *org, k *apiKey) {
	delete(o.keys, k.id)
	delete(s.byDigest, k.digest)
}

// newKeyID returns an id for a key object in the API's format.
func (s *Server) newKeyID() string {
	if s.api == APIServer {
		return newUUID()
	}
	return "key_" + randomBase62(idRandomLen)
}

// prefixOf is the key's public prefix as the API shows it.
func (s *Server) prefixOf(key string) string {
	if s.api == APIServer {
		return key[:17] + "..."
	}
	return key[:12]
}

// stamp cuts a time to the precision the API stores.
func (s *Server) stamp(t time.Time) time.Time {
	if s.api == APIServer {
		return storedTime(t)
	}
	return wholeSeconds(t)
}

// Handler serves the API: under /v1 and at /mcp for the hosted API, under
// /api/v1 and at /mcp and /health for a PlexMCP server.
func (s *Server) Handler() http.Handler { return s.handler }

// API is the API the server speaks: APIHosted or APIServer.
func (s *Server) API() string { return s.api }

// AdminKey is the bootstrap key of the first organisation.
func (s *Server) AdminKey() string { return s.adminKey }

// SecondOrgAdminKey is the bootstrap key of the second organisation, which
// exists so that tests can prove one organisation cannot see the other.
func (s *Server) SecondOrgAdminKey() string { return s.secondAdminKey }

// Now is the server's clock: real time plus the configured offset. Expiry,
// key status, usage periods, idempotency windows, rate-limit windows and
// the HTTP Date header all follow it.
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

// SetRateLimit changes the per-key rate limit of the management API (0
// turns it off) and starts every bucket full.
func (s *Server) SetRateLimit(rps float64) { s.limiter.setRate(rps) }

// APIKeys returns a snapshot of every key object of both organisations,
// bootstrap keys included, ordered by organisation, then creation time,
// then id.
func (s *Server) APIKeys() []KeyRecord {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []KeyRecord
	for _, o := range s.orgs {
		for _, k := range o.keysByCreation() {
			out = append(out, k.record(now))
		}
	}
	return out
}

// MCPs returns the seeded MCPs of both organisations as the API names
// them, ordered by organisation, then creation time.
func (s *Server) MCPs() []MCPRecord {
	var out []MCPRecord
	for _, o := range s.orgs { // MCPs never change after seeding
		for _, m := range o.mcps {
			r := MCPRecord{ID: m.id, OrgID: o.def.id, Name: m.def.name}
			for _, t := range m.def.tools {
				r.Tools = append(r.Tools, t.name)
			}
			out = append(out, r)
		}
	}
	return out
}

// PurgeAPIKey removes a key object outright, as if PlexMCP itself had
// deleted it: afterwards its id answers 404 and the key 401. The hosted
// API has no such call (DELETE only revokes); tests use this for a key
// that vanished outside Terraform. Idempotency records are left as they
// are. It reports whether the key existed.
func (s *Server) PurgeAPIKey(id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orgs {
		if k, ok := o.keys[id]; ok {
			s.removeKeyLocked(o, k)
			return true, s.persistLocked()
		}
	}
	return false, nil
}

// RequestCounts returns how many requests each route has received, keyed
// by "METHOD route-pattern" (for example "GET /v1/api-keys/{id}" or
// "GET /api/v1/api-keys/{id}"), faults and rejections included. Requests
// that match no route count under "METHOD /". Benchmarks use it to count
// round trips.
func (s *Server) RequestCounts() map[string]int {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return maps.Clone(s.counts)
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

// Flush writes usage (last use, request counts, recent activity, MCP
// statistics) to the state file if it changed since the last write.
// Mutations are written before they are acknowledged; usage is written
// every second (see Running), because fsyncing on every read would make
// the server crawl, and on Close.
func (s *Server) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty {
		return nil
	}
	return s.persistLocked()
}

// lookupKeyLocked finds the key with key's digest, if key is well formed.
// The caller has checked the format: a malformed key never reaches the
// store.
func (s *Server) lookupKeyLocked(key string) *apiKey {
	s.lookups.Add(1)
	d := keyDigest(key)
	k, ok := s.byDigest[d]
	if !ok || subtle.ConstantTimeCompare(k.digest[:], d[:]) != 1 {
		return nil
	}
	return k
}

func (s *Server) orgByID(id string) *org {
	for _, o := range s.orgs {
		if o.def.id == id {
			return o
		}
	}
	return nil
}

// recordUseLocked counts one authenticated request of k at now.
func (s *Server) recordUseLocked(k *apiKey, now time.Time) {
	used := s.stamp(now)
	k.lastUsed = &used
	k.requestCount++
	if k.daily == nil {
		k.daily = dailyCounts{}
	}
	k.daily.add(now)
	s.dirty = true
}

// activeKeysLocked counts the organisation's keys that are active at now.
func activeKeysLocked(o *org, now time.Time) int {
	n := 0
	for _, k := range o.keys {
		if k.status(now) == statusActive {
			n++
		}
	}
	return n
}
