package app

import (
	"strings"
)

// Case is one application of a household to one program, folded from its events.
type Case struct {
	ID          string   `json:"id"`
	HouseholdID string   `json:"household_id"`
	Program     Program  `json:"program"`
	State       State    `json:"state"`
	TempKind    TempKind `json:"temp_kind,omitempty"`
	Reason      string   `json:"reason,omitempty"` // the applicant's stated hardship

	AppliedOn     Date   `json:"applied_on"`
	AcceptedOn    Date   `json:"accepted_on,omitempty"`
	VisitedOn     Date   `json:"visited_on,omitempty"`
	NoticeFrom    Date   `json:"notice_from,omitempty"`
	NoticeTo      Date   `json:"notice_to,omitempty"`
	DecidedOn     Date   `json:"decided_on,omitempty"`
	ReportedOn    Date   `json:"reported_on,omitempty"`
	PaidFirstOn   Date   `json:"paid_first_on,omitempty"`
	LastPaidMonth string `json:"last_paid_month,omitempty"`
	ReviewDue     Date   `json:"review_due,omitempty"`
	PhaseOutUntil Date   `json:"phase_out_until,omitempty"`
	EndedOn       Date   `json:"ended_on,omitempty"`

	// Amount is the monthly amount decided (低保/特困) or the one-off grant (临时救助).
	Amount      Money `json:"amount"`
	CountyGrant bool  `json:"county_grant,omitempty"` // 临时救助 approved by the county

	// 特困
	SelfCare        SelfCareLevel `json:"self_care,omitempty"`
	CareMode        CareMode      `json:"care_mode,omitempty"`
	Caregiver       string        `json:"caregiver,omitempty"`
	CaregiverPhone  string        `json:"caregiver_phone,omitempty"`
	AgreementSigned Date          `json:"agreement_signed,omitempty"`

	Objections int `json:"objections,omitempty"`
	// LastStep is the event ID of the latest transition; a step taken on a
	// stale view names a different one and is checked for a conflict.
	LastStep   string `json:"last_step,omitempty"`
	LastAction Action `json:"last_action,omitempty"`
}

// StepData is what a person records with a workflow step. Which fields are
// required depends on the action; Validate says which one is missing.
type StepData struct {
	Date    Date   `json:"date"`
	Opinion string `json:"opinion,omitempty"` // 意见

	ConsentSigned bool     `json:"consent_signed,omitempty"` // 授权核对声明 signed at acceptance
	MissingItems  []string `json:"missing_items,omitempty"`  // 一次性告知
	Staff         []string `json:"staff,omitempty"`          // home-visit staff, at least two
	Findings      string   `json:"findings,omitempty"`
	Objection     string   `json:"objection,omitempty"`
	Reasons       []string `json:"reasons,omitempty"` // refusal / termination / review reasons
	Amount        Money    `json:"amount,omitempty"`
	Month         string   `json:"month,omitempty"` // payment month YYYY-MM
	Outcome       string   `json:"outcome,omitempty"`

	SelfCareItems   *[6]bool `json:"self_care_items,omitempty"`
	CareMode        CareMode `json:"care_mode,omitempty"`
	Caregiver       string   `json:"caregiver,omitempty"`
	CaregiverPhone  string   `json:"caregiver_phone,omitempty"`
	AgreementSigned Date     `json:"agreement_signed,omitempty"`

	Attachments []string `json:"attachments,omitempty"` // SHA-256 of attached scans
}

// Review outcomes (动态管理).
const (
	OutcomeKeep     = "keep"     // 维持
	OutcomeIncrease = "increase" // 增发
	OutcomeDecrease = "decrease" // 减发
)

// StepContext is what a step needs beyond its data: the rules in force on the
// step's date and the working-day calendar.
type StepContext struct {
	Rules    RuleSet
	Calendar *Calendar
}

// Validate checks that the data required by action a on program p is present.
func (d StepData) Validate(p Program, a Action) error {
	if d.Date.IsZero() {
		return FieldErrorf("办理日期", "请填写办理日期")
	}
	switch a {
	case ActionAccept:
		if !d.ConsentSigned {
			return FieldErrorf("授权声明", "受理前须由申请人签署家庭经济状况核对授权书")
		}
	case ActionIncomplete:
		if len(nonBlank(d.MissingItems)) == 0 {
			return FieldErrorf("需补正材料", "请一次性列明需要补正的全部材料")
		}
	case ActionVisit:
		if len(distinct(d.Staff)) < 2 {
			return FieldErrorf("调查人员", "入户调查须由至少两名工作人员进行，请填写两人以上姓名")
		}
		if strings.TrimSpace(d.Findings) == "" {
			return FieldErrorf("调查情况", "请填写入户调查情况")
		}
		if p == ProgramTekun {
			if d.SelfCareItems == nil {
				return FieldErrorf("生活自理能力评估", "特困人员须完成六项生活自理能力评估")
			}
			if d.CareMode == "" {
				return FieldErrorf("供养方式", "请选择集中供养或分散供养")
			}
			if d.CareMode == CareDispersed && strings.TrimSpace(d.Caregiver) == "" {
				return FieldErrorf("照料人", "分散供养须落实照料人")
			}
		}
	case ActionObject:
		if strings.TrimSpace(d.Objection) == "" {
			return FieldErrorf("异议内容", "请填写公示异议内容")
		}
	case ActionReject, ActionTerminate:
		if len(nonBlank(d.Reasons)) == 0 {
			return FieldErrorf("理由", "须写明理由，以便书面告知申请人")
		}
	case ActionApprove, ActionCountyApprove, ActionPayFirst:
		if p == ProgramTemporary && d.Amount <= 0 {
			return FieldErrorf("救助金额", "请填写救助金额")
		}
	case ActionPay:
		if p != ProgramTemporary && len(d.Month) != 7 {
			return FieldErrorf("发放月份", "请填写发放月份（如 2024-05）")
		}
	case ActionReview:
		switch d.Outcome {
		case OutcomeKeep, OutcomeIncrease, OutcomeDecrease:
		default:
			return FieldErrorf("复核结果", "请选择复核结果：维持、增发或减发")
		}
		if d.Outcome != OutcomeKeep && len(nonBlank(d.Reasons)) == 0 {
			return FieldErrorf("理由", "增发或减发须写明理由")
		}
	case ActionComplete:
		if len(distinct(d.Staff)) < 2 {
			return FieldErrorf("调查人员", "补齐手续须有至少两名工作人员的调查记录")
		}
	}
	return nil
}

// Apply performs action a by role r on the case. It checks the state machine,
// the role and the required data, then updates the case. It never panics and
// leaves the case unchanged on error.
func (c *Case) Apply(a Action, r Role, d StepData, ctx StepContext) error {
	t, err := Allowed(c.Program, c.State, a, r)
	if err != nil {
		return err
	}
	if err := d.Validate(c.Program, a); err != nil {
		return err
	}
	next := *c
	if err := next.applyData(a, d, ctx); err != nil {
		return err
	}
	if t.To != "" {
		next.State = t.To
	}
	*c = next
	return nil
}

func (c *Case) applyData(a Action, d StepData, ctx StepContext) error {
	rs := ctx.Rules
	switch a {
	case ActionAccept:
		c.AcceptedOn = d.Date
	case ActionVisit:
		c.VisitedOn = d.Date
		if c.Program == ProgramTekun {
			c.SelfCare = SelfCareAssessment(*d.SelfCareItems)
			c.CareMode = d.CareMode
			c.Caregiver, c.CaregiverPhone, c.AgreementSigned = d.Caregiver, d.CaregiverPhone, d.AgreementSigned
		}
	case ActionNotice:
		if d.Date.Before(c.VisitedOn) {
			return FieldErrorf("公示开始日期", "公示不能早于入户调查日期 %s", c.VisitedOn)
		}
		c.NoticeFrom = d.Date
		c.NoticeTo = d.Date.AddDays(rs.TimeLimit(c.Program, StepNotice) - 1)
	case ActionObject:
		c.Objections++
		c.NoticeFrom, c.NoticeTo = Date{}, Date{}
	case ActionApprove, ActionCountyApprove:
		if !c.NoticeTo.IsZero() && !d.Date.After(c.NoticeTo) {
			return FieldErrorf("审批日期", "公示期至 %s 结束，公示期满后方可审批", c.NoticeTo)
		}
		c.DecidedOn = d.Date
		c.Amount = d.Amount
		c.CountyGrant = a == ActionCountyApprove
		if c.Program != ProgramTemporary {
			c.ReviewDue = d.Date.AddMonths(rs.ReviewMonthsStable)
		}
	case ActionEscalate:
		if d.Amount <= rs.TempTownshipLimit {
			return FieldErrorf("救助金额", "金额未超过乡镇审批额度 %s 元，由乡镇直接审批", rs.TempTownshipLimit)
		}
		c.Amount = d.Amount
	case ActionReject:
		c.DecidedOn = d.Date
		c.EndedOn = d.Date
	case ActionReport:
		c.ReportedOn = d.Date
	case ActionPayFirst:
		if c.TempKind != TempUrgent {
			return FieldErrorf("救助类型", "只有急难型临时救助可以先行救助")
		}
		c.PaidFirstOn, c.DecidedOn, c.Amount = d.Date, d.Date, d.Amount
	case ActionComplete:
		c.VisitedOn = d.Date
	case ActionPay:
		if c.Program == ProgramTemporary {
			c.LastPaidMonth = d.Date.MonthKey()
		} else {
			if d.Month <= c.LastPaidMonth {
				return FieldErrorf("发放月份", "%s 已发放，不能重复发放", d.Month)
			}
			c.LastPaidMonth = d.Month
			if c.State == StatePhasingOut && !c.PhaseOutUntil.IsZero() && d.Month > c.PhaseOutUntil.MonthKey() {
				return FieldErrorf("发放月份", "渐退期至 %s 结束，请办理终止", c.PhaseOutUntil.MonthKey())
			}
		}
	case ActionReview:
		months := rs.ReviewMonthsStable
		if d.Outcome != OutcomeKeep {
			months = rs.ReviewMonthsUnstable
		}
		c.ReviewDue = d.Date.AddMonths(months)
		if d.Amount > 0 {
			c.Amount = d.Amount
		}
	case ActionPhaseOut:
		c.PhaseOutUntil = d.Date.AddMonths(rs.PhaseOutMonths)
	case ActionTerminate:
		c.EndedOn = d.Date
	}
	return nil
}

// Deadline is the next legally time-limited step of a case.
type Deadline struct {
	Step Step
	Due  Date
}

// NextDeadline returns the step the case is waiting for and its legal due
// date, counted in working days on the county's calendar.
func (c *Case) NextDeadline(ctx StepContext) (Deadline, bool) {
	rs, cal := ctx.Rules, ctx.Calendar
	after := func(from Date, s Step) Deadline {
		return Deadline{s, cal.AddWorkingDays(from, rs.TimeLimit(c.Program, s))}
	}
	switch c.State {
	case StateApplied:
		return after(c.AppliedOn, StepAccept), true
	case StateAccepted:
		return after(c.AcceptedOn, StepInvestigate), true
	case StateInvestigated:
		return after(c.AppliedOn, StepWhole), true
	case StateNoticed:
		return after(c.NoticeTo, StepDecide), true
	case StateApproved, StateRejected:
		if c.ReportedOn.IsZero() && c.Program != ProgramTemporary {
			return after(c.DecidedOn, StepReport), true
		}
	case StatePaidFirst:
		return after(c.PaidFirstOn, StepComplete), true
	case StatePaying:
		if c.ReportedOn.IsZero() {
			return after(c.DecidedOn, StepReport), true
		}
		if !c.ReviewDue.IsZero() {
			return Deadline{StepReview, c.ReviewDue}, true
		}
	case StatePhasingOut:
		return Deadline{StepPhaseOutEnd, c.PhaseOutUntil}, true
	}
	return Deadline{}, false
}

// Urgency of a deadline on a given day.
type Urgency int

const (
	UrgencyNone Urgency = iota
	UrgencyDueSoon
	UrgencyOverdue
)

// DeadlineUrgency says whether a deadline is overdue on today, or due within
// soon working days.
func DeadlineUrgency(d Deadline, today Date, soon int, cal *Calendar) Urgency {
	switch {
	case d.Due.Before(today):
		return UrgencyOverdue
	case !cal.AddWorkingDays(today, soon).Before(d.Due):
		return UrgencyDueSoon
	}
	return UrgencyNone
}

func nonBlank(xs []string) []string {
	var out []string
	for _, x := range xs {
		if strings.TrimSpace(x) != "" {
			out = append(out, x)
		}
	}
	return out
}

func distinct(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range nonBlank(xs) {
		x = strings.TrimSpace(x)
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
