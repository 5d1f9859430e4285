package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/storage"
)

func TestWorkbenchOverdueLeads(t *testing.T) {
	s := newTestStore(t)
	row := firstCase(t, s, storage.CaseFilter{})
	late := registerLead(t, s, app.RoleClerk, row, 90)
	registerLead(t, s, app.RoleClerk, row, 1)
	sh := newTestShell(t, s, app.RoleClerk)
	if !labelShows(sh, "超期问题线索") || !labelShows(sh, "1 条") {
		t.Fatal("workbench has no 超期问题线索 card")
	}
	var views []*widget.Button
	for _, o := range test.LaidOutObjects(sh.win.Canvas().Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "查看" {
			views = append(views, b)
		}
	}
	test.Tap(views[len(views)-1]) // the 超期线索 tile
	l, ok := sh.Current.(*leadList)
	if !ok || len(l.rows) != 1 || l.rows[0].ID != late {
		t.Fatalf("超期线索 tile opened %T", sh.Current)
	}
}

// labelShows reports whether a label or card title on the window contains text.
func labelShows(sh *Shell, text string) bool {
	for _, o := range test.LaidOutObjects(sh.win.Canvas().Content()) {
		switch x := o.(type) {
		case *widget.Label:
			if strings.Contains(x.Text, text) {
				return true
			}
		case *widget.Card:
			if strings.Contains(x.Title, text) {
				return true
			}
		}
	}
	return false
}

func TestNavOpensSupervisionScreens(t *testing.T) {
	s := newTestStore(t)
	sh := newTestShell(t, s, app.RoleClerk)
	want := map[string]func(any) bool{
		"问题线索": func(c any) bool { _, ok := c.(*leadList); return ok },
		"报表导出": func(c any) bool { _, ok := c.(*exports); return ok },
		"审计查询": func(c any) bool { _, ok := c.(*audit); return ok },
		"资金发放": func(c any) bool { _, ok := c.(*funds); return ok },
	}
	for i, it := range sh.items {
		if is, ok := want[it.label]; ok {
			sh.nav.Select(i)
			if !is(sh.Current) {
				t.Fatalf("%s opened %T", it.label, sh.Current)
			}
			delete(want, it.label)
		}
	}
	if len(want) > 0 {
		t.Fatalf("not in the navigation: %v", want)
	}
}

// TestNavHighlightFollowsScreens: a screen opened from a button highlights
// its menu entry, without opening it a second time.
func TestNavHighlightFollowsScreens(t *testing.T) {
	s := newTestStore(t)
	sh := newTestShell(t, s, app.RoleClerk)
	label := func() string { return sh.items[sh.navAt].label }
	if label() != "首页" {
		t.Fatalf("start: %s", label())
	}
	c := firstCase(t, s, storage.CaseFilter{})
	sh.ShowCase(c.CaseID)
	if label() != "家庭与案件" {
		t.Fatalf("a case highlights %s", label())
	}
	if _, ok := sh.Current.(*caseDetail); !ok {
		t.Fatalf("the highlight replaced the case with %T", sh.Current)
	}
	sh.ShowLeadRegister()
	if label() != "问题线索" {
		t.Fatalf("lead registration highlights %s", label())
	}
	sh.ShowAuditFor(storage.AuditFilter{HouseholdID: c.HouseholdID})
	if label() != "审计查询" {
		t.Fatalf("an audit view highlights %s", label())
	}
	if a, ok := sh.Current.(*audit); !ok || a.filter.HouseholdID != c.HouseholdID {
		t.Fatalf("the highlight replaced the household's audit view with %T", sh.Current)
	}
}
