package storage

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"jiuzhu/app"
)

// Audit trail and the one-household archive (一户一档).

// AuditFilter selects events for the audit screen; zero fields match everything.
type AuditFilter struct {
	Person      string   // name or ID-number fragment of a household member
	HouseholdID string   //
	CaseID      string   // a case, lead or payment batch ID
	Actor       string   // fragment of the actor's name, or the exact user ID
	From, To    app.Date // China Standard Time days, inclusive
	Limit       int      // default 1000
	Offset      int
	// NewestFirst reverses the canonical order: the audit screen shows the
	// latest events, which a limit would otherwise cut off.
	NewestFirst bool
}

// AuditRow is one event with a Chinese one-line description.
type AuditRow struct {
	Event   app.Event `json:"event"`
	Time    string    `json:"time"` // China Standard Time, "2006-01-02 15:04:05"
	Summary string    `json:"summary"`
}

// AuditEvents lists events in canonical order (or its reverse). A person filter also finds the
// leads about that person's household.
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter) ([]AuditRow, error) {
	var where []string
	var args []any
	if strings.TrimSpace(f.Person) != "" {
		cond, qargs, err := s.memberMatch(ctx, f.Person)
		if err != nil {
			return nil, err
		}
		hh := `SELECT m.household_id FROM members m WHERE ` + cond
		where = append(where, `(household_id IN (`+hh+`) OR case_id IN (SELECT id FROM leads WHERE subject_household IN (`+hh+`)))`)
		args = append(args, qargs...)
		args = append(args, qargs...)
	}
	if f.HouseholdID != "" {
		where, args = append(where, `household_id = ?`), append(args, f.HouseholdID)
	}
	if f.CaseID != "" {
		where, args = append(where, `case_id = ?`), append(args, f.CaseID)
	}
	if a := strings.TrimSpace(f.Actor); a != "" {
		where = append(where, `(actor_id = ? OR instr(actor_name, ?) > 0)`)
		args = append(args, a, a)
	}
	if !f.From.IsZero() {
		where, args = append(where, `hlc >= ?`), append(args, dayStartHLC(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, `hlc < ?`), append(args, dayStartHLC(f.To.AddDays(1)))
	}
	q := `SELECT ` + eventColumns + ` FROM events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	order := canonicalOrder
	if f.NewestFirst {
		order = ` ORDER BY hlc DESC, device_id DESC, device_seq DESC`
	}
	q += order + ` LIMIT ? OFFSET ?`
	args = append(args, limit, f.Offset)
	events, err := queryEvents(ctx, s.db, q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]AuditRow, len(events))
	for i, e := range events {
		out[i] = AuditRow{Event: e, Time: cstTime(e.HLC), Summary: DescribeEvent(&e)}
	}
	return out, nil
}

func dayStartHLC(d app.Date) string {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, chinaTime)
	return app.HLC{Wall: t.UnixMilli()}.String()
}

func cstTime(h app.HLC) string { return h.Time().In(chinaTime).Format("2006-01-02 15:04:05") }

// DescribeEvent says in Chinese what an event did, for the audit screen and
// the archive. It never shows a lead's complainant.
func DescribeEvent(e *app.Event) string { return describeEvent(e, true) }

func describeEvent(e *app.Event, withOpinion bool) string {
	var b strings.Builder
	add := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	switch e.Type {
	case app.EventHouseholdRegistered:
		var p app.HouseholdRegistered
		json.Unmarshal(e.Payload, &p)
		head, _ := p.Household.Head()
		add("登记家庭：户主%s，%d人，%s", head.Name, len(p.Household.Members), p.Household.VillageName)
	case app.EventMemberAdded:
		var p app.MemberAdded
		json.Unmarshal(e.Payload, &p)
		add("增加家庭成员：%s（%s）", p.Member.Name, p.Member.Relation.Label())
	case app.EventMemberRemoved:
		var p app.MemberRemoved
		json.Unmarshal(e.Payload, &p)
		add("移除家庭成员，原因：%s", p.Reason)
	case app.EventFieldSet:
		var p app.FieldSet
		json.Unmarshal(e.Payload, &p)
		label := app.FieldLabels[p.Field]
		if label == "" {
			label = p.Field
		}
		add("修改%s为 %s", label, string(p.Value))
	case app.EventCaseApplied:
		var p app.CaseApplied
		json.Unmarshal(e.Payload, &p)
		add("申请%s（申请日期 %s）", p.Program.Label(), p.AppliedOn)
		if p.Reason != "" {
			add("：%s", p.Reason)
		}
	case app.EventCaseStep:
		var p app.CaseStep
		json.Unmarshal(e.Payload, &p)
		d := p.Data
		add("%s（%s）", p.Action.Label(), d.Date)
		if d.Amount != 0 {
			add("，金额 %s 元", d.Amount)
		}
		if d.Month != "" {
			add("，月份 %s", d.Month)
		}
		if len(d.Staff) > 0 {
			add("，人员：%s", strings.Join(d.Staff, "、"))
		}
		if d.Findings != "" {
			add("，情况：%s", d.Findings)
		}
		if d.Objection != "" {
			add("，异议：%s", d.Objection)
		}
		if len(d.Reasons) > 0 {
			add("，理由：%s", strings.Join(d.Reasons, "；"))
		}
		if len(d.MissingItems) > 0 {
			add("，需补正：%s", strings.Join(d.MissingItems, "、"))
		}
		if d.Opinion != "" && withOpinion {
			add("。意见：%s", d.Opinion)
		}
	case app.EventAttachmentAdded:
		var p app.AttachmentAdded
		json.Unmarshal(e.Payload, &p)
		add("添加附件：%s", p.Name)
		if p.Note != "" {
			add("（%s）", p.Note)
		}
	case app.EventConflictResolved:
		var p app.ConflictResolved
		json.Unmarshal(e.Payload, &p)
		add("处理冲突：%s", map[string]string{app.ChoiceKept: "保留现行版本", app.ChoiceOther: "采用另一版本"}[p.Choice])
		if p.Note != "" {
			add("（%s）", p.Note)
		}
	case app.EventRulesSet:
		var p app.RulesSet
		json.Unmarshal(e.Payload, &p)
		add("发布救助政策参数 %s（%s 起生效）", p.Rules.Version, p.Rules.EffectiveFrom)
	case app.EventCalendarSet:
		var p app.CalendarSet
		json.Unmarshal(e.Payload, &p)
		add("发布工作日历（%d 条）", len(p.Entries))
	case app.EventLeadRegistered:
		var p app.LeadRegistered
		json.Unmarshal(e.Payload, &p)
		add("登记问题线索（%s，%s 受理），被反映对象：%s", p.Source.Label(), p.ReceivedOn, p.SubjectName)
	case app.EventPaymentBatchCreated:
		var p app.PaymentBatchCreated
		json.Unmarshal(e.Payload, &p)
		var total app.Money
		for _, it := range p.Items {
			total += it.Amount
		}
		add("生成 %s 发放名单：%d 笔，合计 %s 元", p.Month, len(p.Items), total)
	case app.EventPaymentBatchSent:
		var p app.PaymentBatchSent
		json.Unmarshal(e.Payload, &p)
		add("发放名单报送银行（%s）", p.Date)
	case app.EventPaymentReturned:
		var p app.PaymentReturned
		json.Unmarshal(e.Payload, &p)
		paid, failed := 0, 0
		for _, r := range p.Results {
			if r.Status == app.PayPaid {
				paid++
			} else {
				failed++
			}
		}
		add("导入银行回盘：成功 %d 笔，失败 %d 笔", paid, failed)
	case app.EventReserveReceived:
		var p app.ReserveReceived
		json.Unmarshal(e.Payload, &p)
		add("临时救助备用金到账 %s 元（%s）", p.Amount, p.Date)
	case app.EventWorklistAdded, app.EventWorklistClosed:
		add("%s", describeWorklist(e))
	default:
		if a := app.LeadActionOf(e.Type); a != "" {
			var p app.LeadStep
			json.Unmarshal(e.Payload, &p)
			add("问题线索%s（%s）", a.Label(), p.Data.Date)
			if p.Data.Note != "" {
				add("：%s", p.Data.Note)
			}
		} else {
			add("%s", e.Type)
		}
	}
	return b.String()
}

// ArchiveWriter receives the files of an archive: a zip, or a folder.
type ArchiveWriter interface {
	Put(name string, data []byte) error
}

// ZipArchive writes archive files into a zip.
type ZipArchive struct{ W *zip.Writer }

func (z ZipArchive) Put(name string, data []byte) error {
	f, err := z.W.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Now()})
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return err
}

// DirArchive writes archive files into a folder.
type DirArchive string

func (d DirArchive) Put(name string, data []byte) error {
	p := filepath.Join(string(d), filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// ExportArchiveZip writes the household's archive as a zip to w.
func (s *Store) ExportArchiveZip(ctx context.Context, householdID string, w io.Writer) error {
	zw := zip.NewWriter(w)
	if err := s.ExportArchive(ctx, householdID, ZipArchive{zw}); err != nil {
		return err
	}
	return zw.Close()
}

// ExportArchive writes the one-household file (一户一档): index.html, a page a
// person can read and print (household, members with full ID numbers — this
// is the official file — cases with decisions and computed amounts,
// payments, leads about the household without their complainants, every
// event in order with actor, role, time and opinion); events.json, the raw
// events with their hash chain; and the attachments under attachments/.
func (s *Store) ExportArchive(ctx context.Context, householdID string, out ArchiveWriter) error {
	agg, err := s.Household(ctx, householdID)
	if err != nil {
		return err
	}
	events, err := s.Events(ctx, householdID)
	if err != nil {
		return err
	}
	fc, err := loadFoldContext(ctx, s.db)
	if err != nil {
		return err
	}
	v := archiveView{Generated: s.now().In(chinaTime).Format("2006-01-02 15:04"), Device: s.device, H: agg.Household}
	v.Area = agg.Household.Area.Label()
	for _, m := range agg.Household.Members {
		am := archiveMember{Member: m, Relation: m.Relation.Label()}
		if info, err := app.ParseID(m.IDNumber); err == nil {
			am.Sex, am.Birth = info.Sex.Label(), info.Birth.String()
		}
		v.Members = append(v.Members, am)
	}
	for _, id := range agg.CaseIDs() {
		c := agg.Cases[id]
		ac := archiveCase{C: c, Program: c.Program.Label(), State: c.State.Label()}
		if c.Program != app.ProgramTemporary && !c.DecidedOn.IsZero() && c.State != app.StateRejected {
			comp := app.DecidedAmount(c, &agg.Household, fc.StepContext(c.DecidedOn).Rules)
			ac.Computation = comp.Lines
			ac.Computed = comp.Amount.String()
			ac.Current = app.MonthlyAmount(c, &agg.Household, fc.Rules, s.Today()).String()
		}
		v.Cases = append(v.Cases, ac)
	}
	byEvent := map[string]string{}
	for _, a := range agg.Attachments {
		name := "attachments/" + a.SHA256[:12] + "-" + safeName(a.Name)
		data, err := s.Blob(ctx, a.SHA256)
		aa := archiveAttachment{A: a, Path: name, Time: cstTime(a.HLC)}
		if err != nil {
			aa.Missing = true
		} else if err := out.Put(name, data); err != nil {
			return err
		}
		v.Attachments = append(v.Attachments, aa)
		byEvent[a.EventID] = name
	}
	actionOf := map[string]string{}
	for i := range events {
		e := &events[i]
		row := archiveEvent{N: i + 1, Time: cstTime(e.HLC), Actor: e.Actor.Name, Role: e.Actor.Role.Label(),
			What: describeEvent(e, false), Hash: e.Hash[:16], Attachment: byEvent[e.ID]}
		if e.Type == app.EventCaseStep {
			var p app.CaseStep
			json.Unmarshal(e.Payload, &p)
			row.Opinion = p.Data.Opinion
			actionOf[e.ID] = p.Action.Label()
		}
		if e.CaseID != "" {
			if c := agg.Cases[e.CaseID]; c != nil {
				row.Case = c.Program.Label()
			}
		}
		v.Events = append(v.Events, row)
	}
	items, err := s.db.QueryContext(ctx, `SELECT i.month, b.id, i.seq, i.amount, i.status, i.reason, dec(i.account)
		FROM payment_items i JOIN payment_batches b ON b.id = i.batch_id WHERE i.household_id = ? ORDER BY i.month, b.created_on, i.seq`,
		householdID)
	if err != nil {
		return err
	}
	for items.Next() {
		var p archivePayment
		var amount int64
		var status string
		if err := items.Scan(&p.Month, &p.Batch, &p.Seq, &amount, &status, &p.Reason, &p.Account); err != nil {
			items.Close()
			return err
		}
		p.Batch, p.Amount, p.Status, p.Account = short(p.Batch), app.Money(amount).String(), app.PaymentStatus(status).Label(),
			app.MaskAccount(p.Account)
		v.Payments = append(v.Payments, p)
	}
	items.Close()
	leads, err := s.Leads(ctx, LeadFilter{HouseholdID: householdID})
	if err != nil {
		return err
	}
	for _, l := range leads {
		v.Leads = append(v.Leads, archiveLead{R: l, Source: l.Source.Label(), Mode: l.Mode.Label(), State: l.State.Label(),
			Result: l.Result.Label(), Recovered: l.Recovered.String()})
	}
	var page bytes.Buffer
	if err := archiveTemplate.Execute(&page, v); err != nil {
		return fmt.Errorf("archive page: %w", err)
	}
	if err := out.Put("index.html", page.Bytes()); err != nil {
		return err
	}
	// Not indented: indenting would rewrite each payload, and the hashes are over the bytes.
	raw, err := json.Marshal(events)
	if err != nil {
		return err
	}
	return out.Put("events.json", raw)
}

var unsafeChars = regexp.MustCompile(`[\\/:*?"<>|\x00-\x1f]`)

func safeName(n string) string {
	n = unsafeChars.ReplaceAllString(strings.TrimSpace(n), "_")
	if n == "" || n == "." || n == ".." {
		return "file"
	}
	return n
}

type archiveView struct {
	Generated   string
	Device      Device
	H           app.Household
	Area        string
	Members     []archiveMember
	Cases       []archiveCase
	Events      []archiveEvent
	Attachments []archiveAttachment
	Payments    []archivePayment
	Leads       []archiveLead
}

type archiveMember struct {
	app.Member
	Relation, Sex, Birth string
}

type archiveCase struct {
	C                 *app.Case
	Program, State    string
	Computation       []string
	Computed, Current string
}

type archiveEvent struct {
	N                                int
	Time, Actor, Role, What, Opinion string
	Case, Hash, Attachment           string
}

type archiveAttachment struct {
	A       app.Attachment
	Path    string
	Time    string
	Missing bool
}

type archivePayment struct {
	Month, Batch                    string
	Seq                             int
	Amount, Status, Reason, Account string
}

type archiveLead struct {
	R                                      LeadRow
	Source, Mode, State, Result, Recovered string
}

var archiveTemplate = template.Must(template.New("archive").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>一户一档：{{with .Members}}{{(index . 0).Name}}{{end}}户</title>
<style>
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;line-height:1.5}
table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%}
th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top;font-size:.92em}
th{background:#eee}h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:2px solid #333;margin-top:1.5em}
.muted{color:#666;font-size:.85em}
</style></head><body>
<h1>一户一档</h1>
<p class="muted">导出时间 {{.Generated}}；导出设备 {{.Device.Name}}（{{.Device.TownshipName}} {{.Device.TownshipCode}}）。本档案由事件日志生成，每条记录附哈希值，可与系统“完整性检查”核对。</p>

<h2>一、家庭基本情况</h2>
<table>
<tr><th>村（社区）</th><td>{{.H.VillageName}}（{{.H.VillageCode}}）</td><th>城乡类别</th><td>{{.Area}}</td></tr>
<tr><th>住址</th><td>{{.H.Address}}</td><th>联系电话</th><td>{{.H.Phone}}</td></tr>
<tr><th>开户银行</th><td>{{.H.BankName}}</td><th>银行账号</th><td>{{.H.BankAccount}}</td></tr>
<tr><th>家庭编号</th><td colspan="3">{{.H.ID}}</td></tr>
</table>

<h2>二、家庭成员</h2>
<table><tr><th>姓名</th><th>与户主关系</th><th>公民身份号码</th><th>性别</th><th>出生日期</th><th>保障对象</th></tr>
{{range .Members}}<tr><td>{{.Name}}</td><td>{{.Relation}}</td><td>{{.IDNumber}}</td><td>{{.Sex}}</td><td>{{.Birth}}</td><td>{{if .Covered}}是{{else}}否{{end}}</td></tr>
{{end}}</table>

<h2>三、救助案件</h2>
{{range .Cases}}<table>
<tr><th>项目</th><td>{{.Program}}</td><th>状态</th><td>{{.State}}</td></tr>
<tr><th>申请日期</th><td>{{.C.AppliedOn}}</td><th>审批日期</th><td>{{.C.DecidedOn}}</td></tr>
<tr><th>核定金额（元）</th><td>{{.C.Amount}}</td><th>按现行规则本月应发（元）</th><td>{{.Current}}</td></tr>
{{if .C.EndedOn.Year}}<tr><th>终止日期</th><td colspan="3">{{.C.EndedOn}}</td></tr>{{end}}
{{if .Computation}}<tr><th>金额计算（审批时规则）</th><td colspan="3">{{range .Computation}}{{.}}<br>{{end}}计算结果：{{.Computed}} 元/月</td></tr>{{end}}
</table>
{{else}}<p>无</p>{{end}}

<h2>四、资金发放</h2>
{{if .Payments}}<table><tr><th>月份</th><th>批次</th><th>行号</th><th>金额（元）</th><th>账号</th><th>状态</th><th>说明</th></tr>
{{range .Payments}}<tr><td>{{.Month}}</td><td>{{.Batch}}</td><td>{{.Seq}}</td><td>{{.Amount}}</td><td>{{.Account}}</td><td>{{.Status}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{else}}<p>无发放名单记录</p>{{end}}

<h2>五、问题线索</h2>
{{if .Leads}}<table><tr><th>受理日期</th><th>来源</th><th>反映内容</th><th>办理方式</th><th>状态</th><th>核查结果</th><th>追回资金（元）</th></tr>
{{range .Leads}}<tr><td>{{.R.ReceivedOn}}</td><td>{{.Source}}</td><td>{{.R.Content}}</td><td>{{.Mode}}</td><td>{{.State}}</td><td>{{.Result}}</td><td>{{.Recovered}}</td></tr>
{{end}}</table>{{else}}<p>无</p>{{end}}

<h2>六、办理过程（按时间顺序）</h2>
<table><tr><th>序号</th><th>记录时间</th><th>经办人</th><th>角色</th><th>项目</th><th>事项</th><th>意见</th><th>哈希</th></tr>
{{range .Events}}<tr><td>{{.N}}</td><td>{{.Time}}</td><td>{{.Actor}}</td><td>{{.Role}}</td><td>{{.Case}}</td><td>{{.What}}{{if .Attachment}}（<a href="{{.Attachment}}">查看附件</a>）{{end}}</td><td>{{.Opinion}}</td><td class="muted">{{.Hash}}</td></tr>
{{end}}</table>

<h2>七、附件</h2>
{{if .Attachments}}<table><tr><th>文件</th><th>说明</th><th>添加人</th><th>时间</th><th>SHA-256</th></tr>
{{range .Attachments}}<tr><td>{{if .Missing}}{{.A.Name}}（文件尚未同步到本机）{{else}}<a href="{{.Path}}">{{.A.Name}}</a>{{end}}</td><td>{{.A.Note}}</td><td>{{.A.AddedBy}}</td><td>{{.Time}}</td><td class="muted">{{.A.SHA256}}</td></tr>
{{end}}</table>{{else}}<p>无</p>{{end}}
</body></html>
`))
