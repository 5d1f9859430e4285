package sync_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jiuzhu/app"
	"jiuzhu/demo"
	"jiuzhu/sheets"
	"jiuzhu/storage"
)

// headOf returns the head of a household registered on d.
func headOf(t *testing.T, d *device, hid string) app.Member {
	t.Helper()
	agg, err := d.store.Household(context.Background(), hid)
	if err != nil {
		t.Fatal(err)
	}
	head, ok := agg.Household.Head()
	if !ok {
		t.Fatalf("household %s has no head", hid)
	}
	return head
}

func worklistOf(t *testing.T, d *device) map[string]storage.WorklistItem {
	t.Helper()
	items, err := d.store.WorklistItems(context.Background(), storage.WorklistFilter{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]storage.WorklistItem{}
	for _, it := range items {
		m[it.VillageCode] = it
	}
	return m
}

// TestWorklistSyncsBetweenDevices: a cross-check run on one township PC
// reaches the other PC of the township and the laptop of the village
// concerned; a visit result recorded on either comes back; results recorded
// on two devices before syncing are both kept, the same way everywhere.
func TestWorklistSyncsBetweenDevices(t *testing.T) {
	ctx := context.Background()
	c := newCounty(t)
	vs := demo.New(1, township, app.Date{}).Villages()
	a := newDevice(t, c, "A", township, nil)
	b := newDevice(t, c, "B", township, nil)
	v := newDevice(t, c, "V", township, nil, vs[0].Code)

	// A registers two applicants (not covered yet) and runs the 残联 list:
	// both heads and a person not registered here are severely disabled.
	h0, _ := register(t, a, vs[0], 1)
	h1, _ := register(t, a, vs[1], 2)
	p0, p1 := headOf(t, a, h0), headOf(t, a, h1)
	list := filepath.Join(t.TempDir(), "残联.csv")
	csv := fmt.Sprintf("姓名,身份证号,残疾类别,残疾等级\n%s,%s,肢体,一级\n%s,%s,视力,二级\n陌生人,11010519491231002X,智力,一级\n",
		p0.Name, p0.IDNumber, p1.Name, p1.IDNumber)
	if err := os.WriteFile(list, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := sheets.CrossCheck(ctx, a.store, sheets.SourceDisability, list, &bytes.Buffer{},
		sheets.CrossCheckOptions{Actor: demo.Clerk})
	if err != nil || rep.Added != 3 {
		t.Fatalf("cross-check: %+v %v", rep, err)
	}
	for _, d := range []*device{a, b, v} {
		mustSync(t, d)
	}

	// B, the other PC of the township, has every item; V only its village's.
	onB := worklistOf(t, b)
	if len(onB) != 3 || onB[vs[0].Code].IDNumber != p0.IDNumber || onB[""].Name != "陌生人" {
		t.Fatalf("B's worklist: %+v", onB)
	}
	onV := worklistOf(t, v)
	if len(onV) != 1 || onV[vs[0].Code].IDNumber != p0.IDNumber {
		t.Fatalf("the village laptop must see only its village's item: %+v", onV)
	}

	// B records the visit of village 0's item; A and V pull it.
	item0 := onB[vs[0].Code].ID
	if err := b.store.CloseWorklistItem(ctx, demo.Clerk, item0, storage.ResultIncluded, "已受理低保申请", app.Date{}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, b)
	for _, d := range []*device{a, v} {
		mustSync(t, d)
		got := worklistOf(t, d)[vs[0].Code]
		if got.ID != item0 || got.Status != "closed" || got.Result != storage.ResultIncluded || got.ResultNote != "已受理低保申请" ||
			got.ClosedBy != demo.Clerk.Name {
			t.Errorf("%s after B's close: %+v", d.name, got)
		}
	}
	if err := a.store.CloseWorklistItem(ctx, demo.Clerk, item0, storage.ResultIncluded, "", app.Date{}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("A closes what B closed: %v", err)
	}

	// A and B both record a result for the unregistered person before syncing.
	stranger := onB[""].ID
	if err := b.store.CloseWorklistItem(ctx, demo.Approver, stranger, storage.ResultOther, "已迁往外县", app.Date{}); err != nil {
		t.Fatal(err)
	}
	a.store.SetClock(func() time.Time { return time.Now().Add(time.Second) }) // A's visit is recorded later
	if err := a.store.CloseWorklistItem(ctx, demo.Clerk, stranger, storage.ResultConfirmedOK, "", app.Date{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*device{a, b, a, b} {
		mustSync(t, d)
	}
	ga, gb := worklistOf(t, a)[""], worklistOf(t, b)[""]
	if ga.Result != storage.ResultOther || len(ga.OtherCloses) != 1 || ga.OtherCloses[0].Result != app.WorklistConfirmedOK {
		t.Errorf("the first close in canonical order (B's) is in force, A's kept: %+v", ga)
	}
	if gb.Result != ga.Result || len(gb.OtherCloses) != 1 || gb.OtherCloses[0].EventID != ga.OtherCloses[0].EventID {
		t.Errorf("A and B disagree:\nA %+v\nB %+v", ga, gb)
	}
	ha, _ := a.store.ProjectionHash(ctx)
	hb, _ := b.store.ProjectionHash(ctx)
	if ha != hb {
		t.Error("A and B hold different projections")
	}
	for _, d := range []*device{a, b, v} {
		if r, err := d.store.Check(ctx); err != nil || !r.OK() {
			t.Errorf("%s: check after sync: %v %+v", d.name, err, r)
		}
	}
}

// TestVillageLaptopWorklistOnlyForItsVillages: the county refuses a village
// laptop's worklist events outside its villages, as it does households.
func TestVillageLaptopWorklistOnlyForItsVillages(t *testing.T) {
	ctx := context.Background()
	c := newCounty(t)
	vs := demo.New(1, township, app.Date{}).Villages()
	v := newDevice(t, c, "V", township, nil, vs[0].Code)
	items := []storage.WorklistItem{
		{Source: sheets.SourceEducation, Kind: storage.WorklistMissed, IDNumber: "110105194805050015", Name: "甲",
			VillageCode: vs[0].Code, VillageName: vs[0].Name, Reason: "家庭经济困难学生"},
		{Source: sheets.SourceEducation, Kind: storage.WorklistMissed, IDNumber: "11010519491231002X", Name: "乙",
			VillageCode: vs[1].Code, VillageName: vs[1].Name, Reason: "家庭经济困难学生"},
		{Source: sheets.SourceEducation, Kind: storage.WorklistMissed, IDNumber: "110105200001010015", Name: "丙",
			Reason: "家庭经济困难学生"},
	}
	if _, err := v.store.AddWorklistItems(ctx, demo.Liaison, items); err != nil {
		t.Fatal(err)
	}
	res := mustSync(t, v)
	if len(res.Rejected) != 2 {
		t.Fatalf("rejected %+v, want the other village's and the unregistered person's items", res.Rejected)
	}
	reasons := res.Rejected[0].Reason + res.Rejected[1].Reason
	if !strings.Contains(reasons, "不能办理村代码") || !strings.Contains(reasons, "未登记人员") {
		t.Errorf("reasons: %s", reasons)
	}
}
