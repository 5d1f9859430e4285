package storage

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"jiuzhu/app"
)

func TestPaymentBatchBankReturnAndRequeue(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	h1, c1 := svPaying(t, s, svHousehold("张兰", svID("34112219600101002"), svID("34112219620202003"), "6228480012345678"))
	h2, c2 := svPaying(t, s, svHousehold("王强", svID("34112219550303001"), svID("34112219570404002"), "6228480099990000"))
	_ = h1

	if _, _, err := s.GenerateBatch(ctx, svLiaison, "2026-11"); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("liaison generated a batch: %v", err)
	}
	bid, skipped, err := s.GenerateBatch(ctx, svClerk, "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 0 {
		t.Fatalf("skipped: %+v", skipped)
	}
	b, err := s.Batch(ctx, bid)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Items) != 2 || b.Month != "2026-11" || b.Items[0].Status != app.PayPending {
		t.Fatalf("batch: %+v", b)
	}
	c, agg, _ := s.Case(ctx, c1)
	fc, _ := s.FoldContext(ctx)
	for _, it := range b.Items {
		if it.CaseID == c1 && it.Amount != app.MonthlyAmount(c, &agg.Household, fc.Rules, d(2026, 11, 1)) {
			t.Fatalf("amount %s is not MonthlyAmount", it.Amount)
		}
	}
	if _, _, err := s.GenerateBatch(ctx, svClerk, "2026-11"); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("a second roster for the same month: %v", err)
	}
	if _, err := s.ImportBankReturn(ctx, svClerk, bid, []app.BankReturnRow{{Account: "6228480012345678", Amount: "1", Status: "成功"}}); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("return before sending: %v", err)
	}
	if err := s.MarkBatchSent(ctx, svClerk, bid, app.Date{}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkBatchSent(ctx, svClerk, bid, app.Date{}); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("sent twice: %v", err)
	}
	amount := func(cid string) string {
		for _, it := range b.Items {
			if it.CaseID == cid {
				return it.Amount.String()
			}
		}
		return ""
	}
	// A bad file records nothing.
	n := svCount(t, s, `SELECT count(*) FROM events`)
	if _, err := s.ImportBankReturn(ctx, svClerk, bid, []app.BankReturnRow{
		{Line: 2, Account: "6228 4800 1234 5678", Amount: amount(c1), Status: "成功"},
		{Line: 3, Account: "0000", Amount: "5", Status: "成功"}}); err == nil || !strings.Contains(app.ErrorMessage(err), "第3行") {
		t.Fatalf("bad row: %v", err)
	}
	if svCount(t, s, `SELECT count(*) FROM events`) != n {
		t.Fatal("a refused return file wrote events")
	}
	// Rows of strings from any format: here a parsed table.
	rows, err := app.ParseBankReturn([][]string{{"账号", "户名", "金额", "状态", "失败原因"},
		{"6228 4800 1234 5678", "张兰", amount(c1), "成功", ""},
		{"6228480099990000", "王强", amount(c2), "失败", "账户已销户"}})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.ImportBankReturn(ctx, svClerk, bid, rows)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Paid != 1 || sum.Failed != 1 || sum.CasesPaid != 1 {
		t.Fatalf("summary: %+v", sum)
	}
	if c, _, _ := s.Case(ctx, c1); c.LastPaidMonth != "2026-11" {
		t.Fatalf("paid case not marked paid: %s", c.LastPaidMonth)
	}
	if c, _, _ := s.Case(ctx, c2); c.LastPaidMonth != "2026-10" {
		t.Fatalf("failed case marked paid: %s", c.LastPaidMonth)
	}
	if st, err := s.FundStatistics(ctx, "2026-11"); err != nil || st.Batches != 1 || st.Items != 2 ||
		st.Paid+st.Returned != st.Allocated || st.Returned == 0 || st.Pending != 0 {
		t.Fatalf("fund stats: %+v %v", st, err)
	}
	list, _ := s.Batches(ctx, "")
	if len(list) != 1 || list[0].Paid != 1 || list[0].Failed != 1 || list[0].Sent == "" {
		t.Fatalf("batches: %+v", list)
	}

	// The household gives a new account; December's roster pays November again.
	if err := s.SetField(ctx, svClerk, h2, "", "bank_account", "6217000011112222"); err != nil {
		t.Fatal(err)
	}
	bid2, _, err := s.GenerateBatch(ctx, svClerk, "2026-12")
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := s.Batch(ctx, bid2)
	var requeued *app.PaymentItem
	months := map[string]int{}
	for i, it := range b2.Items {
		months[it.CaseID+"|"+it.Month]++
		if it.RequeuedFrom != "" {
			requeued = &b2.Items[i]
		}
	}
	if len(b2.Items) != 3 || requeued == nil || requeued.CaseID != c2 || requeued.Month != "2026-11" ||
		requeued.Account != "6217000011112222" || requeued.RequeuedFrom != app.ItemKey(bid, 2) && requeued.RequeuedFrom != app.ItemKey(bid, 1) {
		t.Fatalf("december roster: %+v", b2.Items)
	}
	if months[c1+"|2026-12"] != 1 || months[c2+"|2026-12"] != 1 {
		t.Fatalf("december items: %v", months)
	}
	// A failure is re-queued once only.
	if err := s.MarkBatchSent(ctx, svClerk, bid2, app.Date{}); err != nil {
		t.Fatal(err)
	}
	failed, _ := s.unrequeuedFailures(ctx)
	if len(failed) != 0 {
		t.Fatalf("still to re-queue: %+v", failed)
	}

	h, _ := s.ProjectionHash(ctx)
	if err := s.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if h2, _ := s.ProjectionHash(ctx); h != h2 {
		t.Fatal("rebuild changed the payment projections")
	}
}

func TestFundAnomalies(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	spouse := svID("34112219620202003")
	h1, c1 := svPaying(t, s, svHousehold("张兰", svID("34112219600101002"), spouse, "6228480012345678"))
	// The spouse is also registered, and paid, in a second household.
	h2, c2 := svPaying(t, s, svHousehold("王强", svID("34112219550303001"), spouse, "6228480099990000"))
	h3, c3 := svPaying(t, s, svHousehold("赵六", svID("34112219500505004"), svID("34112219520606005"), "6228480055556666"))
	bid, _, err := s.GenerateBatch(ctx, svClerk, "2026-12")
	if err != nil {
		t.Fatal(err)
	}
	_ = bid
	// After the roster: 赵六's case is terminated in November; 王强's household income rises.
	if err := s.Step(ctx, svApprover, c3, app.ActionTerminate, app.StepData{Date: d(2026, 11, 18), Reasons: []string{"收入超过标准"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, svClerk, h2, "", "incomes", []app.Income{{Kind: app.IncomeWage, Monthly: app.Yuan(1200)}}); err != nil {
		t.Fatal(err)
	}
	// A payment step synced from another device for a case never approved
	// (the fold ignores it, the log keeps it, the worklist shows it).
	_, c4, err := s.RegisterHousehold(ctx, svLiaison, svHousehold("钱七", svID("34112219480707006"), svID("34112219490808007"), "1"),
		&app.CaseApplied{Program: app.ProgramDibao, AppliedOn: d(2026, 10, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_, agg4, _ := s.Case(ctx, c4)
	raw, _ := json.Marshal(app.CaseStep{Action: app.ActionPay, Data: app.StepData{Date: d(2026, 11, 5), Month: "2026-11"}})
	e := app.Event{ID: app.NewID(), DeviceID: "laptop-2", DeviceSeq: 1, Type: app.EventCaseStep, HouseholdID: agg4.Household.ID,
		CaseID: c4, TownshipCode: "341122101", SchemaV: app.SchemaVersion, HLC: app.HLC{Wall: svNow.UnixMilli() - 5000},
		Actor: svClerk, Payload: raw}
	e.Seal("")
	tx, _ := s.DB().BeginTx(ctx, nil)
	if _, err := ImportEvents(ctx, tx, []app.Event{e}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	list, err := s.FundAnomalies(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, a := range list {
		if a.Detail == "" || app.AnomalyLabel(a.Kind) == a.Kind {
			t.Errorf("anomaly without text: %+v", a)
		}
		got[a.Kind] = append(got[a.Kind], a.HouseholdID)
	}
	if len(got[app.AnomalyEnded]) != 1 || got[app.AnomalyEnded][0] != h3 {
		t.Errorf("ended: %v", got[app.AnomalyEnded])
	}
	if len(got[app.AnomalyAmount]) != 1 || got[app.AnomalyAmount][0] != h2 {
		t.Errorf("amount: %v", got[app.AnomalyAmount])
	}
	if len(got[app.AnomalyDuplicate]) != 1 || (got[app.AnomalyDuplicate][0] != h1 && got[app.AnomalyDuplicate][0] != h2) {
		t.Errorf("duplicate: %v", got[app.AnomalyDuplicate])
	}
	if len(got[app.AnomalyNoApproval]) != 1 || got[app.AnomalyNoApproval][0] != agg4.Household.ID {
		t.Errorf("no approval: %v", got[app.AnomalyNoApproval])
	}
	for _, a := range list {
		if a.Kind == app.AnomalyDuplicate && (strings.Contains(a.Detail, spouse) || !strings.Contains(a.Detail, app.MaskID(spouse))) {
			t.Errorf("the worklist must mask the ID number: %s", a.Detail)
		}
	}
	if only, _ := s.FundAnomalies(ctx, "2026-01"); len(only) != 0 {
		t.Errorf("a month without payments has anomalies: %+v", only)
	}
	_, _, _ = c1, c2, h1
}

func TestReserveFundReport(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	hid, cid, err := s.RegisterHousehold(ctx, svLiaison, svHousehold("孙八", svID("34112219700101008"), svID("34112219720202009"), "1"),
		&app.CaseApplied{Program: app.ProgramTemporary, TempKind: app.TempSpending, AppliedOn: d(2026, 10, 8)})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct {
		a    app.Actor
		act  app.Action
		data app.StepData
	}{
		{svClerk, app.ActionAccept, app.StepData{Date: d(2026, 10, 9), ConsentSigned: true}},
		{svClerk, app.ActionVisit, app.StepData{Date: d(2026, 10, 12), Staff: []string{"甲", "乙"}, Findings: "住院自付费用高"}},
		{svClerk, app.ActionNotice, app.StepData{Date: d(2026, 10, 13)}},
		{svApprover, app.ActionApprove, app.StepData{Date: d(2026, 10, 20), Amount: app.Yuan(3000)}},
	} {
		if err := s.Step(ctx, st.a, cid, st.act, st.data); err != nil {
			t.Fatalf("%s: %v", st.act, err)
		}
	}
	if err := s.RecordReserveReceived(ctx, svClerk, app.ReserveReceived{Date: d(2026, 3, 1), Amount: app.Yuan(30000), Note: "县财政拨付"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordReserveReceived(ctx, svClerk, app.ReserveReceived{Amount: 0}); err == nil {
		t.Fatal("zero receipt accepted")
	}
	r, err := s.ReserveReport(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if r.Fund != app.Yuan(50000) || r.Received != app.Yuan(30000) || r.UsedTotal != app.Yuan(3000) || len(r.Used) != 1 ||
		r.Used[0].HouseholdID != hid || r.Used[0].Name != "孙八" {
		t.Fatalf("report: %+v", r)
	}
	if bal, _, _ := s.ReserveBalance(ctx, s.Today()); r.Balance != bal || bal != app.Yuan(47000) {
		t.Fatalf("balance %s vs ReserveBalance %s", r.Balance, bal)
	}
	// The approved grant is paid through the next roster, then leaves it.
	bid, _, err := s.GenerateBatch(ctx, svClerk, "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Batch(ctx, bid)
	if len(b.Items) != 1 || b.Items[0].Program != app.ProgramTemporary || b.Items[0].Amount != app.Yuan(3000) {
		t.Fatalf("temporary grant roster: %+v", b.Items)
	}
	if err := s.MarkBatchSent(ctx, svClerk, bid, d(2026, 11, 20)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportBankReturn(ctx, svClerk, bid, []app.BankReturnRow{{Account: "1", Amount: "3000", Status: "成功"}}); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := s.Case(ctx, cid); c.State != app.StatePaid {
		t.Fatalf("grant not marked paid: %s", c.State)
	}
	if r2, _ := s.ReserveReport(ctx, 2026); r2.UsedTotal != app.Yuan(3000) || r2.Balance != app.Yuan(47000) {
		t.Fatalf("after payment: %+v", r2)
	}
}
