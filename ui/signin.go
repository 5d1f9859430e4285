package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// signIn picks a local user and checks the password; with no users yet it
// creates the first one.
type signIn struct {
	win      fyne.Window
	store    *storage.Store
	users    []storage.User
	done     func(storage.User)
	user     *widget.Select
	password *widget.Entry
	message  *widget.Label
	// first-user form
	newName *widget.Entry
	newRole *widget.Select
	// lock screen: only this user may sign in; switchUser leaves for the full sign-in
	only       *storage.User
	switchUser func()
}

func newSignIn(win fyne.Window, store *storage.Store, done func(storage.User)) *signIn {
	return &signIn{win: win, store: store, done: done}
}

func userLabel(u storage.User) string { return u.Name + "（" + u.Role.Label() + "）" }

func (s *signIn) buildUI() fyne.CanvasObject {
	s.users, _ = s.store.Users(context.Background())
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.password = widget.NewPasswordEntry()
	s.password.SetPlaceHolder("密码")
	s.password.OnSubmitted = func(string) { s.onSignIn() }
	d := s.store.Device()
	title := widget.NewLabelWithStyle("救助通 · 乡镇社会救助业务系统", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	sub := widget.NewLabelWithStyle(d.TownshipName+" · "+d.Name, fyne.TextAlignCenter, fyne.TextStyle{})
	var form fyne.CanvasObject
	if s.only != nil {
		btn := widget.NewButton("解锁", s.onSignIn)
		btn.Importance = widget.HighImportance
		form = container.NewVBox(
			widget.NewLabel("屏幕已锁定（较长时间无操作）。未保存的内容仍在，请输入密码继续。"),
			widget.NewForm(widget.NewFormItem("用户", widget.NewLabel(userLabel(*s.only))), widget.NewFormItem("密码", s.password)),
			container.NewGridWithColumns(2, widget.NewButton("切换用户", s.switchUser), btn))
	} else if len(s.users) == 0 {
		s.newName = widget.NewEntry()
		s.newName.SetPlaceHolder("姓名")
		s.newRole = widget.NewSelect(roleLabels(), nil)
		s.newRole.SetSelectedIndex(1)
		btn := widget.NewButton("创建用户并登录", s.onCreateFirst)
		btn.Importance = widget.HighImportance
		form = container.NewVBox(widget.NewLabel("本机尚无用户，请创建第一个用户："),
			widget.NewForm(widget.NewFormItem("姓名", s.newName), widget.NewFormItem("角色", s.newRole),
				widget.NewFormItem("密码", s.password)), btn)
	} else {
		names := make([]string, len(s.users))
		for i, u := range s.users {
			names[i] = userLabel(u)
		}
		s.user = widget.NewSelect(names, nil)
		s.user.SetSelectedIndex(0)
		btn := widget.NewButton("登录", s.onSignIn)
		btn.Importance = widget.HighImportance
		form = container.NewVBox(widget.NewForm(widget.NewFormItem("用户", s.user), widget.NewFormItem("密码", s.password)), btn)
	}
	box := container.NewVBox(title, sub, widget.NewSeparator(), form, s.message)
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(420, 320), widget.NewCard("", "", box)))
}

func roleLabels() []string {
	out := []string{}
	for _, r := range []app.Role{app.RoleLiaison, app.RoleClerk, app.RoleApprover} {
		out = append(out, r.Label())
	}
	return out
}

func (s *signIn) onSignIn() {
	var id string
	if s.only != nil {
		id = s.only.ID
	} else if i := s.user.SelectedIndex(); i >= 0 {
		id = s.users[i].ID
	} else {
		s.message.SetText("请选择用户")
		return
	}
	u, err := s.store.Authenticate(context.Background(), id, s.password.Text)
	if err != nil {
		s.message.SetText(errText(err))
		s.password.SetText("")
		return
	}
	s.done(u)
}

func (s *signIn) onCreateFirst() {
	role := []app.Role{app.RoleLiaison, app.RoleClerk, app.RoleApprover}[max(s.newRole.SelectedIndex(), 0)]
	u, err := s.store.CreateUser(context.Background(), storage.User{Name: s.newName.Text, Role: role}, s.password.Text)
	if err != nil {
		s.message.SetText(errText(err))
		return
	}
	s.done(u)
}
