package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// registerLead stores a lead about the household of row, received days ago.
func registerLead(t *testing.T, s *storage.Store, by app.Role, row storage.CaseRow, daysAgo int) string {
	t.Helper()
	actor := userWithRole(t, s, by).Actor()
	id, err := s.RegisterLead(context.Background(), actor, app.LeadRegistered{Source: app.LeadHotline,
		ReceivedOn: s.Today().AddDays(-daysAgo), SubjectHousehold: row.HouseholdID, Content: "反映其家庭有经营性收入未申报"})
	if err != nil {
		t.Fatal(app.ErrorMessage(err))
	}
	return id
}

func TestLeadRegisterForm(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	row := firstCase(t, s, storage.CaseFilter{Program: app.ProgramDibao, State: app.StatePaying})
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowLeads()
	test.Tap(button(t, sh.win, "登记线索"))
	r := sh.Current.(*leadRegister)
	if r.mode != nil {
		t.Fatal("a clerk may not assign at registration: no 办理方式 field")
	}
	// Without content and subject the form says what is missing, in Chinese.
	r.source.SetSelected(app.LeadHotline.Label())
	test.Tap(button(t, sh.win, "登记"))
	if !strings.Contains(r.message.Text, "反映的问题内容") || !strings.Contains(r.message.Text, "被反映") {
		t.Fatalf("empty form: %q", r.message.Text)
	}
	test.Type(r.complainant, "赵某")
	test.Type(r.search, row.HeadName)
	test.Tap(button(t, sh.win, "查找"))
	if len(r.found) == 0 {
		t.Fatalf("no household found for %s", row.HeadName)
	}
	for i, m := range r.found {
		if m.HouseholdID == row.HouseholdID {
			r.matches.SetSelectedIndex(i)
		}
	}
	if r.household != row.HouseholdID || len(r.linked.Options) < 2 {
		t.Fatalf("household %q, case options %v", r.household, r.linked.Options)
	}
	for i, c := range r.cases {
		if c.ID == row.CaseID {
			r.linked.SetSelectedIndex(i + 1)
		}
	}
	test.Type(r.content, "反映其家中有小卖部收入未申报")
	test.Tap(button(t, sh.win, "登记"))
	d, ok := sh.Current.(*leadDetail)
	if !ok {
		t.Fatalf("after 登记: %T, message %q", sh.Current, r.message.Text)
	}
	l, err := s.Lead(ctx, d.id)
	if err != nil {
		t.Fatal(app.ErrorMessage(err))
	}
	if l.Source != app.LeadHotline || l.SubjectHousehold != row.HouseholdID || l.SubjectName != row.HeadName ||
		l.Complainant != "赵某" || len(l.LinkedCases) != 1 || l.LinkedCases[0] != row.CaseID ||
		l.State != app.LeadRegisteredState {
		t.Fatalf("stored lead %+v", l)
	}
	// The list shows it, without the complainant.
	sh.ShowLeads()
	ll := sh.Current.(*leadList)
	if len(ll.rows) != 1 || ll.rows[0].SubjectName != row.HeadName {
		t.Fatalf("list rows %+v", ll.rows)
	}
}

func TestLeadActionsByRole(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	row := firstCase(t, s, storage.CaseFilter{})
	id := registerLead(t, s, app.RoleClerk, row, 1)

	// The clerk has no 交办 button; forced, the step is refused in Chinese.
	clerk := newTestShell(t, s, app.RoleClerk)
	clerk.ShowLead(id)
	if hasButton(clerk.win, app.LeadAssign.Label()) {
		t.Fatal("clerk sees 交办")
	}
	clerk.Current.(*leadDetail).onAction(app.LeadAssign)
	f := clerk.Current.(*leadStepForm)
	f.mode.SetSelectedIndex(1)
	test.Type(f.assignee, "李经办")
	test.Tap(button(t, clerk.win, "确定"))
	if !strings.Contains(f.message.Text, "只能由") || !strings.Contains(f.message.Text, "审批人") {
		t.Fatalf("clerk assigning: %q", f.message.Text)
	}
	if l, _ := s.Lead(ctx, id); l.State != app.LeadRegisteredState {
		t.Fatalf("refused step changed the lead: %s", l.State)
	}
	test.Tap(button(t, clerk.win, "取消"))

	// The approver assigns through the button.
	ap := newTestShell(t, s, app.RoleApprover)
	ap.ShowLead(id)
	test.Tap(button(t, ap.win, app.LeadAssign.Label()))
	f = ap.Current.(*leadStepForm)
	test.Tap(button(t, ap.win, "确定"))
	if !strings.Contains(f.message.Text, "办理方式") {
		t.Fatalf("no mode: %q", f.message.Text)
	}
	f.mode.SetSelected(app.ModeDirect.Label())
	test.Type(f.assignee, "李经办")
	test.Tap(button(t, ap.win, "确定"))
	l, _ := s.Lead(ctx, id)
	if l.State != app.LeadHandling || l.Mode != app.ModeDirect || l.Assignee != "李经办" {
		t.Fatalf("after 交办: %s %s %q (message %q)", l.State, l.Mode, l.Assignee, f.message.Text)
	}
	d, ok := ap.Current.(*leadDetail)
	if !ok || len(d.lead.History) != 2 {
		t.Fatalf("detail after 交办: %T", ap.Current)
	}

	// The clerk records progress and concludes.
	clerk.ShowLead(id)
	test.Tap(button(t, clerk.win, app.LeadProgress.Label()))
	f = clerk.Current.(*leadStepForm)
	test.Type(f.note, "已入户核实")
	test.Tap(button(t, clerk.win, "确定"))
	clerk.Current.(*leadDetail).onAction(app.LeadConclude)
	f = clerk.Current.(*leadStepForm)
	f.result.SetSelected(app.ResultUnfounded.Label())
	test.Type(f.note, "经核实无经营性收入")
	test.Tap(button(t, clerk.win, "确定"))
	if l, _ := s.Lead(ctx, id); l.State != app.LeadConcluded || l.Result != app.ResultUnfounded || len(l.History) != 4 {
		t.Fatalf("after 办结: %+v (message %q)", l, f.message.Text)
	}
	// 销号 is not the clerk's.
	clerk.ShowLead(id)
	if hasButton(clerk.win, app.LeadClose.Label()) {
		t.Fatal("clerk sees 销号")
	}
}

func TestOverdueLeadsList(t *testing.T) {
	s := newTestStore(t)
	row := firstCase(t, s, storage.CaseFilter{})
	late := registerLead(t, s, app.RoleClerk, row, 90)
	registerLead(t, s, app.RoleClerk, row, 1)
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowOverdueLeads()
	l := sh.Current.(*leadList)
	if len(l.rows) != 1 || l.rows[0].ID != late || !l.rows[0].Overdue {
		t.Fatalf("overdue filter: %+v", l.rows)
	}
	if !strings.Contains(l.count.Text, "超期 1 条") {
		t.Fatalf("count %q", l.count.Text)
	}
	l.overdue.SetChecked(false)
	if len(l.rows) != 2 {
		t.Fatalf("open leads: %d", len(l.rows))
	}
	l.table.OnSelected(widget.TableCellID{Row: 0})
	if d, ok := sh.Current.(*leadDetail); !ok || d.id != late {
		t.Fatalf("row tap opened %T", sh.Current)
	}
}
