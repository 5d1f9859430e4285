package app

import (
	"fmt"
	"strings"
)

// Computation is a benefit amount with the reasoning behind it, line by line
// in Chinese, so a clerk can check it and read it out to the applicant.
type Computation struct {
	Amount      Money    `json:"amount"`     // monthly total
	PerPerson   Money    `json:"per_person"` // monthly amount per covered person
	Persons     int      `json:"persons"`    // persons covered
	Lines       []string `json:"lines"`
	Eligible    bool     `json:"eligible"`
	Edge        bool     `json:"edge"` // 低保边缘家庭: not eligible, income under the edge line
	RuleVersion string   `json:"rule_version"`
}

func (c *Computation) linef(format string, args ...any) {
	c.Lines = append(c.Lines, fmt.Sprintf(format, args...))
}

// ComputeDibao applies the means test and the amount method of rs to h.
//
// Per-capita income is counted income divided by all members; the amount is
// paid for the covered persons. The household is ineligible when it has no
// members or no covered person, when per-capita assets exceed the limit, or
// when per-capita income reaches the standard; in the last case it is an edge
// household (Edge) if its income is under EdgeMultiplier x the standard and
// its assets are within the limit.
func ComputeDibao(rs RuleSet, h *Household) Computation {
	c := Computation{RuleVersion: rs.Version, Persons: h.CoveredCount()}
	std := rs.DibaoStandard(h.Area)
	c.linef("执行%s低保标准 %s 元/人·月（规则版本 %s）", h.Area.Label(), std, rs.Version)

	members := len(h.Members)
	if members == 0 {
		c.linef("家庭成员未登记，无法计算人均收入，不符合低保条件")
		return c
	}

	// Income.
	var excluded []string
	for _, in := range h.Incomes {
		if rs.Excludes(in.Kind) && in.Monthly != 0 {
			excluded = append(excluded, fmt.Sprintf("%s %s 元", in.Kind.Label(), in.Monthly))
		}
	}
	counted := h.CountedIncome(rs)
	if len(excluded) > 0 {
		c.linef("不计入家庭收入：%s", strings.Join(excluded, "、"))
	}
	pci := h.PerCapitaIncome(rs)
	c.linef("家庭月计算收入 %s 元 ÷ 家庭成员 %d 人 = 月人均收入 %s 元", counted, members, pci)

	// Assets.
	assetsOK := true
	if rs.AssetLimitPerCapita > 0 {
		perAsset := h.TotalAssets() / Money(members)
		if perAsset > rs.AssetLimitPerCapita {
			assetsOK = false
			c.linef("人均财产 %s 元 > 人均财产限额 %s 元，不符合低保条件", perAsset, rs.AssetLimitPerCapita)
		} else {
			c.linef("人均财产 %s 元 ≤ 人均财产限额 %s 元", perAsset, rs.AssetLimitPerCapita)
		}
	}

	// Income against the standard.
	incomeOK := pci < std
	if incomeOK {
		c.linef("月人均收入 %s 元 < 低保标准 %s 元", pci, std)
	} else {
		c.linef("月人均收入 %s 元 ≥ 低保标准 %s 元，不符合低保条件", pci, std)
		edgeLine := std.MulRatio(rs.EdgeMultiplier)
		if pci < edgeLine {
			if assetsOK {
				c.Edge = true
				c.linef("月人均收入 %s 元 < 低保边缘标准 %s 元（低保标准 × %g），属低保边缘家庭", pci, edgeLine, rs.EdgeMultiplier)
			}
		} else {
			c.linef("月人均收入 %s 元 ≥ 低保边缘标准 %s 元（低保标准 × %g）", pci, edgeLine, rs.EdgeMultiplier)
		}
	}

	if c.Persons == 0 {
		c.linef("未确定保障人数（没有成员纳入保障），无法计发低保金")
	}
	if !incomeOK || !assetsOK || c.Persons == 0 {
		return c
	}

	// Amount per covered person.
	switch rs.DibaoMethod {
	case DibaoMethodGap:
		c.PerPerson = std - pci
		c.linef("补差：低保标准 %s 元 − 月人均收入 %s 元 = 每人 %s 元", std, pci, c.PerPerson)
		if floor := std.MulRatio(rs.FloorRatio); c.PerPerson < floor {
			c.PerPerson = floor
			c.linef("低于保底金额 %s 元（低保标准 × %g），按保底金额计发", floor, rs.FloorRatio)
		}
	case DibaoMethodBanded:
		lower := Money(-1)
		for i, b := range rs.Bands {
			if pci <= b.MaxIncome {
				c.PerPerson = b.Amount
				if lower < 0 {
					c.linef("分档：月人均收入 %s 元 ≤ %s 元，属第%d档，每人 %s 元", pci, b.MaxIncome, i+1, b.Amount)
				} else {
					c.linef("分档：月人均收入 %s 元在 %s 元以上、%s 元以下，属第%d档，每人 %s 元", pci, lower, b.MaxIncome, i+1, b.Amount)
				}
				break
			}
			lower = b.MaxIncome
		}
		if c.PerPerson == 0 {
			c.linef("月人均收入 %s 元高于最后一档上限，分档标准设置有误，请联系县民政局", pci)
			return c
		}
	default:
		c.linef("未知的低保金计算方式“%s”，请联系县民政局", rs.DibaoMethod)
		return c
	}
	c.Amount = c.PerPerson * Money(c.Persons)
	c.Eligible = true
	c.linef("保障人数 %d 人 × 每人 %s 元 = 月低保金 %s 元", c.Persons, c.PerPerson, c.Amount)
	return c
}

// ComputeTekun is the monthly 特困 support of one person: the basic living
// standard of the area plus the care allowance for the support mode and
// self-care level. Eligible is false (with a line saying what is missing) when
// the mode or level is not known or has no allowance in rs.
func ComputeTekun(rs RuleSet, area Area, mode CareMode, level SelfCareLevel) Computation {
	c := Computation{RuleVersion: rs.Version, Persons: 1}
	basic := rs.TekunBasic(area)
	c.linef("特困基本生活标准：%s低保标准 %s 元 × %g = %s 元（向上取整到元）",
		area.Label(), rs.DibaoStandard(area), rs.TekunBasicRatio, basic)
	care, ok := rs.CareAllowance[mode][level]
	if !ok {
		c.linef("照料护理补贴：供养方式为“%s”、自理能力为“%s”，请先确定供养方式并完成生活自理能力评估",
			mode.Label(), level.Label())
		return c
	}
	c.linef("照料护理补贴（%s·%s）%s 元", mode.Label(), level.Label(), care)
	c.PerPerson = basic + care
	c.Amount = c.PerPerson
	c.Eligible = true
	c.linef("合计每月 %s 元", c.Amount)
	return c
}

// SelfCareItems names the six items of the 特困 self-care assessment, in the
// order of SelfCareAssessment's argument.
var SelfCareItems = [6]string{"进食", "穿衣", "上下床", "如厕", "室内行走", "洗澡"}

// SelfCareAssessment grades the six items (true = the person can do it alone):
// all met = 全自理; 1 to 3 failed = 半护理; 4 or more failed = 全护理.
func SelfCareAssessment(items [6]bool) SelfCareLevel {
	failed := 0
	for _, ok := range items {
		if !ok {
			failed++
		}
	}
	switch {
	case failed == 0:
		return SelfCareFull
	case failed <= 3:
		return SelfCarePartial
	}
	return SelfCareNone
}

// CheckTempGrant checks a 临时救助 amount: it must be positive; above the
// township limit it needs county approval (needsCounty, no error); otherwise
// the township pays it from its reserve fund, so it must fit the balance.
func CheckTempGrant(rs RuleSet, amount, reserveBalance Money) (needsCounty bool, err error) {
	switch {
	case amount <= 0:
		return false, FieldErrorf("救助金额", "救助金额须大于0")
	case amount > rs.TempTownshipLimit:
		return true, nil
	case amount > reserveBalance:
		return false, FieldErrorf("救助金额", "乡镇临时救助备用金余额仅 %s 元，不足以支付 %s 元，请申请补充备用金", reserveBalance, amount)
	}
	return false, nil
}
