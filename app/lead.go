package app

import (
	"slices"
	"strings"
)

// Problem leads (问题线索): complaints and tips about assistance work, handled
// to closure (销号). A lead is its own record, not part of a household: its
// events carry no household ID (so that no household fold sees them) and name
// the lead in the envelope's CaseID, which makes a lead's history one indexed
// query and lets the audit screen filter by it like a case.

// Lead event types. Every step has its own type so that the log reads plainly.
const (
	EventLeadRegistered  = "lead.registered"
	EventLeadAssigned    = "lead.assigned"
	EventLeadProgress    = "lead.progress"
	EventLeadTransferred = "lead.transferred"
	EventLeadConcluded   = "lead.concluded"
	EventLeadClosed      = "lead.closed"
)

// IsLeadEvent reports whether an event type belongs to problem leads.
func IsLeadEvent(t string) bool { return strings.HasPrefix(t, "lead.") }

// LeadSource is where a lead came from.
type LeadSource string

const (
	LeadHotline    LeadSource = "hotline"    // 投诉举报电话
	LeadPetition   LeadSource = "petition"   // 信访
	LeadWeb        LeadSource = "web"        // 网站
	LeadMedia      LeadSource = "media"      // 媒体
	LeadDiscipline LeadSource = "discipline" // 纪委监委
	LeadSuperior   LeadSource = "superior"   // 上级转办
)

// LeadSources in display (and ledger column) order.
var LeadSources = []LeadSource{LeadHotline, LeadPetition, LeadWeb, LeadMedia, LeadDiscipline, LeadSuperior}

var leadSourceLabels = map[LeadSource]string{LeadHotline: "投诉举报电话", LeadPetition: "信访", LeadWeb: "网站",
	LeadMedia: "媒体", LeadDiscipline: "纪委监委", LeadSuperior: "上级转办"}

func (s LeadSource) Label() string {
	if l, ok := leadSourceLabels[s]; ok {
		return l
	}
	return string(s)
}

// HandlingMode is how the township handles a lead.
type HandlingMode string

const (
	ModeJoint       HandlingMode = "joint"       // 协查协办
	ModeDirect      HandlingMode = "direct"      // 直查直办
	ModeTransferred HandlingMode = "transferred" // 转办督办
)

var HandlingModes = []HandlingMode{ModeJoint, ModeDirect, ModeTransferred}

var modeLabels = map[HandlingMode]string{ModeJoint: "协查协办", ModeDirect: "直查直办", ModeTransferred: "转办督办"}

func (m HandlingMode) Label() string {
	if l, ok := modeLabels[m]; ok {
		return l
	}
	if m == "" {
		return "未确定"
	}
	return string(m)
}

// LeadResult is the finding of the verification.
type LeadResult string

const (
	ResultConfirmed LeadResult = "confirmed" // 属实
	ResultPartly    LeadResult = "partly"    // 部分属实
	ResultUnfounded LeadResult = "unfounded" // 不属实
)

var LeadResults = []LeadResult{ResultConfirmed, ResultPartly, ResultUnfounded}

var resultLabels = map[LeadResult]string{ResultConfirmed: "属实", ResultPartly: "部分属实", ResultUnfounded: "不属实"}

func (r LeadResult) Label() string {
	if l, ok := resultLabels[r]; ok {
		return l
	}
	return string(r)
}

// LeadState is where a lead stands.
type LeadState string

const (
	LeadRegisteredState LeadState = "registered" // 已登记，待交办
	LeadHandling        LeadState = "handling"   // 办理中
	LeadConcluded       LeadState = "concluded"  // 已办结，待销号
	LeadClosed          LeadState = "closed"     // 已销号
)

var LeadStates = []LeadState{LeadRegisteredState, LeadHandling, LeadConcluded, LeadClosed}

var leadStateLabels = map[LeadState]string{LeadRegisteredState: "待交办", LeadHandling: "办理中",
	LeadConcluded: "已办结待销号", LeadClosed: "已销号"}

func (s LeadState) Label() string {
	if l, ok := leadStateLabels[s]; ok {
		return l
	}
	return string(s)
}

// Open reports whether the lead still runs against its deadline: a concluded
// lead waits only for the supervisor's sign-off.
func (s LeadState) Open() bool { return s == LeadRegisteredState || s == LeadHandling }

// LeadAction is a step on a lead; the event type is "lead." + a past participle.
type LeadAction string

const (
	LeadAssign   LeadAction = "assign"   // 交办
	LeadProgress LeadAction = "progress" // 办理进展
	LeadTransfer LeadAction = "transfer" // 转办督办
	LeadConclude LeadAction = "conclude" // 办结
	LeadClose    LeadAction = "close"    // 销号
)

var leadActionLabels = map[LeadAction]string{LeadAssign: "交办", LeadProgress: "登记办理进展", LeadTransfer: "转办",
	LeadConclude: "办结", LeadClose: "销号"}

func (a LeadAction) Label() string {
	if l, ok := leadActionLabels[a]; ok {
		return l
	}
	return string(a)
}

var leadActionEvents = map[LeadAction]string{LeadAssign: EventLeadAssigned, LeadProgress: EventLeadProgress,
	LeadTransfer: EventLeadTransferred, LeadConclude: EventLeadConcluded, LeadClose: EventLeadClosed}

// EventType is the event type that records the action.
func (a LeadAction) EventType() string { return leadActionEvents[a] }

// LeadActionOf returns the action an event type records ("" for registration
// and for types that are not lead steps).
func LeadActionOf(eventType string) LeadAction {
	for a, t := range leadActionEvents {
		if t == eventType {
			return a
		}
	}
	return ""
}

// LeadTransition is one row of the lead state machine.
type LeadTransition struct {
	From   []LeadState
	Action LeadAction
	To     LeadState // "" keeps the state
	Roles  []Role
}

// leadTransitions: the approver (or the county) assigns, transfers and signs
// off; the clerk records progress and the conclusion. Closure (销号) is a
// supervisor's act separate from the conclusion, so no one closes their own work.
var leadTransitions = []LeadTransition{
	{[]LeadState{LeadRegisteredState, LeadHandling}, LeadAssign, LeadHandling, []Role{RoleApprover, RoleCounty}},
	{[]LeadState{LeadRegisteredState, LeadHandling}, LeadTransfer, LeadHandling, []Role{RoleApprover, RoleCounty}},
	{[]LeadState{LeadHandling}, LeadProgress, "", []Role{RoleClerk, RoleApprover, RoleLiaison, RoleCounty}},
	{[]LeadState{LeadHandling}, LeadConclude, LeadConcluded, []Role{RoleClerk, RoleApprover}},
	{[]LeadState{LeadConcluded}, LeadClose, LeadClosed, []Role{RoleApprover, RoleCounty}},
}

// LeadTransitions returns the state machine (a copy).
func LeadTransitions() []LeadTransition { return slices.Clone(leadTransitions) }

// AllowedLead checks that action a may be taken by role r on a lead in state s.
func AllowedLead(s LeadState, a LeadAction, r Role) error {
	known := false
	for _, t := range leadTransitions {
		if t.Action != a {
			continue
		}
		known = true
		if !slices.Contains(t.From, s) {
			continue
		}
		if slices.Contains(t.Roles, r) {
			return nil
		}
		names := make([]string, len(t.Roles))
		for i, x := range t.Roles {
			names[i] = x.Label()
		}
		return Errorf(EFORBIDDEN, "问题线索“%s”只能由%s办理，当前用户是%s", a.Label(), strings.Join(names, "或"), r.Label())
	}
	if !known {
		return Errorf(EINVALID, "问题线索没有“%s”这一步", a)
	}
	return Errorf(ECONFLICT, "问题线索当前状态为“%s”，不能%s", s.Label(), a.Label())
}

// AvailableLeadActions lists what role r may do now, for the detail screen's buttons.
func AvailableLeadActions(s LeadState, r Role) []LeadAction {
	var out []LeadAction
	for _, t := range leadTransitions {
		if AllowedLead(s, t.Action, r) == nil {
			out = append(out, t.Action)
		}
	}
	return out
}

// LeadRegistered is the payload of lead.registered.
type LeadRegistered struct {
	Source     LeadSource `json:"source"`
	ReceivedOn Date       `json:"received_on"`
	// Complainant and ComplainantPhone are protected: shown only on the lead's
	// detail screen, never in lists, exports, the ledger or the county page.
	Complainant      string       `json:"complainant,omitempty"`
	ComplainantPhone string       `json:"complainant_phone,omitempty"`
	SubjectHousehold string       `json:"subject_household,omitempty"` // household ID
	SubjectName      string       `json:"subject_name,omitempty"`      // head of that household, or the staff member
	SubjectStaff     bool         `json:"subject_staff,omitempty"`     // the lead is about a staff member
	Content          string       `json:"content"`
	LinkedCases      []string     `json:"linked_cases,omitempty"`
	Mode             HandlingMode `json:"mode,omitempty"`
	Assignee         string       `json:"assignee,omitempty"`
	ReferenceNo      string       `json:"reference_no,omitempty"` // 来文编号 of the transferring office
}

// Validate checks a registration; today bounds the received date.
func (p LeadRegistered) Validate(today Date) error {
	var probs Problems
	add := func(field, format string, args ...any) { probs = append(probs, FieldErrorf(field, format, args...)) }
	if _, ok := leadSourceLabels[p.Source]; !ok {
		add("线索来源", "请选择线索来源：投诉举报电话、信访、网站、媒体、纪委监委或上级转办")
	}
	if p.ReceivedOn.IsZero() {
		add("受理日期", "请填写线索受理日期")
	} else if !today.IsZero() && p.ReceivedOn.After(today) {
		add("受理日期", "受理日期不能晚于今天")
	}
	if strings.TrimSpace(p.Content) == "" {
		add("反映内容", "请填写反映的问题内容")
	}
	if strings.TrimSpace(p.SubjectHousehold) == "" && strings.TrimSpace(p.SubjectName) == "" {
		add("被反映对象", "请选择被反映的家庭，或填写被反映的工作人员姓名")
	}
	if p.SubjectStaff && strings.TrimSpace(p.SubjectName) == "" {
		add("被反映对象", "反映工作人员的线索须填写工作人员姓名")
	}
	if p.Mode != "" {
		if _, ok := modeLabels[p.Mode]; !ok {
			add("办理方式", "请选择协查协办、直查直办或转办督办")
		}
	}
	if p.Source == LeadSuperior && strings.TrimSpace(p.ReferenceNo) == "" {
		add("来文编号", "上级转办的线索请填写来文编号")
	}
	return probs.Err()
}

// LeadStepData is what a person records with a lead step.
type LeadStepData struct {
	Date           Date         `json:"date"`
	Mode           HandlingMode `json:"mode,omitempty"`
	Assignee       string       `json:"assignee,omitempty"`
	TransferTo     string       `json:"transfer_to,omitempty"` // unit the lead is transferred to
	Note           string       `json:"note,omitempty"`        // progress, or the verification summary
	Result         LeadResult   `json:"result,omitempty"`
	Recovered      Money        `json:"recovered,omitempty"`      // 追回资金
	Accountability string       `json:"accountability,omitempty"` // 责任追究 and rectification
	Opinion        string       `json:"opinion,omitempty"`
}

// LeadStep is the payload of every lead step event. Prev is the lead's
// LastEvent as the author saw it.
type LeadStep struct {
	Data LeadStepData `json:"data"`
	Prev string       `json:"prev"`
}

// Validate checks the data an action needs.
func (d LeadStepData) Validate(a LeadAction) error {
	if d.Date.IsZero() {
		return FieldErrorf("办理日期", "请填写办理日期")
	}
	switch a {
	case LeadAssign:
		if _, ok := modeLabels[d.Mode]; !ok {
			return FieldErrorf("办理方式", "请选择协查协办、直查直办或转办督办")
		}
		if strings.TrimSpace(d.Assignee) == "" {
			return FieldErrorf("承办人", "请填写承办人")
		}
	case LeadTransfer:
		if strings.TrimSpace(d.TransferTo) == "" {
			return FieldErrorf("转办单位", "请填写转办的单位")
		}
	case LeadProgress:
		if strings.TrimSpace(d.Note) == "" {
			return FieldErrorf("办理进展", "请填写办理进展情况")
		}
	case LeadConclude:
		if _, ok := resultLabels[d.Result]; !ok {
			return FieldErrorf("核查结果", "请选择核查结果：属实、部分属实或不属实")
		}
		if d.Recovered < 0 {
			return FieldErrorf("追回资金", "追回资金不能为负数")
		}
		if strings.TrimSpace(d.Note) == "" {
			return FieldErrorf("核查情况", "请写明核查情况")
		}
		if d.Result == ResultUnfounded && d.Recovered > 0 {
			return FieldErrorf("追回资金", "核查结果为不属实，不应有追回资金")
		}
		if d.Result != ResultUnfounded && strings.TrimSpace(d.Accountability) == "" {
			return FieldErrorf("整改及追责情况", "反映问题属实或部分属实，须写明整改和责任追究情况")
		}
	}
	return nil
}

// LeadEntry is one line of a lead's history.
type LeadEntry struct {
	EventID string     `json:"event_id"`
	Action  LeadAction `json:"action"` // "" for the registration
	Date    Date       `json:"date"`
	By      string     `json:"by"`
	Role    Role       `json:"role"`
	Text    string     `json:"text"`
}

// Lead is a problem lead as folded from its events.
type Lead struct {
	ID string `json:"id"`
	LeadRegistered
	State          LeadState   `json:"state"`
	Deadline       Date        `json:"deadline"`
	TransferTo     string      `json:"transfer_to,omitempty"`
	Result         LeadResult  `json:"result,omitempty"`
	Recovered      Money       `json:"recovered,omitempty"`
	Accountability string      `json:"accountability,omitempty"`
	Conclusion     string      `json:"conclusion,omitempty"`
	ConcludedOn    Date        `json:"concluded_on,omitempty"`
	ClosedOn       Date        `json:"closed_on,omitempty"`
	History        []LeadEntry `json:"history"`
	LastEvent      string      `json:"last_event"`
	RegisteredBy   string      `json:"registered_by"`
	Township       string      `json:"township_code,omitempty"`
}

// Protected returns a copy without the complainant, for every list and export.
func (l Lead) Protected() Lead {
	l.Complainant, l.ComplainantPhone = "", ""
	return l
}

// Apply performs action a by role r. It checks the state machine, the role
// and the data, and leaves the lead unchanged on error.
func (l *Lead) Apply(a LeadAction, r Role, d LeadStepData) error {
	if err := AllowedLead(l.State, a, r); err != nil {
		return err
	}
	if err := d.Validate(a); err != nil {
		return err
	}
	if d.Date.Before(l.ReceivedOn) {
		return FieldErrorf("办理日期", "办理日期不能早于线索受理日期 %s", l.ReceivedOn)
	}
	next := *l
	switch a {
	case LeadAssign:
		next.Mode, next.Assignee = d.Mode, strings.TrimSpace(d.Assignee)
		next.State = LeadHandling
	case LeadTransfer:
		next.Mode, next.TransferTo = ModeTransferred, strings.TrimSpace(d.TransferTo)
		if d.Assignee != "" {
			next.Assignee = strings.TrimSpace(d.Assignee)
		}
		next.State = LeadHandling
	case LeadConclude:
		next.Result, next.Recovered, next.Accountability = d.Result, d.Recovered, strings.TrimSpace(d.Accountability)
		next.Conclusion, next.ConcludedOn = strings.TrimSpace(d.Note), d.Date
		next.State = LeadConcluded
	case LeadClose:
		if d.Date.Before(l.ConcludedOn) {
			return FieldErrorf("销号日期", "销号日期不能早于办结日期 %s", l.ConcludedOn)
		}
		next.ClosedOn = d.Date
		next.State = LeadClosed
	}
	*l = next
	return nil
}

// LeadTimeLimitKey is the TimeLimits entry of the rule set that holds the lead
// deadlines, in working days from receipt: per handling mode (Step(mode)), or
// StepWhole for all modes. The county sets them like every other time limit.
const LeadTimeLimitKey Program = "lead"

// DefaultLeadDays applies when the rules in force set no lead deadline.
const DefaultLeadDays = 30

// LeadTimeLimit is the number of working days a lead handled in mode m has
// from its receipt under rs.
func LeadTimeLimit(rs RuleSet, m HandlingMode) int {
	limits := rs.TimeLimits[LeadTimeLimitKey]
	if n := limits[Step(m)]; m != "" && n > 0 {
		return n
	}
	if n := limits[StepWhole]; n > 0 {
		return n
	}
	return DefaultLeadDays
}

// WithLeadTimeLimits returns a copy of rs with lead deadlines set (mode ""
// sets the default for all modes).
func WithLeadTimeLimits(rs RuleSet, days map[HandlingMode]int) RuleSet {
	out := rs.Clone()
	if out.TimeLimits == nil {
		out.TimeLimits = map[Program]map[Step]int{}
	}
	m := map[Step]int{}
	for k, v := range out.TimeLimits[LeadTimeLimitKey] {
		m[k] = v
	}
	for mode, n := range days {
		if mode == "" {
			m[StepWhole] = n
		} else {
			m[Step(mode)] = n
		}
	}
	out.TimeLimits[LeadTimeLimitKey] = m
	return out
}

// LeadDeadline is the date a lead must be concluded by: the mode's limit in
// working days after receipt, under the rules in force on the receipt date.
func LeadDeadline(l *Lead, fc FoldContext) Date {
	ctx := fc.StepContext(l.ReceivedOn)
	return ctx.Calendar.AddWorkingDays(l.ReceivedOn, LeadTimeLimit(ctx.Rules, l.Mode))
}

// Overdue reports whether an open lead is past its deadline on today.
func (l *Lead) Overdue(today Date) bool {
	return l.State.Open() && !l.Deadline.IsZero() && l.Deadline.Before(today)
}

// FoldLead folds one lead's events, in canonical order, into the lead. A step
// that does not fit (taken on a stale view, or invalid when written) changes
// nothing, as with case steps; a second registration of the same ID is
// ignored. It returns nil when the events hold no registration.
func FoldLead(id string, events []Event, fc FoldContext) *Lead {
	var l *Lead
	for i := range events {
		e := &events[i]
		if e.Type == EventLeadRegistered {
			if l != nil {
				continue
			}
			var p LeadRegistered
			if decode(e, &p) != nil {
				continue
			}
			l = &Lead{ID: id, LeadRegistered: p, State: LeadRegisteredState, LastEvent: e.ID,
				RegisteredBy: e.Actor.Name, Township: e.TownshipCode}
			// Registered and assigned at once only by someone who may assign.
			if p.Mode != "" && strings.TrimSpace(p.Assignee) != "" && AllowedLead(LeadRegisteredState, LeadAssign, e.Actor.Role) == nil {
				l.State = LeadHandling
			}
			l.History = append(l.History, LeadEntry{EventID: e.ID, Date: p.ReceivedOn, By: e.Actor.Name,
				Role: e.Actor.Role, Text: "登记线索（" + p.Source.Label() + "）"})
			continue
		}
		a := LeadActionOf(e.Type)
		if l == nil || a == "" {
			continue
		}
		var p LeadStep
		if decode(e, &p) != nil {
			continue
		}
		if l.Apply(a, e.Actor.Role, p.Data) != nil {
			continue
		}
		l.LastEvent = e.ID
		l.History = append(l.History, LeadEntry{EventID: e.ID, Action: a, Date: p.Data.Date, By: e.Actor.Name,
			Role: e.Actor.Role, Text: leadEntryText(a, p.Data)})
	}
	if l != nil {
		l.Deadline = LeadDeadline(l, fc)
	}
	return l
}

func leadEntryText(a LeadAction, d LeadStepData) string {
	var parts []string
	switch a {
	case LeadAssign:
		parts = append(parts, "交办："+d.Mode.Label()+"，承办人 "+d.Assignee)
	case LeadTransfer:
		parts = append(parts, "转办至 "+d.TransferTo)
	case LeadProgress:
		parts = append(parts, "进展："+d.Note)
	case LeadConclude:
		parts = append(parts, "办结：核查结果"+d.Result.Label()+"。"+d.Note)
		if d.Recovered > 0 {
			parts = append(parts, "追回资金 "+d.Recovered.String()+" 元")
		}
		if d.Accountability != "" {
			parts = append(parts, "整改及追责："+d.Accountability)
		}
	case LeadClose:
		parts = append(parts, "销号")
	}
	if d.Opinion != "" {
		parts = append(parts, "意见："+d.Opinion)
	}
	return strings.Join(parts, "；")
}
