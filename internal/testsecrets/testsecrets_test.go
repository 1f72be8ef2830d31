package testsecrets

import "testing"

func TestHide(t *testing.T) {
	t.Parallel()
	const (
		key       = "pmcp_01" + "3f2a9c41d8e74b6f9a0c2e5d7b1f4a6c" + "0123456789abcdef0123456789abcdef" + "a1b2c3d4e5f60718"
		legacyKey = "pk_live_AbCdEfGhIjKlMnOpQrStUvWxYz012345abcdef"
	)
	tests := []struct {
		name, text string
		secrets    []string
		want       string
	}{
		{"a key by shape", "got " + key + " back", nil, "got pmcp_013f2a9[redacted] back"},
		{"a legacy key by shape", "got " + legacyKey + " back", nil, "got pk_live_[redacted] back"},
		{"a legacy test key by shape", "pk_test_Z9", nil, "pk_test_[redacted]"},
		{"a named secret", "key=" + key + ";", []string{key}, "key=pmcp_013f2a9[redacted];"},
		{"a named secret without its prefix", "id=" + key[12:] + ";", []string{key}, "id=[redacted];"},
		{"a named secret that is not key-shaped", "x custom-admin-credential y", []string{"xx_live_custom-admin-credential"}, "x cust[redacted] y"},
		{"a public prefix alone", "prefix pmcp_013f2a9 and pmcp_013f2a9c41d...", nil, "prefix pmcp_013f2a9 and pmcp_013f2a9[redacted]..."},
		{"nothing secret", "GET /v1/api-keys/key_abc 200", []string{key}, "GET /v1/api-keys/key_abc 200"},
		{"a short secret is ignored", "ApiKey", []string{"ApiKey"}, "ApiKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Hide(tt.text, tt.secrets...); got != tt.want {
				t.Errorf("Hide(…) = %q, want %q", got, tt.want)
			}
		})
	}
}
