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

// serverAPI is the operations of a self-hosted PlexMCP server
// (plexmcp-server-api.md). Its sharp edges are handled here: expiry is
// checked locally (the server accepts any), creates are never resent once
// they may have arrived (the server has no idempotency), permissions map
// onto access modes, and updates go one concern at a time (the server
// commits PATCH fields one by one).
type serverAPI struct {
	c  *Client
	ep Endpoint
}

func (s *serverAPI) request(method, path string, query url.Values, body []byte) request {
	u := s.ep.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return s.c.newRequest(serverDialect{}, APIServer, surfaceManagement, method, u, body)
}

// probe is the cheap request that confirms a 404 came from the API.
func (s *serverAPI) probe() request {
	return s.request(http.MethodGet, "/mcps", url.Values{"per_page": {"1"}}, nil)
}

// notFound passes on a 404 to r as "gone" only when it is the server's own
// word: its handlers answer a key or MCP that does not exist with
// NOT_FOUND in their error shape (the case of the code is not insisted
// on). An empty 404 is a route the server does not have, and any other 404
// came from something in front of it; taken for "gone", either would drop
// a live key from state and make another. The probe then confirms that the
// base URL is the server's API.
func (s *serverAPI) notFound(ctx context.Context, r request, err error) error {
	e, ok := asAPIError(err)
	if !ok || e.StatusCode != http.StatusNotFound {
		return err
	}
	if !strings.EqualFold(e.Code, serverCodeNotFound) {
		return fmt.Errorf("plexmcp: %s %s answered 404 Not Found, but not with a PlexMCP server's NOT_FOUND, so it does not "+
			"say the object is gone: the path is not one the server serves, or something in front of it answered; "+
			"check base_url and any proxy in front of the server (%v)", r.method, pathOf(r.url), e)
	}
	return s.c.confirmNotFound(ctx, err, s.probe())
}

// decode performs r and decodes the bare JSON answer into out.
func (s *serverAPI) decode(ctx context.Context, r request, out any) (*reply, error) {
	rep, err := s.c.do(ctx, r)
	if err != nil {
		return rep, err
	}
	if out == nil {
		return rep, nil
	}
	if err := json.Unmarshal(rep.body, out); err != nil {
		return rep, s.c.scrubErr(fmt.Errorf("plexmcp: %s %s: %w: HTTP %d: %v", r.method, pathOf(r.url), errMalformed, rep.status, err))
	}
	return rep, nil
}

func (s *serverAPI) createAPIKey(ctx context.Context, r CreateAPIKeyRequest) (*CreatedAPIKey, error) {
	if r.Description != "" {
		return nil, &UnsupportedError{Operation: "a key description", Reason: "a PlexMCP server keeps no key descriptions"}
	}
	if err := checkExpiry(r.ExpiresAt, s.c.now(), true); err != nil {
		return nil, err
	}
	if err := s.checkMCPIDs(ctx, r.Permissions); err != nil {
		return nil, err
	}
	body, err := json.Marshal(serverCreateOf(r))
	if err != nil {
		return nil, fmt.Errorf("plexmcp: encoding the API key: %w", err)
	}
	req := s.request(http.MethodPost, "/api-keys", nil, body)
	// The server has no idempotency: only an attempt it provably did not
	// see may go again.
	req.resend = resendUnprocessed
	var w serverKey
	rep, err := s.decode(ctx, req, &w)
	if err == nil && (w.Key == "" || w.ID == nil || *w.ID == "") {
		err = fmt.Errorf("plexmcp: POST /api-keys: %w: the answer has no key or id", errMalformed)
	}
	if err != nil {
		if rep.uncertain || rep.status/100 == 2 {
			return nil, s.uncertain(trimName(r.Name), rep, err)
		}
		return nil, err
	}
	s.c.shared.own.add(*w.ID)
	created := &CreatedAPIKey{APIKey: w.apiKey(s.c.now()), Key: NewSecret(w.Key)}
	if missing := w.missing(); len(missing) > 0 {
		// The create answer has neither access mode nor MCP ids.
		k, err := s.getAPIKey(ctx, *w.ID)
		if err != nil {
			s.c.log.log(ctx, LevelWarn, "PlexMCP API key created, but reading it back failed; its permissions are taken from the request, which the server stores as sent", map[string]any{
				"id": *w.ID, "missing": fmt.Sprint(missing), "error": err,
			})
			created.Permissions = r.Permissions
			if !r.Permissions.AllMCPs {
				created.Permissions = Permissions{MCPIDs: *selectedIDs(r.Permissions)}
			}
			return created, nil
		}
		created.APIKey = *k
	}
	return created, nil
}

// uncertain reports a create that may have made a key the client cannot
// look for. An attempt that got no answer may still be committed by a
// server slow to finish it, so its window reaches one request timeout past
// now, as on the hosted API.
func (s *serverAPI) uncertain(name string, rep *reply, err error) error {
	skew := s.c.shared.skew.offset()
	to := rep.ended
	if until := s.c.now().Add(s.c.timeout); rep.unanswered && until.After(to) {
		to = until
	}
	return &CreateUncertainError{
		Name:     s.c.log.scrub.string(name),
		From:     rep.sent.Add(skew - settleSlack).UTC(),
		To:       to.Add(skew + settleSlack).UTC(),
		Findable: false,
		Err:      err,
	}
}

func (s *serverAPI) getAPIKey(ctx context.Context, id string) (*APIKey, error) {
	seg, err := s.c.pathSegment("API key", id)
	if err != nil {
		return nil, err
	}
	var w serverKey
	req := s.request(http.MethodGet, "/api-keys/"+seg, nil, nil)
	if _, err := s.decode(ctx, req, &w); err != nil {
		return nil, s.notFound(ctx, req, err)
	}
	k := w.apiKey(s.c.now())
	return &k, nil
}

func (s *serverAPI) listAPIKeys(context.Context, ListAPIKeysOptions) ([]APIKey, error) {
	return nil, &UnsupportedError{
		Operation: "listing API keys",
		Reason:    "a PlexMCP server lists no keys to an API-key caller (its answer is always empty); read a key by its id instead",
	}
}

func (s *serverAPI) settleCreate(context.Context, PendingCreate) ([]string, error) {
	return nil, &UnsupportedError{
		Operation: "settling a create",
		Reason:    "a PlexMCP server lists no keys to an API-key caller, so the client cannot find the key; an owner or admin can, on the server's API Keys page",
	}
}

// updateAPIKey sends one PATCH per concern, because the server commits
// each field on its own and a failure part-way must never leave the caller
// believing something untrue. The order is chosen so that no moment between
// two requests grants more than the old or the new configuration: a new
// selective grant sends its ids first (ignored while the mode is "all" or
// "none") and only then the mode; a grant of everything is the mode alone.
// After a failed PATCH the key is read back and returned in a
// *PartialUpdateError. The last PATCH's answer is the full key, so a
// successful update costs no extra read.
func (s *serverAPI) updateAPIKey(ctx context.Context, id string, r UpdateAPIKeyRequest) (*APIKey, error) {
	if r.Description != nil && *r.Description != "" {
		return nil, &UnsupportedError{Operation: "a key description", Reason: "a PlexMCP server keeps no key descriptions"}
	}
	seg, err := s.c.pathSegment("API key", id)
	if err != nil {
		return nil, err
	}
	if r.Permissions != nil {
		if err := s.checkMCPIDs(ctx, *r.Permissions); err != nil {
			return nil, err
		}
	}
	var steps []serverPatch
	if r.Name != nil {
		steps = append(steps, serverPatch{Name: r.Name})
	}
	if r.RateLimitRPM != nil {
		steps = append(steps, serverPatch{RateLimitRPM: r.RateLimitRPM})
	}
	if p := r.Permissions; p != nil {
		if p.AllMCPs {
			steps = append(steps, serverPatch{MCPAccessMode: accessAll})
		} else {
			steps = append(steps, serverPatch{AllowedMCPIDs: selectedIDs(*p)}, serverPatch{MCPAccessMode: accessSelected})
		}
	}
	if len(steps) == 0 {
		return s.getAPIKey(ctx, id)
	}
	var last serverKey
	for _, step := range steps {
		body, err := json.Marshal(step)
		if err != nil {
			return nil, fmt.Errorf("plexmcp: encoding the API key update: %w", err)
		}
		last = serverKey{}
		req := s.request(http.MethodPatch, "/api-keys/"+seg, nil, body)
		if _, err := s.decode(ctx, req, &last); err != nil {
			if IsNotFound(err) {
				// Gone: there is nothing to read back.
				return nil, s.notFound(ctx, req, err)
			}
			cur, gerr := s.getAPIKey(ctx, id)
			if gerr != nil {
				s.c.log.log(ctx, LevelWarn, "Reading an API key back after a failed update failed too", map[string]any{"id": id, "error": gerr})
				return nil, &PartialUpdateError{Err: err}
			}
			return nil, &PartialUpdateError{Current: cur, Err: err}
		}
	}
	if len(last.missing()) > 0 {
		k, err := s.getAPIKey(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("plexmcp: the update was applied, but reading the key back failed: %w", err)
		}
		return k, nil
	}
	k := last.apiKey(s.c.now())
	return &k, nil
}

// checkMCPIDs refuses a grant of MCPs the organisation does not have. The
// hosted API refuses such a grant itself; a PlexMCP server stores it
// without a word, and the key would silently reach nothing, so the client
// asks for the organisation's MCPs first (one request, only for a grant of
// chosen MCPs).
func (s *serverAPI) checkMCPIDs(ctx context.Context, p Permissions) error {
	if p.AllMCPs || len(p.MCPIDs) == 0 {
		return nil
	}
	mcps, err := s.listMCPs(ctx, ListMCPsOptions{})
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(mcps))
	for _, m := range mcps {
		known[m.ID] = true
	}
	var unknown []string
	for _, id := range dedupe(p.MCPIDs) {
		if !known[id] {
			// The ids are quoted back to the user; a key pasted as one
			// keeps only its public prefix.
			unknown = append(unknown, s.c.log.scrub.string(id))
		}
	}
	if len(unknown) > 0 {
		return &UnknownMCPsError{IDs: unknown}
	}
	return nil
}

func (s *serverAPI) revokeAPIKey(ctx context.Context, id string) error {
	seg, err := s.c.pathSegment("API key", id)
	if err != nil {
		return err
	}
	// 204 (or 200): the key is deleted; a second DELETE is 404.
	req := s.request(http.MethodDelete, "/api-keys/"+seg, nil, nil)
	if _, err := s.c.do(ctx, req); err != nil {
		return s.notFound(ctx, req, err)
	}
	return nil
}

// listMCPs pages until a page comes back short: the server sends no paging
// metadata.
func (s *serverAPI) listMCPs(ctx context.Context, opts ListMCPsOptions) ([]MCP, error) {
	out := []MCP{}
	for page := 1; page <= maxPages; page++ {
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(s.c.pageSize)}}
		// The server matches ?status= exactly, so "all" would match
		// nothing: it means no filter.
		if opts.Status != "" && opts.Status != "all" {
			q.Set("status", opts.Status)
		}
		var items []serverMCP
		if _, err := s.decode(ctx, s.request(http.MethodGet, "/mcps", q, nil), &items); err != nil {
			return nil, err
		}
		for i := range items {
			out = append(out, items[i].mcp())
		}
		if len(items) < s.c.pageSize {
			break
		}
	}
	return out, nil
}

func (s *serverAPI) getMCP(ctx context.Context, id string) (*MCP, error) {
	seg, err := s.c.pathSegment("MCP", id)
	if err != nil {
		return nil, err
	}
	var w serverMCP
	req := s.request(http.MethodGet, "/mcps/"+seg, nil, nil)
	if _, err := s.decode(ctx, req, &w); err != nil {
		return nil, s.notFound(ctx, req, err)
	}
	m := w.mcp()
	return &m, nil
}

// invoke looks the MCP's name up, since the proxy addresses tools as
// "<MCP name>:<tool>", and sends one tools/call, never resent once
// delivered.
func (s *serverAPI) invoke(ctx context.Context, r InvokeRequest) (*InvokeResult, error) {
	m, err := s.getMCP(ctx, r.MCPID)
	if err != nil {
		return nil, err
	}
	if strings.Contains(m.Name, ":") {
		return nil, &UnsupportedError{Operation: "invoking a tool of this MCP", Reason: "its name contains \":\", which a PlexMCP server's proxy cannot address"}
	}
	args := r.Arguments
	if args == nil {
		args = map[string]any{}
	}
	var result map[string]any
	if err := s.rpc(ctx, "tools/call", rpcToolCall{Name: m.Name + ":" + r.Tool, Arguments: args}, resendUnprocessed, &result); err != nil {
		return nil, err
	}
	return &InvokeResult{MCPID: r.MCPID, Tool: r.Tool, Result: result}, nil
}

// reachableMCPs asks the proxy once for every tool the key can reach. An
// MCP is reachable if one of its tools is listed ("<name>:…"), or if the
// server names it among the MCPs it could not ask in time; an MCP without
// tools is invisible there and reported unreachable.
func (s *serverAPI) reachableMCPs(ctx context.Context, mcps []MCP) (map[string]bool, error) {
	var list rpcToolsList
	if err := s.rpc(ctx, "tools/list", nil, resendSafe, &list); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, t := range list.Tools {
		// An MCP's name may itself contain ":", so every prefix before a
		// ":" counts.
		for j := range len(t.Name) {
			if t.Name[j] == ':' {
				seen[t.Name[:j]] = true
			}
		}
	}
	for _, e := range list.Errors {
		seen[e.MCPName] = true
	}
	out := make(map[string]bool, len(mcps))
	for _, m := range mcps {
		out[m.ID] = seen[m.Name]
	}
	return out, nil
}
