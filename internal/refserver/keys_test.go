package refserver

import (
	"hash/crc32"
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestMintKey(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{modeLive, modeTest} {
		seen := map[string]bool{}
		for range 1000 {
			k := mintKey(mode)
			if !strings.HasPrefix(k, "pk_"+mode+"_") || len(k) != 46 {
				t.Fatalf("mintKey(%q) = %q: wrong prefix or length", mode, k)
			}
			if !wellFormedKey(k) {
				t.Fatalf("mintKey(%q) = %q: not well formed", mode, k)
			}
			if seen[k] {
				t.Fatalf("mintKey(%q) repeated %q", mode, k)
			}
			seen[k] = true
		}
	}
}

// TestKeyChecksum decodes the checksum with an independent base62 decoder
// and compares it with CRC-32 of the body, including a body whose
// checksum needs zero padding.
func TestKeyChecksum(t *testing.T) {
	t.Parallel()
	decode := func(s string) uint64 {
		n := new(big.Int)
		for _, c := range []byte(s) {
			n.Mul(n, big.NewInt(62))
			n.Add(n, big.NewInt(int64(strings.IndexByte(base62Alphabet, c))))
		}
		return n.Uint64()
	}
	padded := false
	for i := range 5000 {
		body := "pk_live_" + randomBase62(32)
		if i == 0 {
			body = "pk_live_" + strings.Repeat("0", 32)
		}
		sum := keyChecksum(body)
		if len(sum) != 6 || decode(sum) != uint64(crc32.ChecksumIEEE([]byte(body))) {
			t.Fatalf("keyChecksum(%q) = %q, want base62 of %d", body, sum, crc32.ChecksumIEEE([]byte(body)))
		}
		padded = padded || sum[0] == '0'
	}
	if !padded {
		t.Error("no checksum in 5000 needed padding; the padding path is untested")
	}
}

func TestWellFormedKey(t *testing.T) {
	t.Parallel()
	live, test := mintKey(modeLive), mintKey(modeTest)
	flip := func(k string, i int) string {
		b := []byte(k)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for name, tc := range map[string]struct {
		key  string
		want bool
	}{
		"live":               {live, true},
		"test":               {test, true},
		"empty":              {"", false},
		"other prefix":       {"pk_prod_" + live[8:], false},
		"uppercase prefix":   {"PK_LIVE_" + live[8:], false},
		"too short":          {live[:45], false},
		"too long":           {live + "a", false},
		"trailing space":     {live[:45] + " ", false},
		"non-base62":         {live[:20] + "-" + live[21:], false},
		"bad checksum":       {flip(live, 45), false},
		"changed body":       {flip(live, 20), false},
		"mode swapped":       {"pk_test_" + live[8:], false},
		"docs placeholder":   {"pk_live_xxxxxxxx", false},
		"non-ascii":          {live[:44] + "é", false},
		"checksum of prefix": {"pk_live_" + strings.Repeat("A", 32) + keyChecksum("pk_live_"), false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := wellFormedKey(tc.key); got != tc.want {
				t.Errorf("wellFormedKey(%q) = %v, want %v", tc.key, got, tc.want)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]string{
		"Bearer abc":   "abc",
		"bearer abc":   "abc",
		"BEARER abc":   "abc",
		"Bearer  abc":  "abc",
		"Bearer abc ":  "abc ", // kept, so the key is malformed
		"Basic abc":    "",
		"Bearer":       "",
		"Bearer ":      "",
		"Bearerabc":    "",
		"":             "",
		"Token abc":    "",
		"Bearer\tabc":  "",
		" Bearer abc ": "",
	} {
		got, ok := bearerToken(header)
		if got != want || ok != (want != "") {
			t.Errorf("bearerToken(%q) = %q, %v; want %q", header, got, ok, want)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	k := mintKey(modeLive)
	// Change the checksum's last character to a different one: a fixed
	// replacement would leave the key valid one time in 62.
	last := byte('0')
	if k[len(k)-1] == last {
		last = '1'
	}
	badChecksum := k[:len(k)-1] + string(last)
	for name, cfg := range map[string]Config{
		"malformed admin key":        {AdminKey: "pk_live_xxxxxxxx"},
		"bad checksum second key":    {SecondOrgAdminKey: badChecksum},
		"same key for both":          {AdminKey: k, SecondOrgAdminKey: k},
		"negative rate limit":        {RateLimit: -1},
		"NaN rate limit":             {RateLimit: math.NaN()},
		"infinite rate limit":        {RateLimit: math.Inf(1)},
		"NaN fail rate":              {FailRate: math.NaN()},
		"fail rate above one":        {FailRate: 1.5},
		"negative fail rate":         {FailRate: -0.1},
		"state in a missing dir":     {StatePath: t.TempDir() + "/missing/state.json"},
		"admin key with whitespace ": {AdminKey: " " + k},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(cfg); err == nil {
				t.Error("New succeeded")
			}
		})
	}
	s, err := New(Config{AdminKey: k})
	if err != nil || s.AdminKey() != k || !wellFormedKey(s.SecondOrgAdminKey()) {
		t.Fatalf("New with a valid key: %v", err)
	}
}
