package plexmcp

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Key formats PlexMCP has documented.
const (
	// keyPrefixV01 starts today's keys: pmcp_ (PlexMCP) and format version
	// 01, then 80 lowercase hexadecimal characters.
	keyPrefixV01 = "pmcp_01"
	keyLenV01    = 87
	// keyPrefixAny starts any pmcp_ key, including versions to come.
	keyPrefixAny = "pmcp_"
	// The hosted API's older keys, which users may still hold.
	keyPrefixLive = "pk_live_"
	keyPrefixTest = "pk_test_"
)

// schemeWords are what users paste in front of a key when they copy a
// whole header, compared without case and without a trailing colon.
var schemeWords = map[string]string{
	"apikey":        "ApiKey",
	"bearer":        "Bearer",
	"authorization": "Authorization:",
	"x-api-key":     "X-API-Key:",
	"token":         "Token",
	"basic":         "Basic",
}

// CheckAPIKey is the one offline check of a key's shape. It refuses an
// empty key; whitespace or control characters (saying which, since
// leading or trailing whitespace is usually the newline of a copied key);
// a scheme word pasted in front ("ApiKey ", "Bearer "); a pmcp_01 key that
// is not exactly 87 characters with lowercase hexadecimal after pmcp_01
// (an incompletely copied key, the most common cause of a 401); a
// pk_live_/pk_test_ key for a PlexMCP server, whose keys are pmcp_01 only;
// and anything that is no PlexMCP key at all. Other pmcp_ versions are
// accepted as they are, and pk_live_/pk_test_ keys for the hosted API and
// for api "" (not known yet).
//
// The error is a *ConfigError for "api_key" and never contains the key.
func CheckAPIKey(key string, api API) error {
	problem := keyProblem(key, api)
	if problem == "" {
		return nil
	}
	return &ConfigError{Setting: "api_key", Problem: problem}
}

func keyProblem(key string, api API) string {
	if key == "" {
		return "is empty"
	}
	if fields := strings.Fields(key); len(fields) > 1 {
		if word, ok := schemeWords[strings.ToLower(strings.TrimSuffix(fields[0], ":"))]; ok {
			return fmt.Sprintf("starts with %q, which belongs to the HTTP header, not to the key; set only the key itself (pmcp_…)", word)
		}
	}
	if strings.TrimSpace(key) == "" {
		return "is only whitespace"
	}
	if strings.TrimSpace(key) != key {
		return "has leading or trailing whitespace, usually the newline copied with the key or read from a file; remove it"
	}
	for i, r := range key {
		switch {
		case r == utf8.RuneError:
			return "is not valid UTF-8 text"
		case unicode.IsSpace(r):
			return fmt.Sprintf("contains whitespace (at byte %d); a PlexMCP key has none", i+1)
		case unicode.IsControl(r):
			return fmt.Sprintf("contains a control character (at byte %d); a PlexMCP key has none", i+1)
		}
	}
	if len(key) >= 2 && strings.ContainsRune(`"'`+"`", rune(key[0])) && key[len(key)-1] == key[0] {
		return "is wrapped in quotes; set only the key itself"
	}
	switch {
	case strings.HasPrefix(key, keyPrefixV01):
		return v01Problem(key)
	case strings.HasPrefix(key, keyPrefixAny):
		if len(key) == len(keyPrefixAny) {
			return "is only the prefix pmcp_, not a whole key"
		}
		return ""
	case strings.HasPrefix(key, keyPrefixLive) || strings.HasPrefix(key, keyPrefixTest):
		if api == APIServer {
			return "is a pk_live_/pk_test_ key, which only PlexMCP's hosted API issued; a PlexMCP server's keys start with pmcp_01"
		}
		if len(key) == len(keyPrefixLive) {
			return "is only the prefix " + key + ", not a whole key"
		}
		return ""
	}
	if api == APIServer {
		return "does not look like a PlexMCP key: a PlexMCP server's keys start with pmcp_01"
	}
	return "does not look like a PlexMCP key: they start with pmcp_ (or, for older hosted keys, pk_live_ or pk_test_)"
}

// v01Problem checks a key that starts with pmcp_01.
func v01Problem(key string) string {
	for i := len(keyPrefixV01); i < len(key); i++ {
		c := key[i]
		if (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') {
			continue
		}
		if c >= 'A' && c <= 'F' {
			return fmt.Sprintf("has an uppercase letter at character %d; a pmcp_01 key is pmcp_01 and 80 lowercase hexadecimal characters, and keys are case-sensitive", i+1)
		}
		return fmt.Sprintf("has a character that is not hexadecimal at character %d; a pmcp_01 key is pmcp_01 and 80 lowercase hexadecimal characters", i+1)
	}
	switch n := len(key); {
	case n < keyLenV01:
		return fmt.Sprintf("is %d characters long, but a pmcp_01 key has exactly %d: it was probably copied incompletely", n, keyLenV01)
	case n > keyLenV01:
		return fmt.Sprintf("is %d characters long, but a pmcp_01 key has exactly %d: something was copied along with it", n, keyLenV01)
	}
	return ""
}

// LooksLikeKey reports whether s is shaped like a PlexMCP API key
// (pmcp_…, pk_live_…, pk_test_…), even with a scheme word, quotes or
// whitespace around it. The provider uses it to refuse a secret pasted
// where an id belongs.
func LooksLikeKey(s string) bool {
	for _, f := range strings.Fields(s) {
		f = strings.Trim(f, `"'`+"`")
		for _, p := range []string{keyPrefixAny, keyPrefixLive, keyPrefixTest} {
			if strings.HasPrefix(f, p) && len(f) > len(p) {
				return true
			}
		}
	}
	return false
}
