package ui

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fstorage "fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/sheets"
	"jiuzhu/storage"
)

// MetaExportDir is the meta key holding the folder exports are written to.
const MetaExportDir = "export_dir"

// exportMonths is how many months back the month choosers offer.
const exportMonths = 24

// exports is 报表导出: the public notice of a village, the bank's payment
// roster and the monthly work ledger, each written by package sheets in a
// goroutine with a progress bar, into a folder the clerk picks.
type exports struct {
	sh       *Shell
	villages []storage.Village
	months   []string

	folder      *widget.Entry
	village     *widget.Select
	payMonth    *widget.Select
	ledgerMonth *widget.Select
	buttons     []*widget.Button
	bar         *widget.ProgressBar
	spin        *widget.ProgressBarInfinite
	status      *widget.Label

	jobDone  chan struct{} // closed when an export ends (tests)
	lastPath string        // the file the last export wrote
	lastErr  error
}

func newExports(sh *Shell) *exports { return &exports{sh: sh} }

// ShowExports opens 报表导出.
func (s *Shell) ShowExports() { e := newExports(s); s.show(e, e.buildUI()) }

func (e *exports) buildUI() fyne.CanvasObject {
	st, ctx := e.sh.store, e.sh.ctx
	e.villages, _ = st.Villages(ctx)
	var vnames []string
	for _, v := range e.villages {
		vnames = append(vnames, v.Name)
	}
	e.village = widget.NewSelect(vnames, nil)
	e.village.PlaceHolder = "请选择村(社区)"
	if len(vnames) > 0 {
		e.village.SetSelectedIndex(0)
	}
	first := st.Today().FirstOfMonth()
	e.months = nil
	for i := 0; i < exportMonths; i++ {
		e.months = append(e.months, first.AddMonths(-i).MonthKey())
	}
	e.payMonth = widget.NewSelect(e.months, nil)
	e.payMonth.SetSelectedIndex(0)
	e.ledgerMonth = widget.NewSelect(e.months, nil)
	e.ledgerMonth.SetSelectedIndex(1) // the ledger is reported for the month just ended

	e.folder = widget.NewEntry()
	e.folder.SetText(defaultExportDir(ctx, st))
	pick := widget.NewButton("选择文件夹…", e.onPickFolder)

	notice := widget.NewButton("导出公示名单", e.onNotice)
	pay := widget.NewButton("导出发放花名册", e.onPayments)
	ledger := widget.NewButton("导出工作台账", e.onLedger)
	e.buttons = []*widget.Button{notice, pay, ledger}
	for _, b := range e.buttons {
		b.Importance = widget.HighImportance
	}
	e.bar = widget.NewProgressBar()
	e.bar.Hide()
	e.spin = widget.NewProgressBarInfinite()
	e.spin.Stop()
	e.spin.Hide()
	e.status = widget.NewLabel("")
	e.status.Wrapping = fyne.TextWrapWord

	card := func(title, sub string, field fyne.CanvasObject, btn *widget.Button) fyne.CanvasObject {
		return widget.NewCard(title, sub, container.NewBorder(nil, nil, nil, btn, field))
	}
	title := widget.NewLabelWithStyle("报表导出", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	folder := widget.NewCard("保存位置", "导出的 Excel 文件保存到这个文件夹",
		container.NewBorder(nil, nil, nil, pick, e.folder))
	body := container.NewVBox(title, folder,
		card("公示名单", "村(社区)张榜公示用：不含身份证号和收入，特困名单不含未成年人", labeled("村(社区)", e.village), notice),
		card("发放花名册", "报送银行：当月发放的低保、特困对象及金额、账号", labeled("发放月份", e.payMonth), pay),
		card("工作台账", "月度工作台账：按村(社区)和全乡镇汇总；已结束的月份导出后即锁定", labeled("台账月份", e.ledgerMonth), ledger),
		widget.NewCard("进度", "", container.NewVBox(e.bar, e.spin, e.status)))
	return container.NewVScroll(container.NewPadded(body))
}

// labeled puts a fixed label before a field.
func labeled(label string, field fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, widget.NewLabel(label), nil, field)
}

// defaultExportDir is the folder saved last time, else ~/Documents/救助通导出
// when there is a Documents folder, else 救助通导出 beside the database.
func defaultExportDir(ctx context.Context, st *storage.Store) string {
	if d, _ := st.Meta(ctx, MetaExportDir); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		if fi, err := os.Stat(filepath.Join(home, "Documents")); err == nil && fi.IsDir() {
			return filepath.Join(home, "Documents", "救助通导出")
		}
	}
	return filepath.Join(filepath.Dir(st.Path()), "救助通导出")
}

func (e *exports) onPickFolder() {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil || u == nil {
			return
		}
		e.folder.SetText(u.Path())
	}, e.sh.win)
	if start := existingDir(e.folder.Text); start != "" {
		if l, err := fstorage.ListerForURI(fstorage.NewFileURI(start)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

// existingDir is dir or its nearest existing parent ("" if none).
func existingDir(dir string) string {
	for dir != "" {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}

func (e *exports) onNotice() {
	i := e.village.SelectedIndex()
	if i < 0 || i >= len(e.villages) {
		showError(e.sh.win, app.FieldErrorf("村(社区)", "请选择要公示的村(社区)"))
		return
	}
	v := e.villages[i]
	name := fmt.Sprintf("公示名单-%s-%s.xlsx", v.Name, e.sh.store.Today())
	e.run("公示名单", name, func(ctx context.Context, w io.Writer, _ sheets.Progress) (string, error) {
		rep, err := sheets.ExportNotice(ctx, e.sh.store, v.Code, w, sheets.NoticeOptions{})
		if err != nil {
			return "", err
		}
		msg := fmt.Sprintf("%s公示名单：%d 户 %d 人，金额合计 %s 元。", v.Name, rep.Rows, rep.Persons, rep.Total)
		if len(rep.Notes) > 0 {
			msg += strings.Join(rep.Notes, "；")
		}
		return msg, nil
	})
}

func (e *exports) onPayments() {
	month := e.payMonth.Selected
	e.run("发放花名册", "发放花名册-"+month+".xlsx", func(ctx context.Context, w io.Writer, p sheets.Progress) (string, error) {
		rep, err := sheets.ExportPayments(ctx, e.sh.store, month, w, p)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s 发放花名册：%d 户 %d 人，合计 %s 元。", month, rep.Rows, rep.Persons, rep.Total), nil
	})
}

func (e *exports) onLedger() {
	month := e.ledgerMonth.Selected
	e.run("工作台账", "工作台账-"+month+".xlsx", func(ctx context.Context, w io.Writer, p sheets.Progress) (string, error) {
		l, err := sheets.ExportLedger(ctx, e.sh.store, month, w, sheets.LedgerOptions{Actor: e.sh.actor(), Progress: p})
		if err != nil {
			return "", err
		}
		state := "本月尚未结束，数字未锁定"
		if l.Frozen {
			state = "已锁定（" + l.FrozenAt + "）"
		}
		return fmt.Sprintf("%s 工作台账：%d 个村(社区)，%s。", l.Month, len(l.Villages), state), nil
	})
}

// exportFunc writes one workbook to w and returns the line the end dialog shows.
type exportFunc func(ctx context.Context, w io.Writer, progress sheets.Progress) (string, error)

// run writes name in the chosen folder on a goroutine: a temporary file
// renamed into place, so a failed export never leaves half a workbook.
func (e *exports) run(what, name string, fn exportFunc) {
	dir := strings.TrimSpace(e.folder.Text)
	if dir == "" {
		showError(e.sh.win, app.FieldErrorf("保存位置", "请选择保存导出文件的文件夹"))
		return
	}
	path := filepath.Join(dir, safeFileName(name))
	for _, b := range e.buttons {
		b.Disable()
	}
	e.bar.SetValue(0)
	e.bar.Hide()
	e.spin.Show()
	e.spin.Start()
	e.status.SetText("正在导出" + what + "……")
	e.jobDone = make(chan struct{})
	done := e.jobDone
	ctx := e.sh.ctx
	progress := func(n, total int) {
		fyne.Do(func() {
			if total > 0 {
				e.spin.Stop()
				e.spin.Hide()
				e.bar.Show()
				e.bar.SetValue(float64(n) / float64(total))
				e.status.SetText(fmt.Sprintf("正在导出%s：%d/%d", what, n, total))
			} else {
				e.status.SetText(fmt.Sprintf("正在统计%s：已处理 %d 户", what, n))
			}
		})
	}
	go func() {
		defer close(done)
		var msg string
		err := writeAtomically(path, func(w io.Writer) error {
			var err error
			msg, err = fn(ctx, w, progress)
			return err
		})
		fyne.Do(func() {
			for _, b := range e.buttons {
				b.Enable()
			}
			e.spin.Stop()
			e.spin.Hide()
			e.lastErr = err
			if err != nil {
				e.bar.Hide()
				e.status.SetText(what + "导出失败：" + errText(err))
				showError(e.sh.win, err)
				return
			}
			_ = e.sh.store.SetMeta(ctx, MetaExportDir, dir)
			e.lastPath = path
			e.bar.Show()
			e.bar.SetValue(1)
			e.status.SetText(msg)
			showSaved(e.sh.win, what+"已导出", msg, path)
		})
	}()
}

// safeFileName replaces the characters Windows does not allow in a name.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`\/:*?"<>|`, r) || r < 32 {
			return '_'
		}
		return r
	}, s)
}

// writeAtomically creates path's folder, writes a temporary file beside it
// and renames it into place.
func writeAtomically(path string, fn func(w io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return app.Errorf(app.EUNAVAILABLE, "无法创建文件夹 %s，请换一个保存位置", dir)
	}
	tmp, err := os.CreateTemp(dir, ".jiuzhu-*"+filepath.Ext(path))
	if err != nil {
		return app.Errorf(app.EUNAVAILABLE, "无法在 %s 写入文件，请换一个保存位置", dir)
	}
	defer os.Remove(tmp.Name())
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return app.Errorf(app.EUNAVAILABLE, "文件保存失败（磁盘是否已满？）")
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return app.Errorf(app.EUNAVAILABLE, "无法保存 %s（文件是否正在 Excel 中打开？请关闭后重试）", filepath.Base(path))
	}
	return nil
}

// openURL opens a URL with the system (a folder: the file manager); tests
// replace it.
var openURL = func(u *url.URL) error { return fyne.CurrentApp().OpenURL(u) }

// folderURL is the file:// URL of dir (file:///C:/... on Windows).
func folderURL(dir string) (*url.URL, error) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return url.Parse(fstorage.NewFileURI(dir).String())
}

// showSaved is the dialog at the end of an export: what was written, the
// file's path, and 打开所在文件夹.
func showSaved(win fyne.Window, title, msg, path string) {
	pathLabel := widget.NewLabel(path)
	pathLabel.Wrapping = fyne.TextWrapBreak
	lines := container.NewVBox()
	if msg != "" {
		lines.Add(wrapLabel(msg))
	}
	lines.Add(widget.NewLabel("文件已保存到："))
	lines.Add(pathLabel)
	var d dialog.Dialog
	open := widget.NewButton("打开所在文件夹", func() {
		u, err := folderURL(filepath.Dir(path))
		if err == nil {
			err = openURL(u)
		}
		if err != nil {
			showError(win, app.Errorf(app.EUNAVAILABLE, "无法打开文件夹，请在文件管理器中打开 %s", filepath.Dir(path)))
			return
		}
		d.Hide()
	})
	open.Importance = widget.HighImportance
	closeBtn := widget.NewButton("关闭", func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons(title, container.NewBorder(nil,
		container.NewHBox(layoutSpacer(), closeBtn, open), nil, nil, lines), win)
	d.Resize(fyne.NewSize(560, 260))
	d.Show()
}
