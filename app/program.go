package app

// Program is one of the three assistance programs a township runs.
type Program string

const (
	ProgramDibao     Program = "dibao"     // 最低生活保障
	ProgramTekun     Program = "tekun"     // 特困人员救助供养
	ProgramTemporary Program = "temporary" // 临时救助
)

// Programs in display order.
var Programs = []Program{ProgramDibao, ProgramTekun, ProgramTemporary}

func (p Program) Label() string {
	switch p {
	case ProgramDibao:
		return "低保"
	case ProgramTekun:
		return "特困"
	case ProgramTemporary:
		return "临时救助"
	}
	return string(p)
}

// ParseProgram accepts the identifier or a Chinese label found in rosters.
func ParseProgram(s string) (Program, bool) {
	switch s {
	case "dibao", "低保", "最低生活保障", "城市低保", "农村低保", "城乡低保":
		return ProgramDibao, true
	case "tekun", "特困", "特困供养", "特困人员", "特困人员救助供养", "五保":
		return ProgramTekun, true
	case "temporary", "临时救助", "临救":
		return ProgramTemporary, true
	}
	return "", false
}

// Role is what a signed-in user may do. Legal decisions have exactly one role
// with authority; the state machine checks it on every transition.
type Role string

const (
	RoleLiaison  Role = "liaison"  // 村级协理员: registers, visits
	RoleClerk    Role = "clerk"    // 乡镇经办人: runs the workflow
	RoleApprover Role = "approver" // 乡镇审批人: decides
	RoleCounty   Role = "county"   // 县民政局: county approval, supervision
)

// Roles in display order.
var Roles = []Role{RoleLiaison, RoleClerk, RoleApprover, RoleCounty}

func (r Role) Label() string {
	switch r {
	case RoleLiaison:
		return "村级协理员"
	case RoleClerk:
		return "乡镇经办人"
	case RoleApprover:
		return "乡镇审批人"
	case RoleCounty:
		return "县级民政"
	}
	return string(r)
}

// SelfCareLevel is the result of the six-item 特困 self-care assessment.
type SelfCareLevel string

const (
	SelfCareFull    SelfCareLevel = "full"    // 全自理
	SelfCarePartial SelfCareLevel = "partial" // 部分丧失 (半护理)
	SelfCareNone    SelfCareLevel = "none"    // 完全丧失 (全护理)
)

// SelfCareLevels in display order.
var SelfCareLevels = []SelfCareLevel{SelfCareFull, SelfCarePartial, SelfCareNone}

func (l SelfCareLevel) Label() string {
	switch l {
	case SelfCareFull:
		return "全自理"
	case SelfCarePartial:
		return "半护理"
	case SelfCareNone:
		return "全护理"
	}
	return "未评估"
}

// CareMode is where a 特困 person is supported.
type CareMode string

const (
	CareCentralised CareMode = "centralised" // 集中供养
	CareDispersed   CareMode = "dispersed"   // 分散供养
)

var CareModes = []CareMode{CareCentralised, CareDispersed}

func (m CareMode) Label() string {
	switch m {
	case CareCentralised:
		return "集中供养"
	case CareDispersed:
		return "分散供养"
	}
	return "未确定"
}

// TempKind is the kind of 临时救助.
type TempKind string

const (
	TempUrgent   TempKind = "urgent"   // 急难型
	TempSpending TempKind = "spending" // 支出型
)

func (k TempKind) Label() string {
	if k == TempUrgent {
		return "急难型"
	}
	return "支出型"
}

// Step names a legally time-limited step; RuleSet.TimeLimits gives its length.
type Step string

const (
	StepAccept      Step = "accept"      // from application to acceptance
	StepInvestigate Step = "investigate" // from acceptance to the completed home visit
	StepNotice      Step = "notice"      // public notice length (calendar days)
	StepDecide      Step = "decide"      // from notice end to the decision
	StepNotifyRefus Step = "notify_refusal"
	StepReport      Step = "report"   // 备案 to the county after a decision
	StepWhole       Step = "whole"    // the whole process from application
	StepComplete    Step = "complete" // paperwork after 先行救助
)

func (s Step) Label() string {
	switch s {
	case StepAccept:
		return "受理"
	case StepInvestigate:
		return "家庭经济状况调查"
	case StepNotice:
		return "公示"
	case StepDecide:
		return "审批确认"
	case StepNotifyRefus:
		return "书面告知不予确认"
	case StepReport:
		return "报县备案"
	case StepWhole:
		return "全流程"
	case StepComplete:
		return "补齐先行救助手续"
	case StepReview:
		return "动态复核"
	case StepPhaseOutEnd:
		return "渐退期满"
	}
	return string(s)
}

// Steps that are not legal time limits but dates the workbench watches.
const (
	StepReview      Step = "review"        // 动态复核 due
	StepPhaseOutEnd Step = "phase_out_end" // 渐退期 ends
)
