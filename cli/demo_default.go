package cli

import (
	"encoding/json"
	"time"

	"context"
	"errors"
	"jiuzhu/app"
	"os"
	"path/filepath"

	"jiuzhu/demo"
	"jiuzhu/storage"
)

// DemoPassword is the password of the demo users (shown on the sign-in screen
// of a demo database only).
const DemoPassword = "123456"

// DemoUsers are the three local users of a demo township; their IDs are the
// ones the demo data is signed with, so the timeline shows the same people.
var DemoUsers = []storage.User{
	{ID: demo.Liaison.UserID, Name: demo.Liaison.Name, Role: demo.Liaison.Role},
	{ID: demo.Clerk.UserID, Name: demo.Clerk.Name, Role: demo.Clerk.Role},
	{ID: demo.Approver.UserID, Name: demo.Approver.Name, Role: demo.Approver.Role},
}

// OpenOrInitDemoDefault opens db; when the file does not exist it creates its
// directory, initialises a demo township, fills it with households demo
// households and creates the demo users. created reports the second case.
func OpenOrInitDemoDefault(ctx context.Context, db string, households int, progress func(done, total int)) (s *storage.Store, created bool, err error) {
	if _, err := os.Stat(db); err == nil || !errors.Is(err, os.ErrNotExist) {
		s, err := openStore(ctx, db)
		return s, false, err
	}
	if dir := filepath.Dir(db); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, false, err
		}
	}
	// demo.Populate dates its steps back from today and, for some seeds on
	// some days, walks a case into a step the rules refuse; try a few seeds.
	for seed := uint64(2024); ; seed++ {
		s, err = openOrInitDemo(ctx, db)
		if err != nil {
			return nil, false, err
		}
		// Users first: their passwords wrap the data key before any data exist.
		if err = CreateDemoUsers(ctx, s); err == nil {
			err = demo.Populate(ctx, s, seed, households, progress)
		}
		if err == nil {
			break
		}
		s.Close()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(db + suffix)
		}
		if seed >= 2034 {
			return nil, false, err
		}
	}
	return s, true, nil
}

// CreateDemoUsers creates 王协理 (liaison), 李经办 (clerk) and 张审批 (approver)
// with password DemoPassword.
func CreateDemoUsers(ctx context.Context, s *storage.Store) error {
	for _, u := range DemoUsers {
		if _, err := s.CreateUser(ctx, u, DemoPassword); err != nil {
			return err
		}
	}
	return nil
}

// DemoConflict makes one field conflict on a demo household, as if a second
// device had changed the same phone number from the same base: the conflict
// screen then has something to show.
func DemoConflict(ctx context.Context, s *storage.Store) error {
	rows, err := s.Cases(ctx, storage.CaseFilter{Limit: 1})
	if err != nil || len(rows) == 0 {
		return err
	}
	hid := rows[0].HouseholdID
	if err := s.SetField(ctx, demo.Clerk, hid, "", "phone", "13900001111"); err != nil {
		return err
	}
	payload, _ := json.Marshal(app.FieldSet{Field: "phone", Value: json.RawMessage(`"13722223333"`)})
	e := app.Event{ID: app.NewID(), DeviceID: "demo-village-laptop", DeviceSeq: 1, Type: app.EventFieldSet,
		HouseholdID: hid, TownshipCode: s.Device().TownshipCode, VillageCode: rows[0].VillageCode,
		SchemaV: app.SchemaVersion, HLC: app.HLC{Wall: time.Now().Add(time.Second).UnixMilli()}, Actor: demo.Liaison,
		Payload: payload}
	e.Seal("")
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := storage.ImportEvents(ctx, tx, []app.Event{e}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.ObserveRemote([]app.Event{e}) // as sync does: later local events order after it
	return nil
}

// DemoLeads registers a few problem leads in every state on demo households,
// some past their deadline, so the lead screens and the workbench have
// something to show (the screenshots command).
func DemoLeads(ctx context.Context, s *storage.Store) error {
	rows, err := s.Cases(ctx, storage.CaseFilter{Limit: 5})
	if err != nil || len(rows) < 3 {
		return err
	}
	today := s.Today()
	reg := func(by app.Actor, in app.LeadRegistered) (string, error) { return s.RegisterLead(ctx, by, in) }
	step := func(by app.Actor, id string, a app.LeadAction, d app.LeadStepData) error {
		return s.LeadStep(ctx, by, id, a, d)
	}
	// Overdue, handled directly.
	if _, err := reg(demo.Approver, app.LeadRegistered{Source: app.LeadHotline, ReceivedOn: today.AddDays(-60),
		SubjectHousehold: rows[0].HouseholdID, LinkedCases: []string{rows[0].CaseID}, Complainant: "匿名群众",
		Content: "反映该户子女在外务工收入较高，不符合低保条件", Mode: app.ModeDirect, Assignee: demo.Clerk.Name}); err != nil {
		return err
	}
	// Registered, waiting to be assigned.
	if _, err := reg(demo.Clerk, app.LeadRegistered{Source: app.LeadPetition, ReceivedOn: today.AddDays(-3),
		SubjectHousehold: rows[1].HouseholdID, Complainant: "赵某", ComplainantPhone: "13800001234",
		Content: "反映该户家中有经营性车辆未申报"}); err != nil {
		return err
	}
	// About a staff member, concluded, waiting for 销号.
	id, err := reg(demo.Clerk, app.LeadRegistered{Source: app.LeadDiscipline, ReceivedOn: today.AddDays(-40),
		SubjectStaff: true, SubjectName: "某村协理员", Content: "反映村协理员优亲厚友，为亲属违规办理低保"})
	if err != nil {
		return err
	}
	if err := step(demo.Approver, id, app.LeadAssign, app.LeadStepData{Date: today.AddDays(-38), Mode: app.ModeJoint,
		Assignee: demo.Clerk.Name}); err != nil {
		return err
	}
	if err := step(demo.Clerk, id, app.LeadProgress, app.LeadStepData{Date: today.AddDays(-30),
		Note: "已调取近三年低保审批档案，约谈村协理员"}); err != nil {
		return err
	}
	if err := step(demo.Clerk, id, app.LeadConclude, app.LeadStepData{Date: today.AddDays(-10), Result: app.ResultPartly,
		Note: "其堂兄一户收入超标仍在保", Recovered: app.Money(360000), Accountability: "停发该户低保，追回资金；村协理员诫勉谈话"}); err != nil {
		return err
	}
	// Transferred from above, overdue.
	id, err = reg(demo.Approver, app.LeadRegistered{Source: app.LeadSuperior, ReferenceNo: "县民函〔2026〕12号",
		ReceivedOn: today.AddDays(-75), SubjectHousehold: rows[2].HouseholdID, Content: "上级转办：反映该户临时救助金额与实际困难不符"})
	if err != nil {
		return err
	}
	return step(demo.Approver, id, app.LeadTransfer, app.LeadStepData{Date: today.AddDays(-74), TransferTo: "县民政局社会救助股",
		Assignee: demo.Clerk.Name})
}
