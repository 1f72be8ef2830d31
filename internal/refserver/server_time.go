package refserver

import (
	"strconv"
	"time"
)

// A PlexMCP server writes timestamps with the Rust time crate: RFC 3339, a
// fraction only when it is not zero and without trailing zeros, Z for UTC
// and ±hh:mm otherwise. Values it computes carry nanoseconds; values it
// reads back from its database carry microseconds (storedTime).

// serverTime formats t in the time crate's RFC 3339, keeping t's offset.
func serverTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

func serverOptionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := serverTime(t.UTC())
	return &s
}

// parseServerTime reads an expiry the way PlexMCP's server does: RFC 3339
// as the time crate reads it (any offset, any single character between
// date and time, Z or z, a fraction of any length, cut to nanoseconds), or
// else a date alone, YYYY-MM-DD, meaning 23:59:59 UTC that day. The
// result keeps the offset it was written with.
func parseServerTime(s string) (time.Time, bool) {
	if t, ok := parseRFC3339(s); ok {
		return t, true
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, okY := digits(s[0:4])
	m, okM := digits(s[5:7])
	d, okD := digits(s[8:10])
	if !okY || !okM || !okD || !validDate(y, m, d) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), d, 23, 59, 59, 0, time.UTC), true
}

func parseRFC3339(s string) (time.Time, bool) {
	// YYYY-MM-DD?hh:mm:ss: 19 bytes, then an optional fraction, then the
	// offset.
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	h, ok4 := digits(s[11:13])
	mi, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !validDate(y, mo, d) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest, nanos := s[19:], 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 {
			return time.Time{}, false
		}
		frac := rest[1:n] + "000000000"
		nanos, _ = strconv.Atoi(frac[:9])
		rest = rest[n:]
	}
	var loc *time.Location
	switch {
	case rest == "Z" || rest == "z":
		loc = time.UTC
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okH := digits(rest[1:3])
		om, okM := digits(rest[4:6])
		if !okH || !okM || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset := oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
		loc = time.FixedZone("", offset)
	default:
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, nanos, loc), true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func validDate(y, m, d int) bool {
	return m >= 1 && m <= 12 && d >= 1 && d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// inTimeRange reports whether the time crate can write t: years 0 to 9999.
func inTimeRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}
