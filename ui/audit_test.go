package ui

import (
	"archive/zip"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"jiuzhu/app"
	"jiuzhu/storage"
)

func TestAuditFilterNarrows(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	row := firstCase(t, s, storage.CaseFilter{Program: app.ProgramDibao, State: app.StatePaying})
	sh := newTestShell(t, s, app.RoleApprover)
	sh.ShowAudit()
	a := sh.Current.(*audit)
	test.Tap(button(t, sh.win, "清空条件"))
	all := len(a.rows)
	if all == 0 || !strings.Contains(a.count.Text, "条") {
		t.Fatalf("no events without filters (%q)", a.count.Text)
	}
	// A person: only that household's events.
	agg, _ := s.Household(ctx, row.HouseholdID)
	test.Type(a.person, row.HeadName)
	test.Tap(button(t, sh.win, "查询"))
	if len(a.rows) == 0 || len(a.rows) >= all {
		t.Fatalf("person %s: %d of %d events", row.HeadName, len(a.rows), all)
	}
	byName := len(a.rows)
	found := false
	for _, r := range a.rows {
		found = found || r.Event.HouseholdID == agg.Household.ID
		if r.Summary == "" || r.Time == "" {
			t.Fatalf("row without time or summary: %+v", r)
		}
	}
	if !found {
		t.Fatal("the person's household is not in the results")
	}
	// An ID fragment of the same person narrows to that household.
	head, _ := agg.Household.Head()
	a.person.SetText(head.IDNumber[6:14])
	a.onSearch()
	for _, r := range a.rows {
		if r.Event.HouseholdID != agg.Household.ID {
			members, _ := s.Household(ctx, r.Event.HouseholdID)
			hit := false
			for _, m := range members.Household.Members {
				hit = hit || strings.Contains(m.IDNumber, head.IDNumber[6:14])
			}
			if !hit {
				t.Fatalf("ID fragment let through household %s", r.Event.HouseholdID)
			}
		}
	}
	// Case and actor.
	a.person.SetText("")
	a.caseID.SetText(row.CaseID)
	a.onSearch()
	byCase := len(a.rows)
	for _, r := range a.rows {
		if r.Event.CaseID != row.CaseID {
			t.Fatalf("case filter let through %s", r.Event.CaseID)
		}
	}
	if byCase == 0 || byCase > byName {
		t.Fatalf("case %d events, household %d", byCase, byName)
	}
	for i := 1; i < len(a.rows); i++ {
		if a.rows[i].Event.HLC.Compare(a.rows[i-1].Event.HLC) > 0 {
			t.Fatalf("row %d is newer than row %d: the latest events must come first", i, i-1)
		}
	}
	a.caseID.SetText("")
	actor := a.rows[0].Event.Actor.Name
	a.actor.SetText(actor)
	a.onSearch()
	if len(a.rows) == 0 {
		t.Fatal("actor filter found nothing")
	}
	for _, r := range a.rows {
		if r.Event.Actor.Name != actor {
			t.Fatalf("actor filter let through %s", r.Event.Actor.Name)
		}
	}
	// Dates: a day in the future has nothing; a malformed date is refused in Chinese.
	a.actor.SetText("")
	a.from.SetText(s.Today().AddDays(1).String())
	a.onSearch()
	if len(a.rows) != 0 {
		t.Fatalf("%d events from tomorrow", len(a.rows))
	}
	a.from.SetText("2025-13-01")
	a.onSearch()
	if !strings.Contains(a.message.Text, "日期") || !dialogSays(sh, "2024-05-01") {
		t.Fatalf("bad date: %q", a.message.Text)
	}
	// A row opens its case.
	a.from.SetText("")
	a.caseID.SetText(row.CaseID)
	a.onSearch()
	a.table.OnSelected(widgetCell(0))
	if d, ok := sh.Current.(*caseDetail); !ok || d.caseID != row.CaseID {
		t.Fatalf("row opened %T", sh.Current)
	}
}

func TestCaseArchiveExport(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	if err := s.SetMeta(ctx, MetaExportDir, dir); err != nil {
		t.Fatal(err)
	}
	row := firstCase(t, s, storage.CaseFilter{Program: app.ProgramDibao, State: app.StatePaying})
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowCase(row.CaseID)
	d := sh.Current.(*caseDetail)
	test.Tap(button(t, sh.win, "导出一户一档"))
	waitJob(t, d.archiveDone)
	if d.archiveErr != nil {
		t.Fatal(app.ErrorMessage(d.archiveErr))
	}
	if filepath.Dir(d.archivePath) != dir || !strings.HasPrefix(filepath.Base(d.archivePath), "一户一档-"+row.HeadName) {
		t.Fatalf("archive at %s", d.archivePath)
	}
	z, err := zip.OpenReader(d.archivePath)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	names := map[string]bool{}
	for _, f := range z.File {
		names[f.Name] = true
	}
	if !names["index.html"] || !names["events.json"] {
		t.Fatalf("zip holds %v", names)
	}
	if !dialogSays(sh, d.archivePath) || !hasOverlayButton(sh, "打开所在文件夹") {
		t.Fatal("no open-folder dialog")
	}
	// 审计记录 on the case opens the audit screen on that case.
	test.Tap(button(t, sh.win, "关闭"))
	test.Tap(button(t, sh.win, "审计记录"))
	a, ok := sh.Current.(*audit)
	if !ok || len(a.rows) == 0 || a.caseID.Text != row.CaseID {
		t.Fatalf("审计记录 opened %T", sh.Current)
	}
}
