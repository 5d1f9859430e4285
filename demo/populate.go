package demo

import (
	"context"
	"fmt"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// Populate registers n households with a case each and walks the cases
// through the workflow so that every state of every program is present,
// including steps overdue against their legal time limits.
func Populate(ctx context.Context, s *storage.Store, seed uint64, n int, progress func(done, total int)) error {
	g := New(seed, s.Device().TownshipCode, s.Today())
	villages := g.Villages()
	regs := make([]storage.Registration, n)
	plans := make([]plan, n)
	for i := range regs {
		h := g.Household(villages[g.rng.IntN(len(villages))])
		p := g.plan(&h, i)
		plans[i] = p
		regs[i] = storage.Registration{Household: h, Apply: &app.CaseApplied{Program: p.program, TempKind: p.tempKind,
			AppliedOn: p.applied, Reason: p.reason}}
	}
	const batch = 2000
	var ids []storage.Registered
	for i := 0; i < n; i += batch {
		part, err := s.RegisterHouseholds(ctx, Liaison, regs[i:min(i+batch, n)])
		if err != nil {
			return fmt.Errorf("demo: register: %w", err)
		}
		ids = append(ids, part...)
	}
	for i, p := range plans {
		if err := g.walk(ctx, s, ids[i].CaseID, p); err != nil {
			return fmt.Errorf("demo: case %d (%s to %s): %w", i, p.program, p.target, err)
		}
		if progress != nil && (i%50 == 0 || i == n-1) {
			progress(i+1, n)
		}
	}
	return nil
}

type plan struct {
	program  app.Program
	tempKind app.TempKind
	target   app.State
	applied  app.Date
	reason   string
}

var targets = map[app.Program][]app.State{
	app.ProgramDibao: {app.StateApplied, app.StateAccepted, app.StateInvestigated, app.StateNoticed, app.StateApproved,
		app.StateRejected, app.StatePaying, app.StatePaying, app.StatePaying, app.StatePaying, app.StatePhasingOut,
		app.StateTerminated, app.StateArchived},
	app.ProgramTekun: {app.StateApplied, app.StateAccepted, app.StateNoticed, app.StatePaying, app.StatePaying,
		app.StatePaying, app.StateTerminated},
	app.ProgramTemporary: {app.StateApplied, app.StateAccepted, app.StateNoticed, app.StateEscalated, app.StatePaidFirst,
		app.StatePaid, app.StatePaid, app.StateRejected, app.StateArchived},
}

// coverage lists every (program, target state) pair once: the first
// households of a demo take them in turn, so that any demo of that size or
// more shows every state of every program, whatever the date.
var coverage = func() (out []struct {
	program app.Program
	target  app.State
}) {
	for _, p := range app.Programs {
		seen := map[app.State]bool{}
		for _, st := range targets[p] {
			if !seen[st] {
				seen[st] = true
				out = append(out, struct {
					program app.Program
					target  app.State
				}{p, st})
			}
		}
	}
	return out
}()

func (g *Generator) plan(h *app.Household, i int) plan {
	var p plan
	r := g.rng.IntN(10)
	if i < len(coverage) {
		r = map[app.Program]int{app.ProgramDibao: 0, app.ProgramTekun: 6, app.ProgramTemporary: 8}[coverage[i].program]
	}
	switch {
	case r < 6:
		p.program = app.ProgramDibao
		p.reason = "家庭成员患病，收入低于低保标准"
	case r < 8:
		p.program = app.ProgramTekun
		p.reason = "无劳动能力、无生活来源、无法定赡养人"
		// 特困: one elderly person without supporters, no work capacity.
		h.Members = h.Members[:1]
		h.Members[0].WorkCapacity = app.WorkNone
		if info, err := app.ParseID(h.Members[0].IDNumber); err == nil && info.Age(g.today) < 60 {
			h.Members[0].IDNumber = g.IDNumber(g.birth(62, 90), info.Sex == app.SexMale)
		}
		h.Incomes = []app.Income{{Kind: app.IncomePensionBasic, Monthly: 15000}}
		h.Assets = nil
	default:
		p.program = app.ProgramTemporary
		p.tempKind = app.TempSpending
		p.reason = "大病住院自付费用高"
		if g.rng.IntN(2) == 0 {
			p.tempKind = app.TempUrgent
			p.reason = "房屋失火，基本生活陷入困境"
		}
	}
	ts := targets[p.program]
	p.target = ts[g.rng.IntN(len(ts))]
	if i < len(coverage) {
		p.target = coverage[i].target
	}
	if p.target == app.StatePaidFirst {
		p.tempKind, p.reason = app.TempUrgent, "突发重病住院，家中无人照料" // only 急难型 is paid first
	}
	// Older applications reach further states; a few recent ones stay overdue.
	back := 10 + g.rng.IntN(40)
	switch p.target {
	case app.StateApproved, app.StateEscalated, app.StateRejected:
		back = 40 + g.rng.IntN(30) // past the notice period, so a decision is lawful
	case app.StatePaying, app.StatePhasingOut, app.StateTerminated, app.StateArchived, app.StatePaid:
		back = 90 + g.rng.IntN(600)
	}
	p.applied = g.today.AddDays(-back)
	return p
}

// walk takes the steps from applied to the plan's target state, dated as
// they would have happened, each signed by the role with authority.
func (g *Generator) walk(ctx context.Context, s *storage.Store, caseID string, p plan) error {
	d := p.applied
	next := func(days int) app.Date {
		d = d.AddDays(days)
		if d.After(g.today) {
			d = g.today
		}
		return d
	}
	staff := []string{Clerk.Name, Liaison.Name}
	step := func(actor app.Actor, a app.Action, data app.StepData) error {
		if data.Date.IsZero() {
			data.Date = next(1 + g.rng.IntN(3))
		}
		return s.Step(ctx, actor, caseID, a, data)
	}
	at := func(st app.State) bool { return p.target == st }
	if at(app.StateApplied) {
		return nil
	}
	if p.program == app.ProgramTemporary && p.tempKind == app.TempUrgent && (at(app.StatePaidFirst) || at(app.StatePaid)) {
		if err := step(Approver, app.ActionPayFirst, app.StepData{Amount: app.Money(1000+g.rng.IntN(20)*100) * 100, Opinion: "情况紧急，先行救助"}); err != nil {
			return err
		}
		if at(app.StatePaidFirst) {
			return nil
		}
		return step(Clerk, app.ActionComplete, app.StepData{Staff: staff, Findings: "补充入户调查，情况属实"})
	}
	if err := step(Clerk, app.ActionAccept, app.StepData{ConsentSigned: true, Opinion: "材料齐全，予以受理"}); err != nil {
		return err
	}
	if at(app.StateAccepted) {
		return nil
	}
	visit := app.StepData{Staff: staff, Findings: "入户查看住房、家电，走访邻居两户，情况属实", Opinion: "符合条件"}
	if p.program == app.ProgramTekun {
		items := [6]bool{true, true, true, true, true, true}
		for i := g.rng.IntN(6); i > 0; i-- {
			items[g.rng.IntN(6)] = false
		}
		visit.SelfCareItems = &items
		visit.CareMode = app.CareDispersed
		visit.Caregiver, visit.CaregiverPhone = g.Name(surnames[g.rng.IntN(len(surnames))]), "13900000000"
		visit.AgreementSigned = d
		if g.rng.IntN(3) == 0 {
			visit.CareMode = app.CareCentralised
			visit.Caregiver = ""
		}
	}
	if err := step(Liaison, app.ActionVisit, visit); err != nil {
		return err
	}
	if at(app.StateInvestigated) {
		return nil
	}
	if at(app.StateRejected) {
		return step(Approver, app.ActionReject, app.StepData{Reasons: []string{"家庭人均收入高于低保标准"}})
	}
	if err := step(Clerk, app.ActionNotice, app.StepData{}); err != nil {
		return err
	}
	if at(app.StateNoticed) {
		return nil
	}
	decide := app.StepData{Date: next(8), Opinion: "公示无异议，同意"}
	if p.program == app.ProgramTemporary {
		decide.Amount = app.Money(500+g.rng.IntN(40)*100) * 100
		if at(app.StateEscalated) {
			decide.Amount = 800000
			return step(Approver, app.ActionEscalate, decide)
		}
		if err := step(Approver, app.ActionApprove, decide); err != nil {
			return err
		}
		if err := step(Clerk, app.ActionPay, app.StepData{}); err != nil {
			return err
		}
		if at(app.StateArchived) {
			return step(Clerk, app.ActionArchive, app.StepData{})
		}
		return nil
	}
	if err := step(Approver, app.ActionApprove, decide); err != nil {
		return err
	}
	if at(app.StateApproved) {
		return nil
	}
	if err := step(Clerk, app.ActionReport, app.StepData{}); err != nil {
		return err
	}
	// Monthly payments from the month after approval up to last month.
	month := d.AddMonths(1).FirstOfMonth()
	for !month.After(g.today.AddMonths(-1)) {
		if err := step(Clerk, app.ActionPay, app.StepData{Date: month.AddDays(4), Month: month.MonthKey()}); err != nil {
			return err
		}
		d = month.AddDays(4)
		month = month.AddMonths(1)
	}
	switch p.target {
	case app.StatePhasingOut:
		return step(Approver, app.ActionPhaseOut, app.StepData{Date: g.today, Opinion: "家庭成员实现就业，收入超过标准"})
	case app.StateTerminated, app.StateArchived:
		if err := step(Approver, app.ActionTerminate, app.StepData{Date: g.today, Reasons: []string{"家庭收入超过低保标准"}}); err != nil {
			return err
		}
		if at(app.StateArchived) {
			return step(Clerk, app.ActionArchive, app.StepData{Date: g.today})
		}
	}
	return nil
}
