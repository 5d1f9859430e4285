package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/xuri/excelize/v2"

	"jiuzhu/app"
)

func TestFundsGenerateSendImport(t *testing.T) {
	s := newTestStore(t)
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowFunds()
	f := sh.Current.(*funds)
	waitJob(t, f.jobDone)
	month := f.month.Selected
	if month != s.Today().MonthKey() {
		t.Fatalf("month %s", month)
	}
	if before, _ := s.Batches(sh.ctx, month); len(before) != 0 {
		t.Fatalf("demo already has batches for %s", month)
	}

	test.Tap(button(t, sh.win, "生成发放名单"))
	waitJob(t, f.jobDone)
	if f.lastErr != nil {
		t.Fatal(app.ErrorMessage(f.lastErr))
	}
	rows, err := s.Batches(sh.ctx, month)
	if err != nil || len(rows) != 1 || rows[0].Items == 0 {
		t.Fatalf("batches %+v: %v", rows, err)
	}
	if len(f.batches) != 1 || !strings.Contains(f.status.Text, "已生成") || !strings.Contains(batchLine(f.batches[0]), "待报送银行") {
		t.Fatalf("screen: %d batches, status %q", len(f.batches), f.status.Text)
	}

	// A second roster for the month is refused in Chinese.
	test.Tap(button(t, sh.win, "生成发放名单"))
	waitJob(t, f.jobDone)
	if f.lastErr == nil || !dialogSays(sh, "已生成过本月发放名单") {
		t.Fatalf("second roster: %v", f.lastErr)
	}
	for _, o := range sh.win.Canvas().Overlays().List() {
		sh.win.Canvas().Overlays().Remove(o)
	}

	// Send, then import a return where every row is paid.
	if !f.importBtn.Disabled() || f.send.Disabled() == false {
		t.Fatal("buttons enabled with no batch selected")
	}
	f.batchList.Select(0)
	test.Tap(f.send)
	waitJob(t, f.jobDone)
	if f.lastErr != nil {
		t.Fatal(app.ErrorMessage(f.lastErr))
	}
	b, _ := s.Batch(sh.ctx, rows[0].ID)
	if b.SentOn.IsZero() {
		t.Fatal("batch not marked sent")
	}
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"账号", "户名", "金额", "状态"})
	for i, it := range b.Items {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		x.SetSheetRow("Sheet1", cell, &[]any{it.Account, it.PayeeName, it.Amount.String(), "成功"})
	}
	p := filepath.Join(t.TempDir(), "回盘.xlsx")
	if err := x.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	f.batchList.Select(0)
	f.importFile(f.current().ID, p)
	waitJob(t, f.jobDone)
	if f.lastErr != nil {
		t.Fatal(app.ErrorMessage(f.lastErr))
	}
	if !strings.Contains(f.status.Text, "到账") || f.batches[0].Paid != len(b.Items) {
		t.Fatalf("after import: %q %+v", f.status.Text, f.batches[0])
	}

	// A file that is not a bank return: the problem in Chinese, nothing recorded.
	bad := filepath.Join(t.TempDir(), "x.txt")
	x2 := excelize.NewFile()
	x2.SaveAs(bad + ".xlsx")
	f.importFile(rows[0].ID, bad+".xlsx")
	waitJob(t, f.jobDone)
	if f.lastErr == nil || !strings.Contains(f.status.Text, "是空的") {
		t.Fatalf("bad file: %q", f.status.Text)
	}
}
