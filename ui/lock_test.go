package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/cli"
	"jiuzhu/storage"
)

// showsShell reports whether the window shows the signed-in shell (its split).
func showsShell(w fyne.Window) bool {
	for _, o := range test.LaidOutObjects(w.Content()) {
		if _, ok := o.(*container.Split); ok {
			return true
		}
	}
	return false
}

func hasButton(w fyne.Window, text string) bool {
	for _, o := range test.LaidOutObjects(w.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return true
		}
	}
	return false
}

func TestSignInLockout(t *testing.T) {
	s := newTestStore(t)
	now := time.Date(2026, 3, 2, 6, 40, 0, 0, time.UTC) // 14:40 in China
	s.SetClock(func() time.Time { return now })
	a := test.NewTempApp(t)
	w := a.NewWindow("救助通")
	si := ShowSignIn(w, s, false)
	for i, u := range si.users {
		if u.Role == app.RoleApprover {
			si.user.SetSelectedIndex(i)
		}
	}
	for i := 1; i <= storage.MaxFailedSignIns; i++ {
		test.Type(si.password, "wrong!")
		test.Tap(button(t, w, "登录"))
		if si.password.Text != "" {
			t.Fatal("the wrong password stays in the field")
		}
		if i == 3 && si.message.Text != "密码错误，还可尝试2次" {
			t.Fatalf("third failure: %q", si.message.Text)
		}
	}
	if !strings.Contains(si.message.Text, "账户已锁定，请于14:55后重试") {
		t.Fatalf("fifth failure: %q", si.message.Text)
	}
	test.Type(si.password, cli.DemoPassword)
	test.Tap(button(t, w, "登录"))
	if showsShell(w) || si.message.Text != "账户已锁定，请于14:55后重试" {
		t.Fatalf("signed in while locked out: %q", si.message.Text)
	}
	now = now.Add(storage.LockoutDuration)
	test.Type(si.password, cli.DemoPassword)
	test.Tap(button(t, w, "登录"))
	if !showsShell(w) {
		t.Fatalf("not signed in after the lock-out ended: %q", si.message.Text)
	}
}

func TestInactivityLockKeepsTheScreen(t *testing.T) {
	s := newTestStore(t)
	sh := newTestShell(t, s, app.RoleLiaison)
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	sh.now = func() time.Time { return now }
	if sh.LockAfter != DefaultLockAfter {
		t.Fatalf("default lock after %s", sh.LockAfter)
	}
	sh.ShowIntake()
	in := sh.Current.(*intake)
	test.Type(in.memberRows[0].name, "王建国")
	sh.CheckIdle() // sees the typing
	now = now.Add(9 * time.Minute)
	sh.CheckIdle()
	if sh.Locked() {
		t.Fatal("locked after 9 minutes")
	}
	dialog.ShowInformation("提示", "一个打开的对话框", sh.win)
	now = now.Add(time.Minute)
	sh.CheckIdle() // the dialog counts as activity
	now = now.Add(10 * time.Minute)
	sh.CheckIdle()
	if n := len(sh.win.Canvas().Overlays().List()); n != 0 {
		t.Fatalf("%d dialogs over the lock screen", n)
	}
	if !sh.Locked() || showsShell(sh.win) || hasButton(sh.win, "提交申请") {
		t.Fatal("not locked after 10 idle minutes, or the screen still shows")
	}
	if !s.Locked() {
		t.Fatal("the data key stayed in memory behind the lock screen")
	}
	si := sh.lockScreen
	if !hasButton(sh.win, "解锁") || !hasButton(sh.win, "切换用户") {
		t.Fatal("the lock screen has no 解锁/切换用户")
	}
	test.Type(si.password, "nope!!")
	test.Tap(button(t, sh.win, "解锁"))
	if si.message.Text != "密码错误，还可尝试4次" || !sh.Locked() {
		t.Fatalf("wrong password on the lock screen: %q", si.message.Text)
	}
	test.Type(si.password, cli.DemoPassword)
	test.Tap(button(t, sh.win, "解锁"))
	if sh.Locked() || !showsShell(sh.win) || sh.Current != in || in.memberRows[0].name.Text != "王建国" {
		t.Fatal("after unlock the intake form is not back as it was")
	}
	if s.Locked() {
		t.Fatal("the password did not bring the data key back")
	}
	if n := len(sh.win.Canvas().Overlays().List()); n != 1 {
		t.Fatalf("%d dialogs after unlock, want the one that was open", n)
	}
	sh.win.Canvas().Overlays().Remove(sh.win.Canvas().Overlays().Top())
	// Typing counts as activity: 9 minutes, a key, 9 more minutes: still open.
	now = now.Add(9 * time.Minute)
	sh.win.Canvas().Focus(in.memberRows[0].id)
	test.Type(in.memberRows[0].id, "1")
	sh.CheckIdle()
	now = now.Add(9 * time.Minute)
	sh.CheckIdle()
	if sh.Locked() {
		t.Fatal("locked although the user typed 9 minutes ago")
	}
	// Moving the pointer over the background counts too.
	now = now.Add(9 * time.Minute)
	sh.win.Content().(*fyne.Container).Objects[0].(*activity).MouseMoved(nil)
	now = now.Add(9 * time.Minute)
	sh.CheckIdle()
	if sh.Locked() {
		t.Fatal("locked although the pointer moved 9 minutes ago")
	}
}

func TestSettingsLockTimeAndPassword(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowSettings()
	st := sh.Current.(*settings)
	st.lock.SetSelected("5 分钟")
	if v, _ := s.Meta(ctx, MetaLockMinutes); v != "5" || sh.LockAfter != 5*time.Minute {
		t.Fatalf("lock minutes %q, shell %s", v, sh.LockAfter)
	}
	if lockAfter(s) != 5*time.Minute {
		t.Fatal("a new shell would not read the setting")
	}
	test.Type(st.oldPw, "wrong-old")
	test.Type(st.newPw, "newpass1")
	test.Type(st.newPw2, "newpass1")
	test.Tap(button(t, sh.win, "修改密码"))
	if !strings.Contains(st.pwMessage.Text, "原密码") || !strings.Contains(st.pwMessage.Text, "还可尝试4次") {
		t.Fatalf("wrong old password: %q", st.pwMessage.Text)
	}
	test.Type(st.oldPw, cli.DemoPassword)
	test.Type(st.newPw, "newpass1")
	test.Type(st.newPw2, "newpass1")
	test.Tap(button(t, sh.win, "修改密码"))
	if !strings.Contains(st.pwMessage.Text, "密码已修改") {
		t.Fatalf("change: %q", st.pwMessage.Text)
	}
	if _, err := s.Authenticate(ctx, sh.user.ID, "newpass1"); err != nil {
		t.Fatal(err)
	}
}
