package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// leadList is 问题线索: the lead register with a state filter and an overdue
// filter; overdue rows are red. It never shows the complainant.
type leadList struct {
	sh     *Shell
	filter storage.LeadFilter
	rows   []storage.LeadRow

	state   *widget.Select
	overdue *widget.Check
	table   *widget.Table
	count   *widget.Label
	message *widget.Label
}

func newLeadList(sh *Shell) *leadList { return &leadList{sh: sh} }

// ShowLeads opens the lead list.
func (s *Shell) ShowLeads() { l := newLeadList(s); s.show(l, l.buildUI()) }

// ShowOverdueLeads opens the lead list showing only overdue leads.
func (s *Shell) ShowOverdueLeads() {
	l := newLeadList(s)
	s.show(l, l.buildUI())
	l.overdue.SetChecked(true)
}

type leadColumn struct {
	title string
	width float32
	value func(r storage.LeadRow) string
}

var leadColumns = []leadColumn{
	{"来源", 110, func(r storage.LeadRow) string { return r.Source.Label() }},
	{"收到日期", 110, func(r storage.LeadRow) string { return r.ReceivedOn }},
	{"反映对象", 120, func(r storage.LeadRow) string { return r.SubjectName }},
	{"反映内容", 240, func(r storage.LeadRow) string { return r.Content }},
	{"办理方式", 100, func(r storage.LeadRow) string { return r.Mode.Label() }},
	{"承办人", 90, func(r storage.LeadRow) string { return r.Assignee }},
	{"期限", 110, func(r storage.LeadRow) string { return r.Deadline }},
	{"状态", 130, func(r storage.LeadRow) string {
		if r.Overdue {
			return r.State.Label() + "（超期）"
		}
		return r.State.Label()
	}},
}

// leadStateChoices: the state filter's options after 全部状态.
var leadStateChoices = []string{"未办结"}

func (l *leadList) buildUI() fyne.CanvasObject {
	opts := append([]string{"全部状态"}, leadStateChoices...)
	for _, s := range app.LeadStates {
		opts = append(opts, s.Label())
	}
	l.state = widget.NewSelect(opts, func(string) { l.onFilter() })
	l.overdue = widget.NewCheck("只看超期", func(bool) { l.onFilter() })
	l.count = widget.NewLabel("")
	l.message = widget.NewLabel("")
	l.message.Importance = widget.DangerImportance
	l.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(l.rows), len(leadColumns) },
		func() fyne.CanvasObject {
			t := widget.NewLabel("")
			t.Truncation = fyne.TextTruncateEllipsis
			return t
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			lb := o.(*widget.Label)
			r := l.rows[id.Row]
			lb.Importance = widget.MediumImportance
			if r.Overdue {
				lb.Importance = widget.DangerImportance
			}
			lb.SetText(leadColumns[id.Col].value(r))
		})
	l.table.ShowHeaderColumn = false
	l.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(leadColumns[id.Col].title)
		}
	}
	for i, c := range leadColumns {
		l.table.SetColumnWidth(i, c.width)
	}
	l.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(l.rows) {
			l.sh.ShowLead(l.rows[id.Row].ID)
		}
	}
	l.state.SetSelectedIndex(1) // 未办结
	register := widget.NewButton("登记线索", l.sh.ShowLeadRegister)
	register.Importance = widget.HighImportance
	if l.sh.user.Role == app.RoleLiaison {
		register.Hide() // leads are registered by the township office (store.RegisterLead)
	}
	title := widget.NewLabelWithStyle("问题线索", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	bar := container.NewHBox(title, layoutSpacer(), l.state, l.overdue, register)
	l.reload()
	return container.NewBorder(bar, container.NewHBox(l.count, l.message), nil, nil, l.table)
}

func (l *leadList) onFilter() {
	if l.table == nil || l.overdue == nil {
		return // still building
	}
	l.filter = storage.LeadFilter{}
	switch i := l.state.SelectedIndex(); {
	case i == 1:
		l.filter.OpenOnly = true
	case i > 1:
		l.filter.State = app.LeadStates[i-1-len(leadStateChoices)]
	}
	if l.overdue.Checked {
		l.filter.OverdueOn = l.sh.store.Today()
	}
	l.reload()
}

func (l *leadList) reload() {
	rows, err := l.sh.store.Leads(l.sh.ctx, l.filter)
	if err != nil {
		l.message.SetText(errText(err))
		return
	}
	l.message.SetText("")
	l.rows = rows
	overdue := 0
	for _, r := range rows {
		if r.Overdue {
			overdue++
		}
	}
	l.count.SetText(fmt.Sprintf("共 %d 条，其中超期 %d 条", len(rows), overdue))
	l.table.Refresh()
	l.table.ScrollToTop()
}

// overdueLeads is the workbench's part for leads: a 超期线索 tile (it opens
// the list filtered to overdue leads) and a card listing them, red.
func (w *workbench) overdueLeads() (tile, card fyne.CanvasObject) {
	rows, err := w.sh.store.OverdueLeads(w.sh.ctx, w.sh.store.Today())
	num := widget.NewLabelWithStyle(fmt.Sprintf("%d 条", len(rows)), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	if len(rows) > 0 {
		num.Importance = widget.DangerImportance
	}
	if err != nil {
		num.SetText(errText(err))
	}
	tile = widget.NewCard("超期线索", "", container.NewVBox(num, widget.NewButton("查看", w.sh.ShowOverdueLeads)))
	list := widget.NewList(func() int { return len(rows) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("2024-01-01  张三三  投诉举报电话  办理中")
			l.Importance = widget.DangerImportance
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			r := rows[i]
			o.(*widget.Label).SetText(fmt.Sprintf("%s  %s  %s  %s", r.Deadline, r.SubjectName, r.Source.Label(), r.State.Label()))
		})
	list.OnSelected = func(i widget.ListItemID) { w.sh.ShowLead(rows[i].ID) }
	return tile, widget.NewCard("超期问题线索", "", list)
}
