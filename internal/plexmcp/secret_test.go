package plexmcp

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plexmcp/terraform-provider-plexmcp/internal/testsecrets"
)

// secretKey is a well-formed key used only by these tests.
const secretKey = "pmcp_01" + "3f2a9c41d8e74b6f9a0c2e5d7b1f4a6c" + "0123456789abcdef0123456789abcdef" + "a1b2c3d4e5f60718"

// Positions a Secret can take in a caller's value. The unexported field is
// the case fmt cannot reach with a method call.
type (
	secretExported   struct{ Key Secret }
	secretUnexported struct{ key Secret }
	secretNested     struct{ inner secretUnexported }
	secretPointer    struct{ key *Secret }
)

// secretPositions returns a value for each position, all holding s.
func secretPositions(s Secret) map[string]any {
	return map[string]any{
		"value":              s,
		"pointer":            &s,
		"exported field":     secretExported{Key: s},
		"unexported field":   secretUnexported{key: s},
		"nested unexported":  secretNested{inner: secretUnexported{key: s}},
		"unexported pointer": secretPointer{key: &s},
		"pointer to struct":  &secretUnexported{key: s},
		"slice":              []Secret{s, s},
		"array":              [1]Secret{s},
		"map value":          map[string]Secret{"k": s},
		"map key":            map[Secret]int{s: 1},
		"interface slice":    []any{s, &s},
		"struct in slice":    []secretUnexported{{key: s}},
		"struct in map":      map[string]secretUnexported{"k": {key: s}},
	}
}

func TestSecretIsNeverPrinted(t *testing.T) {
	t.Parallel()
	s := NewSecret(secretKey)
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%-40q", "%T %v"}
	for name, v := range secretPositions(s) {
		for _, verb := range verbs {
			t.Run(name+"/"+verb, func(t *testing.T) {
				t.Parallel()
				out := fmt.Sprintf(verb, v)
				assertNoSecret(t, out)
			})
		}
		t.Run(name+"/json", func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(v)
			if err != nil {
				// A struct with only unexported fields encodes as {}; an
				// error here would be a bug in MarshalText.
				t.Fatalf("json.Marshal: %v", err)
			}
			assertNoSecret(t, string(b))
		})
		t.Run(name+"/Sprint", func(t *testing.T) {
			t.Parallel()
			assertNoSecret(t, fmt.Sprint(v)+fmt.Sprintln(v))
		})
	}
}

// assertNoSecret fails when out holds the key, or its part after the public
// prefix, or its hex encoding.
func assertNoSecret(t *testing.T, out string) {
	t.Helper()
	for _, leak := range []string{secretKey, secretKey[12:], fmt.Sprintf("%x", secretKey)} {
		if strings.Contains(out, leak) {
			t.Fatalf("the key is printed: %s", testsecrets.Hide(out, secretKey))
		}
	}
}

func TestSecretMethods(t *testing.T) {
	t.Parallel()
	s := NewSecret(secretKey)
	type result struct {
		Reveal, String, GoString, JSON, Text string
		IsZero                               bool
	}
	get := func(s Secret) result {
		j, _ := s.MarshalJSON()
		x, _ := s.MarshalText()
		return result{s.Reveal(), s.String(), s.GoString(), string(j), string(x), s.IsZero()}
	}
	tests := map[string]struct {
		s    Secret
		want result
	}{
		"a key":           {s: s, want: result{Reveal: secretKey, String: redacted, GoString: redacted, JSON: `"` + redacted + `"`, Text: redacted}},
		"zero":            {s: Secret{}, want: result{JSON: `""`, IsZero: true}},
		"NewSecret empty": {s: NewSecret(""), want: result{JSON: `""`, IsZero: true}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := get(tc.s)
			// Compare the revealed key outside cmp's report, which would
			// print it on a mismatch.
			if got.Reveal != tc.want.Reveal {
				t.Errorf("Reveal differs: %s", testsecrets.Hide(got.Reveal, secretKey))
			}
			got.Reveal, tc.want.Reveal = "", ""
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretEqual(t *testing.T) {
	t.Parallel()
	a, b := NewSecret(secretKey), NewSecret(secretKey)
	tests := map[string]struct {
		x, y Secret
		want bool
	}{
		"same key, two values": {x: a, y: b, want: true},
		"different keys":       {x: a, y: NewSecret(secretKey[:86] + "9"), want: false},
		"key and zero":         {x: a, y: Secret{}, want: false},
		"zero and empty":       {x: Secret{}, y: NewSecret(""), want: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tc.x.Equal(tc.y); got != tc.want {
				t.Errorf("Equal = %v, want %v", got, tc.want)
			}
			// go-cmp must use Equal rather than reach into the pointer.
			if got := cmp.Equal(secretExported{Key: tc.x}, secretExported{Key: tc.y}); got != tc.want {
				t.Errorf("cmp.Equal = %v, want %v", got, tc.want)
			}
		})
	}
}
