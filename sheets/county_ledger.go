package sheets

import (
	"context"
	"fmt"
	"io"
	"sort"

	"jiuzhu/app"
)

// The county's ledger: the same monthly work ledger for every township, from
// the events the county holds. Household figures come from foldHousehold,
// the very fold a township's own ledger uses, so a township's rows in the
// county workbook equal its own ledger (except 排查核对, whose worklists stay
// on the township's devices).

// HouseholdLogs walks every household's events in canonical order, one
// household at a time (storage.Store.EachHouseholdLog on a device,
// sync.SQLiteStore.EachHouseholdLog at the county).
type HouseholdLogs func(ctx context.Context, fn func(householdID string, events []app.Event) error) error

// LeadFigures is one township's 问题线索 row: leads received in the month.
type LeadFigures struct {
	Received  int                      `json:"received"`
	BySource  map[app.LeadSource]int   `json:"by_source"`
	ByMode    map[app.HandlingMode]int `json:"by_mode"`
	Concluded int                      `json:"concluded"` // concluded or closed
	Closed    int                      `json:"closed"`
	Overdue   int                      `json:"overdue"` // open and past the deadline at the month's end
	Recovered app.Money                `json:"recovered"`
}

func (f *LeadFigures) add(o *LeadFigures) {
	if f.BySource == nil {
		f.BySource, f.ByMode = map[app.LeadSource]int{}, map[app.HandlingMode]int{}
	}
	f.Received += o.Received
	for k, v := range o.BySource {
		f.BySource[k] += v
	}
	for k, v := range o.ByMode {
		f.ByMode[k] += v
	}
	f.Concluded += o.Concluded
	f.Closed += o.Closed
	f.Overdue += o.Overdue
	f.Recovered += o.Recovered
}

// CountyLedger is the monthly work ledger of every township.
type CountyLedger struct {
	Month      string
	AsOf       string
	ComputedOn string
	// Townships in code order; each a township ledger with its villages and total.
	Townships []*Ledger
	Leads     map[string]*LeadFigures // by township code
	Total     Figures
	LeadTotal LeadFigures
	// Rule figures in force at the month's end (as in a township ledger).
	Rules *Ledger
}

// ComputeCountyLedger folds every household's log as of the end of month
// (YYYY-MM), grouped by township, and counts the leads received in the month.
// names gives township names by code (a code without a name shows the code);
// supervision holds the lead events (others are ignored).
func ComputeCountyLedger(ctx context.Context, logs HouseholdLogs, supervision []app.Event, fc app.FoldContext,
	month string, today app.Date, names map[string]string) (*CountyLedger, error) {
	first, err := parseMonth(month)
	if err != nil {
		return nil, err
	}
	if first.After(today) {
		return nil, app.FieldErrorf("月份", "%s 还没有开始，不能生成台账", first.MonthKey())
	}
	end := monthEnd(first)
	rs := fc.StepContext(end).Rules
	cl := &CountyLedger{Month: first.MonthKey(), AsOf: end.String(), ComputedOn: today.String(),
		Leads: map[string]*LeadFigures{}}
	cl.Rules = &Ledger{Month: cl.Month, AsOf: cl.AsOf, ComputedOn: cl.ComputedOn, RulesVersion: rs.Version,
		StandardUrban: rs.DibaoStandardUrban, StandardRural: rs.DibaoStandardRural,
		TekunBasicUrban: rs.TekunBasic(app.AreaUrban), TekunBasicRural: rs.TekunBasic(app.AreaRural), ReserveFund: rs.TempReserveFund}
	villages := map[string]map[string]*VillageFigures{} // township -> village code -> row
	err = logs(ctx, func(hid string, events []app.Event) error {
		township := events[0].TownshipCode
		foldHousehold(events, fc, first, end, func(code, name string) *Figures {
			t := township
			if len(code) == 12 {
				t = code[:9]
			}
			if villages[t] == nil {
				villages[t] = map[string]*VillageFigures{}
			}
			v := villages[t][code]
			if v == nil {
				v = &VillageFigures{Code: code, Name: name}
				villages[t][code] = v
			}
			if v.Name == "" {
				v.Name = name
			}
			return &v.F
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	leadFigures(supervision, fc, first, end, cl.Leads)
	codes := map[string]bool{}
	for t := range villages {
		codes[t] = true
	}
	for t := range cl.Leads {
		codes[t] = true
	}
	for _, t := range sortedKeys(codes) {
		l := &Ledger{Month: cl.Month, TownshipCode: t, TownshipName: names[t], AsOf: cl.AsOf, ComputedOn: cl.ComputedOn,
			RulesVersion: rs.Version, StandardUrban: rs.DibaoStandardUrban, StandardRural: rs.DibaoStandardRural,
			TekunBasicUrban: cl.Rules.TekunBasicUrban, TekunBasicRural: cl.Rules.TekunBasicRural, ReserveFund: rs.TempReserveFund}
		if l.TownshipName == "" {
			l.TownshipName = "乡镇" + t
		}
		vs := villages[t]
		vcodes := make([]string, 0, len(vs))
		for c := range vs {
			vcodes = append(vcodes, c)
		}
		sort.Strings(vcodes)
		for _, c := range vcodes {
			l.Villages = append(l.Villages, *vs[c])
			l.Total.add(&vs[c].F)
		}
		cl.Total.add(&l.Total)
		if lf := cl.Leads[t]; lf != nil {
			cl.LeadTotal.add(lf)
		}
		cl.Townships = append(cl.Townships, l)
	}
	return cl, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// leadFigures counts the leads received in [first, end] by township, as a
// township's own ledger does (storage.Store.LeadStatistics): the lead's
// current state, overdue as of the month's end.
func leadFigures(events []app.Event, fc app.FoldContext, first, end app.Date, out map[string]*LeadFigures) {
	byLead := map[string][]app.Event{}
	var ids []string
	for _, e := range events {
		if !app.IsLeadEvent(e.Type) || e.CaseID == "" {
			continue
		}
		if byLead[e.CaseID] == nil {
			ids = append(ids, e.CaseID)
		}
		byLead[e.CaseID] = append(byLead[e.CaseID], e)
	}
	for _, id := range ids {
		l := app.FoldLead(id, byLead[id], fc)
		if l == nil || l.ReceivedOn.Before(first) || l.ReceivedOn.After(end) {
			continue
		}
		f := out[l.Township]
		if f == nil {
			f = &LeadFigures{BySource: map[app.LeadSource]int{}, ByMode: map[app.HandlingMode]int{}}
			out[l.Township] = f
		}
		f.Received++
		f.BySource[l.Source]++
		if l.Mode != "" {
			f.ByMode[l.Mode]++
		}
		switch l.State {
		case app.LeadConcluded:
			f.Concluded++
		case app.LeadClosed:
			f.Concluded++
			f.Closed++
		}
		if l.Overdue(end.AddDays(1)) {
			f.Overdue++
		}
		f.Recovered += l.Recovered
	}
}

// WriteCountyLedger writes the county workbook: for each sheet of the
// township ledger, every township's villages, the township's total and the
// county total; then the 问题线索 sheet by township.
func WriteCountyLedger(cl *CountyLedger, w io.Writer) error {
	b, err := newBook()
	if err != nil {
		return err
	}
	first, _ := parseMonth(cl.Month)
	status := fmt.Sprintf("截至 %s，按县里 %s 已收到的各乡镇同步数据计算；乡镇尚未同步的办理记录不在其中。", cl.AsOf, cl.ComputedOn)
	for _, ls := range ledgerSheets {
		cols := append([]column{{"代码", 14, colText}, {"乡镇 / 村(社区)", 16, colText}}, ls.cols...)
		title := fmt.Sprintf("全县%d年%d月%s工作台账", first.Year, int(first.Month), ls.title)
		sh, err := b.sheet(ls.name, title, cols)
		if err != nil {
			return err
		}
		for _, l := range cl.Townships {
			for i := range l.Villages {
				v := &l.Villages[i]
				if err := sh.add(append([]any{v.Code, v.Name}, ls.row(&v.F, l)...)...); err != nil {
					return err
				}
			}
			if err := sh.total(append([]any{l.TownshipCode, l.TownshipName + "合计"}, ls.row(&l.Total, l)...)...); err != nil {
				return err
			}
		}
		if err := sh.total(append([]any{"", "全县合计"}, ls.row(&cl.Total, cl.Rules)...)...); err != nil {
			return err
		}
		var notes []string
		switch ls.name {
		case "临时救助":
			notes = append(notes, fmt.Sprintf("每个乡镇本年临时救助备用金 %s 元；“备用金本年已用”为各乡镇审批金额，县级审批不占用。", cl.Rules.ReserveFund))
		case "排查核对":
			notes = append(notes, "排查核对事项保存在各乡镇设备上，不同步到县里，本表为 0；请以各乡镇台账为准。")
		default:
			notes = sheetNotes(ls.name, cl.Rules)
		}
		for _, n := range append(notes, status) {
			if err := sh.note(n); err != nil {
				return err
			}
		}
		if err := sh.flush(); err != nil {
			return err
		}
	}
	cols := []column{{"乡镇代码", 12, colText}, {"乡镇", 14, colText}, {"收到(件)", 9, colInt}}
	for _, s := range app.LeadSources {
		cols = append(cols, column{s.Label(), 9, colInt})
	}
	for _, m := range app.HandlingModes {
		cols = append(cols, column{m.Label(), 9, colInt})
	}
	cols = append(cols, column{"办结(件)", 9, colInt}, column{"销号(件)", 9, colInt}, column{"超期(件)", 9, colInt},
		column{"追回资金(元)", 12, colMoney})
	sh, err := b.sheet("问题线索", fmt.Sprintf("全县%d年%d月问题线索工作台账", first.Year, int(first.Month)), cols)
	if err != nil {
		return err
	}
	row := func(f *LeadFigures) []any {
		out := []any{f.Received}
		for _, s := range app.LeadSources {
			out = append(out, f.BySource[s])
		}
		for _, m := range app.HandlingModes {
			out = append(out, f.ByMode[m])
		}
		return append(out, f.Concluded, f.Closed, f.Overdue, yuan(f.Recovered))
	}
	for _, l := range cl.Townships {
		f := cl.Leads[l.TownshipCode]
		if f == nil {
			f = &LeadFigures{}
		}
		if err := sh.add(append([]any{l.TownshipCode, l.TownshipName}, row(f)...)...); err != nil {
			return err
		}
	}
	if err := sh.total(append([]any{"", "全县合计"}, row(&cl.LeadTotal)...)...); err != nil {
		return err
	}
	for _, n := range []string{"本月受理的问题线索；办结、销号为导出时的状态，超期为月末仍未办结且已过办理期限的线索。", status} {
		if err := sh.note(n); err != nil {
			return err
		}
	}
	if err := sh.flush(); err != nil {
		return err
	}
	return b.write(w)
}
