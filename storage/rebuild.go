package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// projectionTables are dumped, in this order, by ProjectionHash; the search
// change list is left out because it is keyed by SQLite rowids, which a
// rebuild may assign differently while the content stays the same. Sealed
// columns are dumped opened: sealing the same value twice gives different
// text. Keyed ID hashes (id_hash) are left out: each device has its own key,
// and they follow from the ID numbers dumped.
var projectionTables = []struct{ name, columns, order string }{
	{"households", "id, township_code, village_code, village_name, dec(head_name), dec(head_id), members, dec(data), last_key", "id"},
	{"members", "id, household_id, dec(name), dec(id_number), relation, sex, birth, dec(data)", "id"},
	{"cases", "id, household_id, program, state, village_code, applied_on, amount, next_step, next_due, dec(data)", "id"},
	{"field_versions", "household_id, target, field, event_id", "household_id, target, field"},
	{"conflicts", "id, household_id, case_id, kind, subject, target, kept_event, other_event, dec(kept_value), dec(other_value), resolution, resolved_by, resolved_hlc", "id"},
	{"attachments", "event_id, household_id, case_id, sha256, dec(name), mime, size, dec(note), added_by, hlc", "event_id"},
	{"rule_sets", "effective_from, version, data", "effective_from"},
	{"calendar", "date, name, working", "date"},
	{"leads", "id, township_code, source, received_on, mode, assignee, state, deadline, subject_household, dec(subject_name), result, recovered, concluded_on, closed_on, dec(data)", "id"},
	{"payment_batches", "id, month, created_on, sent_on, return_on, items, total, dec(data)", "id"},
	{"payment_items", "batch_id, seq, case_id, household_id, program, month, dec(payee_name), dec(payee_id), dec(account), amount, status, reason, paid_amount, requeued_from, dec(data)", "batch_id, seq"},
	{"reserve_receipts", "event_id, date, amount, dec(note), added_by", "event_id"},
	{"worklist_items", "id, source, kind, dec(id_number), dec(name), household_id, village_code, village_name, dec(reason), dec(detail), file, created_on, created_by, status, result, dec(result_note), closed_on, closed_by, merged_into, dec(other_closes)", "id"},
}

// ProjectionHash is a SHA-256 over the content of every projection table in
// key order: two databases with equal hashes show clerks the same data.
func (s *Store) ProjectionHash(ctx context.Context) (string, error) {
	return projectionHash(ctx, s.db)
}

func projectionHash(ctx context.Context, q querier) (string, error) {
	h := sha256.New()
	for _, t := range projectionTables {
		if err := dumpTable(ctx, q, h, t.name, t.columns, t.order); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func dumpTable(ctx context.Context, q querier, w io.Writer, table, columns, order string) error {
	rows, err := q.QueryContext(ctx, `SELECT `+columns+` FROM `+table+` ORDER BY `+order)
	if err != nil {
		return fmt.Errorf("dump %s: %w", table, err)
	}
	defer rows.Close()
	n := len(strings.Split(columns, ","))
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	fmt.Fprintf(w, "table %s\n", table)
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			fmt.Fprintf(w, "%T:%v\x1f", v, v)
		}
		io.WriteString(w, "\x1e")
	}
	return rows.Err()
}

// Rebuild drops every projection and folds the whole log again.
func (s *Store) Rebuild(ctx context.Context, progress func(done, total int)) error {
	// Worklist rows not yet in the log would be dropped: adopt them first.
	if err := s.afterUnlock(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := rebuildTx(ctx, tx, progress); err != nil {
		return err
	}
	return tx.Commit()
}

func rebuildTx(ctx context.Context, tx *sql.Tx, progress func(done, total int)) error {
	for _, t := range []string{"members", "cases", "field_versions", "conflicts", "attachments", "households",
		"rule_sets", "calendar", "leads", "payment_items", "payment_batches", "reserve_receipts", "worklist_items"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return fmt.Errorf("rebuild: clear %s: %w", t, err)
		}
	}
	// County-wide events first (rules, calendar): households are folded with them in force.
	global, err := queryEvents(ctx, tx, `SELECT `+eventColumns+` FROM events WHERE household_id = ''`+canonicalOrder)
	if err != nil {
		return err
	}
	p := newProjector(ctx, tx)
	for i := range global {
		if err := p.apply(&global[i]); err != nil {
			return err
		}
	}
	if err := p.flush(); err != nil {
		return err
	}
	fc, err := loadFoldContext(ctx, tx)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT household_id FROM events WHERE household_id <> '' ORDER BY household_id`)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	st := &stmtCache{tx: tx, stmts: map[string]*sql.Stmt{}}
	for i, hid := range ids {
		agg, lastKey, err := refoldHousehold(ctx, tx, hid, fc)
		if err != nil {
			return err
		}
		if err := saveAggregate(ctx, st, agg, lastKey, fc, true); err != nil {
			return err
		}
		if progress != nil && (i%500 == 0 || i == len(ids)-1) {
			progress(i+1, len(ids))
		}
	}
	return nil
}

// CheckReport is the result of Check.
type CheckReport struct {
	Integrity      string   // "ok" or SQLite's findings
	Events         int      // events in the log
	ChainBreaks    []string // devices whose hash chain is broken, with the first bad event
	ProjectionHash string
	RebuiltHash    string
	Malformed      []string // events the fold could not read
}

// OK reports whether every check passed.
func (r CheckReport) OK() bool {
	return r.Integrity == "ok" && len(r.ChainBreaks) == 0 && r.ProjectionHash == r.RebuiltHash
}

// Check runs SQLite's integrity check, verifies every device's hash chain, and
// compares the projections with a rebuild from the log (rolled back afterwards).
func (s *Store) Check(ctx context.Context) (CheckReport, error) {
	var r CheckReport
	if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&r.Integrity); err != nil {
		return r, fmt.Errorf("integrity check: %w", err)
	}
	breaks, n, err := verifyChains(ctx, s.db, s.device.ID)
	if err != nil {
		return r, err
	}
	r.ChainBreaks, r.Events = breaks, n
	if r.ProjectionHash, err = s.ProjectionHash(ctx); err != nil {
		return r, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return r, err
	}
	defer tx.Rollback()
	if err := rebuildTx(ctx, tx, nil); err != nil {
		return r, err
	}
	r.RebuiltHash, err = projectionHash(ctx, tx)
	return r, err
}

// verifyChains walks each device's events in sequence and checks that each
// one's hash matches its content and names its predecessor. This device's
// own chain must be complete from 1; other devices' events may have gaps
// (a village laptop receives only its villages' share), so for them only the
// links between consecutive events are checked.
func verifyChains(ctx context.Context, q querier, ownDevice string) ([]string, int, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+eventColumns+` FROM events ORDER BY device_id, device_seq`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var breaks []string
	n := 0
	device, prevHash, prevSeq, broken := "", "", int64(0), false
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, n, err
		}
		n++
		if e.DeviceID != device {
			device, prevHash, prevSeq, broken = e.DeviceID, "", 0, false
		}
		if broken {
			continue
		}
		consecutive := e.DeviceSeq == prevSeq+1
		switch {
		case device == ownDevice && !consecutive:
			breaks = append(breaks, fmt.Sprintf("本设备：序号 %d 之后缺少事件（下一条为 %d）", prevSeq, e.DeviceSeq))
			broken = true
		case consecutive && prevSeq != 0 && e.PrevHash != prevHash:
			breaks = append(breaks, fmt.Sprintf("设备 %s：事件 %d 与前一事件的哈希链断开", device, e.DeviceSeq))
			broken = true
		case e.ComputeHash() != e.Hash:
			breaks = append(breaks, fmt.Sprintf("设备 %s：事件 %d（%s）内容被改动", device, e.DeviceSeq, e.ID))
			broken = true
		}
		prevHash, prevSeq = e.Hash, e.DeviceSeq
	}
	return breaks, n, rows.Err()
}
