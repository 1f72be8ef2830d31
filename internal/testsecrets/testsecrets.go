// Package testsecrets keeps keys out of test output. Tests that look for a
// leaked key print what they found through Hide, so that a failing check
// does not itself put the key in a CI log.
//
// It is written apart from the code under test on purpose: a broken
// scrubber in the client or the server must not also break the redaction
// of the test that catches it.
package testsecrets

import (
	"regexp"
	"strings"
)

// keyShape matches the key formats PlexMCP has documented: pmcp_ keys
// (pmcp_01 followed by 80 hex characters today) and the older pk_live_ and
// pk_test_ keys. The first group is what stays readable.
var keyShape = regexp.MustCompile(`(pmcp_[0-9A-Za-z]{7}|pk_(?:live|test)_)[0-9A-Za-z]+`)

// visible is how much of a named secret is public: the 12 characters that
// PlexMCP's hosted API reports as a key's prefix.
const visible = 12

// Hide returns text with each of secrets, and its part after the first 12
// characters (the public prefix), replaced by "[redacted]", and anything
// else key-shaped cut to its prefix.
func Hide(text string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) > visible {
			text = strings.ReplaceAll(text, s, s[:visible]+"[redacted]")
			text = strings.ReplaceAll(text, s[visible:], "[redacted]")
		}
	}
	return keyShape.ReplaceAllString(text, "${1}[redacted]")
}
