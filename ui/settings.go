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
	jsync "jiuzhu/sync"
)

// MetaServerURL is the meta key holding the county server address.
const MetaServerURL = "server_url"

// settings shows the rules in force (read only), the holiday calendar, the
// server address and the device identity, and runs maintenance jobs.
type settings struct {
	sh      *Shell
	server  *widget.Entry
	pending *widget.Label
	// sync with the county
	token       *widget.Entry
	syncNow     *widget.Button
	syncBar     *widget.ProgressBar
	syncStatus  *widget.Label
	syncLast    *widget.Label
	syncMessage *widget.Label
	syncBox     *fyne.Container
	syncCardW   *widget.Card
	column      *container.Scroll // the left column
	progress    *widget.ProgressBar
	status      *widget.Label
	rebuild     *widget.Button
	jobDone     chan struct{} // closed when a background job ends (tests)
	// security
	lock                 *widget.Select
	oldPw, newPw, newPw2 *widget.Entry
	pwMessage            *widget.Label
	// data key and certificates (settings_keys.go)
	keyStatus, keyMessage *widget.Label
	recoveryKey, caFile   *widget.Entry
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
	pending, _ := st.Pending(ctx)
	s.pending = widget.NewLabel(fmt.Sprintf("%d 条", pending))
	s.status = widget.NewLabel("")
	s.progress = widget.NewProgressBar()
	s.progress.Hide()
	s.rebuild = widget.NewButton("由事件日志重建数据", s.onRebuild)
	device := widget.NewForm(
		widget.NewFormItem("乡镇", widget.NewLabel(d.TownshipName+"（"+d.TownshipCode+"）")),
		widget.NewFormItem("设备", widget.NewLabel(d.Name)),
		widget.NewFormItem("设备编号", widget.NewLabel(d.ID)),
		widget.NewFormItem("数据库", wrapLabel(st.Path())),
		widget.NewFormItem("待同步事件", s.pending))
	left := container.NewVBox(widget.NewCard("本机", "", device), s.syncCard(), s.securityCard(), s.keysCard(),
		widget.NewCard("维护", "", container.NewVBox(s.rebuild, s.progress, s.status)))
	right := container.NewBorder(widget.NewCard("现行规则（县级下发，只读）", "", rules), nil, nil, nil,
		widget.NewCard("节假日安排（计算工作日时限）", "", cal))
	s.column = container.NewVScroll(left)
	return container.NewGridWithColumns(2, s.column, right)
}

// syncCard holds the county server address, the device token, 立即同步
// with its progress, and the last round's result.
func (s *settings) syncCard() fyne.CanvasObject {
	ctx := s.sh.ctx
	server, token := syncConfig(ctx, s.sh.store)
	s.server = widget.NewEntry()
	s.server.SetPlaceHolder("https://县民政局服务器地址")
	s.server.SetText(server)
	s.token = widget.NewPasswordEntry()
	if token != "" {
		s.token.SetPlaceHolder("已保存（不显示）；换令牌时在此填写")
	} else {
		s.token.SetPlaceHolder("县民政局发放的设备令牌")
	}
	s.syncNow = widget.NewButton("立即同步", s.onSyncNow)
	s.syncBar = widget.NewProgressBar()
	s.syncBar.Hide()
	s.syncStatus = widget.NewLabel("")
	s.syncStatus.Wrapping = fyne.TextWrapWord
	s.syncLast = widget.NewLabel("")
	s.syncLast.Wrapping = fyne.TextWrapWord
	s.syncMessage = widget.NewLabel("")
	s.syncMessage.Wrapping = fyne.TextWrapWord
	s.syncMessage.Hide()
	form := widget.NewForm(
		widget.NewFormItem("服务器地址", s.server),
		widget.NewFormItem("设备令牌", s.token))
	buttons := container.NewHBox(widget.NewButton("保存", s.onSaveServer), s.syncNow)
	s.syncBox = container.NewVBox(form, buttons, s.syncMessage, s.syncBar, s.syncStatus, s.syncLast)
	s.syncChanged(s.sh.syncState)
	s.syncCardW = widget.NewCard("与县里同步", "", s.syncBox)
	return s.syncCardW
}

// syncChanged shows the sync state; the shell calls it while settings shows.
func (s *settings) syncChanged(st syncState) {
	s.pending.SetText(fmt.Sprintf("%d 条", st.Pending))
	s.syncStatus.SetText("状态：" + st.Detail())
	last := st.Last
	if last == "" {
		last = "尚未同步过"
	}
	s.syncLast.SetText("上次结果：" + last)
	if p := st.Progress(); p >= 0 {
		s.syncBar.SetValue(p)
		s.syncBar.Show()
	} else if st.Kind == syncDone {
		s.syncBar.SetValue(1)
	} else {
		s.syncBar.Hide()
	}
	if st.Kind == syncRunning {
		s.syncNow.Disable()
	} else {
		s.syncNow.Enable()
	}
	s.relayout()
}

// relayout lets the column give the sync card the lines its wrapped labels
// now need (a form or box does not grow by itself when a label's text does).
func (s *settings) relayout() {
	if s.column == nil {
		return // building
	}
	s.syncCardW.Refresh() // widgets cache their minimum size until refreshed
	s.column.Content.Refresh()
	s.column.Refresh()
}

func (s *settings) say(msg string) {
	s.syncMessage.SetText(msg)
	s.syncMessage.Show()
	s.relayout()
}

// onSaveServer saves the address (where `jiuzhu sync` keeps it, and under
// the old key) and a new token if one was typed, then asks for a round.
func (s *settings) onSaveServer() {
	ctx := s.sh.ctx
	u := strings.TrimSpace(s.server.Text)
	if u != "" {
		if err := jsync.CheckServerURL(u); err != nil {
			showError(s.sh.win, err)
			return
		}
	}
	for _, k := range []string{jsync.MetaServer, MetaServerURL} {
		if err := s.sh.store.SetMeta(ctx, k, u); err != nil {
			showError(s.sh.win, err)
			return
		}
	}
	msg := "服务器地址已保存。"
	if tok := strings.TrimSpace(s.token.Text); tok != "" {
		if err := s.sh.store.SetMeta(ctx, jsync.MetaToken, tok); err != nil {
			showError(s.sh.win, err)
			return
		}
		s.token.SetText("")
		s.token.SetPlaceHolder("已保存（不显示）；换令牌时在此填写")
		msg = "服务器地址和设备令牌已保存。"
	}
	if server, token := syncConfig(ctx, s.sh.store); server != "" && token != "" {
		s.sh.sync.Kick()
	} else {
		msg += "填写服务器地址和设备令牌后即可自动同步。"
	}
	s.say(msg)
}

// onSyncNow asks for a round now; its progress shows through syncChanged.
func (s *settings) onSyncNow() {
	if server, token := syncConfig(s.sh.ctx, s.sh.store); server == "" || token == "" {
		s.say("请先填写并保存服务器地址和设备令牌。")
		return
	}
	s.syncMessage.Hide()
	s.syncNow.Disable()
	s.sh.sync.SyncNow()
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
