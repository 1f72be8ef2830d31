package acctest

import (
	"regexp"
	"strings"
)

// Message matches a diagnostic that says each of parts, in that order.
// Terraform wraps diagnostics to the terminal's width, so any run of white
// space in a part matches any other, line breaks included; anything may
// come between the parts.
func Message(parts ...string) *regexp.Regexp {
	quoted := make([]string, 0, len(parts))
	for _, p := range parts {
		words := strings.Fields(p)
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		quoted = append(quoted, strings.Join(words, `\s+`))
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, `.*`))
}
