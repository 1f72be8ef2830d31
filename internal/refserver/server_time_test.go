package refserver

import (
	"testing"
	"time"
)

func TestServerTimeFormat(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 9, 13, 26, 13, 0, time.UTC)
	for t2, want := range map[time.Time]string{
		base:                                "2026-01-09T13:26:13Z",
		base.Add(123456789):                 "2026-01-09T13:26:13.123456789Z",
		base.Add(500 * time.Millisecond):    "2026-01-09T13:26:13.5Z",
		base.In(time.FixedZone("", 2*3600)): "2026-01-09T15:26:13+02:00",
		base.In(time.FixedZone("", -90*60)): "2026-01-09T11:56:13-01:30",
		storedTime(base.Add(123456789)):     "2026-01-09T13:26:13.123456Z",
		storedTime(base.Add(100000)):        "2026-01-09T13:26:13.0001Z",
	} {
		if got := serverTime(t2); got != want {
			t.Errorf("serverTime(%v) = %s, want %s", t2, got, want)
		}
	}
	if got := periodStart(time.Date(2026, 1, 20, 12, 34, 56, 482130000, time.UTC)); serverTime(got) != "2026-01-01T00:00:00.48213Z" {
		t.Errorf("periodStart keeps the fraction: %s", serverTime(got))
	}
}

func TestParseServerTime(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2030-01-01T00:00:00Z":              "2030-01-01T00:00:00Z",
		"2030-01-01t00:00:00z":              "2030-01-01T00:00:00Z",
		"2030-01-01 00:00:00Z":              "2030-01-01T00:00:00Z",
		"2030-01-01T00:00:00.123456789123Z": "2030-01-01T00:00:00.123456789Z",
		"2030-01-01T10:00:00+02:00":         "2030-01-01T10:00:00+02:00",
		"2030-01-01T10:00:00.5-00:30":       "2030-01-01T10:00:00.5-00:30",
		"2030-12-31":                        "2030-12-31T23:59:59Z",
		"2028-02-29":                        "2028-02-29T23:59:59Z",
		"":                                  "",
		"2030-01-01T00:00:00":               "",
		"2030-01-01T00:00:00.Z":             "",
		"2030-13-01T00:00:00Z":              "",
		"2030-02-30":                        "",
		"2030-01-01T24:00:00Z":              "",
		"2030-01-01T00:00:60Z":              "",
		"2030-01-01T00:00:00+24:00":         "",
		"30-01-01":                          "",
		"tomorrow":                          "",
	} {
		got, ok := parseServerTime(in)
		if ok != (want != "") || ok && serverTime(got) != want {
			t.Errorf("parseServerTime(%q) = %s, %v; want %q", in, serverTime(got), ok, want)
		}
	}
	if inTimeRange(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)) || inTimeRange(time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC)) ||
		!inTimeRange(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)) || !inTimeRange(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)) {
		t.Error("inTimeRange is not years 0 to 9999")
	}
}
