package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
)

// stepForm collects the StepData of one workflow action and calls
// store.Step; it stays open, with the message, when the step is refused.
type stepForm struct {
	sh     *Shell
	c      *app.Case
	h      *app.Household
	action app.Action
	formFrame

	date      *widget.Entry
	opinion   *widget.Entry
	consent   *widget.Check
	missing   *widget.Entry
	staff     *widget.Entry
	findings  *widget.Entry
	objection *widget.Entry
	reasons   *widget.Entry
	amount    *widget.Entry
	month     *widget.Entry
	outcome   *widget.Select
	// 特困 visit
	selfCare  [6]*widget.Check
	level     *widget.Label
	careMode  *widget.Select
	caregiver *widget.Entry
	carePhone *widget.Entry
	agreement *widget.Entry
	// 临时救助
	reserve *widget.Label
}

func newStepForm(sh *Shell, c *app.Case, h *app.Household, a app.Action, done func()) *stepForm {
	return &stepForm{sh: sh, c: c, h: h, action: a, formFrame: formFrame{done: done}}
}

var outcomes = []string{app.OutcomeKeep, app.OutcomeIncrease, app.OutcomeDecrease}
var outcomeLabels = []string{"维持", "增发", "减发"}

func multi(placeholder string) *widget.Entry {
	e := widget.NewMultiLineEntry()
	e.SetPlaceHolder(placeholder)
	e.SetMinRowsVisible(2)
	e.Wrapping = fyne.TextWrapWord
	return e
}

func (f *stepForm) buildUI() fyne.CanvasObject {
	today := f.sh.store.Today()
	f.date = widget.NewEntry()
	f.date.SetText(today.String())
	f.opinion = multi("办理意见")
	f.message = newErrorLine()
	form := widget.NewForm(widget.NewFormItem("办理日期", f.date))
	p := f.c.Program
	switch f.action {
	case app.ActionAccept:
		f.consent = widget.NewCheck("申请人已签署家庭经济状况核对授权书", nil)
		form.Append("授权声明", f.consent)
	case app.ActionIncomplete:
		f.missing = multi("需补正的材料，每行一项")
		form.Append("需补正材料", f.missing)
	case app.ActionVisit, app.ActionComplete:
		f.staff = widget.NewEntry()
		f.staff.SetPlaceHolder("至少两人，用顿号或逗号分隔")
		form.Append("调查人员", f.staff)
		f.findings = multi("入户调查情况")
		form.Append("调查情况", f.findings)
		if p == app.ProgramTekun && f.action == app.ActionVisit {
			f.addSelfCare(form)
		}
	case app.ActionObject:
		f.objection = multi("异议人及异议内容")
		form.Append("异议内容", f.objection)
	case app.ActionReject, app.ActionTerminate:
		f.reasons = multi("理由，每行一条（将书面告知申请人）")
		form.Append("理由", f.reasons)
	case app.ActionPay:
		if p != app.ProgramTemporary {
			f.month = widget.NewEntry()
			f.month.SetText(today.MonthKey())
			form.Append("发放月份", f.month)
		}
	case app.ActionReview:
		f.outcome = widget.NewSelect(outcomeLabels, nil)
		f.outcome.SetSelectedIndex(0)
		form.Append("复核结果", f.outcome)
		f.reasons = multi("增发或减发的理由")
		form.Append("理由", f.reasons)
		f.amount = widget.NewEntry()
		f.amount.SetPlaceHolder("新的月金额（元），不变可不填")
		form.Append("金额", f.amount)
	}
	if p == app.ProgramTemporary {
		switch f.action {
		case app.ActionApprove, app.ActionPayFirst, app.ActionEscalate, app.ActionCountyApprove:
			f.amount = widget.NewEntry()
			f.amount.SetPlaceHolder("救助金额（元）")
			if f.c.Amount > 0 {
				f.amount.SetText(f.c.Amount.String())
			}
			form.Append("救助金额", f.amount)
			f.reserve = widget.NewLabel(f.reserveText())
			f.reserve.Wrapping = fyne.TextWrapWord
			form.Append("备用金", f.reserve)
		}
	} else if f.action == app.ActionApprove {
		fc, _ := f.sh.store.FoldContext(f.sh.ctx)
		comp := app.DecidedAmount(f.c, f.h, fc.StepContext(today).Rules)
		form.Append("核定金额", wrapLabel(fmt.Sprintf("%s 元/月（按规则自动计算）\n%s", comp.Amount, strings.Join(comp.Lines, "\n"))))
	}
	form.Append("意见", f.opinion)
	return container.NewVBox(form, f.message)
}

// reserveText shows the 临时救助 reserve fund balance and the township limit.
func (f *stepForm) reserveText() string {
	bal, rs, err := f.sh.store.ReserveBalance(f.sh.ctx, f.sh.store.Today())
	if err != nil {
		return errText(err)
	}
	return fmt.Sprintf("乡镇备用金余额 %s 元（年度 %s 元）；乡镇审批额度 %s 元，超过须报县审批", bal, rs.TempReserveFund, rs.TempTownshipLimit)
}

func (f *stepForm) addSelfCare(form *widget.Form) {
	box := container.NewGridWithColumns(3)
	for i, name := range app.SelfCareItems {
		f.selfCare[i] = widget.NewCheck(name+"能自理", func(bool) { f.onSelfCare() })
		box.Add(f.selfCare[i])
	}
	f.level = widget.NewLabel("")
	form.Append("生活自理能力", container.NewVBox(box, f.level))
	var modes []string
	for _, m := range app.CareModes {
		modes = append(modes, m.Label())
	}
	f.careMode = widget.NewSelect(modes, nil)
	f.careMode.PlaceHolder = "请选择"
	form.Append("供养方式", f.careMode)
	f.caregiver = widget.NewEntry()
	form.Append("照料人", f.caregiver)
	f.carePhone = widget.NewEntry()
	form.Append("照料人电话", f.carePhone)
	f.agreement = widget.NewEntry()
	f.agreement.SetPlaceHolder("委托照料协议签订日期，如 2024-05-01")
	form.Append("协议签订", f.agreement)
	f.onSelfCare()
}

func (f *stepForm) selfCareItems() [6]bool {
	var items [6]bool
	for i, c := range f.selfCare {
		items[i] = c.Checked
	}
	return items
}

func (f *stepForm) onSelfCare() {
	if f.level != nil {
		f.level.SetText("评估结果：" + app.SelfCareAssessment(f.selfCareItems()).Label())
	}
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '、' || r == ',' || r == '，' || r == ';' || r == '；' }) {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// data reads the form into StepData; a malformed date or amount is an error.
func (f *stepForm) data() (app.StepData, error) {
	var d app.StepData
	var err error
	if d.Date, err = app.ParseDate(strings.TrimSpace(f.date.Text)); err != nil {
		return d, app.FieldErrorf("办理日期", "请按 2024-05-01 的格式填写日期")
	}
	d.Opinion = strings.TrimSpace(f.opinion.Text)
	if f.consent != nil {
		d.ConsentSigned = f.consent.Checked
	}
	if f.missing != nil {
		d.MissingItems = splitList(f.missing.Text)
	}
	if f.staff != nil {
		d.Staff = splitList(f.staff.Text)
		d.Findings = strings.TrimSpace(f.findings.Text)
	}
	if f.objection != nil {
		d.Objection = strings.TrimSpace(f.objection.Text)
	}
	if f.reasons != nil {
		d.Reasons = splitList(f.reasons.Text)
	}
	if f.month != nil {
		d.Month = strings.TrimSpace(f.month.Text)
	}
	if f.outcome != nil {
		d.Outcome = outcomes[max(f.outcome.SelectedIndex(), 0)]
	}
	if f.amount != nil && strings.TrimSpace(f.amount.Text) != "" {
		if d.Amount, err = app.ParseMoney(strings.TrimSpace(f.amount.Text)); err != nil {
			return d, app.FieldErrorf("救助金额", "请填写金额（元），如 800 或 800.50")
		}
	}
	if f.level != nil {
		items := f.selfCareItems()
		d.SelfCareItems = &items
		if i := f.careMode.SelectedIndex(); i >= 0 {
			d.CareMode = app.CareModes[i]
		}
		d.Caregiver, d.CaregiverPhone = strings.TrimSpace(f.caregiver.Text), strings.TrimSpace(f.carePhone.Text)
		if s := strings.TrimSpace(f.agreement.Text); s != "" {
			if d.AgreementSigned, err = app.ParseDate(s); err != nil {
				return d, app.FieldErrorf("协议签订", "请按 2024-05-01 的格式填写日期")
			}
		}
	}
	return d, nil
}

// submit records the step; it returns the error it showed, nil on success.
func (f *stepForm) submit() error {
	return f.finish(func() error {
		d, err := f.data()
		if err != nil {
			return err
		}
		return f.sh.store.Step(f.sh.ctx, f.sh.actor(), f.c.ID, f.action, d)
	})
}

func (f *stepForm) show() {
	f.open(f.sh.win, f.action.Label(), f.buildUI(), fyne.NewSize(640, 560), func() { _ = f.submit() })
	f.sh.Current = f // tests and the lock screen find the open form here
}
