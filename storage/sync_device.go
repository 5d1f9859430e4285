package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"jiuzhu/app"
)

// Device-side sync state. The sync package drives the protocol; the functions
// here keep each step's bookkeeping in the same transaction as its data, so
// that a crash at any point leaves either the old or the new state, never a
// cursor ahead of its events or an acknowledgement without its rejections.

// EventCountyConflict is issued by the county when the same ID number is
// active in two households (in one township or two). It names one household
// of the receiving township; the household fold ignores it.
const EventCountyConflict = "county.conflict"

// CountyConflict is the payload of a county.conflict event.
type CountyConflict struct {
	IDNumber       string `json:"id_number"`
	MemberName     string `json:"member_name"`
	OtherTownship  string `json:"other_township"`
	OtherHousehold string `json:"other_household"`
	OtherVillage   string `json:"other_village"`
	Reason         string `json:"reason"`
}

// MetaSyncCursor is the meta key of the pull cursor (the county's server_seq).
const MetaSyncCursor = "sync_cursor"

// OutboxEvents returns up to limit of this device's events that the county
// has not acknowledged, in device_seq order.
func (s *Store) OutboxEvents(ctx context.Context, limit int) ([]app.Event, error) {
	return queryEvents(ctx, s.db, `SELECT `+eventColumns+` FROM outbox ORDER BY device_seq LIMIT ?`, limit)
}

// OutboxEventsAfter is OutboxEvents from after device_seq after: the client
// reads the outbox in windows while earlier batches are still on their way.
func (s *Store) OutboxEventsAfter(ctx context.Context, after int64, limit int) ([]app.Event, error) {
	return queryEvents(ctx, s.db, `SELECT `+eventColumns+` FROM outbox WHERE device_seq > ? ORDER BY device_seq LIMIT ?`, after, limit)
}

// AckedSeq is how far the county has acknowledged this device's events.
func (s *Store) AckedSeq(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT acked_seq FROM acks WHERE device_id = ?), 0)`,
		s.device.ID).Scan(&n)
	return n, err
}

// RecordAcks stores the county's acknowledgement of this device's events
// through ackedThrough and the reasons of the events it rejected, together.
// ackedThrough may move backwards: a county restored from a backup asks for
// events again, and they must be re-sent, not forgotten.
func (s *Store) RecordAcks(ctx context.Context, ackedThrough int64, rejections map[string]string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO acks (device_id, acked_seq) VALUES (?, ?)
		ON CONFLICT (device_id) DO UPDATE SET acked_seq = excluded.acked_seq`, s.device.ID, ackedThrough); err != nil {
		return fmt.Errorf("record acks: %w", err)
	}
	if err := putRejections(ctx, tx, rejections); err != nil {
		return err
	}
	return tx.Commit()
}

func putRejections(ctx context.Context, tx *sql.Tx, rejections map[string]string) error {
	for id, reason := range rejections {
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_rejections (event_id, reason) VALUES (?, ?)
			ON CONFLICT (event_id) DO UPDATE SET reason = excluded.reason`, id, reason); err != nil {
			return fmt.Errorf("record rejection: %w", err)
		}
	}
	return nil
}

// ApplyPulled imports events pulled from the county, their rejection reasons
// and county conflicts, and moves the pull cursor, in one transaction.
// It returns how many events were new.
func (s *Store) ApplyPulled(ctx context.Context, events []app.Event, rejections map[string]string, cursor int64) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := ImportEvents(ctx, tx, events)
	if err != nil {
		return 0, err
	}
	if err := putRejections(ctx, tx, rejections); err != nil {
		return 0, err
	}
	for i := range events {
		e := &events[i]
		if e.Type != EventCountyConflict {
			continue
		}
		var c CountyConflict
		if err := json.Unmarshal(e.Payload, &c); err != nil {
			continue // kept in the log; nothing to show
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO county_conflicts (id, household_id, member_name, id_number,
			other_township, other_household, other_village, reason, hlc) VALUES (?, ?, enc(?), enc(?), ?, ?, ?, enc(?), ?)
			ON CONFLICT (id) DO NOTHING`, e.ID, e.HouseholdID, c.MemberName, c.IDNumber, c.OtherTownship,
			c.OtherHousehold, c.OtherVillage, c.Reason, e.HLC.String()); err != nil {
			return 0, fmt.Errorf("county conflict: %w", err)
		}
	}
	if err := setMetaTx(ctx, tx, MetaSyncCursor, fmt.Sprint(cursor)); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	s.ObserveRemote(events)
	return n, nil
}

// CountyConflicts lists the county's flags for this township's households.
func (s *Store) CountyConflicts(ctx context.Context) ([]CountyConflictRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, household_id, dec(member_name), dec(id_number), other_township,
		other_household, other_village, dec(reason), hlc, resolved FROM county_conflicts ORDER BY hlc`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CountyConflictRow
	for rows.Next() {
		var r CountyConflictRow
		if err := rows.Scan(&r.ID, &r.HouseholdID, &r.MemberName, &r.IDNumber, &r.OtherTownship, &r.OtherHousehold,
			&r.OtherVillage, &r.Reason, &r.HLC, &r.Resolved); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CountyConflictRow is one stored county conflict.
type CountyConflictRow struct {
	ID, HouseholdID string
	CountyConflict
	HLC      string
	Resolved bool
}

// Rejections returns the county's reasons for rejected events, by event id.
func (s *Store) Rejections(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT event_id, reason FROM event_rejections`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, r string
		if err := rows.Scan(&id, &r); err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, rows.Err()
}

// MissingBlobs lists attachment hashes named by events on this device whose
// bytes are not here yet (pulled from another device).
func (s *Store) MissingBlobs(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT a.sha256 FROM attachments a
		WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = a.sha256) ORDER BY a.sha256`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
