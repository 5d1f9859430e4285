package ui

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/cli"
	"jiuzhu/storage"
	jsync "jiuzhu/sync"
)

// newTestStore is a real SQLite file with a small demo township and the demo users.
func newTestStore(t *testing.T) *storage.Store {
	t.Helper()
	s, _, err := cli.OpenOrInitDemoDefault(context.Background(), filepath.Join(t.TempDir(), "t.db"), 40, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func userWithRole(t *testing.T, s *storage.Store, r app.Role) storage.User {
	t.Helper()
	users, err := s.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Role == r {
			return u
		}
	}
	t.Fatalf("no demo user with role %s", r)
	return storage.User{}
}

func newTestShell(t *testing.T, s *storage.Store, r app.Role) *Shell {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(Theme())
	w := a.NewWindow("救助通")
	w.Resize(screenSize)
	t.Cleanup(w.Close)
	return NewShell(w, s, userWithRole(t, s, r))
}

// button finds a button by its text on the window, its dialogs included.
func button(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	var roots []fyne.CanvasObject
	roots = append(roots, w.Canvas().Content())
	roots = append(roots, w.Canvas().Overlays().List()...)
	for _, r := range roots {
		for _, o := range test.LaidOutObjects(r) {
			if b, ok := o.(*widget.Button); ok && b.Text == text {
				return b
			}
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}

func firstCase(t *testing.T, s *storage.Store, f storage.CaseFilter) storage.CaseRow {
	t.Helper()
	f.Limit = 1
	rows, err := s.Cases(context.Background(), f)
	if err != nil || len(rows) == 0 {
		t.Fatalf("no case for %+v: %v", f, err)
	}
	return rows[0]
}

func TestSignIn(t *testing.T) {
	s := newTestStore(t)
	a := test.NewTempApp(t)
	w := a.NewWindow("救助通")
	si := ShowSignIn(w, s, false)
	for i, u := range si.users {
		if u.Role == app.RoleClerk {
			si.user.SetSelectedIndex(i)
		}
	}
	test.Type(si.password, "wrong1")
	test.Tap(button(t, w, "登录"))
	if si.message.Text != "密码错误，还可尝试4次" {
		t.Fatalf("wrong password: message %q", si.message.Text)
	}
	test.Type(si.password, cli.DemoPassword)
	test.Tap(button(t, w, "登录"))
	if !showsShell(w) {
		t.Fatalf("after sign-in the window shows %T", w.Content())
	}
}

func TestSignInFirstUser(t *testing.T) {
	ctx := context.Background()
	s, err := cli.InitDevice(ctx, filepath.Join(t.TempDir(), "e.db"), storage.Device{Name: "测试", TownshipCode: "341122101", TownshipName: "测试镇"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := test.NewTempApp(t)
	w := a.NewWindow("救助通")
	si := ShowSignIn(w, s, false)
	test.Type(si.newName, "赵经办")
	test.Type(si.password, "abcdef")
	test.Tap(button(t, w, "创建用户并登录"))
	users, _ := s.Users(ctx)
	if len(users) != 1 || users[0].Name != "赵经办" || users[0].Role != app.RoleClerk {
		t.Fatalf("users = %+v", users)
	}
}

func TestWorkbench(t *testing.T) {
	s := newTestStore(t)
	sh := newTestShell(t, s, app.RoleClerk)
	wb, ok := sh.Current.(*workbench)
	if !ok {
		t.Fatalf("first screen is %T", sh.Current)
	}
	total := 0
	for _, c := range wb.counts {
		total += c.Cases
	}
	if total != 40 {
		t.Fatalf("counts add up to %d cases, want 40", total)
	}
	if wb.pending == 0 {
		t.Fatal("pending sync count should show the demo events")
	}
	test.Tap(button(t, sh.win, "查看")) // first tile: overdue → case list
	if _, ok := sh.Current.(*caseList); !ok {
		t.Fatalf("after 查看: %T", sh.Current)
	}
}

func TestCaseListSearchFilterSort(t *testing.T) {
	s := newTestStore(t)
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowCases()
	cl := sh.Current.(*caseList)
	if cl.total != 40 || len(cl.rows) != 40 {
		t.Fatalf("unfiltered: total %d rows %d", cl.total, len(cl.rows))
	}
	name := []rune(cl.rows[0].HeadName)
	test.Type(cl.search, string(name[:2]))
	test.Tap(button(t, sh.win, "搜索"))
	if len(cl.rows) == 0 || cl.total >= 40 {
		t.Fatalf("search %q: %d rows of %d", string(name[:2]), len(cl.rows), cl.total)
	}
	cl.search.SetText("")
	cl.program.SetSelected(app.ProgramDibao.Label())
	for _, r := range cl.rows {
		if r.Program != app.ProgramDibao {
			t.Fatalf("program filter let through %s", r.Program)
		}
	}
	cl.onSort("amount")
	cl.onSort("amount") // descending
	for i := 1; i < len(cl.rows); i++ {
		if cl.rows[i].Amount > cl.rows[i-1].Amount {
			t.Fatal("not sorted by amount descending")
		}
	}
	cl.table.OnSelected(widget.TableCellID{Row: 0, Col: 0})
	if d, ok := sh.Current.(*caseDetail); !ok || d.c == nil {
		t.Fatalf("row tap opened %T", sh.Current)
	}
}

func TestIntake(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	before, _ := s.CountCases(ctx, storage.CaseFilter{})
	sh := newTestShell(t, s, app.RoleLiaison)
	sh.ShowIntake()
	in := sh.Current.(*intake)
	in.village.SetSelectedIndex(0)
	test.Type(in.memberRows[0].name, "王建国")
	test.Type(in.memberRows[0].id, "11010519491231002")
	if !strings.Contains(in.memberRows[0].info.Text, "身份证号") {
		t.Fatalf("17 digits: info %q", in.memberRows[0].info.Text)
	}
	test.Type(in.memberRows[0].id, "X")
	if got := in.memberRows[0].info.Text; !strings.Contains(got, "1949-12-31") || !strings.Contains(got, "女") {
		t.Fatalf("valid ID: info %q", got)
	}
	// The draft is saved (sealed, in the database) after typing.
	b, err := s.Draft(ctx, intakeDraftName)
	if err != nil || !strings.Contains(string(b), "王建国") {
		t.Fatalf("draft not saved: %v %s", err, b)
	}
	// Reopening the screen restores it.
	sh.ShowIntake()
	in = sh.Current.(*intake)
	if in.memberRows[0].name.Text != "王建国" {
		t.Fatal("draft not restored")
	}
	// A person registered elsewhere is flagged.
	other := firstCase(t, s, storage.CaseFilter{})
	agg, _ := s.Household(ctx, other.HouseholdID)
	in.addMember(draftMember{Relation: 2})
	test.Type(in.memberRows[1].name, agg.Household.Members[0].Name)
	test.Type(in.memberRows[1].id, agg.Household.Members[0].IDNumber)
	if !strings.Contains(in.memberRows[1].info.Text, "已登记") {
		t.Fatalf("duplicate person not flagged: %q", in.memberRows[1].info.Text)
	}
	// Remove the duplicate again (the second 删除 button).
	var dels []*widget.Button
	for _, o := range test.LaidOutObjects(sh.win.Canvas().Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "删除" {
			dels = append(dels, b)
		}
	}
	test.Tap(dels[1])
	if len(in.memberRows) != 1 {
		t.Fatalf("%d member rows after delete", len(in.memberRows))
	}
	in.addIncome(draftMoney{Kind: 0, Amount: "600"})
	test.Tap(button(t, sh.win, "提交申请"))
	after, _ := s.CountCases(ctx, storage.CaseFilter{})
	if after != before+1 {
		t.Fatalf("cases %d → %d", before, after)
	}
	if b, err := s.Draft(ctx, intakeDraftName); err != nil || b != nil {
		t.Fatalf("draft kept after submit: %v %s", err, b)
	}
	d, ok := sh.Current.(*caseDetail)
	if !ok || d.c.State != app.StateApplied || d.agg.Household.Members[0].Name != "王建国" {
		t.Fatalf("after submit: %T", sh.Current)
	}
}

func TestCaseStepAccept(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	row := firstCase(t, s, storage.CaseFilter{Program: app.ProgramDibao, State: app.StateApplied})
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowCase(row.CaseID)
	test.Tap(button(t, sh.win, app.ActionAccept.Label()))
	f := sh.Current.(*stepForm)
	test.Tap(button(t, sh.win, "确定"))
	if !strings.Contains(f.message.Text, "授权书") {
		t.Fatalf("missing consent: message %q", f.message.Text)
	}
	test.Type(f.opinion, "材料齐全")
	f.consent.SetChecked(true)
	test.Tap(button(t, sh.win, "确定"))
	c, _, err := s.Case(ctx, row.CaseID)
	if err != nil || c.State != app.StateAccepted {
		t.Fatalf("state after accept: %v %v", c.State, err)
	}
	d := sh.Current.(*caseDetail)
	if len(d.events) < 2 {
		t.Fatal("timeline does not show the step")
	}
}

func TestTekunVisitSelfCare(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	hh := firstCase(t, s, storage.CaseFilter{Program: app.ProgramTemporary})
	clerk := userWithRole(t, s, app.RoleClerk).Actor()
	id, err := s.Apply(ctx, clerk, hh.HouseholdID, app.CaseApplied{Program: app.ProgramTekun, AppliedOn: s.Today()})
	if err != nil {
		t.Fatal(app.ErrorMessage(err))
	}
	if err := s.Step(ctx, clerk, id, app.ActionAccept, app.StepData{ConsentSigned: true}); err != nil {
		t.Fatal(app.ErrorMessage(err))
	}
	row := storage.CaseRow{CaseID: id}
	sh := newTestShell(t, s, app.RoleLiaison)
	sh.ShowCase(row.CaseID)
	test.Tap(button(t, sh.win, app.ActionVisit.Label()))
	f := sh.Current.(*stepForm)
	test.Type(f.staff, "王协理、李经办")
	test.Type(f.findings, "独居，行动不便")
	for i := 0; i < 4; i++ {
		test.Tap(f.selfCare[i])
	}
	if !strings.Contains(f.level.Text, app.SelfCarePartial.Label()) {
		t.Fatalf("4 of 6 met: %q", f.level.Text)
	}
	f.careMode.SetSelected(app.CareCentralised.Label())
	if err := f.submit(); err != nil {
		t.Fatal(app.ErrorMessage(err))
	}
	c, _, _ := s.Case(context.Background(), row.CaseID)
	if c.State != app.StateInvestigated || c.SelfCare != app.SelfCarePartial || c.CareMode != app.CareCentralised {
		t.Fatalf("after visit: %s %s %s", c.State, c.SelfCare, c.CareMode)
	}
}

func TestTemporaryApproveShowsReserve(t *testing.T) {
	s := newTestStore(t)
	row := firstCase(t, s, storage.CaseFilter{Program: app.ProgramTemporary, State: app.StateNoticed})
	sh := newTestShell(t, s, app.RoleApprover)
	sh.ShowCase(row.CaseID)
	test.Tap(button(t, sh.win, app.ActionApprove.Label()))
	f := sh.Current.(*stepForm)
	if !strings.Contains(f.reserve.Text, "备用金余额") || !strings.Contains(f.reserve.Text, "审批额度") {
		t.Fatalf("reserve: %q", f.reserve.Text)
	}
	test.Type(f.amount, "999999")
	_ = f.submit()
	if !strings.Contains(f.message.Text, "报县审批") {
		t.Fatalf("over the limit: %q", f.message.Text)
	}
}

func TestAttachment(t *testing.T) {
	s := newTestStore(t)
	row := firstCase(t, s, storage.CaseFilter{})
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowCase(row.CaseID)
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.Black)
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	sh.Current.(*caseDetail).addFile("户口本.png", buf.Bytes())
	files, _ := s.Attachments(context.Background(), row.CaseID)
	if len(files) != 1 || files[0].MIME != "image/png" {
		t.Fatalf("attachments = %+v", files)
	}
	test.Tap(button(t, sh.win, "查看"))
	if len(sh.win.Canvas().Overlays().List()) == 0 {
		t.Fatal("image viewer not shown")
	}
}

func TestConflictResolve(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	if err := cli.DemoConflict(ctx, s); err != nil {
		t.Fatal(err)
	}
	sh := newTestShell(t, s, app.RoleApprover)
	sh.ShowConflicts()
	if len(sh.Current.(*conflicts).list) != 1 {
		t.Fatal("conflict not listed")
	}
	test.Tap(button(t, sh.win, "改用此版本"))
	for _, o := range sh.win.Canvas().Overlays().List() {
		for _, x := range test.LaidOutObjects(o) {
			if l, ok := x.(*widget.Label); ok {
				t.Log(l.Text)
			}
		}
	}
	open, _ := s.Conflicts(ctx, true)
	if len(open) != 0 {
		t.Fatalf("%d conflicts still open", len(open))
	}
	all, _ := s.Conflicts(ctx, false)
	agg, _ := s.Household(ctx, all[0].HouseholdID)
	if all[0].Resolution != app.ChoiceOther || agg.Household.Phone != "13722223333" {
		t.Fatalf("resolution %q phone %q", all[0].Resolution, agg.Household.Phone)
	}
}

func TestSettingsServerAndRebuild(t *testing.T) {
	s := newTestStore(t)
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowSettings()
	st := sh.Current.(*settings)
	test.Type(st.server, "https://county.example.cn")
	test.Tap(button(t, sh.win, "保存"))
	for _, k := range []string{jsync.MetaServer, MetaServerURL} {
		if v, _ := s.Meta(context.Background(), k); v != "https://county.example.cn" {
			t.Fatalf("server url under %s = %q", k, v)
		}
	}
	test.Tap(st.rebuild)
	select {
	case <-st.jobDone:
	case <-time.After(30 * time.Second):
		t.Fatal("rebuild did not finish")
	}
	if !strings.Contains(st.status.Text, "重建完成") {
		t.Fatalf("status %q", st.status.Text)
	}
}

func TestTimeToFirstScreen(t *testing.T) {
	s := newTestStore(t)
	d, err := TimeToFirstScreen(s)
	if err != nil || d <= 0 {
		t.Fatal(d, err)
	}
}
