package ui

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/storage"
)

// Inactivity lock. After LockAfter without input the shell puts the sign-in
// screen for the same user in front of the current screen: the screen and
// its widgets stay as they are (the intake draft is also saved), dialogs are
// taken off and put back, and nothing of the data is visible or reachable
// until the password is given again. "切换用户" leaves the shell for the full
// sign-in screen instead.

// MetaLockMinutes is the meta key holding the inactivity lock in minutes.
const MetaLockMinutes = "lock_after_minutes"

// DefaultLockAfter is the inactivity lock when settings have not changed it.
const DefaultLockAfter = 10 * time.Minute

// LockChoices are the inactivity locks settings offer, in minutes.
var LockChoices = []int{5, 10, 15, 30, 60}

// idleTick is how often the shell looks for activity and for the lock time.
var idleTick = 5 * time.Second

// lockAfter reads the inactivity lock of this device.
func lockAfter(store *storage.Store) time.Duration {
	v, _ := store.Meta(context.Background(), MetaLockMinutes)
	if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= 24*60 {
		return time.Duration(n) * time.Minute
	}
	return DefaultLockAfter
}

// activity is a transparent layer behind the shell's content: pointer moves
// and scrolls that reach no widget in front of it count as activity. (Fyne
// has no window-wide input hook; typing is seen through the focused entry.)
type activity struct {
	widget.BaseWidget
	touch func()
}

func newActivity(touch func()) *activity {
	a := &activity{touch: touch}
	a.ExtendBaseWidget(a)
	return a
}

func (a *activity) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(&fyne.Container{})
}
func (a *activity) MouseIn(*desktop.MouseEvent)    { a.touch() }
func (a *activity) MouseMoved(*desktop.MouseEvent) { a.touch() }
func (a *activity) MouseOut()                      {}
func (a *activity) Scrolled(*fyne.ScrollEvent)     { a.touch() }

// touch records activity now.
func (s *Shell) touch() { s.lastActive = s.now() }

// fingerprint summarises what input changes without a pointer: the focused
// widget, its text length and cursor, the screen and the dialogs.
func (s *Shell) fingerprint() string {
	c := s.win.Canvas()
	fp := fmt.Sprintf("%p|%p|%d", c.Focused(), s.Current, len(c.Overlays().List()))
	if e, ok := c.Focused().(*widget.Entry); ok {
		fp += fmt.Sprintf("|%d|%d|%d", len(e.Text), e.CursorRow, e.CursorColumn)
	}
	return fp
}

// CheckIdle locks the shell when it has been idle for LockAfter. The idle
// ticker calls it; tests call it after moving the clock.
func (s *Shell) CheckIdle() {
	if s.locked {
		return
	}
	if fp := s.fingerprint(); fp != s.lastPrint {
		s.lastPrint = fp
		s.touch()
		return
	}
	if s.now().Sub(s.lastActive) >= s.LockAfter {
		s.Lock()
	}
}

// watchIdle runs CheckIdle every idleTick until the window closes.
func (s *Shell) watchIdle() {
	stop := make(chan struct{})
	s.stopIdle = func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
	}
	go func() {
		t := time.NewTicker(idleTick)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fyne.Do(s.CheckIdle)
			}
		}
	}()
}

// Locked reports whether the lock screen is showing.
func (s *Shell) Locked() bool { return s.locked }

// Lock shows the sign-in screen for the signed-in user in front of the
// current screen, and takes the data key out of memory until the password is
// given again.
func (s *Shell) Lock() {
	if s.locked {
		return
	}
	s.locked = true
	c := s.win.Canvas()
	s.saved = s.win.Content()
	s.savedOverlays = append([]fyne.CanvasObject(nil), c.Overlays().List()...)
	for _, o := range s.savedOverlays {
		c.Overlays().Remove(o)
	}
	c.Unfocus()
	// The data key leaves memory with the screen: sync stops first (a round
	// needs the key), then the store forgets it; the password unwraps it again.
	s.resumeSync = s.sync.Running()
	s.sync.Stop()
	s.store.Lock()
	si := newSignIn(s.win, s.store, s.unlock)
	si.only = &s.user
	si.switchUser = func() {
		s.stopBackground()
		ShowSignIn(s.win, s.store, s.syncing)
	}
	s.lockScreen = si
	s.win.SetContent(si.buildUI())
	c.Focus(si.password)
}

// unlock puts the screen (and its dialogs) back after the password was given.
func (s *Shell) unlock(storage.User) {
	s.win.SetContent(s.saved)
	for _, o := range s.savedOverlays {
		s.win.Canvas().Overlays().Add(o)
	}
	s.saved, s.savedOverlays, s.lockScreen, s.locked = nil, nil, nil, false
	s.lastPrint = s.fingerprint()
	s.touch()
	if s.resumeSync {
		s.sync.Start()
	}
}
