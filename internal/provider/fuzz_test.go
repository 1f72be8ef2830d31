package provider

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzAPIKeyFormat checks the offline rule for the provider's api_key
// against the API contract: a key is pk_live_ or pk_test_, then at least one
// more character, and no whitespace or control character anywhere (neither
// can travel in an Authorization header). The plan-time validator and
// Configure both use checkAPIKeyFormat, so whatever it accepts goes on to the
// API client, which refuses any Unicode whitespace or control character; the
// two must agree, or a key passes validate and plan and only fails when the
// provider is configured, with a vaguer message. The problem text is shown
// to the user and so must never quote the key.
func FuzzAPIKeyFormat(f *testing.F) {
	for _, seed := range []string{
		// Well-formed, shaped like real keys (fake: 32 base62 characters
		// and a 6-character checksum).
		"pk_live_0123456789abcdefghijABCDEFGHIJ0a1B2c",
		"pk_test_ZYXWVUTSRQponmlkjihg9876543210Zz9Y8x",
		"pk_live_x",
		// Near misses.
		"",
		"pk_live_",
		"pk_test_",
		"pk_live",
		"pk_prod_0123456789abcdefghijABCDEFGHIJ0a1B2c",
		"PK_LIVE_0123456789abcdefghijABCDEFGHIJ0a1B2c",
		"sk_live_0123456789abcdefghijABCDEFGHIJ0a1B2c",
		"pk-live-0123456789abcdefghijABCDEFGHIJ0a1B2c",
		" pk_live_0123456789abcdefghijABCDEFGHIJ0a1B2c",
		"pk_live_0123456789abcdefghijABCDEFGHIJ0a1B2c\n",
		"pk_live_0123456789abcdefghijABCDEFGHIJ0a1B2c\r\n",
		"pk_live_0123456789abcdefghij ABCDEFGHIJ0a1B2c",
		"pk_live_0123456789abcdefghij\tABCDEFGHIJ0a1B2c",
		"Bearer pk_live_0123456789abcdefghijABCDEFGHIJ0a1B2c",
		"bearer pk_test_ZYXWVUTSRQponmlkjihg9876543210Zz9Y8x",
		"Bearerpk_live_0123456789abcdefghijABCDEFGHIJ0a1B2c",
		"pk_live_0123456789abcdefghijABCDEFGHIJ0a1B2c pk_live_0123456789abcdefghijABCDEFGHIJ0a1B2c",
		"pk_test_\xff\xfe",
		"pk_live_ü",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		problem := checkAPIKeyFormat(key)

		wellFormed := (strings.HasPrefix(key, "pk_live_") || strings.HasPrefix(key, "pk_test_")) &&
			len(key) > len("pk_live_") &&
			!strings.ContainsFunc(key, unicode.IsSpace) &&
			!strings.ContainsFunc(key, unicode.IsControl)
		switch {
		case wellFormed && problem != "":
			t.Errorf("checkAPIKeyFormat(%q) refuses a well-formed key: %q", key, problem)
		case !wellFormed && problem == "":
			t.Errorf("checkAPIKeyFormat(%q) accepts a key the contract (and the API client) refuse", key)
		}

		// Anything shorter than a key_prefix (12 characters, which the API
		// publishes) is no secret and may be a word of the message.
		if len(key) >= 12 && strings.Contains(problem, key) {
			t.Errorf("the problem %q quotes the key", problem)
		}
		if strings.Count(problem, "\n") > 0 {
			t.Errorf("the problem %q spans lines", problem)
		}
	})
}
