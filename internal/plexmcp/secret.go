package plexmcp

// Secret holds an API key. Every formatting path prints a placeholder, so a
// stray %v, %s, %#v or JSON encoding of a struct that carries a key cannot
// leak it into a log or an error. Call Reveal where the plaintext is needed.
type Secret string

const redacted = "[redacted]"

// Reveal returns the plaintext key.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer without exposing the key.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer without exposing the key.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON keeps the key out of any JSON rendering of a client value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }
