package refserver

import "testing"

func TestParseUUID(t *testing.T) {
	t.Parallel()
	const canonical = "0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60"
	for in, want := range map[string]string{
		canonical:                                       "",
		"0F3C2A58-7D41-4E8B-9A6F-1C2D3E4F5A60":          "",
		"0f3c2a587d414e8b9a6f1c2d3e4f5a60":              "",
		"{0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60}":        "",
		"urn:uuid:0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a60": "",
		"not-a-uuid":                                    "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1",
		"0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a6g":          "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `g` at 36",
		"{0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a6g}":        "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `g` at 37",
		"0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5aé":           "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `é` at 35",
		"abc":                                           "invalid length: expected length 32 for simple format, found 3",
		"":                                              "invalid length: expected length 32 for simple format, found 0",
		"0f3c2a587d414e8b9a6f1c2d3e4f5a6":               "invalid length: expected length 32 for simple format, found 31",
		"0f3c2a58-7d41-4e8b-9a6f1c2d3e4f5a60":           "invalid group count: expected 5, found 4",
		"0f3c2a5-87d41-4e8b-9a6f-1c2d3e4f5a60":          "invalid group length in group 0: expected 8, found 7",
		"0f3c2a58-7d41-4e8b-9a6f-1c2d3e4f5a600":         "invalid group length in group 4: expected 12, found 13",
		"0f3c2a58-7d41-4e8-b9a6f-1c2d3e4f5a60":          "invalid group length in group 2: expected 4, found 3",
	} {
		got, msg := parseUUID(in)
		if msg != want || (want == "") != (got == canonical) {
			t.Errorf("parseUUID(%q) = %q, %q; want %q", in, got, msg, want)
		}
	}
}
