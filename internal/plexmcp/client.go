package plexmcp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// DefaultBaseURL is PlexMCP's public API.
const DefaultBaseURL = "https://api.plexmcp.com/v1"

// Defaults applied by New for zero Config fields.
const (
	DefaultMaxRetries     = 8
	DefaultRequestTimeout = 30 * time.Second
	DefaultRetryWaitMin   = 500 * time.Millisecond
	DefaultRetryWaitMax   = 30 * time.Second
	DefaultUserAgent      = "terraform-provider-plexmcp"
)

// defaultPageSize is the API's largest page: fewer round trips, and fewer
// chances for a list to shift under a paging client.
const defaultPageSize = 100

// maxErrorBody and maxBody bound how much of a response is read: enough for
// any real answer, not enough for a broken proxy to exhaust memory.
const (
	maxErrorBody = 64 << 10
	maxBody      = 32 << 20
)

// Config configures a Client. The zero value talks to DefaultBaseURL
// without retries; set MaxRetries to -1 for the default retry budget.
type Config struct {
	BaseURL        string        // "" means DefaultBaseURL; a trailing slash is tolerated.
	APIKey         Secret        // sent as "Authorization: Bearer …"
	UserAgent      string        // sent as User-Agent; "" means DefaultUserAgent
	MaxRetries     int           // retries after the first attempt; < 0 means DefaultMaxRetries
	RequestTimeout time.Duration // per attempt; 0 means DefaultRequestTimeout
	RetryWaitMin   time.Duration // first back-off; 0 means DefaultRetryWaitMin
	RetryWaitMax   time.Duration // cap on every wait, Retry-After included; 0 means DefaultRetryWaitMax
	Logger         Logger        // nil is silent
	HTTPClient     *http.Client  // nil means a pooled go-cleanhttp client
}

// String keeps a Config printable without its key.
func (c Config) String() string {
	return fmt.Sprintf("plexmcp.Config{BaseURL:%q, APIKey:%s, UserAgent:%q, MaxRetries:%d, RequestTimeout:%s, RetryWaitMin:%s, RetryWaitMax:%s}",
		c.BaseURL, c.APIKey.String(), c.UserAgent, c.MaxRetries, c.RequestTimeout, c.RetryWaitMin, c.RetryWaitMax)
}

// GoString keeps %#v of a Config free of its key.
func (c Config) GoString() string { return c.String() }

// Client is a PlexMCP API client. It is safe for concurrent use; Terraform
// runs many operations on one client at once.
type Client struct {
	baseURL    string
	apiKey     Secret
	userAgent  string
	maxRetries int
	timeout    time.Duration
	waitMin    time.Duration
	waitMax    time.Duration
	log        logSink

	// base is the caller's (or the default) client; httpClient is a copy
	// whose transport adds this credential's pacer, so clients made by
	// WithAPIKey share connections but not rate-limit budgets.
	base       *http.Client
	httpClient *http.Client
	pacer      *pacer

	// pageSize is the per_page of list calls; tests lower it to exercise
	// paging without creating hundreds of objects.
	pageSize int
	now      func() time.Time
}

// New checks cfg and builds a Client.
func New(cfg Config) (*Client, error) {
	base, err := normalizeBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkKeyChars(cfg.APIKey); err != nil {
		return nil, err
	}
	if cfg.RequestTimeout < 0 || cfg.RetryWaitMin < 0 || cfg.RetryWaitMax < 0 {
		return nil, errors.New("plexmcp: RequestTimeout, RetryWaitMin and RetryWaitMax must not be negative")
	}
	c := &Client{
		baseURL:    base,
		apiKey:     cfg.APIKey,
		userAgent:  cfg.UserAgent,
		maxRetries: cfg.MaxRetries,
		timeout:    cfg.RequestTimeout,
		waitMin:    cfg.RetryWaitMin,
		waitMax:    cfg.RetryWaitMax,
		base:       cfg.HTTPClient,
		pageSize:   defaultPageSize,
		now:        time.Now,
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.maxRetries < 0 {
		c.maxRetries = DefaultMaxRetries
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
	if c.base == nil {
		c.base = cleanhttp.DefaultPooledClient()
		// Terraform runs ten operations at once against one host; with
		// go-cleanhttp's default (GOMAXPROCS+1 idle connections) most of
		// them would open, and against the real API handshake, a new
		// connection per request.
		if t, ok := c.base.Transport.(*http.Transport); ok {
			t.MaxIdleConnsPerHost = maxIdleConnsPerHost
		}
	}
	c.log = logSink{logger: cfg.Logger, scrub: scrubber{key: cfg.APIKey}}
	c.attachPacer()
	return c, nil
}

// maxIdleConnsPerHost covers Terraform's default parallelism with room to
// spare.
const maxIdleConnsPerHost = 16

func (c *Client) attachPacer() {
	c.pacer = newPacer()
	rt := c.base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc := *c.base
	hc.Transport = &transport{base: rt, pacer: c.pacer, timeout: c.timeout, log: c.log}
	c.httpClient = &hc
}

// WithAPIKey returns a client with the same settings and connection pool
// that authenticates with key instead. It gets its own pacer, because the
// server rate-limits each key separately.
func (c *Client) WithAPIKey(key Secret) *Client {
	n := *c
	n.apiKey = key
	n.log.scrub = scrubber{key: key}
	n.attachPacer()
	return &n
}

// String keeps a Client printable without its key. It has a value receiver
// so that printing a dereferenced Client is covered too.
func (c Client) String() string {
	return fmt.Sprintf("plexmcp.Client{BaseURL:%q, APIKey:%s}", c.baseURL, c.apiKey.String())
}

// GoString keeps %#v of a Client free of its key.
func (c Client) GoString() string { return c.String() }

// BaseURL is the API root the client talks to, without a trailing slash.
func (c *Client) BaseURL() string { return c.baseURL }

func normalizeBaseURL(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		raw = DefaultBaseURL
	}
	// The messages never repeat the URL: a query or user info may hold a
	// key, and these errors end up in Terraform's output.
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil:
		return "", errors.New("plexmcp: the base URL is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("plexmcp: the base URL must start with https:// (or http:// for a local reference server)")
	case u.Host == "":
		return "", errors.New("plexmcp: the base URL has no host")
	case u.User != nil:
		return "", errors.New("plexmcp: the base URL must not carry credentials; set the API key instead")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", errors.New("plexmcp: the base URL must not carry a query or fragment")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// CheckBaseURL reports what is wrong with a base URL, or nil, in the words
// New would use. Its messages do not repeat the URL.
func CheckBaseURL(raw string) error {
	_, err := normalizeBaseURL(raw)
	return err
}

// checkKeyChars rejects keys that cannot be sent in a header. A stray
// newline from `$(cat keyfile)` would otherwise surface as an opaque
// transport error.
func checkKeyChars(key Secret) error {
	for _, r := range key.Reveal() {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return errors.New("plexmcp: the API key contains whitespace or control characters")
		}
	}
	return nil
}

// ValidateAPIKeyFormat does the only offline check a client should make on
// a key: the pk_live_ / pk_test_ prefix and no whitespace. The checksum is
// the server's business. The error never contains the key.
func ValidateAPIKeyFormat(key Secret) error {
	if err := checkKeyChars(key); err != nil {
		return err
	}
	k := key.Reveal()
	if !strings.HasPrefix(k, "pk_live_") && !strings.HasPrefix(k, "pk_test_") {
		return errors.New("plexmcp: an API key starts with pk_live_ or pk_test_")
	}
	if len(k) == len("pk_live_") {
		return errors.New("plexmcp: the API key is only a prefix")
	}
	return nil
}

// pathSegment escapes an id for use as one path segment. Ids are opaque, but
// an empty or dot id would address a different resource, so it is refused.
func pathSegment(what, id string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", fmt.Errorf("plexmcp: invalid %s id %q", what, scrubber{}.string(id))
	}
	return url.PathEscape(id), nil
}

// request is one logical API call.
type request struct {
	method string
	path   string // relative to the base URL, already escaped
	query  url.Values
	body   []byte
	// idempotencyKey, when set, is sent on every attempt, and a 409
	// conflict is retried.
	idempotencyKey string
	// unsafe marks a call that must not be resent once delivered.
	unsafe bool
}

// response is what a call returned, decoded.
type response struct {
	status     int
	header     http.Header
	pagination *wirePagination
}

// do performs r with retries and decodes its envelope into out (nil: ignore
// the body). Non-2xx answers come back as *APIError, transport failures as
// wrapped errors that name the method and path but never the key.
func (c *Client) do(ctx context.Context, r request, out any) (*response, error) {
	if ctx == nil {
		return nil, errors.New("plexmcp: nil context")
	}
	if err := checkKeyChars(c.apiKey); err != nil {
		return nil, err
	}
	u := c.baseURL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	st := &callState{
		method:     r.method,
		idempotent: r.idempotencyKey != "",
		unsafe:     r.unsafe,
		log:        c.log,
		now:        c.now,
	}
	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				st.wrote.Store(true)
			}
		},
	}
	ctx = context.WithValue(httptrace.WithClientTrace(ctx, trace), callKey{}, st)
	st.ctx = ctx

	var body any
	if r.body != nil {
		// A byte slice is replayed byte for byte on every attempt, which is
		// what the idempotency record on the server compares.
		body = r.body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, c.scrubErr(fmt.Errorf("plexmcp: %s %s: %w", r.method, r.path, err))
	}
	st.path = pathOnly(req.URL)
	if !c.apiKey.IsZero() {
		req.Header.Set("Authorization", "Bearer "+c.apiKey.Reveal())
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", r.idempotencyKey)
	}

	rc := &retryablehttp.Client{
		HTTPClient:   c.httpClient,
		Logger:       retryableLogger{ctx: ctx, sink: c.log},
		RetryWaitMin: c.waitMin,
		RetryWaitMax: c.waitMax,
		RetryMax:     c.maxRetries,
		CheckRetry:   st.checkRetry,
		Backoff:      st.backoff,
		ErrorHandler: st.errorHandler,
	}
	resp, err := rc.Do(req)
	attempts := int(st.attempts.Load())
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = ctxErr
		}
		return nil, c.scrubErr(fmt.Errorf("plexmcp: %s %s: giving up after %d attempt(s): %w", r.method, st.path, attempts, err))
	}
	defer resp.Body.Close()

	limit := int64(maxBody)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		limit = maxErrorBody
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, c.scrubErr(fmt.Errorf("plexmcp: %s %s: reading the response: %w", r.method, st.path, err))
	}
	pag, err := decodeBody(resp.StatusCode, raw, out)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			apiErr.Attempts = attempts
			apiErr.Message = c.log.scrub.string(apiErr.Message)
			// Details echo input (an unknown MCP id, say), which may be
			// a key pasted into the wrong attribute.
			for k, v := range apiErr.Details {
				apiErr.Details[k] = c.log.scrub.value(v)
			}
			return nil, apiErr
		}
		return nil, c.scrubErr(fmt.Errorf("plexmcp: %s %s: %w", r.method, st.path, err))
	}
	return &response{status: resp.StatusCode, header: resp.Header, pagination: pag}, nil
}

// scrubErr keeps a key out of an error that may quote a URL or a header.
func (c *Client) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := c.log.scrub.string(msg); clean != msg {
		return scrubbedError{msg: clean, err: err}
	}
	return err
}

// scrubbedError shows a cleaned message but still unwraps to the original,
// so errors.Is(err, context.Canceled) and friends keep working.
type scrubbedError struct {
	msg string
	err error
}

func (e scrubbedError) Error() string { return e.msg }
func (e scrubbedError) Unwrap() error { return e.err }

// newIdempotencyKey returns 128 random bits, hex-encoded.
func newIdempotencyKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("plexmcp: generating an idempotency key: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
