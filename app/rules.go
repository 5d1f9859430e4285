package app

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// 低保 amount methods (RuleSet.DibaoMethod).
const (
	DibaoMethodGap    = "gap"    // 补差: (standard - per-capita income) x persons covered
	DibaoMethodBanded = "banded" // 分档: a fixed amount per person by income band
)

// Band is one income band of the banded (分档) method: a household whose
// per-capita monthly income is at most MaxIncome (and above the previous
// band's) gets Amount per covered person per month.
type Band struct {
	MaxIncome Money `json:"max_income"`
	Amount    Money `json:"amount"`
}

// RuleSet is one version of the county's rule parameters, in force from
// EffectiveFrom until the next version. Every number the rules use lives here
// (none is a constant in rule code): rules differ by province and change over
// time, e.g. with the Social Assistance Law from 2026-07-01.
//
// A RuleSet holds maps and slices; treat one obtained from a RuleBook as read
// only and Clone it before editing.
type RuleSet struct {
	Version       string `json:"version"`
	EffectiveFrom Date   `json:"effective_from"`
	Note          string `json:"note,omitempty"`

	DibaoStandardUrban Money  `json:"dibao_standard_urban"` // per person per month
	DibaoStandardRural Money  `json:"dibao_standard_rural"` // per person per month
	DibaoMethod        string `json:"dibao_method"`         // DibaoMethodGap or DibaoMethodBanded
	// Bands for the banded method, ascending MaxIncome; the lowest-income band
	// pays the full standard. The bands apply to both areas.
	Bands []Band `json:"bands,omitempty"`
	// FloorRatio is the gap method's minimum per covered person as a ratio of
	// the standard (0.2 = 20%); 0 = no floor. Bands are their own floor.
	FloorRatio     float64      `json:"floor_ratio"`
	ExcludedIncome []IncomeKind `json:"excluded_income,omitempty"` // income not counted in the means test
	EdgeMultiplier float64      `json:"edge_multiplier"`           // 低保边缘 line as a multiple of the standard (1.5; up to 2)
	// AssetLimitPerCapita is the property limit per household member; 0 = not checked.
	AssetLimitPerCapita Money `json:"asset_limit_per_capita"`

	TekunBasicRatio float64                              `json:"tekun_basic_ratio"` // 特困 basic standard / 低保 standard, >= 1.3
	CareAllowance   map[CareMode]map[SelfCareLevel]Money `json:"care_allowance"`    // 照料护理补贴 per month

	TempTownshipLimit Money `json:"temp_township_limit"` // largest 临时救助 grant a township approves itself
	TempReserveFund   Money `json:"temp_reserve_fund"`   // the township's annual reserve fund (备用金)

	PhaseOutMonths       int `json:"phase_out_months"`       // 渐退期 length; 0 = none
	ReviewMonthsStable   int `json:"review_months_stable"`   // 动态复核 interval, stable households
	ReviewMonthsUnstable int `json:"review_months_unstable"` // unstable income or able-bodied members

	// TimeLimits per program and step in working days, except StepNotice, which
	// is the public notice length in calendar days.
	TimeLimits map[Program]map[Step]int `json:"time_limits"`

	ComplaintPhone string `json:"complaint_phone"` // printed on every public notice
}

// Excludes reports whether income of kind k is left out of the means test.
func (rs RuleSet) Excludes(k IncomeKind) bool { return slices.Contains(rs.ExcludedIncome, k) }

// DibaoStandard is the monthly 低保 standard per person for an area (any area
// other than urban is treated as rural, as Area.Label does).
func (rs RuleSet) DibaoStandard(a Area) Money {
	if a == AreaUrban {
		return rs.DibaoStandardUrban
	}
	return rs.DibaoStandardRural
}

// TekunBasic is the 特困 basic living standard per month: TekunBasicRatio x
// the area's 低保 standard, rounded up to the whole yuan.
func (rs RuleSet) TekunBasic(a Area) Money {
	v := rs.DibaoStandard(a).MulRatio(rs.TekunBasicRatio) // to the fen first: 650 x 1.3 must stay 845
	if r := v % 100; r > 0 {
		v += 100 - r
	}
	return v
}

// TimeLimit is the limit of step s of program p (working days; calendar days
// for StepNotice), 0 if the rule set has none.
func (rs RuleSet) TimeLimit(p Program, s Step) int { return rs.TimeLimits[p][s] }

// TempReserveBalance is what is left of the township's annual reserve fund
// after used has been paid out this year (negative if overspent).
func (rs RuleSet) TempReserveBalance(used Money) Money { return rs.TempReserveFund - used }

// RequiredSteps lists, per program, the time limits a rule set must define:
// the steps the case workflow waits on.
var RequiredSteps = map[Program][]Step{
	ProgramDibao:     {StepAccept, StepInvestigate, StepNotice, StepDecide, StepNotifyRefus, StepReport, StepWhole},
	ProgramTekun:     {StepAccept, StepInvestigate, StepNotice, StepDecide, StepNotifyRefus, StepReport, StepWhole},
	ProgramTemporary: {StepAccept, StepInvestigate, StepNotice, StepDecide, StepNotifyRefus, StepWhole, StepComplete},
}

// Validate checks every parameter and reports each bad one by its Chinese
// name (as Problems), so the county's settings form can mark them all.
func (rs RuleSet) Validate() error {
	var p Problems
	add := func(field, format string, args ...any) { p = append(p, FieldErrorf(field, format, args...)) }

	if strings.TrimSpace(rs.Version) == "" {
		add("版本号", "请填写规则版本号")
	}
	if rs.EffectiveFrom.IsZero() {
		add("生效日期", "请填写规则生效日期")
	}
	if rs.DibaoStandardUrban <= 0 {
		add("城市低保标准", "城市低保标准须大于0")
	}
	if rs.DibaoStandardRural <= 0 {
		add("农村低保标准", "农村低保标准须大于0")
	}
	switch rs.DibaoMethod {
	case DibaoMethodGap:
	case DibaoMethodBanded:
		rs.validateBands(add)
	default:
		add("低保金计算方式", "请选择补差或分档，当前为“%s”", rs.DibaoMethod)
	}
	if rs.FloorRatio < 0 || rs.FloorRatio >= 1 {
		add("保底系数", "保底系数应在0（不设保底）到1之间，当前为%g", rs.FloorRatio)
	}
	for _, k := range rs.ExcludedIncome {
		if k.Label() == "" {
			add("不计入收入项目", "未知的收入类别“%s”", k)
		}
	}
	if rs.EdgeMultiplier < 1 || rs.EdgeMultiplier > 3 {
		add("低保边缘系数", "低保边缘家庭收入系数应在1到3之间（通常为1.5），当前为%g", rs.EdgeMultiplier)
	}
	if rs.AssetLimitPerCapita < 0 {
		add("人均财产限额", "人均财产限额不能为负数（0表示不核查）")
	}
	if rs.TekunBasicRatio < 1.3 {
		add("特困基本生活标准系数", "特困基本生活标准系数不得低于1.3，当前为%g", rs.TekunBasicRatio)
	}
	for _, m := range CareModes {
		prev := Money(-1)
		for _, l := range SelfCareLevels {
			field := "照料护理补贴（" + m.Label() + "·" + l.Label() + "）"
			v, ok := rs.CareAllowance[m][l]
			switch {
			case !ok:
				add(field, "请填写照料护理补贴标准（可为0）")
			case v < 0:
				add(field, "照料护理补贴不能为负数")
			case v < prev:
				add(field, "照料护理补贴不应低于自理程度更好的档次（%s 元）", prev)
			}
			if ok && v > prev {
				prev = v
			}
		}
	}
	if rs.TempTownshipLimit <= 0 {
		add("乡镇临时救助审批额度", "乡镇临时救助审批额度须大于0")
	}
	if rs.TempReserveFund <= 0 {
		add("临时救助备用金", "乡镇临时救助备用金须大于0")
	}
	if rs.PhaseOutMonths < 0 || rs.PhaseOutMonths > 12 {
		add("渐退期月数", "渐退期应为0到12个月，当前为%d", rs.PhaseOutMonths)
	}
	if rs.ReviewMonthsStable < 1 || rs.ReviewMonthsStable > 24 {
		add("稳定家庭复核周期", "复核周期应为1到24个月，当前为%d", rs.ReviewMonthsStable)
	}
	if rs.ReviewMonthsUnstable < 1 || rs.ReviewMonthsUnstable > 24 {
		add("不稳定家庭复核周期", "复核周期应为1到24个月，当前为%d", rs.ReviewMonthsUnstable)
	} else if rs.ReviewMonthsUnstable > rs.ReviewMonthsStable && rs.ReviewMonthsStable >= 1 {
		add("不稳定家庭复核周期", "收入不稳定家庭的复核周期（%d个月）不应长于稳定家庭（%d个月）",
			rs.ReviewMonthsUnstable, rs.ReviewMonthsStable)
	}
	for _, prog := range Programs {
		for _, s := range RequiredSteps[prog] {
			field := prog.Label() + s.Label() + "时限"
			v := rs.TimeLimit(prog, s)
			switch {
			case v <= 0:
				add(field, "请填写时限（天数须大于0）")
			case s == StepNotice && v > 30:
				add(field, "公示期不应超过30天，当前为%d天", v)
			case v > 90:
				add(field, "时限不应超过90个工作日，当前为%d", v)
			}
		}
	}
	if phone := strings.TrimSpace(rs.ComplaintPhone); phone == "" {
		add("监督电话", "请填写公示用的监督举报电话")
	} else if strings.Trim(phone, "0123456789-") != "" {
		add("监督电话", "电话号码只能包含数字和“-”，当前为“%s”", phone)
	}
	return p.Err()
}

func (rs RuleSet) validateBands(add func(field, format string, args ...any)) {
	if len(rs.Bands) == 0 {
		add("分档标准", "分档计算须至少设置一档")
		return
	}
	for i, b := range rs.Bands {
		field := fmt.Sprintf("第%d档", i+1)
		if b.Amount <= 0 {
			add(field, "每人补助金额须大于0")
		}
		if i > 0 {
			prev := rs.Bands[i-1]
			if b.MaxIncome <= prev.MaxIncome {
				add(field, "收入上限须高于上一档（%s 元）", prev.MaxIncome)
			}
			if b.Amount > prev.Amount {
				add(field, "收入更高的档次补助不应多于上一档（%s 元）", prev.Amount)
			}
		} else if b.MaxIncome < 0 {
			add(field, "收入上限不能为负数")
		}
	}
	top := max(rs.DibaoStandardUrban, rs.DibaoStandardRural)
	if last := rs.Bands[len(rs.Bands)-1]; last.MaxIncome < top {
		add(fmt.Sprintf("第%d档", len(rs.Bands)), "最后一档收入上限（%s 元）须覆盖到低保标准（%s 元）", last.MaxIncome, top)
	}
}

// Clone returns a deep copy, safe to edit.
func (rs RuleSet) Clone() RuleSet {
	out := rs
	out.Bands = slices.Clone(rs.Bands)
	out.ExcludedIncome = slices.Clone(rs.ExcludedIncome)
	if rs.CareAllowance != nil {
		out.CareAllowance = make(map[CareMode]map[SelfCareLevel]Money, len(rs.CareAllowance))
		for k, v := range rs.CareAllowance {
			out.CareAllowance[k] = maps.Clone(v)
		}
	}
	if rs.TimeLimits != nil {
		out.TimeLimits = make(map[Program]map[Step]int, len(rs.TimeLimits))
		for k, v := range rs.TimeLimits {
			out.TimeLimits[k] = maps.Clone(v)
		}
	}
	return out
}

// RuleBook is the history of rule sets, sorted by EffectiveFrom. A decision
// uses the set in force on its date, so a standard raised from July applies
// to decisions from July and never rewrites earlier ones.
type RuleBook struct {
	Sets []RuleSet `json:"sets"`
}

// Add validates rs and inserts a copy in date order. It refuses a second set
// with the same effective date or version: a published version is never
// silently replaced.
func (b *RuleBook) Add(rs RuleSet) error {
	if err := rs.Validate(); err != nil {
		return err
	}
	for _, s := range b.Sets {
		if s.EffectiveFrom == rs.EffectiveFrom {
			return &Error{Code: ECONFLICT, Field: "生效日期",
				Message: fmt.Sprintf("%s 起生效的规则（版本 %s）已存在", rs.EffectiveFrom, s.Version)}
		}
		if s.Version == rs.Version {
			return &Error{Code: ECONFLICT, Field: "版本号",
				Message: fmt.Sprintf("规则版本“%s”已存在（%s 起生效）", rs.Version, s.EffectiveFrom)}
		}
	}
	i := sort.Search(len(b.Sets), func(i int) bool { return rs.EffectiveFrom.Before(b.Sets[i].EffectiveFrom) })
	b.Sets = slices.Insert(b.Sets, i, rs.Clone())
	return nil
}

// At returns the rule set in force on d: the latest with EffectiveFrom <= d.
func (b RuleBook) At(d Date) (RuleSet, error) {
	i := sort.Search(len(b.Sets), func(i int) bool { return d.Before(b.Sets[i].EffectiveFrom) })
	if i == 0 {
		if len(b.Sets) == 0 {
			return RuleSet{}, Errorf(ENOTFOUND, "尚未设置救助政策参数，请先同步县级规则")
		}
		return RuleSet{}, Errorf(ENOTFOUND, "%s 尚无生效的救助政策参数（最早的规则自 %s 起生效）", d, b.Sets[0].EffectiveFrom)
	}
	return b.Sets[i-1], nil
}

// DefaultRuleSet2024 is a plausible county set for 2024 (Anhui-like values),
// the seed of a fresh installation until the county publishes its own.
func DefaultRuleSet2024() RuleSet {
	return RuleSet{
		Version:       "2024-01",
		EffectiveFrom: Date{2024, 1, 1},
		Note:          "2024年县低保、特困、临时救助标准（初始参数，以县民政局公布为准）",

		DibaoStandardUrban:  Yuan(780),
		DibaoStandardRural:  Yuan(700),
		DibaoMethod:         DibaoMethodGap,
		FloorRatio:          0.2,
		EdgeMultiplier:      1.5,
		AssetLimitPerCapita: Yuan(780 * 24), // 24 months of the urban standard
		ExcludedIncome: []IncomeKind{IncomeYoufu, IncomeFamilyPlanning, IncomeScholarship, IncomeBravery,
			IncomeAssistance, IncomePensionBasic},

		TekunBasicRatio: 1.3,
		CareAllowance: map[CareMode]map[SelfCareLevel]Money{
			CareCentralised: {SelfCareFull: Yuan(60), SelfCarePartial: Yuan(450), SelfCareNone: Yuan(750)},
			CareDispersed:   {SelfCareFull: Yuan(45), SelfCarePartial: Yuan(300), SelfCareNone: Yuan(525)},
		},

		TempTownshipLimit: Yuan(5000),
		TempReserveFund:   Yuan(50000),

		PhaseOutMonths:       6,
		ReviewMonthsStable:   12,
		ReviewMonthsUnstable: 6,

		TimeLimits: map[Program]map[Step]int{
			ProgramDibao: {StepAccept: 1, StepInvestigate: 10, StepNotice: 7, StepDecide: 10,
				StepNotifyRefus: 3, StepReport: 5, StepWhole: 30},
			ProgramTekun: {StepAccept: 1, StepInvestigate: 15, StepNotice: 7, StepDecide: 10,
				StepNotifyRefus: 3, StepReport: 5, StepWhole: 30},
			ProgramTemporary: {StepAccept: 1, StepInvestigate: 9, StepNotice: 5, StepDecide: 5,
				StepNotifyRefus: 3, StepWhole: 20, StepComplete: 10},
		},

		ComplaintPhone: "0550-1234567",
	}
}

// DefaultRuleBook is the seed history: the 2024 set, a raise from 2025-07-01
// and the set for the Social Assistance Law from 2026-07-01.
func DefaultRuleBook() RuleBook {
	base := DefaultRuleSet2024()

	raise := func(from RuleSet, version string, eff Date, yuan float64, note string) RuleSet {
		rs := from.Clone()
		rs.Version, rs.EffectiveFrom, rs.Note = version, eff, note
		rs.DibaoStandardUrban += Yuan(yuan)
		rs.DibaoStandardRural += Yuan(yuan)
		rs.AssetLimitPerCapita = rs.DibaoStandardUrban * 24
		return rs
	}
	s2025 := raise(base, "2025-07", Date{2025, 7, 1}, 40, "2025年7月起城乡低保标准每人每月提高40元")
	s2026 := raise(s2025, "2026-07", Date{2026, 7, 1}, 30, "《社会救助法》2026年7月1日起施行；城乡低保标准每人每月提高30元")

	var b RuleBook
	for _, rs := range []RuleSet{base, s2025, s2026} {
		if err := b.Add(rs); err != nil {
			panic("app: invalid default rule set " + rs.Version + ": " + err.Error())
		}
	}
	return b
}
