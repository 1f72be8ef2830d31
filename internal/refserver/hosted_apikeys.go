package refserver

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	maxNameLen        = 100
	maxDescriptionLen = 500
	maxExpiresInDays  = 3650
)

// hostedKeyFields are the fields a create names; a PATCH may send them too,
// but only name and description may change.
var hostedKeyFields = []string{"name", "description", "permissions", "expires_at", "expires_in_days"}

// hostedImmutable are refused by name in a PATCH, which tells a client
// exactly what forces a replacement.
var hostedImmutable = []string{"permissions", "expires_at", "expires_in_days"}

// hostedKeyInput is a create or PATCH body whose JSON types are right.
type hostedKeyInput struct {
	name, description       string
	nameSet, descriptionSet bool
	allMCPs                 bool
	mcpIDs                  []string
	expiresAt               string
	expiresAtSet            bool
	days                    int64
	daysSet                 bool
}

// readHostedKey checks the JSON types of a key body: every wrong one is a
// 400 naming it. permissions must have its shape on a create.
func readHostedKey(obj jsonObject, create bool) (hostedKeyInput, *hostedError) {
	var in hostedKeyInput
	if create {
		all, ids, ok := permissionsShape(obj["permissions"])
		if !ok {
			return in, invalidRequest(msgInvalidPermissions)
		}
		in.allMCPs, in.mcpIDs = all, ids
	}
	t := typeErrors{}
	in.name, in.nameSet = t.str(obj, "name")
	in.description, in.descriptionSet = t.str(obj, "description")
	if create {
		in.expiresAt, in.expiresAtSet = t.str(obj, "expires_at")
		in.days, in.daysSet = t.integer(obj, "expires_in_days")
	}
	return in, t.err()
}

// permissionsShape parses {"mcps":"*"} or {"mcps":[ids]}. Duplicates are
// dropped, first occurrence kept, so the answer is a set in the caller's
// order. Any other shape (missing, null, another field, another string,
// not strings, a null among them) is not ok.
func permissionsShape(raw json.RawMessage) (all bool, ids []string, ok bool) {
	var obj map[string]json.RawMessage
	if raw == nil || isNull(raw) || json.Unmarshal(raw, &obj) != nil || len(obj) != 1 || obj["mcps"] == nil {
		return false, nil, false
	}
	var star string
	if json.Unmarshal(obj["mcps"], &star) == nil {
		return star == "*", nil, star == "*"
	}
	// Pointers, because encoding/json reads a null element of a []string
	// as "", which would pass for a string.
	var list []*string
	if isNull(obj["mcps"]) || json.Unmarshal(obj["mcps"], &list) != nil {
		return false, nil, false
	}
	ids = []string{}
	for _, id := range list {
		if id == nil {
			return false, nil, false
		}
		if !slices.Contains(ids, *id) {
			ids = append(ids, *id)
		}
	}
	return false, ids, true
}

// checkName and checkDescription add what is wrong with a value to v.
// Lengths are in Unicode code points; the name is measured trimmed.
func checkName(v validationError, in hostedKeyInput, required bool) {
	switch {
	case !in.nameSet && required:
		v["name"] = "Required"
	case !in.nameSet:
	case utf8.RuneCountInString(strings.TrimSpace(in.name)) < 1 || utf8.RuneCountInString(strings.TrimSpace(in.name)) > maxNameLen:
		v["name"] = "Must be 1 to 100 characters"
	}
}

func checkDescription(v validationError, in hostedKeyInput) {
	if utf8.RuneCountInString(in.description) > maxDescriptionLen {
		v["description"] = "Must be at most 500 characters"
	}
}

// createAPIKey mints a key. With an Idempotency-Key it first claims the
// record for it, so that a retry of a create whose answer was lost gets the
// same key back instead of a second one.
func (h *hostedAPI) createAPIKey(c *hostedCall) *hostedError {
	s := h.s
	obj, e := decodeHostedObject(c.body, hostedKeyFields...)
	if e != nil {
		return e
	}
	in, e := readHostedKey(obj, true)
	if e != nil {
		return e
	}
	var idemKey string
	if !s.ignoreIdempotencyKey {
		if idemKey, e = idempotencyKey(c.r); e != nil {
			return e
		}
	}
	var rec *idemRecord
	if idemKey != "" {
		idemKey = idemRecordKey(c.key, idemKey)
		s.mu.Lock()
		r, outcome := s.beginIdempotentLocked(c.org, idemKey, c.body)
		status, response := r.status, r.response
		s.mu.Unlock()
		switch outcome {
		case idemInFlight:
			return hostedErrorf(http.StatusConflict, codeConflict, "A request with this Idempotency-Key is still in progress; retry shortly")
		case idemMismatch:
			return hostedErrorf(http.StatusUnprocessableEntity, codeIdempotencyMismatch, "This Idempotency-Key was already used with a different request body")
		case idemReplay:
			if c.dropResponse {
				panic(http.ErrAbortHandler)
			}
			c.w.Header().Set("Idempotent-Replayed", "true")
			writeJSON(c.w, status, response)
			return nil
		}
		rec = r
		// Whatever happens below, including a panic, a record must not stay
		// in flight, or every retry would be a 409 for a day.
		defer func() {
			s.mu.Lock()
			if rec.inFlight {
				abandonIdempotentLocked(c.org, idemKey, rec)
			}
			s.mu.Unlock()
		}()
	}
	if hook := s.beforeCreateHook.Load(); hook != nil {
		(*hook)()
	}
	response, e := h.commitCreate(c.org, in, idemKey, rec)
	if e != nil {
		return e
	}
	if c.dropResponse {
		panic(http.ErrAbortHandler)
	}
	writeJSON(c.w, http.StatusCreated, response)
	return nil
}

// commitCreate validates the values, applies the quota, stores and
// persists the key and completes the idempotency record, all under one
// lock: a record is complete exactly when the key is durable.
func (h *hostedAPI) commitCreate(o *org, in hostedKeyInput, idemKey string, rec *idemRecord) ([]byte, *hostedError) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(e *hostedError) ([]byte, *hostedError) {
		if rec != nil {
			abandonIdempotentLocked(o, idemKey, rec)
		}
		return nil, e
	}
	now := s.Now()
	v := validationError{}
	checkName(v, in, true)
	checkDescription(v, in)
	if !in.allMCPs {
		var unknown []string
		for _, id := range in.mcpIDs {
			if o.mcp(id) == nil {
				unknown = append(unknown, id)
			}
		}
		switch {
		case len(in.mcpIDs) == 0:
			v["permissions"] = "Must list at least one MCP"
		case len(unknown) == 1:
			v["permissions"] = "unknown MCP: " + unknown[0]
		case len(unknown) > 1:
			v["permissions"] = "unknown MCPs: " + strings.Join(unknown, ", ")
		}
	}
	expiresAt := hostedExpiry(v, in, now)
	if e := v.err(); e != nil {
		return fail(e)
	}
	if s.keyQuota > 0 && activeKeysLocked(o, now) >= s.keyQuota {
		return fail(hostedErrorf(http.StatusForbidden, codeForbidden, msgKeyQuota))
	}

	secret := mintKey(s.hmacSecret)
	created := wholeSeconds(now)
	k := &apiKey{
		id: s.newKeyID(), orgID: o.def.id, name: strings.TrimSpace(in.name), digest: keyDigest(secret), prefix: s.prefixOf(secret),
		description: in.description, allMCPs: in.allMCPs, mcpIDs: in.mcpIDs,
		expiresAt: expiresAt, createdAt: created, updatedAt: created, issuedAt: now, daily: dailyCounts{},
	}
	s.addKeyLocked(o, k)
	if err := s.persistLocked(); err != nil {
		s.removeKeyLocked(o, k)
		return fail(errHostedInternal())
	}
	response := hostedSuccess(hostedKeyCreated{
		ID: k.id, Name: k.name, Key: secret, Prefix: k.prefix, Status: k.status(now),
		CreatedAt: hostedTime(k.createdAt), ExpiresAt: hostedOptionalTime(k.expiresAt), Permissions: k.hostedPermissions(),
	})
	if rec != nil {
		rec.inFlight, rec.status, rec.response = false, http.StatusCreated, response
	}
	return response, nil
}

// hostedExpiry checks the expiry fields and returns the expiry to store:
// UTC, whole seconds, after now.
func hostedExpiry(v validationError, in hostedKeyInput, now time.Time) *time.Time {
	var out *time.Time
	if in.expiresAtSet {
		t, err := time.Parse(time.RFC3339, in.expiresAt)
		switch {
		case err != nil:
			v["expires_at"] = "Must be an RFC 3339 timestamp"
		case !wholeSeconds(t).After(now):
			v["expires_at"] = "Must be a future date"
		default:
			t = wholeSeconds(t)
			out = &t
		}
	}
	switch {
	case !in.daysSet:
	case in.expiresAtSet:
		v["expires_in_days"] = "Cannot be combined with expires_at"
	case in.days < 1 || in.days > maxExpiresInDays:
		v["expires_in_days"] = "Must be between 1 and 3650"
	default:
		t := wholeSeconds(now.Add(time.Duration(in.days) * 24 * time.Hour))
		out = &t
	}
	return out
}

func (h *hostedAPI) listAPIKeys(c *hostedCall) *hostedError {
	q := c.r.URL.Query()
	p, e := parsePage(q)
	if e != nil {
		return e
	}
	status, e := queryChoice(q, "status", statusActive, statusExpired, statusRevoked)
	if e != nil {
		return e
	}
	now := h.s.Now()
	h.s.mu.Lock()
	items := []hostedKeySummary{}
	for _, k := range c.org.keysByCreation() {
		if status == "" || k.status(now) == status {
			items = append(items, k.hostedSummary(now))
		}
	}
	h.s.mu.Unlock()
	writeHostedList(c.w, items, p)
	return nil
}

func (h *hostedAPI) getAPIKey(c *hostedCall) *hostedError {
	now := h.s.Now()
	h.s.mu.Lock()
	k := c.org.keys[c.id]
	if k == nil {
		h.s.mu.Unlock()
		return hostedNotFound("API key")
	}
	body := hostedSuccess(k.hostedDetail(c.org, now))
	h.s.mu.Unlock()
	writeJSON(c.w, http.StatusOK, body)
	return nil
}

// patchAPIKey changes name or description. The checks run in the
// contract's order: body shape (400), unknown id (404), fields that can
// never change (422), revocation (409), then the values (422).
func (h *hostedAPI) patchAPIKey(c *hostedCall) *hostedError {
	obj, e := decodeHostedObject(c.body, hostedKeyFields...)
	if e != nil {
		return e
	}
	in, e := readHostedKey(obj, false)
	if e != nil {
		return e
	}
	body, e := h.commitPatch(c, obj, in)
	if e != nil {
		return e
	}
	writeJSON(c.w, http.StatusOK, body)
	return nil
}

func (h *hostedAPI) commitPatch(c *hostedCall, obj jsonObject, in hostedKeyInput) ([]byte, *hostedError) {
	s := h.s
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := c.org.keys[c.id]
	if k == nil {
		return nil, hostedNotFound("API key")
	}
	immutable := validationError{}
	for _, f := range hostedImmutable {
		if obj.present(f) {
			immutable[f] = msgImmutable
		}
	}
	if e := immutable.err(); e != nil {
		return nil, e
	}
	if k.revokedAt != nil {
		return nil, hostedErrorf(http.StatusConflict, codeConflict, msgRevokedKey)
	}
	v := validationError{}
	checkName(v, in, false)
	checkDescription(v, in)
	if e := v.err(); e != nil {
		return nil, e
	}
	old := k.clone()
	if in.nameSet {
		k.name = strings.TrimSpace(in.name)
	}
	if in.descriptionSet {
		k.description = in.description
	}
	if k.name != old.name || k.description != old.description {
		k.updatedAt = wholeSeconds(now)
		if err := s.persistLocked(); err != nil {
			*k = *old
			return nil, errHostedInternal()
		}
	}
	return hostedSuccess(hostedKeyPatched{ID: k.id, Name: k.name, Description: k.description, UpdatedAt: hostedTime(k.updatedAt)}), nil
}

// deleteAPIKey revokes a key at once. The key stays listed (status
// revoked), and revoking it again answers the same, so a retried DELETE is
// harmless. The organisation's only active key cannot be revoked.
func (h *hostedAPI) deleteAPIKey(c *hostedCall) *hostedError {
	body, e := h.commitDelete(c)
	if e != nil {
		return e
	}
	writeJSON(c.w, http.StatusOK, body)
	return nil
}

func (h *hostedAPI) commitDelete(c *hostedCall) ([]byte, *hostedError) {
	s := h.s
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := c.org.keys[c.id]
	switch {
	case k == nil:
		return nil, hostedNotFound("API key")
	case k.revokedAt != nil:
	case k.status(now) == statusActive && activeKeysLocked(c.org, now) == 1:
		return nil, hostedErrorf(http.StatusForbidden, codeForbidden, msgOnlyActiveKey)
	default:
		old := k.clone()
		at := wholeSeconds(now)
		k.revokedAt, k.updatedAt = &at, at
		if err := s.persistLocked(); err != nil {
			*k = *old
			return nil, errHostedInternal()
		}
	}
	return hostedSuccess(hostedKeyRevoked{ID: k.id, Status: statusRevoked, RevokedAt: hostedTime(*k.revokedAt)}), nil
}
