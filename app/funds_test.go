package app

import (
	"strings"
	"testing"
)

func fundsHousehold(id, headID, account string) *Household {
	return &Household{ID: id, Area: AreaRural, BankName: "农商行", BankAccount: account,
		Members: []Member{{ID: id + "m1", Name: "张兰", IDNumber: headID, Relation: RelationHead, Covered: true},
			{ID: id + "m2", Name: "李建国", IDNumber: "110105194805050015", Relation: RelationSpouse, Covered: true}},
		Incomes: []Income{{Kind: IncomeWage, Monthly: Yuan(400)}}}
}

func TestPlanBatchSelectsWhoIsPaidThisMonth(t *testing.T) {
	book := DefaultRuleBook()
	rs, _ := book.At(Date{2026, 11, 1})
	h := fundsHousehold("h1", "11010519491231002X", "6228 4800 1234 5678")
	amount := DecidedAmount(&Case{Program: ProgramDibao}, h, rs).Amount
	paying := func(id string, mut func(*Case)) PayCandidate {
		c := &Case{ID: id, HouseholdID: "h1", Program: ProgramDibao, State: StatePaying, DecidedOn: Date{2026, 9, 20},
			Amount: amount, LastPaidMonth: "2026-10"}
		if mut != nil {
			mut(c)
		}
		return PayCandidate{Case: c, Household: h}
	}
	noAccount := fundsHousehold("h2", "11010519491231002X", "")
	cands := []PayCandidate{
		paying("a-paying", nil),
		paying("b-approved-this-month", func(c *Case) { c.State, c.DecidedOn, c.LastPaidMonth = StateApproved, Date{2026, 11, 3}, "" }),
		paying("c-approved-last-month", func(c *Case) { c.State, c.DecidedOn, c.LastPaidMonth = StateApproved, Date{2026, 10, 30}, "" }),
		paying("d-paid-already", func(c *Case) { c.LastPaidMonth = "2026-11" }),
		paying("e-terminated", func(c *Case) { c.State = StateTerminated }),
		paying("f-phase-out-ended", func(c *Case) { c.State, c.PhaseOutUntil = StatePhasingOut, Date{2026, 10, 31} }),
		paying("g-batched", nil),
		{Case: &Case{ID: "h-no-account", Program: ProgramDibao, State: StatePaying, DecidedOn: Date{2026, 1, 5}, Amount: 100}, Household: noAccount},
		{Case: &Case{ID: "i-temp", HouseholdID: "h1", Program: ProgramTemporary, State: StateApproved, DecidedOn: Date{2026, 11, 10}, Amount: Yuan(2000)}, Household: h},
		{Case: &Case{ID: "j-temp-paid", HouseholdID: "h1", Program: ProgramTemporary, State: StatePaid, Amount: Yuan(2000)}, Household: h},
	}
	failed := []PaymentItem{{Seq: 4, CaseID: "z-old", HouseholdID: "h1", Month: "2026-10", PayeeName: "张兰", Account: "old",
		Amount: Yuan(300), Status: PayFailed, Reason: "账号错误", RequeuedFrom: "B0#4"}}
	items, skipped, err := PlanBatch("2026-11", cands, book, map[string]bool{"g-batched|2026-11": true}, failed)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.CaseID)
	}
	if strings.Join(got, ",") != "a-paying,c-approved-last-month,i-temp,z-old" {
		t.Fatalf("batch cases: %v", got)
	}
	for i, it := range items {
		if it.Seq != i+1 {
			t.Fatalf("seq %d at %d", it.Seq, i)
		}
	}
	if items[0].Amount != amount || items[0].Account != "6228480012345678" || items[0].PayeeID != "11010519491231002X" {
		t.Fatalf("item: %+v", items[0])
	}
	if items[2].Amount != Yuan(2000) {
		t.Fatalf("temporary grant amount %s", items[2].Amount)
	}
	requeued := items[3]
	if requeued.Month != "2026-10" || requeued.Account != "6228480012345678" || requeued.RequeuedFrom != "B0#4" ||
		requeued.Status != "" || requeued.Reason != "" {
		t.Fatalf("requeued item must keep its month and origin and take the current account: %+v", requeued)
	}
	reasons := map[string]string{}
	for _, s := range skipped {
		reasons[s.CaseID] = s.Reason
	}
	if !strings.Contains(reasons["f-phase-out-ended"], "渐退期") || !strings.Contains(reasons["h-no-account"], "银行账号") || len(skipped) != 2 {
		t.Fatalf("skipped: %+v", skipped)
	}
	if _, _, err := PlanBatch("2026/11", cands, book, nil, nil); err == nil {
		t.Fatal("a bad month was accepted")
	}
}

func TestPlanBatchUsesTheRaisedStandard(t *testing.T) {
	book := DefaultRuleBook()
	h := fundsHousehold("h1", "11010519491231002X", "1")
	before, _ := book.At(Date{2026, 6, 1})
	after, _ := book.At(Date{2026, 7, 1})
	c := &Case{ID: "c", Program: ProgramDibao, State: StatePaying, DecidedOn: Date{2026, 3, 1},
		Amount: DecidedAmount(&Case{Program: ProgramDibao}, h, before).Amount}
	june, _, _ := PlanBatch("2026-06", []PayCandidate{{c, h}}, book, nil, nil)
	july, _, _ := PlanBatch("2026-07", []PayCandidate{{c, h}}, book, nil, nil)
	if june[0].Amount != c.Amount || july[0].Amount != DecidedAmount(c, h, after).Amount || july[0].Amount <= june[0].Amount {
		t.Fatalf("june %s july %s", june[0].Amount, july[0].Amount)
	}
}

func TestParseBankReturnFindsColumnsByHeader(t *testing.T) {
	table := [][]string{
		{"XX农商银行代发工资回盘"},
		{"序号", "户名", "卡号", "交易金额", "处理结果", "失败原因"},
		{"1", "张兰", "6228 4800 1234 5678", "1,040.00", "成功", ""},
		{"", "", "", "", "", ""},
		{"2", "王五", "6228480099990000", "500", "失败", "账户已销户"},
	}
	rows, err := ParseBankReturn(table)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Account != "6228 4800 1234 5678" || rows[0].Amount != "1,040.00" || rows[0].Name != "张兰" ||
		rows[1].Reason != "账户已销户" || rows[1].Line != 5 {
		t.Fatalf("rows: %+v", rows)
	}
	if _, err := ParseBankReturn([][]string{{"a", "b"}, {"1", "2"}}); err == nil || !strings.Contains(err.Error(), "表头") {
		t.Fatalf("no header: %v", err)
	}
	for s, want := range map[string]PaymentStatus{"成功": PayPaid, "交易成功": PayPaid, "SUCCESS": PayPaid, "失败": PayFailed,
		"退票": PayFailed, "交易失败": PayFailed, "不成功": PayFailed} {
		if got, ok := ParsePayStatus(s); !ok || got != want {
			t.Errorf("status %q: %s", s, got)
		}
	}
	if _, ok := ParsePayStatus("处理中"); ok {
		t.Error("an unknown status was read")
	}
}

func sentBatch() *PaymentBatch {
	return &PaymentBatch{ID: "B", Month: "2026-11", SentOn: Date{2026, 11, 5}, Items: []PaymentItem{
		{Seq: 1, CaseID: "c1", Account: "111", Amount: Yuan(500), Status: PaySent},
		{Seq: 2, CaseID: "c2", Account: "222", Amount: Yuan(300), Status: PaySent},
		{Seq: 3, CaseID: "c2", Account: "222", Amount: Yuan(280), Status: PaySent}, // requeued month, same account
		{Seq: 4, CaseID: "c4", Account: "444", Amount: Yuan(100), Status: PayPaid},
	}}
}

func TestMatchBankReturn(t *testing.T) {
	b := sentBatch()
	res, err := MatchBankReturn(b, []BankReturnRow{
		{Account: "1 1 1", Amount: "500.00", Status: "成功"},
		{Account: "222", Amount: "280", Status: "失败", Reason: "账号错误"},
		{Account: "222", Amount: "300", Status: "成功"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].Seq != 1 || res[0].PaidAmount != Yuan(500) || res[1].Seq != 3 || res[1].Status != PayFailed ||
		res[1].Reason != "账号错误" || res[2].Seq != 2 {
		t.Fatalf("results: %+v", res)
	}
	bad := []struct {
		row  BankReturnRow
		want string
	}{
		{BankReturnRow{Account: "999", Amount: "1", Status: "成功"}, "不在本批次"},
		{BankReturnRow{Account: "444", Amount: "100", Status: "成功"}, "已有结果"},
		{BankReturnRow{Account: "111", Amount: "abc", Status: "成功"}, "金额"},
		{BankReturnRow{Account: "111", Amount: "500", Status: "处理中"}, "无法识别"},
		{BankReturnRow{Account: "111", Amount: "500", Status: "失败"}, "失败原因"},
		{BankReturnRow{Amount: "500", Status: "成功"}, "缺少账号"},
	}
	for _, c := range bad {
		_, err := MatchBankReturn(sentBatch(), []BankReturnRow{{Account: "111", Amount: "500", Status: "成功"}, c.row})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "第3行") {
			t.Errorf("%+v: got %v, want %q on 第3行", c.row, err, c.want)
		}
	}
	// The same item twice in one file.
	if _, err := MatchBankReturn(sentBatch(), []BankReturnRow{{Account: "111", Amount: "500", Status: "成功"},
		{Account: "111", Amount: "500", Status: "成功"}}); err == nil {
		t.Error("a duplicate row was accepted")
	}
}

func TestFoldBatchFirstResultWins(t *testing.T) {
	created := PaymentBatchCreated{Month: "2026-11", Date: Date{2026, 11, 1}, Items: []PaymentItem{
		{Seq: 1, CaseID: "c1", Account: "1", Amount: 100, Status: PayPaid /* ignored: a new batch is pending */},
		{Seq: 2, CaseID: "c2", Account: "2", Amount: 200}}}
	ev := func(typ string, seq int64, p any) Event {
		e := leadEvent(t, typ, seq, RoleClerk, p)
		e.CaseID = "B"
		return e
	}
	events := []Event{
		ev(EventPaymentReturned, 1, PaymentReturned{Results: []PaymentResult{{Seq: 1, Status: PayPaid, PaidAmount: 100}}}), // before creation
		ev(EventPaymentBatchCreated, 2, created),
		ev(EventPaymentReturned, 3, PaymentReturned{Results: []PaymentResult{{Seq: 1, Status: PayPaid, PaidAmount: 100}}}), // before sending
	}
	b := FoldBatch("B", events)
	if b.Items[0].Status != PayPending || b.Items[1].Status != PayPending {
		t.Fatalf("unsent batch: %+v", b.Items)
	}
	events = append(events,
		ev(EventPaymentBatchSent, 4, PaymentBatchSent{Date: Date{2026, 11, 3}}),
		ev(EventPaymentBatchSent, 5, PaymentBatchSent{Date: Date{2026, 11, 9}}),
		ev(EventPaymentReturned, 6, PaymentReturned{Date: Date{2026, 11, 10}, Results: []PaymentResult{
			{Seq: 1, Status: PayFailed, Reason: "账户已销户"}, {Seq: 9, Status: PayPaid}}}),
		ev(EventPaymentReturned, 7, PaymentReturned{Date: Date{2026, 11, 11}, Results: []PaymentResult{
			{Seq: 1, Status: PayPaid, PaidAmount: 100}, {Seq: 2, Status: PayPaid, PaidAmount: 200}}}),
	)
	b = FoldBatch("B", events)
	if b.SentOn != (Date{2026, 11, 3}) || b.Items[0].Status != PayFailed || b.Items[0].Reason != "账户已销户" ||
		b.Items[1].Status != PayPaid || b.Items[1].PaidAmount != 200 {
		t.Fatalf("folded: %+v", b)
	}
	all, paid, failed := b.Total()
	if all != 300 || paid != 200 || failed != 100 {
		t.Fatalf("totals %s %s %s", all, paid, failed)
	}
}

func TestCheckPaymentAnomalies(t *testing.T) {
	book := DefaultRuleBook()
	rs, _ := book.At(Date{2026, 11, 1})
	h := fundsHousehold("h1", "11010519491231002X", "1")
	amount := DecidedAmount(&Case{Program: ProgramDibao}, h, rs).Amount
	base := func() (*Case, PaymentItem) {
		c := &Case{ID: "c", Program: ProgramDibao, State: StatePaying, DecidedOn: Date{2026, 9, 1}, Amount: amount}
		return c, PaymentItem{CaseID: "c", HouseholdID: "h1", Month: "2026-11", PayeeName: "张兰", PayeeID: "11010519491231002X",
			Amount: amount, Status: PaySent}
	}
	kinds := func(as []Anomaly) string {
		var k []string
		for _, a := range as {
			k = append(k, a.Kind)
		}
		return strings.Join(k, ",")
	}
	c, it := base()
	if got := CheckPayment(it, c, h, book); len(got) != 0 {
		t.Fatalf("clean payment flagged: %+v", got)
	}
	cases := []struct {
		name string
		edit func(c *Case, it *PaymentItem, h *Household)
		want string
	}{
		{"terminated before the month", func(c *Case, it *PaymentItem, h *Household) {
			c.State, c.EndedOn = StateTerminated, Date{2026, 10, 15}
		}, AnomalyEnded},
		{"terminated in the month is still paid", func(c *Case, it *PaymentItem, h *Household) {
			c.State, c.EndedOn = StateTerminated, Date{2026, 11, 15}
		}, ""},
		{"payee removed", func(c *Case, it *PaymentItem, h *Household) { h.Members = h.Members[1:] }, AnomalyPayeeGone + "," + AnomalyAmount},
		{"amount changed by hand", func(c *Case, it *PaymentItem, h *Household) { it.Amount += 5000 }, AnomalyAmount},
		{"income rose, not reviewed", func(c *Case, it *PaymentItem, h *Household) {
			h.Incomes = []Income{{Kind: IncomeWage, Monthly: Yuan(900)}}
		}, AnomalyAmount},
		{"bank paid less", func(c *Case, it *PaymentItem, h *Household) { it.Status, it.PaidAmount = PayPaid, it.Amount-100 }, AnomalyBankAmount},
		{"failed items are not checked", func(c *Case, it *PaymentItem, h *Household) { it.Status, it.Amount = PayFailed, 1 }, ""},
		{"rejected case", func(c *Case, it *PaymentItem, h *Household) { c.State = StateRejected }, AnomalyEnded},
	}
	for _, tc := range cases {
		c, it := base()
		hh := fundsHousehold("h1", "11010519491231002X", "1")
		tc.edit(c, &it, hh)
		if got := kinds(CheckPayment(it, c, hh, book)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := CheckPayment(it, nil, nil, book); len(got) != 1 || got[0].Kind != AnomalyEnded {
		t.Errorf("unknown case: %+v", got)
	}
}

// TestPlanBatchPaysAFailedLineOnce: a second roster for the same month after
// a bank failure carries the failed payment once, as its re-queued line.
func TestPlanBatchPaysAFailedLineOnce(t *testing.T) {
	book := DefaultRuleBook()
	h := fundsHousehold("h1", "11010519491231002X", "6228 4800 1234 5678")
	c := &Case{ID: "c1", HouseholdID: "h1", Program: ProgramDibao, State: StatePaying, DecidedOn: Date{2026, 9, 20},
		Amount: Yuan(300), LastPaidMonth: "2026-10"}
	failed := []PaymentItem{{CaseID: "c1", HouseholdID: "h1", Program: ProgramDibao, Month: "2026-11", Amount: Yuan(300),
		Account: "62284800", Status: "failed", Reason: "账户已销户"}}
	items, _, err := PlanBatch("2026-11", []PayCandidate{{Case: c, Household: h}}, book, map[string]bool{}, failed)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].CaseID != "c1" || items[0].Account != NormalizeAccount(h.BankAccount) {
		t.Fatalf("items %+v", items)
	}
	// The next month pays both: the new month and nothing else doubled.
	items, _, _ = PlanBatch("2026-12", []PayCandidate{{Case: c, Household: h}}, book, map[string]bool{}, failed)
	if len(items) != 2 || items[0].Month != "2026-12" || items[1].Month != "2026-11" {
		t.Fatalf("next month %+v", items)
	}
}
