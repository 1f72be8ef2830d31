package refserver

import (
	"testing"
	"time"
)

func TestCalendarPeriods(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	date := func(d day) string { return time.Unix(int64(d)*86400, 0).UTC().Format(dayLayout) }
	for _, tc := range []struct {
		now                string
		today, week, month string
	}{
		{"2026-01-20T12:00:00Z", "2026-01-20", "2026-01-19", "2026-01-01"},      // a Tuesday
		{"2026-01-19T00:00:00Z", "2026-01-19", "2026-01-19", "2026-01-01"},      // a Monday
		{"2026-01-18T23:59:59Z", "2026-01-18", "2026-01-12", "2026-01-01"},      // a Sunday
		{"2026-03-01T01:00:00+02:00", "2026-02-28", "2026-02-23", "2026-02-01"}, // UTC decides
		{"2025-12-31T23:00:00Z", "2025-12-31", "2025-12-29", "2025-12-01"},
	} {
		now := at(tc.now)
		got := [3]string{date(todayOf(now)), date(weekStartOf(now)), date(monthStartOf(now))}
		if want := [3]string{tc.today, tc.week, tc.month}; got != want {
			t.Errorf("%s: today, week, month %v, want %v", tc.now, got, want)
		}
	}
}

func TestDailyCounts(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC)
	d := dailyCounts{}
	for _, back := range []int{0, 0, 1, 2, 19, 25, 45} {
		d.add(now.AddDate(0, 0, -back))
	}
	if n := d.sum(todayOf(now), now); n != 2 {
		t.Errorf("today: %d, want 2", n)
	}
	if n := d.sum(weekStartOf(now), now); n != 3 {
		t.Errorf("this week (from Monday the 19th): %d, want 3", n)
	}
	if n := d.sum(monthStartOf(now), now); n != 5 {
		t.Errorf("this month: %d, want 5", n)
	}
	// A clock moved back does not count the requests of later days.
	if n := d.sum(monthStartOf(now), now.AddDate(0, 0, -2)); n != 2 {
		t.Errorf("this month as of the 18th: %d, want 2", n)
	}
	// Memory stays bounded: far older days go once there are many.
	for i := range 60 {
		d.add(now.AddDate(0, 0, i))
	}
	if len(d) > dailyKeep+1 {
		t.Errorf("%d days kept, want at most %d", len(d), dailyKeep+1)
	}
	round, err := decodeDailyCounts(d.encode())
	if err != nil || len(round) != len(d) || round.sum(0, now.AddDate(0, 0, 60)) != d.sum(0, now.AddDate(0, 0, 60)) {
		t.Errorf("encode/decode lost counts: %v", err)
	}
	if _, err := decodeDailyCounts(map[string]int64{"yesterday": 1}); err == nil {
		t.Error("a malformed date decoded")
	}
}
