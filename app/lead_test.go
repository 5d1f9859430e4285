package app

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestLeadRegistrationValidation(t *testing.T) {
	today := Date{2026, 11, 20}
	ok := LeadRegistered{Source: LeadHotline, ReceivedOn: Date{2026, 11, 2}, Content: "某户有财政供养人员仍领低保",
		SubjectHousehold: "h1"}
	cases := []struct {
		name  string
		edit  func(*LeadRegistered)
		field string // "" = valid
	}{
		{"valid", func(*LeadRegistered) {}, ""},
		{"staff subject", func(p *LeadRegistered) { p.SubjectHousehold, p.SubjectName, p.SubjectStaff = "", "赵某", true }, ""},
		{"unknown source", func(p *LeadRegistered) { p.Source = "rumour" }, "线索来源"},
		{"no date", func(p *LeadRegistered) { p.ReceivedOn = Date{} }, "受理日期"},
		{"future date", func(p *LeadRegistered) { p.ReceivedOn = Date{2026, 11, 21} }, "受理日期"},
		{"no content", func(p *LeadRegistered) { p.Content = "  " }, "反映内容"},
		{"no subject", func(p *LeadRegistered) { p.SubjectHousehold = "" }, "被反映对象"},
		{"staff without name", func(p *LeadRegistered) { p.SubjectStaff = true }, "被反映对象"},
		{"bad mode", func(p *LeadRegistered) { p.Mode = "ignore" }, "办理方式"},
		{"superior without reference", func(p *LeadRegistered) { p.Source = LeadSuperior }, "来文编号"},
		{"superior with reference", func(p *LeadRegistered) { p.Source, p.ReferenceNo = LeadSuperior, "县民〔2026〕12号" }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := ok
			c.edit(&p)
			err := p.Validate(today)
			if c.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("want an error about %s, got %v", c.field, err)
			}
		})
	}
}

func TestLeadTransitionsByStateAndRole(t *testing.T) {
	cases := []struct {
		state LeadState
		a     LeadAction
		r     Role
		code  string // "" = allowed
	}{
		{LeadRegisteredState, LeadAssign, RoleApprover, ""},
		{LeadRegisteredState, LeadAssign, RoleCounty, ""},
		{LeadRegisteredState, LeadAssign, RoleClerk, EFORBIDDEN},
		{LeadRegisteredState, LeadProgress, RoleClerk, ECONFLICT},
		{LeadRegisteredState, LeadConclude, RoleClerk, ECONFLICT},
		{LeadRegisteredState, LeadTransfer, RoleCounty, ""},
		{LeadHandling, LeadProgress, RoleClerk, ""},
		{LeadHandling, LeadProgress, RoleLiaison, ""},
		{LeadHandling, LeadAssign, RoleApprover, ""}, // reassignment
		{LeadHandling, LeadConclude, RoleClerk, ""},
		{LeadHandling, LeadConclude, RoleLiaison, EFORBIDDEN},
		{LeadHandling, LeadClose, RoleApprover, ECONFLICT}, // not concluded yet
		{LeadConcluded, LeadClose, RoleApprover, ""},
		{LeadConcluded, LeadClose, RoleClerk, EFORBIDDEN}, // no one signs off their own work
		{LeadConcluded, LeadProgress, RoleClerk, ECONFLICT},
		{LeadClosed, LeadProgress, RoleCounty, ECONFLICT},
		{LeadClosed, LeadAssign, RoleCounty, ECONFLICT},
		{LeadHandling, "delete", RoleCounty, EINVALID},
	}
	for _, c := range cases {
		err := AllowedLead(c.state, c.a, c.r)
		if ErrorCode(err) != c.code {
			t.Errorf("%s %s by %s: got %v (%s), want %q", c.state, c.a, c.r, err, ErrorCode(err), c.code)
		}
		if err != nil && ErrorMessage(err) == "内部错误，请联系管理员。" {
			t.Errorf("%s %s: message not Chinese: %v", c.state, c.a, err)
		}
	}
	if got := AvailableLeadActions(LeadHandling, RoleClerk); len(got) != 2 || got[0] != LeadProgress || got[1] != LeadConclude {
		t.Errorf("clerk actions on a handled lead: %v", got)
	}
}

func TestLeadStepDataRequired(t *testing.T) {
	d := Date{2026, 11, 10}
	cases := []struct {
		a     LeadAction
		data  LeadStepData
		field string
	}{
		{LeadAssign, LeadStepData{Date: d, Mode: ModeDirect, Assignee: "李经办"}, ""},
		{LeadAssign, LeadStepData{Date: d, Assignee: "李经办"}, "办理方式"},
		{LeadAssign, LeadStepData{Date: d, Mode: ModeJoint}, "承办人"},
		{LeadAssign, LeadStepData{Mode: ModeJoint, Assignee: "x"}, "办理日期"},
		{LeadTransfer, LeadStepData{Date: d}, "转办单位"},
		{LeadTransfer, LeadStepData{Date: d, TransferTo: "某村委会"}, ""},
		{LeadProgress, LeadStepData{Date: d, Note: " "}, "办理进展"},
		{LeadProgress, LeadStepData{Date: d, Note: "已入户核查"}, ""},
		{LeadConclude, LeadStepData{Date: d, Note: "核查"}, "核查结果"},
		{LeadConclude, LeadStepData{Date: d, Result: ResultConfirmed, Note: "属实"}, "整改及追责情况"},
		{LeadConclude, LeadStepData{Date: d, Result: ResultPartly, Note: "部分属实", Accountability: "约谈"}, ""},
		{LeadConclude, LeadStepData{Date: d, Result: ResultUnfounded, Note: "不属实", Recovered: 100}, "追回资金"},
		{LeadConclude, LeadStepData{Date: d, Result: ResultConfirmed, Note: "x", Accountability: "y", Recovered: -1}, "追回资金"},
		{LeadConclude, LeadStepData{Date: d, Result: ResultUnfounded}, "核查情况"},
		{LeadConclude, LeadStepData{Date: d, Result: ResultUnfounded, Note: "经核查不属实"}, ""},
		{LeadClose, LeadStepData{Date: d}, ""},
	}
	for _, c := range cases {
		err := c.data.Validate(c.a)
		if c.field == "" && err != nil || c.field != "" && (err == nil || !strings.Contains(err.Error(), c.field)) {
			t.Errorf("%s %+v: got %v, want field %q", c.a, c.data, err, c.field)
		}
	}
}

func TestLeadApplyDatesAndState(t *testing.T) {
	l := &Lead{ID: "l1", LeadRegistered: LeadRegistered{Source: LeadPetition, ReceivedOn: Date{2026, 11, 2}}, State: LeadRegisteredState}
	if err := l.Apply(LeadAssign, RoleApprover, LeadStepData{Date: Date{2026, 11, 1}, Mode: ModeDirect, Assignee: "李"}); err == nil {
		t.Fatal("a step before receipt was accepted")
	}
	before := *l
	if err := l.Apply(LeadConclude, RoleClerk, LeadStepData{Date: Date{2026, 11, 5}, Result: ResultUnfounded, Note: "x"}); err == nil {
		t.Fatal("concluded an unassigned lead")
	}
	if l.State != before.State {
		t.Fatal("a refused step changed the lead")
	}
	steps := []struct {
		a LeadAction
		r Role
		d LeadStepData
		s LeadState
	}{
		{LeadAssign, RoleApprover, LeadStepData{Date: Date{2026, 11, 3}, Mode: ModeJoint, Assignee: "李经办"}, LeadHandling},
		{LeadTransfer, RoleCounty, LeadStepData{Date: Date{2026, 11, 4}, TransferTo: "县纪委"}, LeadHandling},
		{LeadConclude, RoleClerk, LeadStepData{Date: Date{2026, 11, 10}, Result: ResultConfirmed, Note: "属实",
			Recovered: Yuan(1200), Accountability: "停发并追回，村干部诫勉谈话"}, LeadConcluded},
	}
	for _, st := range steps {
		if err := l.Apply(st.a, st.r, st.d); err != nil {
			t.Fatalf("%s: %v", st.a, err)
		}
		if l.State != st.s {
			t.Fatalf("%s: state %s, want %s", st.a, l.State, st.s)
		}
	}
	if l.Mode != ModeTransferred || l.TransferTo != "县纪委" || l.Recovered != Yuan(1200) {
		t.Fatalf("lead after steps: %+v", l)
	}
	if err := l.Apply(LeadClose, RoleApprover, LeadStepData{Date: Date{2026, 11, 9}}); err == nil {
		t.Fatal("closed before the conclusion date")
	}
	if err := l.Apply(LeadClose, RoleApprover, LeadStepData{Date: Date{2026, 11, 11}}); err != nil || l.State != LeadClosed {
		t.Fatalf("close: %v %s", err, l.State)
	}
}

func TestLeadDeadlineFromRulesAndCalendar(t *testing.T) {
	cal := ChinaCalendar2025to2027()
	book := DefaultRuleBook()
	fc := FoldContext{Rules: book, Calendar: cal}
	l := &Lead{LeadRegistered: LeadRegistered{ReceivedOn: Date{2026, 9, 21}}} // a Monday before 国庆
	// No lead limit in the rules: the default, counted in working days.
	if got, want := LeadDeadline(l, fc), cal.AddWorkingDays(Date{2026, 9, 21}, DefaultLeadDays); got != want {
		t.Fatalf("default deadline %s, want %s", got, want)
	}
	// 30 working days from 2026-09-21 cross 中秋, the National Day week and a make-up Saturday.
	if got := LeadDeadline(l, fc); got != (Date{2026, 11, 9}) {
		t.Fatalf("deadline across 国庆: %s", got)
	}
	// The county sets limits: 15 for every mode, 10 for 协查协办.
	last := book.Sets[len(book.Sets)-1]
	withLeads := WithLeadTimeLimits(last, map[HandlingMode]int{"": 15, ModeJoint: 10})
	if err := withLeads.Validate(); err != nil {
		t.Fatalf("rule set with lead limits is invalid: %v", err)
	}
	book.Sets[len(book.Sets)-1] = withLeads
	fc.Rules = book
	l2 := &Lead{LeadRegistered: LeadRegistered{ReceivedOn: Date{2026, 11, 2}, Mode: ModeJoint}}
	if got := LeadDeadline(l2, fc); got != cal.AddWorkingDays(Date{2026, 11, 2}, 10) {
		t.Fatalf("joint deadline %s", got)
	}
	l2.Mode = ModeDirect
	if got := LeadDeadline(l2, fc); got != cal.AddWorkingDays(Date{2026, 11, 2}, 15) {
		t.Fatalf("direct deadline %s", got)
	}
	// Rules in force on the receipt date: a lead received before the set took effect keeps the default.
	old := &Lead{LeadRegistered: LeadRegistered{ReceivedOn: Date{2026, 6, 1}}}
	if got := LeadDeadline(old, fc); got != cal.AddWorkingDays(Date{2026, 6, 1}, DefaultLeadDays) {
		t.Fatalf("old lead deadline changed: %s", got)
	}
	// The original set is untouched (WithLeadTimeLimits copies).
	if _, ok := last.TimeLimits[LeadTimeLimitKey]; ok {
		t.Fatal("WithLeadTimeLimits edited its input")
	}
	l3 := &Lead{State: LeadHandling, Deadline: Date{2026, 11, 2}}
	if !l3.Overdue(Date{2026, 11, 3}) || l3.Overdue(Date{2026, 11, 2}) {
		t.Fatal("overdue is the day after the deadline")
	}
	l3.State = LeadConcluded
	if l3.Overdue(Date{2027, 1, 1}) {
		t.Fatal("a concluded lead is not overdue")
	}
}

func leadEvent(t *testing.T, typ string, seq int64, role Role, payload any) Event {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return Event{ID: typ + string(rune('a'+seq)), DeviceID: "d", DeviceSeq: seq, Type: typ, CaseID: "L",
		HLC: HLC{Wall: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli() + seq}, Actor: Actor{Name: "x", Role: role}, Payload: raw}
}

func TestFoldLeadIgnoresStepsThatDoNotFit(t *testing.T) {
	reg := LeadRegistered{Source: LeadWeb, ReceivedOn: Date{2026, 11, 2}, Content: "c", SubjectName: "s",
		Complainant: "匿名群众", ComplainantPhone: "13800000000"}
	events := []Event{
		leadEvent(t, EventLeadProgress, 1, RoleClerk, LeadStep{Data: LeadStepData{Date: Date{2026, 11, 3}, Note: "early"}}), // before registration
		leadEvent(t, EventLeadRegistered, 2, RoleClerk, reg),
		leadEvent(t, EventLeadConcluded, 3, RoleClerk, LeadStep{Data: LeadStepData{Date: Date{2026, 11, 3}, Result: ResultUnfounded, Note: "n"}}), // not assigned
		leadEvent(t, EventLeadAssigned, 4, RoleApprover, LeadStep{Data: LeadStepData{Date: Date{2026, 11, 3}, Mode: ModeDirect, Assignee: "李"}}),
		leadEvent(t, EventLeadAssigned, 5, RoleClerk, LeadStep{Data: LeadStepData{Date: Date{2026, 11, 3}, Mode: ModeJoint, Assignee: "王"}}), // wrong role
		leadEvent(t, EventLeadProgress, 6, RoleClerk, LeadStep{Data: LeadStepData{Date: Date{2026, 11, 4}, Note: "已入户"}}),
		leadEvent(t, EventLeadRegistered, 7, RoleClerk, LeadRegistered{Source: LeadMedia}), // a second registration
	}
	fc := FoldContext{Rules: DefaultRuleBook(), Calendar: ChinaCalendar2025to2027()}
	l := FoldLead("L", events, fc)
	if l == nil || l.State != LeadHandling || l.Mode != ModeDirect || l.Assignee != "李" || l.Source != LeadWeb {
		t.Fatalf("fold: %+v", l)
	}
	if len(l.History) != 3 || l.LastEvent != events[5].ID {
		t.Fatalf("history %+v last %s", l.History, l.LastEvent)
	}
	if l.Deadline.IsZero() {
		t.Fatal("no deadline")
	}
	p := l.Protected()
	if p.Complainant != "" || p.ComplainantPhone != "" || l.Complainant == "" {
		t.Fatal("Protected must drop the complainant and leave the original alone")
	}
	// Registered with a mode and assignee: handled at once only if the registrant may assign.
	withMode := reg
	withMode.Mode, withMode.Assignee = ModeDirect, "李"
	if got := FoldLead("L", []Event{leadEvent(t, EventLeadRegistered, 1, RoleClerk, withMode)}, fc); got.State != LeadRegisteredState {
		t.Fatalf("clerk registration assigned the lead: %s", got.State)
	}
	if got := FoldLead("L", []Event{leadEvent(t, EventLeadRegistered, 1, RoleCounty, withMode)}, fc); got.State != LeadHandling {
		t.Fatalf("county registration with an assignee: %s", got.State)
	}
	if FoldLead("L", events[:1], fc) != nil {
		t.Fatal("a lead without registration must fold to nil")
	}
	a, b := FoldLead("L", events, fc), FoldLead("L", events, fc)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("fold is not deterministic")
	}
}
