package testsecrets

import "testing"

func TestHide(t *testing.T) {
	t.Parallel()
	const key = "pk_live_AbCdEfGhIjKlMnOpQrStUvWxYz012345abcdef"
	tests := []struct {
		name, text string
		secrets    []string
		want       string
	}{
		{"a key by shape", "got " + key + " back", nil, "got pk_live_[redacted] back"},
		{"a test key by shape", "pk_test_Z9", nil, "pk_test_[redacted]"},
		{"a named secret without its prefix", "id=" + key[8:] + ";", []string{key}, "id=[redacted];"},
		{"a named secret that is not key-shaped", "x custom-admin-credential y", []string{"xx_live_custom-admin-credential"}, "x [redacted] y"},
		{"nothing secret", "GET /v1/api-keys/key_abc 200", []string{key}, "GET /v1/api-keys/key_abc 200"},
		{"a short secret is ignored", "Bearer", []string{"Bearer"}, "Bearer"},
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
