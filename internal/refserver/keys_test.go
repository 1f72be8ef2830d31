package refserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

func TestMintKey(t *testing.T) {
	t.Parallel()
	secret := []byte("a secret of the test's own, 32 b")
	shape := regexp.MustCompile(`^pmcp_01[0-9a-f]{32}[0-9a-f]{32}[0-9a-f]{16}$`)
	seen := map[string]bool{}
	for range 200 {
		k := mintKey(secret)
		if len(k) != 87 || !shape.MatchString(k) {
			t.Fatalf("key %s is not pmcp_01 and 80 lowercase hex characters", hide(k))
		}
		// The UUID's version and variant: characters 19 and 23.
		if k[19] != '4' || !strings.ContainsRune("89ab", rune(k[23])) {
			t.Errorf("key %s does not embed a UUID v4", hide(k))
		}
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(k[5:71]))
		if want := hex.EncodeToString(m.Sum(nil)[:8]); k[71:] != want {
			t.Errorf("signature %s, want the first 8 bytes of HMAC-SHA256 of the payload", hide(k[71:]))
		}
		if !wellFormedKey(k) || !signedBy(secret, k) || signedBy([]byte("another secret"), k) {
			t.Errorf("key %s: well formed %v, signed %v", hide(k), wellFormedKey(k), signedBy(secret, k))
		}
		if seen[k] {
			t.Fatal("the same key twice")
		}
		seen[k] = true
	}
}

func TestWellFormedKey(t *testing.T) {
	t.Parallel()
	k := NewBootstrapKey()
	for name, tc := range map[string]struct {
		key  string
		want bool
	}{
		"minted":             {k, true},
		"empty":              {"", false},
		"version 02":         {"pmcp_02" + k[7:], false},
		"uppercase hex":      {k[:20] + "A" + k[21:], false},
		"uppercase scheme":   {"PMCP_01" + k[7:], false},
		"too short":          {k[:86], false},
		"too long":           {k + "0", false},
		"trailing space":     {k[:86] + " ", false},
		"not hex":            {k[:30] + "g" + k[31:], false},
		"legacy pk_live_":    {"pk_live_AbCdEfGhIjKlMnOpQrStUvWxYz012345abcdef", false},
		"docs placeholder":   {"pmcp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", false},
		"non-ASCII":          {k[:85] + "é", false},
		"any signature goes": {k[:71] + strings.Repeat("0", 16), true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := wellFormedKey(tc.key); got != tc.want {
				t.Errorf("wellFormedKey(%s) = %v, want %v", hide(tc.key), got, tc.want)
			}
		})
	}
}

func TestUUIDs(t *testing.T) {
	t.Parallel()
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for range 100 {
		if u := newUUID(); !shape.MatchString(u) {
			t.Fatalf("newUUID() = %q", u)
		}
	}
	id := "key_" + randomBase62(idRandomLen)
	if len(id) != 24 || strings.Trim(id[4:], base62Alphabet) != "" {
		t.Errorf("hosted id %q", id)
	}
}
