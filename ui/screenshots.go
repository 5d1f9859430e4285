package ui

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// screenSize is the window size screenshots and the first-screen timing use.
var screenSize = fyne.NewSize(1280, 800)

// Screenshots renders every screen with the data in store to PNG files in
// dir, with Fyne's software painter (no display). It returns the files.
func Screenshots(store *storage.Store, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	a := test.NewApp()
	a.Settings().SetTheme(Theme())
	ctx := context.Background()
	users, err := store.Users(ctx)
	if err != nil {
		return nil, err
	}
	byRole := map[app.Role]storage.User{}
	for _, u := range users {
		byRole[u.Role] = u
	}
	clerk, approver := byRole[app.RoleClerk], byRole[app.RoleApprover]
	if clerk.ID == "" {
		clerk = storage.User{ID: "screenshots", Name: "截图", Role: app.RoleClerk}
	}
	if approver.ID == "" {
		approver = storage.User{ID: "screenshots-approver", Name: "截图审批", Role: app.RoleApprover}
	}
	var files []string
	shot := func(name string, w fyne.Window) error {
		p := filepath.Join(dir, name+".png")
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := png.Encode(f, w.Canvas().Capture()); err != nil {
			return err
		}
		files = append(files, p)
		return nil
	}
	newWin := func() fyne.Window {
		w := a.NewWindow("救助通")
		w.Resize(screenSize)
		return w
	}
	firstCase := func(f storage.CaseFilter) string {
		f.Limit = 1
		rows, _ := store.Cases(ctx, f)
		if len(rows) == 0 {
			return ""
		}
		return rows[0].CaseID
	}

	firstLead := func(f storage.LeadFilter) string {
		f.Limit = 1
		rows, _ := store.Leads(ctx, f)
		if len(rows) == 0 {
			return ""
		}
		return rows[0].ID
	}

	w := newWin()
	ShowSignIn(w, store, false)
	if err := shot("01-signin", w); err != nil {
		return nil, err
	}
	steps := []struct {
		name string
		user storage.User
		open func(sh *Shell)
	}{
		{"02-workbench", clerk, func(sh *Shell) {}},
		{"03-cases", clerk, func(sh *Shell) { sh.ShowCases() }},
		{"04-intake", clerk, func(sh *Shell) {
			sh.ShowIntake()
			in := sh.Current.(*intake)
			in.village.SetSelectedIndex(0)
			in.address.SetText("桃园村3组12号")
			in.memberRows[0].name.SetText("王建国")
			in.memberRows[0].id.SetText("11010519491231002X")
			in.addMember(draftMember{Name: "李秀英", ID: "110105194912310021", Relation: 1})
			in.addIncome(draftMoney{Kind: 0, Amount: "800"})
			in.addAsset(draftMoney{Kind: 0, Amount: "5000"})
			if rows, _ := store.SearchMembers(ctx, store.Device().TownshipCode[:6], "", 1); len(rows) > 0 {
				in.addMember(draftMember{Name: rows[0].Name, ID: rows[0].IDNumber, Relation: 2})
			}
		}},
		{"05-case-dibao", clerk, func(sh *Shell) {
			sh.ShowCase(firstCase(storage.CaseFilter{Program: app.ProgramDibao, State: app.StatePaying}))
		}},
		{"06-case-tekun-visit", clerk, func(sh *Shell) {
			id := firstCase(storage.CaseFilter{Program: app.ProgramTekun, State: app.StateAccepted})
			sh.ShowCase(id)
			if d, ok := sh.Current.(*caseDetail); ok && d.c != nil {
				d.onAction(app.ActionVisit)
				f := sh.Current.(*stepForm)
				f.staff.SetText("李经办、王协理")
				f.findings.SetText("独居，行动不便，无赡养人")
				f.selfCare[0].SetChecked(true)
				f.selfCare[1].SetChecked(true)
				f.careMode.SetSelectedIndex(1)
			}
		}},
		{"07-case-temporary-approve", approver, func(sh *Shell) {
			id := firstCase(storage.CaseFilter{Program: app.ProgramTemporary, State: app.StateNoticed})
			sh.ShowCase(id)
			if d, ok := sh.Current.(*caseDetail); ok && d.c != nil {
				d.onAction(app.ActionApprove)
				sh.Current.(*stepForm).amount.SetText("1500")
			}
		}},
		{"08-conflicts", approver, func(sh *Shell) { sh.ShowConflicts() }},
		{"09-settings", clerk, func(sh *Shell) { sh.ShowSettings() }},
		{"10-leads", clerk, func(sh *Shell) { sh.ShowLeads() }},
		{"11-lead-register", clerk, func(sh *Shell) {
			sh.ShowLeadRegister()
			r := sh.Current.(*leadRegister)
			r.source.SetSelectedIndex(0)
			r.complainant.SetText("匿名群众")
			rows, _ := store.Cases(ctx, storage.CaseFilter{Program: app.ProgramDibao, State: app.StatePaying, Limit: 1})
			if len(rows) > 0 {
				r.search.SetText(rows[0].HeadName)
				r.onSearch()
				if len(r.found) > 0 {
					r.matches.SetSelectedIndex(0)
				}
				if len(r.linked.Options) > 1 {
					r.linked.SetSelectedIndex(1)
				}
			}
			r.content.SetText("反映该户家中有经营性车辆未申报")
		}},
		{"12-lead-detail", approver, func(sh *Shell) {
			if id := firstLead(storage.LeadFilter{State: app.LeadConcluded}); id != "" {
				sh.ShowLead(id)
			}
		}},
		{"13-lead-conclude", clerk, func(sh *Shell) {
			if id := firstLead(storage.LeadFilter{State: app.LeadHandling}); id != "" {
				sh.ShowLead(id)
				if d, ok := sh.Current.(*leadDetail); ok && d.lead != nil {
					d.onAction(app.LeadConclude)
					f := sh.Current.(*leadStepForm)
					f.result.SetSelectedIndex(0)
					f.note.SetText("经入户核实，该户子女在外务工月收入约6000元")
					f.recovered.SetText("4800")
					f.accountability.SetText("停发低保，追回多领资金")
				}
			}
		}},
		{"14-exports", clerk, func(sh *Shell) { sh.ShowExports() }},
		{"15-export-done", clerk, func(sh *Shell) {
			sh.ShowExports()
			e := sh.Current.(*exports)
			e.status.SetText("发放花名册导出完成")
			e.bar.Show()
			e.bar.SetValue(1)
			month := store.Today().MonthKey()
			showSaved(sh.win, "发放花名册已导出", month+" 发放花名册：120 户 245 人，合计 98,760.00 元。",
				filepath.Join(e.folder.Text, "发放花名册-"+month+".xlsx"))
		}},
		{"16-audit", approver, func(sh *Shell) { sh.ShowAudit() }},
		{"17-funds", clerk, func(sh *Shell) {
			sh.ShowFunds()
			if f, ok := sh.Current.(*funds); ok && f.jobDone != nil {
				<-f.jobDone
			}
		}},
	}
	for _, s := range steps {
		w := newWin()
		sh := NewShell(w, store, s.user)
		s.open(sh)
		if err := shot(s.name, w); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		w.Close()
	}
	return files, nil
}

// TimeToFirstScreen builds the main window content (the workbench after
// sign-in) with the headless test driver and returns how long it took: the
// benchmark row "time to first screen" in cmd/bench.
func TimeToFirstScreen(store *storage.Store) (time.Duration, error) {
	a := test.NewApp()
	a.Settings().SetTheme(Theme())
	start := time.Now()
	w := a.NewWindow("救助通")
	w.Resize(screenSize)
	NewShell(w, store, storage.User{ID: "bench", Name: "基准", Role: app.RoleClerk})
	w.Canvas().Capture() // lay out and paint once
	return time.Since(start), nil
}
