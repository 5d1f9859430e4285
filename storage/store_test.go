package storage_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jiuzhu/app"
	"jiuzhu/cli"
	"jiuzhu/demo"
	"jiuzhu/storage"
)

var (
	clerk    = app.Actor{UserID: "u1", Name: "李经办", Role: app.RoleClerk}
	liaison  = app.Actor{UserID: "u2", Name: "王协理", Role: app.RoleLiaison}
	approver = app.Actor{UserID: "u3", Name: "张审批", Role: app.RoleApprover}
)

func newStore(t *testing.T) *storage.Store {
	t.Helper()
	s, err := cli.InitDevice(context.Background(), filepath.Join(t.TempDir(), "device.db"),
		storage.Device{Name: "测试", TownshipCode: "341122101", TownshipName: "城关镇"})
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(func() time.Time { return time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC) })
	t.Cleanup(func() { s.Close() })
	return s
}

func household() app.Household {
	return app.Household{VillageCode: "341122101201", VillageName: "桃园村", Area: app.AreaRural,
		Members: []app.Member{
			{Name: "张兰", IDNumber: "11010519491231002x", Relation: app.RelationHead, Covered: true},
			{Name: "李建国", IDNumber: "110105194805050015", Relation: app.RelationSpouse, Covered: true},
		},
		Incomes: []app.Income{{Kind: app.IncomeWage, Monthly: 40000}, {Kind: app.IncomePensionBasic, Monthly: 30000}}}
}

func TestRegisterValidatesAndSavesNothingOnError(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	bad := household()
	bad.Members[1].IDNumber = "110105194805050016"
	_, _, err := s.RegisterHousehold(ctx, liaison, bad, &app.CaseApplied{Program: app.ProgramDibao, AppliedOn: app.NewDate(2026, 11, 1)})
	if msg := app.ErrorMessage(err); app.ErrorCode(err) != app.EINVALID || !strings.Contains(msg, "第2位成员身份证号：") ||
		strings.Count(msg, "身份证号") != 1 {
		t.Fatalf("got %v", err)
	}
	if n := count(t, s.DB(), `SELECT count(*) FROM events WHERE household_id <> ''`); n != 0 {
		t.Fatalf("%d events written for an invalid household", n)
	}
	hid, cid, err := s.RegisterHousehold(ctx, liaison, household(), &app.CaseApplied{Program: app.ProgramDibao, AppliedOn: app.NewDate(2026, 11, 1)})
	if err != nil {
		t.Fatal(err)
	}
	agg, err := s.Household(ctx, hid)
	if err != nil {
		t.Fatal(err)
	}
	if agg.Household.Members[0].IDNumber != "11010519491231002X" {
		t.Errorf("ID not normalised: %s", agg.Household.Members[0].IDNumber)
	}
	if c := agg.Cases[cid]; c == nil || c.State != app.StateApplied {
		t.Fatalf("case %+v", c)
	}
}

func TestStepRefusedWritesNothing(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	_, cid, err := s.RegisterHousehold(ctx, liaison, household(), &app.CaseApplied{Program: app.ProgramDibao, AppliedOn: app.NewDate(2026, 11, 1)})
	if err != nil {
		t.Fatal(err)
	}
	before := count(t, s.DB(), `SELECT count(*) FROM events`)
	for _, c := range []struct {
		actor  app.Actor
		action app.Action
		data   app.StepData
		code   string
	}{
		{liaison, app.ActionAccept, app.StepData{ConsentSigned: true}, app.EFORBIDDEN},
		{clerk, app.ActionApprove, app.StepData{}, app.ECONFLICT},
		{clerk, app.ActionAccept, app.StepData{}, app.EINVALID},
		{clerk, app.ActionAccept, app.StepData{Date: app.NewDate(2026, 12, 1), ConsentSigned: true}, app.EINVALID},
	} {
		if err := s.Step(ctx, c.actor, cid, c.action, c.data); app.ErrorCode(err) != c.code {
			t.Errorf("%s by %s: %v, want code %s", c.action, c.actor.Role, err, c.code)
		}
	}
	if after := count(t, s.DB(), `SELECT count(*) FROM events`); after != before {
		t.Fatalf("refused steps wrote %d events", after-before)
	}
}

func TestDibaoApprovalComputesAmountAndDeadlines(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	hid, cid, err := s.RegisterHousehold(ctx, liaison, household(), &app.CaseApplied{Program: app.ProgramDibao, AppliedOn: app.NewDate(2026, 10, 8)})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		actor  app.Actor
		action app.Action
		data   app.StepData
	}{
		{clerk, app.ActionAccept, app.StepData{Date: app.NewDate(2026, 10, 9), ConsentSigned: true}},
		{liaison, app.ActionVisit, app.StepData{Date: app.NewDate(2026, 10, 12), Staff: []string{"王协理", "李经办"}, Findings: "属实"}},
		{clerk, app.ActionNotice, app.StepData{Date: app.NewDate(2026, 10, 13)}},
		{approver, app.ActionApprove, app.StepData{Date: app.NewDate(2026, 10, 20), Opinion: "同意"}},
	}
	for _, st := range steps {
		if err := s.Step(ctx, st.actor, cid, st.action, st.data); err != nil {
			t.Fatalf("%s: %v", st.action, err)
		}
	}
	c, agg, err := s.Case(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	fc, _ := s.FoldContext(ctx)
	rs, _ := fc.Rules.At(app.NewDate(2026, 10, 20))
	want := app.ComputeDibao(rs, &agg.Household).Amount
	if c.State != app.StateApproved || c.Amount != want || want <= 0 {
		t.Fatalf("state %s amount %s want %s", c.State, c.Amount, want)
	}
	rows, err := s.Cases(ctx, storage.CaseFilter{Query: "张兰"})
	if err != nil || len(rows) != 1 || rows[0].HouseholdID != hid || rows[0].NextStep != app.StepReport {
		t.Fatalf("cases by name: %v %+v", err, rows)
	}
	// 备案 within 5 working days of 10-20 (Tue): 21, 22, 23, 26, 27.
	if rows[0].NextDue != "2026-10-27" {
		t.Fatalf("report due %s", rows[0].NextDue)
	}
	events, _ := s.CaseEvents(ctx, cid)
	if len(events) != 5 || events[4].Actor.Name != "张审批" || events[4].Actor.Role != app.RoleApprover {
		t.Fatalf("timeline: %d events", len(events))
	}
}

func TestSearchShortAndLongNamesAndIDFragments(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, _, err := s.RegisterHousehold(ctx, liaison, household(), nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    string
		want int
	}{
		{"张", 1}, {"张兰", 1}, {"兰", 1}, {"建国", 1}, {"李建国", 1}, {"王", 0},
		{"1949", 1}, {"1231002x", 1}, {"19480505", 1}, {"0105", 2},
	} {
		rows, err := s.SearchMembers(ctx, c.q, "", 0)
		if err != nil || len(rows) != c.want {
			t.Errorf("search %q: %d rows (%v), want %d", c.q, len(rows), err, c.want)
		}
	}
	if _, err := s.SearchMembers(ctx, "12", "", 0); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("2-digit ID search: %v", err)
	}
}

func TestPersonElsewhere(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	h1, _, err := s.RegisterHousehold(ctx, liaison, household(), nil)
	if err != nil {
		t.Fatal(err)
	}
	other := household()
	other.Members = other.Members[1:]
	other.Members[0].Relation = app.RelationHead
	h2, _, err := s.RegisterHousehold(ctx, liaison, other, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.PersonElsewhere(ctx, "110105194805050015", h2)
	if err != nil || len(rows) != 1 || rows[0].HouseholdID != h1 {
		t.Fatalf("duplicate person: %v %+v", err, rows)
	}
}

func TestRebuildIsByteIdentical(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := demo.Populate(ctx, s, 7, 150, nil); err != nil {
		t.Fatal(err)
	}
	before := dumpAll(t, s.DB())
	hash, _ := s.ProjectionHash(ctx)
	if err := s.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	after := dumpAll(t, s.DB())
	if before != after {
		t.Fatal("rebuild changed the projections")
	}
	if h2, _ := s.ProjectionHash(ctx); h2 != hash {
		t.Fatal("projection hash changed")
	}
	r, err := s.Check(ctx)
	if err != nil || !r.OK() {
		t.Fatalf("check: %v %+v", err, r)
	}
}

func TestOutOfOrderImportRefoldsToTheSameProjection(t *testing.T) {
	ctx := context.Background()
	a, b := newStore(t), newStore(t)
	hid, cid, err := a.RegisterHousehold(ctx, liaison, household(), &app.CaseApplied{Program: app.ProgramDibao, AppliedOn: app.NewDate(2026, 11, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Step(ctx, clerk, cid, app.ActionAccept, app.StepData{Date: app.NewDate(2026, 11, 3), ConsentSigned: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.SetField(ctx, clerk, hid, "", "phone", "13800000000"); err != nil {
		t.Fatal(err)
	}
	events, _ := a.Events(ctx, hid)
	// Deliver to b newest first, in three transactions.
	for i := len(events) - 1; i >= 0; i-- {
		importTx(t, b, events[i:i+1])
	}
	// b also needs a's rules/calendar: same defaults, published by b's own init,
	// so compare the household-level projection.
	aggA, _ := a.Household(ctx, hid)
	aggB, err := b.Household(ctx, hid)
	if err != nil {
		t.Fatal(err)
	}
	if aggB.Household.Phone != "13800000000" || aggB.Cases[cid].State != aggA.Cases[cid].State {
		t.Fatalf("b: phone %q state %s", aggB.Household.Phone, aggB.Cases[cid].State)
	}
	// Importing again changes nothing.
	before, _ := b.ProjectionHash(ctx)
	importTx(t, b, events)
	if after, _ := b.ProjectionHash(ctx); after != before {
		t.Fatal("re-import changed the projection")
	}
}

func TestTamperedEventFailsCheck(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, _, err := s.RegisterHousehold(ctx, liaison, household(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`UPDATE events SET payload = enc(CAST(replace(CAST(dec(payload) AS TEXT), '张兰', '张三') AS BLOB)) WHERE type = 'household.registered'`); err != nil {
		t.Fatal(err)
	}
	r, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || len(r.ChainBreaks) != 1 || !strings.Contains(r.ChainBreaks[0], "内容被改动") {
		t.Fatalf("tampering not detected: %+v", r)
	}
}

func importTx(t *testing.T, s *storage.Store, events []app.Event) {
	t.Helper()
	tx, err := s.DB().Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.ImportEvents(context.Background(), tx, events); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// dumpAll renders every projection row (without rowids) as text.
func dumpAll(t *testing.T, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, township_code, village_code, village_name, dec(head_name), dec(head_id), members, dec(data), last_key FROM households ORDER BY id`,
		`SELECT id, household_id, dec(name), dec(id_number), id_hash, relation, sex, birth, dec(data) FROM members ORDER BY id`,
		`SELECT id, household_id, program, state, village_code, applied_on, amount, next_step, next_due, dec(data) FROM cases ORDER BY id`,
		`SELECT * FROM field_versions ORDER BY 1, 2, 3`,
		`SELECT id, household_id, case_id, kind, subject, target, kept_event, other_event, dec(kept_value), dec(other_value),
			resolution, resolved_by, resolved_hlc FROM conflicts ORDER BY id`,
		`SELECT event_id, household_id, case_id, sha256, dec(name), mime, size, dec(note), added_by, hlc FROM attachments ORDER BY event_id`,
		`SELECT * FROM rule_sets ORDER BY 1`, `SELECT * FROM calendar ORDER BY 1`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			rows.Scan(ptrs...)
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				b.WriteString(strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(toString(v), "\n", " "), "\x00", "")))
				b.WriteByte('|')
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	default:
		return strings.TrimSpace(strings.Trim(strings.ReplaceAll(fmtAny(x), " ", ""), "{}"))
	}
}

func TestDeletedOwnEventFailsCheck(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	hid, _, err := s.RegisterHousehold(ctx, liaison, household(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, clerk, hid, "", "phone", "13800000000"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`DELETE FROM events WHERE type = 'household.registered'`); err != nil {
		t.Fatal(err)
	}
	r, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || len(r.ChainBreaks) != 1 || !strings.Contains(r.ChainBreaks[0], "缺少事件") {
		t.Fatalf("deletion not detected: %+v", r.ChainBreaks)
	}
}

func TestDueCasesCountsWorkingDays(t *testing.T) {
	s := newStore(t) // today is Friday 2026-11-20
	ctx := context.Background()
	var cases []string
	for _, applied := range []app.Date{app.NewDate(2026, 11, 10), app.NewDate(2026, 11, 19), app.NewDate(2026, 11, 20)} {
		h := household()
		h.Members = h.Members[:1]
		h.Members[0].IDNumber = []string{"11010519491231002X", "110105194805050015", "110105195001010012"}[len(cases)]
		_, cid, err := s.RegisterHousehold(ctx, liaison, h, &app.CaseApplied{Program: app.ProgramDibao, AppliedOn: applied})
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, cid)
	}
	// Acceptance is due 1 working day after application: 11-11 (overdue),
	// 11-20 (today: due soon), 11-23 Monday (due soon: within 3 working days).
	overdue, soon, err := s.DueCases(ctx, app.NewDate(2026, 11, 20), 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(overdue) != 1 || overdue[0].CaseID != cases[0] {
		t.Fatalf("overdue %+v", overdue)
	}
	if len(soon) != 2 || soon[0].CaseID != cases[1] || soon[1].CaseID != cases[2] {
		t.Fatalf("due soon %+v", soon)
	}
}

// TestResolutionSortsAfterARemoteEventFromTheFuture: a conflict created by an
// event from a device whose clock runs ahead must still be resolvable here.
func TestResolutionSortsAfterARemoteEventFromTheFuture(t *testing.T) {
	ctx := context.Background()
	a, b := newStore(t), newStore(t)
	hid, _, err := a.RegisterHousehold(ctx, liaison, household(), nil)
	if err != nil {
		t.Fatal(err)
	}
	events, _ := a.Events(ctx, hid)
	importTx(t, b, events)
	// a's clock runs two days ahead of every other; both edit the phone from the same base.
	a.SetClock(func() time.Time { return time.Now().Add(48 * time.Hour) })
	if err := a.SetField(ctx, clerk, hid, "", "phone", "13800000001"); err != nil {
		t.Fatal(err)
	}
	if err := b.SetField(ctx, clerk, hid, "", "phone", "13900000002"); err != nil {
		t.Fatal(err)
	}
	fromA, _ := a.Events(ctx, hid)
	importTx(t, b, fromA[len(fromA)-1:]) // no ObserveRemote: the store must cope
	open, err := b.Conflicts(ctx, true)
	if err != nil || len(open) != 1 {
		t.Fatalf("conflicts: %v %+v", err, open)
	}
	if err := b.ResolveConflict(ctx, clerk, open[0].ID, app.ChoiceKept, ""); err != nil {
		t.Fatal(err)
	}
	if still, _ := b.Conflicts(ctx, true); len(still) != 0 {
		t.Fatalf("resolution was folded before the conflict: %+v", still)
	}
}

// TestRulesOnlyFromTheCounty: a rules event another township device pushed
// (and the county passed on) is kept in the log but changes nothing; the
// county's own changes the standards.
func TestRulesOnlyFromTheCounty(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	before, err := s.FoldContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs := app.DefaultRuleBook().Sets[len(app.DefaultRuleBook().Sets)-1]
	rs.Version, rs.DibaoStandardRural = rs.Version+"-forged", rs.DibaoStandardRural*3
	payload, _ := json.Marshal(app.RulesSet{Rules: rs})
	event := func(device string) app.Event {
		e := app.Event{ID: app.NewID(), DeviceID: device, DeviceSeq: 1, Type: app.EventRulesSet,
			TownshipCode: s.Device().TownshipCode, SchemaV: app.SchemaVersion, HLC: app.HLC{Wall: time.Now().UnixMilli()},
			Actor: app.Actor{UserID: "x", Name: "县民政局", Role: app.RoleCounty}, Payload: payload}
		e.Seal("")
		return e
	}
	importTx(t, s, []app.Event{event("another-laptop")})
	got, _ := s.FoldContext(ctx)
	if r, _ := got.Rules.At(rs.EffectiveFrom); r.DibaoStandardRural == rs.DibaoStandardRural {
		t.Fatal("a township device's rules event changed the standards")
	}
	if n := len(got.Rules.Sets); n != len(before.Rules.Sets) {
		t.Fatalf("%d rule sets, want %d", n, len(before.Rules.Sets))
	}
	importTx(t, s, []app.Event{event(storage.CountyDeviceID)})
	got, _ = s.FoldContext(ctx)
	if r, _ := got.Rules.At(rs.EffectiveFrom); r.DibaoStandardRural != rs.DibaoStandardRural {
		t.Fatal("the county's rules event was not applied")
	}
}
