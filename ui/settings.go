package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
)

// MetaServerURL is the meta key holding the county server address.
const MetaServerURL = "server_url"

// settings shows the rules in force (read only), the holiday calendar, the
// server address and the device identity, and runs maintenance jobs.
type settings struct {
	sh       *Shell
	server   *widget.Entry
	progress *widget.ProgressBar
	status   *widget.Label
	rebuild  *widget.Button
	jobDone  chan struct{} // closed when a background job ends (tests)
	// security
	lock                 *widget.Select
	oldPw, newPw, newPw2 *widget.Entry
	pwMessage            *widget.Label
}

func newSettings(sh *Shell) *settings { return &settings{sh: sh} }

func (s *settings) buildUI() fyne.CanvasObject {
	st, ctx := s.sh.store, s.sh.ctx
	fc, err := st.FoldContext(ctx)
	today := st.Today()
	rules := widget.NewForm()
	if err != nil {
		rules.Append("规则", widget.NewLabel(errText(err)))
	} else {
		rs := fc.StepContext(today).Rules
		method := map[string]string{app.DibaoMethodGap: "补差", app.DibaoMethodBanded: "分档"}[rs.DibaoMethod]
		add := func(k, v string) { rules.Append(k, widget.NewLabel(v)) }
		add("规则版本", rs.Version+"（"+rs.EffectiveFrom.String()+" 起执行）")
		add("低保标准", fmt.Sprintf("城市 %s 元、农村 %s 元/人·月", rs.DibaoStandardUrban, rs.DibaoStandardRural))
		add("计算方式", fmt.Sprintf("%s；保底 %.0f%%；边缘家庭 %.1f 倍标准", method, rs.FloorRatio*100, rs.EdgeMultiplier))
		add("财产限额", rs.AssetLimitPerCapita.String()+" 元/人")
		add("特困基本生活", fmt.Sprintf("低保标准 × %g", rs.TekunBasicRatio))
		add("临时救助", fmt.Sprintf("乡镇审批额度 %s 元；年度备用金 %s 元", rs.TempTownshipLimit, rs.TempReserveFund))
		add("渐退期/复核", fmt.Sprintf("渐退 %d 个月；复核 %d/%d 个月", rs.PhaseOutMonths, rs.ReviewMonthsStable, rs.ReviewMonthsUnstable))
		add("投诉电话", rs.ComplaintPhone)
	}
	var lines []string
	if fc.Calendar != nil {
		for _, e := range fc.Calendar.Entries() {
			if e.Date.Year == today.Year || e.Date.Year == today.Year+1 {
				kind := "放假"
				if e.Working {
					kind = "调休上班"
				}
				lines = append(lines, fmt.Sprintf("%s  %s  %s", e.Date, e.Name, kind))
			}
		}
	}
	cal := widget.NewList(func() int { return len(lines) }, func() fyne.CanvasObject { return widget.NewLabel("2025-10-01  国庆节、中秋节  调休上班") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(lines[i]) })

	d := st.Device()
	s.server = widget.NewEntry()
	s.server.SetPlaceHolder("https://县民政局服务器地址")
	url, _ := st.Meta(ctx, MetaServerURL)
	s.server.SetText(url)
	pending, _ := st.Pending(ctx)
	s.status = widget.NewLabel("")
	s.progress = widget.NewProgressBar()
	s.progress.Hide()
	s.rebuild = widget.NewButton("由事件日志重建数据", s.onRebuild)
	device := widget.NewForm(
		widget.NewFormItem("乡镇", widget.NewLabel(d.TownshipName+"（"+d.TownshipCode+"）")),
		widget.NewFormItem("设备", widget.NewLabel(d.Name)),
		widget.NewFormItem("设备编号", widget.NewLabel(d.ID)),
		widget.NewFormItem("数据库", wrapLabel(st.Path())),
		widget.NewFormItem("待同步事件", widget.NewLabel(fmt.Sprintf("%d 条", pending))),
		widget.NewFormItem("服务器地址", container.NewBorder(nil, nil, nil, widget.NewButton("保存", s.onSaveServer), s.server)))
	left := container.NewVBox(widget.NewCard("本机", "", device), s.securityCard(),
		widget.NewCard("维护", "", container.NewVBox(s.rebuild, s.progress, s.status)))
	right := container.NewBorder(widget.NewCard("现行规则（县级下发，只读）", "", rules), nil, nil, nil,
		widget.NewCard("节假日安排（计算工作日时限）", "", cal))
	return container.NewGridWithColumns(2, container.NewVScroll(left), right)
}

func (s *settings) onSaveServer() {
	u := strings.TrimSpace(s.server.Text)
	if u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		showError(s.sh.win, app.FieldErrorf("服务器地址", "地址应以 https:// 开头"))
		return
	}
	if err := s.sh.store.SetMeta(s.sh.ctx, MetaServerURL, u); err != nil {
		showError(s.sh.win, err)
		return
	}
	s.status.SetText("服务器地址已保存。")
}

// onRebuild runs the rebuild in a goroutine with a progress bar; the window
// stays responsive.
func (s *settings) onRebuild() {
	s.rebuild.Disable()
	s.progress.SetValue(0)
	s.progress.Show()
	s.status.SetText("正在重建……")
	s.jobDone = make(chan struct{})
	done := s.jobDone
	go func() {
		defer close(done)
		err := s.sh.store.Rebuild(s.sh.ctx, func(n, total int) {
			if total > 0 {
				fyne.Do(func() { s.progress.SetValue(float64(n) / float64(total)) })
			}
		})
		fyne.Do(func() {
			s.rebuild.Enable()
			s.progress.SetValue(1)
			if err != nil {
				s.status.SetText("重建失败：" + errText(err))
			} else {
				s.status.SetText("重建完成，数据与事件日志一致。")
			}
		})
	}()
}

// securityCard holds the inactivity lock and the password change of the
// signed-in user.
func (s *settings) securityCard() fyne.CanvasObject {
	var labels []string
	current := -1
	for i, m := range LockChoices {
		labels = append(labels, strconv.Itoa(m)+" 分钟")
		if time.Duration(m)*time.Minute == s.sh.LockAfter {
			current = i
		}
	}
	s.lock = widget.NewSelect(labels, nil)
	if current >= 0 {
		s.lock.SetSelectedIndex(current)
	}
	s.lock.OnChanged = func(string) { s.onLockChanged() }
	s.oldPw, s.newPw, s.newPw2 = widget.NewPasswordEntry(), widget.NewPasswordEntry(), widget.NewPasswordEntry()
	s.pwMessage = widget.NewLabel("")
	s.pwMessage.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem("无操作自动锁屏", s.lock),
		widget.NewFormItem("原密码", s.oldPw),
		widget.NewFormItem("新密码", s.newPw),
		widget.NewFormItem("再输入一次", s.newPw2))
	return widget.NewCard("安全", s.sh.user.Name+"（"+s.sh.user.Role.Label()+"）",
		container.NewVBox(form, widget.NewButton("修改密码", s.onChangePassword), s.pwMessage))
}

func (s *settings) onLockChanged() {
	i := s.lock.SelectedIndex()
	if i < 0 {
		return
	}
	m := LockChoices[i]
	if err := s.sh.store.SetMeta(s.sh.ctx, MetaLockMinutes, strconv.Itoa(m)); err != nil {
		showError(s.sh.win, err)
		return
	}
	s.sh.LockAfter = time.Duration(m) * time.Minute
	s.status.SetText(fmt.Sprintf("无操作 %d 分钟后自动锁屏。", m))
}

func (s *settings) onChangePassword() {
	defer func() { s.oldPw.SetText(""); s.newPw.SetText(""); s.newPw2.SetText("") }()
	if s.newPw.Text != s.newPw2.Text {
		s.pwMessage.SetText("两次输入的新密码不一致")
		return
	}
	if err := s.sh.store.ChangePassword(s.sh.ctx, s.sh.user.ID, s.oldPw.Text, s.newPw.Text); err != nil {
		s.pwMessage.SetText(errText(err))
		return
	}
	s.pwMessage.SetText("密码已修改，下次登录请用新密码。")
}
