package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"jiuzhu/app"
)

// Household loads a household with its cases, conflicts and attachments.
func (s *Store) Household(ctx context.Context, id string) (*app.Aggregate, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	agg, _, err := loadAggregate(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if !agg.Exists {
		return nil, app.Errorf(app.ENOTFOUND, "未找到该家庭")
	}
	return agg, nil
}

func (s *Store) caseWithHousehold(ctx context.Context, caseID string) (*app.Case, *app.Aggregate, error) {
	var hid string
	err := s.db.QueryRowContext(ctx, `SELECT household_id FROM cases WHERE id = ?`, caseID).Scan(&hid)
	if err == sql.ErrNoRows {
		return nil, nil, app.Errorf(app.ENOTFOUND, "未找到该案件")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find case %s: %w", caseID, err)
	}
	agg, err := s.Household(ctx, hid)
	if err != nil {
		return nil, nil, err
	}
	return agg.Cases[caseID], agg, nil
}

// Case loads one case with its household.
func (s *Store) Case(ctx context.Context, caseID string) (*app.Case, *app.Aggregate, error) {
	return s.caseWithHousehold(ctx, caseID)
}

// FoldContext returns the rules and calendar in force on this device.
func (s *Store) FoldContext(ctx context.Context) (app.FoldContext, error) {
	return loadFoldContext(ctx, s.db)
}

// CaseRow is one line of the case list.
type CaseRow struct {
	CaseID      string      `json:"case_id"`
	HouseholdID string      `json:"household_id"`
	Program     app.Program `json:"program"`
	State       app.State   `json:"state"`
	HeadName    string      `json:"head_name"`
	HeadID      string      `json:"-"`
	VillageCode string      `json:"village_code"`
	VillageName string      `json:"village"`
	Persons     int         `json:"persons"`
	Amount      app.Money   `json:"amount"`
	AppliedOn   string      `json:"applied_on"`
	NextStep    app.Step    `json:"next_step,omitempty"`
	NextDue     string      `json:"next_due,omitempty"`
}

// CaseFilter selects cases; zero fields match everything.
type CaseFilter struct {
	Query       string // name fragment or ID-number fragment
	VillageCode string
	Program     app.Program
	State       app.State
	DueBefore   string // next_due <= this date (YYYY-MM-DD)
	Sort        string // "applied", "due", "name", "amount", "village" (default: applied desc)
	Desc        bool
	Limit       int // default 500
	Offset      int
}

// caseWhere renders the filter's conditions on cases c (and its household's
// members) as a WHERE clause, "" when it selects everything.
func (s *Store) caseWhere(ctx context.Context, f CaseFilter) (string, []any, error) {
	var where []string
	var args []any
	if f.Query != "" {
		cond, qargs, err := s.memberMatch(ctx, f.Query)
		if err != nil {
			return "", nil, err
		}
		where = append(where, `c.household_id IN (SELECT m.household_id FROM members m WHERE `+cond+`)`)
		args = append(args, qargs...)
	}
	if f.VillageCode != "" {
		where, args = append(where, `c.village_code = ?`), append(args, f.VillageCode)
	}
	if f.Program != "" {
		where, args = append(where, `c.program = ?`), append(args, string(f.Program))
	}
	if f.State != "" {
		where, args = append(where, `c.state = ?`), append(args, string(f.State))
	}
	if f.DueBefore != "" {
		where, args = append(where, `c.next_due <> '' AND c.next_due <= ?`), append(args, f.DueBefore)
	}
	if len(where) == 0 {
		return "", args, nil
	}
	return ` WHERE ` + strings.Join(where, ` AND `), args, nil
}

// Cases lists cases with their household head.
func (s *Store) Cases(ctx context.Context, f CaseFilter) ([]CaseRow, error) {
	where, args, err := s.caseWhere(ctx, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT c.id, c.household_id, c.program, c.state, dec(h.head_name), dec(h.head_id), c.village_code, h.village_name,
		h.members, c.amount, c.applied_on, c.next_step, c.next_due FROM cases c JOIN households h ON h.id = c.household_id` + where
	order := map[string]string{"applied": "c.applied_on", "due": "c.next_due = '', c.next_due", "name": "dec(h.head_name)",
		"amount": "c.amount", "village": "c.village_code", "state": "c.state", "program": "c.program"}[f.Sort]
	if order == "" {
		order, f.Desc = "c.applied_on", !f.Desc
	}
	dir := ""
	if f.Desc {
		dir = " DESC"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	q += ` ORDER BY ` + order + dir + `, c.id LIMIT ? OFFSET ?`
	args = append(args, limit, f.Offset)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	var out []CaseRow
	for rows.Next() {
		var r CaseRow
		var amount int64
		if err := rows.Scan(&r.CaseID, &r.HouseholdID, &r.Program, &r.State, &r.HeadName, &r.HeadID, &r.VillageCode,
			&r.VillageName, &r.Persons, &amount, &r.AppliedOn, &r.NextStep, &r.NextDue); err != nil {
			return nil, err
		}
		r.Amount = app.Money(amount)
		out = append(out, r)
	}
	return out, rows.Err()
}

// MemberRow is a search hit on a person.
type MemberRow struct {
	MemberID    string       `json:"member_id"`
	HouseholdID string       `json:"household_id"`
	Name        string       `json:"name"`
	IDNumber    string       `json:"id_number"`
	Relation    app.Relation `json:"relation"`
	Sex         app.Sex      `json:"sex"`
	Birth       string       `json:"birth"`
	VillageName string       `json:"village"`
	HeadName    string       `json:"head_name"`
}

// SearchMembers finds people by name or ID fragment, optionally in one village.
func (s *Store) SearchMembers(ctx context.Context, query, village string, limit int) ([]MemberRow, error) {
	cond, args, err := s.memberMatch(ctx, query)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + memberRowColumns + ` FROM members m JOIN households h ON h.id = m.household_id WHERE ` + cond
	if village != "" {
		q += ` AND h.village_code = ?`
		args = append(args, village)
	}
	if limit <= 0 {
		limit = 200
	}
	q += ` LIMIT ?`
	args = append(args, limit)
	return queryMembers(ctx, s.db, q, args...)
}

const memberRowColumns = `m.id, m.household_id, dec(m.name), dec(m.id_number), m.relation, m.sex, m.birth, h.village_name,
	dec(h.head_name)`

func queryMembers(ctx context.Context, q querier, query string, args ...any) ([]MemberRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query members: %w", err)
	}
	defer rows.Close()
	var out []MemberRow
	for rows.Next() {
		var r MemberRow
		if err := rows.Scan(&r.MemberID, &r.HouseholdID, &r.Name, &r.IDNumber, &r.Relation, &r.Sex, &r.Birth,
			&r.VillageName, &r.HeadName); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PersonElsewhere returns the households (other than exceptHousehold) where a
// person with this ID number is registered: the duplicate-person warning.
func (s *Store) PersonElsewhere(ctx context.Context, idNumber, exceptHousehold string) ([]MemberRow, error) {
	return queryMembers(ctx, s.db, `SELECT `+memberRowColumns+` FROM members m JOIN households h ON h.id = m.household_id
		WHERE m.id_hash = idx(?) AND m.household_id <> ?`, idNumber, exceptHousehold)
}

// Count is a number of cases by program and state.
type Count struct {
	Program app.Program
	State   app.State
	Cases   int
}

// Counts returns case counts by program and state.
func (s *Store) Counts(ctx context.Context) ([]Count, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT program, state, count(*) FROM cases GROUP BY program, state ORDER BY program, state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Program, &c.State, &c.Cases); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Village is a village code with its name, as registered.
type Village struct{ Code, Name string }

// Villages lists the villages that have households.
func (s *Store) Villages(ctx context.Context) ([]Village, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT village_code, max(village_name) FROM households GROUP BY village_code ORDER BY village_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Village
	for rows.Next() {
		var v Village
		if err := rows.Scan(&v.Code, &v.Name); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Conflicts lists conflicts; open only when openOnly.
func (s *Store) Conflicts(ctx context.Context, openOnly bool) ([]app.Conflict, error) {
	where := ``
	if openOnly {
		where = `WHERE resolution = ''`
	}
	return queryConflicts(ctx, s.db, where)
}

func queryConflicts(ctx context.Context, q querier, where string, args ...any) ([]app.Conflict, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, household_id, case_id, kind, subject, target, kept_event, other_event,
		dec(kept_value), dec(other_value), resolution, resolved_by, resolved_hlc FROM conflicts `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("query conflicts: %w", err)
	}
	defer rows.Close()
	var out []app.Conflict
	for rows.Next() {
		var c app.Conflict
		var hlc string
		if err := rows.Scan(&c.ID, &c.HouseholdID, &c.CaseID, &c.Kind, &c.Subject, &c.Target, &c.KeptEvent,
			&c.OtherEvent, &c.KeptValue, &c.OtherValue, &c.Resolution, &c.ResolvedBy, &hlc); err != nil {
			return nil, err
		}
		if hlc != "" {
			c.ResolvedHLC, _ = app.ParseHLC(hlc)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Attachments lists the files of a case.
func (s *Store) Attachments(ctx context.Context, caseID string) ([]app.Attachment, error) {
	return queryAttachments(ctx, s.db, `WHERE case_id = ?`, caseID)
}

func queryAttachments(ctx context.Context, q querier, where string, args ...any) ([]app.Attachment, error) {
	rows, err := q.QueryContext(ctx, `SELECT event_id, household_id, case_id, sha256, dec(name), mime, size, dec(note), added_by, hlc
		FROM attachments `+where+` ORDER BY hlc, event_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("query attachments: %w", err)
	}
	defer rows.Close()
	var out []app.Attachment
	for rows.Next() {
		var a app.Attachment
		var hlc string
		if err := rows.Scan(&a.EventID, &a.HouseholdID, &a.CaseID, &a.SHA256, &a.Name, &a.MIME, &a.Size, &a.Note,
			&a.AddedBy, &hlc); err != nil {
			return nil, err
		}
		a.HLC, _ = app.ParseHLC(hlc)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Event loads one event by id.
func (s *Store) Event(ctx context.Context, id string) (app.Event, error) {
	return scanEvent(s.db.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ?`, id))
}

// Pending is the number of this device's events the county has not acknowledged.
func (s *Store) Pending(ctx context.Context) (int, error) {
	var n int
	// This device's sequence is gap-free from 1, so the count is a difference
	// of two index lookups rather than a walk over every unacknowledged event.
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT max(device_seq) FROM events WHERE device_id = ?), 0)
		- COALESCE((SELECT acked_seq FROM acks WHERE device_id = ?), 0)`, s.device.ID, s.device.ID).Scan(&n)
	return n, err
}
