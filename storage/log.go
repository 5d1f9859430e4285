package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"jiuzhu/app"
)

// draft is an event before it has an id, a sequence number and a hash.
type draft struct {
	Type        string
	HouseholdID string
	CaseID      string
	VillageCode string
	Payload     any
	// NewHousehold marks a household id generated for this very event: the
	// projector need not look for existing rows.
	NewHousehold bool
	// Actor, when set, signs this event instead of the caller of append: a
	// record kept before it was in the log goes in under the name of the
	// person who made it (adoptLegacyWorklist).
	Actor *app.Actor
}

// append writes drafts as this device's next events and folds them into the
// projections, all in one transaction: either everything is saved or nothing.
func (s *Store) append(ctx context.Context, actor app.Actor, drafts ...draft) ([]app.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	defer tx.Rollback()

	seq, prevHash, err := lastOwnEvent(ctx, tx, s.device.ID)
	if err != nil {
		return nil, err
	}
	p := newProjector(ctx, tx)
	events := make([]app.Event, 0, len(drafts))
	for _, d := range drafts {
		if d.HouseholdID != "" && !d.NewHousehold {
			// Sort after everything already folded into this household, even
			// events from a device whose clock runs ahead: a step or a conflict
			// resolution must come after what its author saw.
			if _, err := p.load(d.HouseholdID); err != nil {
				return nil, err
			}
			if k := p.lastKeys[d.HouseholdID]; len(k) >= 20 {
				if h, err := app.ParseHLC(k[:20]); err == nil {
					s.clock.Observe(h)
				}
			}
		}
		payload, err := json.Marshal(d.Payload)
		if err != nil {
			return nil, fmt.Errorf("append %s: %w", d.Type, err)
		}
		seq++
		signer := actor
		if d.Actor != nil {
			signer = *d.Actor
		}
		e := app.Event{ID: app.NewID(), DeviceID: s.device.ID, DeviceSeq: seq, Type: d.Type,
			HouseholdID: d.HouseholdID, CaseID: d.CaseID, TownshipCode: s.device.TownshipCode,
			VillageCode: d.VillageCode, SchemaV: app.SchemaVersion, HLC: s.clock.Now(s.now()),
			Actor: signer, Payload: payload}
		e.Seal(prevHash)
		prevHash = e.Hash
		if _, err := insertEvent(ctx, &p.stmts, &e); err != nil {
			return nil, err
		}
		if d.NewHousehold {
			p.startFresh(d.HouseholdID)
		}
		if err := p.apply(&e); err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	if err := p.flush(); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("append: commit: %w", err)
	}
	return events, nil
}

func lastOwnEvent(ctx context.Context, tx *sql.Tx, deviceID string) (int64, string, error) {
	var seq int64
	var hash string
	err := tx.QueryRowContext(ctx, `SELECT device_seq, hash FROM events WHERE device_id = ?
		ORDER BY device_seq DESC LIMIT 1`, deviceID).Scan(&seq, &hash)
	if err == sql.ErrNoRows {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("read last event: %w", err)
	}
	return seq, hash, nil
}

// eventColumns reads an event; the payload is sealed on disk (insertEvent).
const eventColumns = `id, device_id, device_seq, type, household_id, case_id, township_code, village_code,
	schema_v, hlc, actor_id, actor_name, actor_role, dec(payload), prev_hash, hash`

// insertEvent stores an event unless one with the same id is there already;
// it reports whether the event was new.
func insertEvent(ctx context.Context, st *stmtCache, e *app.Event) (bool, error) {
	res, err := st.execResult(ctx, `INSERT INTO events (id, device_id, device_seq, type, household_id, case_id,
		township_code, village_code, schema_v, hlc, actor_id, actor_name, actor_role, payload, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, enc(?), ?, ?) ON CONFLICT (id) DO NOTHING`,
		e.ID, e.DeviceID, e.DeviceSeq, e.Type, e.HouseholdID, e.CaseID, e.TownshipCode, e.VillageCode,
		e.SchemaV, e.HLC.String(), e.Actor.UserID, e.Actor.Name, string(e.Actor.Role), []byte(e.Payload),
		e.PrevHash, e.Hash)
	if err != nil {
		return false, fmt.Errorf("insert event %s: %w", e.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanEvent(r rowScanner) (app.Event, error) {
	var e app.Event
	var hlc, role string
	var payload []byte
	err := r.Scan(&e.ID, &e.DeviceID, &e.DeviceSeq, &e.Type, &e.HouseholdID, &e.CaseID, &e.TownshipCode,
		&e.VillageCode, &e.SchemaV, &hlc, &e.Actor.UserID, &e.Actor.Name, &role, &payload, &e.PrevHash, &e.Hash)
	if err != nil {
		return e, fmt.Errorf("scan event: %w", err)
	}
	e.Actor.Role = app.Role(role)
	e.Payload = payload
	if e.HLC, err = app.ParseHLC(hlc); err != nil {
		return e, fmt.Errorf("event %s: %w", e.ID, err)
	}
	return e, nil
}

func queryEvents(ctx context.Context, q querier, query string, args ...any) ([]app.Event, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query events: %w", err)
	}
	defer rows.Close()
	var out []app.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// canonicalOrder sorts events as app.Event.Less does.
const canonicalOrder = ` ORDER BY hlc, device_id, device_seq`

// Events returns the events of a household (all its cases) in canonical order: its timeline.
func (s *Store) Events(ctx context.Context, householdID string) ([]app.Event, error) {
	return queryEvents(ctx, s.db, `SELECT `+eventColumns+` FROM events WHERE household_id = ?`+canonicalOrder, householdID)
}

// CaseEvents returns the events of one case in canonical order.
func (s *Store) CaseEvents(ctx context.Context, caseID string) ([]app.Event, error) {
	return queryEvents(ctx, s.db, `SELECT `+eventColumns+` FROM events WHERE case_id = ?`+canonicalOrder, caseID)
}

// ImportEvents stores events received from the county (other devices' events,
// or this device's own after a restore) and folds them. Events already
// present are skipped, so a re-sent batch changes nothing. It runs inside tx,
// so that the caller can store its pull cursor in the same transaction.
func ImportEvents(ctx context.Context, tx *sql.Tx, events []app.Event) (int, error) {
	p := newProjector(ctx, tx)
	added := 0
	for i := range events {
		e := &events[i]
		isNew, err := insertEvent(ctx, &p.stmts, e)
		if err != nil {
			return added, err
		}
		if !isNew {
			continue
		}
		added++
		if e.HouseholdID != "" {
			// Remote events arrive in any order, and earlier ones may have been
			// skipped by the fold (a step before its case arrived): fold each
			// touched household again from its full log, in canonical order.
			p.refold[e.HouseholdID] = true
			p.aggs[e.HouseholdID] = nil
			continue
		}
		if err := p.apply(e); err != nil {
			return added, err
		}
	}
	return added, p.flush()
}

// ObserveRemote moves the device clock past events received from elsewhere.
func (s *Store) ObserveRemote(events []app.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		s.clock.Observe(e.HLC)
	}
}
