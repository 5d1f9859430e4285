package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"jiuzhu/app"
)

// applyFunds folds a payment or reserve event into its projection.
func applyFunds(ctx context.Context, tx *sql.Tx, e *app.Event) error {
	if e.Type == app.EventReserveReceived {
		var p app.ReserveReceived
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.Amount <= 0 {
			return nil // malformed: kept in the log, changes nothing
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO reserve_receipts (event_id, date, amount, note, added_by)
			VALUES (?, ?, ?, enc(?), ?) ON CONFLICT DO NOTHING`, e.ID, p.Date.String(), int64(p.Amount), p.Note, e.Actor.Name)
		return err
	}
	if e.CaseID == "" {
		return nil
	}
	return refoldBatch(ctx, tx, e.CaseID)
}

func refoldBatch(ctx context.Context, tx *sql.Tx, id string) error {
	events, err := queryEvents(ctx, tx, `SELECT `+eventColumns+` FROM events WHERE case_id = ? AND type LIKE 'payment.%'`+
		canonicalOrder, id)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM payment_items WHERE batch_id = ?`, id); err != nil {
		return err
	}
	b := app.FoldBatch(id, events)
	if b == nil {
		_, err := tx.ExecContext(ctx, `DELETE FROM payment_batches WHERE id = ?`, id)
		return err
	}
	head := *b
	head.Items = nil
	data, _ := json.Marshal(head)
	total, _, _ := b.Total()
	if _, err := tx.ExecContext(ctx, `INSERT INTO payment_batches (id, month, created_on, sent_on, return_on, items, total, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, enc(?)) ON CONFLICT (id) DO UPDATE SET month = excluded.month, created_on = excluded.created_on,
		sent_on = excluded.sent_on, return_on = excluded.return_on, items = excluded.items, total = excluded.total,
		data = excluded.data`, b.ID, b.Month, b.CreatedOn.String(), b.SentOn.String(), b.ReturnOn.String(), len(b.Items),
		int64(total), string(data)); err != nil {
		return fmt.Errorf("save batch %s: %w", id, err)
	}
	for _, it := range b.Items {
		d, _ := json.Marshal(it)
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_items (batch_id, seq, case_id, household_id, program, month,
			payee_name, payee_id, account, amount, status, reason, paid_amount, requeued_from, data)
			VALUES (?, ?, ?, ?, ?, ?, enc(?), enc(?), enc(?), ?, ?, ?, ?, ?, enc(?))`, b.ID, it.Seq, it.CaseID, it.HouseholdID, string(it.Program),
			it.Month, it.PayeeName, it.PayeeID, it.Account, int64(it.Amount), string(it.Status), it.Reason,
			int64(it.PaidAmount), it.RequeuedFrom, string(d)); err != nil {
			return fmt.Errorf("save batch %s item %d: %w", id, it.Seq, err)
		}
	}
	return nil
}

func requireFundsRole(actor app.Actor) error {
	if actor.Role != app.RoleClerk && actor.Role != app.RoleApprover {
		return app.Errorf(app.EFORBIDDEN, "资金发放由乡镇经办人或审批人办理，当前用户是%s", actor.Role.Label())
	}
	return nil
}

// GenerateBatch builds the payment roster of month (YYYY-MM) from the cases
// that receive a benefit, with the amounts the rule book gives for the month,
// and adds the failed payments of earlier batches that were not paid again
// yet. It returns the batch ID and the cases left out, with reasons.
func (s *Store) GenerateBatch(ctx context.Context, actor app.Actor, month string) (string, []app.Skipped, error) {
	if err := requireFundsRole(actor); err != nil {
		return "", nil, err
	}
	fc, err := loadFoldContext(ctx, s.db)
	if err != nil {
		return "", nil, err
	}
	hids, err := strings1(ctx, s.db, `SELECT DISTINCT household_id FROM cases WHERE state IN ('approved', 'paying', 'phasing_out')
		ORDER BY household_id`)
	if err != nil {
		return "", nil, err
	}
	var cands []app.PayCandidate
	for _, hid := range hids {
		agg, err := s.Household(ctx, hid)
		if err != nil {
			return "", nil, err
		}
		for _, id := range agg.CaseIDs() {
			cands = append(cands, app.PayCandidate{Case: agg.Cases[id], Household: &agg.Household})
		}
	}
	batched := map[string]bool{}
	rows, err := s.db.QueryContext(ctx, `SELECT case_id, month FROM payment_items WHERE status <> 'failed'`)
	if err != nil {
		return "", nil, err
	}
	for rows.Next() {
		var c, m string
		if err := rows.Scan(&c, &m); err != nil {
			rows.Close()
			return "", nil, err
		}
		batched[c+"|"+m] = true
	}
	rows.Close()
	failed, err := s.unrequeuedFailures(ctx)
	if err != nil {
		return "", nil, err
	}
	// Pay failed items again into the household's current account (the usual
	// fix for a failure is a corrected or new account).
	for i, f := range failed {
		if agg, err := s.Household(ctx, f.HouseholdID); err == nil && agg.Household.BankAccount != "" {
			failed[i].Account, failed[i].BankName = app.NormalizeAccount(agg.Household.BankAccount), agg.Household.BankName
		}
	}
	items, skipped, err := app.PlanBatch(month, cands, fc.Rules, batched, failed)
	if err != nil {
		return "", nil, err
	}
	if len(items) == 0 {
		return "", skipped, app.Errorf(app.ECONFLICT, "%s 没有需要发放的对象（可能已生成过本月发放名单）", month)
	}
	id := app.NewID()
	_, err = s.append(ctx, actor, draft{Type: app.EventPaymentBatchCreated, CaseID: id,
		Payload: app.PaymentBatchCreated{Month: month, Date: s.Today(), Items: items}})
	return id, skipped, err
}

// unrequeuedFailures lists failed items not yet put into a later batch.
func (s *Store) unrequeuedFailures(ctx context.Context) ([]app.PaymentItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT i.batch_id, dec(i.data) FROM payment_items i WHERE i.status = 'failed'
		AND NOT EXISTS (SELECT 1 FROM payment_items r WHERE r.requeued_from = i.batch_id || '#' || i.seq)
		ORDER BY i.month, i.batch_id, i.seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.PaymentItem
	for rows.Next() {
		var batch, data string
		if err := rows.Scan(&batch, &data); err != nil {
			return nil, err
		}
		var it app.PaymentItem
		if err := json.Unmarshal([]byte(data), &it); err != nil {
			return nil, err
		}
		it.RequeuedFrom = app.ItemKey(batch, it.Seq)
		out = append(out, it)
	}
	return out, rows.Err()
}

// Batch loads a payment batch with its items.
func (s *Store) Batch(ctx context.Context, id string) (*app.PaymentBatch, error) {
	var data string
	err := s.db.QueryRowContext(ctx, `SELECT dec(data) FROM payment_batches WHERE id = ?`, id).Scan(&data)
	if err == sql.ErrNoRows {
		return nil, app.Errorf(app.ENOTFOUND, "未找到该发放批次")
	}
	if err != nil {
		return nil, err
	}
	var b app.PaymentBatch
	if err := json.Unmarshal([]byte(data), &b); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT dec(data) FROM payment_items WHERE batch_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		var it app.PaymentItem
		if err := json.Unmarshal([]byte(d), &it); err != nil {
			return nil, err
		}
		b.Items = append(b.Items, it)
	}
	return &b, rows.Err()
}

// BatchRow is one line of the batch list.
type BatchRow struct {
	ID       string    `json:"id"`
	Month    string    `json:"month"`
	Created  string    `json:"created_on"`
	Sent     string    `json:"sent_on,omitempty"`
	Returned string    `json:"return_on,omitempty"`
	Items    int       `json:"items"`
	Total    app.Money `json:"total"`
	Paid     int       `json:"paid"`
	Failed   int       `json:"failed"`
}

// Batches lists payment batches, newest month first ("" = every month).
func (s *Store) Batches(ctx context.Context, month string) ([]BatchRow, error) {
	q := `SELECT b.id, b.month, b.created_on, b.sent_on, b.return_on, b.items, b.total,
		(SELECT count(*) FROM payment_items i WHERE i.batch_id = b.id AND i.status = 'paid'),
		(SELECT count(*) FROM payment_items i WHERE i.batch_id = b.id AND i.status = 'failed')
		FROM payment_batches b`
	var args []any
	if month != "" {
		q, args = q+` WHERE b.month = ?`, append(args, month)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY b.month DESC, b.created_on DESC, b.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BatchRow
	for rows.Next() {
		var r BatchRow
		var total int64
		if err := rows.Scan(&r.ID, &r.Month, &r.Created, &r.Sent, &r.Returned, &r.Items, &total, &r.Paid, &r.Failed); err != nil {
			return nil, err
		}
		r.Total = app.Money(total)
		out = append(out, r)
	}
	return out, rows.Err()
}

// MarkBatchSent records that the roster went to the bank.
func (s *Store) MarkBatchSent(ctx context.Context, actor app.Actor, batchID string, date app.Date) error {
	if err := requireFundsRole(actor); err != nil {
		return err
	}
	b, err := s.Batch(ctx, batchID)
	if err != nil {
		return err
	}
	if !b.SentOn.IsZero() {
		return app.Errorf(app.ECONFLICT, "该批次已于 %s 报送银行", b.SentOn)
	}
	if date.IsZero() {
		date = s.Today()
	}
	if date.After(s.Today()) || date.Before(b.CreatedOn) {
		return app.FieldErrorf("报送日期", "报送日期应在生成日期 %s 与今天之间", b.CreatedOn)
	}
	_, err = s.append(ctx, actor, draft{Type: app.EventPaymentBatchSent, CaseID: batchID, Payload: app.PaymentBatchSent{Date: date}})
	return err
}

// BankReturnRow is one row of a bank return file as strings (see
// app.ParseBankReturn); the spreadsheet importer fills these from .xlsx.
type BankReturnRow = app.BankReturnRow

// ReturnSummary reports what a bank return import recorded.
type ReturnSummary struct {
	Paid, Failed int
	PaidAmount   app.Money
	CasesPaid    int // cases whose payment step (发放) was recorded from the return
}

// ImportBankReturn records a bank return file for a sent batch: rows are
// matched to items by account and amount; paid items also record the case's
// payment step (发放) for the month, so the case and the ledger show it.
// Failed items go into the next batch GenerateBatch makes. If any row does
// not fit, every problem is reported and nothing is recorded.
func (s *Store) ImportBankReturn(ctx context.Context, actor app.Actor, batchID string, rows []BankReturnRow) (ReturnSummary, error) {
	var sum ReturnSummary
	if actor.Role != app.RoleClerk {
		return sum, app.Errorf(app.EFORBIDDEN, "银行回盘由乡镇经办人导入，当前用户是%s", actor.Role.Label())
	}
	b, err := s.Batch(ctx, batchID)
	if err != nil {
		return sum, err
	}
	if b.SentOn.IsZero() {
		return sum, app.Errorf(app.ECONFLICT, "该批次尚未报送银行，不能导入回盘")
	}
	results, err := app.MatchBankReturn(b, rows)
	if err != nil {
		return sum, err
	}
	today := s.Today()
	drafts := []draft{{Type: app.EventPaymentReturned, CaseID: batchID, Payload: app.PaymentReturned{Date: today, Results: results}}}
	fc, err := loadFoldContext(ctx, s.db)
	if err != nil {
		return sum, err
	}
	paidByCase := map[string][]app.PaymentItem{}
	for _, r := range results {
		it := b.Items[r.Seq-1]
		if r.Status == app.PayPaid {
			sum.Paid++
			sum.PaidAmount += r.PaidAmount
			paidByCase[it.CaseID] = append(paidByCase[it.CaseID], it)
		} else {
			sum.Failed++
		}
	}
	caseIDs := make([]string, 0, len(paidByCase))
	for id := range paidByCase {
		caseIDs = append(caseIDs, id)
	}
	sort.Strings(caseIDs)
	for _, cid := range caseIDs {
		c, agg, err := s.caseWithHousehold(ctx, cid)
		if err != nil || c == nil {
			continue // the anomaly worklist shows it
		}
		items := paidByCase[cid]
		sort.Slice(items, func(i, j int) bool { return items[i].Month < items[j].Month })
		trial, prev := *c, c.LastStep
		for _, it := range items {
			d := app.StepData{Date: today, Month: it.Month, Amount: it.Amount,
				Opinion: fmt.Sprintf("银行回盘确认到账（批次 %s 第 %d 行）", short(batchID), it.Seq)}
			if c.Program == app.ProgramTemporary {
				d.Month = ""
			}
			if trial.Apply(app.ActionPay, actor.Role, d, fc.StepContext(today)) != nil {
				continue
			}
			drafts = append(drafts, draft{Type: app.EventCaseStep, HouseholdID: c.HouseholdID, CaseID: c.ID,
				VillageCode: agg.Household.VillageCode, Payload: app.CaseStep{Action: app.ActionPay, Data: d, Prev: prev}})
			sum.CasesPaid++
		}
	}
	if _, err := s.append(ctx, actor, drafts...); err != nil {
		return ReturnSummary{}, err
	}
	return sum, nil
}

// RecordReserveReceived records money received into the 临时救助 reserve fund.
func (s *Store) RecordReserveReceived(ctx context.Context, actor app.Actor, r app.ReserveReceived) error {
	if err := requireFundsRole(actor); err != nil {
		return err
	}
	if r.Amount <= 0 {
		return app.FieldErrorf("金额", "拨入金额须大于0")
	}
	if r.Date.IsZero() {
		r.Date = s.Today()
	}
	if r.Date.After(s.Today()) {
		return app.FieldErrorf("到账日期", "到账日期不能晚于今天")
	}
	_, err := s.append(ctx, actor, draft{Type: app.EventReserveReceived, Payload: r})
	return err
}

// ReserveUse is one township-approved 临时救助 grant paid from the reserve fund.
type ReserveUse struct {
	CaseID      string    `json:"case_id"`
	HouseholdID string    `json:"household_id"`
	Name        string    `json:"name"`
	DecidedOn   string    `json:"decided_on"`
	Amount      app.Money `json:"amount"`
}

// ReserveReport is the reserve fund of one year: the annual fund set by the
// rules, money actually received, grants paid from it, and the balance.
type ReserveReport struct {
	Year      int
	Fund      app.Money // annual reserve fund in the rules
	Received  app.Money // money recorded as received this year
	Receipts  int
	Used      []ReserveUse
	UsedTotal app.Money
	Balance   app.Money // Fund - UsedTotal, as ReserveBalance computes it
}

// ReserveReport reports the reserve fund of year, with the balance on today
// (or on 31 December for a past year).
func (s *Store) ReserveReport(ctx context.Context, year int) (ReserveReport, error) {
	r := ReserveReport{Year: year}
	on := s.Today()
	if on.Year != year {
		on = app.Date{Year: year, Month: 12, Day: 31}
	}
	bal, rs, err := s.ReserveBalance(ctx, on)
	if err != nil {
		return r, err
	}
	r.Fund, r.Balance = rs.TempReserveFund, bal
	y := fmt.Sprintf("%04d", year)
	var rec int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(sum(amount), 0), count(*) FROM reserve_receipts WHERE substr(date, 1, 4) = ?`,
		y).Scan(&rec, &r.Receipts); err != nil {
		return r, err
	}
	r.Received = app.Money(rec)
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.household_id, dec(h.head_name), json_extract(dec(c.data), '$.decided_on'), c.amount
		FROM cases c JOIN households h ON h.id = c.household_id WHERE c.program = 'temporary'
		AND json_extract(dec(c.data), '$.county_grant') IS NOT 1 AND substr(json_extract(dec(c.data), '$.decided_on'), 1, 4) = ?
		AND c.state IN ('approved', 'paid', 'paid_first', 'archived') ORDER BY 4, c.id`, y)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var u ReserveUse
		var amount int64
		if err := rows.Scan(&u.CaseID, &u.HouseholdID, &u.Name, &u.DecidedOn, &amount); err != nil {
			return r, err
		}
		u.Amount = app.Money(amount)
		r.UsedTotal += u.Amount
		r.Used = append(r.Used, u)
	}
	return r, rows.Err()
}

// FundStats is the 资金 part of the monthly ledger for the rosters of month:
// allocated (on the rosters), paid by the bank, returned (failed), and still
// awaiting the bank's answer. Recovered money comes from the leads
// (LeadStats.Recovered).
type FundStats struct {
	Batches   int
	Items     int
	Allocated app.Money
	Paid      app.Money
	Returned  app.Money
	Pending   app.Money
}

// FundStatistics sums the rosters of month. An item paid again after a
// failure counts once in Allocated for each roster it is on, so Returned is
// the money the bank sent back, and Allocated - Returned is what left the account.
func (s *Store) FundStatistics(ctx context.Context, month string) (FundStats, error) {
	var st FundStats
	var alloc, paid, returned, pending int64
	err := s.db.QueryRowContext(ctx, `SELECT count(DISTINCT i.batch_id), count(*), COALESCE(sum(i.amount), 0),
		COALESCE(sum(CASE WHEN i.status = 'paid' THEN i.paid_amount END), 0),
		COALESCE(sum(CASE WHEN i.status = 'failed' THEN i.amount END), 0),
		COALESCE(sum(CASE WHEN i.status IN ('pending', 'sent') THEN i.amount END), 0)
		FROM payment_items i JOIN payment_batches b ON b.id = i.batch_id WHERE b.month = ?`, month).Scan(
		&st.Batches, &st.Items, &alloc, &paid, &returned, &pending)
	st.Allocated, st.Paid, st.Returned, st.Pending = app.Money(alloc), app.Money(paid), app.Money(returned), app.Money(pending)
	return st, err
}

// FundAnomalies is the funds worklist for month ("" = all months): payments to
// ended cases or to payees who left the household, one person paid in two
// households in a month, amounts that differ from the computed ones, bank
// amounts that differ from what was sent, and payments (roster lines or 发放
// steps in the log) for cases with no approval event.
func (s *Store) FundAnomalies(ctx context.Context, month string) ([]app.Anomaly, error) {
	fc, err := loadFoldContext(ctx, s.db)
	if err != nil {
		return nil, err
	}
	q := `SELECT batch_id, dec(data) FROM payment_items WHERE status <> 'failed'`
	var args []any
	if month != "" {
		q, args = q+` AND month = ?`, append(args, month)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY month, batch_id, seq`, args...)
	if err != nil {
		return nil, err
	}
	type batchItem struct {
		batch string
		it    app.PaymentItem
	}
	var items []batchItem
	for rows.Next() {
		var b, d string
		if err := rows.Scan(&b, &d); err != nil {
			rows.Close()
			return nil, err
		}
		var it app.PaymentItem
		if err := json.Unmarshal([]byte(d), &it); err != nil {
			rows.Close()
			return nil, err
		}
		items = append(items, batchItem{b, it})
	}
	rows.Close()

	households := map[string]*app.Aggregate{}
	household := func(id string) *app.Aggregate {
		if agg, ok := households[id]; ok {
			return agg
		}
		agg, err := s.Household(ctx, id)
		if err != nil {
			agg = nil
		}
		households[id] = agg
		return agg
	}
	var out []app.Anomaly
	paidCases := map[string]app.Anomaly{} // case -> where it was paid, for the approval check
	byMonth := map[string]map[string][]string{}
	for _, bi := range items {
		it := bi.it
		var c *app.Case
		var h *app.Household
		if agg := household(it.HouseholdID); agg != nil {
			c, h = agg.Cases[it.CaseID], &agg.Household
		}
		for _, a := range app.CheckPayment(it, c, h, fc.Rules) {
			a.BatchID = bi.batch
			out = append(out, a)
		}
		if _, ok := paidCases[it.CaseID]; !ok {
			paidCases[it.CaseID] = app.Anomaly{CaseID: it.CaseID, HouseholdID: it.HouseholdID, BatchID: bi.batch,
				Month: it.Month, Name: it.PayeeName}
		}
		// Who is paid: the payee and every covered member of the household.
		if byMonth[it.Month] == nil {
			byMonth[it.Month] = map[string][]string{}
		}
		persons := map[string]bool{it.PayeeID: true}
		if h != nil {
			for _, m := range h.Members {
				if m.Covered {
					persons[m.IDNumber] = true
				}
			}
		}
		for p := range persons {
			if p != "" && !contains(byMonth[it.Month][p], it.HouseholdID) {
				byMonth[it.Month][p] = append(byMonth[it.Month][p], it.HouseholdID)
			}
		}
	}
	for m, persons := range byMonth {
		for idn, hh := range persons {
			if len(hh) < 2 {
				continue
			}
			sort.Strings(hh)
			name := ""
			var heads []string
			for _, hid := range hh {
				if agg := household(hid); agg != nil {
					for _, mem := range agg.Household.Members {
						if mem.IDNumber == idn {
							name = mem.Name
						}
					}
					head, _ := agg.Household.Head()
					heads = append(heads, head.Name+"户")
				}
			}
			out = append(out, app.Anomaly{Kind: app.AnomalyDuplicate, HouseholdID: hh[0], Month: m, Name: name,
				Detail: fmt.Sprintf("%s（身份证号 %s）%s 在 %d 户同时领取：%s", name, app.MaskID(idn), m, len(hh),
					strings.Join(heads, "、"))})
		}
	}

	// 发放 steps in the log, and which cases have an approval event.
	approved := map[string]bool{}
	erows, err := s.db.QueryContext(ctx, `SELECT household_id, case_id, dec(payload) FROM events WHERE type = ? AND case_id <> ''`,
		app.EventCaseStep)
	if err != nil {
		return nil, err
	}
	for erows.Next() {
		var hid, cid string
		var payload []byte
		if err := erows.Scan(&hid, &cid, &payload); err != nil {
			erows.Close()
			return nil, err
		}
		var st app.CaseStep
		if json.Unmarshal(payload, &st) != nil {
			continue
		}
		switch {
		case app.IsApprovalAction(st.Action):
			approved[cid] = true
		case st.Action == app.ActionPay:
			pm := st.Data.Month
			if pm == "" {
				pm = st.Data.Date.MonthKey()
			}
			if _, ok := paidCases[cid]; !ok && (month == "" || pm == month) {
				paidCases[cid] = app.Anomaly{CaseID: cid, HouseholdID: hid, Month: pm}
			}
		}
	}
	erows.Close()
	for cid, a := range paidCases {
		if approved[cid] {
			continue
		}
		if a.Name == "" {
			if agg := household(a.HouseholdID); agg != nil {
				head, _ := agg.Household.Head()
				a.Name = head.Name
			}
		}
		a.Kind = app.AnomalyNoApproval
		a.Detail = fmt.Sprintf("%s 有发放记录，但日志中没有该案件的审批（确认）事件", a.Month)
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.Kind != y.Kind {
			return x.Kind < y.Kind
		}
		if x.Month != y.Month {
			return x.Month < y.Month
		}
		if x.HouseholdID != y.HouseholdID {
			return x.HouseholdID < y.HouseholdID
		}
		return x.CaseID+x.Detail < y.CaseID+y.Detail
	})
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
