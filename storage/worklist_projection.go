package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"jiuzhu/app"
)

// The worklist projection. Whether an item is merged, and which close is in
// force, depends on the other items of the same person, source and kind, so
// every worklist event refolds that whole group from the log in canonical
// order (app.FoldWorklist): the result never depends on arrival order, and
// rebuild gives the same rows.

// applyWorklist folds a worklist event into worklist_items.
func applyWorklist(ctx context.Context, tx *sql.Tx, e *app.Event) error {
	if e.CaseID == "" {
		return nil // malformed: kept in the log, changes nothing
	}
	g, ok, err := worklistGroupOf(ctx, tx, e)
	if err != nil || !ok {
		return err
	}
	return refoldWorklistGroup(ctx, tx, g, e.CaseID)
}

// worklistGroup is one person's items of one source and kind.
type worklistGroup struct{ source, kind, idNumber string }

func (g worklistGroup) has(it *app.WorklistItem) bool {
	return it.Source == g.source && string(it.Kind) == g.kind && it.IDNumber == g.idNumber
}

// worklistGroupOf reads the group an event is about: from the payload of an
// addition, from the item's row for a close. ok is false for an event that
// names nothing to fold (malformed, or a close before its item arrived: the
// item's addition refolds it then).
func worklistGroupOf(ctx context.Context, tx *sql.Tx, e *app.Event) (worklistGroup, bool, error) {
	var g worklistGroup
	if e.Type == app.EventWorklistAdded {
		var p app.WorklistAdded
		if json.Unmarshal(e.Payload, &p) != nil || p.Validate(app.Date{}) != nil {
			return g, false, nil
		}
		return worklistGroup{p.Source, string(p.Kind), p.IDNumber}, true, nil
	}
	err := tx.QueryRowContext(ctx, `SELECT source, kind, dec(id_number) FROM worklist_items WHERE id = ?`, e.CaseID).
		Scan(&g.source, &g.kind, &g.idNumber)
	if err == sql.ErrNoRows {
		return g, false, nil
	}
	if err != nil {
		return g, false, fmt.Errorf("worklist: load %s: %w", e.CaseID, err)
	}
	return g, true, nil
}

// refoldWorklistGroup folds the group's items (those folded so far, and
// itemID) from their events and replaces the group's rows.
func refoldWorklistGroup(ctx context.Context, tx *sql.Tx, g worklistGroup, itemID string) error {
	ids, err := strings1(ctx, tx, `SELECT id FROM worklist_items WHERE id_hash = idx(?) AND source = ? AND kind = ?`,
		g.idNumber, g.source, g.kind)
	if err != nil {
		return fmt.Errorf("worklist: group: %w", err)
	}
	ids = append(ids, itemID)
	idList, _ := json.Marshal(ids)
	events, err := queryEvents(ctx, tx, `SELECT `+eventColumns+` FROM events WHERE case_id IN (SELECT value FROM json_each(?))
		AND type LIKE 'worklist.%'`+canonicalOrder, string(idList))
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM worklist_items WHERE id_hash = idx(?) AND source = ? AND kind = ?`,
		g.idNumber, g.source, g.kind); err != nil {
		return fmt.Errorf("worklist: clear group: %w", err)
	}
	for _, it := range app.FoldWorklist(events) {
		if !g.has(it) {
			continue // an ID reused for another person: its own group holds it
		}
		if err := saveWorklistItem(ctx, tx, it); err != nil {
			return err
		}
	}
	return nil
}

// saveWorklistItem writes one folded item. Personal fields are sealed (the
// reason too: it quotes both names when they differ); the ID number is also
// stored as its keyed hash for lookups.
func saveWorklistItem(ctx context.Context, tx *sql.Tx, it *app.WorklistItem) error {
	var result, note, closedOn, closedBy, others string
	if c := it.Closed; c != nil {
		result, note, closedOn, closedBy = string(c.Result), c.Note, c.Date.String(), c.By
	}
	if len(it.OtherCloses) > 0 {
		b, err := json.Marshal(it.OtherCloses)
		if err != nil {
			return fmt.Errorf("worklist %s: %w", it.ID, err)
		}
		others = string(b)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO worklist_items (id, source, kind, id_number, id_hash, name, household_id,
		village_code, village_name, reason, detail, file, created_on, created_by, status, result, result_note, closed_on,
		closed_by, merged_into, other_closes)
		VALUES (?, ?, ?, enc(?), idx(?), enc(?), ?, ?, ?, enc(?), enc(?), ?, ?, ?, ?, ?, enc(?), ?, ?, ?, enc(?))
		ON CONFLICT (id) DO UPDATE SET source = excluded.source, kind = excluded.kind, id_number = excluded.id_number,
		id_hash = excluded.id_hash, name = excluded.name, household_id = excluded.household_id,
		village_code = excluded.village_code, village_name = excluded.village_name, reason = excluded.reason,
		detail = excluded.detail, file = excluded.file, created_on = excluded.created_on, created_by = excluded.created_by,
		status = excluded.status, result = excluded.result, result_note = excluded.result_note,
		closed_on = excluded.closed_on, closed_by = excluded.closed_by, merged_into = excluded.merged_into,
		other_closes = excluded.other_closes`,
		it.ID, it.Source, string(it.Kind), it.IDNumber, it.IDNumber, it.Name, it.HouseholdID, it.VillageCode,
		it.VillageName, it.Reason, it.Detail, it.File, it.CreatedOn.String(), it.CreatedBy, string(it.Status), result,
		note, closedOn, closedBy, it.MergedInto, others)
	if err != nil {
		return fmt.Errorf("save worklist item %s: %w", it.ID, err)
	}
	return nil
}

// legacyActor signs the events of items recorded before the worklist was in
// the log, under the name of the person who recorded them.
func legacyActor(name string) *app.Actor {
	return &app.Actor{UserID: "migration:worklist", Name: name, Role: app.RoleClerk}
}

// adoptLegacyWorklist writes to the log, once, the items this device
// recorded before the worklist was folded from it (rows without a
// worklist.added event), each with its visit result, so that rebuild keeps
// them and they sync. It needs the data key, so it runs at unlock; in one
// transaction, oldest first, so an interrupted run leaves the rows as they were.
func (s *Store) adoptLegacyWorklist(ctx context.Context) error {
	// Legacy rows hold the reason in the clear (0008 seals it from now on).
	rows, err := s.db.QueryContext(ctx, `SELECT id, source, kind, dec(id_number), dec(name), household_id, village_code,
		village_name, reason, dec(detail), file, created_on, created_by, status, result, dec(result_note), closed_on,
		closed_by, merged_into, dec(other_closes) FROM worklist_items w
		WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.case_id = w.id AND e.type = ?) ORDER BY created_on, id`,
		app.EventWorklistAdded)
	if err != nil {
		return fmt.Errorf("worklist: find legacy items: %w", err)
	}
	var drafts []draft
	for rows.Next() {
		it, err := scanWorklistItem(rows)
		if err != nil {
			rows.Close()
			return err
		}
		drafts = append(drafts, legacyDrafts(&it, s.Today())...)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(drafts) == 0 {
		return err
	}
	if _, err := s.append(ctx, *legacyActor("数据升级"), drafts...); err != nil {
		return fmt.Errorf("worklist: adopt %d legacy events: %w", len(drafts), err)
	}
	return nil
}

// legacyDrafts are the events of a legacy item: its addition and, if it was
// closed, its visit result. Dates the old table did not require are filled
// so that the fold accepts them.
func legacyDrafts(it *WorklistItem, today app.Date) []draft {
	created, err := app.ParseDate(it.CreatedOn)
	if err != nil || created.IsZero() {
		created = today
	}
	p := addedPayload(it, created)
	if p.Reason == "" {
		p.Reason = "（升级前记录，未注明原因）"
	}
	out := []draft{{Type: app.EventWorklistAdded, CaseID: it.ID, VillageCode: it.VillageCode, Payload: p,
		Actor: legacyActor(it.CreatedBy)}}
	if it.Status != WorklistStatusClosed {
		return out
	}
	closed, err := app.ParseDate(it.ClosedOn)
	if err != nil || closed.IsZero() {
		closed = created
	}
	c := app.WorklistClosed{Result: app.WorklistResult(it.Result), Note: it.ResultNote, Date: closed}
	if c.Result == app.WorklistOther && c.Note == "" {
		c.Note = "（升级前记录）"
	}
	return append(out, draft{Type: app.EventWorklistClosed, CaseID: it.ID, VillageCode: it.VillageCode, Payload: c,
		Actor: legacyActor(it.ClosedBy)})
}
