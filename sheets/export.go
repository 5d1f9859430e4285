package sheets

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// ExportReport says what an export wrote.
type ExportReport struct {
	Rows    int       `json:"rows"`
	Total   app.Money `json:"total"`
	Persons int       `json:"persons"`
	Omitted int       `json:"omitted"` // rows left out on purpose (minors in 特困 notices)
	Notes   []string  `json:"notes,omitempty"`
}

// parseMonth reads "YYYY-MM".
func parseMonth(s string) (app.Date, error) {
	d, err := app.ParseDate(strings.TrimSpace(s) + "-01")
	if err != nil || len(strings.TrimSpace(s)) != 7 {
		return app.Date{}, app.FieldErrorf("月份", "“%s”不是有效月份，请按 2025-03 的格式填写", s)
	}
	return d, nil
}

func monthEnd(first app.Date) app.Date { return first.AddMonths(1).AddDays(-1) }

// caseRecord is a case with the household columns the exports need.
type caseRecord struct {
	c         app.Case
	h         app.Household // members are loaded only when an amount must be recomputed
	headName  string
	headID    string
	persons   int
	village   string
	villageNm string
}

// loadCases reads cases (optionally of one village) with their household,
// ordered by village and head name.
func loadCases(ctx context.Context, db *sql.DB, village, where string, keep func(*app.Case) bool) ([]caseRecord, error) {
	q := `SELECT dec(c.data), dec(h.data), dec(h.head_name), dec(h.head_id), h.members, h.village_code, h.village_name
		FROM cases c JOIN households h ON h.id = c.household_id WHERE ` + where
	var args []any
	if village != "" {
		q += ` AND h.village_code = ?`
		args = append(args, village)
	}
	rows, err := db.QueryContext(ctx, q+` ORDER BY h.village_code, dec(h.head_name), c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read cases: %w", err)
	}
	defer rows.Close()
	var out []caseRecord
	var cdata, hdata []byte
	for rows.Next() {
		var r caseRecord
		if err := rows.Scan(&cdata, &hdata, &r.headName, &r.headID, &r.persons, &r.village, &r.villageNm); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(cdata, &r.c); err != nil {
			return nil, fmt.Errorf("read case: %w", err)
		}
		if keep != nil && !keep(&r.c) {
			continue
		}
		if err := json.Unmarshal(hdata, &r.h); err != nil {
			return nil, fmt.Errorf("read household: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// loadMembers fills the members of the given households.
func loadMembers(ctx context.Context, db *sql.DB, where string, recs []*caseRecord) error {
	if len(recs) == 0 {
		return nil
	}
	want := map[string][]*caseRecord{}
	for _, r := range recs {
		want[r.c.HouseholdID] = append(want[r.c.HouseholdID], r)
		r.h.Members = nil
	}
	rows, err := db.QueryContext(ctx, `SELECT m.household_id, dec(m.data) FROM members m WHERE m.household_id IN
		(SELECT c.household_id FROM cases c WHERE `+where+`) ORDER BY m.rowid`)
	if err != nil {
		return fmt.Errorf("read members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var hid string
		var data []byte
		if err := rows.Scan(&hid, &data); err != nil {
			return err
		}
		rs, ok := want[hid]
		if !ok {
			continue
		}
		var m app.Member
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		for _, r := range rs {
			r.h.Members = append(r.h.Members, m)
		}
	}
	return rows.Err()
}

// paysIn reports whether a 低保/特困 case pays for the month starting first:
// receiving now, decided before that month (payment starts the month after
// approval) and, in 渐退期, not past its end.
func paysIn(c *app.Case, first app.Date) bool {
	if c.Program == app.ProgramTemporary || !c.State.Receiving() || c.DecidedOn.IsZero() || !c.DecidedOn.Before(first) {
		return false
	}
	if c.State == app.StatePhasingOut && !c.PhaseOutUntil.IsZero() && first.MonthKey() > c.PhaseOutUntil.MonthKey() {
		return false
	}
	return true
}

// receivingSQL selects the cases that may pay monthly (paysIn decides).
const receivingSQL = `c.program <> 'temporary' AND c.state IN ('paying', 'phasing_out', 'approved')`

var paymentColumns = []column{
	{"序号", 7, colInt}, {"村(社区)", 14, colText}, {"户主姓名", 10, colText}, {"身份证号", 21, colText},
	{"救助类别", 9, colText}, {"保障人数", 9, colInt}, {"发放金额(元)", 13, colMoney}, {"开户银行", 16, colText},
	{"银行账号", 24, colText}, {"联系电话", 14, colText}, {"备注", 18, colText},
}

// ExportPayments writes the bank's payment roster for month (YYYY-MM): every
// 低保/特困 case paying that month, its amount under the rules in force that
// month (app.MonthlyAmount), bank and account, and the totals.
//
// The rows are read (readPayees) in chunks on another goroutine while this one
// writes the sheet, so reading the database and writing the XML overlap.
func ExportPayments(ctx context.Context, s *storage.Store, month string, w io.Writer, progress Progress) (*ExportReport, error) {
	first, err := parseMonth(month)
	if err != nil {
		return nil, err
	}
	fc, err := s.FoldContext(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := fc.Rules.At(first)
	if err != nil {
		return nil, err
	}
	b, err := newBook()
	if err != nil {
		return nil, err
	}
	title := fmt.Sprintf("%s%d年%d月城乡低保、特困供养金发放花名册", s.Device().TownshipName, first.Year, int(first.Month))
	sh, err := b.sheet("发放花名册", title, paymentColumns)
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan payeeChunk, 4)
	readErr := make(chan error, 1)
	go func() {
		defer close(chunks)
		readErr <- readPayees(ctx, s.DB(), rs, func(c *app.Case) bool { return paysIn(c, first) }, chunks)
	}()
	fail := func(err error) (*ExportReport, error) {
		cancel()
		for range chunks {
		}
		return nil, err
	}
	rep := &ExportReport{}
	month = first.MonthKey()
	for ch := range chunks {
		for i := range ch.rows {
			p := &ch.rows[i]
			note := ""
			if p.lastPaidMonth >= month {
				note = "本月已登记发放"
			}
			if p.state == app.StatePhasingOut {
				note = strings.TrimPrefix(note+"；渐退期", "；")
			}
			if p.bankAccount == "" {
				note = strings.TrimPrefix(note+"；缺银行账号", "；")
			}
			rep.Rows++
			rep.Total += p.amount
			rep.Persons += p.persons
			if err := sh.add(rep.Rows, p.villageNm, p.headName, p.headID, p.program.Label(), p.persons, p.amount.Yuan(),
				p.bankName, p.bankAccount, p.phone, note); err != nil {
				return fail(err)
			}
		}
		progress.report(ch.done, ch.total)
	}
	if err := <-readErr; err != nil {
		return nil, err
	}
	if err := sh.total("合计", fmt.Sprintf("%d户", rep.Rows), "", "", "", rep.Persons, rep.Total.Yuan()); err != nil {
		return nil, err
	}
	if err := sh.note(fmt.Sprintf("执行标准：%s版（城市低保%s元/人·月，农村低保%s元/人·月）。制表：%s　制表日期：%s",
		rs.Version, rs.DibaoStandardUrban, rs.DibaoStandardRural, s.Device().TownshipName, s.Today())); err != nil {
		return nil, err
	}
	if err := sh.flush(); err != nil {
		return nil, err
	}
	return rep, b.write(w)
}

// payee is one row of the payment roster: what the roster shows and the
// amount for the month.
type payee struct {
	program       app.Program
	state         app.State
	lastPaidMonth string
	amount        app.Money // app.MonthlyAmount under the month's rule set
	persons       int
	headName      string
	headID        string
	villageNm     string
	bankName      string
	bankAccount   string
	phone         string
}

// payeeChunk is a run of roster rows in roster order; done of total cases read.
type payeeChunk struct {
	rows        []payee
	done, total int
}

// amountInputs is everything app.DecidedAmount reads: the area, the incomes
// and assets (as stored JSON), how many members there are and how many are
// covered (低保), the care mode and self-care level (特困). Households with
// the same inputs get the same amount, so each distinct one is computed once.
type amountInputs struct {
	program          app.Program
	area             string
	careMode         string
	selfCare         string
	members, covered int
	incomes, assets  string
}

const payeeChunkSize = 512

// readPayees sends, in chunks and in roster order (village, head name, case),
// the cases that may pay monthly (receivingSQL) and keep accepts, each with
// its amount for the month of rs: the decided amount, or - when rs took
// effect after the decision - what rs gives the household, as
// app.MonthlyAmount computes it but with the rule set looked up once.
//
// One read transaction: first the order, as row IDs (so SQLite sorts keys,
// not every row's JSON), then the rows by ID a chunk at a time. Only the
// fields needed are taken from the case and household JSON (jsonFields);
// member rows are read only for 低保 cases, and then only their covered flags.
func readPayees(ctx context.Context, db *sql.DB, rs app.RuleSet, keep func(*app.Case) bool, out chan<- payeeChunk) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var ids []int64
	rows, err := tx.QueryContext(ctx, `SELECT c.rowid FROM cases c JOIN households h ON h.id = c.household_id
		WHERE `+receivingSQL+` ORDER BY h.village_code, dec(h.head_name), c.id`)
	if err != nil {
		return fmt.Errorf("read cases: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `SELECT c.rowid, c.program, c.state, c.amount, dec(c.data),
		dec(h.head_name), dec(h.head_id), h.members, h.village_name, dec(h.data),
		CASE WHEN c.program = 'dibao' THEN (SELECT count(*) FROM members m WHERE m.household_id = h.id
			AND json_extract(dec(m.data), '$.covered') IS 1) ELSE 0 END
		FROM cases c JOIN households h ON h.id = c.household_id
		WHERE c.rowid IN (SELECT value FROM json_each(?))`)
	if err != nil {
		return fmt.Errorf("read cases: %w", err)
	}
	defer stmt.Close()

	memo := map[amountInputs]app.Money{}
	var (
		p                 payee
		c                 app.Case
		in                amountInputs
		rowid, amount     int64
		program, state    string
		cdata, hdata      sql.RawBytes
		decided, phaseOut []byte
		ferr              error
		list              []byte
	)
	str := func(raw []byte, dst *string) {
		if s, err := jsonString(raw); err != nil {
			ferr = err
		} else {
			*dst = s
		}
	}
	caseField := func(key, raw []byte) {
		switch string(key) {
		case "decided_on":
			decided = raw
		case "phase_out_until":
			phaseOut = raw
		case "last_paid_month":
			str(raw, &p.lastPaidMonth)
		case "care_mode":
			str(raw, &in.careMode)
		case "self_care":
			str(raw, &in.selfCare)
		}
	}
	householdField := func(key, raw []byte) {
		switch string(key) {
		case "area":
			str(raw, &in.area)
		case "phone":
			str(raw, &p.phone)
		case "bank_name":
			str(raw, &p.bankName)
		case "bank_account":
			str(raw, &p.bankAccount)
		case "incomes":
			in.incomes = string(raw)
		case "assets":
			in.assets = string(raw)
		}
	}
	for start := 0; start < len(ids); start += payeeChunkSize {
		chunk := ids[start:min(start+payeeChunkSize, len(ids))]
		pos := make(map[int64]int, len(chunk))
		list = append(list[:0], '[')
		for i, id := range chunk {
			pos[id] = i
			if i > 0 {
				list = append(list, ',')
			}
			list = strconv.AppendInt(list, id, 10)
		}
		list = append(list, ']')
		got := make([]payee, len(chunk))
		kept := make([]bool, len(chunk))
		rows, err := stmt.QueryContext(ctx, string(list))
		if err != nil {
			return fmt.Errorf("read cases: %w", err)
		}
		for rows.Next() {
			p, in = payee{}, amountInputs{}
			decided, phaseOut, ferr = nil, nil, nil
			if err := rows.Scan(&rowid, &program, &state, &amount, &cdata, &p.headName, &p.headID, &p.persons,
				&p.villageNm, &hdata, &in.covered); err != nil {
				rows.Close()
				return err
			}
			if err := jsonFields(cdata, caseField); err != nil {
				rows.Close()
				return fmt.Errorf("read case: %w", err)
			}
			if err := jsonFields(hdata, householdField); err != nil {
				rows.Close()
				return fmt.Errorf("read household: %w", err)
			}
			var ds, ps string
			str(decided, &ds)
			str(phaseOut, &ps)
			c = app.Case{Program: app.Program(program), State: app.State(state), Amount: app.Money(amount),
				LastPaidMonth: p.lastPaidMonth}
			if ferr == nil {
				c.DecidedOn, ferr = isoDate(ds)
			}
			if ferr == nil {
				c.PhaseOutUntil, ferr = isoDate(ps)
			}
			if ferr != nil {
				rows.Close()
				return fmt.Errorf("read case: %w", ferr)
			}
			if !keep(&c) {
				continue
			}
			p.program, p.state, p.amount = c.Program, c.State, c.Amount
			if c.Program != app.ProgramTemporary && c.State.Receiving() && rs.EffectiveFrom.After(c.DecidedOn) {
				in.program, in.members = c.Program, p.persons
				if in.program != app.ProgramDibao {
					in.members, in.covered, in.incomes, in.assets = 0, 0, "", "" // 特困 is per person
				} else {
					in.careMode, in.selfCare = "", ""
				}
				a, ok := memo[in]
				if !ok {
					if a, err = decidedAmount(&c, &in, rs); err != nil {
						rows.Close()
						return err
					}
					memo[in] = a
				}
				p.amount = a
			}
			i := pos[rowid]
			got[i], kept[i] = p, true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		n := 0
		for i := range got {
			if kept[i] {
				got[n] = got[i]
				n++
			}
		}
		select {
		case out <- payeeChunk{rows: got[:n], done: start + len(chunk), total: len(ids)}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// decidedAmount runs app.DecidedAmount on a household holding exactly the
// inputs it reads.
func decidedAmount(c *app.Case, in *amountInputs, rs app.RuleSet) (app.Money, error) {
	h := app.Household{Area: app.Area(in.area), Members: make([]app.Member, in.members)}
	for i := 0; i < in.covered && i < in.members; i++ {
		h.Members[i].Covered = true
	}
	if in.incomes != "" {
		if err := json.Unmarshal([]byte(in.incomes), &h.Incomes); err != nil {
			return 0, fmt.Errorf("read household incomes: %w", err)
		}
	}
	if in.assets != "" {
		if err := json.Unmarshal([]byte(in.assets), &h.Assets); err != nil {
			return 0, fmt.Errorf("read household assets: %w", err)
		}
	}
	cc := *c
	cc.CareMode, cc.SelfCare = app.CareMode(in.careMode), app.SelfCareLevel(in.selfCare)
	return app.DecidedAmount(&cc, &h, rs).Amount, nil
}

// isoDate reads a stored date ("" is the zero date) without time.Parse for
// the usual YYYY-MM-DD.
func isoDate(s string) (app.Date, error) {
	if s == "" {
		return app.Date{}, nil
	}
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, m, d := atoi(s[0:4]), atoi(s[5:7]), atoi(s[8:10])
		if y > 0 && m >= 1 && m <= 12 && d >= 1 && d <= 31 {
			return app.Date{Year: y, Month: time.Month(m), Day: d}, nil
		}
	}
	return app.ParseDate(s)
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// NoticeOptions tune the public notice.
type NoticeOptions struct {
	MaskedID bool // add a column with the head's ID masked (3401**********1234)
}

// ExportNotice writes the public notice (公示/公布) of a village: cases in
// their notice period and cases receiving assistance, with only what may be
// posted: name, village, persons, amount, program, dates and the complaint
// phone. Never an ID number in full, never income; minors are not posted in
// 特困 lists.
func ExportNotice(ctx context.Context, s *storage.Store, village string, w io.Writer, opt NoticeOptions) (*ExportReport, error) {
	if !app.ValidVillageCode(village) {
		return nil, app.FieldErrorf("村(社区)代码", "请填写12位村(社区)代码")
	}
	recs, err := loadCases(ctx, s.DB(), village, "1", func(c *app.Case) bool {
		return c.State == app.StateNoticed || c.State.Receiving() || (c.Program == app.ProgramTemporary &&
			(c.State == app.StatePaid || c.State == app.StatePaidFirst))
	})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		vs, _ := s.Villages(ctx)
		known := false
		for _, v := range vs {
			known = known || v.Code == village
		}
		if !known {
			return nil, app.Errorf(app.ENOTFOUND, "没有村(社区)代码为 %s 的家庭，请核对代码", village)
		}
	}
	ptrs := make([]*caseRecord, len(recs))
	for i := range recs {
		ptrs[i] = &recs[i]
	}
	if err := loadMembers(ctx, s.DB(), "c.village_code = '"+village+"'", ptrs); err != nil {
		return nil, err
	}
	fc, err := s.FoldContext(ctx)
	if err != nil {
		return nil, err
	}
	today := s.Today()
	rs := fc.StepContext(today).Rules
	// Notices in progress first, then the standing list, by program.
	sort.SliceStable(recs, func(i, j int) bool {
		ni, nj := recs[i].c.State == app.StateNoticed, recs[j].c.State == app.StateNoticed
		if ni != nj {
			return ni
		}
		return programOrder(recs[i].c.Program) < programOrder(recs[j].c.Program)
	})
	cols := []column{{"序号", 7, colInt}, {"姓名", 10, colText}, {"村(社区)", 14, colText}, {"保障人数", 9, colInt},
		{"金额(元)", 12, colMoney}, {"救助类别", 10, colText}, {"状态", 10, colText}, {"日期", 26, colText}}
	if opt.MaskedID {
		cols = append(cols, column{"身份证号", 21, colText})
	}
	b, err := newBook()
	if err != nil {
		return nil, err
	}
	vname := village
	if len(recs) > 0 {
		vname = recs[0].villageNm
	}
	sh, err := b.sheet("公示", fmt.Sprintf("%s%s社会救助公示", s.Device().TownshipName, vname), cols)
	if err != nil {
		return nil, err
	}
	rep := &ExportReport{}
	for _, r := range recs {
		if r.c.Program == app.ProgramTekun && hasMinor(&r.h, today) {
			rep.Omitted++
			continue
		}
		status, dates := "保障中", ""
		switch {
		case r.c.State == app.StateNoticed:
			status, dates = "公示中", fmt.Sprintf("公示期 %s 至 %s", r.c.NoticeFrom, r.c.NoticeTo)
		case r.c.Program == app.ProgramTemporary:
			status, dates = "已救助", "救助日期 "+r.c.DecidedOn.String()
		default:
			dates = "纳入时间 " + r.c.DecidedOn.String()
			if r.c.State == app.StatePhasingOut {
				status = "渐退期"
			}
		}
		amount := r.c.Amount
		if r.c.State == app.StateNoticed && r.c.Program != app.ProgramTemporary {
			amount = app.DecidedAmount(&r.c, &r.h, rs).Amount // the amount proposed
		} else if r.c.Program != app.ProgramTemporary {
			amount = app.MonthlyAmount(&r.c, &r.h, fc.Rules, today)
		}
		rep.Rows++
		rep.Total += amount
		rep.Persons += r.h.CoveredCount()
		vals := []any{rep.Rows, r.headName, r.villageNm, r.h.CoveredCount(), amount.Yuan(), r.c.Program.Label(), status, dates}
		if opt.MaskedID {
			vals = append(vals, app.MaskID(r.headID))
		}
		if err := sh.add(vals...); err != nil {
			return nil, err
		}
	}
	if rep.Rows == 0 {
		if err := sh.note("本村(社区)目前没有需要公示的对象。"); err != nil {
			return nil, err
		}
	}
	if rep.Omitted > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("按规定未公示 %d 户含未成年人的特困供养对象", rep.Omitted))
	}
	if err := sh.note(fmt.Sprintf("公示期内如有异议，请向乡镇人民政府反映。监督举报电话：%s。公示日期：%s。", rs.ComplaintPhone, today)); err != nil {
		return nil, err
	}
	if err := sh.flush(); err != nil {
		return nil, err
	}
	return rep, b.write(w)
}

func programOrder(p app.Program) int {
	for i, x := range app.Programs {
		if x == p {
			return i
		}
	}
	return len(app.Programs)
}

func hasMinor(h *app.Household, today app.Date) bool {
	for _, m := range h.Members {
		if info, err := app.ParseID(m.IDNumber); err == nil && info.Age(today) < 18 {
			return true
		}
	}
	return false
}
