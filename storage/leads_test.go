package storage

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jiuzhu/app"
)

// Supervision tests run inside the package (package storage) on real SQLite
// files; they cannot import cli or demo (both import storage), so the store is
// seeded here the way `jiuzhu init` does.

var (
	svClerk    = app.Actor{UserID: "sv-clerk", Name: "李经办", Role: app.RoleClerk}
	svLiaison  = app.Actor{UserID: "sv-liaison", Name: "王协理", Role: app.RoleLiaison}
	svApprover = app.Actor{UserID: "sv-approver", Name: "张审批", Role: app.RoleApprover}
	svCounty   = app.Actor{UserID: "sv-county", Name: "县民政局", Role: app.RoleCounty}
)

// svToday is the fixed "today" of these tests: 2026-11-20 (a Friday), 09:00 CST.
var svNow = time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)

func svStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Init(ctx, filepath.Join(t.TempDir(), "device.db"), Device{Name: "测试", TownshipCode: "341122101", TownshipName: "城关镇"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetClock(func() time.Time { return svNow })
	for _, rs := range app.DefaultRuleBook().Sets {
		if err := s.PublishRules(ctx, svCounty, rs); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PublishCalendar(ctx, svCounty, app.ChinaCalendar2025to2027().Entries()); err != nil {
		t.Fatal(err)
	}
	return s
}

// svID makes a valid 18-digit ID number from 17 digits.
func svID(first17 string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, r := range first17 {
		sum += int(r-'0') * w[i]
	}
	return first17 + string("10X98765432"[sum%11])
}

func svHousehold(head, headID, spouseID, account string) app.Household {
	return app.Household{VillageCode: "341122101201", VillageName: "桃园村", Area: app.AreaRural, BankName: "农商行",
		BankAccount: account,
		Members: []app.Member{
			{Name: head, IDNumber: headID, Relation: app.RelationHead, Covered: true},
			{Name: head + "配偶", IDNumber: spouseID, Relation: app.RelationSpouse, Covered: true},
		},
		Incomes: []app.Income{{Kind: app.IncomeWage, Monthly: app.Yuan(400)}}}
}

func d(y, m, day int) app.Date { return app.Date{Year: y, Month: time.Month(m), Day: day} }

// svPaying registers a household with a 低保 case approved in September 2026
// and paid for October.
func svPaying(t *testing.T, s *Store, h app.Household) (string, string) {
	t.Helper()
	ctx := context.Background()
	hid, cid, err := s.RegisterHousehold(ctx, svLiaison, h, &app.CaseApplied{Program: app.ProgramDibao, AppliedOn: d(2026, 9, 1)})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		a    app.Actor
		act  app.Action
		data app.StepData
	}{
		{svClerk, app.ActionAccept, app.StepData{Date: d(2026, 9, 2), ConsentSigned: true}},
		{svClerk, app.ActionVisit, app.StepData{Date: d(2026, 9, 10), Staff: []string{"李经办", "王协理"}, Findings: "家中有病人，收入低"}},
		{svClerk, app.ActionNotice, app.StepData{Date: d(2026, 9, 11)}},
		{svApprover, app.ActionApprove, app.StepData{Date: d(2026, 9, 21), Opinion: "同意纳入低保"}},
		{svClerk, app.ActionPay, app.StepData{Date: d(2026, 10, 5), Month: "2026-10"}},
	}
	for _, st := range steps {
		if err := s.Step(ctx, st.a, cid, st.act, st.data); err != nil {
			t.Fatalf("%s: %v", st.act, err)
		}
	}
	return hid, cid
}

func svCount(t *testing.T, s *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLeadLifecycleOnSQLite(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	hid, cid := svPaying(t, s, svHousehold("张兰", svID("34112219600101002"), svID("34112219620202003"), "6228480012345678"))

	if _, err := s.RegisterLead(ctx, svLiaison, app.LeadRegistered{Source: app.LeadHotline, ReceivedOn: d(2026, 9, 1),
		Content: "x", SubjectHousehold: hid}); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("liaison registered a lead: %v", err)
	}
	if _, err := s.RegisterLead(ctx, svClerk, app.LeadRegistered{Source: app.LeadHotline, ReceivedOn: d(2026, 9, 1),
		Content: "x", SubjectHousehold: "nope"}); err == nil || !strings.Contains(app.ErrorMessage(err), "未找到") {
		t.Fatalf("unknown household: %v", err)
	}
	if _, err := s.RegisterLead(ctx, svClerk, app.LeadRegistered{Source: app.LeadHotline, ReceivedOn: d(2026, 9, 1),
		Content: "x", SubjectHousehold: hid, LinkedCases: []string{"nope"}}); err == nil {
		t.Fatal("unknown linked case accepted")
	}
	before := svCount(t, s, `SELECT count(*) FROM events`)
	old, err := s.RegisterLead(ctx, svClerk, app.LeadRegistered{Source: app.LeadPetition, ReceivedOn: d(2026, 9, 14),
		Complainant: "举报人甲", ComplainantPhone: "13900000000", Content: "该户子女在县城有商品房", SubjectHousehold: hid,
		LinkedCases: []string{cid}})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := s.RegisterLead(ctx, svClerk, app.LeadRegistered{Source: app.LeadSuperior, ReferenceNo: "县民转〔2026〕8号",
		ReceivedOn: d(2026, 11, 18), Content: "村干部优亲厚友", SubjectName: "赵某", SubjectStaff: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := svCount(t, s, `SELECT count(*) FROM events`); n != before+2 {
		t.Fatalf("events %d, want %d", n, before+2)
	}
	l, err := s.Lead(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if l.SubjectName != "张兰" || l.Complainant != "举报人甲" || l.State != app.LeadRegisteredState {
		t.Fatalf("lead: %+v", l)
	}
	// 30 working days from 2026-09-14 across 中秋 and 国庆.
	if want := app.ChinaCalendar2025to2027().AddWorkingDays(d(2026, 9, 14), 30); l.Deadline != want {
		t.Fatalf("deadline %s, want %s", l.Deadline, want)
	}

	// A refused step writes nothing.
	n := svCount(t, s, `SELECT count(*) FROM events`)
	if err := s.LeadStep(ctx, svClerk, old, app.LeadAssign, app.LeadStepData{Mode: app.ModeDirect, Assignee: "李经办"}); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("clerk assigned: %v", err)
	}
	if err := s.LeadStep(ctx, svApprover, old, app.LeadAssign, app.LeadStepData{Date: d(2026, 11, 21), Mode: app.ModeDirect, Assignee: "李"}); err == nil {
		t.Fatal("a future date was accepted")
	}
	if err := s.LeadStep(ctx, svApprover, "nope", app.LeadAssign, app.LeadStepData{}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("unknown lead: %v", err)
	}
	if svCount(t, s, `SELECT count(*) FROM events`) != n {
		t.Fatal("a refused step wrote an event")
	}
	if err := s.LeadStep(ctx, svApprover, old, app.LeadAssign, app.LeadStepData{Date: d(2026, 9, 15), Mode: app.ModeDirect, Assignee: "李经办"}); err != nil {
		t.Fatal(err)
	}
	if err := s.LeadStep(ctx, svClerk, old, app.LeadProgress, app.LeadStepData{Date: d(2026, 9, 20), Note: "已到住建部门核对房产"}); err != nil {
		t.Fatal(err)
	}

	// Overdue on the workbench: the September lead, not the fresh one.
	over, err := s.OverdueLeads(ctx, s.Today())
	if err != nil {
		t.Fatal(err)
	}
	if len(over) != 1 || over[0].ID != old || !over[0].Overdue || over[0].SubjectName != "张兰" {
		t.Fatalf("overdue: %+v", over)
	}
	all, err := s.Leads(ctx, LeadFilter{})
	if err != nil || len(all) != 2 || all[0].ID != old {
		t.Fatalf("leads (overdue first): %+v %v", all, err)
	}
	raw, _ := json.Marshal(all)
	if strings.Contains(string(raw), "举报人甲") || strings.Contains(string(raw), "13900000000") {
		t.Fatal("the complainant leaked into the lead list")
	}
	if rows, _ := s.Leads(ctx, LeadFilter{HouseholdID: hid}); len(rows) != 1 {
		t.Fatalf("by household: %d", len(rows))
	}
	if rows, _ := s.Leads(ctx, LeadFilter{Source: app.LeadSuperior}); len(rows) != 1 || rows[0].ID != fresh {
		t.Fatalf("by source: %+v", rows)
	}

	// Conclude and close: no longer overdue, counted in the statistics.
	if err := s.LeadStep(ctx, svClerk, old, app.LeadConclude, app.LeadStepData{Date: d(2026, 11, 19), Result: app.ResultConfirmed,
		Note: "子女有房但分户，经评议不影响", Recovered: app.Yuan(520), Accountability: "责令村协理员书面检查"}); err != nil {
		t.Fatal(err)
	}
	if err := s.LeadStep(ctx, svClerk, old, app.LeadClose, app.LeadStepData{}); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("clerk closed own conclusion: %v", err)
	}
	if err := s.LeadStep(ctx, svApprover, old, app.LeadClose, app.LeadStepData{Opinion: "同意销号"}); err != nil {
		t.Fatal(err)
	}
	if over, _ := s.OverdueLeads(ctx, s.Today()); len(over) != 0 {
		t.Fatalf("closed lead still overdue: %+v", over)
	}
	l, _ = s.Lead(ctx, old)
	if l.State != app.LeadClosed || l.ClosedOn != s.Today() || len(l.History) != 5 || l.Recovered != app.Yuan(520) {
		t.Fatalf("closed lead: %+v", l)
	}
	st, err := s.LeadStatistics(ctx, d(2026, 9, 1), d(2026, 11, 30))
	if err != nil {
		t.Fatal(err)
	}
	if st.Received != 2 || st.BySource[app.LeadPetition] != 1 || st.BySource[app.LeadSuperior] != 1 || st.Closed != 1 ||
		st.ByMode[app.ModeDirect] != 1 || st.Recovered != app.Yuan(520) || st.Overdue != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestLeadsRebuildToTheSameProjectionHash(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	hid, _ := svPaying(t, s, svHousehold("张兰", svID("34112219600101002"), svID("34112219620202003"), "6228480012345678"))
	id, err := s.RegisterLead(ctx, svClerk, app.LeadRegistered{Source: app.LeadMedia, ReceivedOn: d(2026, 10, 12),
		Content: "媒体报道", SubjectHousehold: hid, Complainant: "记者"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LeadStep(ctx, svCounty, id, app.LeadTransfer, app.LeadStepData{Date: d(2026, 10, 13), TransferTo: "城关镇", Assignee: "李经办"}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Lead(ctx, id)
	// The county lengthens 转办督办 to 60 working days from November: a lead
	// received in October keeps its deadline; one received now gets the new one.
	book := app.DefaultRuleBook()
	rs := app.WithLeadTimeLimits(book.Sets[len(book.Sets)-1], map[app.HandlingMode]int{app.ModeTransferred: 60})
	rs.Version, rs.EffectiveFrom = "2026-11", d(2026, 11, 1)
	if err := s.PublishRules(ctx, svCounty, rs); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Lead(ctx, id)
	if after.Deadline != before.Deadline {
		t.Fatalf("deadline of an October lead moved: %s -> %s", before.Deadline, after.Deadline)
	}
	if _, err := s.RegisterLead(ctx, svClerk, app.LeadRegistered{Source: app.LeadWeb, ReceivedOn: d(2026, 11, 2),
		Content: "网站留言", SubjectHousehold: hid, Mode: app.ModeTransferred, Assignee: "李经办"}); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("a clerk assigned at registration: %v", err)
	}
	id2, err := s.RegisterLead(ctx, svApprover, app.LeadRegistered{Source: app.LeadWeb, ReceivedOn: d(2026, 11, 2),
		Content: "网站留言", SubjectHousehold: hid, Mode: app.ModeTransferred, Assignee: "李经办"})
	if err != nil {
		t.Fatal(err)
	}
	l2, _ := s.Lead(ctx, id2)
	if l2.State != app.LeadHandling || l2.Deadline != app.ChinaCalendar2025to2027().AddWorkingDays(d(2026, 11, 2), 60) {
		t.Fatalf("new lead under the new rule: %s %s", l2.State, l2.Deadline)
	}
	// A county holiday published later moves the open lead's deadline.
	if err := s.PublishCalendar(ctx, svCounty, []app.CalendarEntry{{Date: d(2026, 11, 23), Name: "县防汛调休"}}); err != nil {
		t.Fatal(err)
	}
	l1, _ := s.Lead(ctx, id)
	if !l1.Deadline.After(before.Deadline) {
		t.Fatalf("calendar change did not move the deadline: %s -> %s", before.Deadline, l1.Deadline)
	}

	h1, err := s.ProjectionHash(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	h2, _ := s.ProjectionHash(ctx)
	if h1 != h2 {
		t.Fatal("rebuild changed the projection with leads present")
	}
	if svCount(t, s, `SELECT count(*) FROM leads`) != 2 {
		t.Fatal("leads lost in the rebuild")
	}
	// The hash covers leads: changing one row changes it.
	if _, err := s.DB().Exec(`UPDATE leads SET assignee = 'x' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if h3, _ := s.ProjectionHash(ctx); h3 == h2 {
		t.Fatal("ProjectionHash does not cover leads")
	}
	r, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || len(r.ChainBreaks) != 0 {
		t.Fatalf("check must see the edited projection (and no chain break): %+v", r)
	}
	if err := s.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Check(ctx); !r.OK() {
		t.Fatalf("check after rebuild: %+v", r)
	}
}

func TestLeadEventsFromAnotherDeviceFoldInCanonicalOrder(t *testing.T) {
	// The county registers a lead and transfers it; the events arrive in the
	// reverse order. The projection must equal an in-order import.
	s := svStore(t)
	ctx := context.Background()
	mk := func(seq int64, typ string, p any) app.Event {
		raw, _ := json.Marshal(p)
		return app.Event{ID: app.NewID(), DeviceID: "county", DeviceSeq: seq, Type: typ, CaseID: "L-county",
			TownshipCode: "341122101", SchemaV: app.SchemaVersion, HLC: app.HLC{Wall: svNow.UnixMilli() - 1000 + seq},
			Actor: svCounty, Payload: raw}
	}
	e1 := mk(1, app.EventLeadRegistered, app.LeadRegistered{Source: app.LeadDiscipline, ReceivedOn: d(2026, 11, 16),
		Content: "纪委移交", SubjectName: "某村干部", SubjectStaff: true})
	e2 := mk(2, app.EventLeadTransferred, app.LeadStep{Data: app.LeadStepData{Date: d(2026, 11, 17), TransferTo: "城关镇"}})
	e1.Seal("")
	e2.Seal(e1.Hash)
	for _, batch := range [][]app.Event{{e2}, {e1}} {
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ImportEvents(ctx, tx, batch); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.Lead(ctx, "L-county")
	if err != nil {
		t.Fatal(err)
	}
	if l.State != app.LeadHandling || l.Mode != app.ModeTransferred || l.TransferTo != "城关镇" {
		t.Fatalf("out-of-order lead: %+v", l)
	}
	h1, _ := s.ProjectionHash(ctx)
	if err := s.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if h2, _ := s.ProjectionHash(ctx); h1 != h2 {
		t.Fatal("out-of-order import differs from a rebuild")
	}
}
