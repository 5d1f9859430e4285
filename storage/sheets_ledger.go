package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"jiuzhu/app"
)

// FrozenLedger returns the figures stored when month was reported (ok false
// if the month was never frozen).
func (s *Store) FrozenLedger(ctx context.Context, month string) (figures []byte, frozenAt string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT dec(figures), frozen_at FROM ledger_months WHERE township_code = ? AND month = ?`,
		s.device.TownshipCode, month).Scan(&figures, &frozenAt)
	if err == sql.ErrNoRows {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("read frozen ledger %s: %w", month, err)
	}
	return figures, frozenAt, true, nil
}

// FreezeLedger stores the reported figures of month. The first freeze wins:
// it returns the figures in force (the stored ones if the month was already
// frozen, possibly by a concurrent export).
func (s *Store) FreezeLedger(ctx context.Context, actor app.Actor, month string, figures []byte) ([]byte, error) {
	_, err := s.db.ExecContext(ctx, `INSERT INTO ledger_months (township_code, month, figures, frozen_at, frozen_by)
		VALUES (?, ?, enc(?), ?, ?) ON CONFLICT DO NOTHING`, s.device.TownshipCode, month, string(figures),
		s.now().In(chinaTime).Format(time.RFC3339), actor.Name)
	if err != nil {
		return nil, fmt.Errorf("freeze ledger %s: %w", month, err)
	}
	stored, _, _, err := s.FrozenLedger(ctx, month)
	return stored, err
}

// EachHouseholdLog calls fn with every household's events in canonical order,
// one household at a time (the ledger folds them as of a date).
func (s *Store) EachHouseholdLog(ctx context.Context, fn func(householdID string, events []app.Event) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE household_id <> ''
		ORDER BY household_id, hlc, device_id, device_seq`)
	if err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	defer rows.Close()
	var cur string
	var batch []app.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return err
		}
		if e.HouseholdID != cur && len(batch) > 0 {
			if err := fn(cur, batch); err != nil {
				return err
			}
			batch = nil
		}
		cur = e.HouseholdID
		batch = append(batch, e)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return fn(cur, batch)
	}
	return nil
}

// RegisteredPerson is where an ID number is registered.
type RegisteredPerson struct {
	HouseholdID string
	MemberID    string
	Name        string
	HeadID      string
	VillageCode string
	VillageName string
}

// RegisteredIDs maps every registered ID number to its households (a person
// registered in two households has two entries): imports and cross-checks
// match whole files against it in one query.
func (s *Store) RegisteredIDs(ctx context.Context) (map[string][]RegisteredPerson, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT dec(m.id_number), m.household_id, m.id, dec(m.name), dec(h.head_id), h.village_code,
		h.village_name FROM members m JOIN households h ON h.id = m.household_id`)
	if err != nil {
		return nil, fmt.Errorf("read registered ids: %w", err)
	}
	defer rows.Close()
	out := map[string][]RegisteredPerson{}
	for rows.Next() {
		var id string
		var p RegisteredPerson
		if err := rows.Scan(&id, &p.HouseholdID, &p.MemberID, &p.Name, &p.HeadID, &p.VillageCode, &p.VillageName); err != nil {
			return nil, err
		}
		out[id] = append(out[id], p)
	}
	return out, rows.Err()
}
