package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"jiuzhu/app"
)

// The cross-check screening worklist (信息核对). Items and visit results are
// events (app.EventWorklistAdded, app.EventWorklistClosed) folded into
// worklist_items by worklist_projection.go, so they sync like every other
// record. The domain lives in app/worklist.go; these string constants keep
// the callers' vocabulary.

// Worklist kinds (信息核对 results).
const (
	WorklistMissed = string(app.WorklistMissed) // 疑似漏保: in hardship, not covered
	WorklistWrong  = string(app.WorklistWrong)  // 疑似错保: covered, with a red flag
)

// Worklist visit results a clerk closes an item with.
const (
	ResultIncluded    = string(app.WorklistIncluded)    // 已纳入保障 (漏保 fixed)
	ResultExited      = string(app.WorklistExited)      // 已停发/退出 (错保 fixed)
	ResultConfirmedOK = string(app.WorklistConfirmedOK) // 核实无问题
	ResultOther       = string(app.WorklistOther)       // 其他 (see the note)
)

// Worklist statuses.
const (
	WorklistStatusOpen   = string(app.WorklistOpen)
	WorklistStatusClosed = string(app.WorklistClosedState)
	WorklistStatusMerged = string(app.WorklistMerged)
)

// ResultLabel is the Chinese label of a visit result ("" for an unknown one).
func ResultLabel(r string) string { return app.WorklistResult(r).Label() }

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
	// MergedInto is the open item of the same person this one joined
	// (status merged): another device had added it before this one.
	MergedInto string
	// OtherCloses are visit results recorded after the one in force (two
	// devices closed the item before syncing): kept and shown, not applied.
	OtherCloses []app.WorklistClose
}

// AddWorklistItems records new items, one worklist.added event each, in one
// transaction. An item whose person already has an open item of the same
// source and kind (here, or earlier in items) is skipped: re-running a list
// adds nothing. It returns how many were added, and fills the ID of each
// item (a skipped item gets the ID of the open one).
func (s *Store) AddWorklistItems(ctx context.Context, actor app.Actor, items []WorklistItem) (int, error) {
	today := s.Today()
	added := map[string]string{} // person -> ID given in this call
	var drafts []draft
	for i := range items {
		it := &items[i]
		p := addedPayload(it, today)
		if err := p.Validate(today); err != nil {
			return 0, fmt.Errorf("worklist item %d: %w", i+1, err)
		}
		person := it.Source + "|" + it.Kind + "|" + it.IDNumber
		if id, ok := added[person]; ok {
			it.ID = id
			continue
		}
		open, err := s.openWorklistItem(ctx, it.Source, it.Kind, it.IDNumber)
		if err != nil {
			return 0, err
		}
		if open != "" {
			it.ID = open
			continue
		}
		it.ID, it.CreatedOn, it.CreatedBy, it.Status = app.NewID(), today.String(), actor.Name, WorklistStatusOpen
		added[person] = it.ID
		drafts = append(drafts, draft{Type: app.EventWorklistAdded, CaseID: it.ID, VillageCode: it.VillageCode, Payload: p})
	}
	if len(drafts) == 0 {
		return 0, nil
	}
	if _, err := s.append(ctx, actor, drafts...); err != nil {
		return 0, fmt.Errorf("worklist: add: %w", err)
	}
	return len(drafts), nil
}

func addedPayload(it *WorklistItem, today app.Date) app.WorklistAdded {
	return app.WorklistAdded{Source: it.Source, Kind: app.WorklistKind(it.Kind), IDNumber: it.IDNumber, Name: it.Name,
		HouseholdID: it.HouseholdID, VillageName: it.VillageName, Reason: it.Reason, Detail: it.Detail, File: it.File,
		CreatedOn: today}
}

// openWorklistItem returns the ID of the person's open item of source and kind, "" if none.
func (s *Store) openWorklistItem(ctx context.Context, source, kind, idNumber string) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM worklist_items WHERE source = ? AND kind = ? AND id_hash = idx(?)
		AND status = 'open'`, source, kind, idNumber).Scan(&id)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("worklist: find open item: %w", err)
	}
	return id, nil
}

// CloseWorklistItem records the visit result of an item (result is one of the
// Result constants; a note is required for ResultOther) as a worklist.closed
// event. Closing an item merged into another closes that one.
func (s *Store) CloseWorklistItem(ctx context.Context, actor app.Actor, id, result, note string, on app.Date) error {
	if on.IsZero() {
		on = s.Today()
	}
	p := app.WorklistClosed{Result: app.WorklistResult(result), Note: strings.TrimSpace(note), Date: on}
	if err := p.Validate(s.Today()); err != nil {
		return err
	}
	target, village, err := s.worklistCloseTarget(ctx, id)
	if err != nil {
		return err
	}
	if _, err := s.append(ctx, actor, draft{Type: app.EventWorklistClosed, CaseID: target, VillageCode: village,
		Payload: p}); err != nil {
		return fmt.Errorf("worklist: close %s: %w", id, err)
	}
	return nil
}

// worklistCloseTarget finds the open item a close of id applies to (id
// itself, or the item it was merged into) and its village.
func (s *Store) worklistCloseTarget(ctx context.Context, id string) (string, string, error) {
	st, err := s.worklistState(ctx, id)
	if err == nil && st.status == WorklistStatusMerged {
		st, err = s.worklistState(ctx, st.mergedInto)
	}
	if err != nil {
		return "", "", err
	}
	if st.status != WorklistStatusOpen {
		return "", "", app.Errorf(app.ECONFLICT, "该核查事项已办结，不能重复办结")
	}
	return st.id, st.village, nil
}

type worklistState struct{ id, status, village, mergedInto string }

func (s *Store) worklistState(ctx context.Context, id string) (worklistState, error) {
	st := worklistState{id: id}
	err := s.db.QueryRowContext(ctx, `SELECT status, village_code, merged_into FROM worklist_items WHERE id = ?`, id).
		Scan(&st.status, &st.village, &st.mergedInto)
	if err == sql.ErrNoRows {
		return st, app.Errorf(app.ENOTFOUND, "未找到该核查事项")
	}
	if err != nil {
		return st, fmt.Errorf("worklist: load %s: %w", id, err)
	}
	return st, nil
}

// WorklistFilter selects worklist items; zero fields match everything.
// Merged items are listed only when Status asks for them: their person is
// counted once, under the item they joined.
type WorklistFilter struct {
	Source, Kind, Status string
}

// WorklistItems lists items, oldest first.
func (s *Store) WorklistItems(ctx context.Context, f WorklistFilter) ([]WorklistItem, error) {
	q := `SELECT id, source, kind, dec(id_number), dec(name), household_id, village_code, village_name, dec(reason), dec(detail),
		file, created_on, created_by, status, result, dec(result_note), closed_on, closed_by, merged_into, dec(other_closes)
		FROM worklist_items WHERE 1`
	var args []any
	for _, c := range []struct{ col, v string }{{"source", f.Source}, {"kind", f.Kind}, {"status", f.Status}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if f.Status == "" {
		q += ` AND status <> 'merged'`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY created_on, village_code, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("worklist: %w", err)
	}
	defer rows.Close()
	var out []WorklistItem
	for rows.Next() {
		it, err := scanWorklistItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func scanWorklistItem(r rowScanner) (WorklistItem, error) {
	var it WorklistItem
	var others string
	if err := r.Scan(&it.ID, &it.Source, &it.Kind, &it.IDNumber, &it.Name, &it.HouseholdID, &it.VillageCode,
		&it.VillageName, &it.Reason, &it.Detail, &it.File, &it.CreatedOn, &it.CreatedBy, &it.Status, &it.Result,
		&it.ResultNote, &it.ClosedOn, &it.ClosedBy, &it.MergedInto, &others); err != nil {
		return it, fmt.Errorf("worklist: scan: %w", err)
	}
	if others != "" {
		if err := json.Unmarshal([]byte(others), &it.OtherCloses); err != nil {
			return it, fmt.Errorf("worklist %s: other closes: %w", it.ID, err)
		}
	}
	return it, nil
}

// describeWorklist says what a worklist event did, for the audit screen. The
// ID number is masked, as in every list.
func describeWorklist(e *app.Event) string {
	if e.Type == app.EventWorklistClosed {
		var p app.WorklistClosed
		json.Unmarshal(e.Payload, &p)
		text := fmt.Sprintf("办结核查事项：%s（%s 核查）", p.Result.Label(), p.Date)
		if p.Note != "" {
			text += "：" + p.Note
		}
		return text
	}
	var p app.WorklistAdded
	json.Unmarshal(e.Payload, &p)
	return fmt.Sprintf("登记核查事项（%s）：%s %s，%s", p.Kind.Label(), p.Name, app.MaskID(p.IDNumber), p.Reason)
}
