package app

import (
	"strings"
)

// Cross-check screening worklist (信息核对/全面排查): people a partner
// department's list flagged as possibly missed (疑似漏保) or wrongly covered
// (疑似错保), each closed with the result of a visit. Like a problem lead, an
// item is its own record: its events carry no household ID (the person's
// household, when registered here, is in the payload), and the envelope's
// CaseID names the item. The envelope's VillageCode is the item's village, ""
// for a person not registered in the township: the county delivers an item
// to the township's office devices and to the laptops of its village only, so
// an item without a village stays with the township office.

// Worklist event types.
const (
	EventWorklistAdded  = "worklist.added"
	EventWorklistClosed = "worklist.closed"
)

// IsWorklistEvent reports whether an event type belongs to the worklist.
func IsWorklistEvent(t string) bool { return strings.HasPrefix(t, "worklist.") }

// WorklistKind is what a cross-check suspects.
type WorklistKind string

const (
	WorklistMissed WorklistKind = "missed" // 疑似漏保: in hardship, not covered
	WorklistWrong  WorklistKind = "wrong"  // 疑似错保: covered, with a red flag
)

var worklistKindLabels = map[WorklistKind]string{WorklistMissed: "疑似漏保", WorklistWrong: "疑似错保"}

func (k WorklistKind) Label() string {
	if l, ok := worklistKindLabels[k]; ok {
		return l
	}
	return string(k)
}

// Valid reports whether k is a known kind.
func (k WorklistKind) Valid() bool { _, ok := worklistKindLabels[k]; return ok }

// WorklistResult is the finding of the visit that closes an item.
type WorklistResult string

const (
	WorklistIncluded    WorklistResult = "included"     // 已纳入保障 (漏保 fixed)
	WorklistExited      WorklistResult = "exited"       // 已停发/退出 (错保 fixed)
	WorklistConfirmedOK WorklistResult = "confirmed_ok" // 核实无问题
	WorklistOther       WorklistResult = "other"        // 其他 (see the note)
)

// WorklistResults in display order.
var WorklistResults = []WorklistResult{WorklistIncluded, WorklistExited, WorklistConfirmedOK, WorklistOther}

var worklistResultLabels = map[WorklistResult]string{WorklistIncluded: "已纳入保障", WorklistExited: "已停发退出",
	WorklistConfirmedOK: "核实无问题", WorklistOther: "其他"}

// Label is the Chinese label of a result, "" for an unknown one.
func (r WorklistResult) Label() string { return worklistResultLabels[r] }

// Valid reports whether r is a known result.
func (r WorklistResult) Valid() bool { return r.Label() != "" }

// WorklistStatus is where an item stands.
type WorklistStatus string

const (
	WorklistOpen        WorklistStatus = "open"   // waiting for a visit
	WorklistClosedState WorklistStatus = "closed" // visited, result recorded
	// WorklistMerged is an item added while the same person already had an
	// open item of the same source and kind (two devices ran the same list
	// before syncing): it joined that item, whose close closes both.
	WorklistMerged WorklistStatus = "merged"
)

// WorklistAdded is the payload of worklist.added.
type WorklistAdded struct {
	Source      string       `json:"source"` // partner department (sheets.Source*)
	Kind        WorklistKind `json:"kind"`
	IDNumber    string       `json:"id_number"`
	Name        string       `json:"name,omitempty"`
	HouseholdID string       `json:"household_id,omitempty"` // "" when the person is not registered here
	VillageName string       `json:"village_name,omitempty"`
	Reason      string       `json:"reason"`
	Detail      string       `json:"detail,omitempty"` // the partner's row, for the visit
	File        string       `json:"file,omitempty"`   // the partner file it came from
	CreatedOn   Date         `json:"created_on"`
}

// Validate checks an item; a non-zero today bounds its date.
func (p WorklistAdded) Validate(today Date) error {
	var probs Problems
	add := func(field, format string, args ...any) { probs = append(probs, FieldErrorf(field, format, args...)) }
	if strings.TrimSpace(p.Source) == "" {
		add("比对来源", "核查事项缺少比对来源")
	}
	if !p.Kind.Valid() {
		add("核查类别", "核查类别应为疑似漏保或疑似错保")
	}
	if strings.TrimSpace(p.IDNumber) == "" {
		add("身份证号", "核查事项缺少身份证号")
	}
	if strings.TrimSpace(p.Reason) == "" {
		add("核查原因", "核查事项缺少核查原因")
	}
	if p.CreatedOn.IsZero() {
		add("比对日期", "核查事项缺少比对日期")
	} else if !today.IsZero() && p.CreatedOn.After(today) {
		add("比对日期", "比对日期不能晚于今天")
	}
	return probs.Err()
}

// person is what makes two items the same: one open item per person, source and kind.
func (p WorklistAdded) person() string { return p.Source + "|" + string(p.Kind) + "|" + p.IDNumber }

// WorklistClosed is the payload of worklist.closed: the visit result.
// The item is the envelope's CaseID.
type WorklistClosed struct {
	Result WorklistResult `json:"result"`
	Note   string         `json:"note,omitempty"`
	Date   Date           `json:"date"`
}

// Validate checks a visit result; a non-zero today bounds its date (the fold
// passes none: a date valid when written stays valid).
func (p WorklistClosed) Validate(today Date) error {
	if !p.Result.Valid() {
		return FieldErrorf("核查结果", "请选择核查结果：已纳入保障、已停发退出、核实无问题或其他")
	}
	if p.Result == WorklistOther && strings.TrimSpace(p.Note) == "" {
		return FieldErrorf("核查情况", "选择“其他”时请写明核查情况")
	}
	if p.Date.IsZero() {
		return FieldErrorf("核查日期", "请填写核查日期")
	}
	if !today.IsZero() && p.Date.After(today) {
		return FieldErrorf("核查日期", "核查日期不能晚于今天")
	}
	return nil
}

// WorklistClose is one recorded visit result.
type WorklistClose struct {
	EventID string         `json:"event_id"`
	ItemID  string         `json:"item_id"` // the item the visitor closed (a merged item's own ID)
	Result  WorklistResult `json:"result"`
	Note    string         `json:"note,omitempty"`
	Date    Date           `json:"date"`
	By      string         `json:"by"`
}

// WorklistItem is an item as folded from its events.
type WorklistItem struct {
	ID string `json:"id"`
	WorklistAdded
	VillageCode string         `json:"village_code,omitempty"`
	Township    string         `json:"township_code,omitempty"`
	CreatedBy   string         `json:"created_by"`
	Status      WorklistStatus `json:"status"`
	MergedInto  string         `json:"merged_into,omitempty"`
	// Closed is the close in force: the first in canonical order.
	Closed *WorklistClose `json:"closed,omitempty"`
	// OtherCloses are the later closes of the item (visits recorded on two
	// devices before either saw the other's): kept and shown, never applied.
	OtherCloses []WorklistClose `json:"other_closes,omitempty"`
}

// FoldWorklist folds worklist events, in canonical order, into items, in the
// order of their first worklist.added. The rules:
//   - an item is created by its first valid worklist.added; a later one with
//     the same ID is ignored;
//   - an item added while the same person has an open item of the same
//     source and kind is merged into that item;
//   - the first valid close of an open item (or of an item merged into it)
//     closes it; every later close is kept in OtherCloses;
//   - a close before its item, or of an unknown item, is malformed: kept in
//     the log, it changes nothing (a device can only close what it has
//     received, and its clock has observed it, so the close sorts after).
func FoldWorklist(events []Event) []*WorklistItem {
	byID := map[string]*WorklistItem{}
	open := map[string]*WorklistItem{} // person -> open item
	var out []*WorklistItem
	for i := range events {
		e := &events[i]
		if e.CaseID == "" {
			continue
		}
		switch e.Type {
		case EventWorklistAdded:
			if byID[e.CaseID] != nil {
				continue
			}
			it := worklistAdded(e)
			if it == nil {
				continue
			}
			if first := open[it.person()]; first != nil {
				it.Status, it.MergedInto = WorklistMerged, first.ID
			} else {
				open[it.person()] = it
			}
			byID[it.ID] = it
			out = append(out, it)
		case EventWorklistClosed:
			if it := byID[e.CaseID]; it != nil {
				closeWorklist(it, byID, open, e)
			}
		}
	}
	return out
}

func worklistAdded(e *Event) *WorklistItem {
	var p WorklistAdded
	if decode(e, &p) != nil || p.Validate(Date{}) != nil {
		return nil
	}
	return &WorklistItem{ID: e.CaseID, WorklistAdded: p, VillageCode: e.VillageCode, Township: e.TownshipCode,
		CreatedBy: e.Actor.Name, Status: WorklistOpen}
}

// closeWorklist applies a close of it (or, for a merged item, of the item it joined).
func closeWorklist(it *WorklistItem, byID, open map[string]*WorklistItem, e *Event) {
	var p WorklistClosed
	if decode(e, &p) != nil || p.Validate(Date{}) != nil {
		return
	}
	c := WorklistClose{EventID: e.ID, ItemID: it.ID, Result: p.Result, Note: strings.TrimSpace(p.Note), Date: p.Date,
		By: e.Actor.Name}
	target := it
	if it.Status == WorklistMerged {
		target = byID[it.MergedInto]
	}
	if target.Status != WorklistOpen {
		target.OtherCloses = append(target.OtherCloses, c)
		return
	}
	target.Status, target.Closed = WorklistClosedState, &c
	delete(open, target.person())
}
