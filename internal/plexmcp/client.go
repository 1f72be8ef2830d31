package plexmcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxRetries     = 8
	DefaultRequestTimeout = 30 * time.Second
	DefaultRetryWaitMin   = 500 * time.Millisecond
	DefaultRetryWaitMax   = 30 * time.Second
	DefaultUserAgent      = "terraform-provider-plexmcp"
)

// Config configures a Client. Every zero value means "the default".
type Config struct {
	BaseURL string // "" means DefaultBaseURL (see ResolveEndpoint)
	API     API    // "" means it follows from BaseURL (see ResolveEndpoint)
	// DefaultBaseURL stands in for PlexMCP's public URL (DefaultBaseURL)
	// when BaseURL and API are both left open, so that tests can try the
	// detection of the API against a reference server; "" means the real
	// one.
	DefaultBaseURL string
	APIKey         Secret
	// UserAgent is sent as User-Agent; "" means DefaultUserAgent.
	UserAgent string
	// MaxRetries is how many times a failed request may be resent: nil
	// means DefaultMaxRetries, new(0) no retries.
	MaxRetries *int
	// RequestTimeout bounds each attempt; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// RetryWaitMin is the first back-off and RetryWaitMax the cap on any
	// wait, a server's Retry-After included; 0 means the defaults.
	RetryWaitMin, RetryWaitMax time.Duration
	Logger                     Logger       // nil is silent
	HTTPClient                 *http.Client // nil means a pooled go-cleanhttp client
	// Now is the wall clock: what a key's expiry is compared with, and the
	// time of a create's attempts. nil means time.Now; tests move it.
	// Pacing and timeouts use the real monotonic clock regardless.
	Now func() time.Time
}

// String keeps a Config printable without its key.
func (c Config) String() string {
	retries := "default"
	if c.MaxRetries != nil {
		retries = fmt.Sprint(*c.MaxRetries)
	}
	return fmt.Sprintf("plexmcp.Config{BaseURL:%q, API:%q, APIKey:%s, UserAgent:%q, MaxRetries:%s, RequestTimeout:%s, RetryWaitMin:%s, RetryWaitMax:%s}",
		scrubber{}.string(c.BaseURL), c.API, c.APIKey, c.UserAgent, retries, c.RequestTimeout, c.RetryWaitMin, c.RetryWaitMax)
}

// GoString keeps %#v of a Config free of its key.
func (c Config) GoString() string { return c.String() }

// Client is a PlexMCP API client, for either API. It is safe for
// concurrent use; Terraform runs many operations on one client at once.
type Client struct {
	key        Secret
	userAgent  string
	maxRetries int
	timeout    time.Duration
	waitMin    time.Duration
	waitMax    time.Duration
	log        logSink
	now        func() time.Time

	// base is the caller's (or the default) client without a cookie jar;
	// httpClient is a copy whose transport paces and logs every attempt.
	base       *http.Client
	httpClient *http.Client
	// Each credential has its own pacers, since servers limit each key
	// separately; a PlexMCP server limits its proxy apart from its
	// management API, so the MCP endpoint gets a pacer of its own there.
	pacer      *pacer
	proxyPacer *pacer

	shared *shared

	// pageSize is the per_page of list calls; tests lower it to exercise
	// paging without creating hundreds of objects.
	pageSize int
}

// shared is what a Client and its WithAPIKey copies have in common: they
// talk to one server, so they detect its API once, serialise creates by
// name, and know the same keys as their own.
type shared struct {
	mu       sync.Mutex
	endpoint Endpoint // Detect is cleared once detection has decided
	// detecting holds a token while one caller detects the API.
	detecting chan struct{}
	names     nameLocks
	own       ownKeys
	skew      skewClock
}

// New checks cfg and builds a Client. Every error is a *ConfigError.
func New(cfg Config) (*Client, error) {
	ep, err := ResolveEndpoint(cfg.BaseURL, cfg.API)
	if err != nil {
		return nil, err
	}
	if ep.Detect && cfg.DefaultBaseURL != "" {
		def, err := ResolveEndpoint(cfg.DefaultBaseURL, APIHosted)
		if err != nil {
			return nil, err
		}
		ep.BaseURL = def.BaseURL
	}
	if !cfg.APIKey.IsZero() {
		api := ep.API
		if ep.Detect {
			api = ""
		}
		if err := CheckAPIKey(cfg.APIKey.Reveal(), api); err != nil {
			return nil, err
		}
	}
	c := &Client{
		key:        cfg.APIKey,
		userAgent:  cfg.UserAgent,
		maxRetries: DefaultMaxRetries,
		timeout:    cfg.RequestTimeout,
		waitMin:    cfg.RetryWaitMin,
		waitMax:    cfg.RetryWaitMax,
		now:        cfg.Now,
		base:       cfg.HTTPClient,
		shared:     &shared{endpoint: ep, detecting: make(chan struct{}, 1)},
		pageSize:   defaultPageSize,
	}
	switch {
	case cfg.MaxRetries == nil:
	case *cfg.MaxRetries < 0:
		return nil, &ConfigError{Setting: "max_retries", Problem: "must not be negative"}
	default:
		c.maxRetries = *cfg.MaxRetries
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"request_timeout", c.timeout}, {"retry_wait_min", c.waitMin}, {"retry_wait_max", c.waitMax}} {
		if d.v < 0 {
			return nil, &ConfigError{Setting: d.name, Problem: "must not be negative"}
		}
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.timeout == 0 {
		c.timeout = DefaultRequestTimeout
	}
	if c.waitMin == 0 {
		c.waitMin = DefaultRetryWaitMin
	}
	if c.waitMax == 0 {
		c.waitMax = DefaultRetryWaitMax
	}
	if c.waitMin > c.waitMax {
		// A caller who only lowers the cap means "never wait longer".
		c.waitMin = c.waitMax
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.base == nil {
		c.base = cleanhttp.DefaultPooledClient()
		// Terraform runs ten operations at once against one host; with
		// go-cleanhttp's default (GOMAXPROCS+1 idle connections) most of
		// them would open, and handshake, a new connection per request.
		if t, ok := c.base.Transport.(*http.Transport); ok {
			t.MaxIdleConnsPerHost = maxIdleConnsPerHost
		}
	} else {
		// A cookie would ride along with the key, and a PlexMCP server
		// takes a session cookie over an API key: never keep one.
		b := *c.base
		b.Jar = nil
		c.base = &b
	}
	c.log = logSink{logger: cfg.Logger, scrub: scrubber{key: cfg.APIKey}}
	c.attachTransport()
	return c, nil
}

// maxIdleConnsPerHost covers Terraform's default parallelism with room to
// spare.
const maxIdleConnsPerHost = 16

// defaultPageSize is the largest page both APIs serve: fewer round trips,
// and fewer chances for a list to shift under a paging client.
const defaultPageSize = 100

func (c *Client) attachTransport() {
	c.pacer = newPacer(c.waitMin, c.waitMax)
	c.proxyPacer = newPacer(c.waitMin, c.waitMax)
	rt := c.base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc := *c.base
	hc.Transport = &transport{base: rt, timeout: c.timeout, log: c.log, skew: &c.shared.skew, now: c.now}
	hc.CheckRedirect = refuseRedirects
	c.httpClient = &hc
}

// refuseRedirects hands a 3xx back to the caller as the answer. Neither
// API redirects, and following one would re-send the request, credential
// included, wherever the Location says: net/http keeps Authorization for
// any port of the same host and X-API-Key (the proxy's credential) for any
// host at all, turns a POST into a GET on 301 and 302, and would resend a
// create elsewhere on 307 and 308. A redirect comes back as an *APIError
// with its status, like any other answer that is not a success.
func refuseRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// WithAPIKey returns a client with the same settings, connection pool and
// API detection that authenticates with key instead. It gets its own
// pacers, because servers rate-limit each key separately.
func (c *Client) WithAPIKey(key Secret) *Client {
	n := *c
	n.key = key
	n.log.scrub = scrubber{key: key}
	n.attachTransport()
	return &n
}

// String keeps a Client printable without its key. It has a value receiver
// so that printing a dereferenced Client is covered too.
func (c Client) String() string {
	ep := c.endpointSnapshot()
	return fmt.Sprintf("plexmcp.Client{BaseURL:%q, API:%q, APIKey:%s}", ep.BaseURL, ep.API, c.key)
}

// GoString keeps %#v of a Client free of its key.
func (c Client) GoString() string { return c.String() }

// API returns the API the client speaks, detecting it first if the
// configuration left it open. It never fails: detection that cannot
// decide settles on the documented hosted API.
func (c *Client) API(ctx context.Context) API { return c.endpoint(ctx).API }

// Capabilities returns what the client's API can do (detecting it first
// if need be).
func (c *Client) Capabilities(ctx context.Context) Capabilities {
	return capabilitiesOf(c.API(ctx))
}

// BaseURL returns the management API's root, without a trailing slash
// (detecting the API first if need be).
func (c *Client) BaseURL(ctx context.Context) string { return c.endpoint(ctx).BaseURL }

// ops returns the operations of the client's API.
func (c *Client) ops(ctx context.Context) (operations, error) {
	if ctx == nil {
		return nil, errors.New("plexmcp: nil context")
	}
	ep := c.endpoint(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ep.API == APIServer {
		return &serverAPI{c: c, ep: ep}, nil
	}
	return &hostedAPI{c: c, ep: ep}, nil
}

// CreateAPIKey creates a key and returns it with its secret. A create is
// never applied twice and never leaves a key nobody knows about: see the
// package documentation, and *CreateUncertainError for the one case where
// the client cannot tell.
func (c *Client) CreateAPIKey(ctx context.Context, r CreateAPIKeyRequest) (*CreatedAPIKey, error) {
	o, err := c.ops(ctx)
	if err != nil {
		return nil, err
	}
	return o.createAPIKey(ctx, r)
}

// GetAPIKey returns a key's metadata. A 404 (IsNotFound) means the key is
// gone; it is returned only once the API itself is known to answer there.
func (c *Client) GetAPIKey(ctx context.Context, id string) (*APIKey, error) {
	o, err := c.ops(ctx)
	if err != nil {
		return nil, err
	}
	return o.getAPIKey(ctx, id)
}

// ListAPIKeys returns every key matching opts, following all pages. Where
// the API lists no keys to the client (!Capabilities.ListsKeys) it is an
// *UnsupportedError.
func (c *Client) ListAPIKeys(ctx context.Context, opts ListAPIKeysOptions) ([]APIKey, error) {
	o, err := c.ops(ctx)
	if err != nil {
		return nil, err
	}
	return o.listAPIKeys(ctx, opts)
}

// UpdateAPIKey changes the non-nil fields of r and returns the key as the
// server then holds it. A failure after the server may have applied part
// of the change is a *PartialUpdateError carrying what it holds instead.
func (c *Client) UpdateAPIKey(ctx context.Context, id string, r UpdateAPIKeyRequest) (*APIKey, error) {
	o, err := c.ops(ctx)
	if err != nil {
		return nil, err
	}
	return o.updateAPIKey(ctx, id, r)
}

// RevokeAPIKey revokes (hosted) or deletes (server) a key at once. A 404
// (IsNotFound) means it was already gone.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) error {
	o, err := c.ops(ctx)
	if err != nil {
		return err
	}
	return o.revokeAPIKey(ctx, id)
}

// SettleCreate finds the keys a failed create may have made (p comes from
// a *CreateUncertainError or CreatedAPIKey.Pending), revokes them, and
// returns their ids. It never revokes p.Keep, the key a create that
// succeeded in the end returned. Where the API lists no keys it is an
// *UnsupportedError.
func (c *Client) SettleCreate(ctx context.Context, p PendingCreate) ([]string, error) {
	o, err := c.ops(ctx)
	if err != nil {
		return nil, err
	}
	return o.settleCreate(ctx, p)
}

// ListMCPs returns every MCP matching opts, following all pages.
func (c *Client) ListMCPs(ctx context.Context, opts ListMCPsOptions) ([]MCP, error) {
	o, err := c.ops(ctx)
	if err != nil {
		return nil, err
	}
	return o.listMCPs(ctx, opts)
}

// GetMCP returns one MCP with its tools.
func (c *Client) GetMCP(ctx context.Context, id string) (*MCP, error) {
	o, err := c.ops(ctx)
	if err != nil {
		return nil, err
	}
	return o.getMCP(ctx, id)
}

// Invoke calls one tool with the client's own key. It is never resent once
// the server may have received it: a tool call can have side effects.
func (c *Client) Invoke(ctx context.Context, r InvokeRequest) (*InvokeResult, error) {
	o, err := c.ops(ctx)
	if err != nil {
		return nil, err
	}
	return o.invoke(ctx, r)
}

// ReachableMCPs reports, per MCP id, whether the client's own key may
// invoke that MCP, without running any tool. A key the server refuses
// (IsUnauthorized, perhaps because it is too new to work yet) is an error,
// never retried: the caller decides how long to wait.
//
// On a PlexMCP server the answer comes from one tools/list, where an MCP
// without tools is invisible: such an MCP is reported unreachable.
func (c *Client) ReachableMCPs(ctx context.Context, mcps []MCP) (map[string]bool, error) {
	o, err := c.ops(ctx)
	if err != nil {
		return nil, err
	}
	return o.reachableMCPs(ctx, mcps)
}
