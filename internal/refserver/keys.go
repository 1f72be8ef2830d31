package refserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Both APIs use the same key format: "pmcp_" and the format version "01",
// then 80 lowercase hex characters: a UUID v4 without hyphens (32), 16
// random bytes (32) and the first 8 bytes of an HMAC-SHA256 of everything
// after "pmcp_" under a secret of the server's (16). 87 characters in all.
const (
	keyScheme     = "pmcp_"
	keyVersion    = "01"
	keyPayloadLen = len(keyVersion) + 32 + 32 // what the HMAC covers
	keySigLen     = 16
	keyLen        = len(keyScheme) + keyPayloadLen + keySigLen

	// hmacSecretLen is the size of the per-process signing secret.
	hmacSecretLen = 32
)

// newHMACSecret returns a fresh signing secret. The server never stores it:
// it authenticates by format and digest, so keys signed by an earlier
// process (or given by flag) stay valid across restarts.
func newHMACSecret() []byte {
	b := make([]byte, hmacSecretLen)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24.
	return b
}

// mintKey returns a fresh key signed with secret.
func mintKey(secret []byte) string {
	var random [16]byte
	_, _ = rand.Read(random[:])
	payload := keyVersion + hex.EncodeToString(uuidV4()) + hex.EncodeToString(random[:])
	return keyScheme + payload + keySignature(secret, payload)
}

// keySignature is the key's last 16 characters for payload.
func keySignature(secret []byte, payload string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil)[:keySigLen/2])
}

// signedBy reports whether a well-formed key carries secret's signature.
func signedBy(secret []byte, key string) bool {
	payload := key[len(keyScheme) : len(keyScheme)+keyPayloadLen]
	return hmac.Equal([]byte(keySignature(secret, payload)), []byte(key[len(keyScheme)+keyPayloadLen:]))
}

// wellFormedKey reports whether s has the shape of a pmcp_01 key. It needs
// no state, so the server runs it before touching the store: a mistyped
// key costs no lookup and reveals nothing.
func wellFormedKey(s string) bool {
	if len(s) != keyLen || s[:len(keyScheme)+len(keyVersion)] != keyScheme+keyVersion {
		return false
	}
	for i := len(keyScheme) + len(keyVersion); i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// keyDigest is what the server keeps instead of a key.
func keyDigest(key string) [sha256.Size]byte { return sha256.Sum256([]byte(key)) }

// uuidV4 returns 16 random bytes with the version and variant bits of a
// UUID v4.
func uuidV4() []byte {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b[:]
}

// formatUUID writes 16 bytes the way PlexMCP's server does: lowercase,
// hyphenated.
func formatUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

// newUUID returns a fresh UUID v4 string.
func newUUID() string { return formatUUID(uuidV4()) }

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idRandomLen is the length of the random part of a hosted id.
const idRandomLen = 20

// randomBase62 returns n base62 characters from crypto/rand. Bytes of 248 and
// above are rejected so that every character is equally likely (248 = 4×62).
func randomBase62(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if b >= 248 {
				continue
			}
			out = append(out, base62Alphabet[b%62])
			if len(out) == n {
				break
			}
		}
	}
	return string(out)
}

// NewBootstrapKey returns a fresh, well-formed pmcp_01 key to use as
// Config.AdminKey or Config.SecondOrgAdminKey. Test suites give every server
// they start the same one, so the key can travel in PLEXMCP_API_KEY instead
// of in configuration text that harnesses log. Its signature is under a
// secret of its own: servers authenticate by format and digest only.
func NewBootstrapKey() string { return mintKey(newHMACSecret()) }
