package app

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"
)

type eventMaker struct {
	device string
	seq    int64
	wall   int64
}

func (m *eventMaker) ev(typ, caseID string, role Role, payload any) Event {
	m.seq++
	m.wall++
	raw, _ := json.Marshal(payload)
	return Event{ID: m.device + "-" + string(rune('a'+m.seq)), DeviceID: m.device, DeviceSeq: m.seq, Type: typ,
		HouseholdID: "h1", CaseID: caseID, HLC: HLC{Wall: m.wall}, Actor: Actor{Name: m.device, Role: role}, Payload: raw}
}

func foldAll(t *testing.T, events []Event) *Aggregate {
	t.Helper()
	sorted := append([]Event(nil), events...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Less(&sorted[j]) })
	agg := NewAggregate("h1")
	fc := FoldContext{Rules: DefaultRuleBook(), Calendar: ChinaCalendar2025to2027()}
	for i := range sorted {
		if err := agg.Apply(&sorted[i], fc); err != nil {
			t.Fatalf("apply %s: %v", sorted[i].Type, err)
		}
	}
	return agg
}

func baseEvents(m *eventMaker) []Event {
	h := Household{ID: "h1", Members: []Member{{ID: "m1", Name: "张兰", Relation: RelationHead}}, Phone: "1"}
	return []Event{
		m.ev(EventHouseholdRegistered, "", RoleLiaison, HouseholdRegistered{Household: h}),
		m.ev(EventCaseApplied, "c1", RoleLiaison, CaseApplied{Program: ProgramDibao, AppliedOn: NewDate(2025, 3, 3)}),
	}
}

func TestConcurrentFieldEditsBecomeAConflict(t *testing.T) {
	a := &eventMaker{device: "A"}
	base := baseEvents(a)
	b := &eventMaker{device: "B", wall: a.wall}
	// Both devices saw the registration (no earlier phone edit) and changed the phone.
	ea := a.ev(EventFieldSet, "", RoleClerk, FieldSet{Field: "phone", Value: json.RawMessage(`"13800000001"`)})
	eb := b.ev(EventFieldSet, "", RoleClerk, FieldSet{Field: "phone", Value: json.RawMessage(`"13900000002"`)})
	// Different fields merge without a conflict.
	ec := b.ev(EventFieldSet, "", RoleClerk, FieldSet{Field: "address", Value: json.RawMessage(`"新地址"`)})
	one := foldAll(t, append(append([]Event{}, base...), ea, eb, ec))
	two := foldAll(t, append(append([]Event{}, base...), ec, eb, ea)) // arrival order does not matter
	if !reflect.DeepEqual(one, two) {
		t.Fatal("fold depends on arrival order")
	}
	if one.Household.Phone != "13800000001" || one.Household.Address != "新地址" {
		t.Fatalf("phone %q address %q", one.Household.Phone, one.Household.Address)
	}
	if len(one.Conflicts) != 1 {
		t.Fatalf("%d conflicts, want 1", len(one.Conflicts))
	}
	c := one.Conflicts[eb.ID]
	if c == nil || c.Kind != ConflictField || c.KeptValue != `"13800000001"` || c.OtherValue != `"13900000002"` {
		t.Fatalf("conflict %+v", c)
	}
	// A sequential edit (the author saw ea) is not a conflict.
	ed := a.ev(EventFieldSet, "", RoleClerk, FieldSet{Field: "phone", Value: json.RawMessage(`"3"`), Prev: ea.ID})
	three := foldAll(t, append(append([]Event{}, base...), ea, eb, ec, ed))
	if three.Household.Phone != "3" || len(three.Conflicts) != 1 {
		t.Fatalf("sequential edit: phone %q, %d conflicts", three.Household.Phone, len(three.Conflicts))
	}
	// Resolving in favour of the other version applies it.
	er := a.ev(EventConflictResolved, "", RoleClerk, ConflictResolved{ConflictID: eb.ID, Choice: ChoiceOther})
	four := foldAll(t, append(append([]Event{}, base...), ea, eb, ec, er))
	if four.Household.Phone != "13900000002" || four.Conflicts[eb.ID].Resolution != ChoiceOther {
		t.Fatalf("resolution: phone %q %+v", four.Household.Phone, four.Conflicts[eb.ID])
	}
}

func TestIncompatibleDecisionsBecomeAConflict(t *testing.T) {
	a := &eventMaker{device: "A"}
	events := baseEvents(a)
	steps := []CaseStep{
		{Action: ActionAccept, Data: StepData{Date: NewDate(2025, 3, 4), ConsentSigned: true}},
		{Action: ActionVisit, Data: StepData{Date: NewDate(2025, 3, 5), Staff: []string{"王", "李"}, Findings: "x"}},
		{Action: ActionNotice, Data: StepData{Date: NewDate(2025, 3, 6)}},
	}
	roles := []Role{RoleClerk, RoleLiaison, RoleClerk}
	for i, s := range steps {
		s.Prev = events[len(events)-1].ID
		events = append(events, a.ev(EventCaseStep, "c1", roles[i], s))
	}
	noticeID := events[len(events)-1].ID
	b := &eventMaker{device: "B", wall: a.wall}
	approve := a.ev(EventCaseStep, "c1", RoleApprover, CaseStep{Action: ActionApprove, Prev: noticeID,
		Data: StepData{Date: NewDate(2025, 3, 20), Amount: 20000}})
	reject := b.ev(EventCaseStep, "c1", RoleApprover, CaseStep{Action: ActionReject, Prev: noticeID,
		Data: StepData{Date: NewDate(2025, 3, 20), Reasons: []string{"收入超标"}}})
	agg := foldAll(t, append(events, approve, reject))
	if agg.Cases["c1"].State != StateApproved {
		t.Fatalf("state %s", agg.Cases["c1"].State)
	}
	c := agg.Conflicts[reject.ID]
	if c == nil || c.Kind != ConflictDecision || c.Subject != string(ActionReject) || c.KeptEvent != approve.ID {
		t.Fatalf("decision conflict %+v", c)
	}
	// The same step taken on two devices is not a conflict.
	accept2 := b.ev(EventCaseStep, "c1", RoleClerk, CaseStep{Action: ActionAccept, Prev: events[1].ID,
		Data: StepData{Date: NewDate(2025, 3, 4), ConsentSigned: true}})
	agg = foldAll(t, append(events[:3:3], accept2))
	if len(agg.Conflicts) != 0 || agg.Cases["c1"].State != StateAccepted {
		t.Fatalf("duplicate accept: %d conflicts, state %s", len(agg.Conflicts), agg.Cases["c1"].State)
	}
}

func TestMalformedEventChangesNothing(t *testing.T) {
	a := &eventMaker{device: "A"}
	agg := foldAll(t, baseEvents(a))
	bad := a.ev(EventFieldSet, "", RoleClerk, "not an object")
	before, _ := json.Marshal(agg)
	if err := agg.Apply(&bad, FoldContext{Rules: DefaultRuleBook()}); err == nil {
		t.Fatal("malformed payload accepted")
	}
	after, _ := json.Marshal(agg)
	if string(before) != string(after) {
		t.Fatal("malformed event changed the aggregate")
	}
}

func TestEnrolledBeneficiaryStartsInPayment(t *testing.T) {
	a := &eventMaker{device: "A"}
	h := Household{ID: "h1", Members: []Member{{ID: "m1", Name: "张兰", Relation: RelationHead}}}
	agg := foldAll(t, []Event{
		a.ev(EventHouseholdRegistered, "", RoleLiaison, HouseholdRegistered{Household: h}),
		a.ev(EventCaseApplied, "c1", RoleLiaison, CaseApplied{Program: ProgramDibao, AppliedOn: NewDate(2023, 5, 1),
			Enrolled: &Enrolment{Since: NewDate(2023, 5, 1), Amount: 80000, Source: "花名册.xlsx"}}),
	})
	c := agg.Cases["c1"]
	if c.State != StatePaying || c.Amount != 80000 || c.DecidedOn != NewDate(2023, 5, 1) || c.ReviewDue != NewDate(2024, 5, 1) {
		t.Fatalf("enrolled case %+v", c)
	}
	if dl, ok := c.NextDeadline(StepContext{Rules: DefaultRuleSet2024(), Calendar: NewCalendar()}); !ok || dl.Step != StepReview {
		t.Fatalf("enrolled case deadline %v", dl)
	}
}
