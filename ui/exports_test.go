package ui

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/xuri/excelize/v2"

	"jiuzhu/app"
)

func waitJob(t *testing.T, done chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("export did not finish")
	}
}

func TestExportsWriteWorkbooks(t *testing.T) {
	s := newTestStore(t)
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowExports()
	e := sh.Current.(*exports)
	dir := filepath.Join(t.TempDir(), "导出")
	e.folder.SetText(dir)

	cases := []struct {
		button, prefix string
	}{
		{"导出发放花名册", "发放花名册-"},
		{"导出工作台账", "工作台账-"},
		{"导出公示名单", "公示名单-"},
	}
	for _, c := range cases {
		test.Tap(button(t, sh.win, c.button))
		waitJob(t, e.jobDone)
		if e.lastErr != nil {
			t.Fatalf("%s: %s", c.button, app.ErrorMessage(e.lastErr))
		}
		if !strings.HasPrefix(filepath.Base(e.lastPath), c.prefix) || filepath.Dir(e.lastPath) != dir {
			t.Fatalf("%s wrote %s", c.button, e.lastPath)
		}
		f, err := excelize.OpenFile(e.lastPath)
		if err != nil {
			t.Fatalf("%s: excelize cannot reopen %s: %v", c.button, e.lastPath, err)
		}
		sheets := f.GetSheetList()
		rows, err := f.GetRows(sheets[0])
		f.Close()
		if err != nil || len(rows) < 3 {
			t.Fatalf("%s: %d rows in %s: %v", c.button, len(rows), sheets[0], err)
		}
		if e.bar.Value != 1 {
			t.Fatalf("%s: progress %v at the end", c.button, e.bar.Value)
		}
		// The end dialog names the file and opens its folder.
		var opened *url.URL
		openURL = func(u *url.URL) error { opened = u; return nil }
		test.Tap(button(t, sh.win, "打开所在文件夹"))
		openURL = func(u *url.URL) error { return nil }
		if opened == nil || opened.Scheme != "file" || !strings.HasSuffix(opened.Path, "/导出") {
			t.Fatalf("%s: opened %v", c.button, opened)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("%d files in the export folder (temporary files left?)", len(entries))
	}
	if d, _ := s.Meta(sh.ctx, MetaExportDir); d != dir {
		t.Fatalf("export folder not remembered: %q", d)
	}
}

func TestExportsErrorInChinese(t *testing.T) {
	s := newTestStore(t)
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowExports()
	e := sh.Current.(*exports)
	e.folder.SetText(t.TempDir())
	e.village.ClearSelected()
	test.Tap(button(t, sh.win, "导出公示名单"))
	if !dialogSays(sh, "请选择要公示的村(社区)") {
		t.Fatal("no village: no Chinese message")
	}
}

// dialogSays reports whether a label in the window's dialogs contains text.
func dialogSays(sh *Shell, text string) bool {
	for _, o := range sh.win.Canvas().Overlays().List() {
		for _, x := range test.LaidOutObjects(o) {
			if l, ok := x.(*widget.Label); ok && strings.Contains(l.Text, text) {
				return true
			}
		}
	}
	return false
}

func hasOverlayButton(sh *Shell, text string) bool {
	for _, o := range sh.win.Canvas().Overlays().List() {
		for _, x := range test.LaidOutObjects(o) {
			if b, ok := x.(*widget.Button); ok && b.Text == text {
				return true
			}
		}
	}
	return false
}

func widgetCell(row int) widget.TableCellID { return widget.TableCellID{Row: row} }
