package plexmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Creates on the hosted API: never two keys for one create, never a key
// nobody knows about.
//
// The hosted API does not document Idempotency-Key, so the client sends one
// but must stay correct when it is ignored. It resends a create by itself
// only when the server provably did not act on it (the request was never
// written, a 429, a 409 for an attempt with the same key still in flight).
// Any other failure once the request may have reached the server makes the
// create ambiguous: the client then looks for the key the failed attempt
// may have made (same name, active, created inside the attempt's window by
// the server's clock, not one of its own) and revokes it before making
// another. If it found nothing it resends with the same Idempotency-Key,
// so that a server that honours it replays a late commit instead of making
// a second key; if it revoked something, with a fresh one, since the old
// one would replay a revoked key. After a success that followed an
// ambiguous attempt it looks once more for a late commit.

func (h *hostedAPI) createAPIKey(ctx context.Context, r CreateAPIKeyRequest) (*CreatedAPIKey, error) {
	if r.RateLimitRPM != nil {
		return nil, &UnsupportedError{Operation: "a key rate limit", Reason: "the hosted API has no per-key rate limit"}
	}
	if err := checkExpiry(r.ExpiresAt, h.c.now(), false); err != nil {
		return nil, err
	}
	body, err := json.Marshal(hostedCreateOf(r))
	if err != nil {
		return nil, fmt.Errorf("plexmcp: encoding the API key: %w", err)
	}
	name := trimName(r.Name)
	unlock, err := h.c.shared.names.lock(ctx, name)
	if err != nil {
		return nil, err
	}
	defer unlock()

	idem, err := newIdempotencyKey()
	if err != nil {
		return nil, err
	}
	budget := h.c.maxRetries + 1 // POST attempts, across the whole create
	var windows []window
	for {
		req := h.request(http.MethodPost, "/api-keys", nil, body)
		req.resend, req.idempotent = resendUnprocessed, true
		req.header = http.Header{"Idempotency-Key": {idem}}
		req.maxRetries = max(budget-1, 0)
		rep, err := h.c.do(ctx, req)
		budget -= max(rep.attempts, 1)
		if err == nil {
			created, rerr := h.readCreated(ctx, rep, r)
			if rerr == nil {
				h.c.shared.own.add(created.ID)
				if len(windows) > 0 {
					h.sweep(ctx, name, windows, created)
				}
				return created, nil
			}
			// A success the client cannot read: the key exists, but its
			// secret is lost. Settle it like any ambiguous failure.
			err, rep.uncertain = rerr, true
		}
		if !rep.uncertain {
			return nil, err
		}
		windows = append(windows, window{from: rep.sent, to: rep.ended, open: rep.unanswered})
		h.c.log.log(ctx, LevelWarn, "PlexMCP API key create may have been applied; looking for the key before trying again", map[string]any{
			"name": name, "error": err,
		})
		revoked, serr := h.settle(ctx, name, func() []window { return h.serverWindows(windows) }, "")
		if serr != nil {
			from, to := h.span(windows)
			return nil, &CreateUncertainError{Name: h.c.log.scrub.string(name), From: from, To: to, Findable: true, Err: errors.Join(err, serr)}
		}
		if budget <= 0 || ctx.Err() != nil {
			if openEnded(windows) {
				// Settled as of now, but an attempt that got no answer may
				// still commit: keep a record that covers it.
				from, to := h.span(windows)
				return nil, &CreateUncertainError{Name: h.c.log.scrub.string(name), From: from, To: to, Findable: true, Err: err}
			}
			// Settled: nothing the failed attempts made is left active.
			return nil, err
		}
		if len(revoked) > 0 {
			if idem, err = newIdempotencyKey(); err != nil {
				return nil, err
			}
		}
	}
}

// readCreated reads a create answer, reading the key back only if the
// answer lacks a field the result needs.
func (h *hostedAPI) readCreated(ctx context.Context, rep *reply, r CreateAPIKeyRequest) (*CreatedAPIKey, error) {
	var w hostedKey
	if _, err := decodeHostedData(rep.status, rep.body, &w); err != nil {
		return nil, h.c.scrubErr(fmt.Errorf("plexmcp: POST /api-keys: %w", err))
	}
	if w.Key == "" || w.ID == nil || *w.ID == "" {
		return nil, fmt.Errorf("plexmcp: POST /api-keys: %w: the answer has no key or id", errMalformed)
	}
	created := &CreatedAPIKey{APIKey: w.apiKey(), Key: NewSecret(w.Key)}
	if w.Description == nil {
		// The create answer leaves the description out; the server
		// stores it as sent.
		created.Description = r.Description
	}
	if missing := w.missing(); len(missing) > 0 {
		k, err := h.getAPIKey(ctx, *w.ID)
		if err != nil {
			h.c.log.log(ctx, LevelWarn, "PlexMCP API key created, but reading it back failed; its missing fields are taken from the request", map[string]any{
				"id": *w.ID, "missing": fmt.Sprint(missing), "error": err,
			})
			if w.Permissions == nil {
				created.Permissions = r.Permissions
			}
			if w.Status == nil {
				created.Status = derivedStatus(created.ExpiresAt, h.c.now())
			}
			return created, nil
		}
		created.APIKey = *k
	}
	return created, nil
}

// settle revokes the active keys named name created inside one of the
// windows (by the server's clock), other than the client's own and keep,
// and returns their ids. The windows are asked for after the list, whose
// answers may be the client's first sample of the server's clock.
func (h *hostedAPI) settle(ctx context.Context, name string, windowsFn func() []window, keep string) ([]string, error) {
	keys, err := h.listAPIKeys(ctx, ListAPIKeysOptions{Status: StatusActive})
	if err != nil {
		return nil, err
	}
	windows := windowsFn()
	revoked := []string{}
	for _, k := range keys {
		if k.Name != name || k.ID == keep || h.c.shared.own.has(k.ID) || !inWindows(k.CreatedAt, windows) {
			continue
		}
		if err := h.revokeAPIKey(ctx, k.ID); err != nil && !IsNotFound(err) {
			return revoked, err
		}
		h.c.log.log(ctx, LevelWarn, "Revoked an API key that a failed create attempt made", map[string]any{
			"name": name, "id": k.ID, "created_at": k.CreatedAt.Format(time.RFC3339),
		})
		revoked = append(revoked, k.ID)
	}
	return revoked, nil
}

// sweep looks once more, after a create succeeded, for a late commit of
// its earlier ambiguous attempts. If it cannot look, the created key
// carries the record for SettleCreate.
func (h *hostedAPI) sweep(ctx context.Context, name string, windows []window, created *CreatedAPIKey) {
	if _, err := h.settle(ctx, name, func() []window { return h.serverWindows(windows) }, created.ID); err != nil {
		from, to := h.span(windows)
		created.Pending = &PendingCreate{Name: name, From: from, To: to, Keep: created.ID}
		h.c.log.log(ctx, LevelWarn, "PlexMCP API key created, but the client could not look for a late commit of an earlier attempt; settle it later", map[string]any{
			"name": name, "error": err,
		})
	}
}

func (h *hostedAPI) settleCreate(ctx context.Context, p PendingCreate) ([]string, error) {
	name := trimName(p.Name)
	unlock, err := h.c.shared.names.lock(ctx, name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return h.settle(ctx, name, func() []window { return []window{{from: p.From, to: p.To}} }, p.Keep)
}

// serverWindows converts windows to the server's clock, widened by
// settleSlack. An attempt that got no answer may have committed any time
// until now: its window reaches now.
func (h *hostedAPI) serverWindows(ws []window) []window {
	return h.serverWindowsUntil(ws, h.c.now())
}

func (h *hostedAPI) serverWindowsUntil(ws []window, until time.Time) []window {
	skew := h.c.shared.skew.offset()
	out := make([]window, len(ws))
	for i, w := range ws {
		to := w.to
		if w.open && until.After(to) {
			to = until
		}
		out[i] = window{from: w.from.Add(skew - settleSlack), to: to.Add(skew + settleSlack)}
	}
	return out
}

// openEnded reports whether one of ws got no answer.
func openEnded(ws []window) bool {
	for _, w := range ws {
		if w.open {
			return true
		}
	}
	return false
}

// span is the server-clock window covering every ambiguous attempt, for a
// record that is settled later. An attempt that got no answer may still be
// committed by a server that is slow to finish it: the record's window
// reaches one request timeout past now, the time a server still working on
// it would reasonably take.
func (h *hostedAPI) span(ws []window) (from, to time.Time) {
	sw := h.serverWindowsUntil(ws, h.c.now().Add(h.c.timeout))
	from, to = sw[0].from, sw[0].to
	for _, w := range sw[1:] {
		if w.from.Before(from) {
			from = w.from
		}
		if w.to.After(to) {
			to = w.to
		}
	}
	return from.UTC(), to.UTC()
}

func inWindows(t time.Time, ws []window) bool {
	for _, w := range ws {
		if !t.Before(w.from) && !t.After(w.to) {
			return true
		}
	}
	return false
}
