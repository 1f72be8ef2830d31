package plexmcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// CreateAPIKey creates an access key and returns it with its secret, which
// the API shows only this once.
//
// The request carries one Idempotency-Key (r.IdempotencyKey, or a fresh
// random one) and the same body bytes on every retry, so a create whose
// response was lost after the server committed it is answered from the
// server's record instead of minting a second key.
func (c *Client) CreateAPIKey(ctx context.Context, r CreateAPIKeyRequest) (*CreatedAPIKey, error) {
	body, err := json.Marshal(createToWire(r))
	if err != nil {
		return nil, fmt.Errorf("plexmcp: encoding the API key: %w", err)
	}
	idem := r.IdempotencyKey
	if idem == "" {
		if idem, err = newIdempotencyKey(); err != nil {
			return nil, err
		}
	}
	var w wireAPIKey
	resp, err := c.do(ctx, request{method: "POST", path: "/api-keys", body: body, idempotencyKey: idem}, &w)
	if err != nil {
		return nil, err
	}
	if w.Key == "" {
		return nil, fmt.Errorf("plexmcp: POST /api-keys: %w: the response has no key", errMalformed)
	}
	return &CreatedAPIKey{
		APIKey:   w.toAPIKey(),
		Key:      NewSecret(w.Key),
		Replayed: strings.EqualFold(strings.TrimSpace(resp.header.Get("Idempotent-Replayed")), "true"),
	}, nil
}

// GetAPIKey returns a key's metadata, revoked keys included. Another
// organization's key is a 404 *APIError, returned only once the API is
// known to be there (see confirmNotFound).
func (c *Client) GetAPIKey(ctx context.Context, id string) (*APIKey, error) {
	seg, err := pathSegment("API key", id)
	if err != nil {
		return nil, err
	}
	var w wireAPIKey
	if _, err := c.do(ctx, request{method: "GET", path: "/api-keys/" + seg}, &w); err != nil {
		return nil, c.confirmNotFound(ctx, err)
	}
	k := w.toAPIKey()
	return &k, nil
}

// ListAPIKeys returns every access key matching opts, following all pages.
func (c *Client) ListAPIKeys(ctx context.Context, opts ListAPIKeysOptions) ([]APIKey, error) {
	q := url.Values{}
	if opts.Status != "" {
		q.Set("status", opts.Status)
	}
	out := []APIKey{}
	err := listAll(ctx, c, "/api-keys", q, func(page []wireAPIKey) {
		for _, k := range page {
			out = append(out, k.toAPIKey())
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateAPIKey changes the non-nil fields of r. A revoked key is a 409
// *APIError.
func (c *Client) UpdateAPIKey(ctx context.Context, id string, r UpdateAPIKeyRequest) (*APIKey, error) {
	seg, err := pathSegment("API key", id)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(updateToWire(r))
	if err != nil {
		return nil, fmt.Errorf("plexmcp: encoding the API key update: %w", err)
	}
	var w wireAPIKey
	if _, err := c.do(ctx, request{method: "PATCH", path: "/api-keys/" + seg, body: body}, &w); err != nil {
		return nil, err
	}
	k := w.toAPIKey()
	return &k, nil
}

// RevokeAPIKey revokes a key at once. Revoking a revoked key succeeds; an
// unknown id is a 404 *APIError (see confirmNotFound), left to the caller
// to judge (a destroy treats it as done, an explicit revoke may not).
func (c *Client) RevokeAPIKey(ctx context.Context, id string) error {
	seg, err := pathSegment("API key", id)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, request{method: "DELETE", path: "/api-keys/" + seg}, nil)
	return c.confirmNotFound(ctx, err)
}

func itoa(i int) string { return strconv.Itoa(i) }

// confirmNotFound passes err on unless it is a 404, which callers take to
// mean the key is gone: a refresh drops it from state and a destroy counts
// it as revoked. A base URL without its /v1 path, or one pointing at some
// other service, answers 404 to everything, and believing it would make
// Terraform forget keys that are still live. So a 404 stands only if the
// API answers GET /mcps; otherwise the error says what is wrong instead.
func (c *Client) confirmNotFound(ctx context.Context, err error) error {
	if !IsNotFound(err) {
		return err
	}
	_, probeErr := c.do(ctx, request{method: "GET", path: "/mcps", query: url.Values{"per_page": {"1"}}}, nil)
	switch {
	case probeErr == nil:
		return err
	case IsNotFound(probeErr):
		return fmt.Errorf("plexmcp: %s answers 404 Not Found even for /mcps, so it is not the PlexMCP API; "+
			"check the base URL (PlexMCP's is %s, with its /v1 path)", c.baseURL, DefaultBaseURL)
	default:
		return probeErr
	}
}
