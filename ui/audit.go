package ui

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// auditLimit is how many events one page shows.
const auditLimit = 500

// audit is 审计查询: the event log filtered by person, case (or lead),
// actor and date, each event with its time, actor, role and a Chinese
// description (storage.AuditEvents; it never shows a lead's complainant).
type audit struct {
	sh     *Shell
	filter storage.AuditFilter
	rows   []storage.AuditRow

	person  *widget.Entry
	caseID  *widget.Entry
	actor   *widget.Entry
	from    *widget.Entry
	to      *widget.Entry
	table   *widget.Table
	count   *widget.Label
	message *widget.Label
}

func newAudit(sh *Shell, f storage.AuditFilter) *audit { return &audit{sh: sh, filter: f} }

// ShowAudit opens 审计查询 on the last 30 days.
func (s *Shell) ShowAudit() {
	today := s.store.Today()
	s.ShowAuditFor(storage.AuditFilter{From: today.AddDays(-30), To: today})
}

// ShowAuditFor opens 审计查询 with a filter (a case's records from its detail).
func (s *Shell) ShowAuditFor(f storage.AuditFilter) { a := newAudit(s, f); s.show(a, a.buildUI()) }

var auditColumns = []struct {
	title string
	width float32
	value func(r *storage.AuditRow) string
}{
	{"时间", 170, func(r *storage.AuditRow) string { return r.Time }},
	{"操作人", 150, func(r *storage.AuditRow) string { return r.Event.Actor.Name }},
	{"角色", 110, func(r *storage.AuditRow) string { return r.Event.Actor.Role.Label() }},
	{"内容", 580, func(r *storage.AuditRow) string { return r.Summary }},
}

func (a *audit) buildUI() fyne.CanvasObject {
	entry := func(placeholder, text string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(placeholder)
		e.SetText(text)
		e.OnSubmitted = func(string) { a.onSearch() }
		return e
	}
	date := func(d app.Date) string {
		if d.IsZero() {
			return ""
		}
		return d.String()
	}
	f := a.filter
	a.person = entry("姓名或身份证号片段", f.Person)
	a.caseID = entry("案件或线索编号", f.CaseID)
	a.actor = entry("操作人姓名", f.Actor)
	a.from = entry("2025-01-01", date(f.From))
	a.to = entry("2025-12-31", date(f.To))
	a.count = widget.NewLabel("")
	a.message = widget.NewLabel("")
	a.message.Importance = widget.DangerImportance
	a.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(a.rows), len(auditColumns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(auditColumns[id.Col].value(&a.rows[id.Row]))
		})
	a.table.ShowHeaderColumn = false
	a.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(auditColumns[id.Col].title)
		}
	}
	for i, c := range auditColumns {
		a.table.SetColumnWidth(i, c.width)
	}
	a.table.OnSelected = func(id widget.TableCellID) { a.onSelect(id.Row) }
	search := widget.NewButton("查询", a.onSearch)
	search.Importance = widget.HighImportance
	clear := widget.NewButton("清空条件", a.onClear)
	form := container.NewGridWithColumns(5,
		labeled("人员", a.person), labeled("案件", a.caseID), labeled("操作人", a.actor),
		labeled("日期从", a.from), labeled("至", a.to))
	title := widget.NewLabelWithStyle("审计查询", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	top := container.NewVBox(container.NewHBox(title, layoutSpacer()), form,
		container.NewHBox(search, clear, widget.NewButton("上一页", a.onPrev), widget.NewButton("下一页", a.onNext),
			a.count, a.message))
	a.reload()
	return container.NewBorder(top, nil, nil, nil, a.table)
}

// onSearch reads the filters and queries again.
func (a *audit) onSearch() {
	f := storage.AuditFilter{Person: strings.TrimSpace(a.person.Text), CaseID: strings.TrimSpace(a.caseID.Text),
		Actor: strings.TrimSpace(a.actor.Text), Limit: auditLimit}
	var err error
	if s := strings.TrimSpace(a.from.Text); s != "" {
		if f.From, err = app.ParseDate(s); err != nil {
			a.fail(app.FieldErrorf("日期从", "请按 2024-05-01 的格式填写日期"))
			return
		}
	}
	if s := strings.TrimSpace(a.to.Text); s != "" {
		if f.To, err = app.ParseDate(s); err != nil {
			a.fail(app.FieldErrorf("日期至", "请按 2024-05-01 的格式填写日期"))
			return
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		a.fail(app.FieldErrorf("日期", "结束日期不能早于开始日期"))
		return
	}
	a.filter = f
	a.reload()
}

func (a *audit) onClear() {
	for _, e := range []*widget.Entry{a.person, a.caseID, a.actor, a.from, a.to} {
		e.SetText("")
	}
	a.onSearch()
}

func (a *audit) fail(err error) {
	a.message.SetText(errText(err))
	showError(a.sh.win, err)
}

func (a *audit) reload() {
	f := a.filter
	f.Limit, f.NewestFirst = auditLimit, true
	rows, err := a.sh.store.AuditEvents(a.sh.ctx, f)
	if err != nil {
		a.message.SetText(errText(err))
		return
	}
	a.message.SetText("")
	a.rows = rows
	switch first := a.filter.Offset + 1; {
	case len(rows) == 0 && a.filter.Offset == 0:
		a.count.SetText("没有符合条件的记录")
	case len(rows) >= auditLimit || a.filter.Offset > 0:
		a.count.SetText(fmt.Sprintf("第 %d–%d 条（最新的在前）", first, a.filter.Offset+len(rows)))
	default:
		a.count.SetText(fmt.Sprintf("共 %d 条", len(rows)))
	}
	a.table.Refresh()
	a.table.ScrollToTop()
}

func (a *audit) onPrev() {
	if a.filter.Offset > 0 {
		a.filter.Offset = max(0, a.filter.Offset-auditLimit)
		a.reload()
	}
}

func (a *audit) onNext() {
	if len(a.rows) >= auditLimit {
		a.filter.Offset += auditLimit
		a.reload()
	}
}

// onSelect opens the case or lead an event belongs to.
func (a *audit) onSelect(row int) {
	if row < 0 || row >= len(a.rows) {
		return
	}
	e := a.rows[row].Event
	switch {
	case e.CaseID != "" && app.IsLeadEvent(e.Type):
		a.sh.ShowLead(e.CaseID)
	case e.CaseID != "" && e.HouseholdID != "":
		a.sh.ShowCase(e.CaseID)
	}
}

// onExportArchive writes the case's household file (一户一档) as a zip into
// the export folder, on a goroutine, and ends with the open-folder dialog.
func (d *caseDetail) onExportArchive() {
	head, _ := d.agg.Household.Head()
	dir := defaultExportDir(d.sh.ctx, d.sh.store)
	path := filepath.Join(dir, safeFileName(fmt.Sprintf("一户一档-%s-%s.zip", head.Name, d.sh.store.Today())))
	hid := d.agg.Household.ID
	st, ctx := d.sh.store, d.sh.ctx
	if d.archiveBtn != nil {
		d.archiveBtn.Disable()
	}
	d.archiveDone = make(chan struct{})
	done := d.archiveDone
	go func() {
		defer close(done)
		err := writeAtomically(path, func(w io.Writer) error { return st.ExportArchiveZip(ctx, hid, w) })
		fyne.Do(func() {
			if d.archiveBtn != nil {
				d.archiveBtn.Enable()
			}
			d.archiveErr = err
			if err != nil {
				showError(d.sh.win, err)
				return
			}
			d.archivePath = path
			showSaved(d.sh.win, "一户一档已导出", head.Name+"户的全部办理记录、决定、附件和计算金额（打开 index.html 阅读、打印）。", path)
		})
	}()
}
