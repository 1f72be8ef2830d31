package refserver

import (
	"crypto/rand"
	"crypto/sha256"
	"hash/crc32"
	"strings"
)

// Key and id format, from the contract: a mode prefix, 32 random base62
// characters, then a 6-character base62 CRC-32 of everything before it.
const (
	base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

	livePrefix     = "pk_live_"
	testPrefix     = "pk_test_"
	keyRandomLen   = 32
	keyChecksumLen = 6
	keyLen         = len(livePrefix) + keyRandomLen + keyChecksumLen
	keyPrefixLen   = 12

	idRandomLen = 20
)

// randomBase62 returns n base62 characters from crypto/rand. Bytes of 248 and
// above are rejected so that every character is equally likely (248 = 4×62).
func randomBase62(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails since Go 1.24.
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

// keyChecksum is the base62 CRC-32 (IEEE) of body, zero-padded to six
// characters (62^6 > 2^32, so six always suffice).
func keyChecksum(body string) string {
	v := crc32.ChecksumIEEE([]byte(body))
	var out [keyChecksumLen]byte
	for i := keyChecksumLen - 1; i >= 0; i-- {
		out[i] = base62Alphabet[v%62]
		v /= 62
	}
	return string(out[:])
}

// mintKey returns a fresh secret for mode ("live" or "test").
func mintKey(mode string) string {
	prefix := livePrefix
	if mode == modeTest {
		prefix = testPrefix
	}
	body := prefix + randomBase62(keyRandomLen)
	return body + keyChecksum(body)
}

// newID returns an opaque id such as key_3kTMd9nQ2xWfA7bZp1Lc.
func newID(prefix string) string { return prefix + randomBase62(idRandomLen) }

func isBase62(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// wellFormedKey reports whether s has the shape and checksum of a PlexMCP
// key. It needs no state, so the server runs it before touching the store:
// a mistyped or forged key costs no lookup and reveals nothing.
func wellFormedKey(s string) bool {
	if len(s) != keyLen || !(strings.HasPrefix(s, livePrefix) || strings.HasPrefix(s, testPrefix)) {
		return false
	}
	for i := len(livePrefix); i < len(s); i++ {
		if !isBase62(s[i]) {
			return false
		}
	}
	body := s[:keyLen-keyChecksumLen]
	return keyChecksum(body) == s[keyLen-keyChecksumLen:]
}

// keyDigest is what the server keeps instead of a key.
func keyDigest(key string) [sha256.Size]byte { return sha256.Sum256([]byte(key)) }

// bearerToken extracts the credential of an "Authorization: Bearer …" header.
// The scheme is case-insensitive (RFC 9110); anything after it is returned
// as is, so stray whitespace makes a malformed key rather than being trimmed
// into a valid one.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	return token, token != ""
}
