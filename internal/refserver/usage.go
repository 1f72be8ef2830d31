package refserver

import (
	"maps"
	"time"
)

// day numbers a calendar day in UTC: days since 1970-01-01.
type day int64

func dayOf(t time.Time) day { return day(t.UTC().Unix() / 86400) }

// The calendar periods that usage counts over, in UTC: today, the week
// from Monday, the month from its first day.
func todayOf(now time.Time) day { return dayOf(now) }

func weekStartOf(now time.Time) day {
	u := now.UTC()
	return dayOf(u) - day((int(u.Weekday())+6)%7) // Monday is 0 days back
}

func monthStartOf(now time.Time) day {
	u := now.UTC()
	return dayOf(time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC))
}

// dailyKeep bounds how many days of counts are kept: more than a month and
// a week, so every period can be summed.
const dailyKeep = 40

// dailyCounts counts requests per UTC day. Its size is bounded: days more
// than dailyKeep before the newest write are dropped.
type dailyCounts map[day]int64

func (d dailyCounts) add(now time.Time) {
	today := dayOf(now)
	d[today]++
	if len(d) > dailyKeep {
		maps.DeleteFunc(d, func(k day, _ int64) bool { return k < today-dailyKeep })
	}
}

// sum counts the requests from day from through now's day. Requests dated
// after now (the clock was moved back) are not counted.
func (d dailyCounts) sum(from day, now time.Time) int64 {
	to := dayOf(now)
	var n int64
	for k, v := range d {
		if from <= k && k <= to {
			n += v
		}
	}
	return n
}

// The state file spells days as dates.
const dayLayout = "2006-01-02"

func (d dailyCounts) encode() map[string]int64 {
	out := make(map[string]int64, len(d))
	for k, v := range d {
		out[time.Unix(int64(k)*86400, 0).UTC().Format(dayLayout)] = v
	}
	return out
}

func decodeDailyCounts(in map[string]int64) (dailyCounts, error) {
	out := make(dailyCounts, len(in))
	for k, v := range in {
		t, err := time.Parse(dayLayout, k)
		if err != nil {
			return nil, err
		}
		out[dayOf(t)] = v
	}
	return out, nil
}
