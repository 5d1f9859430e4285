package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"

	"jiuzhu/app"
)

// projector folds events into the projection tables inside one transaction.
// It keeps the touched households in memory and writes them once at flush.
type projector struct {
	ctx context.Context
	tx  *sql.Tx
	fc  *app.FoldContext // loaded on first use

	aggs         map[string]*app.Aggregate
	lastKeys     map[string]string
	refold       map[string]bool
	fresh        map[string]bool // households with no projection rows yet: nothing to delete
	recomputeAll bool
	stmts        stmtCache
	ownDevice    *string // this device's id, read on first use (ruleSource)
}

// CountyDeviceID is the device id the county signs its county-wide events
// (rules, calendar) with.
const CountyDeviceID = "county"

// ruleSource reports whether a rules or calendar event may change how this
// device computes: only the county's, or this device's own (the defaults
// written at init). Another township device could push such events to the
// county, which passes them on; folding them would let one compromised
// laptop change the standards every device of its township applies.
func (p *projector) ruleSource(e *app.Event) (bool, error) {
	if e.DeviceID == CountyDeviceID {
		return true, nil
	}
	if p.ownDevice == nil {
		id, err := metaTx(p.ctx, p.tx, "device_id")
		if err != nil {
			return false, err
		}
		p.ownDevice = &id
	}
	return e.DeviceID == *p.ownDevice, nil
}

func newProjector(ctx context.Context, tx *sql.Tx) *projector {
	return &projector{ctx: ctx, tx: tx, aggs: map[string]*app.Aggregate{}, lastKeys: map[string]string{},
		refold: map[string]bool{}, fresh: map[string]bool{}, stmts: stmtCache{tx: tx, stmts: map[string]*sql.Stmt{}}}
}

// stmtCache prepares each statement once per transaction: preparing was a
// fifth of the cost of a bulk registration.
type stmtCache struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) exec(ctx context.Context, query string, args ...any) error {
	_, err := c.execResult(ctx, query, args...)
	return err
}

func (c *stmtCache) execResult(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, ok := c.stmts[query]
	if !ok {
		var err error
		if st, err = c.tx.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		c.stmts[query] = st
	}
	return st.ExecContext(ctx, args...)
}

// eventKey is the canonical sort key of an event as text.
func eventKey(e *app.Event) string {
	return fmt.Sprintf("%s|%s|%012d", e.HLC.String(), e.DeviceID, e.DeviceSeq)
}

func (p *projector) foldContext() (app.FoldContext, error) {
	if p.fc == nil {
		fc, err := loadFoldContext(p.ctx, p.tx)
		if err != nil {
			return fc, err
		}
		p.fc = &fc
	}
	return *p.fc, nil
}

func (p *projector) apply(e *app.Event) error {
	if e.Type == app.EventRulesSet || e.Type == app.EventCalendarSet {
		if ok, err := p.ruleSource(e); err != nil || !ok {
			return err // kept in the log, folds nothing
		}
	}
	switch e.Type {
	case app.EventRulesSet:
		var rs app.RulesSet
		if err := json.Unmarshal(e.Payload, &rs); err != nil {
			return nil // malformed county event: kept in the log, `check` reports it
		}
		data, _ := json.Marshal(rs.Rules)
		_, err := p.tx.ExecContext(p.ctx, `INSERT INTO rule_sets (effective_from, version, data) VALUES (?, ?, ?)
			ON CONFLICT (effective_from) DO UPDATE SET version = excluded.version, data = excluded.data`,
			rs.Rules.EffectiveFrom.String(), rs.Rules.Version, string(data))
		p.fc, p.recomputeAll = nil, true
		return err
	case app.EventCalendarSet:
		var cs app.CalendarSet
		if err := json.Unmarshal(e.Payload, &cs); err != nil {
			return nil
		}
		for _, c := range cs.Entries {
			if _, err := p.tx.ExecContext(p.ctx, `INSERT INTO calendar (date, name, working) VALUES (?, ?, ?)
				ON CONFLICT (date) DO UPDATE SET name = excluded.name, working = excluded.working`,
				c.Date.String(), c.Name, c.Working); err != nil {
				return fmt.Errorf("calendar: %w", err)
			}
		}
		p.fc, p.recomputeAll = nil, true
		return nil
	}
	if handled, err := p.applySupervision(e); handled {
		return err // leads, payment batches, reserve fund (leads.go, funds.go)
	}
	if e.HouseholdID == "" {
		return nil // other event families (leads, users) have their own projectors
	}
	hid := e.HouseholdID
	if p.refold[hid] {
		return nil // the whole household is refolded from the log at flush
	}
	agg, err := p.load(hid)
	if err != nil {
		return err
	}
	key := eventKey(e)
	if key < p.lastKeys[hid] {
		// An event from another device that sorts before what is already
		// folded: fold the household again in canonical order.
		p.refold[hid] = true
		return nil
	}
	fc, err := p.foldContext()
	if err != nil {
		return err
	}
	if err := agg.Apply(e, fc); err != nil {
		return nil // malformed or unknown: kept in the log, reported by `check`, changes nothing
	}
	p.lastKeys[hid] = key
	return nil
}

// startFresh registers an empty aggregate for a household id that cannot
// exist yet, saving a lookup per household in bulk registration.
func (p *projector) startFresh(hid string) {
	if _, ok := p.aggs[hid]; !ok {
		p.aggs[hid], p.lastKeys[hid], p.fresh[hid] = app.NewAggregate(hid), "", true
	}
}

func (p *projector) load(hid string) (*app.Aggregate, error) {
	if agg, ok := p.aggs[hid]; ok {
		return agg, nil
	}
	agg, lastKey, err := loadAggregate(p.ctx, p.tx, hid)
	if err != nil {
		return nil, err
	}
	p.aggs[hid], p.lastKeys[hid] = agg, lastKey
	p.fresh[hid] = !agg.Exists
	return agg, nil
}

func (p *projector) flush() error {
	fc, err := p.foldContext()
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(p.aggs))
	for id := range p.aggs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, hid := range ids {
		agg, lastKey := p.aggs[hid], p.lastKeys[hid]
		fresh := p.fresh[hid]
		if p.refold[hid] {
			if agg, lastKey, err = refoldHousehold(p.ctx, p.tx, hid, fc); err != nil {
				return err
			}
			fresh = false
		}
		if err := saveAggregate(p.ctx, &p.stmts, agg, lastKey, fc, fresh); err != nil {
			return err
		}
	}
	if p.recomputeAll {
		if err := recomputeDeadlines(p.ctx, p.tx, fc); err != nil {
			return err
		}
		if err := recomputeSupervision(p.ctx, p.tx, fc); err != nil {
			return err
		}
	}
	p.aggs, p.lastKeys, p.refold, p.fresh, p.recomputeAll = map[string]*app.Aggregate{}, map[string]string{},
		map[string]bool{}, map[string]bool{}, false
	return nil
}

// refoldHousehold folds a household from scratch from its events in canonical order.
func refoldHousehold(ctx context.Context, tx *sql.Tx, hid string, fc app.FoldContext) (*app.Aggregate, string, error) {
	events, err := queryEvents(ctx, tx, `SELECT `+eventColumns+` FROM events WHERE household_id = ?`+canonicalOrder, hid)
	if err != nil {
		return nil, "", err
	}
	agg := app.NewAggregate(hid)
	lastKey := ""
	for i := range events {
		if err := agg.Apply(&events[i], fc); err == nil {
			lastKey = eventKey(&events[i])
		}
	}
	return agg, lastKey, nil
}

func loadFoldContext(ctx context.Context, q querier) (app.FoldContext, error) {
	var fc app.FoldContext
	rows, err := q.QueryContext(ctx, `SELECT data FROM rule_sets ORDER BY effective_from`)
	if err != nil {
		return fc, fmt.Errorf("load rules: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return fc, err
		}
		var rs app.RuleSet
		if err := json.Unmarshal([]byte(data), &rs); err != nil {
			return fc, fmt.Errorf("load rules: %w", err)
		}
		fc.Rules.Sets = append(fc.Rules.Sets, rs)
	}
	if err := rows.Err(); err != nil {
		return fc, err
	}
	fc.Calendar = app.NewCalendar()
	crows, err := q.QueryContext(ctx, `SELECT date, name, working FROM calendar ORDER BY date`)
	if err != nil {
		return fc, fmt.Errorf("load calendar: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var ds, name string
		var working bool
		if err := crows.Scan(&ds, &name, &working); err != nil {
			return fc, err
		}
		d, err := app.ParseDate(ds)
		if err != nil {
			return fc, err
		}
		if working {
			fc.Calendar.AddWorkday(d, name)
		} else {
			fc.Calendar.AddHoliday(d, d, name)
		}
	}
	return fc, crows.Err()
}

func loadAggregate(ctx context.Context, tx *sql.Tx, hid string) (*app.Aggregate, string, error) {
	agg := app.NewAggregate(hid)
	var data, lastKey string
	err := tx.QueryRowContext(ctx, `SELECT dec(data), last_key FROM households WHERE id = ?`, hid).Scan(&data, &lastKey)
	if err == sql.ErrNoRows {
		return agg, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("load household %s: %w", hid, err)
	}
	agg.Exists = true
	if err := json.Unmarshal([]byte(data), &agg.Household); err != nil {
		return nil, "", fmt.Errorf("load household %s: %w", hid, err)
	}
	if err := loadRows(ctx, tx, `SELECT dec(data) FROM members WHERE household_id = ? ORDER BY rowid`, hid, func(b []byte) error {
		var m app.Member
		err := json.Unmarshal(b, &m)
		agg.Household.Members = append(agg.Household.Members, m)
		return err
	}); err != nil {
		return nil, "", err
	}
	if err := loadRows(ctx, tx, `SELECT dec(data) FROM cases WHERE household_id = ?`, hid, func(b []byte) error {
		var c app.Case
		err := json.Unmarshal(b, &c)
		agg.Cases[c.ID] = &c
		return err
	}); err != nil {
		return nil, "", err
	}
	rows, err := tx.QueryContext(ctx, `SELECT target, field, event_id FROM field_versions WHERE household_id = ?`, hid)
	if err != nil {
		return nil, "", err
	}
	for rows.Next() {
		var target, field, ev string
		if err := rows.Scan(&target, &field, &ev); err != nil {
			rows.Close()
			return nil, "", err
		}
		agg.FieldEvents[target+"/"+field] = ev
	}
	rows.Close()
	conflicts, err := queryConflicts(ctx, tx, `WHERE household_id = ?`, hid)
	if err != nil {
		return nil, "", err
	}
	for i := range conflicts {
		agg.Conflicts[conflicts[i].ID] = &conflicts[i]
	}
	atts, err := queryAttachments(ctx, tx, `WHERE household_id = ?`, hid)
	if err != nil {
		return nil, "", err
	}
	agg.Attachments = atts
	return agg, lastKey, nil
}

func loadRows(ctx context.Context, tx *sql.Tx, query, arg string, fn func([]byte) error) error {
	rows, err := tx.QueryContext(ctx, query, arg)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	}
	return rows.Err()
}
