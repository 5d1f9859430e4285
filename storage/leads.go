package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"jiuzhu/app"
)

// Supervision projections: problem leads here, payment batches and the
// reserve fund in funds.go, the cross-check worklist in worklist_projection.go.
// Their events carry no household ID; the envelope's CaseID names the lead,
// the batch or the worklist item. The projector hands them to
// applySupervision, which refolds the whole record from the log in canonical
// order each time, so the result never depends on arrival order.

// applySupervision folds a lead, payment, reserve or worklist event; handled
// reports whether e was one.
func (p *projector) applySupervision(e *app.Event) (handled bool, err error) {
	switch {
	case app.IsLeadEvent(e.Type):
		if e.CaseID == "" {
			return true, nil // malformed: kept in the log, changes nothing
		}
		fc, err := p.foldContext()
		if err != nil {
			return true, err
		}
		return true, refoldLead(p.ctx, p.tx, e.CaseID, fc)
	case app.IsFundsEvent(e.Type):
		return true, applyFunds(p.ctx, p.tx, e)
	case app.IsWorklistEvent(e.Type):
		return true, applyWorklist(p.ctx, p.tx, e)
	}
	return false, nil
}

// recomputeSupervision refolds every lead after the rules or the calendar
// changed: lead deadlines are counted in working days under them.
func recomputeSupervision(ctx context.Context, tx *sql.Tx, fc app.FoldContext) error {
	ids, err := strings1(ctx, tx, `SELECT DISTINCT case_id FROM events WHERE type = ? AND case_id <> '' ORDER BY case_id`,
		app.EventLeadRegistered)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := refoldLead(ctx, tx, id, fc); err != nil {
			return err
		}
	}
	return nil
}

func strings1(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func refoldLead(ctx context.Context, tx *sql.Tx, id string, fc app.FoldContext) error {
	events, err := queryEvents(ctx, tx, `SELECT `+eventColumns+` FROM events WHERE case_id = ? AND type LIKE 'lead.%'`+
		canonicalOrder, id)
	if err != nil {
		return err
	}
	l := app.FoldLead(id, events, fc)
	if l == nil {
		_, err := tx.ExecContext(ctx, `DELETE FROM leads WHERE id = ?`, id)
		return err
	}
	data, err := json.Marshal(l)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO leads (id, township_code, source, received_on, mode, assignee, state,
		deadline, subject_household, subject_name, result, recovered, concluded_on, closed_on, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, enc(?), ?, ?, ?, ?, enc(?))
		ON CONFLICT (id) DO UPDATE SET township_code = excluded.township_code, source = excluded.source,
		received_on = excluded.received_on, mode = excluded.mode, assignee = excluded.assignee, state = excluded.state,
		deadline = excluded.deadline, subject_household = excluded.subject_household, subject_name = excluded.subject_name,
		result = excluded.result, recovered = excluded.recovered, concluded_on = excluded.concluded_on,
		closed_on = excluded.closed_on, data = excluded.data`,
		l.ID, l.Township, string(l.Source), l.ReceivedOn.String(), string(l.Mode), l.Assignee, string(l.State),
		l.Deadline.String(), l.SubjectHousehold, l.SubjectName, string(l.Result), int64(l.Recovered),
		l.ConcludedOn.String(), l.ClosedOn.String(), string(data))
	if err != nil {
		return fmt.Errorf("save lead %s: %w", id, err)
	}
	return nil
}

// RegisterLead records a new problem lead and returns its ID. A subject
// household must exist on this device (its head's name is filled in), and
// linked cases must exist.
func (s *Store) RegisterLead(ctx context.Context, actor app.Actor, in app.LeadRegistered) (string, error) {
	if actor.Role == app.RoleLiaison {
		return "", app.Errorf(app.EFORBIDDEN, "问题线索由乡镇经办人、审批人或县级民政登记")
	}
	if (in.Mode != "" || strings.TrimSpace(in.Assignee) != "") && app.AllowedLead(app.LeadRegisteredState, app.LeadAssign, actor.Role) != nil {
		return "", app.Errorf(app.EFORBIDDEN, "登记时确定办理方式和承办人即为交办，须由乡镇审批人或县级民政办理；请只登记，由审批人交办")
	}
	in.Content = strings.TrimSpace(in.Content)
	in.SubjectName = strings.TrimSpace(in.SubjectName)
	in.Complainant = strings.TrimSpace(in.Complainant)
	if in.SubjectHousehold != "" {
		agg, err := s.Household(ctx, in.SubjectHousehold)
		if err != nil {
			return "", app.FieldErrorf("被反映对象", "未找到被反映的家庭")
		}
		if head, ok := agg.Household.Head(); ok && in.SubjectName == "" {
			in.SubjectName = head.Name
		}
	}
	for _, c := range in.LinkedCases {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE id = ?`, c).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return "", app.FieldErrorf("关联案件", "未找到关联的案件 %s", short(c))
		}
	}
	if err := in.Validate(s.Today()); err != nil {
		return "", err
	}
	id := app.NewID()
	_, err := s.append(ctx, actor, draft{Type: app.EventLeadRegistered, CaseID: id, Payload: in})
	return id, err
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// LeadStep takes a step on a lead (交办, 进展, 转办, 办结, 销号), checked against
// the lead as stored now. Nothing is written on error.
func (s *Store) LeadStep(ctx context.Context, actor app.Actor, leadID string, a app.LeadAction, d app.LeadStepData) error {
	l, err := s.Lead(ctx, leadID)
	if err != nil {
		return err
	}
	if a.EventType() == "" {
		return app.Errorf(app.EINVALID, "问题线索没有“%s”这一步", a)
	}
	if d.Date.IsZero() {
		d.Date = s.Today()
	}
	if d.Date.After(s.Today()) {
		return app.FieldErrorf("办理日期", "办理日期不能晚于今天")
	}
	trial := *l
	if err := trial.Apply(a, actor.Role, d); err != nil {
		return err
	}
	_, err = s.append(ctx, actor, draft{Type: a.EventType(), CaseID: leadID, Payload: app.LeadStep{Data: d, Prev: l.LastEvent}})
	return err
}

// Lead loads one lead with its full history, complainant included (the
// detail screen of the office that handles it).
func (s *Store) Lead(ctx context.Context, id string) (*app.Lead, error) {
	var data string
	err := s.db.QueryRowContext(ctx, `SELECT dec(data) FROM leads WHERE id = ?`, id).Scan(&data)
	if err == sql.ErrNoRows {
		return nil, app.Errorf(app.ENOTFOUND, "未找到该问题线索")
	}
	if err != nil {
		return nil, fmt.Errorf("load lead %s: %w", id, err)
	}
	var l app.Lead
	if err := json.Unmarshal([]byte(data), &l); err != nil {
		return nil, fmt.Errorf("load lead %s: %w", id, err)
	}
	return &l, nil
}

// LeadRow is one line of the lead list. It never holds the complainant.
type LeadRow struct {
	ID               string           `json:"id"`
	Source           app.LeadSource   `json:"source"`
	ReceivedOn       string           `json:"received_on"`
	Mode             app.HandlingMode `json:"mode,omitempty"`
	Assignee         string           `json:"assignee,omitempty"`
	State            app.LeadState    `json:"state"`
	Deadline         string           `json:"deadline"`
	SubjectHousehold string           `json:"subject_household,omitempty"`
	SubjectName      string           `json:"subject_name"`
	Content          string           `json:"content"`
	Result           app.LeadResult   `json:"result,omitempty"`
	Recovered        app.Money        `json:"recovered"`
	ConcludedOn      string           `json:"concluded_on,omitempty"`
	ClosedOn         string           `json:"closed_on,omitempty"`
	Overdue          bool             `json:"overdue"`
}

// LeadFilter selects leads; zero fields match everything.
type LeadFilter struct {
	State       app.LeadState
	Source      app.LeadSource
	Mode        app.HandlingMode
	HouseholdID string
	OpenOnly    bool     // registered or handling
	OverdueOn   app.Date // open and past the deadline on this day
	From, To    app.Date // received between (inclusive)
	Today       app.Date // marks Overdue on rows; default the store's today
	Limit       int      // default 1000
	Offset      int
}

// Leads lists leads, the most urgent first: open ones by deadline, then the
// others by receipt date, newest first.
func (s *Store) Leads(ctx context.Context, f LeadFilter) ([]LeadRow, error) {
	var where []string
	var args []any
	add := func(cond string, arg ...any) { where, args = append(where, cond), append(args, arg...) }
	if f.State != "" {
		add(`state = ?`, string(f.State))
	}
	if f.Source != "" {
		add(`source = ?`, string(f.Source))
	}
	if f.Mode != "" {
		add(`mode = ?`, string(f.Mode))
	}
	if f.HouseholdID != "" {
		add(`subject_household = ?`, f.HouseholdID)
	}
	if f.OpenOnly || !f.OverdueOn.IsZero() {
		add(`state IN ('registered', 'handling')`)
	}
	if !f.OverdueOn.IsZero() {
		add(`deadline <> '' AND deadline < ?`, f.OverdueOn.String())
	}
	if !f.From.IsZero() {
		add(`received_on >= ?`, f.From.String())
	}
	if !f.To.IsZero() {
		add(`received_on <= ?`, f.To.String())
	}
	q := `SELECT dec(data) FROM leads`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	q += ` ORDER BY state NOT IN ('registered', 'handling'), CASE WHEN state IN ('registered', 'handling') THEN deadline END,
		received_on DESC, id LIMIT ? OFFSET ?`
	args = append(args, limit, f.Offset)
	today := f.Today
	if today.IsZero() {
		today = s.Today()
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list leads: %w", err)
	}
	defer rows.Close()
	var out []LeadRow
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var l app.Lead
		if err := json.Unmarshal([]byte(data), &l); err != nil {
			return nil, err
		}
		out = append(out, leadRow(&l, today))
	}
	return out, rows.Err()
}

func leadRow(l *app.Lead, today app.Date) LeadRow {
	return LeadRow{ID: l.ID, Source: l.Source, ReceivedOn: l.ReceivedOn.String(), Mode: l.Mode, Assignee: l.Assignee,
		State: l.State, Deadline: l.Deadline.String(), SubjectHousehold: l.SubjectHousehold, SubjectName: l.SubjectName,
		Content: l.Content, Result: l.Result, Recovered: l.Recovered, ConcludedOn: l.ConcludedOn.String(),
		ClosedOn: l.ClosedOn.String(), Overdue: l.Overdue(today)}
}

// OverdueLeads lists open leads past their deadline on today, the oldest deadline first.
func (s *Store) OverdueLeads(ctx context.Context, today app.Date) ([]LeadRow, error) {
	return s.Leads(ctx, LeadFilter{OverdueOn: today, Today: today})
}

// LeadStats is the 问题线索 part of the monthly ledger for leads received in
// [From, To]: counts by source and mode, closed, overdue on To, funds recovered.
type LeadStats struct {
	Received  int
	BySource  map[app.LeadSource]int
	ByMode    map[app.HandlingMode]int
	Concluded int
	Closed    int
	Overdue   int
	Recovered app.Money
}

// LeadStatistics computes LeadStats for leads received from from to to (inclusive).
func (s *Store) LeadStatistics(ctx context.Context, from, to app.Date) (LeadStats, error) {
	st := LeadStats{BySource: map[app.LeadSource]int{}, ByMode: map[app.HandlingMode]int{}}
	rows, err := s.Leads(ctx, LeadFilter{From: from, To: to, Today: to.AddDays(1), Limit: 1 << 30})
	if err != nil {
		return st, err
	}
	for _, r := range rows {
		st.Received++
		st.BySource[r.Source]++
		if r.Mode != "" {
			st.ByMode[r.Mode]++
		}
		switch r.State {
		case app.LeadConcluded:
			st.Concluded++
		case app.LeadClosed:
			st.Concluded++
			st.Closed++
		}
		if r.Overdue {
			st.Overdue++
		}
		st.Recovered += r.Recovered
	}
	return st, nil
}
