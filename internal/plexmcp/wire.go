package plexmcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the tolerant reading both APIs' wire structs share:
// timestamps, fields that may be null or absent, and the few shapes the
// two APIs spell differently. The wire structs themselves are in
// hosted_wire.go and server_wire.go.

// errMalformed marks an answer the client could not make sense of.
var errMalformed = errors.New("malformed response")

// optTime is a timestamp field that remembers whether it was present, so
// that "null" (never) and "absent" (not reported: read the object back) are
// told apart.
type optTime struct {
	present bool
	t       *time.Time // UTC; nil for null
}

func (o *optTime) UnmarshalJSON(b []byte) error {
	o.present = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.t = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t, err := parseTimestamp(s)
	if err != nil {
		return err
	}
	o.t = &t
	return nil
}

// or returns o if it was present, else alt: for fields with two names.
func (o optTime) or(alt optTime) optTime {
	if o.present {
		return o
	}
	return alt
}

// value returns the time, or the zero time for null or absent.
func (o optTime) value() time.Time {
	if o.t == nil {
		return time.Time{}
	}
	return *o.t
}

// parseTimestamp reads RFC 3339 with any offset and up to nine fractional
// digits, in UTC. It also takes the lower-case t and z that RFC 3339
// allows, and a space between date and time, as a PlexMCP server accepts.
func parseTimestamp(s string) (time.Time, error) {
	b := []byte(strings.TrimSpace(s))
	if len(b) > 10 && (b[10] == 't' || b[10] == ' ') {
		b[10] = 'T'
	}
	if n := len(b); n > 0 && b[n-1] == 'z' {
		b[n-1] = 'Z'
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not RFC 3339", truncate(s, 40))
	}
	return t.UTC(), nil
}

// wireTime renders a timestamp the way both APIs take it: UTC, RFC 3339,
// with the fraction only where there is one.
func wireTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// wireUser is created_by: an object {id, email} on the hosted API, a bare
// user id (or null) on a PlexMCP server.
type wireUser struct {
	user *User
}

func (w *wireUser) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		w.user = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var id string
		if err := json.Unmarshal(b, &id); err != nil {
			return err
		}
		w.user = &User{ID: id}
		return nil
	}
	var o struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	w.user = &User{ID: o.ID, Email: o.Email}
	return nil
}

// wireTools reads a tool list: objects with a name and a description (and
// a schema the client does not need), or bare names.
type wireTools []Tool

func (w *wireTools) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(wireTools, 0, len(raw))
	for _, r := range raw {
		r = bytes.TrimSpace(r)
		if len(r) > 0 && r[0] == '"' {
			var name string
			if err := json.Unmarshal(r, &name); err != nil {
				return err
			}
			out = append(out, Tool{Name: name})
			continue
		}
		var t struct {
			Name        string  `json:"name"`
			Description *string `json:"description"`
		}
		if err := json.Unmarshal(r, &t); err != nil {
			return err
		}
		tool := Tool{Name: t.Name}
		if t.Description != nil {
			tool.Description = *t.Description
		}
		out = append(out, tool)
	}
	*w = out
	return nil
}

// textMessage makes a plain-text error body usable as a message: its first
// line, if it is printable text and not markup, cut to a sensible length.
// Anything else (HTML from a proxy, binary) yields "", as it could hold
// anything.
func textMessage(body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" || !utf8.ValidString(s) || strings.HasPrefix(s, "<") {
		return ""
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	for _, r := range s {
		if r < ' ' && r != '\t' {
			return ""
		}
	}
	return truncate(s, 300)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// derivedStatus is a key's status where the API has no field for it.
func derivedStatus(expiresAt *time.Time, now time.Time) string {
	if expiresAt != nil && !expiresAt.After(now) {
		return StatusExpired
	}
	return StatusActive
}

// dedupe drops repeated ids, keeping the first of each in order.
func dedupe(ids []string) []string {
	if ids == nil {
		return nil
	}
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// checkExpiry refuses an expiry the client cannot send: one that RFC 3339
// cannot write (years past 9999 or before 0), and, where asked, one that is
// not in the future.
func checkExpiry(t *time.Time, now time.Time, mustBeFuture bool) error {
	if t == nil {
		return nil
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return &ConfigError{Setting: "expires_at", Problem: "must be a date between the years 0 and 9999"}
	}
	if mustBeFuture && !t.After(now) {
		return &ConfigError{Setting: "expires_at", Problem: "must be in the future"}
	}
	return nil
}
