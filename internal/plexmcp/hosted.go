package plexmcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// hostedAPI is the operations of PlexMCP's hosted API (reference-api.md).
type hostedAPI struct {
	c  *Client
	ep Endpoint
}

// reachabilityProbeTool is a tool name no MCP has: invoking it runs
// nothing and tells from the answer whether the key may reach the MCP.
const reachabilityProbeTool = "__plexmcp_client_reachability_probe__"

// maxPages stops a server that always reports another page from looping a
// list call forever.
const maxPages = 10000

func (h *hostedAPI) request(method, path string, query url.Values, body []byte) request {
	u := h.ep.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return h.c.newRequest(hostedDialect{}, APIHosted, surfaceManagement, method, u, body)
}

// data performs r and decodes the answer's data into out.
func (h *hostedAPI) data(ctx context.Context, r request, out any) (*hostedPagination, error) {
	rep, err := h.c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	pag, err := decodeHostedData(rep.status, rep.body, out)
	if err != nil {
		if _, ok := asAPIError(err); ok {
			return nil, h.c.finishError(err, rep.attempts)
		}
		return nil, h.c.scrubErr(fmt.Errorf("plexmcp: %s %s: %w", r.method, pathOf(r.url), err))
	}
	return pag, nil
}

func (h *hostedAPI) getAPIKey(ctx context.Context, id string) (*APIKey, error) {
	seg, err := h.c.pathSegment("API key", id)
	if err != nil {
		return nil, err
	}
	var w hostedKey
	if _, err := h.data(ctx, h.request(http.MethodGet, "/api-keys/"+seg, nil, nil), &w); err != nil {
		return nil, h.c.confirmNotFound(ctx, err, h.request(http.MethodGet, "/mcps", url.Values{"per_page": {"1"}}, nil))
	}
	k := w.apiKey()
	return &k, nil
}

func (h *hostedAPI) listAPIKeys(ctx context.Context, opts ListAPIKeysOptions) ([]APIKey, error) {
	q := url.Values{}
	if opts.Status != "" {
		q.Set("status", opts.Status)
	}
	out := []APIKey{}
	err := hostedPages(ctx, h, "/api-keys", q, func() { out = out[:0] }, func(page []hostedKey) {
		for i := range page {
			out = append(out, page[i].apiKey())
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// hostedPages fetches page after page of a list until the server says
// there are no more, handing each page's items to add; reset is called
// before a walk starts over. Pages are offsets into a list ordered by
// creation: a key revoked while a status=active list is read moves every
// later key one place up, and the key at a page boundary would be missed.
// A walk whose total changed between pages is therefore read again, up to
// maxWalks times; the last walk is kept whatever it saw.
func hostedPages[T any](ctx context.Context, h *hostedAPI, path string, q url.Values, reset func(), add func([]T)) error {
	for walk := 1; ; walk++ {
		shifted, err := hostedWalk(ctx, h, path, q, add)
		if err != nil || !shifted || walk == maxWalks {
			return err
		}
		h.c.log.log(ctx, LevelDebug, "PlexMCP list changed while it was read; reading it again", map[string]any{"path": path, "walk": walk})
		reset()
	}
}

// maxWalks bounds the re-reads of a list that keeps changing.
const maxWalks = 3

// hostedWalk reads every page once and reports whether the list's total
// changed on the way.
func hostedWalk[T any](ctx context.Context, h *hostedAPI, path string, q url.Values, add func([]T)) (shifted bool, err error) {
	total := -1
	for page := 1; page <= maxPages; page++ {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		pq.Set("page", strconv.Itoa(page))
		pq.Set("per_page", strconv.Itoa(h.c.pageSize))
		var items []T
		pag, err := h.data(ctx, h.request(http.MethodGet, path, pq, nil), &items)
		if err != nil {
			return false, err
		}
		add(items)
		if pag != nil {
			if total >= 0 && pag.Total != total {
				shifted = true
			}
			total = pag.Total
		}
		// Stop on an empty page, or on the last page the server reports.
		// An answer without pagination is the only page.
		if len(items) == 0 || pag == nil || page >= pag.TotalPages {
			return shifted, nil
		}
	}
	return shifted, nil
}

func (h *hostedAPI) updateAPIKey(ctx context.Context, id string, r UpdateAPIKeyRequest) (*APIKey, error) {
	if r.Permissions != nil {
		return nil, &UnsupportedError{Operation: "changing a key's permissions", Reason: "the hosted API fixes them at creation; create a new key instead"}
	}
	if r.RateLimitRPM != nil {
		return nil, &UnsupportedError{Operation: "a key rate limit", Reason: "the hosted API has no per-key rate limit"}
	}
	if r.Name == nil && r.Description == nil {
		return h.getAPIKey(ctx, id)
	}
	seg, err := h.c.pathSegment("API key", id)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(hostedUpdate{Name: r.Name, Description: r.Description})
	if err != nil {
		return nil, fmt.Errorf("plexmcp: encoding the API key update: %w", err)
	}
	var w hostedKey
	if _, err := h.data(ctx, h.request(http.MethodPatch, "/api-keys/"+seg, nil, body), &w); err != nil {
		return nil, h.c.confirmNotFound(ctx, err, h.request(http.MethodGet, "/mcps", url.Values{"per_page": {"1"}}, nil))
	}
	if m := w.missing(); len(m) > 0 {
		// The PATCH answer carries four fields: read the rest back.
		k, err := h.getAPIKey(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("plexmcp: the update was applied, but reading the key back failed: %w", err)
		}
		return k, nil
	}
	k := w.apiKey()
	return &k, nil
}

func (h *hostedAPI) revokeAPIKey(ctx context.Context, id string) error {
	seg, err := h.c.pathSegment("API key", id)
	if err != nil {
		return err
	}
	// 200 with {id, status, revoked_at} or 204: either way it is done.
	if _, err := h.c.do(ctx, h.request(http.MethodDelete, "/api-keys/"+seg, nil, nil)); err != nil {
		return h.c.confirmNotFound(ctx, err, h.request(http.MethodGet, "/mcps", url.Values{"per_page": {"1"}}, nil))
	}
	return nil
}

func (h *hostedAPI) listMCPs(ctx context.Context, opts ListMCPsOptions) ([]MCP, error) {
	q := url.Values{}
	if opts.Status != "" {
		q.Set("status", opts.Status)
	}
	out := []MCP{}
	err := hostedPages(ctx, h, "/mcps", q, func() { out = out[:0] }, func(page []hostedMCP) {
		for i := range page {
			out = append(out, page[i].mcp())
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (h *hostedAPI) getMCP(ctx context.Context, id string) (*MCP, error) {
	seg, err := h.c.pathSegment("MCP", id)
	if err != nil {
		return nil, err
	}
	var w hostedMCP
	if _, err := h.data(ctx, h.request(http.MethodGet, "/mcps/"+seg, nil, nil), &w); err != nil {
		return nil, h.c.confirmNotFound(ctx, err, h.request(http.MethodGet, "/mcps", url.Values{"per_page": {"1"}}, nil))
	}
	m := w.mcp()
	return &m, nil
}

func (h *hostedAPI) mcpRequest(body []byte) request {
	r := h.c.newRequest(hostedDialect{}, APIHosted, surfaceMCP, http.MethodPost, rootOf(h.ep)+"/mcp", body)
	return r
}

func (h *hostedAPI) invoke(ctx context.Context, r InvokeRequest) (*InvokeResult, error) {
	body, err := json.Marshal(hostedInvokeOf(r))
	if err != nil {
		return nil, fmt.Errorf("plexmcp: encoding the invocation: %w", err)
	}
	req := h.mcpRequest(body)
	req.resend = resendUnprocessed
	var w hostedInvokeResult
	if _, err := h.data(ctx, req, &w); err != nil {
		return nil, err
	}
	res := &InvokeResult{MCPID: w.Metadata.MCPID, Tool: w.Metadata.Tool, Result: w.Result}
	if res.MCPID == "" {
		res.MCPID = r.MCPID
	}
	if res.Tool == "" {
		res.Tool = r.Tool
	}
	return res, nil
}

// reachableMCPs invokes a tool no MCP has on each MCP: 404 tool_not_found
// means the key may reach it, 403 mcp_not_permitted that it may not. The
// probe runs nothing, though like any invocation it counts as use of the
// key.
func (h *hostedAPI) reachableMCPs(ctx context.Context, mcps []MCP) (map[string]bool, error) {
	out := make(map[string]bool, len(mcps))
	for _, m := range mcps {
		body, err := json.Marshal(hostedInvoke{MCPID: m.ID, Tool: reachabilityProbeTool, Arguments: map[string]any{}})
		if err != nil {
			return nil, fmt.Errorf("plexmcp: encoding the probe: %w", err)
		}
		_, err = h.data(ctx, h.mcpRequest(body), nil)
		e, isAPI := asAPIError(err)
		switch {
		case err == nil:
			// A tool of that name exists after all; the key reached it.
			out[m.ID] = true
		case isAPI && e.StatusCode == http.StatusNotFound && e.Code == codeToolNotFound:
			out[m.ID] = true
		case isAPI && e.StatusCode == http.StatusForbidden && e.Code == codeMCPNotPermitted:
			out[m.ID] = false
		default:
			return nil, err
		}
	}
	return out, nil
}

// confirmNotFound passes err on unless it is a 404, which callers take to
// mean an object is gone: a refresh drops it from state and a destroy
// counts it as revoked. A base URL pointing at some other service answers
// 404 to everything, and believing it would make Terraform forget keys that
// are still live. So a 404 stands only if the API answers probe (a cheap
// list); otherwise the error says what is wrong instead.
func (c *Client) confirmNotFound(ctx context.Context, err error, probe request) error {
	if !IsNotFound(err) {
		return err
	}
	_, probeErr := c.do(ctx, probe)
	switch {
	case probeErr == nil:
		return err
	case IsNotFound(probeErr):
		return fmt.Errorf("plexmcp: the server at the base URL answers 404 Not Found even for %s, so it is not the PlexMCP %s API; check base_url and api",
			pathOf(probe.url), probe.api)
	default:
		// Unconfirmed, the 404 must not read as "gone".
		return fmt.Errorf("plexmcp: a 404 Not Found could not be confirmed: %w", probeErr)
	}
}

// pathOf is the path of an absolute URL, for messages: never the query or
// the host.
func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.EscapedPath()
}

// trimName is a key's name as both APIs store it.
func trimName(name string) string { return strings.TrimSpace(name) }
