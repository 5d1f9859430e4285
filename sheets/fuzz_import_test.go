package sheets

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// Fuzz tests for the importers a partner department or a bank feeds: the
// cross-check list reader and the bank return reader. Both take a file path,
// so the fuzzed bytes are written to a temporary file first. The properties:
// no panic, and memory in proportion to the file (a few kilobytes must not
// make the app allocate gigabytes and stall); a refused file gets a Chinese
// message (never a bare Go error), and one that names a row names a row of
// the file; an accepted file gives results whose row numbers point at rows
// of the file that hold what was read from them, and whose ID numbers are
// valid.

// xlsxOf builds a one-sheet workbook in memory, the way the other tests write rosters.
func xlsxOf(tb testing.TB, rows ...[]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			tb.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// storedZip repacks a workbook without compression and without CRCs
// (archive/zip checks a CRC only when the header has one), so that byte
// mutations reach excelize's XML parsing instead of dying in inflate.
func storedZip(tb testing.TB, data []byte) []byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		var body bytes.Buffer
		if _, err := body.ReadFrom(rc); err != nil {
			tb.Fatal(err)
		}
		rc.Close()
		n := uint64(body.Len())
		w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Store, CompressedSize64: n, UncompressedSize64: n})
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(body.Bytes())
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

func gbk(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := gbkEncoder.Bytes([]byte(s))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// checkRefusal checks the error an importer returns for a file it refuses:
// an *app.Error (never EINTERNAL) with a Chinese message, and any row it
// names (第N行) is a row of the file.
func checkRefusal(t *testing.T, err error, fileRows func() int) {
	t.Helper()
	if code := app.ErrorCode(err); code == app.EINTERNAL {
		t.Fatalf("internal error instead of a message: %v", err)
	}
	msg := app.ErrorMessage(err)
	if !hasHan(msg) {
		t.Fatalf("message is not Chinese: %q", msg)
	}
	for _, m := range rowRef.FindAllStringSubmatch(msg, -1) {
		n, _ := strconv.Atoi(m[1])
		if n < 1 || n > fileRows() {
			t.Fatalf("message names row %d of a %d-row file: %s", n, fileRows(), msg)
		}
	}
}

var rowRef = regexp.MustCompile(`第(\d+)行`)

// watch starts measuring what an importer allocates for data; the function
// it returns fails the test if that is out of proportion to the file (a
// crafted zip claiming gigabytes must not get them).
func watch(t *testing.T, data []byte) func() {
	t.Helper()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	return func() {
		t.Helper()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if grew, bound := after.TotalAlloc-before.TotalAlloc, uint64(64<<20+2000*len(data)); grew > bound {
			t.Fatalf("%d-byte file took %d MB", len(data), grew>>20)
		}
	}
}

// plainText says whether data is a CSV file whose rows are its lines: UTF-8
// without quotes or carriage returns (the cases where "row N" must be line N
// of the file).
func plainText(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	return len(data) > 0 && looksLikeText(data) && utf8.Valid(data) && !bytes.ContainsAny(data, "\"\r")
}

// fileSheets reads the input independently of the importer: every sheet's
// rows as the user sees them in Excel (for text, the file's lines under the
// name the reader gives the sheet).
func fileSheets(name string, data []byte) map[string][][]string {
	out := map[string][][]string{}
	if bytes.HasPrefix(data, zipMagic) || bytes.HasPrefix(data, oleMagic) {
		if !zipSizesPlausible(data) {
			return out // excelize would allocate what the parts claim
		}
		func() {
			defer func() { recover() }()
			f, err := excelize.OpenReader(bytes.NewReader(data))
			if err != nil {
				return
			}
			defer f.Close()
			for _, sh := range f.GetSheetList() {
				rows, _ := f.GetRows(sh, excelize.Options{RawCellValue: true})
				out[sh] = rows
			}
		}()
		return out
	}
	text := string(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	sep := ","
	if first := firstLines([]byte(text)); strings.Count(first, "\t") > strings.Count(first, ",") {
		sep = "\t"
	}
	var rows [][]string
	for _, line := range strings.Split(text, "\n") {
		rows = append(rows, strings.Split(strings.TrimSuffix(line, "\r"), sep))
	}
	out[strings.TrimSuffix(name, filepath.Ext(name))] = rows
	return out
}

// lineCount is an upper bound of the rows a text file has, as Excel shows them.
func lineCount(data []byte) int { return bytes.Count(data, []byte("\n")) + 1 }

func FuzzReadBankReturn(f *testing.F) {
	header := []any{"序号", "卡号", "户名", "实发金额", "处理结果", "失败原因"}
	book := xlsxOf(f, []any{"代发工资回盘明细"}, header,
		[]any{1, "6217000000000000001", "赵大", "400.00", "成功", ""},
		[]any{2, "6217000000000000003", "孙特困", 1210, "失败", "账户已销户"})
	f.Add(book)
	f.Add(storedZip(f, book))
	csvText := "序号,卡号,户名,实发金额,处理结果,失败原因\n1,6217000000000000001,赵大,400.00,成功,\n2,6217 0000 0000 0000 003,孙特困,1210,失败,账户已销户\n"
	f.Add([]byte(csvText))
	f.Add(gbk(f, csvText))
	f.Add([]byte("\xef\xbb\xbf\n账号\t姓名\t金额\t状态\t备注\n6217000000000000001\t赵大\t400\t成功\t\n\n6217000000000000003\t孙特困\t1,210.00\t退票\t户名不符\n"))
	f.Add([]byte("账号,金额,状态\n\"6217,\"1\"\"00\",成功\n\"unterminated"))
	f.Add([]byte("姓名,备注\n张三,无\n"))
	f.Add(append(append([]byte{}, oleMagic...), make([]byte, 64)...))
	f.Add([]byte("PK\x03\x04\x00\x00"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "回盘.xlsx")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Skip()
		}
		defer watch(t, data)()
		rows, err := ReadBankReturn(p)
		if err != nil {
			if rows != nil {
				t.Fatalf("rows %v with an error", rows)
			}
			checkRefusal(t, err, func() int { return max(lineCount(data), maxRows(fileSheets(filepath.Base(p), data))) })
			return
		}
		// The reader reads the first visible sheet; the rows it returns are
		// in file order, after a header, and within the file.
		sheets := fileSheets(filepath.Base(p), data)
		last := 1
		for _, r := range rows {
			if r.Line <= last {
				t.Fatalf("row lines not increasing after the header: %+v", rows)
			}
			last = r.Line
			if bytes.HasPrefix(data, zipMagic) {
				if r.Line > maxRows(sheets) {
					t.Fatalf("row %d of a workbook with at most %d rows", r.Line, maxRows(sheets))
				}
				continue
			}
			if r.Line > lineCount(data) {
				t.Fatalf("row %d of a %d-line file", r.Line, lineCount(data))
			}
			if !plainText(data) {
				continue
			}
			// In a plain CSV file row N is line N: what was read must be there.
			var line []string
			for _, rs := range sheets {
				line = rs[r.Line-1]
			}
			for _, v := range []string{r.Account, r.Name, r.Amount, r.Status, r.Reason} {
				if v != "" && !containsCell(line, v) {
					t.Fatalf("row %d says %q, but line %d of the file is %q", r.Line, v, r.Line, line)
				}
			}
		}
	})
}

func maxRows(sheets map[string][][]string) int {
	n := 0
	for _, rs := range sheets {
		n = max(n, len(rs))
	}
	return n
}

func containsCell(row []string, v string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) == v {
			return true
		}
	}
	return false
}

// crossCheckStore is a device database with one covered person (赵大, 低保
// approved and reported) and one registered but not covered (赵子).
func crossCheckStore(tb testing.TB) (*storage.Store, string, string) {
	tb.Helper()
	ctx := context.Background()
	s := newStore(tb, cst(2025, 3, 31))
	r := "341122"
	covered, notCovered := id(r, day(1960, 1, 1), 22), id(r, day(1990, 2, 2), 13)
	_, cid, err := s.RegisterHousehold(ctx, liaison, app.Household{VillageCode: township + "201", VillageName: "桃园村",
		Area: app.AreaRural, BankName: "农商行", BankAccount: "6217000000000000001",
		Members: []app.Member{{Name: "赵大", IDNumber: covered, Relation: app.RelationHead, Covered: true},
			{Name: "赵子", IDNumber: notCovered, Relation: app.RelationChild}},
		Incomes: []app.Income{{Kind: app.IncomeWage, Monthly: app.Yuan(400)}}},
		&app.CaseApplied{Program: app.ProgramDibao, AppliedOn: day(2025, 1, 6)})
	if err != nil {
		tb.Fatal(err)
	}
	for _, st := range []struct {
		a      app.Actor
		action app.Action
		d      app.StepData
	}{
		{clerk, app.ActionAccept, app.StepData{Date: day(2025, 1, 7), ConsentSigned: true}},
		{liaison, app.ActionVisit, app.StepData{Date: day(2025, 1, 8), Staff: []string{"李经办", "王协理"}, Findings: "入户核查属实"}},
		{clerk, app.ActionNotice, app.StepData{Date: day(2025, 1, 9)}},
		{approver, app.ActionApprove, app.StepData{Date: day(2025, 1, 20)}},
		{clerk, app.ActionReport, app.StepData{Date: day(2025, 1, 21)}},
	} {
		if err := s.Step(ctx, st.a, cid, st.action, st.d); err != nil {
			tb.Fatalf("%s: %v", st.action, err)
		}
	}
	return s, covered, notCovered
}

func FuzzCrossCheck(f *testing.F) {
	s, covered, notCovered := crossCheckStore(f)
	stranger := id("341122", day(1988, 8, 8), 13)
	old15 := "341122550606123"
	lowerX := strings.ToLower(id("341122", day(1975, 5, 5), 31))
	// One real list per source (source is an index into Sources).
	for i, rows := range [][][]any{
		{{"残联数据"}, {"姓名", "身份证号", "残疾类别", "残疾等级"}, {"陌生", stranger, "智力", "三级"},
			{"赵大", covered, "肢体", "一级"}, {"坏号", "123", "视力", "二级"}},
		{{"姓名", "公民身份号码", "个人自付金额"}, {"赵子", notCovered, 23456.5}, {"陌生", stranger, "800"}, {"空", old15, ""}},
		{{"学生姓名", "学生身份证号", "资助项目"}, {"赵子", notCovered, "国家助学金"}, {"小", lowerX, "免学费"}},
		{{"比对名单"}, {"姓名", "身份证号码", "住房类型"}, {"赵大", covered, "商品房"}, {"陌生", stranger, "D级危房"},
			{}, {"坏号", "1.10105194912310E+17", "危房"}},
		{{"姓名", "身份证号", "比对事项"}, {"赵大x", covered, "死亡"}, {"陌生", stranger, "机动车"}},
	} {
		book := xlsxOf(f, rows...)
		f.Add(book, uint8(i))
		if i == 0 {
			f.Add(storedZip(f, book), uint8(i))
		}
	}
	csvText := "姓名,身份证号,个人自付\n赵子," + notCovered + ",12000\n陌生," + stranger + ",无\n坏号,12345,100\n"
	f.Add([]byte(csvText), uint8(1))
	f.Add(gbk(f, csvText), uint8(1))
	f.Add([]byte("姓名\t身份证号\t住房类型\n\n赵大\t"+covered+"\t第二套商品房\n\n陌生\t"+stranger+"\tC级危房\n"), uint8(3))
	f.Add([]byte("姓名,身份证号,情况\n\"赵大\n\",\""+covered+"\",死亡\n\"unterminated"), uint8(4))
	f.Add([]byte("姓名,备注\n张三,无\n"), uint8(0))
	f.Add(append(append([]byte{}, oleMagic...), make([]byte, 64)...), uint8(0))
	f.Add([]byte("PK\x03\x04\x00\x00"), uint8(2))
	s.SetClock(func() time.Time { return cst(2025, 4, 20) })
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, src uint8) {
		source := Sources[int(src)%len(Sources)]
		p := filepath.Join(dir, "比对.xlsx")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Skip()
		}
		var out bytes.Buffer
		done := watch(t, data)
		rep, err := CrossCheck(context.Background(), s, source, p, &out, CrossCheckOptions{})
		done()
		sheets := fileSheets(filepath.Base(p), data)
		rowsOf := func(sheet string) int {
			if bytes.HasPrefix(data, zipMagic) {
				return len(sheets[sheet])
			}
			return lineCount(data)
		}
		if err != nil {
			if rep != nil {
				t.Fatalf("report %+v with an error", rep)
			}
			checkRefusal(t, err, func() int { return max(lineCount(data), maxRows(sheets)) })
			return
		}
		if rep == nil {
			t.Fatal("nil report without error")
		}
		if rep.Matched > rep.Rows || rep.NameDiffs > rep.Matched || len(rep.Problems) > rep.Rows ||
			rep.Missed+rep.Wrong+len(rep.Problems) > rep.Rows || rep.Added > rep.Missed+rep.Wrong {
			t.Fatalf("inconsistent report %+v", rep)
		}
		for _, pr := range rep.Problems {
			if pr.Row < 2 || pr.Row > rowsOf(pr.Sheet) || !strings.Contains(pr.Column, "身份证号") || !hasHan(pr.Reason) {
				t.Fatalf("problem %+v (sheet has %d rows)", pr, rowsOf(pr.Sheet))
			}
			if plainText(data) && blank(sheets[pr.Sheet][pr.Row-1]) {
				t.Fatalf("problem %+v points at a blank line", pr)
			}
		}
		// The worklist holds one row per item; each has a valid full ID
		// number, and its detail names the row of the list it came from,
		// which holds that ID number.
		wl, err := excelize.OpenReader(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("worklist is not a workbook: %v", err)
		}
		defer wl.Close()
		for sheet, want := range map[string]int{"疑似漏保": rep.Missed, "疑似错保": rep.Wrong} {
			rows, err := wl.GetRows(sheet)
			if err != nil {
				t.Fatalf("worklist sheet %s: %v", sheet, err)
			}
			n := 0
			for _, r := range rows[min(2, len(rows)):] {
				if len(r) == 0 {
					continue
				}
				if _, err := strconv.Atoi(r[0]); err != nil {
					continue
				}
				n++
				if len(r) < 7 {
					t.Fatalf("short worklist row %q", r)
				}
				info, err := app.ParseID(r[2])
				if err != nil || info.Number != r[2] {
					t.Fatalf("worklist ID %q: %v", r[2], err)
				}
				checkDetail(t, r[6], info.Number, sheets, rowsOf, bytes.HasPrefix(data, zipMagic) || plainText(data))
			}
			if n != want {
				t.Fatalf("%s has %d rows, report says %d", sheet, n, want)
			}
		}
	})
}

// checkDetail checks a worklist item's detail ("<sheet>第N行：...") against the list.
// When rows holds the rows as the importer saw them (a workbook, or a plain
// CSV file), the row must also hold the ID number.
func checkDetail(t *testing.T, detail, idNumber string, sheets map[string][][]string, rowsOf func(string) int, exact bool) {
	t.Helper()
	for sheet, rows := range sheets {
		rest, ok := strings.CutPrefix(detail, sheet+"第")
		if !ok {
			continue
		}
		num, _, ok := strings.Cut(rest, "行：")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		if n < 2 || n > rowsOf(sheet) {
			t.Fatalf("detail %q: row %d of a %d-row sheet", detail, n, rowsOf(sheet))
		}
		if !exact {
			return
		}
		for _, c := range rows[n-1] {
			if info, err := app.ParseIDAt(strings.TrimSpace(c), app.Date{Year: 2025, Month: 4, Day: 20}); err == nil && info.Number == idNumber {
				return
			}
		}
		t.Fatalf("detail %q: row %d is %q, without %s", detail, n, rows[n-1], idNumber)
	}
	t.Fatalf("detail %q names no sheet of the list", detail)
}

// Row numbers of a text file are Excel's: blank lines count, and a title
// line does not hide that the file is tab-separated.
func TestReadBankReturnTextRows(t *testing.T) {
	p := filepath.Join(t.TempDir(), "回盘.txt")
	os.WriteFile(p, []byte("\xef\xbb\xbf代发回盘\n\n账号\t姓名\t金额\t状态\t备注\n6217000000000000001\t赵大\t400\t成功\t\n\n"+
		"6217000000000000003\t孙特困\t1,210.00\t退票\t户名不符\n"), 0o644)
	rows, err := ReadBankReturn(p)
	if err != nil {
		t.Fatal(app.ErrorMessage(err))
	}
	if len(rows) != 2 || rows[0].Line != 4 || rows[1].Line != 6 || rows[1].Amount != "1,210.00" {
		t.Fatalf("rows %+v", rows)
	}
}
