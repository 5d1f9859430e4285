package sheets

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// Figures are one row of the monthly work ledger (a village, or the township total).
type Figures struct {
	// 低保
	DibaoUrbanHouseholds int       `json:"dibao_urban_households"`
	DibaoUrbanPersons    int       `json:"dibao_urban_persons"`
	DibaoRuralHouseholds int       `json:"dibao_rural_households"`
	DibaoRuralPersons    int       `json:"dibao_rural_persons"`
	DibaoWomen           int       `json:"dibao_women"`
	DibaoElderly         int       `json:"dibao_elderly"` // 60 and over at month end
	DibaoMinors          int       `json:"dibao_minors"`  // under 18 at month end
	DibaoDisabled        int       `json:"dibao_disabled"`
	DibaoNew             int       `json:"dibao_new"`   // approved this month
	DibaoExits           int       `json:"dibao_exits"` // terminated this month
	DibaoSingle          int       `json:"dibao_single"`
	DibaoPhaseOut        int       `json:"dibao_phase_out"`
	DibaoPaidMonth       app.Money `json:"dibao_paid_month"`
	DibaoPaidYTD         app.Money `json:"dibao_paid_ytd"`
	// 特困
	TekunPersons     int       `json:"tekun_persons"`
	TekunCentral     int       `json:"tekun_central"`
	TekunDispersed   int       `json:"tekun_dispersed"`
	TekunSelfFull    int       `json:"tekun_self_full"`
	TekunSelfPartial int       `json:"tekun_self_partial"`
	TekunSelfNone    int       `json:"tekun_self_none"`
	TekunAgreements  int       `json:"tekun_agreements"`
	TekunPaidMonth   app.Money `json:"tekun_paid_month"`
	TekunPaidYTD     app.Money `json:"tekun_paid_ytd"`
	// 临时救助 (decided this month)
	TempCases          int       `json:"temp_cases"`
	TempUrgent         int       `json:"temp_urgent"`
	TempSpending       int       `json:"temp_spending"`
	TempFirst          int       `json:"temp_first"`
	TempTownship       int       `json:"temp_township"`
	TempCounty         int       `json:"temp_county"`
	TempAmount         app.Money `json:"temp_amount"`
	TempReserveUsedYTD app.Money `json:"temp_reserve_used_ytd"`
	TempToDibao        int       `json:"temp_to_dibao"`
	// 排查核对
	Screened       int `json:"screened"`
	Visited        int `json:"visited"`
	HitsDisability int `json:"hits_disability"`
	HitsMedical    int `json:"hits_medical"`
	HitsHousing    int `json:"hits_housing"`
	HitsEducation  int `json:"hits_education"`
	HitsOther      int `json:"hits_other"`
	NewlyIncluded  int `json:"newly_included"`
	Exited         int `json:"exited"`
	// 资金
	PaidMonth app.Money `json:"paid_month"`
	// 公示/档案
	NoticesPosted      int `json:"notices_posted"`
	ObjectionsReceived int `json:"objections_received"`
	ObjectionsHandled  int `json:"objections_handled"`
	Archived           int `json:"archived"`
}

func (f *Figures) add(o *Figures) {
	a, b := figureFields(f), figureFields(o)
	for i := range a {
		switch p := a[i].(type) {
		case *int:
			*p += *(b[i].(*int))
		case *app.Money:
			*p += *(b[i].(*app.Money))
		}
	}
}

func figureFields(f *Figures) []any {
	return []any{&f.DibaoUrbanHouseholds, &f.DibaoUrbanPersons, &f.DibaoRuralHouseholds, &f.DibaoRuralPersons,
		&f.DibaoWomen, &f.DibaoElderly, &f.DibaoMinors, &f.DibaoDisabled, &f.DibaoNew, &f.DibaoExits, &f.DibaoSingle,
		&f.DibaoPhaseOut, &f.DibaoPaidMonth, &f.DibaoPaidYTD, &f.TekunPersons, &f.TekunCentral, &f.TekunDispersed,
		&f.TekunSelfFull, &f.TekunSelfPartial, &f.TekunSelfNone, &f.TekunAgreements, &f.TekunPaidMonth, &f.TekunPaidYTD,
		&f.TempCases, &f.TempUrgent, &f.TempSpending, &f.TempFirst, &f.TempTownship, &f.TempCounty, &f.TempAmount,
		&f.TempReserveUsedYTD, &f.TempToDibao, &f.Screened, &f.Visited, &f.HitsDisability, &f.HitsMedical, &f.HitsHousing,
		&f.HitsEducation, &f.HitsOther, &f.NewlyIncluded, &f.Exited, &f.PaidMonth, &f.NoticesPosted,
		&f.ObjectionsReceived, &f.ObjectionsHandled, &f.Archived}
}

// VillageFigures is a village's row.
type VillageFigures struct {
	Code string  `json:"code"`
	Name string  `json:"name"`
	F    Figures `json:"figures"`
}

// Ledger is the monthly work ledger of a township, as of the month's end.
type Ledger struct {
	Month           string           `json:"month"`
	TownshipCode    string           `json:"township_code"`
	TownshipName    string           `json:"township_name"`
	AsOf            string           `json:"as_of"` // the month's last day
	ComputedOn      string           `json:"computed_on"`
	RulesVersion    string           `json:"rules_version"`
	StandardUrban   app.Money        `json:"standard_urban"`
	StandardRural   app.Money        `json:"standard_rural"`
	TekunBasicUrban app.Money        `json:"tekun_basic_urban"`
	TekunBasicRural app.Money        `json:"tekun_basic_rural"`
	ReserveFund     app.Money        `json:"reserve_fund"` // 临时救助备用金 of the year
	Villages        []VillageFigures `json:"villages"`
	Total           Figures          `json:"total"`
	// Leads are the problem leads received in the month (storage.LeadStatistics);
	// leads belong to the township, not a village. Funds are the month's payment
	// rosters (storage.FundStatistics). Both are nil in a ledger frozen before
	// they were part of it, and in the county's per-township ledgers.
	Leads    *LeadFigures `json:"leads,omitempty"`
	Funds    *FundFigures `json:"funds,omitempty"`
	Frozen   bool         `json:"-"` // read back from the frozen figures
	FrozenAt string       `json:"-"`
}

// FundFigures are the 资金 sheet's bank figures for the month's payment
// rosters: allocated (put on a roster), paid and returned by the bank, and
// still awaiting the bank's answer.
type FundFigures struct {
	Batches   int       `json:"batches"`
	Allocated app.Money `json:"allocated"`
	Paid      app.Money `json:"paid"`
	Returned  app.Money `json:"returned"`
	Pending   app.Money `json:"pending"`
}

// ComputeLedger folds the event log as of the end of month (YYYY-MM): case
// events count by the date the step was taken (a payment by its month), other
// household events by their timestamp; worklist items by their dates.
func ComputeLedger(ctx context.Context, s *storage.Store, month string, progress Progress) (*Ledger, error) {
	first, err := parseMonth(month)
	if err != nil {
		return nil, err
	}
	end := monthEnd(first)
	fc, err := s.FoldContext(ctx)
	if err != nil {
		return nil, err
	}
	rs := fc.StepContext(end).Rules
	d := s.Device()
	l := &Ledger{Month: first.MonthKey(), TownshipCode: d.TownshipCode, TownshipName: d.TownshipName, AsOf: end.String(),
		ComputedOn: s.Today().String(), RulesVersion: rs.Version, StandardUrban: rs.DibaoStandardUrban,
		StandardRural: rs.DibaoStandardRural, TekunBasicUrban: rs.TekunBasic(app.AreaUrban),
		TekunBasicRural: rs.TekunBasic(app.AreaRural), ReserveFund: rs.TempReserveFund}
	byVillage := map[string]*VillageFigures{}
	village := func(code, name string) *Figures {
		v := byVillage[code]
		if v == nil {
			v = &VillageFigures{Code: code, Name: name}
			byVillage[code] = v
		}
		if v.Name == "" {
			v.Name = name
		}
		return &v.F
	}
	done := 0
	err = s.EachHouseholdLog(ctx, func(hid string, events []app.Event) error {
		foldHousehold(events, fc, first, end, village)
		done++
		if done%500 == 0 {
			progress.report(done, 0)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := screeningFigures(ctx, s, first, end, village); err != nil {
		return nil, err
	}
	ls, err := s.LeadStatistics(ctx, first, end)
	if err != nil {
		return nil, err
	}
	l.Leads = &LeadFigures{Received: ls.Received, BySource: ls.BySource, ByMode: ls.ByMode, Concluded: ls.Concluded,
		Closed: ls.Closed, Overdue: ls.Overdue, Recovered: ls.Recovered}
	fs, err := s.FundStatistics(ctx, l.Month)
	if err != nil {
		return nil, err
	}
	l.Funds = &FundFigures{Batches: fs.Batches, Allocated: fs.Allocated, Paid: fs.Paid, Returned: fs.Returned, Pending: fs.Pending}
	codes := make([]string, 0, len(byVillage))
	for c := range byVillage {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		v := byVillage[c]
		l.Villages = append(l.Villages, *v)
		l.Total.add(&v.F)
	}
	return l, nil
}

// chinaDay is the calendar date of an event timestamp in China time.
func chinaDay(h app.HLC) app.Date { return app.DateOf(h.Time().In(time.FixedZone("CST", 8*3600))) }

// foldHousehold folds one household's events up to end and adds its figures.
func foldHousehold(events []app.Event, fc app.FoldContext, first, end app.Date, village func(code, name string) *Figures) {
	agg := app.NewAggregate(events[0].HouseholdID)
	in := func(d app.Date) bool { return !d.Before(first) && !d.After(end) }
	year := fmt.Sprintf("%04d-", first.Year)
	type payment struct {
		program app.Program
		month   string
		amount  app.Money
	}
	var pays []payment
	type stepDone struct {
		caseID string
		action app.Action
		date   app.Date
		amount app.Money
	}
	var steps []stepDone
	tempDecided := map[string]app.Date{}
	for i := range events {
		e := &events[i]
		switch e.Type {
		case app.EventHouseholdRegistered:
		case app.EventCaseApplied:
			var p app.CaseApplied
			if json.Unmarshal(e.Payload, &p) != nil || p.AppliedOn.After(end) {
				continue
			}
		case app.EventCaseStep:
			var p app.CaseStep
			if json.Unmarshal(e.Payload, &p) != nil || p.Data.Date.After(end) {
				continue
			}
			if err := agg.Apply(e, fc); err != nil {
				continue
			}
			c := agg.Cases[e.CaseID]
			if c == nil || c.LastStep != e.ID {
				continue // refused or in conflict: it changed nothing
			}
			switch p.Action {
			case app.ActionPay:
				if c.Program == app.ProgramTemporary {
					pays = append(pays, payment{c.Program, p.Data.Date.MonthKey(), c.Amount})
				} else if m, err := app.ParseDate(p.Data.Month + "-01"); err == nil && p.Data.Month <= first.MonthKey() {
					pays = append(pays, payment{c.Program, p.Data.Month, app.MonthlyAmount(c, &agg.Household, fc.Rules, m)})
				}
			case app.ActionApprove, app.ActionCountyApprove, app.ActionPayFirst:
				if c.Program == app.ProgramTemporary {
					tempDecided[c.ID] = p.Data.Date
				}
			}
			steps = append(steps, stepDone{c.ID, p.Action, p.Data.Date, c.Amount})
			continue
		default:
			if chinaDay(e.HLC).After(end) {
				continue
			}
		}
		_ = agg.Apply(e, fc)
	}
	if !agg.Exists {
		return
	}
	h := &agg.Household
	f := village(h.VillageCode, h.VillageName)
	for _, id := range agg.CaseIDs() {
		c := agg.Cases[id]
		receiving := c.State.Receiving() && !c.DecidedOn.IsZero()
		switch c.Program {
		case app.ProgramDibao:
			if !receiving {
				break
			}
			covered := 0
			for _, m := range h.Members {
				if !m.Covered {
					continue
				}
				covered++
				info, err := app.ParseID(m.IDNumber)
				if err == nil {
					if info.Sex == app.SexFemale {
						f.DibaoWomen++
					}
					if age := info.Age(end); age >= 60 {
						f.DibaoElderly++
					} else if age < 18 {
						f.DibaoMinors++
					}
				}
				if m.DisabilityGrade > 0 {
					f.DibaoDisabled++
				}
			}
			if h.Area == app.AreaUrban {
				f.DibaoUrbanHouseholds++
				f.DibaoUrbanPersons += covered
			} else {
				f.DibaoRuralHouseholds++
				f.DibaoRuralPersons += covered
			}
			if covered == 1 && len(h.Members) > 1 {
				f.DibaoSingle++
			}
			if c.State == app.StatePhasingOut {
				f.DibaoPhaseOut++
			}
		case app.ProgramTekun:
			if !receiving {
				break
			}
			f.TekunPersons += max(h.CoveredCount(), 1)
			switch c.CareMode {
			case app.CareCentralised:
				f.TekunCentral++
			case app.CareDispersed:
				f.TekunDispersed++
				if !c.AgreementSigned.IsZero() {
					f.TekunAgreements++
				}
			}
			switch c.SelfCare {
			case app.SelfCareFull:
				f.TekunSelfFull++
			case app.SelfCarePartial:
				f.TekunSelfPartial++
			case app.SelfCareNone:
				f.TekunSelfNone++
			}
		case app.ProgramTemporary:
			if d, ok := tempDecided[c.ID]; ok {
				if !c.CountyGrant && d.Year == first.Year {
					f.TempReserveUsedYTD += c.Amount
				}
				if in(d) {
					f.TempCases++
					f.TempAmount += c.Amount
					if c.TempKind == app.TempUrgent {
						f.TempUrgent++
					} else {
						f.TempSpending++
					}
					if c.CountyGrant {
						f.TempCounty++
					} else {
						f.TempTownship++
					}
					if !c.PaidFirstOn.IsZero() && in(c.PaidFirstOn) {
						f.TempFirst++
					}
				}
			}
		}
	}
	// A household helped by 临时救助 that applied for 低保 this month moved on to 低保.
	hadTemp, dibaoApplied := false, false
	for _, c := range agg.Cases {
		if c.Program == app.ProgramTemporary && !c.DecidedOn.IsZero() {
			hadTemp = true
		}
		if c.Program == app.ProgramDibao && in(c.AppliedOn) {
			dibaoApplied = true
		}
	}
	if hadTemp && dibaoApplied {
		f.TempToDibao++
	}
	objected := map[string]bool{}
	for _, st := range steps {
		c := agg.Cases[st.caseID]
		if !in(st.date) {
			if st.action == app.ActionObject {
				objected[st.caseID] = true
			}
			continue
		}
		switch st.action {
		case app.ActionApprove:
			if c.Program == app.ProgramDibao {
				f.DibaoNew++
			}
		case app.ActionTerminate:
			if c.Program == app.ProgramDibao {
				f.DibaoExits++
			}
		case app.ActionNotice:
			f.NoticesPosted++
		case app.ActionObject:
			f.ObjectionsReceived++
			objected[st.caseID] = true
		case app.ActionVisit, app.ActionReject:
			// An objection is handled by investigating again (or deciding).
			if objected[st.caseID] {
				f.ObjectionsHandled++
				delete(objected, st.caseID)
			}
		case app.ActionArchive:
			f.Archived++
		}
	}
	for _, p := range pays {
		if !(p.month >= year && p.month <= first.MonthKey()) {
			continue
		}
		switch p.program {
		case app.ProgramDibao:
			f.DibaoPaidYTD += p.amount
			if p.month == first.MonthKey() {
				f.DibaoPaidMonth += p.amount
			}
		case app.ProgramTekun:
			f.TekunPaidYTD += p.amount
			if p.month == first.MonthKey() {
				f.TekunPaidMonth += p.amount
			}
		}
		if p.month == first.MonthKey() {
			f.PaidMonth += p.amount
		}
	}
}

// screeningFigures adds the cross-check worklist of the month.
func screeningFigures(ctx context.Context, s *storage.Store, first, end app.Date, village func(code, name string) *Figures) error {
	items, err := s.WorklistItems(ctx, storage.WorklistFilter{})
	if err != nil {
		return err
	}
	from, to := first.String(), end.String()
	for _, it := range items {
		f := village(it.VillageCode, it.VillageName)
		if it.VillageCode == "" {
			f = village("", "（未登记人员）")
		}
		if it.CreatedOn >= from && it.CreatedOn <= to {
			f.Screened++
			switch it.Source {
			case SourceDisability:
				f.HitsDisability++
			case SourceMedical:
				f.HitsMedical++
			case SourceHousing:
				f.HitsHousing++
			case SourceEducation:
				f.HitsEducation++
			default:
				f.HitsOther++
			}
		}
		if it.ClosedOn >= from && it.ClosedOn <= to {
			f.Visited++
			switch it.Result {
			case storage.ResultIncluded:
				f.NewlyIncluded++
			case storage.ResultExited:
				f.Exited++
			}
		}
	}
	return nil
}

// LedgerOptions tune ExportLedger.
type LedgerOptions struct {
	Actor    app.Actor
	Progress Progress
}

// ExportLedger writes the monthly work ledger for month. A month that has
// ended is frozen at its first export: its figures are stored and every later
// export writes the same figures, whatever the log says by then.
func ExportLedger(ctx context.Context, s *storage.Store, month string, w io.Writer, opt LedgerOptions) (*Ledger, error) {
	l, err := LedgerFor(ctx, s, month, opt)
	if err != nil {
		return nil, err
	}
	return l, writeLedger(l, w)
}

// LedgerFor returns the frozen figures of month, or computes them (and
// freezes them once the month is over).
func LedgerFor(ctx context.Context, s *storage.Store, month string, opt LedgerOptions) (*Ledger, error) {
	first, err := parseMonth(month)
	if err != nil {
		return nil, err
	}
	if data, at, ok, err := s.FrozenLedger(ctx, first.MonthKey()); err != nil {
		return nil, err
	} else if ok {
		var l Ledger
		if err := json.Unmarshal(data, &l); err != nil {
			return nil, fmt.Errorf("frozen ledger %s: %w", month, err)
		}
		l.Frozen, l.FrozenAt = true, at
		return &l, nil
	}
	if first.After(s.Today()) {
		return nil, app.FieldErrorf("月份", "%s 还没有开始，不能生成台账", first.MonthKey())
	}
	l, err := ComputeLedger(ctx, s, month, opt.Progress)
	if err != nil {
		return nil, err
	}
	if !monthEnd(first).Before(s.Today()) {
		return l, nil // the month is not over: figures so far, not frozen
	}
	if opt.Actor.UserID == "" {
		opt.Actor = app.Actor{UserID: "export:ledger", Name: "台账导出", Role: app.RoleClerk}
	}
	data, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	stored, err := s.FreezeLedger(ctx, opt.Actor, l.Month, data)
	if err != nil {
		return nil, err
	}
	var out Ledger
	if err := json.Unmarshal(stored, &out); err != nil {
		return nil, err
	}
	out.Frozen = true
	_, out.FrozenAt, _, _ = s.FrozenLedger(ctx, l.Month)
	return &out, nil
}

type ledgerSheet struct {
	name, title string
	cols        []column
	row         func(f *Figures, l *Ledger) []any
}

func yuan(m app.Money) float64 { return m.Yuan() }

func perPerson(m app.Money, n int) float64 {
	if n == 0 {
		return 0
	}
	return (m / app.Money(n)).Yuan()
}

var ledgerSheets = []ledgerSheet{
	{"低保", "城乡低保", []column{{"城市户数", 9, colInt}, {"城市人数", 9, colInt}, {"农村户数", 9, colInt}, {"农村人数", 9, colInt},
		{"女性", 7, colInt}, {"老年人(60岁以上)", 10, colInt}, {"未成年人", 9, colInt}, {"残疾人", 8, colInt}, {"本月新增(户)", 9, colInt},
		{"本月退出(户)", 9, colInt}, {"单人保(户)", 9, colInt}, {"渐退期(户)", 9, colInt}, {"本月支出(元)", 13, colMoney},
		{"本年累计支出(元)", 14, colMoney}, {"月人均补助(元)", 12, colMoney}},
		func(f *Figures, l *Ledger) []any {
			persons := f.DibaoUrbanPersons + f.DibaoRuralPersons
			return []any{f.DibaoUrbanHouseholds, f.DibaoUrbanPersons, f.DibaoRuralHouseholds, f.DibaoRuralPersons, f.DibaoWomen,
				f.DibaoElderly, f.DibaoMinors, f.DibaoDisabled, f.DibaoNew, f.DibaoExits, f.DibaoSingle, f.DibaoPhaseOut,
				yuan(f.DibaoPaidMonth), yuan(f.DibaoPaidYTD), perPerson(f.DibaoPaidMonth, persons)}
		}},
	{"特困", "特困人员救助供养", []column{{"供养人数", 9, colInt}, {"集中供养", 9, colInt}, {"分散供养", 9, colInt}, {"全自理", 8, colInt},
		{"半护理", 8, colInt}, {"全护理", 8, colInt}, {"签订照料协议", 10, colInt}, {"本月支出(元)", 13, colMoney}, {"本年累计支出(元)", 14, colMoney}},
		func(f *Figures, l *Ledger) []any {
			return []any{f.TekunPersons, f.TekunCentral, f.TekunDispersed, f.TekunSelfFull, f.TekunSelfPartial, f.TekunSelfNone,
				f.TekunAgreements, yuan(f.TekunPaidMonth), yuan(f.TekunPaidYTD)}
		}},
	{"临时救助", "临时救助", []column{{"救助人次", 9, colInt}, {"急难型", 8, colInt}, {"支出型", 8, colInt}, {"先行救助", 9, colInt},
		{"乡镇审批", 9, colInt}, {"报县审批", 9, colInt}, {"救助金额(元)", 13, colMoney}, {"备用金本年已用(元)", 15, colMoney},
		{"转入低保(户)", 10, colInt}},
		func(f *Figures, l *Ledger) []any {
			return []any{f.TempCases, f.TempUrgent, f.TempSpending, f.TempFirst, f.TempTownship, f.TempCounty, yuan(f.TempAmount),
				yuan(f.TempReserveUsedYTD), f.TempToDibao}
		}},
	{"排查核对", "排查与信息核对", []column{{"排查(人)", 9, colInt}, {"入户核查办结", 11, colInt}, {"残联比对", 9, colInt}, {"医保比对", 9, colInt},
		{"住建比对", 9, colInt}, {"教育比对", 9, colInt}, {"其他比对", 9, colInt}, {"新纳入(漏保整改)", 12, colInt}, {"退出(错保整改)", 12, colInt}},
		func(f *Figures, l *Ledger) []any {
			return []any{f.Screened, f.Visited, f.HitsDisability, f.HitsMedical, f.HitsHousing, f.HitsEducation, f.HitsOther,
				f.NewlyIncluded, f.Exited}
		}},
	{"资金", "救助资金", []column{{"下拨资金(元)", 13, colMoney}, {"银行发放(元)", 13, colMoney}, {"本月发放(元)", 13, colMoney},
		{"其中低保(元)", 13, colMoney}, {"其中特困(元)", 13, colMoney}, {"其中临时救助(元)", 14, colMoney}, {"银行退回(元)", 12, colMoney},
		{"追回资金(元)", 12, colMoney}},
		func(f *Figures, l *Ledger) []any {
			// The rosters and the leads belong to the township: their figures go on its total row only.
			var allocated, paid, returned, recovered any
			if f == &l.Total && l.Funds != nil {
				allocated, paid, returned = yuan(l.Funds.Allocated), yuan(l.Funds.Paid), yuan(l.Funds.Returned)
			}
			if f == &l.Total && l.Leads != nil {
				recovered = yuan(l.Leads.Recovered)
			}
			return []any{allocated, paid, yuan(f.PaidMonth + f.TempAmount), yuan(f.DibaoPaidMonth), yuan(f.TekunPaidMonth),
				yuan(f.TempAmount), returned, recovered}
		}},
	{"公示档案", "公示与档案", []column{{"公示(件)", 9, colInt}, {"收到异议(件)", 10, colInt}, {"异议已处理(件)", 11, colInt}, {"归档(件)", 9, colInt}},
		func(f *Figures, l *Ledger) []any {
			return []any{f.NoticesPosted, f.ObjectionsReceived, f.ObjectionsHandled, f.Archived}
		}},
}

// sheetNotes are the explanations under a ledger sheet (before the status line).
func sheetNotes(name string, l *Ledger) []string {
	var notes []string
	switch name {
	case "低保":
		notes = append(notes, fmt.Sprintf("执行标准（%s版）：城市 %s 元/人·月，农村 %s 元/人·月。户数、人数为月末保障中（含待发放、渐退期）的户和保障人口。",
			l.RulesVersion, l.StandardUrban, l.StandardRural))
	case "特困":
		notes = append(notes, fmt.Sprintf("基本生活标准：城市 %s 元/人·月，农村 %s 元/人·月。", l.TekunBasicUrban, l.TekunBasicRural))
	case "临时救助":
		notes = append(notes, fmt.Sprintf("乡镇临时救助备用金：本年 %s 元，已用 %s 元，结余 %s 元（已用为乡镇审批金额，县级审批不占用）。",
			l.ReserveFund, l.Total.TempReserveUsedYTD, l.ReserveFund-l.Total.TempReserveUsedYTD))
	case "排查核对":
		notes = append(notes, "排查为本月生成的信息核对核查事项，办结为本月入户核查并登记结果的事项。")
	case "资金":
		notes = append(notes, "本月发放为低保、特困按月发放金额与本月审批的临时救助金额之和。")
		switch {
		case l.Funds == nil:
			notes = append(notes, "下拨资金、银行发放、银行退回、追回资金不在本台账中，请按财务账填写。")
		default:
			n := fmt.Sprintf("下拨资金为本月发放名单（%d 批）报送银行的金额，银行发放、银行退回为银行回盘结果，追回资金为本月受理的问题线索追回的金额；乡镇合计行填写，各村(社区)不分列。",
				l.Funds.Batches)
			if l.Funds.Pending != 0 {
				n += fmt.Sprintf("尚有 %s 元未收到银行回盘。", l.Funds.Pending)
			}
			notes = append(notes, n)
		}
	}
	return notes
}

func writeLedger(l *Ledger, w io.Writer) error {
	b, err := newBook()
	if err != nil {
		return err
	}
	first, _ := parseMonth(l.Month)
	status := "截至 " + l.AsOf
	if l.Frozen {
		status += "，已于 " + l.FrozenAt + " 报送锁定"
	} else {
		status += "，本月尚未结束，数据为临时数，不锁定"
	}
	for _, ls := range ledgerSheets {
		cols := append([]column{{"村(社区)代码", 14, colText}, {"村(社区)", 14, colText}}, ls.cols...)
		title := fmt.Sprintf("%s%d年%d月%s工作台账", l.TownshipName, first.Year, int(first.Month), ls.title)
		sh, err := b.sheet(ls.name, title, cols)
		if err != nil {
			return err
		}
		for i := range l.Villages {
			v := &l.Villages[i]
			if err := sh.add(append([]any{v.Code, v.Name}, ls.row(&v.F, l)...)...); err != nil {
				return err
			}
		}
		if err := sh.total(append([]any{l.TownshipCode, "全镇合计"}, ls.row(&l.Total, l)...)...); err != nil {
			return err
		}
		notes := append(sheetNotes(ls.name, l), status)
		for _, n := range notes {
			if err := sh.note(n); err != nil {
				return err
			}
		}
		if err := sh.flush(); err != nil {
			return err
		}
	}
	// 问题线索: leads belong to the township, so one row.
	sh, err := b.sheet("问题线索", fmt.Sprintf("%s%d年%d月问题线索工作台账", l.TownshipName, first.Year, int(first.Month)),
		leadColumns([]column{{"乡镇代码", 12, colText}, {"乡镇", 14, colText}}))
	if err != nil {
		return err
	}
	notes := []string{status}
	if l.Leads == nil {
		notes = append([]string{"本月台账锁定时系统尚未登记问题线索，本表无数据；请按线索台账另行填报。"}, notes...)
	} else {
		if err := sh.total(append([]any{l.TownshipCode, "全镇合计"}, leadRow(l.Leads)...)...); err != nil {
			return err
		}
		notes = append([]string{"本月受理的问题线索（来源：热线、信访、网络、媒体、纪委监委、上级转办）；办结、销号为计算时的状态，超期为月末仍未办结且已过办理期限的线索。"}, notes...)
	}
	for _, n := range notes {
		if err := sh.note(n); err != nil {
			return err
		}
	}
	if err := sh.flush(); err != nil {
		return err
	}
	return b.write(w)
}

// leadColumns are the 问题线索 columns after the given leading ones: received,
// by source, by handling mode, concluded, closed, overdue and recovered.
func leadColumns(lead []column) []column {
	cols := append(lead, column{"收到(件)", 9, colInt})
	for _, s := range app.LeadSources {
		cols = append(cols, column{s.Label(), 9, colInt})
	}
	for _, m := range app.HandlingModes {
		cols = append(cols, column{m.Label(), 9, colInt})
	}
	return append(cols, column{"办结(件)", 9, colInt}, column{"销号(件)", 9, colInt}, column{"超期(件)", 9, colInt},
		column{"追回资金(元)", 12, colMoney})
}

// leadRow is a 问题线索 row's figures in leadColumns order.
func leadRow(f *LeadFigures) []any {
	out := []any{f.Received}
	for _, s := range app.LeadSources {
		out = append(out, f.BySource[s])
	}
	for _, m := range app.HandlingModes {
		out = append(out, f.ByMode[m])
	}
	return append(out, f.Concluded, f.Closed, f.Overdue, yuan(f.Recovered))
}
