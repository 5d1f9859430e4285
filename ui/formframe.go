package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// formFrame is what every step form shares: a dialog with 取消/确定 under a
// scrolling body, and an error line that keeps the dialog open with the
// store's Chinese message when a step is refused, so nothing typed is lost.
type formFrame struct {
	done    func()
	dlg     dialog.Dialog
	message *widget.Label
}

// newErrorLine is the red, wrapping line a form shows a refusal in.
func newErrorLine() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.DangerImportance
	return l
}

// finish runs save; on success it closes the dialog and calls done, on
// error it shows the message and returns the error.
func (f *formFrame) finish(save func() error) error {
	if err := save(); err != nil {
		f.message.SetText(errText(err))
		return err
	}
	if f.dlg != nil {
		f.dlg.Hide()
	}
	if f.done != nil {
		f.done()
	}
	return nil
}

// open shows body in a dialog titled title; 确定 calls ok.
func (f *formFrame) open(win fyne.Window, title string, body fyne.CanvasObject, size fyne.Size, ok func()) {
	okButton := widget.NewButton("确定", ok)
	okButton.Importance = widget.HighImportance
	cancel := widget.NewButton("取消", func() { f.dlg.Hide() })
	f.dlg = dialog.NewCustomWithoutButtons(title, container.NewBorder(nil,
		container.NewHBox(layoutSpacer(), cancel, okButton), nil, nil, container.NewVScroll(body)), win)
	f.dlg.Resize(size)
	f.dlg.Show()
}
