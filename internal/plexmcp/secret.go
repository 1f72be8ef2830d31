package plexmcp

import (
	"crypto/subtle"
	"fmt"
)

// Secret holds an API key so that nothing prints it by accident.
//
// The value sits behind a pointer on purpose. fmt calls String, GoString
// and Format only on values it can reach through exported fields; a Secret
// in an unexported struct field is printed field by field instead, and
// there fmt shows a pointer as an address, never as the string it points
// to. Every method below prints a placeholder, so %v, %+v, %#v, %s, %q, %x
// and encoding/json all stay free of the key wherever the Secret sits: a
// struct, a slice, a map key or value. Reveal is the one way to the
// plaintext.
type Secret struct {
	v *string
}

// redacted is what a non-empty Secret prints as.
const redacted = "[redacted]"

// NewSecret wraps key. An empty key gives the zero Secret.
func NewSecret(key string) Secret {
	if key == "" {
		return Secret{}
	}
	return Secret{v: &key}
}

// Reveal returns the plaintext key ("" for the zero Secret).
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsZero reports whether s holds no key.
func (s Secret) IsZero() bool { return s.v == nil || *s.v == "" }

// Equal reports whether s and o hold the same key, in constant time. It is
// also what github.com/google/go-cmp uses to compare Secrets.
func (s Secret) Equal(o Secret) bool {
	return subtle.ConstantTimeCompare([]byte(s.Reveal()), []byte(o.Reveal())) == 1
}

// String implements fmt.Stringer without exposing the key.
func (s Secret) String() string {
	if s.IsZero() {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer without exposing the key.
func (s Secret) GoString() string { return s.String() }

// Format implements fmt.Formatter, so that no verb (%x of the bytes, %q, a
// width or a flag) reaches the key.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// MarshalJSON keeps the key out of any JSON rendering of a value that
// carries it.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText keeps the key out of text encodings, JSON map keys included.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
