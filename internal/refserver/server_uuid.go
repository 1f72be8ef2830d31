package refserver

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// parseUUID reads a UUID the way PlexMCP's server does (the Rust uuid
// crate): 32 hex digits, or hyphenated (36), in braces (38) or after
// "urn:uuid:" (45), hex in either case. It returns the UUID lowercased and
// hyphenated, or the crate's words for what is wrong.
func parseUUID(s string) (string, string) {
	inner, ok := "", false
	switch {
	case len(s) == 32:
		inner, ok = s, isHex(s)
	case len(s) == 36:
		inner, ok = s, hyphenated(s)
	case len(s) == 38 && s[0] == '{' && s[37] == '}':
		inner, ok = s[1:37], hyphenated(s[1:37])
	case len(s) == 45 && strings.HasPrefix(s, "urn:uuid:"):
		inner, ok = s[9:], hyphenated(s[9:])
	}
	if ok {
		h := strings.ToLower(strings.ReplaceAll(inner, "-", ""))
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], ""
	}
	return "", uuidError(s)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return false
		}
	}
	return true
}

// hyphenated checks the 8-4-4-4-12 form.
func hyphenated(s string) bool {
	for i := 0; i < len(s); i++ {
		dash := i == 8 || i == 13 || i == 18 || i == 23
		if dash != (s[i] == '-') || !dash && !isHex(s[i:i+1]) {
			return false
		}
	}
	return true
}

// uuidError explains why s is not a UUID in the uuid crate's words: the
// first character that cannot be in one (and its 1-based position), else
// the wrong length, the wrong number of groups, or the first group of the
// wrong length.
func uuidError(s string) string {
	body, offset, simple := s, 0, true
	switch {
	case len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}':
		body, offset, simple = s[1:len(s)-1], 1, false
	case strings.HasPrefix(s, "urn:uuid:"):
		body, offset, simple = s[9:], 9, false
	}
	hyphens := 0
	var bounds [4]int
	for i, r := range body {
		switch {
		case r >= utf8.RuneSelf || r != '-' && !isHex(string(r)):
			return fmt.Sprintf("invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `%c` at %d", r, i+offset+1)
		case r == '-':
			if hyphens < 4 {
				bounds[hyphens] = i
			}
			hyphens++
		}
	}
	switch {
	case hyphens == 0 && simple:
		return fmt.Sprintf("invalid length: expected length 32 for simple format, found %d", len(s))
	case hyphens != 4:
		return fmt.Sprintf("invalid group count: expected 5, found %d", hyphens+1)
	}
	starts := [5]int{0, 9, 14, 19, 24}
	lengths := [5]int{8, 4, 4, 4, 12}
	for i := range 4 {
		if bounds[i] != starts[i+1]-1 {
			return fmt.Sprintf("invalid group length in group %d: expected %d, found %d", i, lengths[i], bounds[i]-starts[i])
		}
	}
	return fmt.Sprintf("invalid group length in group 4: expected 12, found %d", len(body)-starts[4])
}
