// Package countyview is the county's own view of what the townships sync: the
// read-only dashboard for county staff, the county-wide monthly ledger and
// the publication of rules and the holiday calendar. Everything is computed
// from the events the county holds, with the same folds the devices use.
package countyview

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"jiuzhu/app"
	jsync "jiuzhu/sync"
)

// Source is what the county's views read from the server database
// (*sync.SQLiteStore implements it).
type Source interface {
	DeviceStates(ctx context.Context) ([]jsync.DeviceState, error)
	LastServerSeq(ctx context.Context) (int64, error)
	EachHouseholdLog(ctx context.Context, fn func(householdID string, events []app.Event) error) error
	SupervisionEvents(ctx context.Context) ([]app.Event, error)
	CountyRules(ctx context.Context) (app.RuleBook, []app.CalendarEntry, error)
}

var chinaTime = time.FixedZone("CST", 8*3600)

// Today is the date in China.
func Today(now time.Time) app.Date { return app.DateOf(now.In(chinaTime)) }

// FoldContext returns the rules and calendar the county published, or the
// built-in defaults for whichever it has not published; source says which.
func FoldContext(ctx context.Context, src Source) (fc app.FoldContext, source string, err error) {
	book, entries, err := src.CountyRules(ctx)
	if err != nil {
		return fc, "", err
	}
	source = "县级发布的政策参数"
	if len(book.Sets) == 0 {
		book, source = app.DefaultRuleBook(), "系统默认政策参数（县里尚未发布）"
	}
	fc.Rules = book
	if len(entries) == 0 {
		fc.Calendar = app.ChinaCalendar2025to2027()
		source += "，默认节假日安排"
	} else if cal, err := app.CalendarFromEntries(entries); err == nil {
		fc.Calendar = cal
		source += "，县级发布的节假日安排"
	} else {
		fc.Calendar = app.ChinaCalendar2025to2027()
		source += "，默认节假日安排（县级发布的日历有误）"
	}
	return fc, source, nil
}

// Snapshot is everything the dashboard shows, computed at one moment.
type Snapshot struct {
	Now         time.Time
	Today       app.Date
	Seq         int64 // the newest server_seq folded
	RulesSource string
	Rules       app.RuleSet // in force today

	Townships []*Township // by code
	Total     Township

	Programs []ProgramTable

	Overdue      []OverdueCase // oldest due first, at most MaxOverdueRows
	OverdueTotal int
	OverdueSteps []StepCount

	LeadStates   []LeadStateCount
	LeadsOverdue []OverdueLead
	LeadTotal    int
	LeadOpen     int

	Months []Month // the last 12 months, oldest first
	Chart  Chart
}

// MaxOverdueRows caps the overdue lists on the page.
const MaxOverdueRows = 30

// Township is one township's row.
type Township struct {
	Code       string
	Devices    []jsync.DeviceState
	LastPush   time.Time
	LastPull   time.Time
	Events     int
	Rejected   int
	Households int
	Cases      map[app.Program]map[app.State]int
	Receiving  int // 低保/特困 cases paying (incl. approved and phasing out)
	Overdue    int
	LeadsOpen  int
	LeadsLate  int
	PaidMonth  app.Money // paid this month (payment steps)
	Active     int       // devices not revoked
}

// ProgramTable is the case counts of one program by township and state.
type ProgramTable struct {
	Program app.Program
	States  []app.State // columns: the states any township has
	Rows    []ProgramRow
	Total   ProgramRow
}

// ProgramRow is one township's counts.
type ProgramRow struct {
	Township string
	Counts   []int // by States
	Sum      int
}

// OverdueCase is a case whose next legal step is past due.
type OverdueCase struct {
	Township string
	Village  string
	Head     string
	CaseID   string
	Program  app.Program
	State    app.State
	Step     app.Step
	Due      app.Date
	Days     int // calendar days past due
}

// StepCount counts overdue cases by step.
type StepCount struct {
	Step  app.Step
	Count int
}

// LeadStateCount counts leads by state.
type LeadStateCount struct {
	State app.LeadState
	Count int
}

// OverdueLead is an open lead past its deadline (no complainant: protected).
type OverdueLead struct {
	Township   string
	Source     app.LeadSource
	ReceivedOn app.Date
	Mode       app.HandlingMode
	Assignee   string
	Deadline   app.Date
	Days       int
	Subject    string
}

// Month is one month of payments.
type Month struct {
	Key        string // YYYY-MM
	Label      string // 3月, or 本月
	Year       string // 2025年 at the first month shown and at January
	Cases      int    // cases paid for the month (payment steps)
	Amount     app.Money
	Rostered   app.Money // on the month's bank rosters
	BankPaid   app.Money // the bank reports paid
	BankFailed app.Money // the bank returned
	Reserve    app.Money // 临时救助备用金 received
}

// fold folds the events the county holds (everything but the devices' sync state).
func fold(ctx context.Context, src Source, now time.Time) (*Snapshot, error) {
	seq, err := src.LastServerSeq(ctx)
	if err != nil {
		return nil, err
	}
	fc, rulesSource, err := FoldContext(ctx, src)
	if err != nil {
		return nil, err
	}
	today := Today(now)
	s := &Snapshot{Now: now, Today: today, Seq: seq, RulesSource: rulesSource, Rules: fc.StepContext(today).Rules}
	towns := map[string]*Township{}
	town := func(code string) *Township {
		t := towns[code]
		if t == nil {
			t = &Township{Code: code, Cases: map[app.Program]map[app.State]int{}}
			towns[code] = t
		}
		return t
	}
	// Months shown: the 12 months up to this one.
	first := today.FirstOfMonth().AddMonths(-11)
	months := map[string]*Month{}
	for i := 0; i < 12; i++ {
		m := first.AddMonths(i)
		mo := Month{Key: m.MonthKey(), Label: fmt.Sprintf("%d月", m.Month)}
		if i == 0 || m.Month == time.January {
			mo.Year = fmt.Sprintf("%d年", m.Year)
		}
		if i == 11 {
			mo.Label = "本月"
		}
		s.Months = append(s.Months, mo)
	}
	for i := range s.Months {
		months[s.Months[i].Key] = &s.Months[i]
	}
	thisMonth := today.MonthKey()
	paidCases := map[string]map[string]bool{} // month -> case ids

	steps := map[app.Step]int{}
	err = src.EachHouseholdLog(ctx, func(hid string, events []app.Event) error {
		agg := app.NewAggregate(hid)
		for i := range events {
			e := &events[i]
			if agg.Apply(e, fc) != nil || e.Type != app.EventCaseStep {
				continue
			}
			c := agg.Cases[e.CaseID]
			if c == nil || c.LastStep != e.ID || c.LastAction != app.ActionPay {
				continue // refused or in conflict: it changed nothing
			}
			var p app.CaseStep
			if json.Unmarshal(e.Payload, &p) != nil {
				continue
			}
			key, amount := p.Data.Date.MonthKey(), c.Amount
			if c.Program != app.ProgramTemporary {
				md, err := app.ParseDate(p.Data.Month + "-01")
				if err != nil {
					continue
				}
				key, amount = p.Data.Month, app.MonthlyAmount(c, &agg.Household, fc.Rules, md)
			}
			if key == thisMonth {
				code := agg.Household.TownshipCode
				if code == "" {
					code = e.TownshipCode
				}
				town(code).PaidMonth += amount
			}
			if m := months[key]; m != nil {
				m.Amount += amount
				if paidCases[key] == nil {
					paidCases[key] = map[string]bool{}
				}
				paidCases[key][c.ID] = true
			}
		}
		if !agg.Exists {
			return nil
		}
		h := &agg.Household
		code := h.TownshipCode
		if code == "" {
			code = events[0].TownshipCode
		}
		t := town(code)
		t.Households++
		head, _ := h.Head()
		for _, id := range agg.CaseIDs() {
			c := agg.Cases[id]
			if t.Cases[c.Program] == nil {
				t.Cases[c.Program] = map[app.State]int{}
			}
			t.Cases[c.Program][c.State]++
			if c.Program != app.ProgramTemporary && c.State.Receiving() {
				t.Receiving++
			}
			d, ok := c.NextDeadline(fc.StepContext(c.AppliedOn))
			if !ok || !d.Due.Before(today) {
				continue
			}
			t.Overdue++
			steps[d.Step]++
			s.Overdue = append(s.Overdue, OverdueCase{Township: code, Village: h.VillageName, Head: head.Name, CaseID: c.ID,
				Program: c.Program, State: c.State, Step: d.Step, Due: d.Due, Days: d.Due.DaysUntil(today)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k, ids := range paidCases {
		months[k].Cases = len(ids)
	}
	sort.Slice(s.Overdue, func(i, j int) bool {
		a, b := s.Overdue[i], s.Overdue[j]
		if a.Due != b.Due {
			return a.Due.Before(b.Due)
		}
		return a.CaseID < b.CaseID
	})
	s.OverdueTotal = len(s.Overdue)
	if len(s.Overdue) > MaxOverdueRows {
		s.Overdue = s.Overdue[:MaxOverdueRows]
	}
	for st, n := range steps {
		s.OverdueSteps = append(s.OverdueSteps, StepCount{st, n})
	}
	sort.Slice(s.OverdueSteps, func(i, j int) bool {
		a, b := s.OverdueSteps[i], s.OverdueSteps[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Step < b.Step
	})

	sup, err := src.SupervisionEvents(ctx)
	if err != nil {
		return nil, err
	}
	s.supervision(sup, fc, today, town, months)

	for _, t := range towns {
		s.Townships = append(s.Townships, t)
	}
	s.Chart = newChart(s.Months)
	return s, nil
}

// Compute folds everything the county holds into a snapshot for now.
func Compute(ctx context.Context, src Source, now time.Time) (*Snapshot, error) {
	s, err := fold(ctx, src, now)
	if err != nil {
		return nil, err
	}
	devices, err := src.DeviceStates(ctx)
	if err != nil {
		return nil, err
	}
	return s.withDevices(devices), nil
}

// withDevices returns a copy of the folded snapshot with the devices' sync
// state, township rows in code order and the county totals.
func (s *Snapshot) withDevices(devices []jsync.DeviceState) *Snapshot {
	out := *s
	towns := map[string]*Township{}
	for _, t := range s.Townships {
		c := *t
		c.Devices, c.Active, c.Events, c.Rejected, c.LastPush, c.LastPull = nil, 0, 0, 0, time.Time{}, time.Time{}
		towns[c.Code] = &c
	}
	for _, d := range devices {
		t := towns[d.Township]
		if t == nil {
			t = &Township{Code: d.Township, Cases: map[app.Program]map[app.State]int{}}
			towns[d.Township] = t
		}
		t.Devices = append(t.Devices, d)
		if !d.Revoked {
			t.Active++
		}
		t.Events += d.Events
		t.Rejected += d.Rejected
		if d.LastPush.After(t.LastPush) {
			t.LastPush = d.LastPush
		}
		if d.LastPull.After(t.LastPull) {
			t.LastPull = d.LastPull
		}
	}
	codes := make([]string, 0, len(towns))
	for c := range towns {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	out.Townships, out.Total, out.Programs = nil, Township{}, nil
	for _, c := range codes {
		t := towns[c]
		out.Townships = append(out.Townships, t)
		out.Total.Active += t.Active
		out.Total.Devices = append(out.Total.Devices, t.Devices...)
		out.Total.Events += t.Events
		out.Total.Rejected += t.Rejected
		out.Total.Households += t.Households
		out.Total.Receiving += t.Receiving
		out.Total.Overdue += t.Overdue
		out.Total.LeadsOpen += t.LeadsOpen
		out.Total.LeadsLate += t.LeadsLate
		out.Total.PaidMonth += t.PaidMonth
		if t.LastPush.After(out.Total.LastPush) {
			out.Total.LastPush = t.LastPush
		}
		if t.LastPull.After(out.Total.LastPull) {
			out.Total.LastPull = t.LastPull
		}
	}
	out.programTables()
	return &out
}

// supervision folds the leads, payment batches and reserve-fund receipts.
func (s *Snapshot) supervision(events []app.Event, fc app.FoldContext, today app.Date, town func(string) *Township, months map[string]*Month) {
	leads, batches := map[string][]app.Event{}, map[string][]app.Event{}
	var leadIDs, batchIDs []string
	for _, e := range events {
		switch {
		case app.IsLeadEvent(e.Type) && e.CaseID != "":
			if leads[e.CaseID] == nil {
				leadIDs = append(leadIDs, e.CaseID)
			}
			leads[e.CaseID] = append(leads[e.CaseID], e)
		case e.Type == app.EventReserveReceived:
			var p app.ReserveReceived
			if json.Unmarshal(e.Payload, &p) == nil {
				if m := months[p.Date.MonthKey()]; m != nil {
					m.Reserve += p.Amount
				}
			}
		case app.IsFundsEvent(e.Type) && e.CaseID != "":
			if batches[e.CaseID] == nil {
				batchIDs = append(batchIDs, e.CaseID)
			}
			batches[e.CaseID] = append(batches[e.CaseID], e)
		}
	}
	byState := map[app.LeadState]int{}
	for _, id := range leadIDs {
		l := app.FoldLead(id, leads[id], fc)
		if l == nil {
			continue
		}
		s.LeadTotal++
		byState[l.State]++
		t := town(l.Township)
		if l.State.Open() {
			s.LeadOpen++
			t.LeadsOpen++
		}
		if l.Overdue(today) {
			t.LeadsLate++
			s.LeadsOverdue = append(s.LeadsOverdue, OverdueLead{Township: l.Township, Source: l.Source, ReceivedOn: l.ReceivedOn,
				Mode: l.Mode, Assignee: l.Assignee, Deadline: l.Deadline, Days: l.Deadline.DaysUntil(today), Subject: l.SubjectName})
		}
	}
	for _, st := range app.LeadStates {
		s.LeadStates = append(s.LeadStates, LeadStateCount{st, byState[st]})
	}
	sort.Slice(s.LeadsOverdue, func(i, j int) bool { return s.LeadsOverdue[i].Deadline.Before(s.LeadsOverdue[j].Deadline) })
	if len(s.LeadsOverdue) > MaxOverdueRows {
		s.LeadsOverdue = s.LeadsOverdue[:MaxOverdueRows]
	}
	for _, id := range batchIDs {
		b := app.FoldBatch(id, batches[id])
		if b == nil {
			continue
		}
		m := months[b.Month]
		if m == nil {
			continue
		}
		all, paid, failed := b.Total()
		m.Rostered += all
		m.BankPaid += paid
		m.BankFailed += failed
	}
}

// programTables lays the case counts out as one table per program.
func (s *Snapshot) programTables() {
	for _, p := range app.Programs {
		pt := ProgramTable{Program: p}
		for _, st := range app.States {
			for _, t := range s.Townships {
				if t.Cases[p][st] > 0 {
					pt.States = append(pt.States, st)
					break
				}
			}
		}
		pt.Total = ProgramRow{Township: "全县合计", Counts: make([]int, len(pt.States))}
		for _, t := range s.Townships {
			if len(t.Cases[p]) == 0 {
				continue
			}
			row := ProgramRow{Township: t.Code, Counts: make([]int, len(pt.States))}
			for i, st := range pt.States {
				n := t.Cases[p][st]
				row.Counts[i] = n
				row.Sum += n
				pt.Total.Counts[i] += n
				pt.Total.Sum += n
			}
			pt.Rows = append(pt.Rows, row)
		}
		s.Programs = append(s.Programs, pt)
	}
}
