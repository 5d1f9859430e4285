package ui

import (
	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"jiuzhu/assets"
	"jiuzhu/storage"
)

// Run opens the main window on store and blocks until it is closed.
func Run(store *storage.Store) {
	a := fyneapp.NewWithID("cn.gov.jiuzhu")
	a.Settings().SetTheme(Theme())
	a.SetIcon(assets.Icon)
	w := a.NewWindow("救助通")
	w.SetIcon(assets.Icon)
	w.Resize(fyne.NewSize(1280, 800))
	ShowSignIn(w, store, true)
	w.ShowAndRun()
}

// ShowSignIn puts the sign-in screen in w; after sign-in the main shell,
// which starts background sync if startSync. Tests of the sign-in screen and
// the screenshots leave it off: the test driver runs fyne.Do on the calling
// goroutine, so a round would touch widgets beside the test; the sync tests
// start their syncers themselves.
func ShowSignIn(w fyne.Window, store *storage.Store, startSync bool) *signIn {
	si := newSignIn(w, store, func(u storage.User) {
		sh := NewShell(w, store, u)
		sh.watchIdle()
		if startSync {
			sh.StartSync()
		}
		w.SetOnClosed(sh.stopBackground)
	})
	w.SetContent(si.buildUI())
	w.Canvas().Focus(si.password)
	return si
}
