package app

import (
	"fmt"
	"strings"
	"testing"
)

// testHousehold has n members of whom covered are covered.
func testHousehold(area Area, n, covered int, incomes ...Income) *Household {
	h := &Household{ID: "h1", Area: area, Incomes: incomes}
	for i := range n {
		rel := RelationChild
		if i == 0 {
			rel = RelationHead
		}
		h.Members = append(h.Members, Member{ID: fmt.Sprint("m", i), Name: fmt.Sprint("成员", i), Relation: rel, Covered: i < covered})
	}
	return h
}

func wage(yuan float64) Income { return Income{Kind: IncomeWage, Monthly: Yuan(yuan)} }

func hasLine(c Computation, sub string) bool {
	for _, l := range c.Lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func TestComputeDibaoGap(t *testing.T) {
	rs := DefaultRuleSet2024() // rural 700, urban 780, floor 0.2
	h := testHousehold(AreaRural, 3, 3, wage(960))
	c := ComputeDibao(rs, h)
	if !c.Eligible || c.Edge || c.Persons != 3 || c.PerPerson != Yuan(380) || c.Amount != Yuan(1140) || c.RuleVersion != "2024-01" {
		t.Fatalf("got %+v", c)
	}
	for _, want := range []string{"月人均收入 320.00 元 < 低保标准 700.00 元", "补差", "保障人数 3 人 × 每人 380.00 元 = 月低保金 1140.00 元"} {
		if !hasLine(c, want) {
			t.Errorf("missing line %q in %q", want, c.Lines)
		}
	}
}

func TestComputeDibaoParameters(t *testing.T) {
	base := DefaultRuleSet2024()
	tests := []struct {
		name   string
		mutate func(*RuleSet)
		h      *Household
		amount Money
		line   string
	}{
		{"rural standard", nil, testHousehold(AreaRural, 2, 2, wage(400)), Yuan(1000), "执行农村低保标准 700.00 元"},
		{"urban standard", nil, testHousehold(AreaUrban, 2, 2, wage(400)), Yuan(1160), "执行城市低保标准 780.00 元"},
		{"rural standard raised", func(r *RuleSet) { r.DibaoStandardRural = Yuan(750) }, testHousehold(AreaRural, 2, 2, wage(400)), Yuan(1100), ""},
		{"only covered persons are paid", nil, testHousehold(AreaRural, 3, 1, wage(300)), Yuan(600), "保障人数 1 人"},
		{"floor applies", nil, testHousehold(AreaRural, 2, 2, wage(1200)), Yuan(280), "按保底金额计发"},
		{"no floor", func(r *RuleSet) { r.FloorRatio = 0 }, testHousehold(AreaRural, 2, 2, wage(1200)), Yuan(200), ""},
		{"higher floor", func(r *RuleSet) { r.FloorRatio = 0.3 }, testHousehold(AreaRural, 2, 2, wage(1200)), Yuan(420), "低保标准 × 0.3"},
		{"banded instead of gap", func(r *RuleSet) {
			r.DibaoMethod = DibaoMethodBanded
			r.Bands = []Band{{Yuan(100), Yuan(700)}, {Yuan(300), Yuan(500)}, {Yuan(500), Yuan(350)}, {Yuan(780), Yuan(200)}}
		}, testHousehold(AreaRural, 3, 3, wage(960)), Yuan(1050), "属第3档，每人 350.00 元"},
		{"banded first band", func(r *RuleSet) {
			r.DibaoMethod = DibaoMethodBanded
			r.Bands = []Band{{Yuan(100), Yuan(700)}, {Yuan(300), Yuan(500)}, {Yuan(500), Yuan(350)}, {Yuan(780), Yuan(200)}}
		}, testHousehold(AreaRural, 3, 3), Yuan(2100), "属第1档"},
		{"banded band edge is inclusive", func(r *RuleSet) {
			r.DibaoMethod = DibaoMethodBanded
			r.Bands = []Band{{Yuan(100), Yuan(700)}, {Yuan(300), Yuan(500)}, {Yuan(500), Yuan(350)}, {Yuan(780), Yuan(200)}}
		}, testHousehold(AreaRural, 2, 2, wage(600)), Yuan(1000), "属第2档"},
		{"banded ignores the floor", func(r *RuleSet) {
			r.DibaoMethod = DibaoMethodBanded
			r.FloorRatio = 0.5
			r.Bands = []Band{{Yuan(100), Yuan(700)}, {Yuan(780), Yuan(200)}}
		}, testHousehold(AreaRural, 1, 1, wage(600)), Yuan(200), ""},
		{"asset limit exceeded", nil, testHousehold(AreaRural, 1, 1), 0, "人均财产 20000.00 元 > 人均财产限额 18720.00 元"},
		{"asset limit raised", func(r *RuleSet) { r.AssetLimitPerCapita = Yuan(20000) }, testHousehold(AreaRural, 1, 1), Yuan(700), "≤ 人均财产限额"},
		{"asset limit off", func(r *RuleSet) { r.AssetLimitPerCapita = 0 }, testHousehold(AreaRural, 1, 1), Yuan(700), ""},
	}
	for _, tt := range tests {
		rs := base.Clone()
		if tt.mutate != nil {
			tt.mutate(&rs)
		}
		if err := rs.Validate(); err != nil {
			t.Fatalf("%s: test rule set invalid: %v", tt.name, err)
		}
		if strings.HasPrefix(tt.name, "asset") {
			tt.h.Assets = []Asset{{Kind: AssetDeposit, Value: Yuan(20000)}}
		}
		c := ComputeDibao(rs, tt.h)
		if c.Amount != tt.amount || c.Eligible != (tt.amount > 0) {
			t.Errorf("%s: amount %s eligible %v, want %s; lines %q", tt.name, c.Amount, c.Eligible, tt.amount, c.Lines)
		}
		if tt.line != "" && !hasLine(c, tt.line) {
			t.Errorf("%s: missing line %q in %q", tt.name, tt.line, c.Lines)
		}
	}
}

// Each income kind counts unless the rule set excludes it, and excluding it
// changes the amount.
func TestComputeDibaoExcludedIncome(t *testing.T) {
	for _, k := range IncomeKinds {
		h := testHousehold(AreaRural, 2, 2, wage(200), Income{Kind: k, Monthly: Yuan(300)})
		with := DefaultRuleSet2024()
		with.ExcludedIncome = []IncomeKind{k}
		without := with.Clone()
		without.ExcludedIncome = nil
		if k == IncomeWage { // both items are wages then
			h.Incomes[1].Kind = IncomeWage
		}
		ce, cc := ComputeDibao(with, h), ComputeDibao(without, h)
		if k == IncomeWage { // no income counted: the full standard
			if ce.PerPerson != Yuan(700) || cc.PerPerson != Yuan(450) {
				t.Errorf("wage excluded: %s vs %s", ce.PerPerson, cc.PerPerson)
			}
			continue
		}
		// excluded: per-capita 100 -> 600 each; counted: per-capita 250 -> 450 each
		if ce.Amount != Yuan(1200) || cc.Amount != Yuan(900) {
			t.Errorf("%s: excluded %s, counted %s; want 1200.00 and 900.00", k, ce.Amount, cc.Amount)
		}
		if !hasLine(ce, "不计入家庭收入："+k.Label()+" 300.00 元") || hasLine(cc, "不计入家庭收入") {
			t.Errorf("%s: lines %q / %q", k, ce.Lines, cc.Lines)
		}
	}
	// The default set excludes the national list.
	h := testHousehold(AreaRural, 1, 1,
		Income{Kind: IncomeYoufu, Monthly: Yuan(100)}, Income{Kind: IncomeFamilyPlanning, Monthly: Yuan(100)},
		Income{Kind: IncomeScholarship, Monthly: Yuan(100)}, Income{Kind: IncomeBravery, Monthly: Yuan(100)},
		Income{Kind: IncomeAssistance, Monthly: Yuan(100)}, Income{Kind: IncomePensionBasic, Monthly: Yuan(100)})
	if c := ComputeDibao(DefaultRuleSet2024(), h); c.Amount != Yuan(700) {
		t.Errorf("default exclusions: %s %q", c.Amount, c.Lines)
	}
}

func TestComputeDibaoEdge(t *testing.T) {
	tests := []struct {
		name       string
		multiplier float64
		income     float64 // per capita, 2 members
		assets     Money
		edge       bool
	}{
		{"income at the standard is not eligible", 1.5, 700, 0, true},
		{"under 1.5x is edge", 1.5, 1049.99, 0, true},
		{"at 1.5x is not edge", 1.5, 1050, 0, false},
		{"a lower multiplier narrows the edge", 1.2, 900, 0, false},
		{"a higher multiplier widens it", 2, 1300, 0, true},
		{"assets over the limit: not edge", 1.5, 800, Yuan(2 * 20000), false},
	}
	for _, tt := range tests {
		rs := DefaultRuleSet2024()
		rs.EdgeMultiplier = tt.multiplier
		h := testHousehold(AreaRural, 2, 2, wage(2*tt.income))
		if tt.assets > 0 {
			h.Assets = []Asset{{Kind: AssetDeposit, Value: tt.assets}}
		}
		c := ComputeDibao(rs, h)
		if c.Eligible || c.Amount != 0 || c.Edge != tt.edge {
			t.Errorf("%s: eligible %v amount %s edge %v; lines %q", tt.name, c.Eligible, c.Amount, c.Edge, c.Lines)
		}
		if !hasLine(c, "≥ 低保标准 700.00 元") {
			t.Errorf("%s: no reason line in %q", tt.name, c.Lines)
		}
		if tt.edge && !hasLine(c, "属低保边缘家庭") {
			t.Errorf("%s: no edge line in %q", tt.name, c.Lines)
		}
	}
}

func TestComputeDibaoNoPersons(t *testing.T) {
	rs := DefaultRuleSet2024()
	c := ComputeDibao(rs, testHousehold(AreaRural, 2, 0, wage(200)))
	if c.Eligible || c.Amount != 0 || !hasLine(c, "未确定保障人数") {
		t.Errorf("no covered person: %+v", c)
	}
	c = ComputeDibao(rs, &Household{Area: AreaRural})
	if c.Eligible || c.Amount != 0 || !hasLine(c, "家庭成员未登记") {
		t.Errorf("no member: %+v", c)
	}
	rs.DibaoMethod = "unknown"
	c = ComputeDibao(rs, testHousehold(AreaRural, 1, 1))
	if c.Eligible || !hasLine(c, "未知的低保金计算方式") {
		t.Errorf("unknown method: %+v", c)
	}
}

func TestComputeTekun(t *testing.T) {
	rs := DefaultRuleSet2024()
	c := ComputeTekun(rs, AreaRural, CareDispersed, SelfCarePartial)
	if !c.Eligible || c.Amount != Yuan(910+300) || c.PerPerson != c.Amount || c.Persons != 1 {
		t.Fatalf("got %+v", c)
	}
	if !hasLine(c, "农村低保标准 700.00 元 × 1.3 = 910.00 元") || !hasLine(c, "照料护理补贴（分散供养·半护理）300.00 元") {
		t.Errorf("lines %q", c.Lines)
	}
	// The ratio is a parameter.
	rs2 := rs.Clone()
	rs2.TekunBasicRatio = 1.5
	if got := ComputeTekun(rs2, AreaRural, CareDispersed, SelfCarePartial).Amount; got != Yuan(1050+300) {
		t.Errorf("ratio 1.5: %s", got)
	}
	// Urban uses the urban standard.
	if got := ComputeTekun(rs, AreaUrban, CareDispersed, SelfCarePartial).Amount; got != Yuan(1014+300) {
		t.Errorf("urban: %s", got)
	}
	// Unknown mode or level.
	for _, c := range []Computation{ComputeTekun(rs, AreaRural, "", SelfCareFull), ComputeTekun(rs, AreaRural, CareDispersed, "")} {
		if c.Eligible || c.Amount != 0 || !hasLine(c, "请先确定供养方式") {
			t.Errorf("unknown mode or level: %+v", c)
		}
	}
}

// Each care allowance cell drives exactly its own combination.
func TestComputeTekunCareAllowanceCells(t *testing.T) {
	want := map[CareMode]map[SelfCareLevel]Money{
		CareCentralised: {SelfCareFull: Yuan(60), SelfCarePartial: Yuan(450), SelfCareNone: Yuan(750)},
		CareDispersed:   {SelfCareFull: Yuan(45), SelfCarePartial: Yuan(300), SelfCareNone: Yuan(525)},
	}
	base := DefaultRuleSet2024()
	basic := base.TekunBasic(AreaRural)
	for _, m := range CareModes {
		for _, l := range SelfCareLevels {
			if got := ComputeTekun(base, AreaRural, m, l).Amount; got != basic+want[m][l] {
				t.Errorf("%s/%s: %s, want %s", m, l, got, basic+want[m][l])
			}
			changed := base.Clone()
			changed.CareAllowance[m][l] += Yuan(1000)
			for _, m2 := range CareModes {
				for _, l2 := range SelfCareLevels {
					got := ComputeTekun(changed, AreaRural, m2, l2).Amount
					exp := basic + want[m2][l2]
					if m2 == m && l2 == l {
						exp += Yuan(1000)
					}
					if got != exp {
						t.Errorf("raising %s/%s: %s/%s = %s, want %s", m, l, m2, l2, got, exp)
					}
				}
			}
		}
	}
}

func TestSelfCareAssessment(t *testing.T) {
	tests := []struct {
		items [6]bool
		want  SelfCareLevel
	}{
		{[6]bool{true, true, true, true, true, true}, SelfCareFull},
		{[6]bool{true, true, true, true, true, false}, SelfCarePartial},
		{[6]bool{false, true, false, true, true, true}, SelfCarePartial},
		{[6]bool{false, false, false, true, true, true}, SelfCarePartial},
		{[6]bool{false, false, false, false, true, true}, SelfCareNone},
		{[6]bool{}, SelfCareNone},
	}
	for _, tt := range tests {
		if got := SelfCareAssessment(tt.items); got != tt.want {
			t.Errorf("SelfCareAssessment(%v) = %s, want %s", tt.items, got, tt.want)
		}
	}
	if SelfCareItems[0] != "进食" || SelfCareItems[5] != "洗澡" {
		t.Errorf("items %v", SelfCareItems)
	}
}

func TestCheckTempGrant(t *testing.T) {
	tests := []struct {
		name        string
		limit       Money
		amount      Money
		balance     Money
		needsCounty bool
		errSub      string
	}{
		{"small grant from the reserve", Yuan(5000), Yuan(2000), Yuan(50000), false, ""},
		{"at the township limit", Yuan(5000), Yuan(5000), Yuan(50000), false, ""},
		{"over the township limit", Yuan(5000), Yuan(5000.01), Yuan(50000), true, ""},
		{"a lower township limit sends it to the county", Yuan(3000), Yuan(4000), Yuan(50000), true, ""},
		{"a higher township limit keeps it", Yuan(8000), Yuan(6000), Yuan(50000), false, ""},
		{"county grants do not use the reserve", Yuan(5000), Yuan(9000), 0, true, ""},
		{"reserve too low", Yuan(5000), Yuan(2000), Yuan(1500), false, "余额仅 1500.00 元"},
		{"zero amount", Yuan(5000), 0, Yuan(50000), false, "须大于0"},
		{"negative amount", Yuan(5000), -1, Yuan(50000), false, "须大于0"},
	}
	for _, tt := range tests {
		rs := DefaultRuleSet2024()
		rs.TempTownshipLimit = tt.limit
		got, err := CheckTempGrant(rs, tt.amount, tt.balance)
		if got != tt.needsCounty {
			t.Errorf("%s: needsCounty %v", tt.name, got)
		}
		switch {
		case tt.errSub == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.errSub != "" && (ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tt.errSub)):
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.errSub)
		}
	}
	// The annual reserve fund sets the balance a grant is checked against.
	rs := DefaultRuleSet2024()
	if _, err := CheckTempGrant(rs, Yuan(3000), rs.TempReserveBalance(Yuan(48000))); err == nil {
		t.Errorf("3000 from a 2000 balance accepted")
	}
	rs.TempReserveFund = Yuan(60000)
	if _, err := CheckTempGrant(rs, Yuan(3000), rs.TempReserveBalance(Yuan(48000))); err != nil {
		t.Errorf("3000 from a 12000 balance: %v", err)
	}
}
