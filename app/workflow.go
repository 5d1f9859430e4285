package app

import "strings"

// State of a case. The three programs share the vocabulary but not the
// transitions: each program has its own table below.
type State string

const (
	StateApplied      State = "applied"      // 已申请
	StateAccepted     State = "accepted"     // 已受理，调查中
	StateInvestigated State = "investigated" // 调查完成，待公示
	StateNoticed      State = "noticed"      // 公示中
	StateEscalated    State = "escalated"    // 报县审批 (临时救助 over the township limit)
	StateApproved     State = "approved"     // 已审批，待发放
	StateRejected     State = "rejected"     // 不予确认
	StatePaying       State = "paying"       // 保障中 (monthly payment)
	StatePaidFirst    State = "paid_first"   // 先行救助，待补手续
	StatePaid         State = "paid"         // 已发放 (one-off 临时救助)
	StatePhasingOut   State = "phasing_out"  // 渐退期
	StateTerminated   State = "terminated"   // 已终止
	StateArchived     State = "archived"     // 已归档
)

// States in workflow order, for filters and counts.
var States = []State{StateApplied, StateAccepted, StateInvestigated, StateNoticed, StateEscalated, StateApproved,
	StateRejected, StatePaidFirst, StatePaying, StatePaid, StatePhasingOut, StateTerminated, StateArchived}

var stateLabels = map[State]string{
	StateApplied: "已申请", StateAccepted: "调查中", StateInvestigated: "待公示", StateNoticed: "公示中",
	StateEscalated: "报县审批", StateApproved: "待发放", StateRejected: "不予确认", StatePaying: "保障中",
	StatePaidFirst: "先行救助待补手续", StatePaid: "已发放", StatePhasingOut: "渐退期", StateTerminated: "已终止",
	StateArchived: "已归档",
}

func (s State) Label() string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return string(s)
}

// Active reports whether the case still needs work or pays money.
func (s State) Active() bool {
	switch s {
	case StateRejected, StateTerminated, StateArchived, StatePaid:
		return false
	}
	return true
}

// Receiving reports whether the case is in a state that pays a monthly benefit.
func (s State) Receiving() bool {
	return s == StatePaying || s == StatePhasingOut || s == StateApproved
}

// Action is a workflow step a person takes on a case.
type Action string

const (
	ActionAccept        Action = "accept"         // 受理
	ActionIncomplete    Action = "incomplete"     // 一次性告知补正材料
	ActionVisit         Action = "visit"          // 入户调查
	ActionNotice        Action = "notice"         // 公示
	ActionObject        Action = "object"         // 公示异议
	ActionApprove       Action = "approve"        // 审批确认
	ActionReject        Action = "reject"         // 不予确认
	ActionEscalate      Action = "escalate"       // 报县审批
	ActionCountyApprove Action = "county_approve" // 县级审批
	ActionReport        Action = "report"         // 报县备案
	ActionPayFirst      Action = "pay_first"      // 先行救助
	ActionComplete      Action = "complete"       // 补齐手续
	ActionPay           Action = "pay"            // 发放
	ActionReview        Action = "review"         // 动态复核
	ActionPhaseOut      Action = "phase_out"      // 渐退
	ActionTerminate     Action = "terminate"      // 终止
	ActionArchive       Action = "archive"        // 归档
)

var actionLabels = map[Action]string{
	ActionAccept: "受理", ActionIncomplete: "一次性告知", ActionVisit: "入户调查", ActionNotice: "开始公示",
	ActionObject: "登记公示异议", ActionApprove: "审批确认", ActionReject: "不予确认", ActionEscalate: "报县审批",
	ActionCountyApprove: "县级审批同意", ActionReport: "报县备案", ActionPayFirst: "先行救助", ActionComplete: "补齐手续",
	ActionPay: "发放", ActionReview: "动态复核", ActionPhaseOut: "进入渐退期", ActionTerminate: "终止救助", ActionArchive: "归档",
}

func (a Action) Label() string {
	if l, ok := actionLabels[a]; ok {
		return l
	}
	return string(a)
}

// Transition is one row of a program's state machine.
type Transition struct {
	From   []State
	Action Action
	To     State // "" keeps the current state
	Roles  []Role
}

var (
	clerk      = []Role{RoleClerk}
	approver   = []Role{RoleApprover}
	visitors   = []Role{RoleLiaison, RoleClerk}
	countyOnly = []Role{RoleCounty}
)

// transitions per program. Decisions (approve, reject, terminate, phase out)
// belong to the approver alone: a legal decision has one writer.
var transitions = map[Program][]Transition{
	ProgramDibao: {
		{[]State{StateApplied}, ActionAccept, StateAccepted, clerk},
		{[]State{StateApplied}, ActionIncomplete, "", clerk},
		{[]State{StateAccepted}, ActionVisit, StateInvestigated, visitors},
		{[]State{StateInvestigated}, ActionNotice, StateNoticed, clerk},
		{[]State{StateNoticed}, ActionObject, StateAccepted, clerk},
		{[]State{StateNoticed}, ActionApprove, StateApproved, approver},
		{[]State{StateInvestigated, StateNoticed}, ActionReject, StateRejected, approver},
		{[]State{StateApproved, StatePaying, StateRejected}, ActionReport, "", clerk},
		{[]State{StateApproved, StatePaying, StatePhasingOut}, ActionPay, StatePaying, clerk},
		{[]State{StatePaying, StatePhasingOut}, ActionReview, "", visitors},
		{[]State{StatePaying}, ActionPhaseOut, StatePhasingOut, approver},
		{[]State{StateApproved, StatePaying, StatePhasingOut}, ActionTerminate, StateTerminated, approver},
		{[]State{StateRejected, StateTerminated}, ActionArchive, StateArchived, clerk},
	},
	ProgramTekun: {
		{[]State{StateApplied}, ActionAccept, StateAccepted, clerk},
		{[]State{StateApplied}, ActionIncomplete, "", clerk},
		{[]State{StateAccepted}, ActionVisit, StateInvestigated, visitors},
		{[]State{StateInvestigated}, ActionNotice, StateNoticed, clerk},
		{[]State{StateNoticed}, ActionObject, StateAccepted, clerk},
		{[]State{StateNoticed}, ActionApprove, StateApproved, approver},
		{[]State{StateInvestigated, StateNoticed}, ActionReject, StateRejected, approver},
		{[]State{StateApproved, StatePaying, StateRejected}, ActionReport, "", clerk},
		{[]State{StateApproved, StatePaying}, ActionPay, StatePaying, clerk},
		{[]State{StatePaying}, ActionReview, "", visitors},
		{[]State{StateApproved, StatePaying}, ActionTerminate, StateTerminated, approver},
		{[]State{StateRejected, StateTerminated}, ActionArchive, StateArchived, clerk},
	},
	ProgramTemporary: {
		{[]State{StateApplied}, ActionAccept, StateAccepted, clerk},
		{[]State{StateApplied}, ActionIncomplete, "", clerk},
		{[]State{StateApplied, StateAccepted}, ActionPayFirst, StatePaidFirst, approver},
		{[]State{StatePaidFirst}, ActionComplete, StatePaid, clerk},
		{[]State{StateAccepted}, ActionVisit, StateInvestigated, visitors},
		{[]State{StateInvestigated}, ActionNotice, StateNoticed, clerk},
		{[]State{StateNoticed}, ActionObject, StateAccepted, clerk},
		{[]State{StateNoticed}, ActionApprove, StateApproved, approver},
		{[]State{StateNoticed}, ActionEscalate, StateEscalated, approver},
		{[]State{StateEscalated}, ActionCountyApprove, StateApproved, countyOnly},
		{[]State{StateInvestigated, StateNoticed, StateEscalated}, ActionReject, StateRejected, append(approver, RoleCounty)},
		{[]State{StateApproved}, ActionPay, StatePaid, clerk},
		{[]State{StatePaid, StateRejected}, ActionArchive, StateArchived, clerk},
	},
}

// Transitions returns the state machine of a program (a copy).
func Transitions(p Program) []Transition { return append([]Transition(nil), transitions[p]...) }

// FindTransition returns the transition for action a from state s of program
// p, or an error saying why it is not allowed. Role is checked separately by
// Allowed so that a screen can show "not your role" apart from "not now".
func FindTransition(p Program, s State, a Action) (Transition, error) {
	rows, ok := transitions[p]
	if !ok {
		return Transition{}, Errorf(EINVALID, "未知的救助项目“%s”", p)
	}
	known := false
	for _, t := range rows {
		if t.Action != a {
			continue
		}
		known = true
		for _, f := range t.From {
			if f == s {
				return t, nil
			}
		}
	}
	if !known {
		return Transition{}, Errorf(EINVALID, "%s业务没有“%s”这一步", p.Label(), a.Label())
	}
	return Transition{}, Errorf(ECONFLICT, "案件当前状态为“%s”，不能执行“%s”", s.Label(), a.Label())
}

// Allowed checks both the state and the role.
func Allowed(p Program, s State, a Action, r Role) (Transition, error) {
	t, err := FindTransition(p, s, a)
	if err != nil {
		return t, err
	}
	for _, allowed := range t.Roles {
		if allowed == r {
			return t, nil
		}
	}
	names := make([]string, len(t.Roles))
	for i, allowed := range t.Roles {
		names[i] = allowed.Label()
	}
	return t, Errorf(EFORBIDDEN, "“%s”只能由%s办理，当前用户是%s", a.Label(), strings.Join(names, "或"), r.Label())
}

// AvailableActions lists the actions role r may take now on a case of program
// p in state s, in table order (the order buttons appear on the case screen).
func AvailableActions(p Program, s State, r Role) []Action {
	var out []Action
	for _, t := range transitions[p] {
		if _, err := Allowed(p, s, t.Action, r); err == nil && !containsAction(out, t.Action) {
			out = append(out, t.Action)
		}
	}
	return out
}

func containsAction(list []Action, a Action) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}
