package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"

	"jiuzhu/app"
)

// saveAggregate replaces every projection row of one household with the
// aggregate's content. Households are small (a few members, a few cases), so a
// full rewrite is cheap and cannot leave a stale row behind.
func saveAggregate(ctx context.Context, st *stmtCache, agg *app.Aggregate, lastKey string, fc app.FoldContext, fresh bool) error {
	hid := agg.Household.ID
	if !fresh {
		for _, table := range []string{"members", "cases", "field_versions", "conflicts", "attachments"} {
			if err := st.exec(ctx, `DELETE FROM `+table+` WHERE household_id = ?`, hid); err != nil {
				return fmt.Errorf("save household %s: clear %s: %w", hid, table, err)
			}
		}
	}
	if !agg.Exists {
		// Events for a household not registered here (yet): nothing to show.
		return st.exec(ctx, `DELETE FROM households WHERE id = ?`, hid)
	}
	h := agg.Household
	members := h.Members
	h.Members = nil
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	head, _ := agg.Household.Head()
	err = st.exec(ctx, `INSERT INTO households (id, township_code, village_code, village_name, head_name,
		head_id, members, data, last_key) VALUES (?, ?, ?, ?, enc(?), enc(?), ?, enc(?), ?)
		ON CONFLICT (id) DO UPDATE SET township_code = excluded.township_code, village_code = excluded.village_code,
		village_name = excluded.village_name, head_name = excluded.head_name, head_id = excluded.head_id,
		members = excluded.members, data = excluded.data, last_key = excluded.last_key`,
		hid, h.TownshipCode, h.VillageCode, h.VillageName, head.Name, head.IDNumber, len(members), string(data), lastKey)
	if err != nil {
		return fmt.Errorf("save household %s: %w", hid, err)
	}
	for _, m := range members {
		md, _ := json.Marshal(m)
		var sex, birth string
		if info, err := app.ParseID(m.IDNumber); err == nil {
			sex, birth = string(info.Sex), info.Birth.String()
		}
		err := st.exec(ctx, `INSERT INTO members (id, household_id, name, id_number, id_hash, relation, sex, birth, data)
			VALUES (?, ?, enc(?), enc(?), idx(?), ?, ?, ?, enc(?))`,
			m.ID, hid, m.Name, m.IDNumber, m.IDNumber, string(m.Relation), sex, birth, string(md))
		if err != nil {
			return fmt.Errorf("save member of household %s: %w", hid, err)
		}
	}
	for _, id := range agg.CaseIDs() {
		if err := saveCase(ctx, st, agg.Cases[id], h.VillageCode, fc); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(agg.FieldEvents))
	for k := range agg.FieldEvents {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		target, field := splitFieldKey(k)
		if err := st.exec(ctx, `INSERT INTO field_versions (household_id, target, field, event_id) VALUES (?, ?, ?, ?)`,
			hid, target, field, agg.FieldEvents[k]); err != nil {
			return fmt.Errorf("save field versions: %w", err)
		}
	}
	for _, c := range agg.Conflicts {
		if err := st.exec(ctx, `INSERT INTO conflicts (id, household_id, case_id, kind, subject, target,
			kept_event, other_event, kept_value, other_value, resolution, resolved_by, resolved_hlc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, enc(?), enc(?), ?, ?, ?)`, c.ID, c.HouseholdID, c.CaseID, c.Kind, c.Subject, c.Target,
			c.KeptEvent, c.OtherEvent, c.KeptValue, c.OtherValue, c.Resolution, c.ResolvedBy, hlcText(c.ResolvedHLC)); err != nil {
			return fmt.Errorf("save conflict: %w", err)
		}
	}
	for _, a := range agg.Attachments {
		if err := st.exec(ctx, `INSERT INTO attachments (event_id, household_id, case_id, sha256, name, mime,
			size, note, added_by, hlc) VALUES (?, ?, ?, ?, enc(?), ?, ?, enc(?), ?, ?)`, a.EventID, a.HouseholdID, a.CaseID, a.SHA256,
			a.Name, a.MIME, a.Size, a.Note, a.AddedBy, a.HLC.String()); err != nil {
			return fmt.Errorf("save attachment: %w", err)
		}
	}
	return nil
}

func saveCase(ctx context.Context, st *stmtCache, c *app.Case, village string, fc app.FoldContext) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	step, due := "", ""
	if d, ok := c.NextDeadline(fc.StepContext(c.AppliedOn)); ok {
		step, due = string(d.Step), d.Due.String()
	}
	err = st.exec(ctx, `INSERT INTO cases (id, household_id, program, state, village_code, applied_on, amount,
		next_step, next_due, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, enc(?))
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, amount = excluded.amount, next_step = excluded.next_step,
		next_due = excluded.next_due, data = excluded.data, village_code = excluded.village_code`,
		c.ID, c.HouseholdID, string(c.Program), string(c.State), village, c.AppliedOn.String(), int64(c.Amount),
		step, due, string(data))
	if err != nil {
		return fmt.Errorf("save case %s: %w", c.ID, err)
	}
	return nil
}

// recomputeDeadlines updates every case's next deadline after the rules or
// the calendar changed.
func recomputeDeadlines(ctx context.Context, tx *sql.Tx, fc app.FoldContext) error {
	rows, err := tx.QueryContext(ctx, `SELECT dec(data), village_code FROM cases ORDER BY id`)
	if err != nil {
		return fmt.Errorf("recompute deadlines: %w", err)
	}
	type item struct {
		c       app.Case
		village string
	}
	var items []item
	for rows.Next() {
		var data, village string
		if err := rows.Scan(&data, &village); err != nil {
			rows.Close()
			return err
		}
		var c app.Case
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			rows.Close()
			return err
		}
		items = append(items, item{c, village})
	}
	rows.Close()
	st := &stmtCache{tx: tx, stmts: map[string]*sql.Stmt{}}
	for i := range items {
		if err := saveCase(ctx, st, &items[i].c, items[i].village, fc); err != nil {
			return err
		}
	}
	return nil
}

func splitFieldKey(k string) (target, field string) {
	for i := 0; i < len(k); i++ {
		if k[i] == '/' {
			return k[:i], k[i+1:]
		}
	}
	return "", k
}

func hlcText(h app.HLC) string {
	if h == (app.HLC{}) {
		return ""
	}
	return h.String()
}
