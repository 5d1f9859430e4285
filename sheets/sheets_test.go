package sheets

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jiuzhu/app"
	"jiuzhu/storage"
)

const township = "341122101"

var (
	liaison  = app.Actor{UserID: "t-liaison", Name: "王协理", Role: app.RoleLiaison}
	clerk    = app.Actor{UserID: "t-clerk", Name: "李经办", Role: app.RoleClerk}
	approver = app.Actor{UserID: "t-approver", Name: "张审批", Role: app.RoleApprover}
)

// newStore makes a device database with the default rule book, its clock at now.
func newStore(t testing.TB, now time.Time) *storage.Store {
	t.Helper()
	ctx := context.Background()
	s, err := storage.Init(ctx, filepath.Join(t.TempDir(), "t.db"), storage.Device{Name: "测试", TownshipCode: township, TownshipName: "城关镇"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetClock(func() time.Time { return now })
	seed := app.Actor{UserID: "county", Name: "县民政局", Role: app.RoleCounty}
	for _, rs := range app.DefaultRuleBook().Sets {
		if err := s.PublishRules(ctx, seed, rs); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func cst(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))
}

func day(y int, m time.Month, d int) app.Date { return app.Date{Year: y, Month: m, Day: d} }

func id(region string, birth app.Date, seq int) string {
	first := fmt.Sprintf("%s%04d%02d%02d%03d", region, birth.Year, birth.Month, birth.Day, seq)
	return first + string(app.CheckChar(first))
}

// readSheet reads a sheet back with the streaming iterator.
func readSheet(t *testing.T, path, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	return rows
}

func writeTo(t *testing.T, name string, fn func(w *os.File) error) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func step(t *testing.T, s *storage.Store, a app.Actor, caseID string, action app.Action, d app.StepData) {
	t.Helper()
	if err := s.Step(context.Background(), a, caseID, action, d); err != nil {
		t.Fatalf("%s on %s: %v", action, d.Date, err)
	}
}

func register(t *testing.T, s *storage.Store, h app.Household, apply *app.CaseApplied) string {
	t.Helper()
	_, cid, err := s.RegisterHousehold(context.Background(), liaison, h, apply)
	if err != nil {
		t.Fatal(err)
	}
	return cid
}

// writeRoster writes rows (the first ones may be a title and the header) to an .xlsx.
func writeRoster(t *testing.T, rows [][]any) string {
	t.Helper()
	f := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "roster.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func hasProblem(ps []Problem, row int, col, text string) bool {
	for _, p := range ps {
		if p.Row == row && strings.HasPrefix(p.Column, col) && strings.Contains(p.Reason, text) {
			return true
		}
	}
	return false
}

func TestImportRosterMessy(t *testing.T) {
	s := newStore(t, cst(2025, 6, 15))
	ctx := context.Background()
	r := "341122"
	h1, m1 := id(r, day(1960, 3, 1), 11), id(r, day(1962, 4, 2), 22)
	h2 := id(r, day(1975, 5, 5), 31)
	lower := strings.ToLower(h2) // may end in x
	h3 := id(r, day(1980, 1, 1), 41)
	bad := h3[:17] + string("0123456789"[(int(h3[17]-'0')+1)%10])
	if h3[17] == 'X' {
		bad = h3[:17] + "0"
	}
	old15 := "341122" + "550606" + "123" // 15-digit, upgraded
	new18, _ := app.ParseID(old15)
	floatID := id(r, day(1990, 7, 7), 51)
	rows := [][]any{
		{"城关镇2024年低保对象花名册"},
		{" 村（社区） ", "户主 姓名", "户主身份证号码", "姓　名", "身份证号", "与户主关系", "救助类别", "月人均收入（元）", "月保障金额（元）", "开户行", "银行账号", "联系电话", "纳入时间"},
		{"桃园村", "赵大", h1, "赵大", h1, "户主", "低保", "200", "1000", "农商行", "6217001", "139", "2023-05-01"},
		{"桃园村", "赵大", h1, "钱二", m1, "妻", "低保", "200", "1000", "", "", "", ""},
		{"柳河村", "孙三", lower, "孙三", lower, "户主", "特困", "", "1210", "", "", "", "2023年6月"},
		{"柳河村", "李四", bad, "李四", bad, "户主", "低保", "", "", "", "", "", ""},
		{"柳河村", "周五", old15, "周五", old15 + " ", "本人", "城市低保", "", "", "", "", "", "45047"},
		{"柳河村", "孙三", lower, "赵大", h1, "子", "特困", "", "", "", "", "", ""},
		{"柳河村", "吴六", floatID + ".0", "吴六", floatID + ".0", "户主", "临时救助", "", "", "", "", "", ""},
		{"柳河村", "郑七", 3.4112219900707e17, "郑七", 3.4112219900707e17, "户主", "低保", "", "", "", "", "", ""},
		{"", "", "", "", "", "", "", "", "", "", "", "", ""},
		{"柳河村", "王八", h3, "王八", h3, "户主", "补助", "", "", "", "", "", ""},
	}
	path := writeRoster(t, rows)
	rep, err := ImportRoster(ctx, s, path, RosterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Log(p)
	}
	if rep.Rows != 9 {
		t.Errorf("rows %d, want 9 (title, header and blank rows skipped)", rep.Rows)
	}
	if !hasProblem(rep.Problems, 6, "C", "校验码") || !hasProblem(rep.Problems, 6, "E", "校验码") {
		t.Error("bad check digit not reported at row 6 columns C and E")
	}
	if !hasProblem(rep.Problems, 8, "E", "两户") {
		t.Error("person in two households (row 8) not reported")
	}
	// excelize writes the float in full (341122199007070000), Excel as 3.4112219900707E+17:
	// either way the lost digits are reported on the row.
	if !hasProblem(rep.Problems, 10, "E", "") {
		t.Error("float ID with lost digits not reported at row 10")
	}
	if !hasProblem(rep.Problems, 12, "G", "救助类别") {
		t.Error("unknown program not reported at row 12")
	}
	if rep.Households != 4 || rep.Persons != 5 || rep.Cases != 4 {
		t.Errorf("registered %d households %d persons %d cases, want 4/5/4", rep.Households, rep.Persons, rep.Cases)
	}
	if len(rep.NewVillages) != 2 {
		t.Errorf("new villages %v", rep.NewVillages)
	}
	for _, want := range []string{strings.ToUpper(lower), new18.Number, floatID, h1, m1} {
		ms, err := s.SearchMembers(ctx, want, "", 5)
		if err != nil || len(ms) != 1 {
			t.Errorf("member %s: %v %v", want, ms, err)
		}
	}
	// A row with amount and 纳入时间 is a standing beneficiary: in payment at
	// the old amount. One without them is a fresh application.
	paying, _ := s.Cases(ctx, storage.CaseFilter{Query: h1})
	if len(paying) != 1 || paying[0].State != app.StatePaying || paying[0].Amount != 100000 {
		t.Errorf("enrolled roster case: %+v", paying)
	}
	fresh, _ := s.Cases(ctx, storage.CaseFilter{Query: floatID})
	if len(fresh) != 1 || fresh[0].State != app.StateApplied {
		t.Errorf("roster case without amount: %+v", fresh)
	}
	// Same village name, same code; the urban program marks the household urban.
	vs, _ := s.Villages(ctx)
	for _, v := range vs {
		if !strings.HasPrefix(v.Code, township) || len(v.Code) != 12 {
			t.Errorf("village code %s", v.Code)
		}
	}

	// Importing the same file again changes nothing.
	before, _ := s.ProjectionHash(ctx)
	rep2, err := ImportRoster(ctx, s, path, RosterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := s.ProjectionHash(ctx)
	if before != after || rep2.Households != 0 || rep2.Existing != 4 {
		t.Errorf("re-import changed data: households %d existing %d", rep2.Households, rep2.Existing)
	}
}

func TestImportRosterPersonAlreadyElsewhere(t *testing.T) {
	s := newStore(t, cst(2025, 6, 15))
	ctx := context.Background()
	a, b := id("341122", day(1970, 1, 1), 11), id("341122", day(1972, 1, 1), 21)
	register(t, s, app.Household{VillageCode: township + "201", VillageName: "桃园村", Area: app.AreaRural,
		Members: []app.Member{{Name: "甲", IDNumber: a, Relation: app.RelationHead}}}, nil)
	path := writeRoster(t, [][]any{
		{"村(社区)", "户主姓名", "户主身份证号", "姓名", "身份证号", "与户主关系", "救助类别"},
		{"桃园村", "乙", b, "乙", b, "户主", "低保"},
		{"桃园村", "乙", b, "甲", a, "配偶", "低保"},
	})
	rep, err := ImportRoster(ctx, s, path, RosterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(rep.Problems, 3, "E", "两户") || rep.Households != 1 || rep.Persons != 1 {
		t.Errorf("report %+v", rep)
	}
	vs, _ := s.Villages(ctx)
	if len(vs) != 1 || len(rep.NewVillages) != 0 {
		t.Errorf("existing village name must reuse its code: %v %v", vs, rep.NewVillages)
	}
}

func TestOpenInputFormats(t *testing.T) {
	s := newStore(t, cst(2025, 6, 15))
	dir := t.TempDir()
	cases := map[string]struct {
		data []byte
		want string
	}{
		"old.xls":     {append(append([]byte{}, oleMagic...), make([]byte, 600)...), "另存为"},
		"locked.xlsx": {append(append(append([]byte{}, oleMagic...), make([]byte, 100)...), encryptedStream...), "密码"},
		"word.docx":   {[]byte("PK\x03\x04garbage"), "不是有效的Excel"},
		"empty.xlsx":  {nil, "空的"},
		"photo.jpg":   {[]byte{0xff, 0xd8, 0xff, 0x00, 0x01}, "不是Excel"},
	}
	for name, c := range cases {
		p := filepath.Join(dir, name)
		os.WriteFile(p, c.data, 0o644)
		_, err := ImportRoster(context.Background(), s, p, RosterOptions{})
		if err == nil || !strings.Contains(app.ErrorMessage(err), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// CSV in GBK, as Excel saves it on Chinese Windows, is read.
	h := id("341122", day(1966, 6, 6), 11)
	csvText := "村(社区),户主姓名,户主身份证号,姓名,身份证号,与户主关系,救助类别\n桃园村,陈一," + h + ",陈一," + h + ",户主,低保\n"
	gbk, _ := simplifiedchineseEncode(csvText)
	p := filepath.Join(dir, "roster.csv")
	os.WriteFile(p, gbk, 0o644)
	rep, err := ImportRoster(context.Background(), s, p, RosterOptions{})
	if err != nil || rep.Households != 1 {
		t.Fatalf("csv: %v %+v", err, rep)
	}
}

func TestPaymentsAndNotice(t *testing.T) {
	s := newStore(t, cst(2025, 8, 20))
	ctx := context.Background()
	ledgerData(t, s) // March 2025 data; decided amounts under the 2024 rules
	out := writeTo(t, "pay.xlsx", func(w *os.File) error {
		_, err := ExportPayments(ctx, s, "2025-08", w, nil)
		return err
	})
	rows := readSheet(t, out, "发放花名册")
	if !strings.Contains(rows[0][0], "2025年8月") || rows[1][3] != "身份证号" {
		t.Fatalf("title/header: %v %v", rows[0], rows[1])
	}
	got := map[string][]string{}
	for _, r := range rows[2:] {
		if len(r) > 2 && r[0] == "合计" {
			got["合计"] = r
		} else if len(r) > 2 {
			got[r[2]] = r
		}
	}
	// 赵大's household: gap under the 2025-07 rules (rural 740): (740-200) x 2 = 1080.
	// 孙特困: tekun, 740 x 1.3 = 962 + 300 = 1262. 钱城 (urban 820): (820-300) x 2 = 1040.
	for name, want := range map[string]string{"赵大": "1080", "孙特困": "1262", "钱城": "1040"} {
		r, ok := got[name]
		if !ok {
			t.Errorf("%s missing from the roster", name)
			continue
		}
		if r[6] != want {
			t.Errorf("%s amount %s, want %s", name, r[6], want)
		}
		if len(r[3]) != 18 {
			t.Errorf("%s ID %q not written as text", name, r[3])
		}
	}
	// 小特困 (centralised, full self-care): 962 + 60 = 1022; the total is 1080 + 1262 + 1040 + 1022.
	if tot := got["合计"]; tot == nil || tot[6] != "4404" || tot[1] != "4户" {
		t.Errorf("total row %v, want 4户 4404", tot)
	}

	// Notice of village 201: no ID numbers, no minors in 特困.
	out = writeTo(t, "notice.xlsx", func(w *os.File) error {
		_, err := ExportNotice(ctx, s, township+"201", w, NoticeOptions{MaskedID: true})
		return err
	})
	rows = readSheet(t, out, "公示")
	text := fmt.Sprint(rows)
	for _, r := range rows {
		for _, c := range r {
			if len(c) == 18 && app.CheckChar(c[:17]) == c[17] {
				t.Errorf("full ID number in the notice: %s", c)
			}
		}
	}
	if !strings.Contains(text, "赵大") || !strings.Contains(text, "0550-1234567") || !strings.Contains(text, "****") {
		t.Errorf("notice content: %s", text)
	}
	if strings.Contains(text, "小特困") {
		t.Error("a minor in 特困 was posted")
	}
	if strings.Contains(text, "收入") {
		t.Error("income details in the notice")
	}
}

func simplifiedchineseEncode(s string) ([]byte, error) {
	return gbkEncoder.Bytes([]byte(s))
}

// ledgerData builds the fixed data set of the ledger golden test. Every step
// of March 2025 is entered on 2025-03-31; later ones after the clock moves on.
func ledgerData(t *testing.T, s *storage.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	saved := s.Today()
	s.SetClock(func() time.Time { return cst(2025, 3, 31) })
	r := "341122"
	A, B := township+"201", township+"202"
	ids := map[string]string{}
	visit := app.StepData{Staff: []string{"李经办", "王协理"}, Findings: "入户核查属实"}
	withDate := func(d app.StepData, on app.Date) app.StepData { d.Date = on; return d }

	// H1 桃园村 (A), rural, 低保 approved in January: head woman 65, husband 40 with a grade-2 disability.
	c1 := register(t, s, app.Household{VillageCode: A, VillageName: "桃园村", Area: app.AreaRural, BankName: "农商行", BankAccount: "6217000000000000001",
		Members: []app.Member{{Name: "赵大", IDNumber: id(r, day(1960, 1, 1), 22), Relation: app.RelationHead, Covered: true},
			{Name: "钱夫", IDNumber: id(r, day(1985, 2, 2), 11), Relation: app.RelationSpouse, Covered: true, Disability: app.DisabilityPhysical, DisabilityGrade: 2}},
		Incomes: []app.Income{{Kind: app.IncomeWage, Monthly: app.Yuan(400)}}},
		&app.CaseApplied{Program: app.ProgramDibao, AppliedOn: day(2025, 1, 6)})
	ids["H1"] = c1
	step(t, s, clerk, c1, app.ActionAccept, app.StepData{Date: day(2025, 1, 7), ConsentSigned: true})
	step(t, s, liaison, c1, app.ActionVisit, withDate(visit, day(2025, 1, 8)))
	step(t, s, clerk, c1, app.ActionNotice, app.StepData{Date: day(2025, 1, 9)})
	step(t, s, approver, c1, app.ActionApprove, app.StepData{Date: day(2025, 1, 20)})
	step(t, s, clerk, c1, app.ActionReport, app.StepData{Date: day(2025, 1, 21)})
	step(t, s, clerk, c1, app.ActionPay, app.StepData{Date: day(2025, 2, 5), Month: "2025-02"})
	// March is paid through the bank roster below.

	// H2 柳河社区 (B), urban, 低保 approved in March: head man 35, daughter 10.
	c2 := register(t, s, app.Household{VillageCode: B, VillageName: "柳河社区", Area: app.AreaUrban,
		Members: []app.Member{{Name: "钱城", IDNumber: id(r, day(1990, 5, 5), 31), Relation: app.RelationHead, Covered: true},
			{Name: "钱女", IDNumber: id(r, day(2015, 6, 6), 42), Relation: app.RelationChild, Covered: true}},
		Incomes: []app.Income{{Kind: app.IncomeWage, Monthly: app.Yuan(600)}}},
		&app.CaseApplied{Program: app.ProgramDibao, AppliedOn: day(2025, 3, 3)})
	ids["H2"] = c2
	step(t, s, clerk, c2, app.ActionAccept, app.StepData{Date: day(2025, 3, 4), ConsentSigned: true})
	step(t, s, liaison, c2, app.ActionVisit, withDate(visit, day(2025, 3, 5)))
	step(t, s, clerk, c2, app.ActionNotice, app.StepData{Date: day(2025, 3, 6)})
	step(t, s, approver, c2, app.ActionApprove, app.StepData{Date: day(2025, 3, 14)})

	// H3 桃园村 (A), 特困, 70 years old, dispersed, half care, paid for March.
	c3 := register(t, s, app.Household{VillageCode: A, VillageName: "桃园村", Area: app.AreaRural, BankName: "农商行", BankAccount: "6217000000000000003",
		Members: []app.Member{{Name: "孙特困", IDNumber: id(r, day(1955, 3, 3), 51), Relation: app.RelationHead, Covered: true, WorkCapacity: app.WorkNone}}},
		&app.CaseApplied{Program: app.ProgramTekun, AppliedOn: day(2025, 2, 3)})
	ids["H3"] = c3
	items := [6]bool{true, true, true, true, false, false}
	step(t, s, clerk, c3, app.ActionAccept, app.StepData{Date: day(2025, 2, 4), ConsentSigned: true})
	v3 := withDate(visit, day(2025, 2, 5))
	v3.SelfCareItems, v3.CareMode, v3.Caregiver, v3.AgreementSigned = &items, app.CareDispersed, "孙侄", day(2025, 2, 5)
	step(t, s, liaison, c3, app.ActionVisit, v3)
	step(t, s, clerk, c3, app.ActionNotice, app.StepData{Date: day(2025, 2, 6)})
	step(t, s, approver, c3, app.ActionApprove, app.StepData{Date: day(2025, 2, 14)})
	step(t, s, clerk, c3, app.ActionReport, app.StepData{Date: day(2025, 2, 15)})

	// H4 柳河社区 (B), 临时救助 急难型, 先行救助 2000 元 on 10 March.
	c4 := register(t, s, app.Household{VillageCode: B, VillageName: "柳河社区", Area: app.AreaUrban,
		Members: []app.Member{{Name: "周火", IDNumber: id(r, day(1980, 8, 8), 61), Relation: app.RelationHead, Covered: true}}},
		&app.CaseApplied{Program: app.ProgramTemporary, TempKind: app.TempUrgent, AppliedOn: day(2025, 3, 9)})
	step(t, s, approver, c4, app.ActionPayFirst, app.StepData{Date: day(2025, 3, 10), Amount: app.Yuan(2000)})
	step(t, s, clerk, c4, app.ActionComplete, withDate(visit, day(2025, 3, 12)))

	// H5 柳河社区 (B), 低保 noticed twice with an objection in between.
	c5 := register(t, s, app.Household{VillageCode: B, VillageName: "柳河社区", Area: app.AreaUrban,
		Members: []app.Member{{Name: "吴异", IDNumber: id(r, day(1970, 9, 9), 71), Relation: app.RelationHead, Covered: true}}},
		&app.CaseApplied{Program: app.ProgramDibao, AppliedOn: day(2025, 3, 17)})
	step(t, s, clerk, c5, app.ActionAccept, app.StepData{Date: day(2025, 3, 18), ConsentSigned: true})
	step(t, s, liaison, c5, app.ActionVisit, withDate(visit, day(2025, 3, 19)))
	step(t, s, clerk, c5, app.ActionNotice, app.StepData{Date: day(2025, 3, 20)})
	step(t, s, clerk, c5, app.ActionObject, app.StepData{Date: day(2025, 3, 22), Objection: "有车"})
	step(t, s, liaison, c5, app.ActionVisit, withDate(visit, day(2025, 3, 25)))
	step(t, s, clerk, c5, app.ActionNotice, app.StepData{Date: day(2025, 3, 26)})

	// H6 桃园村 (A), 特困 minor (orphan, 12): receiving, never posted.
	c6 := register(t, s, app.Household{VillageCode: A, VillageName: "桃园村", Area: app.AreaRural,
		Members: []app.Member{{Name: "小特困", IDNumber: id(r, day(2013, 1, 1), 81), Relation: app.RelationHead, Covered: true}}},
		&app.CaseApplied{Program: app.ProgramTekun, AppliedOn: day(2025, 3, 1)})
	items6 := [6]bool{true, true, true, true, true, true}
	step(t, s, clerk, c6, app.ActionAccept, app.StepData{Date: day(2025, 3, 2), ConsentSigned: true})
	v6 := withDate(visit, day(2025, 3, 3))
	v6.SelfCareItems, v6.CareMode = &items6, app.CareCentralised
	step(t, s, liaison, c6, app.ActionVisit, v6)
	step(t, s, clerk, c6, app.ActionNotice, app.StepData{Date: day(2025, 3, 4)})
	step(t, s, approver, c6, app.ActionApprove, app.StepData{Date: day(2025, 3, 12)})

	// Screening: one 漏保 item from 残联 for a person of 桃园村, visited and included.
	its := []storage.WorklistItem{{Source: SourceDisability, Kind: storage.WorklistMissed, IDNumber: id(r, day(1999, 9, 9), 91),
		Name: "冯残", VillageCode: A, VillageName: "桃园村", Reason: "重度残疾"}}
	if _, err := s.AddWorklistItems(ctx, clerk, its); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseWorklistItem(ctx, clerk, its[0].ID, storage.ResultIncluded, "", day(2025, 3, 31)); err != nil {
		t.Fatal(err)
	}

	// March's bank roster: H1 1000 and H3 1210 (H2 and H6 were approved in March and are paid from April).
	// The bank pays H1 and returns H3 (account frozen); the township then pays H3 for March by hand.
	bid, _, err := s.GenerateBatch(ctx, clerk, "2025-03")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkBatchSent(ctx, clerk, bid, app.Date{}); err != nil {
		t.Fatal(err)
	}
	batch, err := s.Batch(ctx, bid)
	if err != nil || len(batch.Items) != 2 {
		t.Fatalf("March roster %+v: %v", batch, err)
	}
	ret := [][]string{{"账号", "户名", "金额", "状态", "失败原因"}}
	for _, it := range batch.Items {
		status, reason := "成功", ""
		if it.CaseID == c3 {
			status, reason = "失败", "账户冻结"
		}
		ret = append(ret, []string{it.Account, it.PayeeName, it.Amount.String(), status, reason})
	}
	retRows, err := app.ParseBankReturn(ret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportBankReturn(ctx, clerk, bid, retRows); err != nil {
		t.Fatal(err)
	}
	step(t, s, clerk, c3, app.ActionPay, app.StepData{Date: day(2025, 3, 31), Month: "2025-03"})

	// Problem leads. March: a hotline lead handled directly, concluded with 500 recovered and closed; a lead
	// transferred from above, handled jointly, still open (30 working days: not overdue on 31 March).
	// January: a petition lead never handled - overdue, but not received in March.
	lead := func(in app.LeadRegistered) string {
		t.Helper()
		id, err := s.RegisterLead(ctx, clerk, in)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	leadStep := func(a app.Actor, id string, act app.LeadAction, d app.LeadStepData) {
		t.Helper()
		if err := s.LeadStep(ctx, a, id, act, d); err != nil {
			t.Fatalf("%s: %v", act, err)
		}
	}
	l1 := lead(app.LeadRegistered{Source: app.LeadHotline, ReceivedOn: day(2025, 3, 10), Content: "反映某户瞒报收入", SubjectName: "赵大"})
	leadStep(approver, l1, app.LeadAssign, app.LeadStepData{Date: day(2025, 3, 11), Mode: app.ModeDirect, Assignee: "李经办"})
	leadStep(clerk, l1, app.LeadConclude, app.LeadStepData{Date: day(2025, 3, 25), Result: app.ResultConfirmed,
		Note: "属实，已追回多领的低保金", Recovered: app.Yuan(500), Accountability: "约谈村协理员"})
	leadStep(approver, l1, app.LeadClose, app.LeadStepData{Opinion: "同意销号"})
	l2 := lead(app.LeadRegistered{Source: app.LeadSuperior, ReferenceNo: "县民转〔2025〕3号", ReceivedOn: day(2025, 3, 20),
		Content: "村干部优亲厚友", SubjectName: "某村干部", SubjectStaff: true})
	leadStep(approver, l2, app.LeadAssign, app.LeadStepData{Date: day(2025, 3, 21), Mode: app.ModeJoint, Assignee: "张审批"})
	lead(app.LeadRegistered{Source: app.LeadPetition, ReceivedOn: day(2025, 1, 6), Content: "反映某户有车", SubjectName: "钱城"})

	// After March: H1 paid for April and terminated in April; none of it is March's.
	s.SetClock(func() time.Time { return cst(2025, 4, 20) })
	step(t, s, clerk, c1, app.ActionPay, app.StepData{Date: day(2025, 4, 5), Month: "2025-04"})
	step(t, s, clerk, c2, app.ActionReport, app.StepData{Date: day(2025, 4, 1)})
	s.SetClock(func() time.Time { return saved.Time().Add(4 * time.Hour) })
	return ids
}

func TestLedgerGolden(t *testing.T) {
	s := newStore(t, cst(2025, 4, 20))
	ctx := context.Background()
	ids := ledgerData(t, s)
	s.SetClock(func() time.Time { return cst(2025, 4, 20) })
	out := writeTo(t, "ledger.xlsx", func(w *os.File) error {
		_, err := ExportLedger(ctx, s, "2025-03", w, LedgerOptions{Actor: clerk})
		return err
	})
	l, err := LedgerFor(ctx, s, "2025-03", LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Frozen {
		t.Fatal("March must be frozen once exported in April")
	}
	tot := l.Total
	check := func(name string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// 低保 at 31 March: H1 (rural, 2 persons) and H2 (urban, 2 persons, approved 14 March).
	check("rural households", tot.DibaoRuralHouseholds, 1)
	check("rural persons", tot.DibaoRuralPersons, 2)
	check("urban households", tot.DibaoUrbanHouseholds, 1)
	check("urban persons", tot.DibaoUrbanPersons, 2)
	check("women", tot.DibaoWomen, 2)       // 赵大 (22: even), 钱女 (42: even)
	check("elderly", tot.DibaoElderly, 1)   // 赵大, 65
	check("minors", tot.DibaoMinors, 1)     // 钱女, 9
	check("disabled", tot.DibaoDisabled, 1) // 钱夫
	check("new", tot.DibaoNew, 1)           // H2
	check("exits", tot.DibaoExits, 0)
	// H1 decided 2025-01-20 under the 2024 rules: (700 - 400/2) x 2 = 1000 for Feb and March.
	check("dibao paid month", tot.DibaoPaidMonth, app.Yuan(1000))
	check("dibao paid ytd", tot.DibaoPaidYTD, app.Yuan(2000))
	// 特困: H3 (dispersed, half care, agreement) and H6 (centralised, full self-care, minor).
	check("tekun persons", tot.TekunPersons, 2)
	check("tekun dispersed", tot.TekunDispersed, 1)
	check("tekun central", tot.TekunCentral, 1)
	check("tekun partial", tot.TekunSelfPartial, 1)
	check("tekun full", tot.TekunSelfFull, 1)
	check("tekun agreements", tot.TekunAgreements, 1)
	// H3: 700 x 1.3 = 910 + 300 (分散·半护理) = 1210, paid for March.
	check("tekun paid month", tot.TekunPaidMonth, app.Yuan(1210))
	// 临时救助: H4, urgent, paid first by the township, 2000.
	check("temp cases", tot.TempCases, 1)
	check("temp urgent", tot.TempUrgent, 1)
	check("temp first", tot.TempFirst, 1)
	check("temp township", tot.TempTownship, 1)
	check("temp amount", tot.TempAmount, app.Yuan(2000))
	check("reserve used", tot.TempReserveUsedYTD, app.Yuan(2000))
	// Notices: H1 (Jan), H3 (Feb) not March; H2, H5 twice, H6 in March = 4; one objection, handled by the re-visit.
	check("notices", tot.NoticesPosted, 4)
	check("objections", tot.ObjectionsReceived, 1)
	check("objections handled", tot.ObjectionsHandled, 1)
	check("screened", tot.Screened, 1)
	check("hits disability", tot.HitsDisability, 1)
	check("newly included", tot.NewlyIncluded, 1)
	// Funds: 1000 + 1210 monthly.
	check("paid month", tot.PaidMonth, app.Yuan(2210))
	// March's bank roster: 1000 (H1) + 1210 (H3) sent, the bank paid 1000 and returned 1210.
	if f := l.Funds; f == nil {
		t.Error("no fund figures")
	} else {
		check("roster batches", f.Batches, 1)
		check("allocated", f.Allocated, app.Yuan(2210))
		check("bank paid", f.Paid, app.Yuan(1000))
		check("bank returned", f.Returned, app.Yuan(1210))
		check("awaiting the bank", f.Pending, app.Money(0))
	}
	// Leads received in March: the hotline lead (direct, concluded and closed, 500 recovered) and the
	// transferred one (joint, open, not overdue); the January lead is not March's.
	if f := l.Leads; f == nil {
		t.Error("no lead figures")
	} else {
		check("leads received", f.Received, 2)
		check("leads hotline", f.BySource[app.LeadHotline], 1)
		check("leads superior", f.BySource[app.LeadSuperior], 1)
		check("leads petition", f.BySource[app.LeadPetition], 0)
		check("leads direct", f.ByMode[app.ModeDirect], 1)
		check("leads joint", f.ByMode[app.ModeJoint], 1)
		check("leads concluded", f.Concluded, 1)
		check("leads closed", f.Closed, 1)
		check("leads overdue", f.Overdue, 0)
		check("leads recovered", f.Recovered, app.Yuan(500))
	}
	if len(l.Villages) != 2 || l.Villages[0].F.DibaoRuralHouseholds != 1 || l.Villages[1].F.DibaoUrbanHouseholds != 1 {
		t.Errorf("villages %+v", l.Villages)
	}

	// The workbook holds the same figures, every sheet of domain.md, per village and total.
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"低保", "特困", "临时救助", "排查核对", "资金", "公示档案", "问题线索"}
	if got := f.GetSheetList(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sheets %v, want %v", got, want)
	}
	f.Close()
	rows := readSheet(t, out, "低保")
	if rows[4][1] != "全镇合计" || rows[4][2] != "1" || rows[4][4] != "1" || rows[4][14] != "1000" {
		t.Errorf("total row %v", rows[4])
	}
	// 问题线索: one township row. Columns: code, name, received, 6 sources (热线 first, 上级转办 last),
	// 3 modes (协查协办, 直查直办, 转办督办), concluded, closed, overdue, recovered.
	leads := readSheet(t, out, "问题线索")
	if want := "[341122101 全镇合计 2 1 0 0 0 0 1 1 1 0 1 1 0 500]"; len(leads) < 3 || fmt.Sprint(leads[2]) != want {
		t.Errorf("leads sheet %v, want row %s", leads, want)
	}
	// 资金: villages leave the roster and lead columns empty; the township row has them.
	funds := readSheet(t, out, "资金")
	if len(funds) < 5 || funds[4][1] != "全镇合计" {
		t.Fatalf("funds sheet %v", funds)
	}
	if want := "[341122101 全镇合计 2210 1000 4210 1000 1210 2000 1210 500]"; fmt.Sprint(funds[4]) != want {
		t.Errorf("funds total %v, want %s", funds[4], want)
	}
	if funds[2][2] != "" || funds[2][3] != "" || len(funds[2]) > 8 && funds[2][8] != "" {
		t.Errorf("village funds row %v", funds[2])
	}

	// A step backdated into March after the report changes the log, not the reported month.
	s.SetClock(func() time.Time { return cst(2025, 4, 21) })
	step(t, s, approver, ids["H2"], app.ActionTerminate, app.StepData{Date: day(2025, 3, 28), Reasons: []string{"迁出"}})
	// So does a lead received in March but registered after the report.
	if _, err := s.RegisterLead(ctx, clerk, app.LeadRegistered{Source: app.LeadWeb, ReceivedOn: day(2025, 3, 30),
		Content: "网上反映", SubjectName: "吴异"}); err != nil {
		t.Fatal(err)
	}
	again, _ := LedgerFor(ctx, s, "2025-03", LedgerOptions{})
	fresh, _ := ComputeLedger(ctx, s, "2025-03", nil)
	if again.Leads == nil || again.Leads.Received != 2 || fresh.Leads.Received != 3 {
		t.Errorf("leads: frozen %+v, recomputed %+v", again.Leads, fresh.Leads)
	}
	if again.Total.DibaoUrbanHouseholds != 1 || fresh.Total.DibaoUrbanHouseholds != 0 || fresh.Total.DibaoExits != 1 {
		t.Errorf("frozen %d, recomputed %d households (exits %d)", again.Total.DibaoUrbanHouseholds,
			fresh.Total.DibaoUrbanHouseholds, fresh.Total.DibaoExits)
	}
	// The current month is not frozen.
	cur, err := LedgerFor(ctx, s, "2025-04", LedgerOptions{})
	if err != nil || cur.Frozen {
		t.Errorf("April: %v frozen=%v", err, cur != nil && cur.Frozen)
	}
}

func TestCrossCheck(t *testing.T) {
	s := newStore(t, cst(2025, 4, 20))
	ctx := context.Background()
	ledgerData(t, s)
	s.SetClock(func() time.Time { return cst(2025, 4, 20) })
	r := "341122"
	covered := id(r, day(1960, 1, 1), 22) // 赵大, receiving 低保
	stranger := id(r, day(1988, 8, 8), 13)
	partner := func(header []any, rows ...[]any) string {
		return writeRoster(t, append([][]any{{"比对名单"}, header}, rows...))
	}
	// 住建: 赵大 owns commercial housing (错保); a stranger in a dilapidated house (漏保).
	p := partner([]any{"姓名", "身份证号码", "住房类型"}, []any{"赵大", covered, "商品房"}, []any{"陌生", stranger, "D级危房"},
		[]any{"坏号", "123", "危房"})
	var buf bytes.Buffer
	rep, err := CrossCheck(ctx, s, SourceHousing, p, &buf, CrossCheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Wrong != 1 || rep.Missed != 1 || rep.Added != 2 || len(rep.Problems) != 1 || rep.Problems[0].Row != 5 {
		t.Fatalf("report %+v", rep)
	}
	out := filepath.Join(t.TempDir(), "w.xlsx")
	os.WriteFile(out, buf.Bytes(), 0o644)
	wrong := readSheet(t, out, "疑似错保")
	if len(wrong) < 3 || wrong[2][1] != "赵大" || wrong[2][2] != covered || !strings.Contains(wrong[2][5], "商品") {
		t.Errorf("wrong sheet %v", wrong)
	}
	// Running the same list again adds nothing; other sources classify by their own rules.
	rep, _ = CrossCheck(ctx, s, SourceHousing, p, &bytes.Buffer{}, CrossCheckOptions{})
	if rep.Added != 0 {
		t.Errorf("re-run added %d", rep.Added)
	}
	p = partner([]any{"姓名", "身份证号", "比对事项"}, []any{"赵大x", covered, "死亡"}, []any{"陌生", stranger, "机动车"})
	rep, _ = CrossCheck(ctx, s, SourceOther, p, &bytes.Buffer{}, CrossCheckOptions{})
	if rep.Wrong != 1 || rep.Missed != 0 || rep.NameDiffs != 1 {
		t.Errorf("other: %+v", rep)
	}
	items, _ := s.WorklistItems(ctx, storage.WorklistFilter{Source: SourceOther})
	if len(items) != 1 || !strings.Contains(items[0].Reason, "姓名不一致") || !strings.Contains(items[0].Reason, "死亡") {
		t.Fatalf("items %+v", items)
	}
	if err := s.CloseWorklistItem(ctx, clerk, items[0].ID, storage.ResultExited, "已停发", day(2025, 4, 20)); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseWorklistItem(ctx, clerk, items[0].ID, storage.ResultExited, "", day(2025, 4, 20)); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("closing twice: %v", err)
	}
	p = partner([]any{"姓名", "身份证号", "残疾类别", "残疾等级"}, []any{"陌生", stranger, "智力", "三级"}, []any{"赵大", covered, "肢体", "一级"})
	rep, _ = CrossCheck(ctx, s, SourceDisability, p, &bytes.Buffer{}, CrossCheckOptions{})
	if rep.Missed != 1 || rep.Wrong != 0 {
		t.Errorf("disability: %+v", rep)
	}
}

func FuzzImportRoster(f *testing.F) {
	var seed bytes.Buffer
	WriteBenchRoster(20, township, &seed)
	f.Add(seed.Bytes())
	f.Add([]byte("村(社区),户主姓名,户主身份证号,姓名,身份证号,与户主关系,救助类别\n桃园村,甲,11010519491231002x,甲,11010519491231002x,户主,低保\n"))
	f.Add(append(append([]byte{}, oleMagic...), 1, 2, 3))
	f.Add([]byte("PK\x03\x04\x00\x00"))
	f.Add([]byte("村,户主身份证号,姓名,身份证号\n\"unterminated"))
	s := newStore(f, cst(2025, 6, 15))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "in.xlsx")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Skip()
		}
		rep, err := ImportRoster(context.Background(), s, p, RosterOptions{})
		if err != nil && app.ErrorCode(err) == app.EINTERNAL {
			t.Fatalf("internal error on input: %v", err)
		}
		if err == nil && rep == nil {
			t.Fatal("nil report without error")
		}
	})
}

func TestBenchHelpers(t *testing.T) {
	s := newStore(t, cst(2025, 6, 15))
	var roster bytes.Buffer
	if err := WriteBenchRoster(300, township, &roster); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "r.xlsx")
	os.WriteFile(p, roster.Bytes(), 0o644)
	rows, persons, err := BenchImportRoster(s, p)
	if err != nil || rows != 300 || persons != 300 {
		t.Fatalf("import %d rows %d persons: %v", rows, persons, err)
	}
	var a, b bytes.Buffer
	if _, err := BenchPaymentsExport(s, "2025-06", &a); err != nil {
		t.Fatal(err)
	}
	if err := BenchRawStream(300, &b); err != nil || b.Len() == 0 {
		t.Fatal(err)
	}
}
