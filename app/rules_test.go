package app

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultRuleSetsValidate(t *testing.T) {
	if err := DefaultRuleSet2024().Validate(); err != nil {
		t.Fatalf("DefaultRuleSet2024: %v", err)
	}
	b := DefaultRuleBook()
	if len(b.Sets) != 3 {
		t.Fatalf("DefaultRuleBook has %d sets", len(b.Sets))
	}
	for i, rs := range b.Sets {
		if err := rs.Validate(); err != nil {
			t.Errorf("set %s: %v", rs.Version, err)
		}
		if i > 0 && !b.Sets[i-1].EffectiveFrom.Before(rs.EffectiveFrom) {
			t.Errorf("sets not sorted at %d", i)
		}
	}
}

func TestRuleBookAt(t *testing.T) {
	b := DefaultRuleBook()
	tests := []struct {
		date    Date
		version string
		urban   Money
	}{
		{Date{2024, 1, 1}, "2024-01", Yuan(780)},
		{Date{2025, 6, 30}, "2024-01", Yuan(780)},
		{Date{2025, 7, 1}, "2025-07", Yuan(820)},
		{Date{2026, 6, 30}, "2025-07", Yuan(820)},
		{Date{2026, 7, 1}, "2026-07", Yuan(850)},
		{Date{2030, 1, 1}, "2026-07", Yuan(850)},
	}
	for _, tt := range tests {
		rs, err := b.At(tt.date)
		if err != nil {
			t.Errorf("At(%s): %v", tt.date, err)
			continue
		}
		if rs.Version != tt.version || rs.DibaoStandardUrban != tt.urban {
			t.Errorf("At(%s) = %s (urban %s), want %s (%s)", tt.date, rs.Version, rs.DibaoStandardUrban, tt.version, tt.urban)
		}
	}
	if _, err := b.At(Date{2023, 12, 31}); ErrorCode(err) != ENOTFOUND || !strings.Contains(ErrorMessage(err), "2024-01-01") {
		t.Errorf("At before the first set: %v", err)
	}
	if _, err := (RuleBook{}).At(Date{2025, 1, 1}); ErrorCode(err) != ENOTFOUND {
		t.Errorf("At on an empty book: %v", err)
	}
}

// A raise applies to amounts computed from its effective date, not before.
func TestRuleChangeAppliesFromItsDate(t *testing.T) {
	b := DefaultRuleBook()
	h := testHousehold(AreaRural, 2, 2, Income{Kind: IncomeWage, Monthly: Yuan(600)})
	before, _ := b.At(Date{2025, 6, 30})
	after, _ := b.At(Date{2025, 7, 1})
	cb, ca := ComputeDibao(before, h), ComputeDibao(after, h)
	// rural 700 -> 740; per-capita income 300; 2 persons
	if cb.Amount != Yuan(800) || ca.Amount != Yuan(880) {
		t.Errorf("before %s, after %s; want 800.00 and 880.00", cb.Amount, ca.Amount)
	}
	if cb.RuleVersion != "2024-01" || ca.RuleVersion != "2025-07" {
		t.Errorf("versions %s, %s", cb.RuleVersion, ca.RuleVersion)
	}
}

func TestRuleBookAdd(t *testing.T) {
	var b RuleBook
	mk := func(v string, eff Date) RuleSet {
		rs := DefaultRuleSet2024()
		rs.Version, rs.EffectiveFrom = v, eff
		return rs
	}
	for _, rs := range []RuleSet{mk("b", Date{2025, 1, 1}), mk("c", Date{2026, 1, 1}), mk("a", Date{2024, 1, 1})} {
		if err := b.Add(rs); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, rs := range b.Sets {
		got = append(got, rs.Version)
	}
	if strings.Join(got, ",") != "a,b,c" {
		t.Errorf("order %v", got)
	}
	if err := b.Add(mk("d", Date{2025, 1, 1})); ErrorCode(err) != ECONFLICT {
		t.Errorf("duplicate EffectiveFrom: %v", err)
	}
	if err := b.Add(mk("a", Date{2027, 1, 1})); ErrorCode(err) != ECONFLICT {
		t.Errorf("duplicate version: %v", err)
	}
	bad := mk("e", Date{2027, 1, 1})
	bad.TekunBasicRatio = 1.2
	if err := b.Add(bad); err == nil || len(b.Sets) != 3 {
		t.Errorf("invalid set added: %v", err)
	}
	// The book keeps its own copy.
	rs := mk("f", Date{2028, 1, 1})
	if err := b.Add(rs); err != nil {
		t.Fatal(err)
	}
	rs.CareAllowance[CareDispersed][SelfCareNone] = 1
	rs.TimeLimits[ProgramDibao][StepWhole] = 1
	rs.ExcludedIncome[0] = IncomeWage
	in, _ := b.At(Date{2028, 1, 1})
	if in.CareAllowance[CareDispersed][SelfCareNone] != Yuan(525) || in.TimeLimit(ProgramDibao, StepWhole) != 30 || in.Excludes(IncomeWage) {
		t.Errorf("editing the added set changed the book")
	}
}

func TestRuleSetValidateErrors(t *testing.T) {
	tests := []struct {
		field  string
		mutate func(*RuleSet)
		msg    string
	}{
		{"版本号", func(r *RuleSet) { r.Version = " " }, "版本号"},
		{"生效日期", func(r *RuleSet) { r.EffectiveFrom = Date{} }, "生效日期"},
		{"城市低保标准", func(r *RuleSet) { r.DibaoStandardUrban = 0 }, "须大于0"},
		{"农村低保标准", func(r *RuleSet) { r.DibaoStandardRural = -1 }, "须大于0"},
		{"低保金计算方式", func(r *RuleSet) { r.DibaoMethod = "flat" }, "补差或分档"},
		{"分档标准", func(r *RuleSet) { r.DibaoMethod = DibaoMethodBanded }, "至少设置一档"},
		{"第2档", func(r *RuleSet) {
			r.DibaoMethod = DibaoMethodBanded
			r.Bands = []Band{{Yuan(300), Yuan(500)}, {Yuan(200), Yuan(400)}, {Yuan(800), Yuan(200)}}
		}, "收入上限须高于上一档"},
		{"第2档", func(r *RuleSet) {
			r.DibaoMethod = DibaoMethodBanded
			r.Bands = []Band{{Yuan(300), Yuan(500)}, {Yuan(800), Yuan(600)}}
		}, "补助不应多于上一档"},
		{"第1档", func(r *RuleSet) {
			r.DibaoMethod = DibaoMethodBanded
			r.Bands = []Band{{Yuan(300), 0}, {Yuan(800), Yuan(100)}}
		}, "每人补助金额须大于0"},
		{"第2档", func(r *RuleSet) {
			r.DibaoMethod = DibaoMethodBanded
			r.Bands = []Band{{Yuan(300), Yuan(500)}, {Yuan(700), Yuan(100)}} // urban standard is 780
		}, "须覆盖到低保标准"},
		{"保底系数", func(r *RuleSet) { r.FloorRatio = 1 }, "0（不设保底）到1之间"},
		{"保底系数", func(r *RuleSet) { r.FloorRatio = -0.1 }, "0（不设保底）到1之间"},
		{"不计入收入项目", func(r *RuleSet) { r.ExcludedIncome = append(r.ExcludedIncome, "lottery") }, "lottery"},
		{"低保边缘系数", func(r *RuleSet) { r.EdgeMultiplier = 0.9 }, "1到3之间"},
		{"人均财产限额", func(r *RuleSet) { r.AssetLimitPerCapita = -1 }, "不能为负数"},
		{"特困基本生活标准系数", func(r *RuleSet) { r.TekunBasicRatio = 1.29 }, "特困基本生活标准系数不得低于1.3"},
		{"照料护理补贴（分散供养·全护理）", func(r *RuleSet) { delete(r.CareAllowance[CareDispersed], SelfCareNone) }, "请填写"},
		{"照料护理补贴（集中供养·全自理）", func(r *RuleSet) { r.CareAllowance[CareCentralised][SelfCareFull] = -1 }, "不能为负数"},
		{"照料护理补贴（集中供养·全护理）", func(r *RuleSet) { r.CareAllowance[CareCentralised][SelfCareNone] = Yuan(100) }, "不应低于"},
		{"照料护理补贴（分散供养·全自理）", func(r *RuleSet) { r.CareAllowance = nil }, "请填写"},
		{"乡镇临时救助审批额度", func(r *RuleSet) { r.TempTownshipLimit = 0 }, "须大于0"},
		{"临时救助备用金", func(r *RuleSet) { r.TempReserveFund = 0 }, "须大于0"},
		{"渐退期月数", func(r *RuleSet) { r.PhaseOutMonths = 13 }, "0到12个月"},
		{"稳定家庭复核周期", func(r *RuleSet) { r.ReviewMonthsStable = 0 }, "1到24个月"},
		{"不稳定家庭复核周期", func(r *RuleSet) { r.ReviewMonthsUnstable = 25 }, "1到24个月"},
		{"不稳定家庭复核周期", func(r *RuleSet) { r.ReviewMonthsUnstable = 18 }, "不应长于稳定家庭"},
		{"低保家庭经济状况调查时限", func(r *RuleSet) { delete(r.TimeLimits[ProgramDibao], StepInvestigate) }, "请填写时限"},
		{"特困公示时限", func(r *RuleSet) { r.TimeLimits[ProgramTekun][StepNotice] = 31 }, "公示期不应超过30天"},
		{"临时救助补齐先行救助手续时限", func(r *RuleSet) { r.TimeLimits[ProgramTemporary][StepComplete] = 0 }, "请填写时限"},
		{"低保全流程时限", func(r *RuleSet) { r.TimeLimits[ProgramDibao][StepWhole] = 91 }, "不应超过90个工作日"},
		{"监督电话", func(r *RuleSet) { r.ComplaintPhone = "" }, "请填写"},
		{"监督电话", func(r *RuleSet) { r.ComplaintPhone = "0550-123x" }, "只能包含数字"},
	}
	for _, tt := range tests {
		rs := DefaultRuleSet2024().Clone()
		tt.mutate(&rs)
		err := rs.Validate()
		p, ok := err.(Problems)
		if !ok {
			t.Errorf("%s: want Problems, got %v", tt.field, err)
			continue
		}
		found := false
		for _, e := range p {
			if e.Field == tt.field && e.Code == EINVALID && strings.Contains(e.Message, tt.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no problem with message containing %q in %v", tt.field, tt.msg, p)
		}
	}
	// Every bad parameter is reported at once.
	if err := (RuleSet{}).Validate(); len(err.(Problems)) < 20 {
		t.Errorf("zero RuleSet: only %d problems", len(err.(Problems)))
	}
	// Valid banded bands pass.
	rs := DefaultRuleSet2024()
	rs.DibaoMethod = DibaoMethodBanded
	rs.Bands = []Band{{Yuan(100), Yuan(780)}, {Yuan(300), Yuan(500)}, {Yuan(500), Yuan(350)}, {Yuan(780), Yuan(200)}}
	if err := rs.Validate(); err != nil {
		t.Errorf("valid bands: %v", err)
	}
}

func TestDibaoStandardByArea(t *testing.T) {
	rs := DefaultRuleSet2024()
	rs.DibaoStandardUrban, rs.DibaoStandardRural = Yuan(800), Yuan(650)
	for _, tt := range []struct {
		area Area
		want Money
	}{{AreaUrban, Yuan(800)}, {AreaRural, Yuan(650)}, {"", Yuan(650)}} {
		if got := rs.DibaoStandard(tt.area); got != tt.want {
			t.Errorf("DibaoStandard(%q) = %s, want %s", tt.area, got, tt.want)
		}
	}
}

func TestTekunBasic(t *testing.T) {
	tests := []struct {
		std   Money
		ratio float64
		want  Money
	}{
		{Yuan(650), 1.3, Yuan(845)}, // 65000 x 1.3 is 84500.00000000001 in floating point
		{Yuan(700), 1.3, Yuan(910)},
		{Yuan(780), 1.3, Yuan(1014)},
		{Yuan(700), 1.5, Yuan(1050)},    // the ratio is a parameter
		{Yuan(777), 1.33, Yuan(1034)},   // 1033.41 rounds up
		{Yuan(700.01), 1.3, Yuan(911)},  // 910.013 rounds up
		{Yuan(769.23), 1.3, Yuan(1000)}, // 999.999 rounds up
	}
	for _, tt := range tests {
		rs := DefaultRuleSet2024()
		rs.DibaoStandardRural, rs.TekunBasicRatio = tt.std, tt.ratio
		if got := rs.TekunBasic(AreaRural); got != tt.want {
			t.Errorf("TekunBasic(%s x %g) = %s, want %s", tt.std, tt.ratio, got, tt.want)
		}
	}
}

func TestTimeLimits(t *testing.T) {
	rs := DefaultRuleSet2024()
	tests := []struct {
		p    Program
		s    Step
		want int
	}{
		{ProgramDibao, StepAccept, 1},
		{ProgramDibao, StepInvestigate, 10},
		{ProgramDibao, StepNotice, 7},
		{ProgramDibao, StepDecide, 10},
		{ProgramDibao, StepNotifyRefus, 3},
		{ProgramDibao, StepReport, 5},
		{ProgramDibao, StepWhole, 30},
		{ProgramTekun, StepInvestigate, 15},
		{ProgramTekun, StepNotice, 7},
		{ProgramTekun, StepDecide, 10},
		{ProgramTemporary, StepAccept, 1},
		{ProgramTemporary, StepInvestigate, 9},
		{ProgramTemporary, StepNotice, 5},
		{ProgramTemporary, StepDecide, 5},
		{ProgramTemporary, StepComplete, 10},
		{ProgramTemporary, StepReport, 0}, // not defined: 0
		{"unknown", StepAccept, 0},
	}
	for _, tt := range tests {
		if got := rs.TimeLimit(tt.p, tt.s); got != tt.want {
			t.Errorf("TimeLimit(%s, %s) = %d, want %d", tt.p, tt.s, got, tt.want)
		}
	}
	// A changed limit moves the due date on the calendar.
	cal := ChinaCalendar2025to2027()
	accepted := Date{2025, 1, 20}
	due := cal.AddWorkingDays(accepted, rs.TimeLimit(ProgramDibao, StepInvestigate))
	rs = rs.Clone()
	rs.TimeLimits[ProgramDibao][StepInvestigate] = 15
	due15 := cal.AddWorkingDays(accepted, rs.TimeLimit(ProgramDibao, StepInvestigate))
	if due != (Date{2025, 2, 8}) || due15 != (Date{2025, 2, 14}) { // across 春节 with its make-up days
		t.Errorf("investigation due %s (10 days), %s (15 days)", due, due15)
	}
}

func TestPhaseOutAndReviewMonthsExposed(t *testing.T) {
	rs := DefaultRuleSet2024()
	if rs.PhaseOutMonths != 6 || rs.ReviewMonthsStable != 12 || rs.ReviewMonthsUnstable != 6 {
		t.Errorf("phase-out %d, reviews %d/%d", rs.PhaseOutMonths, rs.ReviewMonthsStable, rs.ReviewMonthsUnstable)
	}
	start := Date{2025, 3, 15}
	for _, months := range []int{0, 3, 6, 12} {
		rs.PhaseOutMonths = months
		if err := rs.Validate(); err != nil {
			t.Errorf("PhaseOutMonths %d: %v", months, err)
		}
		if got, want := start.AddMonths(rs.PhaseOutMonths), (Date{2025, time.Month(3 + months), 15}); got != NewDate(want.Year, want.Month, want.Day) {
			t.Errorf("phase-out of %d months ends %s", months, got)
		}
	}
}

func TestExcludesAndReserveBalance(t *testing.T) {
	rs := DefaultRuleSet2024()
	for _, k := range IncomeKinds {
		want := k == IncomeYoufu || k == IncomeFamilyPlanning || k == IncomeScholarship || k == IncomeBravery ||
			k == IncomeAssistance || k == IncomePensionBasic
		if rs.Excludes(k) != want {
			t.Errorf("Excludes(%s) = %v", k, !want)
		}
	}
	if got := rs.TempReserveBalance(Yuan(12000)); got != Yuan(38000) {
		t.Errorf("balance %s", got)
	}
	rs.TempReserveFund = Yuan(80000)
	if got := rs.TempReserveBalance(Yuan(12000)); got != Yuan(68000) {
		t.Errorf("balance after raising the fund %s", got)
	}
}

// Rule sets travel in rules.set events: JSON must carry every parameter.
func TestRuleSetJSONRoundTrip(t *testing.T) {
	for _, rs := range DefaultRuleBook().Sets {
		rs.Bands = []Band{{Yuan(100), Yuan(700)}, {Yuan(900), Yuan(100)}}
		b, err := json.Marshal(rs)
		if err != nil {
			t.Fatal(err)
		}
		var back RuleSet
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rs, back) {
			t.Errorf("round trip of %s:\n%+v\n%+v", rs.Version, rs, back)
		}
	}
}
