// Package ui is the Fyne desktop client. Each screen is one file and one
// struct with a buildUI method and onX handlers; screens call app and storage
// for every rule and never decide anything themselves.
package ui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// Shell is the signed-in main window: a navigation column and the screen.
type Shell struct {
	win    fyne.Window
	store  *storage.Store
	user   storage.User
	ctx    context.Context
	body   *fyne.Container
	nav    *widget.List
	items  []navItem
	status *widget.Label
	// background sync (syncer.go): the footer's status line and progress bar
	sync    *syncer
	syncing bool // StartSync was called: a user switch at the lock screen starts it again
	// navFollowing is set while show moves the menu highlight, so that the
	// selection does not open the screen again.
	navFollowing bool
	navAt        widget.ListItemID // the highlighted menu entry
	resumeSync   bool              // sync ran when the screen locked: it starts again at unlock
	syncState    syncState
	syncLabel    *widget.Label
	syncBar      *widget.ProgressBar
	syncBarBox   *fyne.Container
	footer       *fyne.Container
	// current screen, for tests
	Current any

	// inactivity lock (lock.go)
	LockAfter     time.Duration    // from settings; default DefaultLockAfter
	now           func() time.Time // the clock; tests replace it
	lastActive    time.Time
	lastPrint     string
	locked        bool
	saved         fyne.CanvasObject
	savedOverlays []fyne.CanvasObject
	lockScreen    *signIn
	stopIdle      func()
}

type navItem struct {
	label string
	open  func()
}

// NewShell builds the main window content for a signed-in user.
func NewShell(win fyne.Window, store *storage.Store, user storage.User) *Shell {
	s := &Shell{win: win, store: store, user: user, ctx: context.Background(), now: time.Now, LockAfter: lockAfter(store)}
	s.sync = newSyncer(store, s.showSync)
	s.syncState = idleState(s.ctx, store)
	s.touch()
	s.buildUI()
	return s
}

func (s *Shell) actor() app.Actor { return s.user.Actor() }

func (s *Shell) buildUI() {
	s.items = []navItem{
		{"首页", s.ShowWorkbench},
		{"家庭与案件", s.ShowCases},
		{"申请登记", s.ShowIntake},
		{"问题线索", s.ShowLeads},
		{"资金发放", s.ShowFunds},
		{"报表导出", s.ShowExports},
		{"审计查询", s.ShowAudit},
		{"数据冲突", s.ShowConflicts},
		{"设置", s.ShowSettings},
	}
	s.nav = widget.NewList(func() int { return len(s.items) },
		func() fyne.CanvasObject { return widget.NewLabel("家庭与案件") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(s.items[i].label) })
	s.nav.OnSelected = func(i widget.ListItemID) {
		s.navAt = i
		if !s.navFollowing {
			s.items[i].open()
		}
	}
	s.body = container.NewStack()
	d := s.store.Device()
	s.status = widget.NewLabel("")
	s.status.SetText(d.TownshipName + " · " + d.Name + " · " + s.user.Name + "（" + s.user.Role.Label() + "）")
	s.syncLabel = widget.NewLabel("")
	s.syncLabel.Alignment = fyne.TextAlignTrailing
	s.syncLabel.Truncation = fyne.TextTruncateEllipsis
	s.syncBar = widget.NewProgressBar()
	s.syncBarBox = container.NewGridWrap(fyne.NewSize(140, s.syncBar.MinSize().Height), s.syncBar)
	s.syncBarBox.Hide()
	s.footer = container.NewBorder(nil, nil, s.status, s.syncBarBox, s.syncLabel)
	s.showSync(s.syncState)
	title := widget.NewLabelWithStyle("救助通", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	left := container.NewBorder(title, nil, nil, nil, s.nav)
	split := container.NewHSplit(left, container.NewBorder(nil, s.footer, nil, nil, s.body))
	split.Offset = 0.14
	s.win.SetContent(container.NewStack(newActivity(s.touch), split))
	s.nav.Select(0)
}

// show replaces the screen, and moves the menu highlight to the entry the
// screen belongs to (a case opened from 首页 highlights 家庭与案件).
func (s *Shell) show(screen any, content fyne.CanvasObject) {
	s.Current = screen
	s.touch()
	s.body.Objects = []fyne.CanvasObject{content}
	s.body.Refresh()
	if i := navIndex(screen); i >= 0 {
		s.navFollowing = true
		s.nav.Select(i)
		s.navFollowing = false
	}
}

// navIndex is the position in Shell.items of the menu entry a screen belongs
// to, -1 for none.
func navIndex(screen any) int {
	switch screen.(type) {
	case *workbench:
		return 0
	case *caseList, *caseDetail:
		return 1
	case *intake:
		return 2
	case *leadList, *leadDetail, *leadRegister:
		return 3
	case *funds:
		return 4
	case *exports:
		return 5
	case *audit:
		return 6
	case *conflicts:
		return 7
	case *settings:
		return 8
	}
	return -1
}

// ShowWorkbench opens 首页.
func (s *Shell) ShowWorkbench() { w := newWorkbench(s); s.show(w, w.buildUI()) }

// ShowCases opens the household and case list.
func (s *Shell) ShowCases() { c := newCaseList(s); s.show(c, c.buildUI()) }

// ShowIntake opens 申请登记.
func (s *Shell) ShowIntake() { i := newIntake(s); s.show(i, i.buildUI()) }

// ShowConflicts opens the conflict screen.
func (s *Shell) ShowConflicts() { c := newConflicts(s); s.show(c, c.buildUI()) }

// ShowSettings opens 设置.
func (s *Shell) ShowSettings() { st := newSettings(s); s.show(st, st.buildUI()) }

// ShowCase opens a case.
func (s *Shell) ShowCase(caseID string) {
	d := newCaseDetail(s, caseID)
	s.show(d, d.buildUI())
}

// showError shows an error in plain Chinese: the domain message, or a
// generic one for anything else (never a raw Go error string).
func showError(win fyne.Window, err error) {
	dialog.ShowInformation("无法完成", app.ErrorMessage(err), win)
}

// errText is the text a label shows for an error.
func errText(err error) string { return app.ErrorMessage(err) }

var cst = time.FixedZone("CST", 8*3600)

// hlcTime formats an event time in China time.
func hlcTime(h app.HLC) string { return h.Time().In(cst).Format("2006-01-02 15:04") }

var errCancelled = errors.New("cancelled")

func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

// syncView is a screen that shows sync state (settings, the workbench tile).
type syncView interface{ syncChanged(syncState) }

// showSync puts the sync state in the footer and the current screen. The
// syncer calls it through fyne.Do.
func (s *Shell) showSync(st syncState) {
	if st.Pending < 0 { // a running round does not count
		st.Pending, st.Last = s.syncState.Pending, s.syncState.Last
	}
	s.syncState = st
	if st.Kind == syncPurged {
		s.showPurged(st)
		return
	}
	s.syncLabel.SetText(st.Text())
	if p := st.Progress(); p >= 0 {
		s.syncBar.SetValue(p)
		if !s.syncBarBox.Visible() {
			s.syncBarBox.Show()
			s.footer.Refresh() // the bar takes its place beside the label
		}
	} else if s.syncBarBox.Visible() {
		s.syncBarBox.Hide()
		s.footer.Refresh()
	}
	if v, ok := s.Current.(syncView); ok {
		v.syncChanged(st)
	}
}

// showPurged replaces the window with a notice: the county revoked this
// device and sync deleted its data, so no screen has anything left to show.
func (s *Shell) showPurged(st syncState) {
	if s.stopIdle != nil {
		s.stopIdle()
	}
	s.locked = true // nothing to lock or unlock any more
	for _, o := range s.win.Canvas().Overlays().List() {
		s.win.Canvas().Overlays().Remove(o)
	}
	last := st.Last
	if last == "" {
		last = "本设备的同步权限已被县民政局吊销，本机数据已按规定清除"
	}
	msg := widget.NewLabel(last + "。\n如设备并未丢失，请与县民政局联系重新登记。")
	msg.Wrapping = fyne.TextWrapWord
	msg.Alignment = fyne.TextAlignCenter
	title := widget.NewLabelWithStyle("本设备已被县民政局停用", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	s.win.SetContent(container.NewCenter(container.NewGridWrap(fyne.NewSize(520, 160), container.NewVBox(title, msg))))
}

// StartSync starts background sync with the county (syncer.go).
func (s *Shell) StartSync() { s.syncing = true; s.sync.Start() }

// stopBackground ends the shell's goroutines: the idle watch and sync.
func (s *Shell) stopBackground() {
	if s.stopIdle != nil {
		s.stopIdle()
	}
	s.sync.Stop()
}
