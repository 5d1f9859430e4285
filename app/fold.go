package app

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Aggregate is one household with its cases, as folded from its events. The
// fold is deterministic: the same events in canonical order (Event.Less) give
// the same aggregate on every device and at the county.
type Aggregate struct {
	Household Household
	Exists    bool
	Cases     map[string]*Case
	// FieldEvents maps "target/field" to the event that last set it.
	FieldEvents map[string]string
	Conflicts   map[string]*Conflict
	Attachments []Attachment
}

// Conflict is a concurrent change that a person must look at: two edits of
// the same field from the same base, or two incompatible decisions.
type Conflict struct {
	ID          string `json:"id"` // the event that did not take effect
	HouseholdID string `json:"household_id"`
	CaseID      string `json:"case_id"`
	Kind        string `json:"kind"`    // ConflictField or ConflictDecision
	Subject     string `json:"subject"` // field or action
	Target      string `json:"target"`  // member id, or "" for the household
	KeptEvent   string `json:"kept_event"`
	OtherEvent  string `json:"other_event"`
	KeptValue   string `json:"kept_value"`
	OtherValue  string `json:"other_value"`
	// Set when a person resolved it.
	Resolution  string `json:"resolution,omitempty"` // ChoiceKept or ChoiceOther
	ResolvedBy  string `json:"resolved_by,omitempty"`
	ResolvedHLC HLC    `json:"resolved_hlc,omitempty"`
}

// Conflict resolutions.
const (
	ChoiceKept  = "kept"  // the version in force stays
	ChoiceOther = "other" // the version that did not take effect replaces it
)

const (
	ConflictField    = "field"
	ConflictDecision = "decision"
)

// Attachment is a file named by an event.
type Attachment struct {
	EventID     string `json:"event_id"`
	HouseholdID string `json:"household_id"`
	CaseID      string `json:"case_id"`
	AttachmentAdded
	AddedBy string `json:"added_by"`
	HLC     HLC    `json:"hlc"`
}

// FoldContext gives the fold the rules and calendar in force.
type FoldContext struct {
	Rules    RuleBook
	Calendar *Calendar
}

// StepContext returns the context of a step dated d.
func (f FoldContext) StepContext(d Date) StepContext {
	rs, err := f.Rules.At(d)
	if err != nil && len(f.Rules.Sets) > 0 {
		rs = f.Rules.Sets[0] // before the first set: the earliest known rules
	}
	cal := f.Calendar
	if cal == nil {
		cal = NewCalendar()
	}
	return StepContext{Rules: rs, Calendar: cal}
}

// NewAggregate returns an empty aggregate for household id.
func NewAggregate(id string) *Aggregate {
	return &Aggregate{Household: Household{ID: id}, Cases: map[string]*Case{}, FieldEvents: map[string]string{},
		Conflicts: map[string]*Conflict{}}
}

// CaseIDs returns the case IDs in a stable order.
func (a *Aggregate) CaseIDs() []string {
	ids := make([]string, 0, len(a.Cases))
	for id := range a.Cases {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Apply folds one event into the aggregate. An event that no longer fits
// (made on a stale view) never fails the fold: it becomes a Conflict. Only a
// malformed event returns an error; it then changes nothing.
func (a *Aggregate) Apply(e *Event, fc FoldContext) error {
	switch e.Type {
	case EventHouseholdRegistered:
		var p HouseholdRegistered
		if err := decode(e, &p); err != nil {
			return err
		}
		if a.Exists {
			return nil // a re-registration of the same id changes nothing
		}
		a.Household = p.Household
		a.Household.ID = e.HouseholdID
		a.Exists = true
	case EventMemberAdded:
		var p MemberAdded
		if err := decode(e, &p); err != nil {
			return err
		}
		if _, ok := a.Household.Member(p.Member.ID); !ok {
			a.Household.Members = append(a.Household.Members, p.Member)
		}
	case EventMemberRemoved:
		var p MemberRemoved
		if err := decode(e, &p); err != nil {
			return err
		}
		for i, m := range a.Household.Members {
			if m.ID == p.MemberID {
				a.Household.Members = append(a.Household.Members[:i:i], a.Household.Members[i+1:]...)
				break
			}
		}
	case EventFieldSet:
		var p FieldSet
		if err := decode(e, &p); err != nil {
			return err
		}
		return a.applyField(e, p)
	case EventCaseApplied:
		var p CaseApplied
		if err := decode(e, &p); err != nil {
			return err
		}
		if _, ok := a.Cases[e.CaseID]; !ok {
			c := &Case{ID: e.CaseID, HouseholdID: e.HouseholdID, Program: p.Program, State: StateApplied,
				TempKind: p.TempKind, AppliedOn: p.AppliedOn, Reason: p.Reason, LastStep: e.ID}
			if en := p.Enrolled; en != nil && p.Program != ProgramTemporary {
				c.State, c.DecidedOn, c.ReportedOn, c.Amount = StatePaying, en.Since, en.Since, en.Amount
				c.ReviewDue = en.Since.AddMonths(fc.StepContext(en.Since).Rules.ReviewMonthsStable)
			}
			a.Cases[e.CaseID] = c
		}
	case EventCaseStep:
		var p CaseStep
		if err := decode(e, &p); err != nil {
			return err
		}
		return a.applyStep(e, p, fc)
	case EventAttachmentAdded:
		var p AttachmentAdded
		if err := decode(e, &p); err != nil {
			return err
		}
		a.Attachments = append(a.Attachments, Attachment{EventID: e.ID, HouseholdID: e.HouseholdID,
			CaseID: e.CaseID, AttachmentAdded: p, AddedBy: e.Actor.Name, HLC: e.HLC})
	case EventConflictResolved:
		var p ConflictResolved
		if err := decode(e, &p); err != nil {
			return err
		}
		return a.resolve(e, p)
	default:
		return fmt.Errorf("event %s: unknown type %q for a household", e.ID, e.Type)
	}
	return nil
}

func (a *Aggregate) applyField(e *Event, p FieldSet) error {
	key := p.MemberID + "/" + p.Field
	current := a.FieldEvents[key]
	old, err := a.fieldValue(p.MemberID, p.Field)
	if err != nil {
		return fmt.Errorf("event %s: %w", e.ID, err)
	}
	if current != p.Prev {
		// The author did not see the edit now in force: keep it, record both.
		a.Conflicts[e.ID] = &Conflict{ID: e.ID, HouseholdID: e.HouseholdID, Kind: ConflictField,
			Subject: p.Field, Target: p.MemberID, KeptEvent: current, OtherEvent: e.ID,
			KeptValue: string(old), OtherValue: string(p.Value)}
		return nil
	}
	if err := a.setField(p.MemberID, p.Field, p.Value); err != nil {
		return fmt.Errorf("event %s: %w", e.ID, err)
	}
	a.FieldEvents[key] = e.ID
	return nil
}

// ForceField applies a field value chosen by a person resolving a conflict.
func (a *Aggregate) ForceField(eventID, memberID, field string, value json.RawMessage) error {
	if err := a.setField(memberID, field, value); err != nil {
		return err
	}
	a.FieldEvents[memberID+"/"+field] = eventID
	return nil
}

func (a *Aggregate) applyStep(e *Event, p CaseStep, fc FoldContext) error {
	c, ok := a.Cases[e.CaseID]
	if !ok {
		return fmt.Errorf("event %s: case %s not found", e.ID, e.CaseID)
	}
	ctx := fc.StepContext(p.Data.Date)
	if err := c.Apply(p.Action, e.Actor.Role, p.Data, ctx); err != nil {
		if p.Prev == c.LastStep {
			// Not a concurrency problem: the event was invalid when written.
			// The county records such events as rejected; the fold ignores them.
			return nil
		}
		if p.Action == lastAction(c) {
			return nil // the same step taken twice (two devices accepted): nothing to choose
		}
		a.Conflicts[e.ID] = &Conflict{ID: e.ID, HouseholdID: e.HouseholdID, CaseID: c.ID,
			Kind: ConflictDecision, Subject: string(p.Action), KeptEvent: c.LastStep, OtherEvent: e.ID,
			KeptValue: string(c.State), OtherValue: string(p.Action)}
		return nil
	}
	c.LastStep = e.ID
	c.LastAction = p.Action
	return nil
}

func lastAction(c *Case) Action { return c.LastAction }

// resolve records a person's choice. Choosing the other version of a field
// applies it now; choosing the other decision is recorded, and the approver
// then takes that step through the workflow (it needs its own signature).
func (a *Aggregate) resolve(e *Event, p ConflictResolved) error {
	c, ok := a.Conflicts[p.ConflictID]
	if !ok {
		return fmt.Errorf("event %s: conflict %s not found", e.ID, p.ConflictID)
	}
	if c.Resolution != "" {
		return nil // resolved on another device first: the first resolution stands
	}
	if p.Choice != ChoiceKept && p.Choice != ChoiceOther {
		return fmt.Errorf("event %s: bad choice %q", e.ID, p.Choice)
	}
	c.Resolution, c.ResolvedBy, c.ResolvedHLC = p.Choice, e.Actor.Name, e.HLC
	if p.Choice == ChoiceOther && c.Kind == ConflictField {
		return a.ForceField(e.ID, c.Target, c.Subject, json.RawMessage(c.OtherValue))
	}
	return nil
}

func decode(e *Event, v any) error {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("event %s (%s): bad payload: %w", e.ID, e.Type, err)
	}
	return nil
}

// Household and member fields that field.set may change.
var householdFields = map[string]func(h *Household) any{
	"address":      func(h *Household) any { return &h.Address },
	"phone":        func(h *Household) any { return &h.Phone },
	"bank_name":    func(h *Household) any { return &h.BankName },
	"bank_account": func(h *Household) any { return &h.BankAccount },
	"area":         func(h *Household) any { return &h.Area },
	"categories":   func(h *Household) any { return &h.Categories },
	"incomes":      func(h *Household) any { return &h.Incomes },
	"assets":       func(h *Household) any { return &h.Assets },
	"village_name": func(h *Household) any { return &h.VillageName },
}

var memberFields = map[string]func(m *Member) any{
	"name":             func(m *Member) any { return &m.Name },
	"relation":         func(m *Member) any { return &m.Relation },
	"disability":       func(m *Member) any { return &m.Disability },
	"disability_grade": func(m *Member) any { return &m.DisabilityGrade },
	"work_capacity":    func(m *Member) any { return &m.WorkCapacity },
	"health":           func(m *Member) any { return &m.Health },
	"schooling":        func(m *Member) any { return &m.Schooling },
	"covered":          func(m *Member) any { return &m.Covered },
	"phone":            func(m *Member) any { return &m.Phone },
}

// FieldLabels names editable fields in Chinese for the conflict screen.
var FieldLabels = map[string]string{
	"address": "住址", "phone": "联系电话", "bank_name": "开户银行", "bank_account": "银行账号", "area": "城乡类别",
	"categories": "家庭类别", "incomes": "收入", "assets": "财产", "village_name": "村(社区)名称", "name": "姓名",
	"relation": "与户主关系", "disability": "残疾类别", "disability_grade": "残疾等级", "work_capacity": "劳动能力",
	"health": "健康状况", "schooling": "在学情况", "covered": "是否保障对象",
}

// ValidField reports whether field.set may change field (of a member when memberID is set).
func ValidField(memberID, field string) bool {
	if memberID == "" {
		_, ok := householdFields[field]
		return ok
	}
	_, ok := memberFields[field]
	return ok
}

func (a *Aggregate) fieldPtr(memberID, field string) (any, error) {
	if memberID == "" {
		get, ok := householdFields[field]
		if !ok {
			return nil, fmt.Errorf("unknown household field %q", field)
		}
		return get(&a.Household), nil
	}
	get, ok := memberFields[field]
	if !ok {
		return nil, fmt.Errorf("unknown member field %q", field)
	}
	for i := range a.Household.Members {
		if a.Household.Members[i].ID == memberID {
			return get(&a.Household.Members[i]), nil
		}
	}
	return nil, fmt.Errorf("member %s not found", memberID)
}

func (a *Aggregate) fieldValue(memberID, field string) (json.RawMessage, error) {
	ptr, err := a.fieldPtr(memberID, field)
	if err != nil {
		return nil, err
	}
	return json.Marshal(ptr)
}

func (a *Aggregate) setField(memberID, field string, value json.RawMessage) error {
	ptr, err := a.fieldPtr(memberID, field)
	if err != nil {
		return err
	}
	return json.Unmarshal(value, ptr)
}
