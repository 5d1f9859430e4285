package ui

import (
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// leadRegister is 登记问题线索: source, received date, complainant
// (optional, protected), the household or staff member the lead is about,
// content and an optional linked case. Who may also assign (the approver)
// can set the handling mode and assignee at once.
type leadRegister struct {
	sh *Shell

	source      *widget.Select
	received    *widget.Entry
	referenceNo *widget.Entry
	complainant *widget.Entry
	phone       *widget.Entry
	subjectKind *widget.RadioGroup
	search      *widget.Entry
	matches     *widget.Select
	staffName   *widget.Entry
	linked      *widget.Select
	content     *widget.Entry
	mode        *widget.Select
	assignee    *widget.Entry
	message     *widget.Label

	found     []storage.MemberRow // households found by the search, one row each
	household string              // the chosen subject household
	cases     []*app.Case         // its cases, for 关联案件
}

const (
	subjectHousehold = "救助家庭"
	subjectStaff     = "工作人员"
)

func newLeadRegister(sh *Shell) *leadRegister { return &leadRegister{sh: sh} }

// ShowLeadRegister opens 登记问题线索.
func (s *Shell) ShowLeadRegister() { r := newLeadRegister(s); s.show(r, r.buildUI()) }

func (r *leadRegister) canAssign() bool {
	return app.AllowedLead(app.LeadRegisteredState, app.LeadAssign, r.sh.user.Role) == nil
}

func (r *leadRegister) buildUI() fyne.CanvasObject {
	var sources []string
	for _, s := range app.LeadSources {
		sources = append(sources, s.Label())
	}
	r.source = widget.NewSelect(sources, func(string) { r.onSource() })
	r.source.PlaceHolder = "请选择线索来源"
	r.received = widget.NewEntry()
	r.received.SetText(r.sh.store.Today().String())
	r.referenceNo = widget.NewEntry()
	r.referenceNo.SetPlaceHolder("上级转办的来文编号")
	r.complainant = widget.NewEntry()
	r.complainant.SetPlaceHolder("可不填；只在线索详情中显示，不进入列表、报表和县级页面")
	r.phone = widget.NewEntry()
	r.phone.SetPlaceHolder("可不填")
	r.search = widget.NewEntry()
	r.search.SetPlaceHolder("被反映家庭成员的姓名或身份证号片段")
	r.search.OnSubmitted = func(string) { r.onSearch() }
	r.matches = widget.NewSelect(nil, func(string) { r.onMatch() })
	r.matches.PlaceHolder = "先查找，再选择家庭"
	r.staffName = widget.NewEntry()
	r.staffName.SetPlaceHolder("被反映的工作人员姓名")
	r.linked = widget.NewSelect(nil, nil)
	r.linked.PlaceHolder = "不关联"
	r.content = multi("反映的问题")
	r.content.SetMinRowsVisible(4)
	r.message = widget.NewLabel("")
	r.message.Wrapping = fyne.TextWrapWord
	r.message.Importance = widget.DangerImportance

	householdBox := container.NewVBox(
		container.NewBorder(nil, nil, nil, widget.NewButton("查找", r.onSearch), r.search), r.matches)
	r.subjectKind = widget.NewRadioGroup([]string{subjectHousehold, subjectStaff}, func(k string) {
		if k == subjectStaff {
			householdBox.Hide()
			r.staffName.Show()
		} else {
			householdBox.Show()
			r.staffName.Hide()
		}
	})
	r.subjectKind.Horizontal = true
	r.subjectKind.SetSelected(subjectHousehold)

	form := widget.NewForm(
		widget.NewFormItem("线索来源", r.source),
		widget.NewFormItem("来文编号", r.referenceNo),
		widget.NewFormItem("受理日期", r.received),
		widget.NewFormItem("反映人", r.complainant),
		widget.NewFormItem("反映人电话", r.phone),
		widget.NewFormItem("被反映对象", container.NewVBox(r.subjectKind, householdBox, r.staffName)),
		widget.NewFormItem("关联案件", r.linked),
		widget.NewFormItem("反映内容", r.content))
	if r.canAssign() {
		var modes []string
		for _, m := range app.HandlingModes {
			modes = append(modes, m.Label())
		}
		r.mode = widget.NewSelect(modes, nil)
		r.mode.PlaceHolder = "暂不交办"
		r.assignee = widget.NewEntry()
		r.assignee.SetPlaceHolder("同时交办时填写")
		form.Append("办理方式", r.mode)
		form.Append("承办人", r.assignee)
	}
	submit := widget.NewButton("登记", r.onSubmit)
	submit.Importance = widget.HighImportance
	title := widget.NewLabelWithStyle("登记问题线索", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	top := container.NewBorder(nil, nil, nil, widget.NewButton("返回列表", r.sh.ShowLeads), title)
	bottom := container.NewVBox(r.message, container.NewHBox(layoutSpacer(), submit))
	return container.NewBorder(top, bottom, nil, nil, container.NewVScroll(form))
}

func (r *leadRegister) onSource() {
	if r.referenceNo == nil {
		return
	}
	if r.selectedSource() == app.LeadSuperior {
		r.referenceNo.SetPlaceHolder("上级转办的来文编号（必填）")
	} else {
		r.referenceNo.SetPlaceHolder("上级转办的来文编号")
	}
}

func (r *leadRegister) selectedSource() app.LeadSource {
	if i := r.source.SelectedIndex(); i >= 0 {
		return app.LeadSources[i]
	}
	return ""
}

// onSearch finds households by a member's name or ID fragment.
func (r *leadRegister) onSearch() {
	r.found, r.household, r.cases = nil, "", nil
	r.linked.Options = nil
	r.linked.ClearSelected()
	q := strings.TrimSpace(r.search.Text)
	if q == "" {
		r.matches.Options = nil
		r.matches.ClearSelected()
		return
	}
	rows, err := r.sh.store.SearchMembers(r.sh.ctx, q, "", 50)
	if err != nil {
		r.message.SetText(errText(err))
		return
	}
	r.message.SetText("")
	seen := map[string]bool{}
	var opts []string
	for _, m := range rows {
		if seen[m.HouseholdID] {
			continue
		}
		seen[m.HouseholdID] = true
		r.found = append(r.found, m)
		opts = append(opts, fmt.Sprintf("%s（户主%s，%s）", m.Name, m.HeadName, m.VillageName))
	}
	r.matches.Options = opts
	r.matches.ClearSelected()
	switch len(opts) {
	case 0:
		r.matches.PlaceHolder = "没有找到，请换个姓名或身份证号片段"
	case 1:
		r.matches.SetSelectedIndex(0)
	default:
		r.matches.PlaceHolder = fmt.Sprintf("找到 %d 户，请选择", len(opts))
	}
	r.matches.Refresh()
}

// onMatch takes the chosen household and offers its cases to link.
func (r *leadRegister) onMatch() {
	i := r.matches.SelectedIndex()
	r.household, r.cases = "", nil
	r.linked.Options = nil
	r.linked.ClearSelected()
	if i < 0 || i >= len(r.found) {
		return
	}
	r.household = r.found[i].HouseholdID
	agg, err := r.sh.store.Household(r.sh.ctx, r.household)
	if err != nil {
		r.message.SetText(errText(err))
		return
	}
	for _, c := range agg.Cases {
		r.cases = append(r.cases, c)
	}
	sort.Slice(r.cases, func(a, b int) bool { return r.cases[a].AppliedOn.After(r.cases[b].AppliedOn) })
	opts := []string{"不关联"}
	for _, c := range r.cases {
		opts = append(opts, fmt.Sprintf("%s · %s · 申请于 %s", c.Program.Label(), c.State.Label(), c.AppliedOn))
	}
	r.linked.Options = opts
	r.linked.SetSelectedIndex(0)
}

// registration reads the form; a malformed date is an error.
func (r *leadRegister) registration() (app.LeadRegistered, error) {
	in := app.LeadRegistered{Source: r.selectedSource(), Complainant: strings.TrimSpace(r.complainant.Text),
		ComplainantPhone: strings.TrimSpace(r.phone.Text), Content: strings.TrimSpace(r.content.Text),
		ReferenceNo: strings.TrimSpace(r.referenceNo.Text)}
	d, err := app.ParseDate(strings.TrimSpace(r.received.Text))
	if err != nil {
		return in, app.FieldErrorf("受理日期", "请按 2024-05-01 的格式填写日期")
	}
	in.ReceivedOn = d
	if r.subjectKind.Selected == subjectStaff {
		in.SubjectStaff, in.SubjectName = true, strings.TrimSpace(r.staffName.Text)
	} else {
		in.SubjectHousehold = r.household
		if i := r.linked.SelectedIndex(); i > 0 && i-1 < len(r.cases) {
			in.LinkedCases = []string{r.cases[i-1].ID}
		}
	}
	if r.mode != nil {
		if i := r.mode.SelectedIndex(); i >= 0 {
			in.Mode = app.HandlingModes[i]
		}
		in.Assignee = strings.TrimSpace(r.assignee.Text)
	}
	return in, nil
}

// onSubmit registers the lead and opens it; on error the form stays with
// the message.
func (r *leadRegister) onSubmit() {
	in, err := r.registration()
	var id string
	if err == nil {
		id, err = r.sh.store.RegisterLead(r.sh.ctx, r.sh.actor(), in)
	}
	if err != nil {
		r.message.SetText(errText(err))
		showError(r.sh.win, err)
		return
	}
	r.sh.ShowLead(id)
}
