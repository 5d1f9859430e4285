package app

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Problems is a list of validation failures, each naming its field, so a form
// can mark every wrong field at once instead of one per save.
type Problems []*Error

func (p Problems) Error() string {
	msgs := make([]string, len(p))
	for i, e := range p {
		msgs[i] = ErrorMessage(e)
	}
	return strings.Join(msgs, "；")
}

// Unwrap exposes each problem to errors.As, so ErrorCode sees EINVALID.
func (p Problems) Unwrap() []error {
	out := make([]error, len(p))
	for i, e := range p {
		out[i] = e
	}
	return out
}

// Err returns nil for no problems, so callers can write `if err := p.Err()`.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// ValidTownshipCode checks a 9-digit township statistical code.
func ValidTownshipCode(s string) bool { return len(s) == 9 && allDigits(s) }

// ValidVillageCode checks a 12-digit village statistical code.
func ValidVillageCode(s string) bool { return len(s) == 12 && allDigits(s) }

// NormalizeMember cleans a member's ID number in place and fills nothing else:
// sex, birth and age are always derived from the number when needed.
func NormalizeMember(m *Member) {
	m.Name = strings.TrimSpace(m.Name)
	if info, err := ParseID(m.IDNumber); err == nil {
		m.IDNumber = info.Number
	} else {
		m.IDNumber = NormalizeID(m.IDNumber)
	}
}

// Validate checks a household for registration on date today. Every problem
// names the member row and field in Chinese.
func (h *Household) Validate(today Date) Problems {
	var p Problems
	add := func(field, format string, args ...any) { p = append(p, FieldErrorf(field, format, args...)) }
	if !ValidTownshipCode(h.TownshipCode) {
		add("乡镇代码", "乡镇统计代码应为9位数字，当前为“%s”", h.TownshipCode)
	}
	if !ValidVillageCode(h.VillageCode) {
		add("村(社区)代码", "村(社区)统计代码应为12位数字，当前为“%s”", h.VillageCode)
	} else if ValidTownshipCode(h.TownshipCode) && !strings.HasPrefix(h.VillageCode, h.TownshipCode) {
		add("村(社区)代码", "村(社区)代码 %s 不属于本乡镇 %s", h.VillageCode, h.TownshipCode)
	}
	if h.Area != AreaRural && h.Area != AreaUrban {
		add("城乡类别", "请选择城市或农村")
	}
	if len(h.Members) == 0 {
		add("家庭成员", "请至少登记一名家庭成员（户主）")
	}
	heads := 0
	seen := map[string]int{}
	for i, m := range h.Members {
		row := fmt.Sprintf("第%d位成员", i+1)
		name := strings.TrimSpace(m.Name)
		if name == "" {
			add(row+"姓名", "请填写姓名")
		} else if utf8.RuneCountInString(name) > 30 {
			add(row+"姓名", "姓名过长")
		}
		if m.Relation == RelationHead {
			heads++
		} else if m.Relation.Label() == "" {
			add(row+"与户主关系", "请选择与户主关系")
		}
		info, err := ParseIDAt(m.IDNumber, today)
		if err != nil {
			msg := ErrorMessage(err)
			if e, ok := err.(*Error); ok {
				msg = e.Message // the field is named by the row prefix already
			}
			add(row+"身份证号", "%s", msg)
			continue
		}
		if j, dup := seen[info.Number]; dup {
			add(row+"身份证号", "与第%d位成员身份证号重复", j+1)
		}
		seen[info.Number] = i
		if m.DisabilityGrade < 0 || m.DisabilityGrade > 4 || (m.Disability != DisabilityNone) != (m.DisabilityGrade > 0) {
			add(row+"残疾等级", "有残疾类别时须填写1-4级，无残疾时等级为空")
		}
	}
	if len(h.Members) > 0 && heads != 1 {
		add("与户主关系", "一户须有且仅有一名户主，当前有%d名", heads)
	}
	for i, in := range h.Incomes {
		if in.Monthly < 0 {
			add(fmt.Sprintf("第%d项收入", i+1), "收入金额不能为负数")
		}
		if in.Kind.Label() == "" {
			add(fmt.Sprintf("第%d项收入", i+1), "请选择收入类别")
		}
	}
	for i, a := range h.Assets {
		if a.Value < 0 {
			add(fmt.Sprintf("第%d项财产", i+1), "财产金额不能为负数")
		}
	}
	return p
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
