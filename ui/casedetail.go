package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// caseDetail shows one case: household, members, the amount and how it was
// computed, the timeline, attachments and the actions allowed now.
type caseDetail struct {
	sh     *Shell
	caseID string
	c      *app.Case
	agg    *app.Aggregate
	events []app.Event
	files  []app.Attachment
	fc     app.FoldContext
	err    error
	// 导出一户一档 (audit.go)
	archiveBtn  *widget.Button
	archiveDone chan struct{} // closed when the export ends (tests)
	archivePath string
	archiveErr  error
}

func newCaseDetail(sh *Shell, caseID string) *caseDetail { return &caseDetail{sh: sh, caseID: caseID} }

func (d *caseDetail) load() {
	st, ctx := d.sh.store, d.sh.ctx
	if d.c, d.agg, d.err = st.Case(ctx, d.caseID); d.err != nil {
		return
	}
	if d.c == nil {
		d.err = app.Errorf(app.ENOTFOUND, "未找到该案件")
		return
	}
	d.events, _ = st.CaseEvents(ctx, d.caseID)
	d.files, _ = st.Attachments(ctx, d.caseID)
	d.fc, _ = st.FoldContext(ctx)
}

func (d *caseDetail) buildUI() fyne.CanvasObject {
	d.load()
	if d.err != nil {
		return container.NewCenter(widget.NewLabel(errText(d.err)))
	}
	c, h := d.c, &d.agg.Household
	head, _ := h.Head()
	title := widget.NewLabelWithStyle(fmt.Sprintf("%s户 · %s · %s", head.Name, c.Program.Label(), c.State.Label()),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	back := widget.NewButton("返回列表", d.sh.ShowCases)
	actions := container.NewHBox()
	for _, a := range app.AvailableActions(c.Program, c.State, d.sh.user.Role) {
		a := a
		b := widget.NewButton(a.Label(), func() { d.onAction(a) })
		b.Importance = widget.HighImportance
		actions.Add(b)
	}
	if len(actions.Objects) == 0 {
		actions.Add(widget.NewLabel("当前状态下" + d.sh.user.Role.Label() + "无可办理事项"))
	}
	d.archiveBtn = widget.NewButton("导出一户一档", d.onExportArchive)
	records := widget.NewButton("审计记录", func() { d.sh.ShowAuditFor(storage.AuditFilter{CaseID: d.caseID}) })
	top := container.NewVBox(container.NewBorder(nil, nil, nil, container.NewHBox(records, d.archiveBtn, back), title), actions)
	left := container.NewVBox(widget.NewCard("家庭", "", d.householdInfo()), widget.NewCard("家庭成员", "", d.memberList()),
		widget.NewCard("金额及计算", "", d.amountInfo()))
	right := container.NewVBox(widget.NewCard("办理记录", "", d.timeline()), widget.NewCard("附件", "", d.attachments()))
	return container.NewBorder(top, nil, nil, nil,
		container.NewGridWithColumns(2, container.NewVScroll(left), container.NewVScroll(right)))
}

func (d *caseDetail) householdInfo() fyne.CanvasObject {
	c, h := d.c, &d.agg.Household
	f := widget.NewForm(
		widget.NewFormItem("村(社区)", widget.NewLabel(h.VillageName+" "+h.Address)),
		widget.NewFormItem("城乡类别", widget.NewLabel(h.Area.Label())),
		widget.NewFormItem("联系电话", widget.NewLabel(h.Phone)),
		widget.NewFormItem("申请日期", widget.NewLabel(c.AppliedOn.String())),
		widget.NewFormItem("申请理由", wrapLabel(c.Reason)))
	if c.Program == app.ProgramTemporary {
		f.Append("救助类型", widget.NewLabel(c.TempKind.Label()))
	}
	if c.Program == app.ProgramTekun && c.SelfCare != "" {
		f.Append("自理能力", widget.NewLabel(c.SelfCare.Label()+" · "+c.CareMode.Label()))
		if c.Caregiver != "" {
			f.Append("照料人", widget.NewLabel(c.Caregiver+" "+c.CaregiverPhone+" 协议签订 "+c.AgreementSigned.String()))
		}
	}
	if dl, ok := c.NextDeadline(d.fc.StepContext(d.sh.store.Today())); ok {
		f.Append("下一时限", widget.NewLabel(dl.Step.Label()+" "+dl.Due.String()))
	}
	return f
}

func wrapLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func (d *caseDetail) memberList() fyne.CanvasObject {
	box := container.NewVBox()
	today := d.sh.store.Today()
	for _, m := range d.agg.Household.Members {
		line := fmt.Sprintf("%s  %s  %s", m.Name, m.Relation.Label(), m.IDNumber)
		if info, err := app.ParseIDAt(m.IDNumber, today); err == nil {
			line += fmt.Sprintf("  %s %d岁", info.Sex.Label(), info.Age(today))
		}
		if m.Disability != "" {
			line += fmt.Sprintf("  %s残疾%d级", m.Disability.Label(), m.DisabilityGrade)
		}
		box.Add(widget.NewLabel(line))
	}
	return box
}

func (d *caseDetail) amountInfo() fyne.CanvasObject {
	c, h := d.c, &d.agg.Household
	box := container.NewVBox()
	if c.Amount != 0 {
		box.Add(widget.NewLabelWithStyle("核定金额："+c.Amount.String()+" 元"+map[bool]string{true: "", false: "/月"}[c.Program == app.ProgramTemporary],
			fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	}
	if c.Program == app.ProgramTemporary {
		if c.CountyGrant {
			box.Add(widget.NewLabel("县级审批"))
		}
		return box
	}
	rs := d.fc.StepContext(d.sh.store.Today()).Rules
	comp := app.DecidedAmount(c, h, rs)
	box.Add(widget.NewLabel("按现行规则测算："))
	for _, l := range comp.Lines {
		box.Add(wrapLabel(l))
	}
	return box
}

// stepSummary is the one-line description of an event on the timeline.
func stepSummary(e app.Event) (what, detail string) {
	switch e.Type {
	case app.EventCaseStep:
		var p app.CaseStep
		if json.Unmarshal(e.Payload, &p) != nil {
			return "办理", ""
		}
		var parts []string
		if p.Data.Opinion != "" {
			parts = append(parts, "意见："+p.Data.Opinion)
		}
		if len(p.Data.Staff) > 0 {
			parts = append(parts, "调查人员："+strings.Join(p.Data.Staff, "、"))
		}
		if p.Data.Findings != "" {
			parts = append(parts, "调查情况："+p.Data.Findings)
		}
		if len(p.Data.Reasons) > 0 {
			parts = append(parts, "理由："+strings.Join(p.Data.Reasons, "；"))
		}
		if len(p.Data.MissingItems) > 0 {
			parts = append(parts, "需补正："+strings.Join(p.Data.MissingItems, "、"))
		}
		if p.Data.Objection != "" {
			parts = append(parts, "异议："+p.Data.Objection)
		}
		if p.Data.Amount != 0 {
			parts = append(parts, "金额 "+p.Data.Amount.String()+" 元")
		}
		if p.Data.Month != "" {
			parts = append(parts, "月份 "+p.Data.Month)
		}
		return p.Action.Label() + "（" + p.Data.Date.String() + "）", strings.Join(parts, "；")
	case app.EventCaseApplied:
		return "申请", ""
	case app.EventAttachmentAdded:
		var p app.AttachmentAdded
		_ = json.Unmarshal(e.Payload, &p)
		return "添加附件", p.Name
	case app.EventConflictResolved:
		return "处理冲突", ""
	}
	return e.Type, ""
}

func (d *caseDetail) timeline() fyne.CanvasObject {
	box := container.NewVBox()
	for _, e := range d.events {
		what, detail := stepSummary(e)
		box.Add(widget.NewLabelWithStyle(fmt.Sprintf("%s  %s  %s（%s）", hlcTime(e.HLC), what, e.Actor.Name, e.Actor.Role.Label()),
			fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		if detail != "" {
			box.Add(wrapLabel(detail))
		}
	}
	return box
}

func (d *caseDetail) attachments() fyne.CanvasObject {
	box := container.NewVBox()
	for _, a := range d.files {
		a := a
		box.Add(container.NewBorder(nil, nil, nil, widget.NewButton("查看", func() { d.onView(a) }),
			widget.NewLabel(fmt.Sprintf("%s（%d KB）%s", a.Name, (a.Size+1023)/1024, a.Note))))
	}
	if len(d.files) == 0 {
		box.Add(widget.NewLabel("暂无附件"))
	}
	box.Add(widget.NewButton("添加附件（扫描件、照片、PDF）", d.onAddFile))
	return box
}

func (d *caseDetail) onAddFile() {
	dlg := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		defer r.Close()
		data, err := io.ReadAll(r)
		if err != nil {
			showError(d.sh.win, app.Errorf(app.EINVALID, "无法读取该文件"))
			return
		}
		d.addFile(r.URI().Name(), data)
	}, d.sh.win)
	dlg.Show()
}

// addFile stores a file on the case and refreshes the screen.
func (d *caseDetail) addFile(name string, data []byte) {
	typ := mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	if typ == "" {
		typ = "application/octet-stream"
	}
	if _, err := d.sh.store.AddAttachment(d.sh.ctx, d.sh.actor(), d.caseID, name, typ, data, ""); err != nil {
		showError(d.sh.win, err)
		return
	}
	d.sh.ShowCase(d.caseID)
}

func (d *caseDetail) onView(a app.Attachment) {
	data, err := d.sh.store.Blob(d.sh.ctx, a.SHA256)
	if err != nil {
		showError(d.sh.win, err)
		return
	}
	if strings.HasPrefix(a.MIME, "image/") {
		img := canvas.NewImageFromReader(bytes.NewReader(data), a.Name)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(640, 480))
		dialog.ShowCustom(a.Name, "关闭", img, d.sh.win)
		return
	}
	save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		defer w.Close()
		if _, err := w.Write(data); err != nil {
			showError(d.sh.win, app.Errorf(app.EUNAVAILABLE, "文件保存失败，请换一个位置"))
		}
	}, d.sh.win)
	save.SetFileName(a.Name)
	save.Show()
}

func (d *caseDetail) onAction(a app.Action) {
	f := newStepForm(d.sh, d.c, &d.agg.Household, a, func() { d.sh.ShowCase(d.caseID) })
	f.show()
}
