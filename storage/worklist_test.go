package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"jiuzhu/app"
)

const wlVillage = "341122101201"

func wlItem(idNumber, name string) WorklistItem {
	return WorklistItem{Source: "housing", Kind: WorklistWrong, IDNumber: idNumber, Name: name, VillageCode: wlVillage,
		VillageName: "桃园村", HouseholdID: "h-" + idNumber[14:], Reason: "住建部门反馈名下有商品住房", Detail: "房产登记第3行：商品房",
		File: "住建.xlsx"}
}

func wlItems(t *testing.T, s *Store, f WorklistFilter) map[string]WorklistItem {
	t.Helper()
	items, err := s.WorklistItems(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]WorklistItem{}
	for _, it := range items {
		m[it.ID] = it
	}
	return m
}

// wlRebuildSame checks that a rebuild gives the projection the incremental folds gave.
func wlRebuildSame(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	before, err := s.ProjectionHash(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.Check(ctx); err != nil || !r.OK() {
		t.Fatalf("check: %v %+v", err, r)
	}
	if err := s.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.ProjectionHash(ctx); after != before {
		t.Fatal("rebuild changed the worklist projection")
	}
}

func TestWorklistItemsAreEvents(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	p1, p2 := svID("34112219800101001"), svID("34112219800101002")
	unregistered := wlItem(svID("34112219800101003"), "陌生")
	unregistered.VillageCode, unregistered.VillageName, unregistered.HouseholdID = "", "", ""
	items := []WorklistItem{wlItem(p1, "赵大"), wlItem(p2, "钱二"), wlItem(p1, "赵大"), unregistered}
	n, err := s.AddWorklistItems(ctx, svClerk, items)
	if err != nil || n != 3 {
		t.Fatalf("added %d, %v", n, err)
	}
	if items[2].ID != items[0].ID {
		t.Error("the same person twice in one list got two items")
	}
	events, err := queryEvents(ctx, s.db, `SELECT `+eventColumns+` FROM events WHERE type LIKE 'worklist.%'`+canonicalOrder)
	if err != nil || len(events) != 3 {
		t.Fatalf("events %d %v", len(events), err)
	}
	for i, e := range events {
		want := []WorklistItem{items[0], items[1], items[3]}[i]
		if e.Type != app.EventWorklistAdded || e.CaseID != want.ID || e.HouseholdID != "" ||
			e.VillageCode != want.VillageCode || e.TownshipCode != "341122101" || e.Actor != svClerk {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	// Re-running the list adds nothing.
	again := []WorklistItem{wlItem(p1, "赵大")}
	if n, err := s.AddWorklistItems(ctx, svClerk, again); n != 0 || err != nil || again[0].ID != items[0].ID {
		t.Fatalf("re-run: %d %v %s", n, err, again[0].ID)
	}
	got := wlItems(t, s, WorklistFilter{Status: "open"})[items[0].ID]
	if got.IDNumber != p1 || got.Name != "赵大" || got.Detail != "房产登记第3行：商品房" || got.CreatedOn != "2026-11-20" ||
		got.CreatedBy != "李经办" || got.VillageCode != wlVillage || got.HouseholdID != "h-"+p1[14:] || got.File != "住建.xlsx" {
		t.Errorf("item %+v", got)
	}

	if err := s.CloseWorklistItem(ctx, svLiaison, items[0].ID, ResultExited, " 已停发 ", d(2026, 11, 19)); err != nil {
		t.Fatal(err)
	}
	got = wlItems(t, s, WorklistFilter{})[items[0].ID]
	if got.Status != "closed" || got.Result != ResultExited || got.ResultNote != "已停发" || got.ClosedOn != "2026-11-19" ||
		got.ClosedBy != "王协理" {
		t.Errorf("closed item %+v", got)
	}
	var village string
	s.db.QueryRow(`SELECT village_code FROM events WHERE type = ?`, app.EventWorklistClosed).Scan(&village)
	if village != wlVillage {
		t.Errorf("the close must carry the item's village for the county's filter, got %q", village)
	}
	// The audit screen tells what each event did, the ID number masked.
	rows, err := s.AuditEvents(ctx, AuditFilter{CaseID: items[0].ID})
	if err != nil || len(rows) != 2 {
		t.Fatalf("audit rows %d %v", len(rows), err)
	}
	for _, r := range rows {
		if strings.Contains(r.Summary, p1) || !strings.Contains(r.Summary, "核查事项") {
			t.Errorf("audit summary %q", r.Summary)
		}
	}
	// Once closed, the same person flagged again is a new item.
	if n, _ := s.AddWorklistItems(ctx, svClerk, []WorklistItem{wlItem(p1, "赵大")}); n != 1 {
		t.Errorf("re-flag after the visit added %d", n)
	}
	wlRebuildSame(t, s)
	if len(wlItems(t, s, WorklistFilter{})) != 4 {
		t.Error("rebuild lost items")
	}
}

func TestWorklistRefusals(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	items := []WorklistItem{wlItem(svID("34112219800101001"), "赵大")}
	if _, err := s.AddWorklistItems(ctx, svClerk, items); err != nil {
		t.Fatal(err)
	}
	bad := wlItem(svID("34112219800101002"), "钱二")
	bad.Kind = "maybe"
	if _, err := s.AddWorklistItems(ctx, svClerk, []WorklistItem{bad}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("bad kind: %v", err)
	}
	id := items[0].ID
	cases := []struct {
		id, result, note string
		on               app.Date
		code             string
	}{
		{id, "done", "", app.Date{}, app.EINVALID},
		{id, ResultOther, " ", app.Date{}, app.EINVALID},
		{id, ResultIncluded, "", d(2026, 11, 21), app.EINVALID}, // tomorrow
		{"nope", ResultIncluded, "", app.Date{}, app.ENOTFOUND},
	}
	for _, c := range cases {
		if err := s.CloseWorklistItem(ctx, svClerk, c.id, c.result, c.note, c.on); app.ErrorCode(err) != c.code {
			t.Errorf("close %+v: %v, want %s", c, err, c.code)
		}
	}
	if err := s.CloseWorklistItem(ctx, svClerk, id, ResultConfirmedOK, "", app.Date{}); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseWorklistItem(ctx, svClerk, id, ResultConfirmedOK, "", app.Date{}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("closing twice: %v", err)
	}
	var n int
	s.db.QueryRow(`SELECT count(*) FROM events WHERE type LIKE 'worklist.%'`).Scan(&n)
	if n != 2 {
		t.Errorf("refused commands wrote events: %d", n)
	}
}

// wlRemote writes the events of another device of the township.
type wlRemote struct {
	t      *testing.T
	device string
	seq    int64
	prev   string
	actor  app.Actor
}

func (r *wlRemote) event(typ, item string, at time.Time, payload any) app.Event {
	raw, err := json.Marshal(payload)
	if err != nil {
		r.t.Fatal(err)
	}
	r.seq++
	e := app.Event{ID: app.NewID(), DeviceID: r.device, DeviceSeq: r.seq, Type: typ, CaseID: item,
		TownshipCode: "341122101", VillageCode: wlVillage, SchemaV: app.SchemaVersion, HLC: app.HLC{Wall: at.UnixMilli()},
		Actor: r.actor, Payload: raw}
	e.Seal(r.prev)
	r.prev = e.Hash
	return e
}

func wlImport(t *testing.T, s *Store, events ...app.Event) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := ImportEvents(ctx, tx, events); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// Two devices record a visit result for the same item before syncing. The
// first close in canonical order (not in arrival order) is in force; the
// other is kept on the item and shown, never lost.
func TestWorklistConcurrentClosesFirstWinsOtherKept(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	items := []WorklistItem{wlItem(svID("34112219800101001"), "赵大")}
	if _, err := s.AddWorklistItems(ctx, svClerk, items); err != nil { // at svNow
		t.Fatal(err)
	}
	id := items[0].ID
	s.SetClock(func() time.Time { return svNow.Add(10 * time.Second) })
	if err := s.CloseWorklistItem(ctx, svClerk, id, ResultExited, "已停发", app.Date{}); err != nil {
		t.Fatal(err)
	}
	// The village laptop closed it at +5s, offline; its event arrives now.
	b := &wlRemote{t: t, device: "laptop-B", actor: svLiaison}
	wlImport(t, s, b.event(app.EventWorklistClosed, id, svNow.Add(5*time.Second),
		app.WorklistClosed{Result: app.WorklistConfirmedOK, Note: "入户核实，房产已过户", Date: d(2026, 11, 20)}))
	got := wlItems(t, s, WorklistFilter{})[id]
	if got.Status != "closed" || got.Result != ResultConfirmedOK || got.ClosedBy != "王协理" {
		t.Errorf("the earlier close must be in force: %+v", got)
	}
	if len(got.OtherCloses) != 1 || got.OtherCloses[0].Result != app.WorklistExited || got.OtherCloses[0].By != "李经办" ||
		got.OtherCloses[0].Note != "已停发" {
		t.Errorf("the later close must be kept: %+v", got.OtherCloses)
	}
	wlRebuildSame(t, s)
}

// Two devices ran the same list before syncing: the later item joins the
// earlier one; closing either closes the person's item once.
func TestWorklistSamePersonFromTwoDevicesMerges(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	p1 := svID("34112219800101001")
	items := []WorklistItem{wlItem(p1, "赵大")}
	if _, err := s.AddWorklistItems(ctx, svClerk, items); err != nil { // at svNow
		t.Fatal(err)
	}
	local := items[0].ID
	// Another office PC added the same person a second earlier: its item is first.
	b := &wlRemote{t: t, device: "pc-B", actor: svApprover}
	remote := app.NewID()
	it := wlItem(p1, "赵大")
	wlImport(t, s, b.event(app.EventWorklistAdded, remote, svNow.Add(-time.Second), addedPayload(&it, d(2026, 11, 20))))
	all := wlItems(t, s, WorklistFilter{Status: WorklistStatusMerged})
	if m, ok := all[local]; !ok || m.MergedInto != remote {
		t.Fatalf("the later item must join the earlier one: %+v", all)
	}
	listed := wlItems(t, s, WorklistFilter{})
	if _, ok := listed[local]; ok || len(listed) != 1 || listed[remote].Status != "open" {
		t.Errorf("merged items are listed only on request: %+v", listed)
	}
	// Closing the merged item (the ID this device knew) closes the open one.
	if err := s.CloseWorklistItem(ctx, svClerk, local, ResultIncluded, "", app.Date{}); err != nil {
		t.Fatal(err)
	}
	if got := wlItems(t, s, WorklistFilter{})[remote]; got.Status != "closed" || got.Result != ResultIncluded {
		t.Errorf("closing the merged item: %+v", got)
	}
	if err := s.CloseWorklistItem(ctx, svClerk, local, ResultIncluded, "", app.Date{}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("closing the merged item again: %v", err)
	}
	wlRebuildSame(t, s)
}

// Items recorded before the worklist was in the log are adopted into it, so
// that rebuild keeps them.
func TestLegacyWorklistRowsAreAdopted(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	p1, p2 := svID("34112219800101001"), svID("34112219800101002")
	for _, r := range []struct{ id, idNumber, status, result, note, closedOn, closedBy string }{
		{"legacy-1", p1, "closed", ResultOther, "已迁往外县", "2025-06-02", "前任经办"},
		{"legacy-2", p2, "open", "", "", "", ""},
	} {
		if _, err := s.db.Exec(`INSERT INTO worklist_items (id, source, kind, id_number, id_hash, name, household_id,
			village_code, village_name, reason, detail, file, created_on, created_by, status, result, result_note, closed_on, closed_by)
			VALUES (?, 'disability', 'missed', enc(?), idx(?), enc('孙三'), '', ?, '桃园村', '重度残疾', enc('第2行'), 'a.xlsx',
			'2025-06-01', '前任经办', ?, ?, enc(?), ?, ?)`, r.id, r.idNumber, r.idNumber, wlVillage, r.status, r.result,
			r.note, r.closedOn, r.closedBy); err != nil {
			t.Fatal(err)
		}
	}
	// The rows hold the reason in the clear, as before 0008; rebuild adopts them first.
	if err := s.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	after := wlItems(t, s, WorklistFilter{})
	want := map[string]WorklistItem{
		"legacy-1": {ID: "legacy-1", Source: "disability", Kind: WorklistMissed, IDNumber: p1, Name: "孙三", VillageCode: wlVillage,
			VillageName: "桃园村", Reason: "重度残疾", Detail: "第2行", File: "a.xlsx", CreatedOn: "2025-06-01", CreatedBy: "前任经办",
			Status: "closed", Result: ResultOther, ResultNote: "已迁往外县", ClosedOn: "2025-06-02", ClosedBy: "前任经办"},
		"legacy-2": {ID: "legacy-2", Source: "disability", Kind: WorklistMissed, IDNumber: p2, Name: "孙三", VillageCode: wlVillage,
			VillageName: "桃园村", Reason: "重度残疾", Detail: "第2行", File: "a.xlsx", CreatedOn: "2025-06-01", CreatedBy: "前任经办",
			Status: "open"},
	}
	if !reflect.DeepEqual(after, want) {
		t.Errorf("legacy items after rebuild:\n%+v\nwant\n%+v", after, want)
	}
	var n int
	s.db.QueryRow(`SELECT count(*) FROM events WHERE type LIKE 'worklist.%' AND actor_id = 'migration:worklist'`).Scan(&n)
	if n != 3 {
		t.Errorf("legacy events: %d, want 2 additions and 1 close", n)
	}
	// Adopted once: a second unlock writes nothing more.
	if err := s.afterUnlock(ctx); err != nil {
		t.Fatal(err)
	}
	s.db.QueryRow(`SELECT count(*) FROM events WHERE type LIKE 'worklist.%'`).Scan(&n)
	if n != 3 {
		t.Errorf("adopted twice: %d events", n)
	}
	wlRebuildSame(t, s)
}

func TestWorklistNothingInTheClear(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	id := svID("53012219771212771")
	it := wlItem(id, "欧阳娜娜")
	it.Detail = "房产登记第9行：翠湖花园商品房"
	it.Reason = "姓名不一致（本系统：欧阳娜娜，住建：欧阳纳纳），请先核实是否同一人。" + it.Reason
	items := []WorklistItem{it}
	if _, err := s.AddWorklistItems(ctx, svClerk, items); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseWorklistItem(ctx, svClerk, items[0].ID, ResultOther, "户主称房产系代亲戚持有", app.Date{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(s.Path() + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, n := range []string{id, "欧阳娜娜", "欧阳纳纳", "翠湖花园", "代亲戚持有"} {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("%q in the clear in %s", n, strings.TrimPrefix(suffix, "-"))
			}
		}
	}
}
