package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestWorklistAddedValidation(t *testing.T) {
	today := Date{2026, 5, 20}
	ok := WorklistAdded{Source: "disability", Kind: WorklistMissed, IDNumber: "11010519491231002X", Name: "冯残",
		Reason: "重度残疾，未纳入保障", CreatedOn: today}
	cases := []struct {
		name  string
		edit  func(*WorklistAdded)
		field string // "" = valid
	}{
		{"valid", func(*WorklistAdded) {}, ""},
		{"wrong kind", func(p *WorklistAdded) { p.Kind = WorklistWrong }, ""},
		{"no name (unregistered, partner gave none)", func(p *WorklistAdded) { p.Name = "" }, ""},
		{"unknown kind", func(p *WorklistAdded) { p.Kind = "maybe" }, "核查类别"},
		{"no source", func(p *WorklistAdded) { p.Source = " " }, "比对来源"},
		{"no ID number", func(p *WorklistAdded) { p.IDNumber = "" }, "身份证号"},
		{"no reason", func(p *WorklistAdded) { p.Reason = "" }, "核查原因"},
		{"no date", func(p *WorklistAdded) { p.CreatedOn = Date{} }, "比对日期"},
		{"future date", func(p *WorklistAdded) { p.CreatedOn = today.AddDays(1) }, "比对日期"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := ok
			c.edit(&p)
			checkField(t, p.Validate(today), c.field)
		})
	}
	// The fold passes no today: a date valid when written stays valid.
	late := ok
	late.CreatedOn = today.AddDays(30)
	if err := late.Validate(Date{}); err != nil {
		t.Errorf("without today the date is not bounded: %v", err)
	}
}

func TestWorklistClosedValidation(t *testing.T) {
	today := Date{2026, 5, 20}
	cases := []struct {
		name  string
		p     WorklistClosed
		field string // "" = valid
	}{
		{"included", WorklistClosed{Result: WorklistIncluded, Date: today}, ""},
		{"exited", WorklistClosed{Result: WorklistExited, Date: today.AddDays(-3)}, ""},
		{"confirmed ok", WorklistClosed{Result: WorklistConfirmedOK, Date: today}, ""},
		{"other with note", WorklistClosed{Result: WorklistOther, Note: "已迁出本乡镇", Date: today}, ""},
		{"other without note", WorklistClosed{Result: WorklistOther, Note: "  ", Date: today}, "核查情况"},
		{"unknown result", WorklistClosed{Result: "done", Date: today}, "核查结果"},
		{"no result", WorklistClosed{Date: today}, "核查结果"},
		{"no date", WorklistClosed{Result: WorklistIncluded}, "核查日期"},
		{"future date", WorklistClosed{Result: WorklistIncluded, Date: today.AddDays(1)}, "核查日期"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkField(t, c.p.Validate(today), c.field) })
	}
}

func checkField(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), field) || ErrorCode(err) != EINVALID {
		t.Fatalf("want an EINVALID error about %s, got %v", field, err)
	}
}

func TestWorklistLabels(t *testing.T) {
	for _, r := range WorklistResults {
		if !r.Valid() || r.Label() == "" {
			t.Errorf("result %s has no label", r)
		}
	}
	if WorklistResult("x").Valid() || WorklistKind("x").Valid() {
		t.Error("unknown result or kind is valid")
	}
	if WorklistMissed.Label() != "疑似漏保" || WorklistWrong.Label() != "疑似错保" {
		t.Error("kind labels")
	}
	if !IsWorklistEvent(EventWorklistAdded) || !IsWorklistEvent(EventWorklistClosed) || IsWorklistEvent(EventLeadClosed) {
		t.Error("IsWorklistEvent")
	}
}

// wl builds worklist events in canonical order: the wall clock is the index.
type wl struct {
	t      *testing.T
	events []Event
}

func (w *wl) add(device, item, idNumber string) {
	w.emit(device, EventWorklistAdded, item, "370000000001", WorklistAdded{Source: "housing", Kind: WorklistWrong,
		IDNumber: idNumber, Name: "赵大", Reason: "名下有商品房", CreatedOn: Date{2026, 5, 1}})
}

func (w *wl) close(device, item string, r WorklistResult, note string) {
	w.emit(device, EventWorklistClosed, item, "370000000001", WorklistClosed{Result: r, Note: note, Date: Date{2026, 5, 2}})
}

func (w *wl) emit(device, typ, item, village string, payload any) {
	raw, err := json.Marshal(payload)
	if err != nil {
		w.t.Fatal(err)
	}
	n := int64(len(w.events) + 1)
	w.events = append(w.events, Event{ID: fmt.Sprintf("e%d", n), DeviceID: device, DeviceSeq: n, Type: typ,
		CaseID: item, TownshipCode: "370000000", VillageCode: village, HLC: HLC{Wall: n}, Payload: raw,
		Actor: Actor{UserID: "u-" + device, Name: "经办" + device, Role: RoleClerk}})
}

func byItemID(items []*WorklistItem) map[string]*WorklistItem {
	m := map[string]*WorklistItem{}
	for _, it := range items {
		m[it.ID] = it
	}
	return m
}

func TestFoldWorklistAddAndClose(t *testing.T) {
	w := &wl{t: t}
	w.add("A", "i1", "P1")
	w.add("A", "i2", "P2")
	w.close("B", "i1", WorklistExited, "已停发")
	items := FoldWorklist(w.events)
	if len(items) != 2 || items[0].ID != "i1" || items[1].ID != "i2" {
		t.Fatalf("items %+v", items)
	}
	i1, i2 := items[0], items[1]
	if i1.Status != WorklistClosedState || i1.Closed == nil || i1.Closed.Result != WorklistExited || i1.Closed.By != "经办B" ||
		i1.Closed.Note != "已停发" || i1.Closed.Date != (Date{2026, 5, 2}) || i1.Closed.ItemID != "i1" {
		t.Errorf("i1 %+v closed %+v", i1, i1.Closed)
	}
	if i1.CreatedBy != "经办A" || i1.VillageCode != "370000000001" || i1.Township != "370000000" || i1.IDNumber != "P1" {
		t.Errorf("i1 envelope fields %+v", i1)
	}
	if i2.Status != WorklistOpen || i2.Closed != nil {
		t.Errorf("i2 %+v", i2)
	}
}

// Two devices record a visit result for the same item before either saw the
// other's: the first in canonical order is in force, the other is kept.
func TestFoldWorklistConcurrentCloses(t *testing.T) {
	w := &wl{t: t}
	w.add("A", "i1", "P1")
	w.close("B", "i1", WorklistConfirmedOK, "")
	w.close("A", "i1", WorklistOther, "户主已去世")
	it := FoldWorklist(w.events)[0]
	if it.Status != WorklistClosedState || it.Closed.Result != WorklistConfirmedOK || it.Closed.By != "经办B" {
		t.Errorf("close in force %+v", it.Closed)
	}
	if len(it.OtherCloses) != 1 || it.OtherCloses[0].Result != WorklistOther || it.OtherCloses[0].Note != "户主已去世" ||
		it.OtherCloses[0].By != "经办A" {
		t.Errorf("the later close is not kept: %+v", it.OtherCloses)
	}
	// The order of arrival does not matter, only the canonical order.
	again := FoldWorklist(w.events)[0]
	if again.Closed.EventID != it.Closed.EventID {
		t.Error("fold is not deterministic")
	}
}

// Two devices run the same list before syncing: the later item joins the
// earlier one, and a close of either closes both.
func TestFoldWorklistMergesSamePerson(t *testing.T) {
	w := &wl{t: t}
	w.add("A", "i1", "P1")
	w.add("B", "i2", "P1")
	w.add("B", "i3", "P2") // another person: its own item
	w.close("B", "i2", WorklistIncluded, "")
	w.close("A", "i1", WorklistConfirmedOK, "")
	items := byItemID(FoldWorklist(w.events))
	i1, i2, i3 := items["i1"], items["i2"], items["i3"]
	if i2.Status != WorklistMerged || i2.MergedInto != "i1" || i2.Closed != nil {
		t.Errorf("i2 %+v", i2)
	}
	if i1.Status != WorklistClosedState || i1.Closed.ItemID != "i2" || i1.Closed.Result != WorklistIncluded {
		t.Errorf("the close of the merged item must close i1: %+v", i1.Closed)
	}
	if len(i1.OtherCloses) != 1 || i1.OtherCloses[0].ItemID != "i1" {
		t.Errorf("i1's own later close: %+v", i1.OtherCloses)
	}
	if i3.Status != WorklistOpen {
		t.Errorf("i3 %+v", i3)
	}
	// Once closed, the same person flagged again is a new open item.
	w.add("A", "i4", "P1")
	if i4 := byItemID(FoldWorklist(w.events))["i4"]; i4.Status != WorklistOpen || i4.MergedInto != "" {
		t.Errorf("re-flagged after the visit: %+v", i4)
	}
}

func TestFoldWorklistIgnoresMalformed(t *testing.T) {
	w := &wl{t: t}
	w.close("B", "i1", WorklistIncluded, "") // before its item
	w.add("A", "i1", "P1")
	w.add("A", "i1", "P9")                     // the same ID again
	w.close("A", "i1", WorklistOther, "")      // other without a note
	w.close("A", "i1", "done", "")             // unknown result
	w.close("A", "nope", WorklistIncluded, "") // unknown item
	w.add("A", "", "P2")                       // no item ID
	w.emit("A", EventWorklistAdded, "i5", "", json.RawMessage(`{"kind":"missed"}`))
	w.emit("A", EventWorklistClosed, "i1", "", json.RawMessage(`"garbage"`))
	items := FoldWorklist(w.events)
	if len(items) != 1 {
		t.Fatalf("items %+v", items)
	}
	if it := items[0]; it.Status != WorklistOpen || it.IDNumber != "P1" || it.Closed != nil || len(it.OtherCloses) != 0 {
		t.Errorf("item %+v", it)
	}
}
