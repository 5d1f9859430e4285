package sheets

import (
	"context"
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// Roster fields, matched tolerantly against the header row.
const (
	fVillage  = "村(社区)"
	fHeadName = "户主姓名"
	fHeadID   = "户主身份证号"
	fName     = "姓名"
	fID       = "身份证号"
	fRelation = "与户主关系"
	fProgram  = "救助类别"
	fIncome   = "月人均收入"
	fAmount   = "月保障金额"
	fBank     = "开户银行"
	fAccount  = "银行账号"
	fPhone    = "联系电话"
	fSince    = "纳入时间"
)

// rosterAliases lists header spellings per field, already normalised (normHeader).
var rosterAliases = map[string][]string{
	fVillage:  {"村社区", "村", "社区", "村居", "村居委会", "村委会", "所属村", "所属村社区", "村社区名称", "村名"},
	fHeadName: {"户主姓名", "户主", "户主名字"},
	fHeadID:   {"户主身份证号", "户主身份证号码", "户主身份证", "户主公民身份号码", "户主证件号码"},
	fName:     {"姓名", "成员姓名", "家庭成员姓名", "救助对象姓名", "保障对象姓名"},
	fID:       {"身份证号", "身份证号码", "成员身份证号", "成员身份证号码", "公民身份号码", "证件号码", "身份证"},
	fRelation: {"与户主关系", "与户主的关系", "关系", "家庭关系"},
	fProgram:  {"救助类别", "救助类型", "保障类别", "救助项目", "类别"},
	fIncome:   {"月人均收入", "家庭月人均收入", "人均月收入", "月人均收入元"},
	fAmount:   {"月保障金额", "保障金额", "月保障金", "月救助金额", "月发放金额", "月保障金额元"},
	fBank:     {"开户银行", "开户行", "银行"},
	fAccount:  {"银行账号", "银行卡号", "账号", "卡号", "银行帐号"},
	fPhone:    {"联系电话", "电话", "手机号", "手机号码", "联系方式"},
	fSince:    {"纳入时间", "纳入日期", "批准时间", "享受时间", "纳入年月"},
}

var rosterRequired = []string{fVillage, fHeadID, fName, fID}

// headerScanRows is how far down the header row is looked for (title rows, notes).
const headerScanRows = 10

// Problem is a row of a file that was not imported, or a warning about one.
type Problem struct {
	Sheet  string `json:"sheet"`
	Row    int    `json:"row"`    // as Excel shows it, from 1; 0 = the whole sheet or file
	Column string `json:"column"` // "E（身份证号）", or ""
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	where := "工作表“" + p.Sheet + "”"
	if p.Row > 0 {
		where += fmt.Sprintf("第%d行", p.Row)
	}
	if p.Column != "" {
		where += p.Column + "列"
	}
	return where + "：" + p.Reason
}

// RosterReport says what an import did.
type RosterReport struct {
	Rows        int               `json:"rows"`         // data rows read
	Households  int               `json:"households"`   // households registered now
	Persons     int               `json:"persons"`      // persons registered now
	Cases       int               `json:"cases"`        // cases opened now
	Existing    int               `json:"existing"`     // households already registered, left unchanged
	Problems    []Problem         `json:"problems"`     // rows not imported, with the reason
	Warnings    []Problem         `json:"warnings"`     // imported, but worth a look
	NewVillages []storage.Village `json:"new_villages"` // village codes derived for names not seen before
}

// RosterOptions tune an import.
type RosterOptions struct {
	Password string    // of a password-protected workbook
	Actor    app.Actor // who registers (default: a liaison named 台账导入)
	Progress Progress
	Batch    int // households per transaction (default 500)
}

type rosterRow struct {
	sheet      string
	row        int
	cols       map[string]int
	village    string
	headName   string
	headID     string
	name       string
	id         string
	rel        app.Relation
	program    app.Program
	income     app.Money
	amount     app.Money
	bank       string
	account    string
	phone      string
	since      app.Date
	hasProgram bool
}

func (r *rosterRow) col(field string) string {
	i, ok := r.cols[field]
	if !ok {
		return ""
	}
	return colName(i) + "（" + field + "）"
}

func (r *rosterRow) problem(field, format string, args ...any) Problem {
	return Problem{Sheet: r.sheet, Row: r.row, Column: r.col(field), Reason: fmt.Sprintf(format, args...)}
}

type rosterHousehold struct {
	headID string
	rows   []*rosterRow
}

// ImportRoster imports the legacy roster at path (one row per person; rows
// sharing 户主身份证号 form a household). Invalid rows are reported and left
// out; the rest is registered. Households whose head is already registered
// are left unchanged, so importing the same file twice changes nothing.
func ImportRoster(ctx context.Context, s *storage.Store, path string, opt RosterOptions) (*RosterReport, error) {
	in, err := openInput(path, opt.Password)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	if opt.Actor.UserID == "" {
		opt.Actor = app.Actor{UserID: "import:roster", Name: "台账导入", Role: app.RoleLiaison}
	}
	if opt.Batch <= 0 {
		opt.Batch = 500
	}
	rep := &RosterReport{}
	today := s.Today()
	households, err := readRoster(in, today, rep)
	if err != nil {
		return nil, err
	}
	return rep, registerRoster(ctx, s, households, opt, rep)
}

// readRoster reads every sheet with a roster header into households, in file order.
func readRoster(in *input, today app.Date, rep *RosterReport) ([]*rosterHousehold, error) {
	var order []*rosterHousehold
	byHead := map[string]*rosterHousehold{}
	type seenAt struct {
		headID string
		row    *rosterRow
	}
	people := map[string]seenAt{}
	found := false
	for _, t := range in.Tables {
		var cols map[string]int
		var headerMissing []string
		rowNo := 0
		for {
			raw, ok, err := t.next()
			if err != nil {
				return nil, app.Errorf(app.EINVALID, "读取工作表“%s”失败：%s", t.Sheet, app.ErrorMessage(err))
			}
			if !ok {
				break
			}
			rowNo++
			if cols == nil {
				if rowNo > headerScanRows {
					break
				}
				c, missing := findHeader(raw)
				if c != nil {
					cols = c
					found = true
				} else if len(missing) < len(rosterRequired) && (headerMissing == nil || len(missing) < len(headerMissing)) {
					headerMissing = missing
				}
				continue
			}
			if blank(raw) {
				continue
			}
			rep.Rows++
			r, probs := parseRosterRow(t.Sheet, rowNo, cols, raw, today)
			if len(probs) > 0 {
				rep.Problems = append(rep.Problems, probs...)
				continue
			}
			if prev, dup := people[r.id]; dup {
				if prev.headID == r.headID {
					rep.Problems = append(rep.Problems, r.problem(fID, "与第%d行是同一人（身份证号相同），重复行未导入", prev.row.row))
				} else {
					rep.Problems = append(rep.Problems, r.problem(fID, "同一人出现在两户：第%d行登记在户主身份证号 %s 的家庭，"+
						"本行又登记在户主身份证号 %s 的家庭。一人只能在一户，本行未导入，请核实户籍后修改", prev.row.row, prev.headID, r.headID))
				}
				continue
			}
			people[r.id] = seenAt{r.headID, r}
			h := byHead[r.headID]
			if h == nil {
				h = &rosterHousehold{headID: r.headID}
				byHead[r.headID] = h
				order = append(order, h)
			}
			h.rows = append(h.rows, r)
		}
		if cols == nil && headerMissing != nil {
			rep.Warnings = append(rep.Warnings, Problem{Sheet: t.Sheet, Reason: "前" + strconv.Itoa(headerScanRows) +
				"行中找不到完整的表头，缺少：" + strings.Join(headerMissing, "、") + "；该工作表未导入"})
		}
	}
	if !found {
		return nil, app.Errorf(app.EINVALID, "文件中找不到低保台账表头：表头应包含 %s 等列（前%d行内），请核对是否选错了文件",
			strings.Join(rosterRequired, "、"), headerScanRows)
	}
	return order, nil
}

// findHeader returns the column of each field when row is a roster header.
func findHeader(row []string) (map[string]int, []string) {
	cols := map[string]int{}
	for i, c := range row {
		if f := headerMatch(c, rosterAliases); f != "" {
			if _, dup := cols[f]; !dup {
				cols[f] = i
			}
		}
	}
	var missing []string
	for _, f := range rosterRequired {
		if _, ok := cols[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, missing
	}
	return cols, nil
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func parseRosterRow(sheet string, rowNo int, cols map[string]int, raw []string, today app.Date) (*rosterRow, []Problem) {
	r := &rosterRow{sheet: sheet, row: rowNo, cols: cols}
	get := func(f string) string {
		i, ok := cols[f]
		if !ok {
			return ""
		}
		return cell(raw, i)
	}
	var probs []Problem
	bad := func(f, format string, args ...any) { probs = append(probs, r.problem(f, format, args...)) }

	r.village = strings.Join(strings.Fields(get(fVillage)), "")
	if r.village == "" {
		bad(fVillage, "请填写村(社区)名称")
	}
	r.name = strings.Join(strings.Fields(get(fName)), "")
	switch {
	case r.name == "":
		bad(fName, "请填写姓名")
	case utf8.RuneCountInString(r.name) > 30:
		bad(fName, "姓名过长（超过30个字）")
	}
	if info, err := app.ParseIDAt(get(fID), today); err != nil {
		bad(fID, "%s", app.ErrorMessage(err))
	} else {
		r.id = info.Number
	}
	if info, err := app.ParseIDAt(get(fHeadID), today); err != nil {
		bad(fHeadID, "%s", app.ErrorMessage(err))
	} else {
		r.headID = info.Number
	}
	r.headName = strings.Join(strings.Fields(get(fHeadName)), "")
	rel := get(fRelation)
	switch {
	case rel == "" && r.id != "" && r.id == r.headID:
		r.rel = app.RelationHead
	case rel == "":
		bad(fRelation, "请填写与户主关系")
	default:
		if v, ok := app.ParseRelation(rel); ok {
			r.rel = v
		} else {
			bad(fRelation, "无法识别与户主关系“%s”，请填写户主、配偶、子女、父母、孙子女、兄弟姐妹等", rel)
		}
	}
	if r.id != "" && r.headID != "" {
		if r.rel == app.RelationHead && r.id != r.headID {
			bad(fRelation, "与户主关系为“户主”，但本人身份证号与户主身份证号不一致")
		}
		if r.rel != app.RelationHead && r.rel != "" && r.id == r.headID {
			bad(fRelation, "本人身份证号与户主身份证号相同，与户主关系应为“户主”，现为“%s”", rel)
		}
	}
	if p := strings.Join(strings.Fields(get(fProgram)), ""); p != "" {
		if v, ok := app.ParseProgram(p); ok {
			r.program, r.hasProgram = v, true
		} else {
			bad(fProgram, "无法识别救助类别“%s”，应为低保、特困或临时救助", p)
		}
	}
	var err error
	if r.income, err = app.ParseMoney(get(fIncome)); err != nil || r.income < 0 {
		bad(fIncome, "月人均收入“%s”不是有效金额", get(fIncome))
	}
	if r.amount, err = app.ParseMoney(get(fAmount)); err != nil || r.amount < 0 {
		bad(fAmount, "月保障金额“%s”不是有效金额", get(fAmount))
	}
	r.bank = get(fBank)
	r.account = strings.Join(strings.Fields(get(fAccount)), "")
	if r.account != "" {
		if strings.ContainsAny(r.account, "eE") && strings.Contains(r.account, "+") {
			bad(fAccount, "银行账号被Excel存成了数字（科学计数法），后几位已丢失：请把该列设为“文本”后重新录入")
		} else if d, ok := expandAccount(r.account); ok {
			r.account = d
		} else {
			bad(fAccount, "银行账号“%s”只能包含数字", r.account)
		}
	}
	r.phone = strings.Join(strings.Fields(get(fPhone)), "")
	if s := get(fSince); s != "" {
		if d, ok := parseLooseDate(s); ok && !d.After(today) {
			r.since = d
		} else {
			bad(fSince, "纳入时间“%s”不是有效日期（如 2023-05-01），或晚于今天", s)
		}
	}
	return r, probs
}

// expandAccount accepts digits, also with a ".0" Excel added.
func expandAccount(s string) (string, bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "'"), ".0")
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return s, s != ""
}

var looseDate = regexp.MustCompile(`^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*(?:[月./\-]\s*(?:(\d{1,2})\s*日?)?)?$`)

// parseLooseDate reads the dates clerks type: 2023-05-01, 2023/5/1, 2023.5.1,
// 2023年5月1日, 2023年5月 (first of month), 20230501, or an Excel date serial.
func parseLooseDate(s string) (app.Date, bool) {
	s = strings.TrimSpace(s)
	if d, err := app.ParseDate(s); err == nil {
		return d, true
	}
	if m := looseDate.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d := 1
		if m[3] != "" {
			d, _ = strconv.Atoi(m[3])
		}
		if mo < 1 || mo > 12 || d < 1 || d > 31 {
			return app.Date{}, false
		}
		date := app.NewDate(y, time.Month(mo), d)
		if date.Day != d {
			return app.Date{}, false
		}
		return date, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 1 && f < 2958466 {
		t, err := excelize.ExcelDateToTime(f, false)
		if err == nil {
			return app.DateOf(t), true
		}
	}
	return app.Date{}, false
}

// registerRoster checks households against the store and registers the new ones.
func registerRoster(ctx context.Context, s *storage.Store, households []*rosterHousehold, opt RosterOptions, rep *RosterReport) error {
	registered, err := s.RegisteredIDs(ctx)
	if err != nil {
		return err
	}
	villages, err := newVillageCodes(ctx, s)
	if err != nil {
		return err
	}
	today := s.Today()
	township := s.Device().TownshipCode
	var regs []storage.Registration
	var regRows [][]*rosterRow
	flush := func() error {
		if len(regs) == 0 {
			return nil
		}
		if err := registerBatch(ctx, s, opt.Actor, regs, regRows, rep); err != nil {
			return err
		}
		regs, regRows = regs[:0], regRows[:0]
		return nil
	}
	for i, rh := range households {
		opt.Progress.report(i, len(households))
		if existing := householdOf(registered, rh.headID); existing != "" {
			rep.Existing++
			for _, r := range rh.rows {
				if !inHousehold(registered[r.id], existing) {
					rep.Warnings = append(rep.Warnings, r.problem(fID, "户主已登记，本人未在该户中：如确属该户，请在系统中为该户添加成员"))
				}
			}
			continue
		}
		var rows []*rosterRow
		for _, r := range rh.rows {
			if others := registered[r.id]; len(others) > 0 {
				o := others[0]
				rep.Problems = append(rep.Problems, r.problem(fID, "同一人出现在两户：本人已登记在%s户主身份证号 %s 的家庭（户主%s），"+
					"一人只能在一户，本行未导入，请核实户籍", o.VillageName, o.HeadID, o.Name))
				continue
			}
			rows = append(rows, r)
		}
		if len(rows) == 0 {
			continue
		}
		h, apply, warn := buildHousehold(rh.headID, rows, villages, township, today)
		rep.Warnings = append(rep.Warnings, warn...)
		if h == nil {
			continue
		}
		if probs := h.Validate(today); len(probs) > 0 {
			for _, p := range probs {
				rep.Problems = append(rep.Problems, householdProblem(rows, p))
			}
			continue
		}
		for _, m := range h.Members {
			registered[m.IDNumber] = append(registered[m.IDNumber], storage.RegisteredPerson{HouseholdID: "(本次导入)", HeadID: rh.headID})
		}
		regs = append(regs, storage.Registration{Household: *h, Apply: apply})
		regRows = append(regRows, rows)
		if len(regs) >= opt.Batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	opt.Progress.report(len(households), len(households))
	rep.NewVillages = villages.added
	return nil
}

func registerBatch(ctx context.Context, s *storage.Store, actor app.Actor, regs []storage.Registration, rows [][]*rosterRow, rep *RosterReport) error {
	count := func(batch []storage.Registration) {
		for _, r := range batch {
			rep.Households++
			rep.Persons += len(r.Household.Members)
			if r.Apply != nil {
				rep.Cases++
			}
		}
	}
	if _, err := s.RegisterHouseholds(ctx, actor, regs); err == nil {
		count(regs)
		return nil
	} else if app.ErrorCode(err) == app.EINTERNAL {
		return err
	}
	// One household failed a check done in the transaction: register one by one.
	for i, r := range regs {
		if _, err := s.RegisterHouseholds(ctx, actor, regs[i:i+1]); err != nil {
			if app.ErrorCode(err) == app.EINTERNAL {
				return err
			}
			rep.Problems = append(rep.Problems, rows[i][0].problem(fHeadID, "该户未导入：%s", app.ErrorMessage(err)))
			continue
		}
		count([]storage.Registration{r})
	}
	return nil
}

// householdOf returns the household where headID is the head (or a member).
func householdOf(reg map[string][]storage.RegisteredPerson, headID string) string {
	for _, p := range reg[headID] {
		if p.HeadID == headID {
			return p.HouseholdID
		}
	}
	if ps := reg[headID]; len(ps) > 0 {
		return ps[0].HouseholdID
	}
	return ""
}

func inHousehold(ps []storage.RegisteredPerson, hid string) bool {
	for _, p := range ps {
		if p.HouseholdID == hid {
			return true
		}
	}
	return false
}

// householdProblem points a validation problem at the row it concerns.
func householdProblem(rows []*rosterRow, p *app.Error) Problem {
	var n int
	if _, err := fmt.Sscanf(p.Field, "第%d位成员", &n); err == nil && n >= 1 && n <= len(rows) {
		return rows[n-1].problem("", "该户未导入：%s", app.ErrorMessage(p))
	}
	return rows[0].problem("", "该户未导入：%s", app.ErrorMessage(p))
}

// buildHousehold turns the rows of one household into a registration. A head
// not listed as a row of their own (only covered persons are listed) is
// added from 户主姓名/户主身份证号 as a member not covered.
func buildHousehold(headID string, rows []*rosterRow, villages *villageCodes, township string, today app.Date) (*app.Household, *app.CaseApplied, []Problem) {
	var warn []Problem
	first := rows[0]
	for _, r := range rows {
		if r.rel == app.RelationHead {
			first = r
			break
		}
	}
	code := villages.code(first.village)
	h := &app.Household{TownshipCode: township, VillageCode: code, VillageName: first.village, Area: app.AreaRural,
		BankName: first.bank, BankAccount: first.account, Phone: first.phone}
	if strings.HasSuffix(first.village, "社区") || strings.HasSuffix(first.village, "居委会") {
		h.Area = app.AreaUrban
	}
	hasHead := false
	var program app.Program
	var amount, income app.Money
	var since app.Date
	for _, r := range rows {
		if r.village != first.village {
			warn = append(warn, r.problem(fVillage, "同一户的村(社区)填写不一致（“%s”与户主行“%s”），按户主行导入", r.village, first.village))
		}
		if r.rel == app.RelationHead {
			hasHead = true
		}
		h.Members = append(h.Members, app.Member{Name: r.name, IDNumber: r.id, Relation: r.rel, Covered: true, Phone: r.phone})
		if r.hasProgram {
			if program == "" {
				program = r.program
			} else if r.program != program {
				warn = append(warn, r.problem(fProgram, "同一户的救助类别不一致（%s与%s），按户主行（或首行）导入", r.program.Label(), program.Label()))
			}
		}
		if amount == 0 {
			amount = r.amount
		}
		if income == 0 {
			income = r.income
		}
		if since.IsZero() {
			since = r.since
		}
		if h.BankAccount == "" && r.account != "" {
			h.BankName, h.BankAccount = r.bank, r.account
		}
		if h.Phone == "" {
			h.Phone = r.phone
		}
	}
	if !hasHead {
		name := first.headName
		if name == "" {
			return nil, nil, append(warn, first.problem(fHeadName, "该户没有户主行，也没有填写户主姓名，无法登记该户，全户未导入"))
		}
		h.Members = append([]app.Member{{Name: name, IDNumber: headID, Relation: app.RelationHead}}, h.Members...)
	}
	if income > 0 {
		h.Incomes = []app.Income{{Kind: app.IncomeOther, Monthly: income * app.Money(len(h.Members)),
			Note: "旧台账登记的月人均收入 " + income.String() + " 元 x " + strconv.Itoa(len(h.Members)) + " 人"}}
	}
	if program == "" {
		return h, nil, append(warn, first.problem(fProgram, "该户没有填写救助类别：只登记家庭，未建立救助案件"))
	}
	applied := since
	if applied.IsZero() || applied.After(today) {
		applied = today
	}
	reason := "由旧台账导入"
	if !since.IsZero() {
		reason += "；纳入时间 " + since.String()
	}
	if amount > 0 {
		reason += "；旧台账月保障金额 " + amount.String() + " 元"
	}
	if program != app.ProgramTemporary && amount > 0 && !since.IsZero() && !since.After(today) {
		// A standing beneficiary: keep paying from the imported amount.
		return h, &app.CaseApplied{Program: program, AppliedOn: since, Reason: reason,
			Enrolled: &app.Enrolment{Since: since, Amount: amount, Source: "旧台账导入"}}, warn
	}
	apply := &app.CaseApplied{Program: program, AppliedOn: applied, Reason: reason + "。请核对后按程序办理"}
	if program == app.ProgramTemporary {
		apply.TempKind = app.TempSpending
	}
	return h, apply, warn
}

// villageCodes maps village names to 12-digit codes: the codes of households
// already registered, else township + 3 digits derived from the name (the
// same name always gets the same code on every device; collisions step on).
type villageCodes struct {
	township string
	byName   map[string]string
	used     map[string]bool
	added    []storage.Village
}

func newVillageCodes(ctx context.Context, s *storage.Store) (*villageCodes, error) {
	vs, err := s.Villages(ctx)
	if err != nil {
		return nil, err
	}
	v := &villageCodes{township: s.Device().TownshipCode, byName: map[string]string{}, used: map[string]bool{}}
	for _, x := range vs {
		v.byName[normVillage(x.Name)] = x.Code
		v.used[x.Code] = true
	}
	return v, nil
}

func normVillage(s string) string { return normHeader(s) }

func (v *villageCodes) code(name string) string {
	key := normVillage(name)
	if c, ok := v.byName[key]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	n := int(h.Sum32() % 900)
	var c string
	for i := 0; i < 900; i++ {
		c = fmt.Sprintf("%s%03d", v.township, 100+(n+i)%900)
		if !v.used[c] {
			break
		}
	}
	v.byName[key], v.used[c] = c, true
	v.added = append(v.added, storage.Village{Code: c, Name: name})
	sort.Slice(v.added, func(i, j int) bool { return v.added[i].Code < v.added[j].Code })
	return c
}
