package sheets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"jiuzhu/app"
)

func TestReadBankReturnAndImport(t *testing.T) {
	s := newStore(t, cst(2025, 8, 20))
	ctx := context.Background()
	ledgerData(t, s)
	bid, _, err := s.GenerateBatch(ctx, clerk, "2025-08")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkBatchSent(ctx, clerk, bid, app.Date{}); err != nil {
		t.Fatal(err)
	}
	b, err := s.Batch(ctx, bid)
	if err != nil || len(b.Items) < 2 {
		t.Fatalf("batch %+v: %v", b, err)
	}
	// A bank's layout: a title row, then the header, the last item failed.
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"代发工资回盘明细"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"序号", "卡号", "户名", "实发金额", "处理结果", "失败原因"})
	for i, it := range b.Items {
		status, reason := "成功", ""
		if i == len(b.Items)-1 {
			status, reason = "失败", "账户已销户"
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		f.SetSheetRow("Sheet1", cell, &[]any{i + 1, it.Account, it.PayeeName, it.Amount.String(), status, reason})
	}
	f.NewSheet("说明")
	f.SetSheetRow("说明", "A1", &[]any{"账号", "金额", "状态"})
	p := filepath.Join(t.TempDir(), "回盘.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadBankReturn(p)
	if err != nil {
		t.Fatal(app.ErrorMessage(err))
	}
	if len(rows) != len(b.Items) || rows[0].Line != 3 || rows[len(rows)-1].Reason != "账户已销户" {
		t.Fatalf("rows: %+v", rows)
	}
	sum, err := s.ImportBankReturn(ctx, clerk, bid, rows)
	if err != nil {
		t.Fatal(app.ErrorMessage(err))
	}
	if sum.Paid != len(b.Items)-1 || sum.Failed != 1 {
		t.Fatalf("summary %+v", sum)
	}

	// Files that are not a bank return say so in Chinese.
	doc := filepath.Join(t.TempDir(), "回盘.doc")
	os.WriteFile(doc, append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 64)...), 0o644)
	bin := filepath.Join(t.TempDir(), "回盘.bin")
	os.WriteFile(bin, []byte{0, 1, 2, 3}, 0o644)
	csv := filepath.Join(t.TempDir(), "回盘.csv")
	os.WriteFile(csv, []byte("姓名,备注\n张三,无\n"), 0o644)
	for path, want := range map[string]string{doc: ".xls", bin: "不是Excel工作簿", csv: "未找到表头",
		filepath.Join(t.TempDir(), "无.xlsx"): "文件不存在"} {
		_, err := ReadBankReturn(path)
		if err == nil || !strings.Contains(app.ErrorMessage(err), want) {
			t.Errorf("%s: %v, want %q", filepath.Base(path), err, want)
		}
	}
}
