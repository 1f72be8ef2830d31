package refserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	maxNameLen        = 100
	maxDescriptionLen = 500
	maxExpiresInDays  = 3650
)

var (
	createFields = []string{"name", "description", "mode", "permissions", "expires_at", "expires_in_days"}
	// immutableFields may appear in a PATCH body only to be refused by name,
	// which tells a client exactly what forces a replacement.
	immutableFields = []string{"mode", "expires_at", "expires_in_days"}
	patchFields     = append([]string{"name", "description", "permissions"}, immutableFields...)
)

func errInternal() *apiError {
	return errorf(http.StatusInternalServerError, codeInternal, "Internal server error")
}

// createAPIKey mints an access key. With an Idempotency-Key it first claims
// the key's record, so that a retry of a create whose answer was lost gets
// the same key back instead of a second one.
func (s *Server) createAPIKey(c *call) *apiError {
	obj, e := decodeObject(c.body, "", createFields...)
	if e != nil {
		return e
	}
	idemKey, e := idempotencyKey(c.r)
	if e != nil {
		return e
	}
	o := c.who.org
	var rec *idemRecord
	if idemKey != "" {
		s.mu.Lock()
		r, outcome := s.beginIdempotentLocked(o, idemKey, c.body)
		status, response := r.status, r.response
		s.mu.Unlock()
		switch outcome {
		case idemInFlight:
			return errorf(http.StatusConflict, codeConflict, "A request with this Idempotency-Key is still in progress; retry shortly")
		case idemMismatch:
			return errorf(http.StatusUnprocessableEntity, codeIdempotencyMismatch, "This Idempotency-Key was already used with a different request body")
		case idemReplay:
			if c.dropResponse {
				panic(http.ErrAbortHandler)
			}
			c.w.Header().Set("Idempotent-Replayed", "true")
			writeRaw(c.w, status, response)
			return nil
		}
		rec = r
		// Whatever happens below, including a panic, a record must not stay
		// in flight, or every retry would be a 409 for a day.
		defer func() {
			s.mu.Lock()
			if rec.inFlight {
				abandonIdempotentLocked(o, idemKey, rec)
			}
			s.mu.Unlock()
		}()
	}
	if hook := s.beforeCreateHook.Load(); hook != nil {
		(*hook)()
	}
	response, e := s.commitCreate(o, obj, idemKey, rec)
	if e != nil {
		return e
	}
	if c.dropResponse {
		panic(http.ErrAbortHandler)
	}
	writeRaw(c.w, http.StatusCreated, response)
	return nil
}

// commitCreate validates, stores and persists the key, and completes the
// idempotency record, all under one lock: a record is complete exactly
// when the key is durable.
func (s *Server) commitCreate(o *org, obj jsonObject, idemKey string, rec *idemRecord) ([]byte, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(e *apiError) ([]byte, *apiError) {
		if rec != nil {
			abandonIdempotentLocked(o, idemKey, rec)
		}
		return nil, e
	}
	now := s.Now()
	k := &apiKey{orgID: o.id, mode: modeLive, createdAt: wallTime(now)}
	if !obj.has("name") {
		return fail(fieldError("name", "name is required"))
	}
	if e := s.applyEditableLocked(k, o, obj); e != nil {
		return fail(e)
	}
	if !obj.has("permissions") {
		return fail(fieldError("permissions", `permissions is required: {"mcps":"*"} or {"mcps":["mcp_…"]}`))
	}
	if raw, ok := obj["mode"]; ok && !isNull(raw) {
		mode, e := stringField(raw, "mode")
		if e != nil {
			return fail(e)
		}
		if mode != modeLive && mode != modeTest {
			return fail(fieldError("mode", `mode must be "live" or "test"`))
		}
		k.mode = mode
	}
	expiresAt, e := expiry(obj, now)
	if e != nil {
		return fail(e)
	}
	k.expiresAt = expiresAt

	secret := mintKey(k.mode)
	k.id = newID("key_")
	k.digest = keyDigest(secret)
	k.prefix = secret[:keyPrefixLen]
	o.keys[k.id] = k
	s.byDigest[k.digest] = k
	if err := s.persistLocked(); err != nil {
		delete(o.keys, k.id)
		delete(s.byDigest, k.digest)
		return fail(errInternal())
	}
	j := k.json(now)
	j.Key = secret
	response := successBody(j)
	if rec != nil {
		rec.inFlight, rec.status, rec.response = false, http.StatusCreated, response
	}
	return response, nil
}

// applyEditableLocked validates and applies the fields that both create and
// PATCH accept, in the order a person reads the object.
func (s *Server) applyEditableLocked(k *apiKey, o *org, obj jsonObject) *apiError {
	if raw, ok := obj["name"]; ok {
		name, e := stringField(raw, "name")
		if e != nil {
			return e
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(name)); n < 1 || n > maxNameLen {
			return fieldError("name", "name must be 1 to %d characters after trimming whitespace", maxNameLen)
		}
		k.name = name
	}
	if raw, ok := obj["description"]; ok {
		desc := ""
		if !isNull(raw) { // null clears, like an empty string
			var e *apiError
			if desc, e = stringField(raw, "description"); e != nil {
				return e
			}
		}
		if utf8.RuneCountInString(desc) > maxDescriptionLen {
			return fieldError("description", "description must be at most %d characters", maxDescriptionLen)
		}
		k.description = desc
	}
	if raw, ok := obj["permissions"]; ok {
		all, ids, e := permissions(o, raw)
		if e != nil {
			return e
		}
		k.allMCPs, k.mcpIDs = all, ids
	}
	return nil
}

// permissions parses {"mcps":"*"} or {"mcps":[ids]}. Ids must belong to the
// organisation; another organisation's id is as unknown as a made-up one.
// Duplicates are dropped, first occurrence kept, so the answer is a set in
// the caller's order.
func permissions(o *org, raw json.RawMessage) (bool, []string, *apiError) {
	const field = "permissions"
	usage := `permissions must be {"mcps":"*"} or {"mcps":["mcp_…", …]}`
	if isNull(raw) {
		return false, nil, fieldError(field, "%s", usage)
	}
	obj, e := decodeObject(raw, field+".", "mcps")
	if e != nil {
		return false, nil, e
	}
	mcps, ok := obj["mcps"]
	if !ok || isNull(mcps) {
		return false, nil, fieldError(field, "%s", usage)
	}
	var all string
	if err := json.Unmarshal(mcps, &all); err == nil {
		if all != "*" {
			return false, nil, fieldError(field, "%s", usage)
		}
		return true, nil, nil
	}
	var ids []string
	if err := json.Unmarshal(mcps, &ids); err != nil {
		return false, nil, fieldError(field, "%s", usage)
	}
	if len(ids) == 0 {
		return false, nil, fieldError(field, `permissions.mcps must list at least one MCP id; use "*" for all`)
	}
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if o.mcp(id) == nil {
			return false, nil, fieldError(field, "permissions name an unknown MCP %q", id).with("value", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return false, out, nil
}

// expiry reads at most one of expires_at and expires_in_days; null is the
// same as absent. The result is in UTC, whole seconds, after now.
func expiry(obj jsonObject, now time.Time) (*time.Time, *apiError) {
	atRaw, atSet := obj["expires_at"]
	atSet = atSet && !isNull(atRaw)
	daysRaw, daysSet := obj["expires_in_days"]
	daysSet = daysSet && !isNull(daysRaw)
	switch {
	case atSet && daysSet:
		return nil, fieldError("expires_in_days", "set at most one of expires_at and expires_in_days")
	case atSet:
		str, e := stringField(atRaw, "expires_at")
		if e != nil {
			return nil, e
		}
		t, err := time.Parse(time.RFC3339, str)
		if err != nil {
			return nil, fieldError("expires_at", "expires_at must be an RFC 3339 timestamp such as 2027-01-01T00:00:00Z")
		}
		t = wallTime(t)
		if !t.After(now) {
			return nil, fieldError("expires_at", "expires_at must be in the future (server time %s)", formatTime(now))
		}
		return &t, nil
	case daysSet:
		dec := json.NewDecoder(bytes.NewReader(daysRaw))
		dec.UseNumber()
		var v any
		_ = dec.Decode(&v)
		n, ok := v.(json.Number)
		days, err := strconv.ParseInt(string(n), 10, 64)
		if !ok || err != nil || days < 1 || days > maxExpiresInDays {
			return nil, fieldError("expires_in_days", "expires_in_days must be a whole number from 1 to %d", maxExpiresInDays)
		}
		t := wallTime(now.Add(time.Duration(days) * 24 * time.Hour))
		return &t, nil
	}
	return nil, nil
}

func (s *Server) listAPIKeys(c *call) *apiError {
	q := c.r.URL.Query()
	p, e := parsePage(q)
	if e != nil {
		return e
	}
	status, e := statusFilter(q, statusActive, statusExpired, statusRevoked)
	if e != nil {
		return e
	}
	now := s.Now()
	s.mu.Lock()
	items := []apiKeyJSON{}
	for _, k := range c.who.org.sortedKeys() {
		if status == "" || k.status(now) == status {
			items = append(items, k.json(now))
		}
	}
	s.mu.Unlock()
	writeList(c.w, items, p)
	return nil
}

func (s *Server) getAPIKey(c *call) *apiError {
	now := s.Now()
	s.mu.Lock()
	k := c.who.org.keys[c.r.PathValue("id")]
	if k == nil {
		s.mu.Unlock()
		return notFound("API key")
	}
	body := successBody(k.json(now))
	s.mu.Unlock()
	writeRaw(c.w, http.StatusOK, body)
	return nil
}

// patchAPIKey changes name, description or permissions. The checks run in
// the contract's order: fields that can never change, then existence, then
// revocation, then the values.
func (s *Server) patchAPIKey(c *call) *apiError {
	obj, e := decodeObject(c.body, "", patchFields...)
	if e != nil {
		return e
	}
	for _, f := range immutableFields {
		if obj.has(f) {
			return fieldError(f, "%s cannot be changed; create a new key instead", f)
		}
	}
	now := s.Now()
	s.mu.Lock()
	body, e := func() ([]byte, *apiError) {
		o := c.who.org
		k := o.keys[c.r.PathValue("id")]
		if k == nil {
			return nil, notFound("API key")
		}
		if k.revokedAt != nil {
			return nil, errorf(http.StatusConflict, codeConflict, "API key is revoked and cannot be changed")
		}
		updated := k.clone()
		if e := s.applyEditableLocked(updated, o, obj); e != nil {
			return nil, e
		}
		old := k.clone()
		*k = *updated
		if err := s.persistLocked(); err != nil {
			*k = *old
			return nil, errInternal()
		}
		return successBody(k.json(now)), nil
	}()
	s.mu.Unlock()
	if e != nil {
		return e
	}
	writeRaw(c.w, http.StatusOK, body)
	return nil
}

// deleteAPIKey revokes a key. The key stays listed (status revoked), and
// revoking it again is a success, so a retried DELETE is harmless.
func (s *Server) deleteAPIKey(c *call) *apiError {
	now := s.Now()
	s.mu.Lock()
	e := func() *apiError {
		k := c.who.org.keys[c.r.PathValue("id")]
		if k == nil {
			return notFound("API key")
		}
		if k.revokedAt != nil {
			return nil
		}
		at := wallTime(now)
		k.revokedAt = &at
		if err := s.persistLocked(); err != nil {
			k.revokedAt = nil
			return errInternal()
		}
		return nil
	}()
	s.mu.Unlock()
	if e != nil {
		return e
	}
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
