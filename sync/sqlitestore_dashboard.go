package sync

// Read-only queries for the county's own use (the dashboard, the county-wide
// ledger, publishing rules). They read through the reader pool and never take
// the write lock, except RecordPull, which notes when a device last pulled.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	stdsync "sync"
	"time"

	"jiuzhu/app"
)

// DeviceState is an enrolled device with its sync figures.
type DeviceState struct {
	Name       string
	Township   string
	Villages   []string
	DeviceID   string
	Revoked    bool
	LastSeq    int64
	EnrolledAt time.Time
	LastPush   time.Time // zero: never pushed
	LastPull   time.Time // zero: never pulled (since pulls were recorded)
	Events     int       // events held from this device
	Rejected   int       // of which rejected
}

var pullTableOnce stdsync.Map // *SQLiteStore -> error

// ensurePullTable creates the table of last pull times. It is kept outside the
// numbered migrations: it is bookkeeping for the dashboard, and losing it
// loses nothing but the "last pull" column.
func (s *SQLiteStore) ensurePullTable(ctx context.Context) error {
	if v, ok := pullTableOnce.Load(s); ok && v == nil {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS device_pulls (
		device_id TEXT PRIMARY KEY, pulled_at TEXT NOT NULL) STRICT`)
	if err == nil {
		pullTableOnce.Store(s, nil)
	}
	return err
}

// RecordPull notes that a device pulled at t.
func (s *SQLiteStore) RecordPull(ctx context.Context, deviceID string, t time.Time) error {
	if err := s.ensurePullTable(ctx); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO device_pulls (device_id, pulled_at) VALUES (?, ?)
		ON CONFLICT (device_id) DO UPDATE SET pulled_at = excluded.pulled_at`, deviceID, t.UTC().Format(time.RFC3339))
	return err
}

// DeviceStates lists every enrolled device (revoked ones too) by township and name.
func (s *SQLiteStore) DeviceStates(ctx context.Context) ([]DeviceState, error) {
	if err := s.ensurePullTable(ctx); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT d.name, d.township, d.villages, d.device_id, d.revoked, d.last_seq,
		d.enrolled_at, d.last_seen, COALESCE(p.pulled_at, ''),
		(SELECT count(*) FROM events e WHERE e.device_id = d.device_id AND d.device_id <> ''),
		(SELECT count(*) FROM events e WHERE e.device_id = d.device_id AND d.device_id <> '' AND e.status = ?)
		FROM devices d LEFT JOIN device_pulls p ON p.device_id = d.device_id AND d.device_id <> ''
		ORDER BY d.township, d.revoked, d.name`, StatusRejected)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DeviceState
	for rows.Next() {
		var d DeviceState
		var villages, enrolled, push, pull string
		if err := rows.Scan(&d.Name, &d.Township, &villages, &d.DeviceID, &d.Revoked, &d.LastSeq, &enrolled, &push,
			&pull, &d.Events, &d.Rejected); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(villages), &d.Villages)
		d.EnrolledAt, _ = time.Parse(time.RFC3339, enrolled)
		d.LastPush, _ = time.Parse(time.RFC3339, push)
		d.LastPull, _ = time.Parse(time.RFC3339, pull)
		out = append(out, d)
	}
	return out, rows.Err()
}

// LastServerSeq is the newest server_seq: the dashboard recomputes only when it moves.
func (s *SQLiteStore) LastServerSeq(ctx context.Context) (int64, error) {
	var n int64
	err := s.rdb.QueryRowContext(ctx, `SELECT COALESCE(max(server_seq), 0) FROM events`).Scan(&n)
	return n, err
}

// EachHouseholdLog calls fn with every household's accepted events in
// canonical order (Event.Less), household by household, all townships.
func (s *SQLiteStore) EachHouseholdLog(ctx context.Context, fn func(householdID string, events []app.Event) error) error {
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT household_id, body FROM events WHERE household_id <> '' AND status = ?
		ORDER BY household_id, server_seq`, StatusAccepted)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur string
	var batch []app.Event
	emit := func() error {
		if len(batch) == 0 {
			return nil
		}
		slices.SortFunc(batch, compareEvents)
		err := fn(cur, batch)
		batch = nil
		return err
	}
	for rows.Next() {
		var hid string
		var body []byte
		if err := rows.Scan(&hid, &body); err != nil {
			return err
		}
		if hid != cur {
			if err := emit(); err != nil {
				return err
			}
			cur = hid
		}
		var e app.Event
		if err := json.Unmarshal(body, &e); err != nil {
			return fmt.Errorf("stored event of household %s: %w", hid, err)
		}
		batch = append(batch, e)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return emit()
}

func compareEvents(a, b app.Event) int {
	switch {
	case a.Less(&b):
		return -1
	case b.Less(&a):
		return 1
	}
	return 0
}

// SupervisionEvents returns the accepted problem-lead, payment-batch and
// reserve-fund events of every township, in canonical order.
func (s *SQLiteStore) SupervisionEvents(ctx context.Context) ([]app.Event, error) {
	return s.eventsWhere(ctx, `household_id = '' AND (type LIKE 'lead.%' OR type LIKE 'payment.%' OR type = ?)`,
		app.EventReserveReceived)
}

// CountyRules returns the rule sets and calendar the county itself published
// (county-wide rules.set and calendar.set events), in publication order. A
// later set with the same effective date replaces the earlier one, as on devices.
func (s *SQLiteStore) CountyRules(ctx context.Context) (app.RuleBook, []app.CalendarEntry, error) {
	var book app.RuleBook
	var cal []app.CalendarEntry
	events, err := s.eventsWhere(ctx, `device_id = ? AND type IN (?, ?)`, CountyDevice, app.EventRulesSet, app.EventCalendarSet)
	if err != nil {
		return book, nil, err
	}
	slices.SortStableFunc(events, func(a, b app.Event) int { return int(a.DeviceSeq - b.DeviceSeq) })
	for i := range events {
		e := &events[i]
		switch e.Type {
		case app.EventRulesSet:
			var p app.RulesSet
			if json.Unmarshal(e.Payload, &p) != nil {
				continue
			}
			book.Sets = slices.DeleteFunc(book.Sets, func(rs app.RuleSet) bool { return rs.EffectiveFrom == p.Rules.EffectiveFrom })
			book.Sets = append(book.Sets, p.Rules)
		case app.EventCalendarSet:
			var p app.CalendarSet
			if json.Unmarshal(e.Payload, &p) == nil {
				cal = append(cal, p.Entries...)
			}
		}
	}
	slices.SortFunc(book.Sets, func(a, b app.RuleSet) int { return a.EffectiveFrom.Compare(b.EffectiveFrom) })
	return book, cal, nil
}

func (s *SQLiteStore) eventsWhere(ctx context.Context, where string, args ...any) ([]app.Event, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT body FROM events WHERE status = 'accepted' AND `+where+` ORDER BY server_seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.Event
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var e app.Event
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, compareEvents)
	return out, nil
}
