package app

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Calendar is the working-day calendar the county maintains for legal time
// limits: public holidays, and the weekend days that become working days to
// make up for them (调休). A date absent from both maps follows the week:
// Monday to Friday work, Saturday and Sunday rest.
//
// A nil *Calendar is usable and knows no holidays, so a device that has not
// yet received the county's calendar still counts plain weekdays.
type Calendar struct {
	Holidays map[Date]string `json:"holidays"` // date -> holiday name
	Workdays map[Date]string `json:"workdays"` // weekend days that are working days (调休) -> reason
}

// CalendarEntry is one listed day, as shown on the settings screen and
// published to devices (event calendar.set).
type CalendarEntry struct {
	Date    Date   `json:"date"`
	Name    string `json:"name"`
	Working bool   `json:"working"` // true: a make-up working day; false: a holiday
}

// NewCalendar returns an empty calendar (weekdays only).
func NewCalendar() *Calendar {
	return &Calendar{Holidays: map[Date]string{}, Workdays: map[Date]string{}}
}

// AddHoliday marks every day from from to to (inclusive, in either order) as a
// holiday. A day listed as a make-up working day stops being one: the last
// call about a day wins.
func (c *Calendar) AddHoliday(from, to Date, name string) {
	if from.IsZero() || to.IsZero() {
		return
	}
	if to.Before(from) {
		from, to = to, from
	}
	if c.Holidays == nil {
		c.Holidays = map[Date]string{}
	}
	for d := from; !d.After(to); d = d.AddDays(1) {
		c.Holidays[d] = name
		delete(c.Workdays, d)
	}
}

// AddWorkday marks d as a working day (normally a weekend day worked to make
// up for a holiday). A holiday on d is removed: the last call about a day wins.
func (c *Calendar) AddWorkday(d Date, name string) {
	if d.IsZero() {
		return
	}
	if c.Workdays == nil {
		c.Workdays = map[Date]string{}
	}
	c.Workdays[d] = name
	delete(c.Holidays, d)
}

// IsWorkingDay reports whether d is a working day: Monday to Friday and not a
// holiday, or a listed make-up working day.
func (c *Calendar) IsWorkingDay(d Date) bool {
	return c.isWorking(d, d.Weekday())
}

func (c *Calendar) isWorking(d Date, wd time.Weekday) bool {
	if c != nil {
		if _, ok := c.Workdays[d]; ok {
			return true
		}
		if _, ok := c.Holidays[d]; ok {
			return false
		}
	}
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays returns the n-th working day after start; start itself is not
// counted, so a limit of 10 working days from an acceptance on a Monday with
// no holidays ends on the Monday two weeks later. n <= 0 returns start, and a
// zero start (an unknown date) returns the zero date.
func (c *Calendar) AddWorkingDays(start Date, n int) Date {
	if n <= 0 || start.IsZero() {
		return start
	}
	t := start.Time()
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if c.isWorking(DateOf(t), t.Weekday()) {
			n--
		}
	}
	return DateOf(t)
}

// WorkingDaysBetween counts the working days in (a, b]: the days used up by
// a step that started on a and stands on b. It is negative when b is before a
// (-(working days in (b, a])) and 0 if either date is zero, so that
// WorkingDaysBetween(a, AddWorkingDays(a, n)) == n for every n >= 0.
func (c *Calendar) WorkingDaysBetween(a, b Date) int {
	if a.IsZero() || b.IsZero() {
		return 0
	}
	switch a.Compare(b) {
	case 0:
		return 0
	case 1:
		return -c.WorkingDaysBetween(b, a)
	}
	n := 0
	end := b.Time()
	for t := a.Time().AddDate(0, 0, 1); !t.After(end); t = t.AddDate(0, 0, 1) {
		if c.isWorking(DateOf(t), t.Weekday()) {
			n++
		}
	}
	return n
}

// Entries lists the holidays and make-up working days in date order (a date
// carrying both, possible only by setting the maps directly, lists the holiday
// first), so screens and sync payloads do not depend on map order.
func (c *Calendar) Entries() []CalendarEntry {
	if c == nil {
		return nil
	}
	out := make([]CalendarEntry, 0, len(c.Holidays)+len(c.Workdays))
	for d, name := range c.Holidays {
		out = append(out, CalendarEntry{Date: d, Name: name})
	}
	for d, name := range c.Workdays {
		out = append(out, CalendarEntry{Date: d, Name: name, Working: true})
	}
	sort.Slice(out, func(i, j int) bool {
		if k := out[i].Date.Compare(out[j].Date); k != 0 {
			return k < 0
		}
		return !out[i].Working && out[j].Working
	})
	return out
}

// CalendarFromEntries rebuilds a calendar from published entries (the
// inverse of Entries). Entries apply in order, so a later entry about the same
// day wins. Every bad entry is reported: a missing date or name, or a make-up
// working day that is not a Saturday or Sunday.
func CalendarFromEntries(entries []CalendarEntry) (*Calendar, error) {
	c := NewCalendar()
	var p Problems
	for i, e := range entries {
		field := fmt.Sprintf("第%d条日历", i+1)
		switch {
		case e.Date.IsZero():
			p = append(p, FieldErrorf(field, "请填写日期"))
		case strings.TrimSpace(e.Name) == "":
			p = append(p, FieldErrorf(field, "请填写 %s 的名称（节日名或调休说明）", e.Date))
		case e.Working && !isWeekend(e.Date):
			p = append(p, FieldErrorf(field, "%s 是工作日，无须登记为调休上班日", e.Date))
		case e.Working:
			c.AddWorkday(e.Date, strings.TrimSpace(e.Name))
		default:
			c.AddHoliday(e.Date, e.Date, strings.TrimSpace(e.Name))
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

func isWeekend(d Date) bool {
	wd := d.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// ChinaCalendar2025to2027 is seed data: the State Council's holiday schedules
// (国务院办公厅关于部分节假日安排的通知) for 2025 and 2026 with their make-up
// working days. For 2027 only New Year's Day is known; the county adds the
// rest when the State Council announces them (usually in November).
func ChinaCalendar2025to2027() *Calendar {
	c := NewCalendar()
	d := func(y, m, day int) Date { return Date{y, time.Month(m), day} }
	holiday := func(from, to Date, name string, makeup ...Date) {
		c.AddHoliday(from, to, name)
		for _, w := range makeup {
			c.AddWorkday(w, name+"调休上班")
		}
	}

	// 2025
	holiday(d(2025, 1, 1), d(2025, 1, 1), "元旦")
	holiday(d(2025, 1, 28), d(2025, 2, 4), "春节", d(2025, 1, 26), d(2025, 2, 8))
	holiday(d(2025, 4, 4), d(2025, 4, 6), "清明节")
	holiday(d(2025, 5, 1), d(2025, 5, 5), "劳动节", d(2025, 4, 27))
	holiday(d(2025, 5, 31), d(2025, 6, 2), "端午节")
	holiday(d(2025, 10, 1), d(2025, 10, 8), "国庆节、中秋节", d(2025, 9, 28), d(2025, 10, 11))

	// 2026
	holiday(d(2026, 1, 1), d(2026, 1, 3), "元旦", d(2026, 1, 4))
	holiday(d(2026, 2, 15), d(2026, 2, 23), "春节", d(2026, 2, 14), d(2026, 2, 28))
	holiday(d(2026, 4, 4), d(2026, 4, 6), "清明节")
	holiday(d(2026, 5, 1), d(2026, 5, 5), "劳动节", d(2026, 5, 9))
	holiday(d(2026, 6, 19), d(2026, 6, 21), "端午节")
	holiday(d(2026, 9, 25), d(2026, 9, 27), "中秋节")
	holiday(d(2026, 10, 1), d(2026, 10, 7), "国庆节", d(2026, 9, 20), d(2026, 10, 10))

	// 2027: only New Year's Day is fixed in advance; the county adds the rest
	// when the schedule is announced.
	holiday(d(2027, 1, 1), d(2027, 1, 1), "元旦")
	return c
}
