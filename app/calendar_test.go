package app

import (
	"testing"
	"time"
)

func calDay(y int, m time.Month, day int) Date { return Date{y, m, day} }

func TestCalendarIsWorkingDay(t *testing.T) {
	cal := ChinaCalendar2025to2027()
	tests := []struct {
		name string
		date Date
		want bool
	}{
		{"ordinary Monday", calDay(2025, 3, 10), true},
		{"ordinary Saturday", calDay(2025, 3, 8), false},
		{"ordinary Sunday", calDay(2025, 3, 9), false},
		{"元旦 2025 (Wednesday)", calDay(2025, 1, 1), false},
		{"春节 2025 Friday", calDay(2025, 1, 31), false},
		{"春节 make-up Sunday 2025-01-26", calDay(2025, 1, 26), true},
		{"春节 make-up Saturday 2025-02-08", calDay(2025, 2, 8), true},
		{"day after 春节 2025", calDay(2025, 2, 5), true},
		{"劳动节 make-up Sunday 2025-04-27", calDay(2025, 4, 27), true},
		{"国庆 2025-10-08 (Wednesday)", calDay(2025, 10, 8), false},
		{"国庆 make-up Saturday 2025-10-11", calDay(2025, 10, 11), true},
		{"元旦 2026-01-02 (Friday)", calDay(2026, 1, 2), false},
		{"元旦 make-up Sunday 2026-01-04", calDay(2026, 1, 4), true},
		{"春节 2026-02-23 (Monday)", calDay(2026, 2, 23), false},
		{"春节 make-up Saturday 2026-02-14", calDay(2026, 2, 14), true},
		{"春节 make-up Saturday 2026-02-28", calDay(2026, 2, 28), true},
		{"劳动节 make-up Saturday 2026-05-09", calDay(2026, 5, 9), true},
		{"中秋 2026-09-25 (Friday)", calDay(2026, 9, 25), false},
		{"国庆 make-up Sunday 2026-09-20", calDay(2026, 9, 20), true},
		{"国庆 make-up Saturday 2026-10-10", calDay(2026, 10, 10), true},
		{"元旦 2027 (Friday)", calDay(2027, 1, 1), false},
		{"2027 春节 not yet announced: a weekday works", calDay(2027, 2, 8), true},
	}
	for _, tt := range tests {
		if got := cal.IsWorkingDay(tt.date); got != tt.want {
			t.Errorf("%s: IsWorkingDay(%s) = %v, want %v", tt.name, tt.date, got, tt.want)
		}
	}
}

func TestCalendarAddWorkingDays(t *testing.T) {
	cal := ChinaCalendar2025to2027()
	tests := []struct {
		name  string
		start Date
		n     int
		want  Date
	}{
		{"n=0 returns start", calDay(2025, 3, 8), 0, calDay(2025, 3, 8)},
		{"negative n returns start", calDay(2025, 3, 7), -3, calDay(2025, 3, 7)},
		{"zero start stays zero", Date{}, 5, Date{}},
		{"Friday + 1 skips the weekend", calDay(2025, 3, 7), 1, calDay(2025, 3, 10)},
		{"Saturday + 1 is Monday", calDay(2025, 3, 8), 1, calDay(2025, 3, 10)},
		{"Friday + 5 is next Friday", calDay(2025, 3, 7), 5, calDay(2025, 3, 14)},
		{"Friday + 10 is two weeks on", calDay(2025, 3, 7), 10, calDay(2025, 3, 21)},
		{"before 春节 2025: make-up Sunday counts", calDay(2025, 1, 24), 1, calDay(2025, 1, 26)},
		{"across 春节 2025", calDay(2025, 1, 24), 3, calDay(2025, 2, 5)},
		{"across 春节 2025 onto the make-up Saturday", calDay(2025, 1, 27), 4, calDay(2025, 2, 8)},
		{"across 春节 2025 past the make-up Saturday", calDay(2025, 1, 27), 5, calDay(2025, 2, 10)},
		{"10 days across 国庆 2025", calDay(2025, 9, 26), 10, calDay(2025, 10, 16)},
		{"春节 2026: make-up Saturday before", calDay(2026, 2, 13), 1, calDay(2026, 2, 14)},
		{"春节 2026: across the holiday", calDay(2026, 2, 13), 2, calDay(2026, 2, 24)},
		{"春节 2026: onto the make-up Saturday after", calDay(2026, 2, 13), 6, calDay(2026, 2, 28)},
		{"across 元旦 2027", calDay(2026, 12, 31), 1, calDay(2027, 1, 4)},
	}
	for _, tt := range tests {
		if got := cal.AddWorkingDays(tt.start, tt.n); got != tt.want {
			t.Errorf("%s: AddWorkingDays(%s, %d) = %s, want %s", tt.name, tt.start, tt.n, got, tt.want)
		}
	}
}

func TestCalendarWorkingDaysBetween(t *testing.T) {
	cal := ChinaCalendar2025to2027()
	tests := []struct {
		name string
		a, b Date
		want int
	}{
		{"same day", calDay(2025, 3, 10), calDay(2025, 3, 10), 0},
		{"across a weekend", calDay(2025, 3, 7), calDay(2025, 3, 10), 1},
		{"a weekend only", calDay(2025, 3, 7), calDay(2025, 3, 9), 0},
		{"reversed", calDay(2025, 3, 10), calDay(2025, 3, 7), -1},
		{"across 春节 2025", calDay(2025, 1, 27), calDay(2025, 2, 8), 4},
		{"across 春节 2025 reversed", calDay(2025, 2, 8), calDay(2025, 1, 27), -4},
		{"inside 春节 2025", calDay(2025, 1, 28), calDay(2025, 2, 4), 0},
		{"zero date", Date{}, calDay(2025, 2, 4), 0},
		{"working days of 2025", calDay(2024, 12, 31), calDay(2025, 12, 31), 248},
		{"working days of 2026", calDay(2025, 12, 31), calDay(2026, 12, 31), 248},
	}
	for _, tt := range tests {
		if got := cal.WorkingDaysBetween(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: WorkingDaysBetween(%s, %s) = %d, want %d", tt.name, tt.a, tt.b, got, tt.want)
		}
	}
}

// WorkingDaysBetween is the inverse of AddWorkingDays, and both are
// antisymmetric, on every start day of the seeded years.
func TestCalendarBetweenInvertsAdd(t *testing.T) {
	cal := ChinaCalendar2025to2027()
	for start := calDay(2024, 12, 1); start.Before(calDay(2027, 2, 1)); start = start.AddDays(1) {
		for n := 0; n <= 40; n++ {
			end := cal.AddWorkingDays(start, n)
			if got := cal.WorkingDaysBetween(start, end); got != n {
				t.Fatalf("WorkingDaysBetween(%s, AddWorkingDays(%s, %d)=%s) = %d", start, start, n, end, got)
			}
			if got := cal.WorkingDaysBetween(end, start); got != -n {
				t.Fatalf("WorkingDaysBetween(%s, %s) = %d, want %d", end, start, got, -n)
			}
			if n > 0 && !cal.IsWorkingDay(end) {
				t.Fatalf("AddWorkingDays(%s, %d) = %s is not a working day", start, n, end)
			}
		}
		// From the other side: a working day b is reached again from a.
		for b := start.AddDays(1); b.Before(start.AddDays(30)); b = b.AddDays(1) {
			if cal.IsWorkingDay(b) {
				if got := cal.AddWorkingDays(start, cal.WorkingDaysBetween(start, b)); got != b {
					t.Fatalf("AddWorkingDays(%s, WorkingDaysBetween(%s, %s)) = %s", start, start, b, got)
				}
			}
		}
	}
}

func TestChinaCalendarSeed(t *testing.T) {
	cal := ChinaCalendar2025to2027()
	perYear := map[int]int{}
	for day, name := range cal.Holidays {
		if name == "" {
			t.Errorf("holiday %s has no name", day)
		}
		perYear[day.Year]++
	}
	// Holiday days as announced: 2025 1+8+3+5+3+8, 2026 3+9+3+5+3+3+7, 2027 New Year only.
	if want := map[int]int{2025: 28, 2026: 33, 2027: 1}; !equalMaps(perYear, want) {
		t.Errorf("holiday days per year = %v, want %v", perYear, want)
	}
	if len(cal.Workdays) != 11 {
		t.Errorf("make-up working days = %d, want 11 (5 in 2025, 6 in 2026)", len(cal.Workdays))
	}
	for day, name := range cal.Workdays {
		if !isWeekend(day) {
			t.Errorf("make-up working day %s (%s) is a %s, not a weekend day", day, name, day.Weekday())
		}
		if _, ok := cal.Holidays[day]; ok {
			t.Errorf("%s is both a holiday and a working day", day)
		}
	}
	if got := cal.Holidays[calDay(2026, 2, 17)]; got != "春节" {
		t.Errorf("2026-02-17 = %q, want 春节", got)
	}
	if got := cal.Workdays[calDay(2025, 9, 28)]; got != "国庆节、中秋节调休上班" {
		t.Errorf("2025-09-28 = %q", got)
	}
}

func equalMaps(a, b map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestCalendarLastCallWins(t *testing.T) {
	cal := NewCalendar()
	sat := calDay(2025, 3, 8)
	cal.AddHoliday(sat, sat, "x")
	cal.AddWorkday(sat, "调休")
	if !cal.IsWorkingDay(sat) || len(cal.Holidays) != 0 {
		t.Fatalf("workday did not replace the holiday: %+v", cal)
	}
	cal.AddHoliday(calDay(2025, 3, 9), calDay(2025, 3, 7), "reversed range") // 7..9, both orders accepted
	if cal.IsWorkingDay(sat) || cal.IsWorkingDay(calDay(2025, 3, 7)) || len(cal.Workdays) != 0 {
		t.Fatalf("holiday did not replace the workday: %+v", cal)
	}
}

func TestCalendarNilAndEmpty(t *testing.T) {
	var nilCal *Calendar
	for _, cal := range []*Calendar{nilCal, NewCalendar(), {}} {
		if got := cal.AddWorkingDays(calDay(2025, 1, 24), 3); got != calDay(2025, 1, 29) {
			t.Errorf("weekdays only: got %s", got)
		}
		if cal.IsWorkingDay(calDay(2025, 1, 26)) {
			t.Errorf("Sunday is not a working day without a calendar")
		}
		if len(cal.Entries()) != 0 {
			t.Errorf("entries of an empty calendar: %v", cal.Entries())
		}
	}
	var zero Calendar // maps are created on first use
	zero.AddHoliday(calDay(2025, 1, 1), calDay(2025, 1, 1), "元旦")
	zero.AddWorkday(calDay(2025, 1, 26), "调休")
	if zero.IsWorkingDay(calDay(2025, 1, 1)) || !zero.IsWorkingDay(calDay(2025, 1, 26)) {
		t.Errorf("zero Calendar: %+v", zero)
	}
}

func TestCalendarEntriesRoundTrip(t *testing.T) {
	cal := ChinaCalendar2025to2027()
	es := cal.Entries()
	if len(es) != len(cal.Holidays)+len(cal.Workdays) {
		t.Fatalf("entries = %d", len(es))
	}
	for i := 1; i < len(es); i++ {
		if !es[i-1].Date.Before(es[i].Date) {
			t.Fatalf("entries not sorted at %d: %v, %v", i, es[i-1], es[i])
		}
	}
	first, last := es[0], es[len(es)-1]
	if first != (CalendarEntry{calDay(2025, 1, 1), "元旦", false}) || last != (CalendarEntry{calDay(2027, 1, 1), "元旦", false}) {
		t.Errorf("first %v, last %v", first, last)
	}
	back, err := CalendarFromEntries(es)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Entries(); len(got) != len(es) {
		t.Fatalf("round trip lost entries: %d vs %d", len(got), len(es))
	} else {
		for i := range got {
			if got[i] != es[i] {
				t.Fatalf("round trip entry %d: %v vs %v", i, got[i], es[i])
			}
		}
	}
}

func TestCalendarFromEntriesErrors(t *testing.T) {
	_, err := CalendarFromEntries([]CalendarEntry{
		{Date: calDay(2025, 1, 1), Name: "元旦"},
		{Name: "无日期"},
		{Date: calDay(2025, 1, 2), Name: " "},
		{Date: calDay(2025, 1, 3), Name: "周五调休", Working: true},
	})
	p, ok := err.(Problems)
	if !ok || len(p) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
	for i, field := range []string{"第2条日历", "第3条日历", "第4条日历"} {
		if p[i].Field != field || p[i].Code != EINVALID {
			t.Errorf("problem %d = %+v, want field %s", i, p[i], field)
		}
	}
}
