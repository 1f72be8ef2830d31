package refserver

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The request structs of a PlexMCP server's key handlers, as serde reads
// them. Unknown fields are ignored.
var (
	createKeyRequest = sjStruct{name: "CreateApiKeyRequest", fields: []sjField{
		{name: "name", typ: sjTString},
		{name: "scopes", typ: sjTVecString, optional: true},
		{name: "rate_limit_rpm", typ: sjTOptI32, optional: true},
		{name: "expires_in_days", typ: sjTOptI32, optional: true},
		{name: "expires_at", typ: sjTOptString, optional: true},
		{name: "pin", typ: sjTOptString, optional: true},
		{name: "mcp_access_mode", typ: sjTString, optional: true},
		{name: "allowed_mcp_ids", typ: sjTOptUUIDs, optional: true},
	}}
	updateKeyRequest = sjStruct{name: "UpdateApiKeyRequest", fields: []sjField{
		{name: "name", typ: sjTOptString, optional: true},
		{name: "scopes", typ: sjTOptVecString, optional: true},
		{name: "rate_limit_rpm", typ: sjTOptI32, optional: true},
		{name: "mcp_access_mode", typ: sjTOptString, optional: true},
		{name: "allowed_mcp_ids", typ: sjTOptUUIDs, optional: true},
		{name: "expires_at", typ: sjTOptString, optional: true},
	}}
	revealRequest = sjStruct{name: "VerifyPinRequest", fields: []sjField{{name: "pin", typ: sjTString}}}
)

// A PlexMCP server's messages for bad values (shape B, 400).
const (
	msgKeyName         = "API key name must be between 1 and 100 characters"
	msgRateLimitRange  = "Rate limit must be between 1 and 10000 requests per minute"
	msgAccessMode      = "mcp_access_mode must be 'all', 'selected', or 'none'"
	msgExpiryFormat    = "Invalid expiration date format. Use ISO 8601 (e.g., 2025-12-31T23:59:59Z or 2025-12-31)"
	msgExpiryInPast    = "Expiration date must be in the future"
	msgPINNeedsUser    = "User ID required for PIN encryption"
	msgNoPINForUser    = "No PIN set for this user"
	msgNoPINForReveal  = "No PIN set. Set a PIN first to reveal keys."
	msgPINLength       = "PIN must be exactly 4 digits"
	msgPINDigits       = "PIN must contain only numeric digits"
	msgExpiryOutOfYear = "expires_in_days puts the expiration outside the years 0000 to 9999"
)

// maxServerNameBytes is a key name's limit, in bytes.
const maxServerNameBytes = 100

func checkKeyName(name string) *serverError {
	// The real server trims to test emptiness but counts the untrimmed
	// string's bytes.
	if strings.TrimSpace(name) == "" || len(name) > maxServerNameBytes {
		return serverValidation(msgKeyName)
	}
	return nil
}

func checkRateLimit(rpm int32) *serverError {
	if rpm < 1 || rpm > 10000 {
		return serverValidation(msgRateLimitRange)
	}
	return nil
}

func checkAccessMode(mode string) *serverError {
	if mode != accessAll && mode != accessSelected && mode != accessNone {
		return serverValidation(msgAccessMode)
	}
	return nil
}

// checkPIN is the PIN's format, checked before anything is looked up.
func checkPIN(pin string) *serverError {
	switch {
	case len(pin) != 4:
		return serverValidation(msgPINLength)
	case strings.Trim(pin, "0123456789") != "":
		return serverValidation(msgPINDigits)
	}
	return nil
}

// keyOf finds the caller's organisation's key by the path's id. The caller
// holds s.mu.
func (c *serverCall) keyOf() (*apiKey, *serverError) {
	if k := c.org.keys[c.id]; k != nil {
		return k, nil
	}
	return nil, errServerNotFound
}

func (h *serverAPI) listAPIKeys(c *serverCall) *serverError {
	list := serverKeyList{APIKeys: []serverKeySummary{}}
	if c.key == nil { // only an owner sees the list; for an API key it is always empty
		h.s.mu.Lock()
		keys := c.org.keysByCreation()
		slices.SortStableFunc(keys, func(a, b *apiKey) int { // newest first
			return cmp.Or(b.createdAt.Compare(a.createdAt), cmp.Compare(b.id, a.id))
		})
		for _, k := range keys {
			list.APIKeys = append(list.APIKeys, k.serverSummary())
		}
		h.s.mu.Unlock()
	}
	list.Total = len(list.APIKeys)
	writeJSONBody(c.w, http.StatusOK, encodeJSON(list))
	return nil
}

func (h *serverAPI) getAPIKey(c *serverCall) *serverError {
	h.s.mu.Lock()
	k, e := c.keyOf()
	var body []byte
	if e == nil {
		body = encodeJSON(k.serverDetail())
	}
	h.s.mu.Unlock()
	if e != nil {
		return e
	}
	writeJSONBody(c.w, http.StatusOK, body)
	return nil
}

// createAPIKey checks in the real server's order: name, rate limit, quota
// (402), the expiry (never an error, except a huge expires_in_days, which
// the real server crashes on), access mode, PIN; then stores the key.
func (h *serverAPI) createAPIKey(c *serverCall) *serverError {
	s := h.s
	name, _ := c.body.str("name")
	if e := checkKeyName(name); e != nil {
		return e
	}
	rpm := int32(defaultRateLimitRPM)
	if v, ok := c.body["rate_limit_rpm"].(int32); ok {
		rpm = v
	}
	if e := checkRateLimit(rpm); e != nil {
		return e
	}
	now := s.Now()
	s.mu.Lock()
	body, e := func() ([]byte, *serverError) {
		defer s.mu.Unlock()
		if s.keyQuota > 0 && len(c.org.keys) >= s.keyQuota {
			return nil, &serverError{http.StatusPaymentRequired, "QUOTA_EXCEEDED",
				fmt.Sprintf("Maximum %d API keys allowed. Contact support to increase your limit.", s.keyQuota)}
		}
		secret := mintKey(s.hmacSecret)
		expiresAt, e := createExpiry(c.body, now)
		if e != nil {
			return nil, e
		}
		mode := accessAll
		if v, ok := c.body.str("mcp_access_mode"); ok {
			mode = v
		}
		if e := checkAccessMode(mode); e != nil {
			return nil, e
		}
		if pin, ok := c.body.str("pin"); ok {
			if c.owner == "" {
				return nil, serverValidation(msgPINNeedsUser)
			}
			if e := checkPIN(pin); e != nil {
				return nil, e
			}
			return nil, serverValidation(msgNoPINForUser) // nobody has set a PIN here
		}
		scopes, ok := c.body["scopes"].([]string)
		if !ok {
			scopes = []string{}
		}
		allowed, _ := c.body["allowed_mcp_ids"].([]string)
		k := &apiKey{
			id: s.newKeyID(), orgID: c.org.def.id, name: strings.TrimSpace(name), digest: keyDigest(secret), prefix: s.prefixOf(secret),
			accessMode: mode, allowedMCPIDs: allowed, scopes: scopes, rateLimitRPM: int(rpm), createdBy: c.owner,
			createdAt: storedTime(now), issuedAt: now, daily: dailyCounts{},
		}
		if expiresAt != nil {
			stored := storedTime(*expiresAt)
			k.expiresAt = &stored
		}
		s.addKeyLocked(c.org, k)
		if err := s.persistLocked(); err != nil {
			s.removeKeyLocked(c.org, k)
			return nil, errServerDatabase
		}
		var exp *string
		if expiresAt != nil {
			e := serverTime(*expiresAt) // as parsed: the caller's offset and fraction
			exp = &e
		}
		return encodeJSON(serverKeyCreated{
			ID: k.id, Name: k.name, Key: secret, KeyPrefix: k.prefix, Scopes: scopes, RateLimitRPM: k.rateLimitRPM,
			ExpiresAt: exp, CreatedAt: serverTime(s.Now().UTC()), // the clock after the insert, not the stored value
		}), nil
	}()
	if e != nil {
		return e
	}
	if c.dropResponse {
		panic(http.ErrAbortHandler)
	}
	writeJSONBody(c.w, http.StatusCreated, body)
	return nil
}

// createExpiry is the real server's: a string expires_at wins (an
// unparsable one, even "", means no expiry), else expires_in_days from
// now. Unlike the real server, which crashes, an expires_in_days that
// leaves the years 0 to 9999 is refused.
func createExpiry(body sjDecoded, now time.Time) (*time.Time, *serverError) {
	if s, ok := body.str("expires_at"); ok {
		if t, ok := parseServerTime(s); ok {
			return &t, nil
		}
		return nil, nil
	}
	days, ok := body["expires_in_days"].(int32)
	if !ok {
		return nil, nil
	}
	t := now.UTC().AddDate(0, 0, int(days))
	if !inTimeRange(t) {
		return nil, serverValidation(msgExpiryOutOfYear)
	}
	return &t, nil
}

// patchAPIKey commits each field on its own, in the real server's order
// (name, scopes, rate_limit_rpm, mcp_access_mode, allowed_mcp_ids,
// expires_at): a bad value answers 400 after the fields before it were
// changed. null leaves a field as it is; allowed_mcp_ids cannot go back to
// null.
func (h *serverAPI) patchAPIKey(c *serverCall) *serverError {
	s := h.s
	now := s.Now()
	s.mu.Lock()
	body, e := func() ([]byte, *serverError) {
		defer s.mu.Unlock()
		k, e := c.keyOf()
		if e != nil {
			return nil, e
		}
		steps := []func() (bool, *serverError){
			func() (bool, *serverError) {
				name, ok := c.body.str("name")
				if !ok {
					return false, nil
				}
				if e := checkKeyName(name); e != nil {
					return false, e
				}
				k.name = strings.TrimSpace(name)
				return true, nil
			},
			func() (bool, *serverError) {
				scopes, ok := c.body["scopes"].([]string)
				if ok {
					k.scopes = scopes
				}
				return ok, nil
			},
			func() (bool, *serverError) {
				rpm, ok := c.body["rate_limit_rpm"].(int32)
				if !ok {
					return false, nil
				}
				if e := checkRateLimit(rpm); e != nil {
					return false, e
				}
				k.rateLimitRPM = int(rpm)
				return true, nil
			},
			func() (bool, *serverError) {
				mode, ok := c.body.str("mcp_access_mode")
				if !ok {
					return false, nil
				}
				if e := checkAccessMode(mode); e != nil {
					return false, e
				}
				k.accessMode = mode
				return true, nil
			},
			func() (bool, *serverError) {
				ids, ok := c.body["allowed_mcp_ids"].([]string)
				if ok {
					k.allowedMCPIDs = ids
				}
				return ok, nil
			},
			func() (bool, *serverError) {
				raw, ok := c.body.str("expires_at")
				if !ok {
					return false, nil
				}
				if raw == "" {
					k.expiresAt = nil
					return true, nil
				}
				t, ok := parseServerTime(raw)
				switch {
				case !ok:
					return false, serverValidation(msgExpiryFormat)
				case !t.After(now):
					return false, serverValidation(msgExpiryInPast)
				}
				stored := storedTime(t)
				k.expiresAt = &stored
				return true, nil
			},
		}
		for _, step := range steps {
			old := k.clone()
			changed, e := step()
			if e != nil {
				return nil, e
			}
			if changed {
				if err := s.persistLocked(); err != nil {
					*k = *old
					return nil, errServerDatabase
				}
			}
		}
		return encodeJSON(k.serverDetail()), nil
	}()
	if e != nil {
		return e
	}
	writeJSONBody(c.w, http.StatusOK, body)
	return nil
}

// deleteAPIKey deletes a key outright: a second DELETE is 404.
func (h *serverAPI) deleteAPIKey(c *serverCall) *serverError {
	s := h.s
	s.mu.Lock()
	e := func() *serverError {
		defer s.mu.Unlock()
		k, e := c.keyOf()
		if e != nil {
			return e
		}
		s.removeKeyLocked(c.org, k)
		if err := s.persistLocked(); err != nil {
			s.addKeyLocked(c.org, k)
			return errServerDatabase
		}
		return nil
	}()
	if e != nil {
		return e
	}
	writeEmpty(c.w, http.StatusNoContent)
	return nil
}

// rotateAPIKey gives a key a new secret under the same id; its request
// count starts again and the old secret fails at once. The body, optional
// on the real server, is ignored.
func (h *serverAPI) rotateAPIKey(c *serverCall) *serverError {
	s := h.s
	now := s.Now()
	s.mu.Lock()
	body, e := func() ([]byte, *serverError) {
		defer s.mu.Unlock()
		k, e := c.keyOf()
		if e != nil {
			return nil, e
		}
		old := k.clone()
		secret := mintKey(s.hmacSecret)
		delete(s.byDigest, k.digest)
		k.digest, k.prefix, k.requestCount, k.issuedAt = keyDigest(secret), s.prefixOf(secret), 0, now
		s.byDigest[k.digest] = k
		if err := s.persistLocked(); err != nil {
			delete(s.byDigest, k.digest)
			*k = *old
			s.byDigest[k.digest] = k
			return nil, errServerDatabase
		}
		return encodeJSON(serverKeyRotated{ID: k.id, Name: k.name, Key: secret, KeyPrefix: k.prefix, OldKeyPrefix: old.prefix,
			RotatedAt: serverTime(now.UTC())}), nil
	}()
	if e != nil {
		return e
	}
	writeJSONBody(c.w, http.StatusOK, body)
	return nil
}

// keyUsage answers the key's request count. The period figures come from
// billing records, which a PlexMCP server without billing never writes: 0,
// and no average latency.
func (h *serverAPI) keyUsage(c *serverCall) *serverError {
	now := h.s.Now().UTC()
	h.s.mu.Lock()
	k, e := c.keyOf()
	var u serverKeyUsage
	if e == nil {
		u = serverKeyUsage{KeyID: k.id, TotalRequests: k.requestCount, PeriodStart: serverTime(periodStart(now)), PeriodEnd: serverTime(now)}
	}
	h.s.mu.Unlock()
	if e != nil {
		return e
	}
	writeJSONBody(c.w, http.StatusOK, encodeJSON(u))
	return nil
}

// revealAPIKey needs a user with a PIN. An API key is no user: 401. The
// owner has set no PIN here.
func (h *serverAPI) revealAPIKey(c *serverCall) *serverError {
	if c.owner == "" {
		return errServerUnauthorized
	}
	pin, _ := c.body.str("pin")
	if e := checkPIN(pin); e != nil {
		return e
	}
	return serverValidation(msgNoPINForReveal)
}
