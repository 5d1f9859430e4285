package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"jiuzhu/app"
)

// Worklist kinds (信息核对 results).
const (
	WorklistMissed = "missed" // 疑似漏保: in hardship, not covered
	WorklistWrong  = "wrong"  // 疑似错保: covered, with a red flag
)

// Worklist visit results a clerk closes an item with.
const (
	ResultIncluded    = "included"     // 已纳入保障 (漏保 fixed)
	ResultExited      = "exited"       // 已停发/退出 (错保 fixed)
	ResultConfirmedOK = "confirmed_ok" // 核实无问题
	ResultOther       = "other"        // 其他 (see the note)
)

// ResultLabel is the Chinese label of a visit result.
func ResultLabel(r string) string {
	switch r {
	case ResultIncluded:
		return "已纳入保障"
	case ResultExited:
		return "已停发退出"
	case ResultConfirmedOK:
		return "核实无问题"
	case ResultOther:
		return "其他"
	}
	return ""
}

// WorklistItem is one person flagged by a cross-check.
type WorklistItem struct {
	ID          string
	Source      string
	Kind        string
	IDNumber    string
	Name        string
	HouseholdID string
	VillageCode string
	VillageName string
	Reason      string
	Detail      string
	File        string
	CreatedOn   string
	CreatedBy   string
	Status      string
	Result      string
	ResultNote  string
	ClosedOn    string
	ClosedBy    string
}

// AddWorklistItems stores new items; an item whose person already has an open
// item of the same source and kind is skipped (re-running a list adds
// nothing). It returns how many were added, and fills ID of each added item
// (items skipped keep the ID of the open one).
func (s *Store) AddWorklistItems(ctx context.Context, actor app.Actor, items []WorklistItem) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	today := s.Today().String()
	added := 0
	for i := range items {
		it := &items[i]
		if it.Kind != WorklistMissed && it.Kind != WorklistWrong {
			return 0, fmt.Errorf("worklist: bad kind %q", it.Kind)
		}
		var existing string
		err := tx.QueryRowContext(ctx, `SELECT id FROM worklist_items WHERE source = ? AND kind = ? AND id_hash = idx(?)
			AND status = 'open'`, it.Source, it.Kind, it.IDNumber).Scan(&existing)
		if err == nil {
			it.ID = existing
			continue
		}
		if err != sql.ErrNoRows {
			return 0, fmt.Errorf("worklist: %w", err)
		}
		it.ID, it.CreatedOn, it.CreatedBy, it.Status = app.NewID(), today, actor.Name, "open"
		if _, err := tx.ExecContext(ctx, `INSERT INTO worklist_items (id, source, kind, id_number, id_hash, name, household_id,
			village_code, village_name, reason, detail, file, created_on, created_by)
			VALUES (?, ?, ?, enc(?), idx(?), enc(?), ?, ?, ?, ?, enc(?), ?, ?, ?)`,
			it.ID, it.Source, it.Kind, it.IDNumber, it.IDNumber, it.Name, it.HouseholdID, it.VillageCode, it.VillageName, it.Reason,
			it.Detail, it.File, it.CreatedOn, it.CreatedBy); err != nil {
			return 0, fmt.Errorf("worklist: add: %w", err)
		}
		added++
	}
	return added, tx.Commit()
}

// CloseWorklistItem records the visit result of an item (result is one of the
// Result constants; a note is required for ResultOther).
func (s *Store) CloseWorklistItem(ctx context.Context, actor app.Actor, id, result, note string, on app.Date) error {
	if ResultLabel(result) == "" {
		return app.FieldErrorf("核查结果", "请选择核查结果：已纳入保障、已停发退出、核实无问题或其他")
	}
	if result == ResultOther && strings.TrimSpace(note) == "" {
		return app.FieldErrorf("核查情况", "选择“其他”时请写明核查情况")
	}
	if on.IsZero() {
		on = s.Today()
	}
	if on.After(s.Today()) {
		return app.FieldErrorf("核查日期", "核查日期不能晚于今天")
	}
	var status string
	err := s.db.QueryRowContext(ctx, `SELECT status FROM worklist_items WHERE id = ?`, id).Scan(&status)
	if err == sql.ErrNoRows {
		return app.Errorf(app.ENOTFOUND, "未找到该核查事项")
	}
	if err != nil {
		return err
	}
	if status != "open" {
		return app.Errorf(app.ECONFLICT, "该核查事项已办结，不能重复办结")
	}
	_, err = s.db.ExecContext(ctx, `UPDATE worklist_items SET status = 'closed', result = ?, result_note = enc(?),
		closed_on = ?, closed_by = ? WHERE id = ? AND status = 'open'`, result, strings.TrimSpace(note), on.String(), actor.Name, id)
	return err
}

// WorklistFilter selects worklist items; zero fields match everything.
type WorklistFilter struct {
	Source, Kind, Status string
}

// WorklistItems lists items, oldest first.
func (s *Store) WorklistItems(ctx context.Context, f WorklistFilter) ([]WorklistItem, error) {
	q := `SELECT id, source, kind, dec(id_number), dec(name), household_id, village_code, village_name, reason, dec(detail),
		file, created_on, created_by, status, result, dec(result_note), closed_on, closed_by FROM worklist_items WHERE 1`
	var args []any
	for _, c := range []struct{ col, v string }{{"source", f.Source}, {"kind", f.Kind}, {"status", f.Status}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY created_on, village_code, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("worklist: %w", err)
	}
	defer rows.Close()
	var out []WorklistItem
	for rows.Next() {
		var it WorklistItem
		if err := rows.Scan(&it.ID, &it.Source, &it.Kind, &it.IDNumber, &it.Name, &it.HouseholdID, &it.VillageCode,
			&it.VillageName, &it.Reason, &it.Detail, &it.File, &it.CreatedOn, &it.CreatedBy, &it.Status, &it.Result,
			&it.ResultNote, &it.ClosedOn, &it.ClosedBy); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}
