package app

import (
	"fmt"
	"sort"
	"strings"
)

// Funds supervision (资金监管): monthly payment batches (the payment roster
// sent to the bank), the bank's return file, and the 临时救助 reserve fund.
// Like leads, batches are records of their own: their events carry no
// household ID and name the batch in the envelope's CaseID.

const (
	EventPaymentBatchCreated = "payment.batch_created"
	EventPaymentBatchSent    = "payment.batch_sent"
	EventPaymentReturned     = "payment.returned"
	EventReserveReceived     = "reserve.received"
)

// IsFundsEvent reports whether an event type belongs to funds supervision.
func IsFundsEvent(t string) bool {
	return strings.HasPrefix(t, "payment.") || t == EventReserveReceived
}

// PaymentStatus of one payment item.
type PaymentStatus string

const (
	PayPending PaymentStatus = "pending" // in a batch not yet sent
	PaySent    PaymentStatus = "sent"    // sent to the bank, no return yet
	PayPaid    PaymentStatus = "paid"    // the bank paid it
	PayFailed  PaymentStatus = "failed"  // the bank returned it (wrong or closed account ...)
)

var payStatusLabels = map[PaymentStatus]string{PayPending: "待发送", PaySent: "已报送银行", PayPaid: "已到账", PayFailed: "发放失败"}

func (s PaymentStatus) Label() string {
	if l, ok := payStatusLabels[s]; ok {
		return l
	}
	return string(s)
}

// PaymentItem is one line of a payment roster.
type PaymentItem struct {
	Seq         int     `json:"seq"` // 1-based line number in its batch
	CaseID      string  `json:"case_id"`
	HouseholdID string  `json:"household_id"`
	Program     Program `json:"program"`
	Month       string  `json:"month"` // the month the money is for (YYYY-MM)
	PayeeName   string  `json:"payee_name"`
	PayeeID     string  `json:"payee_id"` // ID number of the account holder
	BankName    string  `json:"bank_name,omitempty"`
	Account     string  `json:"account"`
	Amount      Money   `json:"amount"`
	// RequeuedFrom is "batchID#seq" of the failed item this one pays again.
	RequeuedFrom string `json:"requeued_from,omitempty"`

	Status     PaymentStatus `json:"status"`
	Reason     string        `json:"reason,omitempty"`      // failure reason from the bank
	PaidAmount Money         `json:"paid_amount,omitempty"` // what the bank reports paid
}

// Key names an item across batches ("batchID#seq").
func ItemKey(batchID string, seq int) string { return fmt.Sprintf("%s#%d", batchID, seq) }

// PaymentBatch is a monthly roster folded from its events.
type PaymentBatch struct {
	ID        string        `json:"id"`
	Month     string        `json:"month"`
	CreatedOn Date          `json:"created_on"`
	CreatedBy string        `json:"created_by"`
	SentOn    Date          `json:"sent_on,omitempty"`
	ReturnOn  Date          `json:"return_on,omitempty"`
	Items     []PaymentItem `json:"items"`
	LastEvent string        `json:"last_event"`
}

// Total sums the items' amounts, and the paid and failed amounts.
func (b *PaymentBatch) Total() (all, paid, failed Money) {
	for _, it := range b.Items {
		all += it.Amount
		switch it.Status {
		case PayPaid:
			paid += it.PaidAmount
		case PayFailed:
			failed += it.Amount
		}
	}
	return
}

// PaymentBatchCreated is the payload of payment.batch_created.
type PaymentBatchCreated struct {
	Month string        `json:"month"`
	Date  Date          `json:"date"`
	Items []PaymentItem `json:"items"`
}

// PaymentBatchSent is the payload of payment.batch_sent.
type PaymentBatchSent struct {
	Date Date `json:"date"`
}

// PaymentResult is the bank's answer for one item.
type PaymentResult struct {
	Seq        int           `json:"seq"`
	Status     PaymentStatus `json:"status"` // PayPaid or PayFailed
	Reason     string        `json:"reason,omitempty"`
	PaidAmount Money         `json:"paid_amount,omitempty"`
}

// PaymentReturned is the payload of payment.returned (one imported return file).
type PaymentReturned struct {
	Date    Date            `json:"date"`
	File    string          `json:"file,omitempty"`
	Results []PaymentResult `json:"results"`
}

// ReserveReceived records money received into the 临时救助 reserve fund.
type ReserveReceived struct {
	Date   Date   `json:"date"`
	Amount Money  `json:"amount"`
	Note   string `json:"note,omitempty"`
}

// FoldBatch folds a batch's events in canonical order. Sending twice keeps the
// first date; a result applies only to an item that is sent and has no result
// yet, so the first return file to report an item decides it everywhere.
func FoldBatch(id string, events []Event) *PaymentBatch {
	var b *PaymentBatch
	for i := range events {
		e := &events[i]
		switch e.Type {
		case EventPaymentBatchCreated:
			if b != nil {
				continue
			}
			var p PaymentBatchCreated
			if decode(e, &p) != nil {
				continue
			}
			b = &PaymentBatch{ID: id, Month: p.Month, CreatedOn: p.Date, CreatedBy: e.Actor.Name, Items: p.Items, LastEvent: e.ID}
			for j := range b.Items {
				b.Items[j].Status, b.Items[j].Reason, b.Items[j].PaidAmount = PayPending, "", 0
			}
		case EventPaymentBatchSent:
			var p PaymentBatchSent
			if b == nil || !b.SentOn.IsZero() || decode(e, &p) != nil {
				continue
			}
			b.SentOn, b.LastEvent = p.Date, e.ID
			for j := range b.Items {
				b.Items[j].Status = PaySent
			}
		case EventPaymentReturned:
			var p PaymentReturned
			if b == nil || b.SentOn.IsZero() || decode(e, &p) != nil {
				continue
			}
			for _, r := range p.Results {
				if r.Seq < 1 || r.Seq > len(b.Items) || (r.Status != PayPaid && r.Status != PayFailed) {
					continue
				}
				it := &b.Items[r.Seq-1]
				if it.Status != PaySent {
					continue
				}
				it.Status, it.Reason = r.Status, r.Reason
				if r.Status == PayPaid {
					it.PaidAmount = r.PaidAmount
				}
			}
			b.ReturnOn, b.LastEvent = p.Date, e.ID
		}
	}
	return b
}

// PayCandidate is a case that may be paid, with its household.
type PayCandidate struct {
	Case      *Case
	Household *Household
}

// Skipped is a case left out of a batch, with the reason shown to the clerk.
type Skipped struct {
	CaseID string `json:"case_id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// PlanBatch builds the roster of month (YYYY-MM): every receiving case whose
// decision was taken before the month (payment starts the month after
// approval), whose phase-out has not ended and which has not been paid or
// batched for the month, at MonthlyAmount under book; one-off 临时救助 grants
// approved and not yet paid; then the failed items to pay again (with the
// household's current account). batched holds "caseID|month" of items
// already in a batch and not failed.
func PlanBatch(month string, cands []PayCandidate, book RuleBook, batched map[string]bool, failed []PaymentItem) ([]PaymentItem, []Skipped, error) {
	md, err := ParseDate(month + "-01")
	if err != nil || len(month) != 7 {
		return nil, nil, FieldErrorf("发放月份", "请按 2024-05 的格式填写发放月份")
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].Case.ID < cands[j].Case.ID })
	var items []PaymentItem
	var skipped []Skipped
	accounts := map[string]*Household{}
	for _, hc := range cands {
		accounts[hc.Household.ID] = hc.Household
	}
	// A failed payment is paid again through its re-queued line below; the
	// case must not also come in as a fresh line for the same month.
	requeued := map[string]bool{}
	for _, f := range failed {
		requeued[f.CaseID+"|"+f.Month] = true
	}
	for _, pc := range cands {
		c, h := pc.Case, pc.Household
		if !c.State.Receiving() {
			continue
		}
		head, _ := h.Head()
		skip := func(reason string) { skipped = append(skipped, Skipped{c.ID, head.Name, reason}) }
		if c.Program == ProgramTemporary {
			if c.State != StateApproved {
				continue
			}
		} else {
			switch {
			case c.DecidedOn.IsZero() || c.DecidedOn.MonthKey() >= month:
				continue // paid from the month after approval
			case c.LastPaidMonth >= month:
				continue
			case c.State == StatePhasingOut && !c.PhaseOutUntil.IsZero() && c.PhaseOutUntil.MonthKey() < month:
				skip("渐退期已满，请办理终止")
				continue
			}
		}
		if batched[c.ID+"|"+month] || requeued[c.ID+"|"+month] {
			continue
		}
		if strings.TrimSpace(h.BankAccount) == "" {
			skip("未登记银行账号")
			continue
		}
		amount := MonthlyAmount(c, h, book, md)
		if amount <= 0 {
			skip("核定金额为0")
			continue
		}
		items = append(items, PaymentItem{CaseID: c.ID, HouseholdID: h.ID, Program: c.Program, Month: month,
			PayeeName: head.Name, PayeeID: head.IDNumber, BankName: h.BankName, Account: NormalizeAccount(h.BankAccount),
			Amount: amount})
	}
	for _, f := range failed {
		it := f
		it.Seq, it.Status, it.Reason, it.PaidAmount = 0, "", "", 0
		if h := accounts[f.HouseholdID]; h != nil && h.BankAccount != "" {
			it.Account, it.BankName = NormalizeAccount(h.BankAccount), h.BankName
		}
		items = append(items, it)
	}
	for i := range items {
		items[i].Seq = i + 1
	}
	return items, skipped, nil
}

// NormalizeAccount strips spaces, dashes and full-width digits from an account number.
func NormalizeAccount(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == ' ' || r == '-' || r == '\u3000' || r == '\t':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// BankReturnRow is one row of a bank return file, as strings, whatever the
// file format (the spreadsheet importer reads .xlsx into these).
type BankReturnRow struct {
	Line    int    // row number in the file, for messages
	Account string // 账号
	Name    string // 户名 (optional)
	Amount  string // 金额
	Status  string // 成功/失败 ...
	Reason  string // 失败原因
}

// ParseBankReturn reads a table (first row: headers) into rows. The columns
// are found by their header, so banks' different layouts all work: 账号/卡号,
// 户名/姓名, 金额/实发金额, 状态/结果/处理结果, 原因/失败原因/备注.
func ParseBankReturn(table [][]string) ([]BankReturnRow, error) {
	if len(table) == 0 {
		return nil, FieldErrorf("银行回盘文件", "文件是空的")
	}
	col := map[string]int{"account": -1, "name": -1, "amount": -1, "status": -1, "reason": -1}
	headerRow := -1
	for r := 0; r < len(table) && r < 10 && headerRow < 0; r++ {
		for i, h := range table[r] {
			h = strings.TrimSpace(h)
			switch {
			case col["account"] < 0 && (strings.Contains(h, "账号") || strings.Contains(h, "卡号") || strings.EqualFold(h, "account")):
				col["account"] = i
			case col["name"] < 0 && (strings.Contains(h, "户名") || strings.Contains(h, "姓名") || strings.EqualFold(h, "name")):
				col["name"] = i
			case col["amount"] < 0 && (strings.Contains(h, "金额") || strings.EqualFold(h, "amount")):
				col["amount"] = i
			case col["reason"] < 0 && (strings.Contains(h, "原因") || strings.Contains(h, "备注") || strings.Contains(h, "说明") || strings.EqualFold(h, "reason")):
				col["reason"] = i
			case col["status"] < 0 && (strings.Contains(h, "状态") || strings.Contains(h, "结果") || strings.EqualFold(h, "status")):
				col["status"] = i
			}
		}
		if col["account"] >= 0 && col["amount"] >= 0 && col["status"] >= 0 {
			headerRow = r
		} else {
			for k := range col {
				col[k] = -1
			}
		}
	}
	if headerRow < 0 {
		return nil, FieldErrorf("银行回盘文件", "未找到表头：需要“账号”“金额”“状态（或处理结果）”三列")
	}
	cell := func(row []string, k string) string {
		if i := col[k]; i >= 0 && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	var out []BankReturnRow
	for r := headerRow + 1; r < len(table); r++ {
		row := table[r]
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue
		}
		out = append(out, BankReturnRow{Line: r + 1, Account: cell(row, "account"), Name: cell(row, "name"),
			Amount: cell(row, "amount"), Status: cell(row, "status"), Reason: cell(row, "reason")})
	}
	return out, nil
}

// ParsePayStatus reads a bank's status text.
func ParsePayStatus(s string) (PaymentStatus, bool) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, w := range []string{"失败", "退回", "退票", "不成功", "fail", "error", "拒绝"} {
		if strings.Contains(t, w) {
			return PayFailed, true
		}
	}
	for _, w := range []string{"成功", "已支付", "已入账", "已到账", "入账", "success", "paid", "ok", "0000"} {
		if strings.Contains(t, w) || t == w {
			return PayPaid, true
		}
	}
	return "", false
}

// MatchBankReturn matches the rows of a return file to the sent items of b by
// account and amount, and returns the results to record. Every row that does
// not fit (unknown account, amount that matches no item, unreadable status,
// a failure without a reason, the same item twice) is reported, and then
// nothing is recorded: a half-imported file is worse than none.
func MatchBankReturn(b *PaymentBatch, rows []BankReturnRow) ([]PaymentResult, error) {
	if len(rows) == 0 {
		return nil, FieldErrorf("银行回盘文件", "文件中没有数据行")
	}
	var probs Problems
	used := map[int]bool{}
	var out []PaymentResult
	for i, r := range rows {
		line := r.Line
		if line == 0 {
			line = i + 2
		}
		field := fmt.Sprintf("第%d行", line)
		acct := NormalizeAccount(r.Account)
		amt, err := ParseMoney(r.Amount)
		if acct == "" {
			probs = append(probs, FieldErrorf(field, "缺少账号"))
			continue
		}
		if err != nil || amt <= 0 {
			probs = append(probs, FieldErrorf(field, "金额“%s”无效", r.Amount))
			continue
		}
		st, ok := ParsePayStatus(r.Status)
		if !ok {
			probs = append(probs, FieldErrorf(field, "无法识别的处理结果“%s”（应为成功或失败）", r.Status))
			continue
		}
		if st == PayFailed && strings.TrimSpace(r.Reason) == "" {
			probs = append(probs, FieldErrorf(field, "发放失败须有失败原因（如账号错误、账户已销户）"))
			continue
		}
		exact, other, sameAccount := -1, -1, false
		for j, it := range b.Items {
			if it.Account != acct || used[j] {
				continue
			}
			sameAccount = true
			if it.Status != PaySent {
				continue
			}
			if it.Amount == amt {
				exact = j
				break
			}
			if other < 0 {
				other = j
			}
		}
		match := exact
		if match < 0 {
			match = other
		}
		if match < 0 {
			if sameAccount {
				probs = append(probs, FieldErrorf(field, "账号 %s 在本批次中已有结果或已处理", MaskAccount(acct)))
			} else {
				probs = append(probs, FieldErrorf(field, "账号 %s 不在本批次发放名单中", MaskAccount(acct)))
			}
			continue
		}
		used[match] = true
		res := PaymentResult{Seq: b.Items[match].Seq, Status: st}
		if st == PayPaid {
			res.PaidAmount = amt
		} else {
			res.Reason = strings.TrimSpace(r.Reason)
		}
		out = append(out, res)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// MaskAccount shows the last four digits of an account.
func MaskAccount(a string) string {
	if len(a) <= 4 {
		return a
	}
	return strings.Repeat("*", len(a)-4) + a[len(a)-4:]
}

// Anomaly kinds of the funds worklist.
const (
	AnomalyEnded      = "ended"       // payment to a terminated or rejected case
	AnomalyPayeeGone  = "payee_gone"  // the payee is no longer a member (death, moved out)
	AnomalyDuplicate  = "duplicate"   // one person paid in two households in a month
	AnomalyAmount     = "amount"      // amount differs from the computed one
	AnomalyNoApproval = "no_approval" // payment without an approval event
	AnomalyBankAmount = "bank_amount" // the bank paid a different amount
)

var anomalyLabels = map[string]string{AnomalyEnded: "向已终止对象发放", AnomalyPayeeGone: "领款人已死亡或迁出",
	AnomalyDuplicate: "一人多户重复领取", AnomalyAmount: "发放金额与核定金额不符", AnomalyNoApproval: "无审批记录发放",
	AnomalyBankAmount: "银行实发金额与应发金额不符"}

// AnomalyLabel names a kind in Chinese.
func AnomalyLabel(kind string) string {
	if l, ok := anomalyLabels[kind]; ok {
		return l
	}
	return kind
}

// Anomaly is one line of the funds worklist.
type Anomaly struct {
	Kind        string `json:"kind"`
	CaseID      string `json:"case_id,omitempty"`
	HouseholdID string `json:"household_id,omitempty"`
	BatchID     string `json:"batch_id,omitempty"`
	Month       string `json:"month,omitempty"`
	Name        string `json:"name,omitempty"`
	Detail      string `json:"detail"`
}

// CheckPayment runs the per-item checks against the case and household as
// they stand now: the case must still pay for the month, the payee must still
// be a member, the amount must be the computed one (and, for monthly
// programs, the decided amount must still match the household's data), and
// the bank must have paid what was sent.
func CheckPayment(it PaymentItem, c *Case, h *Household, book RuleBook) []Anomaly {
	var out []Anomaly
	add := func(kind, format string, args ...any) {
		out = append(out, Anomaly{Kind: kind, CaseID: it.CaseID, HouseholdID: it.HouseholdID, Month: it.Month,
			Name: it.PayeeName, Detail: fmt.Sprintf(format, args...)})
	}
	if it.Status == PayFailed {
		return nil
	}
	if c == nil || h == nil {
		add(AnomalyEnded, "案件或家庭在本机不存在")
		return out
	}
	switch {
	case c.State == StateRejected:
		add(AnomalyEnded, "案件已不予确认，仍列入 %s 发放", it.Month)
	case c.Program != ProgramTemporary && !c.EndedOn.IsZero() && c.EndedOn.MonthKey() < it.Month:
		add(AnomalyEnded, "案件已于 %s 终止，仍发放 %s 的保障金", c.EndedOn, it.Month)
	}
	if _, ok := memberByID(h, it.PayeeID); !ok {
		add(AnomalyPayeeGone, "领款人 %s 已不在该户成员中（死亡或迁出），请核实", it.PayeeName)
	}
	if c.Program != ProgramTemporary {
		md, err := ParseDate(it.Month + "-01")
		if err == nil {
			want := MonthlyAmount(c, h, book, md)
			if want != it.Amount && c.State.Receiving() {
				add(AnomalyAmount, "发放 %s 元，按核定应为 %s 元", it.Amount, want)
			} else if rs, err := book.At(md); err == nil && c.State.Receiving() {
				if now := DecidedAmount(c, h, rs).Amount; now != it.Amount {
					add(AnomalyAmount, "发放 %s 元，按家庭现有情况计算应为 %s 元，请动态复核", it.Amount, now)
				}
			}
		}
	} else if it.Amount != c.Amount {
		add(AnomalyAmount, "发放 %s 元，审批金额为 %s 元", it.Amount, c.Amount)
	}
	if it.Status == PayPaid && it.PaidAmount != 0 && it.PaidAmount != it.Amount {
		add(AnomalyBankAmount, "应发 %s 元，银行实发 %s 元", it.Amount, it.PaidAmount)
	}
	return out
}

func memberByID(h *Household, idNumber string) (Member, bool) {
	for _, m := range h.Members {
		if m.IDNumber == idNumber {
			return m, true
		}
	}
	return Member{}, false
}

// IsApprovalAction reports whether a case step is a decision that allows payment.
func IsApprovalAction(a Action) bool {
	return a == ActionApprove || a == ActionCountyApprove || a == ActionPayFirst
}
