package sheets

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// Partner sources of a cross-check.
const (
	SourceDisability = "disability" // 残联
	SourceMedical    = "medical"    // 医保
	SourceEducation  = "education"  // 教育
	SourceHousing    = "housing"    // 住建
	SourceOther      = "other"      // 车辆、工商、公职、死亡等
)

// Sources in display order.
var Sources = []string{SourceDisability, SourceMedical, SourceEducation, SourceHousing, SourceOther}

// SourceLabel is the partner department of a source.
func SourceLabel(s string) string {
	switch s {
	case SourceDisability:
		return "残联"
	case SourceMedical:
		return "医保"
	case SourceEducation:
		return "教育"
	case SourceHousing:
		return "住建"
	case SourceOther:
		return "其他部门"
	}
	return s
}

const (
	pName   = "姓名"
	pID     = "身份证号"
	pDetail = "情况" // the source-specific column (grade, spending, housing type, record type)
	pGrade  = "残疾等级"
	pType   = "残疾类别"
	pAmount = "金额"
)

var partnerAliases = map[string][]string{
	pName:   {"姓名", "人员姓名", "学生姓名", "户主姓名", "名字"},
	pID:     {"身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证", "学生身份证号"},
	pGrade:  {"残疾等级", "等级"},
	pType:   {"残疾类别", "残疾类型"},
	pAmount: {"个人自付", "自付金额", "个人自付金额", "自付费用", "政策范围外自付", "个人负担", "金额", "资助金额"},
	pDetail: {"住房类型", "房屋类型", "房产类型", "住房情况", "登记类型", "类型", "事项", "情况", "备注", "数据类型", "比对事项", "资助类型", "资助项目"},
}

// CrossCheckReport says what a cross-check found.
type CrossCheckReport struct {
	Rows      int       `json:"rows"`
	Matched   int       `json:"matched"` // rows whose person is registered here
	Missed    int       `json:"missed"`  // 疑似漏保 items in the worklist
	Wrong     int       `json:"wrong"`   // 疑似错保 items in the worklist
	Added     int       `json:"added"`   // items new in the store (the rest were open already)
	Problems  []Problem `json:"problems"`
	NameDiffs int       `json:"name_diffs"`
}

// CrossCheckOptions tune a cross-check.
type CrossCheckOptions struct {
	Password string
	Actor    app.Actor
	Progress Progress
	// MedicalThreshold is the yearly out-of-pocket spending from which a 医保
	// row counts as hardship (default 10,000 元; rows without an amount count).
	MedicalThreshold app.Money
}

// coverage is what the township knows of a person.
type coverage struct {
	person   storage.RegisteredPerson
	covered  bool // in a household receiving 低保/特困 and counted as covered
	programs string
}

// CrossCheck matches a partner department's list (path) by ID number, name
// as a second check, and writes the worklist workbook to out: 疑似漏保 (in
// hardship, not covered) and 疑似错保 (covered, with a red flag), each with
// its reason. The items are stored so each can be closed with a visit result.
func CrossCheck(ctx context.Context, s *storage.Store, source, path string, out io.Writer, opt CrossCheckOptions) (*CrossCheckReport, error) {
	if SourceLabel(source) == source {
		return nil, app.FieldErrorf("比对来源", "来源应为 disability（残联）、medical（医保）、education（教育）、housing（住建）或 other（其他）")
	}
	if opt.Actor.UserID == "" {
		opt.Actor = app.Actor{UserID: "import:crosscheck", Name: "信息核对", Role: app.RoleClerk}
	}
	if opt.MedicalThreshold == 0 {
		opt.MedicalThreshold = app.Yuan(10000)
	}
	in, err := openInput(path, opt.Password)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	known, err := coverageIndex(ctx, s)
	if err != nil {
		return nil, err
	}
	today := s.Today()
	rep := &CrossCheckReport{}
	var items []storage.WorklistItem
	file := filepath.Base(path)
	found := false
	for _, t := range in.Tables {
		var cols map[string]int
		var header []string
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
				c := map[string]int{}
				for i, h := range raw {
					if f := headerMatch(h, partnerAliases); f != "" {
						if _, dup := c[f]; !dup {
							c[f] = i
						}
					}
				}
				_, hasID := c[pID]
				if hasID {
					cols, header, found = c, raw, true
				}
				continue
			}
			if blank(raw) {
				continue
			}
			rep.Rows++
			if rep.Rows%500 == 0 {
				opt.Progress.report(rep.Rows, 0)
			}
			get := func(f string) string {
				if i, ok := cols[f]; ok {
					return cell(raw, i)
				}
				return ""
			}
			info, err := app.ParseIDAt(get(pID), today)
			if err != nil {
				rep.Problems = append(rep.Problems, Problem{Sheet: t.Sheet, Row: rowNo, Column: colName(cols[pID]) + "（身份证号）",
					Reason: app.ErrorMessage(err) + "；本行未比对"})
				continue
			}
			name := strings.Join(strings.Fields(get(pName)), "")
			detail := rowDetail(header, raw)
			k, ok := known[info.Number]
			var note string
			if ok {
				rep.Matched++
				if name != "" && name != k.person.Name {
					rep.NameDiffs++
					note = fmt.Sprintf("姓名不一致（本系统：%s，%s：%s），请先核实是否同一人。", k.person.Name, SourceLabel(source), name)
				}
			}
			kind, reason := classify(source, get, ok && k.covered, opt.MedicalThreshold)
			if kind == "" {
				continue
			}
			it := storage.WorklistItem{Source: source, Kind: kind, IDNumber: info.Number, Name: name, Reason: note + reason,
				Detail: fmt.Sprintf("%s第%d行：%s", t.Sheet, rowNo, detail), File: file}
			if ok {
				it.HouseholdID, it.VillageCode, it.VillageName = k.person.HouseholdID, k.person.VillageCode, k.person.VillageName
				if it.Name == "" {
					it.Name = k.person.Name
				}
				if k.programs != "" {
					it.Reason += "（现为" + k.programs + "对象）"
				}
			}
			items = append(items, it)
		}
	}
	if !found {
		return nil, app.Errorf(app.EINVALID, "文件中找不到“身份证号”列（前%d行内），请核对是否选错了文件", headerScanRows)
	}
	added, err := s.AddWorklistItems(ctx, opt.Actor, items)
	if err != nil {
		return nil, err
	}
	rep.Added = added
	for _, it := range items {
		if it.Kind == storage.WorklistMissed {
			rep.Missed++
		} else {
			rep.Wrong++
		}
	}
	opt.Progress.report(rep.Rows, rep.Rows)
	return rep, writeWorklist(s, source, items, out)
}

// classify decides whether a partner row is a 漏保 or 错保 lead, and why.
func classify(source string, get func(string) string, covered bool, medicalThreshold app.Money) (string, string) {
	detail := get(pDetail)
	switch source {
	case SourceDisability:
		grade := parseGrade(get(pGrade))
		typ := get(pType)
		severe := grade == 1 || grade == 2 || (grade == 3 && (strings.Contains(typ, "智力") || strings.Contains(typ, "精神")))
		if !covered && severe {
			return storage.WorklistMissed, fmt.Sprintf("重度残疾（%s%s级），未纳入低保/特困：请核查家庭经济状况，可能符合低保或单人保条件", typ, gradeText(grade))
		}
	case SourceMedical:
		amount, err := app.ParseMoney(get(pAmount))
		if !covered && (err != nil || amount == 0 || amount >= medicalThreshold) {
			r := "医保部门反馈大额医疗费用"
			if amount > 0 {
				r += "（个人自付 " + amount.String() + " 元）"
			}
			return storage.WorklistMissed, r + "，未纳入保障：请核查是否因病致困，可申请支出型临时救助或低保"
		}
	case SourceEducation:
		if !covered {
			return storage.WorklistMissed, "教育部门认定的家庭经济困难学生" + paren(detail) + "，家庭未纳入保障：请入户核查家庭经济状况"
		}
	case SourceHousing:
		switch {
		case covered && containsAny(detail, "商品房", "购房", "商品住房", "房产登记", "非自住", "第二套", "门面", "商铺"):
			return storage.WorklistWrong, "住建部门反馈名下有商品住房或非自住房产" + paren(detail) + "：请核查家庭财产是否超过规定"
		case !covered && containsAny(detail, "危房", "危改", "D级", "C级", "改造"):
			return storage.WorklistMissed, "住建部门反馈住房困难（危房改造对象）" + paren(detail) + "，未纳入保障：请入户核查"
		}
	case SourceOther:
		if !covered {
			return "", ""
		}
		switch {
		case containsAny(detail, "死亡", "注销户口", "已故", "火化"):
			return storage.WorklistWrong, "死亡或户口注销记录" + paren(detail) + "：应及时减员或停发"
		case containsAny(detail, "车", "机动车"):
			return storage.WorklistWrong, "名下有机动车辆" + paren(detail) + "：请核查车辆价值与用途（残疾人代步、营运小型车辆等可按规定不计）"
		case containsAny(detail, "工商", "个体", "企业", "营业执照", "法人", "股东", "公司"):
			return storage.WorklistWrong, "有工商登记/经营实体" + paren(detail) + "：请核查经营收入和财产"
		case containsAny(detail, "公职", "财政供养", "机关", "事业单位", "公务员", "教师", "在编"):
			return storage.WorklistWrong, "家庭成员为财政供养人员" + paren(detail) + "：请核查家庭收入"
		case strings.TrimSpace(detail) != "":
			return storage.WorklistWrong, "其他部门比对发现：" + detail + "，请入户核查"
		}
	}
	return "", ""
}

func paren(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return "（" + s + "）"
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func parseGrade(s string) int {
	s = strings.NewReplacer("一", "1", "二", "2", "三", "3", "四", "4", "级", "", "壹", "1", "贰", "2", "叁", "3", "肆", "4").Replace(strings.TrimSpace(s))
	n, _ := strconv.Atoi(strings.TrimSuffix(s, ".0"))
	return n
}

func gradeText(g int) string {
	if g == 0 {
		return "?"
	}
	return strconv.Itoa(g)
}

func rowDetail(header, row []string) string {
	var parts []string
	for i, v := range row {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		h := ""
		if i < len(header) {
			h = strings.TrimSpace(header[i])
		}
		if h == "" {
			h = colName(i)
		}
		if f := headerMatch(h, map[string][]string{pID: partnerAliases[pID]}); f != "" {
			v = app.MaskID(v) // the full number is in its own column
		}
		parts = append(parts, h+"="+v)
	}
	return strings.Join(parts, "；")
}

// coverageIndex maps ID numbers to their household and whether they are covered.
func coverageIndex(ctx context.Context, s *storage.Store) (map[string]coverage, error) {
	reg, err := s.RegisteredIDs(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB().QueryContext(ctx, `SELECT household_id, program, state FROM cases`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	receiving := map[string][]app.Program{}
	for rows.Next() {
		var hid string
		var p app.Program
		var st app.State
		if err := rows.Scan(&hid, &p, &st); err != nil {
			return nil, err
		}
		if p != app.ProgramTemporary && st.Receiving() {
			receiving[hid] = append(receiving[hid], p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	covered, err := coveredMembers(ctx, s)
	if err != nil {
		return nil, err
	}
	out := make(map[string]coverage, len(reg))
	for id, ps := range reg {
		c := coverage{person: ps[0]}
		for _, p := range ps {
			if progs := receiving[p.HouseholdID]; len(progs) > 0 && covered[p.MemberID] {
				c.person, c.covered = p, true
				var labels []string
				for _, x := range progs {
					labels = append(labels, x.Label())
				}
				c.programs = strings.Join(labels, "、")
			}
		}
		out[id] = c
	}
	return out, nil
}

func coveredMembers(ctx context.Context, s *storage.Store) (map[string]bool, error) {
	rows, err := s.DB().QueryContext(ctx, `SELECT id, dec(data) FROM members`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return nil, err
		}
		var m struct {
			Covered bool `json:"covered"`
		}
		if json.Unmarshal(data, &m) == nil && m.Covered {
			out[id] = true
		}
	}
	return out, rows.Err()
}

var worklistColumns = []column{{"序号", 7, colInt}, {"姓名", 10, colText}, {"身份证号", 21, colText}, {"村(社区)", 14, colText},
	{"比对来源", 10, colText}, {"疑似原因", 50, colText}, {"部门数据", 40, colText}, {"核查事项编号", 38, colText},
	{"核查结果", 14, colText}, {"核查人", 10, colText}, {"核查日期", 12, colText}}

// writeWorklist writes the two worklists (full ID numbers: an internal
// working paper for the visits, never a notice).
func writeWorklist(s *storage.Store, source string, items []storage.WorklistItem, out io.Writer) error {
	b, err := newBook()
	if err != nil {
		return err
	}
	for _, k := range []struct{ kind, sheet, title string }{
		{storage.WorklistMissed, "疑似漏保", "疑似漏保（应保未保）核查清单"},
		{storage.WorklistWrong, "疑似错保", "疑似错保（不应保而保）核查清单"},
	} {
		sh, err := b.sheet(k.sheet, fmt.Sprintf("%s%s（%s比对）", s.Device().TownshipName, k.title, SourceLabel(source)), worklistColumns)
		if err != nil {
			return err
		}
		n := 0
		for _, it := range items {
			if it.Kind != k.kind {
				continue
			}
			n++
			village := it.VillageName
			if village == "" {
				village = "（本系统未登记）"
			}
			if err := sh.add(n, it.Name, it.IDNumber, village, SourceLabel(it.Source), it.Reason, it.Detail, it.ID); err != nil {
				return err
			}
		}
		if n == 0 {
			if err := sh.note("本次比对没有此类疑点。"); err != nil {
				return err
			}
		}
		if err := sh.note("入户核查后，请在系统中按“核查事项编号”登记核查结果（已纳入保障、已停发退出、核实无问题或其他）。本表含完整身份证号，仅供内部核查，严禁公示或外传。"); err != nil {
			return err
		}
		if err := sh.flush(); err != nil {
			return err
		}
	}
	return b.write(out)
}
