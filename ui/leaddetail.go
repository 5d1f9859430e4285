package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
)

// leadDetail shows one lead: what was reported and by whom (the complainant
// only here), its deadline, its history, and the steps the signed-in role
// may take now (app.AvailableLeadActions), each through store.LeadStep.
type leadDetail struct {
	sh   *Shell
	id   string
	lead *app.Lead
	err  error
}

func newLeadDetail(sh *Shell, id string) *leadDetail { return &leadDetail{sh: sh, id: id} }

// ShowLead opens a lead.
func (s *Shell) ShowLead(id string) { d := newLeadDetail(s, id); s.show(d, d.buildUI()) }

func (d *leadDetail) buildUI() fyne.CanvasObject {
	d.lead, d.err = d.sh.store.Lead(d.sh.ctx, d.id)
	back := widget.NewButton("返回列表", d.sh.ShowLeads)
	if d.err != nil {
		return container.NewBorder(container.NewHBox(layoutSpacer(), back), nil, nil, nil,
			container.NewCenter(widget.NewLabel(errText(d.err))))
	}
	l := d.lead
	today := d.sh.store.Today()
	state := l.State.Label()
	if l.Overdue(today) {
		state += "（已超期）"
	}
	title := widget.NewLabelWithStyle(fmt.Sprintf("问题线索 · %s · %s", l.SubjectName, state),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	if l.Overdue(today) {
		title.Importance = widget.DangerImportance
	}
	actions := container.NewHBox()
	for _, a := range app.AvailableLeadActions(l.State, d.sh.user.Role) {
		a := a
		b := widget.NewButton(a.Label(), func() { d.onAction(a) })
		b.Importance = widget.HighImportance
		actions.Add(b)
	}
	if len(actions.Objects) == 0 {
		actions.Add(widget.NewLabel("当前状态下" + d.sh.user.Role.Label() + "无可办理事项"))
	}
	top := container.NewVBox(container.NewBorder(nil, nil, nil, back, title), actions)
	left := container.NewVBox(widget.NewCard("线索", "", d.info()), widget.NewCard("反映人（保密）", "", d.complainant()))
	if r := d.result(); r != nil {
		left.Add(widget.NewCard("办理结果", "", r))
	}
	right := widget.NewCard("办理记录", "", d.history())
	return container.NewBorder(top, nil, nil, nil,
		container.NewGridWithColumns(2, container.NewVScroll(left), container.NewVScroll(right)))
}

func (d *leadDetail) info() fyne.CanvasObject {
	l := d.lead
	subject := l.SubjectName
	if l.SubjectStaff {
		subject += "（工作人员）"
	}
	f := widget.NewForm(
		widget.NewFormItem("来源", widget.NewLabel(l.Source.Label())),
		widget.NewFormItem("受理日期", widget.NewLabel(l.ReceivedOn.String())),
		widget.NewFormItem("被反映对象", widget.NewLabel(subject)),
		widget.NewFormItem("反映内容", wrapLabel(l.Content)),
		widget.NewFormItem("办理方式", widget.NewLabel(l.Mode.Label())),
		widget.NewFormItem("承办人", widget.NewLabel(orDash(l.Assignee))),
		widget.NewFormItem("办结期限", widget.NewLabel(l.Deadline.String())),
		widget.NewFormItem("登记人", widget.NewLabel(l.RegisteredBy)))
	if l.ReferenceNo != "" {
		f.Append("来文编号", widget.NewLabel(l.ReferenceNo))
	}
	if l.TransferTo != "" {
		f.Append("转办单位", widget.NewLabel(l.TransferTo))
	}
	for _, id := range l.LinkedCases {
		id := id
		label := "关联案件"
		if c, _, err := d.sh.store.Case(d.sh.ctx, id); err == nil && c != nil {
			label = c.Program.Label() + " · " + c.State.Label()
		}
		f.Append("关联案件", widget.NewButton(label, func() { d.sh.ShowCase(id) }))
	}
	return f
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func (d *leadDetail) complainant() fyne.CanvasObject {
	l := d.lead
	if l.Complainant == "" && l.ComplainantPhone == "" {
		return widget.NewLabel("未留姓名（匿名）")
	}
	return widget.NewForm(widget.NewFormItem("姓名", widget.NewLabel(orDash(l.Complainant))),
		widget.NewFormItem("电话", widget.NewLabel(orDash(l.ComplainantPhone))))
}

func (d *leadDetail) result() fyne.CanvasObject {
	l := d.lead
	if l.Result == "" {
		return nil
	}
	f := widget.NewForm(
		widget.NewFormItem("核查结果", widget.NewLabel(l.Result.Label())),
		widget.NewFormItem("核查情况", wrapLabel(l.Conclusion)),
		widget.NewFormItem("追回资金", widget.NewLabel(l.Recovered.String()+" 元")),
		widget.NewFormItem("办结日期", widget.NewLabel(l.ConcludedOn.String())))
	if l.Accountability != "" {
		f.Append("整改及追责", wrapLabel(l.Accountability))
	}
	if !l.ClosedOn.IsZero() {
		f.Append("销号日期", widget.NewLabel(l.ClosedOn.String()))
	}
	return f
}

func (d *leadDetail) history() fyne.CanvasObject {
	box := container.NewVBox()
	for _, h := range d.lead.History {
		box.Add(widget.NewLabelWithStyle(fmt.Sprintf("%s  %s（%s）", h.Date, h.By, h.Role.Label()),
			fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		box.Add(wrapLabel(h.Text))
	}
	return box
}

func (d *leadDetail) onAction(a app.LeadAction) {
	f := newLeadStepForm(d.sh, d.lead, a, func() { d.sh.ShowLead(d.id) })
	f.show()
}

// leadStepForm collects the LeadStepData of one lead action and calls
// store.LeadStep; it stays open, with the message, when the step is refused.
type leadStepForm struct {
	sh     *Shell
	lead   *app.Lead
	action app.LeadAction
	formFrame

	date           *widget.Entry
	mode           *widget.Select
	assignee       *widget.Entry
	transferTo     *widget.Entry
	note           *widget.Entry
	result         *widget.Select
	recovered      *widget.Entry
	accountability *widget.Entry
	opinion        *widget.Entry
}

func newLeadStepForm(sh *Shell, l *app.Lead, a app.LeadAction, done func()) *leadStepForm {
	return &leadStepForm{sh: sh, lead: l, action: a, formFrame: formFrame{done: done}}
}

func (f *leadStepForm) buildUI() fyne.CanvasObject {
	f.date = widget.NewEntry()
	f.date.SetText(f.sh.store.Today().String())
	f.opinion = multi("意见（可不填）")
	f.message = newErrorLine()
	form := widget.NewForm(widget.NewFormItem("办理日期", f.date))
	switch f.action {
	case app.LeadAssign:
		var modes []string
		for _, m := range app.HandlingModes {
			modes = append(modes, m.Label())
		}
		f.mode = widget.NewSelect(modes, nil)
		f.mode.PlaceHolder = "请选择"
		form.Append("办理方式", f.mode)
		f.assignee = widget.NewEntry()
		f.assignee.SetPlaceHolder("承办人姓名")
		form.Append("承办人", f.assignee)
	case app.LeadTransfer:
		f.transferTo = widget.NewEntry()
		f.transferTo.SetPlaceHolder("转办的单位，如 县民政局社会救助股")
		form.Append("转办单位", f.transferTo)
		f.assignee = widget.NewEntry()
		f.assignee.SetPlaceHolder("可不填")
		form.Append("承办人", f.assignee)
	case app.LeadProgress:
		f.note = multi("办理进展情况")
		form.Append("办理进展", f.note)
	case app.LeadConclude:
		var results []string
		for _, r := range app.LeadResults {
			results = append(results, r.Label())
		}
		f.result = widget.NewSelect(results, nil)
		f.result.PlaceHolder = "请选择"
		form.Append("核查结果", f.result)
		f.note = multi("核查情况")
		form.Append("核查情况", f.note)
		f.recovered = widget.NewEntry()
		f.recovered.SetPlaceHolder("追回资金（元），没有可不填")
		form.Append("追回资金", f.recovered)
		f.accountability = multi("整改和责任追究情况（属实或部分属实时必填）")
		form.Append("整改及追责", f.accountability)
	}
	form.Append("意见", f.opinion)
	return container.NewVBox(form, f.message)
}

// data reads the form; a malformed date or amount is an error.
func (f *leadStepForm) data() (app.LeadStepData, error) {
	var d app.LeadStepData
	var err error
	if d.Date, err = app.ParseDate(strings.TrimSpace(f.date.Text)); err != nil {
		return d, app.FieldErrorf("办理日期", "请按 2024-05-01 的格式填写日期")
	}
	d.Opinion = strings.TrimSpace(f.opinion.Text)
	if f.mode != nil {
		if i := f.mode.SelectedIndex(); i >= 0 {
			d.Mode = app.HandlingModes[i]
		}
	}
	if f.assignee != nil {
		d.Assignee = strings.TrimSpace(f.assignee.Text)
	}
	if f.transferTo != nil {
		d.TransferTo = strings.TrimSpace(f.transferTo.Text)
	}
	if f.note != nil {
		d.Note = strings.TrimSpace(f.note.Text)
	}
	if f.result != nil {
		if i := f.result.SelectedIndex(); i >= 0 {
			d.Result = app.LeadResults[i]
		}
	}
	if f.recovered != nil && strings.TrimSpace(f.recovered.Text) != "" {
		if d.Recovered, err = app.ParseMoney(strings.TrimSpace(f.recovered.Text)); err != nil {
			return d, app.FieldErrorf("追回资金", "请填写金额（元），如 800 或 800.50")
		}
	}
	if f.accountability != nil {
		d.Accountability = strings.TrimSpace(f.accountability.Text)
	}
	return d, nil
}

// submit records the step; it returns the error it showed, nil on success.
func (f *leadStepForm) submit() error {
	return f.finish(func() error {
		d, err := f.data()
		if err != nil {
			return err
		}
		return f.sh.store.LeadStep(f.sh.ctx, f.sh.actor(), f.lead.ID, f.action, d)
	})
}

func (f *leadStepForm) show() {
	f.open(f.sh.win, "问题线索 · "+f.action.Label(), f.buildUI(), fyne.NewSize(600, 480), func() { _ = f.submit() })
	f.sh.Current = f // tests and the lock screen find the open form here
}
