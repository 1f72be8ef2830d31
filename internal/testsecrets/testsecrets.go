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

var keyShape = regexp.MustCompile(`pk_(live|test)_[0-9A-Za-z]+`)

// Hide returns text with each of secrets, and its part after a pk_live_ or
// pk_test_ prefix, replaced by "[redacted]", and anything else key-shaped
// cut to its prefix.
func Hide(text string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) > len("pk_live_") {
			text = strings.ReplaceAll(text, s[len("pk_live_"):], "[redacted]")
		}
	}
	return keyShape.ReplaceAllString(text, "pk_${1}_[redacted]")
}
