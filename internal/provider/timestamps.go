package provider

import (
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
)

// PlexMCP's hosted API keeps timestamps to the second; a PlexMCP server
// keeps microseconds and may answer with an offset. Timestamps are
// therefore compared as instants, to the second, never as strings: a
// configuration may spell the same second as 2027-01-01T01:00:00+01:00.

// sameSecond reports whether two optional timestamps name the same second.
// Two nulls are the same; unknown is never the same as anything.
func sameSecond(a, b timetypes.RFC3339) bool {
	if a.IsUnknown() || b.IsUnknown() {
		return false
	}
	if a.IsNull() || b.IsNull() {
		return a.IsNull() == b.IsNull()
	}
	bt, d := b.ValueRFC3339Time()
	if d.HasError() {
		return false
	}
	return holdsSecondOf(a, bt)
}

// holdsSecondOf reports whether a is a known timestamp in the same second
// as t.
func holdsSecondOf(a timetypes.RFC3339, t time.Time) bool {
	if a.IsNull() || a.IsUnknown() {
		return false
	}
	at, d := a.ValueRFC3339Time()
	return !d.HasError() && at.Truncate(time.Second).Equal(t.Truncate(time.Second))
}

// days is n whole days of 24 hours, as PlexMCP counts expires_in_days.
func days(n int64) time.Duration { return time.Duration(n) * 24 * time.Hour }

func optionalTime(t *time.Time) timetypes.RFC3339 {
	if t == nil {
		return timetypes.NewRFC3339Null()
	}
	return timetypes.NewRFC3339TimeValue(t.UTC())
}
