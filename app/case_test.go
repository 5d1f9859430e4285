package app

import (
	"testing"
)

func testContext() StepContext {
	book := DefaultRuleBook()
	rs, _ := book.At(NewDate(2024, 6, 1))
	return StepContext{Rules: rs, Calendar: ChinaCalendar2025to2027()}
}

func d(y, m, day int) Date { return NewDate(y, 1, 1).AddMonths(m - 1).AddDays(day - 1) }

// TestRequiredData lists, per action, the data without which the step is
// refused, and the field the message names.
func TestRequiredData(t *testing.T) {
	items := [6]bool{true, true, false, true, true, true}
	cases := []struct {
		name    string
		program Program
		action  Action
		data    StepData
		field   string // "" = accepted
	}{
		{"accept needs date", ProgramDibao, ActionAccept, StepData{ConsentSigned: true}, "办理日期"},
		{"accept needs consent", ProgramDibao, ActionAccept, StepData{Date: d(2024, 5, 6)}, "授权声明"},
		{"accept ok", ProgramDibao, ActionAccept, StepData{Date: d(2024, 5, 6), ConsentSigned: true}, ""},
		{"incomplete lists items", ProgramDibao, ActionIncomplete, StepData{Date: d(2024, 5, 6), MissingItems: []string{" "}}, "需补正材料"},
		{"incomplete ok", ProgramDibao, ActionIncomplete, StepData{Date: d(2024, 5, 6), MissingItems: []string{"户口本"}}, ""},
		{"visit needs two staff", ProgramDibao, ActionVisit, StepData{Date: d(2024, 5, 6), Staff: []string{"王", "王"}, Findings: "x"}, "调查人员"},
		{"visit needs findings", ProgramDibao, ActionVisit, StepData{Date: d(2024, 5, 6), Staff: []string{"王", "李"}}, "调查情况"},
		{"visit ok", ProgramDibao, ActionVisit, StepData{Date: d(2024, 5, 6), Staff: []string{"王", "李"}, Findings: "属实"}, ""},
		{"tekun visit needs assessment", ProgramTekun, ActionVisit, StepData{Date: d(2024, 5, 6), Staff: []string{"王", "李"}, Findings: "x", CareMode: CareCentralised}, "生活自理能力评估"},
		{"tekun visit needs care mode", ProgramTekun, ActionVisit, StepData{Date: d(2024, 5, 6), Staff: []string{"王", "李"}, Findings: "x", SelfCareItems: &items}, "供养方式"},
		{"tekun dispersed needs caregiver", ProgramTekun, ActionVisit, StepData{Date: d(2024, 5, 6), Staff: []string{"王", "李"}, Findings: "x", SelfCareItems: &items, CareMode: CareDispersed}, "照料人"},
		{"tekun visit ok", ProgramTekun, ActionVisit, StepData{Date: d(2024, 5, 6), Staff: []string{"王", "李"}, Findings: "x", SelfCareItems: &items, CareMode: CareDispersed, Caregiver: "赵"}, ""},
		{"objection needs content", ProgramDibao, ActionObject, StepData{Date: d(2024, 5, 6)}, "异议内容"},
		{"reject needs reasons", ProgramDibao, ActionReject, StepData{Date: d(2024, 5, 6)}, "理由"},
		{"terminate needs reasons", ProgramDibao, ActionTerminate, StepData{Date: d(2024, 5, 6)}, "理由"},
		{"temporary approve needs amount", ProgramTemporary, ActionApprove, StepData{Date: d(2024, 5, 6)}, "救助金额"},
		{"temporary pay first needs amount", ProgramTemporary, ActionPayFirst, StepData{Date: d(2024, 5, 6)}, "救助金额"},
		{"pay needs month", ProgramDibao, ActionPay, StepData{Date: d(2024, 5, 6)}, "发放月份"},
		{"review needs outcome", ProgramDibao, ActionReview, StepData{Date: d(2024, 5, 6)}, "复核结果"},
		{"review change needs reasons", ProgramDibao, ActionReview, StepData{Date: d(2024, 5, 6), Outcome: OutcomeDecrease}, "理由"},
		{"review keep ok", ProgramDibao, ActionReview, StepData{Date: d(2024, 5, 6), Outcome: OutcomeKeep}, ""},
		{"complete needs visit staff", ProgramTemporary, ActionComplete, StepData{Date: d(2024, 5, 6), Staff: []string{"王"}}, "调查人员"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.data.Validate(c.program, c.action)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Field != c.field || e.Code != EINVALID {
				t.Fatalf("got %v, want an error on %s", err, c.field)
			}
		})
	}
}

// walk applies steps to a fresh case, failing the test on the first refusal.
func walk(t *testing.T, c *Case, steps ...struct {
	a Action
	r Role
	d StepData
}) {
	t.Helper()
	for _, s := range steps {
		if err := c.Apply(s.a, s.r, s.d, testContext()); err != nil {
			t.Fatalf("%s: %v", s.a, err)
		}
	}
}

type st = struct {
	a Action
	r Role
	d StepData
}

func TestDibaoLifecycleAndDeadlines(t *testing.T) {
	ctx := testContext()
	c := &Case{Program: ProgramDibao, State: StateApplied, AppliedOn: d(2025, 9, 26)}
	dl, _ := c.NextDeadline(ctx)
	// Accept within 1 working day: 2025-09-26 is a Friday, 09-28 a make-up Sunday.
	if dl.Step != StepAccept || dl.Due != d(2025, 9, 28) {
		t.Fatalf("accept deadline %v", dl)
	}
	walk(t, c, st{ActionAccept, RoleClerk, StepData{Date: d(2025, 9, 29), ConsentSigned: true}})
	dl, _ = c.NextDeadline(ctx)
	// 10 working days from 09-29 skip the National Day holiday 10-01..10-08
	// and count the make-up Saturday 10-11: 30, 9, 10, 11, 13, 14, 15, 16, 17, 20.
	if dl.Step != StepInvestigate || dl.Due != d(2025, 10, 20) {
		t.Fatalf("investigate deadline %v", dl)
	}
	walk(t, c,
		st{ActionVisit, RoleLiaison, StepData{Date: d(2025, 10, 9), Staff: []string{"王", "李"}, Findings: "属实"}},
		st{ActionNotice, RoleClerk, StepData{Date: d(2025, 10, 10)}})
	if c.NoticeTo != d(2025, 10, 16) {
		t.Fatalf("7-day notice ends %s", c.NoticeTo)
	}
	if err := c.Apply(ActionApprove, RoleApprover, StepData{Date: d(2025, 10, 16), Amount: 30000}, ctx); ErrorCode(err) != EINVALID {
		t.Fatalf("approve during notice: %v", err)
	}
	walk(t, c, st{ActionObject, RoleClerk, StepData{Date: d(2025, 10, 13), Objection: "邻居反映有车"}})
	if c.State != StateAccepted || c.Objections != 1 || !c.NoticeTo.IsZero() {
		t.Fatalf("objection: %+v", c)
	}
	walk(t, c,
		st{ActionVisit, RoleClerk, StepData{Date: d(2025, 10, 14), Staff: []string{"王", "李"}, Findings: "车辆已报废"}},
		st{ActionNotice, RoleClerk, StepData{Date: d(2025, 10, 15)}},
		st{ActionApprove, RoleApprover, StepData{Date: d(2025, 10, 22), Amount: 30000}})
	dl, _ = c.NextDeadline(ctx)
	if dl.Step != StepReport || c.ReviewDue != d(2026, 10, 22) {
		t.Fatalf("after approval: %v review %s", dl, c.ReviewDue)
	}
	walk(t, c, st{ActionReport, RoleClerk, StepData{Date: d(2025, 10, 23)}},
		st{ActionPay, RoleClerk, StepData{Date: d(2025, 11, 5), Month: "2025-11"}})
	if err := c.Apply(ActionPay, RoleClerk, StepData{Date: d(2025, 11, 6), Month: "2025-11"}, ctx); err == nil {
		t.Fatal("paid the same month twice")
	}
	walk(t, c, st{ActionPhaseOut, RoleApprover, StepData{Date: d(2025, 12, 1)}})
	if c.PhaseOutUntil != d(2026, 6, 1) {
		t.Fatalf("phase out until %s", c.PhaseOutUntil)
	}
	if err := c.Apply(ActionPay, RoleClerk, StepData{Date: d(2026, 7, 2), Month: "2026-07"}, ctx); err == nil {
		t.Fatal("paid after the phase-out period")
	}
	walk(t, c, st{ActionTerminate, RoleApprover, StepData{Date: d(2026, 6, 2), Reasons: []string{"渐退期满"}}},
		st{ActionArchive, RoleClerk, StepData{Date: d(2026, 6, 3)}})
	if _, ok := c.NextDeadline(ctx); ok || c.State != StateArchived {
		t.Fatalf("archived case still has a deadline or wrong state %s", c.State)
	}
}

func TestTemporaryPayFirstAndEscalation(t *testing.T) {
	ctx := testContext()
	spending := &Case{Program: ProgramTemporary, State: StateApplied, TempKind: TempSpending, AppliedOn: d(2024, 5, 6)}
	if err := spending.Apply(ActionPayFirst, RoleApprover, StepData{Date: d(2024, 5, 6), Amount: 100000}, ctx); err == nil {
		t.Fatal("支出型 paid first")
	}
	urgent := &Case{Program: ProgramTemporary, State: StateApplied, TempKind: TempUrgent, AppliedOn: d(2024, 5, 6)}
	walk(t, urgent, st{ActionPayFirst, RoleApprover, StepData{Date: d(2024, 5, 6), Amount: 100000}})
	if dl, _ := urgent.NextDeadline(ctx); dl.Step != StepComplete {
		t.Fatalf("paperwork deadline %v", dl)
	}
	walk(t, urgent, st{ActionComplete, RoleClerk, StepData{Date: d(2024, 5, 8), Staff: []string{"王", "李"}}})
	if urgent.State != StatePaid || urgent.Amount != 100000 {
		t.Fatalf("after completion %+v", urgent)
	}
	big := &Case{Program: ProgramTemporary, State: StateNoticed, TempKind: TempSpending, NoticeTo: d(2024, 5, 10)}
	if err := big.Apply(ActionEscalate, RoleApprover, StepData{Date: d(2024, 5, 13), Amount: ctx.Rules.TempTownshipLimit}, ctx); err == nil {
		t.Fatal("escalated an amount within the township limit")
	}
	walk(t, big, st{ActionEscalate, RoleApprover, StepData{Date: d(2024, 5, 13), Amount: ctx.Rules.TempTownshipLimit + 100}},
		st{ActionCountyApprove, RoleCounty, StepData{Date: d(2024, 5, 14), Amount: ctx.Rules.TempTownshipLimit + 100}})
	if !big.CountyGrant || big.State != StateApproved {
		t.Fatalf("county grant %+v", big)
	}
}

func TestApplyLeavesCaseUnchangedOnError(t *testing.T) {
	c := &Case{Program: ProgramDibao, State: StateNoticed, NoticeTo: d(2024, 5, 10)}
	before := *c
	if err := c.Apply(ActionApprove, RoleApprover, StepData{Date: d(2024, 5, 9), Amount: 1}, testContext()); err == nil {
		t.Fatal("approved before the notice ended")
	}
	if *c != before {
		t.Fatalf("case changed on error: %+v", c)
	}
}

func TestDeadlineUrgency(t *testing.T) {
	cal := ChinaCalendar2025to2027()
	dl := Deadline{StepAccept, d(2025, 10, 9)}
	for _, c := range []struct {
		today Date
		want  Urgency
	}{
		{d(2025, 10, 10), UrgencyOverdue},
		{d(2025, 10, 9), UrgencyDueSoon},
		{d(2025, 9, 30), UrgencyDueSoon}, // 3 working days later is 10-10: holiday week in between
		{d(2025, 9, 24), UrgencyNone},
	} {
		if got := DeadlineUrgency(dl, c.today, 3, cal); got != c.want {
			t.Errorf("on %s: %v, want %v", c.today, got, c.want)
		}
	}
}
