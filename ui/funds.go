package ui

import (
	"context"
	"fmt"
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

// funds is 资金发放: the month's payment roster (GenerateBatch), the batches
// with their status, 标记已送银行, 导入银行回盘 and the 异常核查 worklist.
// Store calls run on a goroutine; widgets change through fyne.Do.
type funds struct {
	sh     *Shell
	months []string

	month     *widget.Select
	buttons   []*widget.Button
	send      *widget.Button
	importBtn *widget.Button
	batchList *widget.List
	anomList  *widget.List
	spin      *widget.ProgressBarInfinite
	status    *widget.Label
	skipped   *widget.Label

	batches   []storage.BatchRow
	anomalies []app.Anomaly
	selected  int // index in batches, -1 = none

	jobDone chan struct{} // closed when a job ends (tests)
	lastErr error
}

func newFunds(sh *Shell) *funds { return &funds{sh: sh, selected: -1} }

// ShowFunds opens 资金发放.
func (s *Shell) ShowFunds() { f := newFunds(s); s.show(f, f.buildUI()) }

func (f *funds) buildUI() fyne.CanvasObject {
	first := f.sh.store.Today().FirstOfMonth()
	f.months = nil
	for i := -1; i < exportMonths; i++ { // next month too: rosters are often made ahead
		f.months = append(f.months, first.AddMonths(-i).MonthKey())
	}
	f.month = widget.NewSelect(f.months, func(string) { f.reload() })
	gen := widget.NewButton("生成发放名单", f.onGenerate)
	gen.Importance = widget.HighImportance
	f.send = widget.NewButton("标记已送银行", f.onSend)
	f.importBtn = widget.NewButton("导入银行回盘…", f.onImport)
	refresh := widget.NewButton("刷新", f.reload)
	f.buttons = []*widget.Button{gen, f.send, f.importBtn, refresh}

	f.batchList = widget.NewList(func() int { return len(f.batches) },
		func() fyne.CanvasObject {
			return widget.NewLabel("2026-11 批次 XXXXXXXX · 120 户 · 98,760.00 元 · 已回盘")
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(batchLine(f.batches[i])) })
	f.batchList.OnSelected = func(i widget.ListItemID) { f.selected = i; f.updateButtons() }
	f.batchList.OnUnselected = func(widget.ListItemID) { f.selected = -1; f.updateButtons() }
	f.anomList = widget.NewList(func() int { return len(f.anomalies) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("向已终止对象发放：张三 2026-11 ……")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(anomalyLine(f.anomalies[i])) })

	f.spin = widget.NewProgressBarInfinite()
	f.spin.Stop()
	f.spin.Hide()
	f.status = wrapLabel("")
	f.skipped = wrapLabel("")
	f.skipped.Hide()

	title := widget.NewLabelWithStyle("资金发放", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	top := container.NewVBox(title,
		widget.NewCard("发放月份", "按月生成发放名单，报送银行后导入银行回盘，确认到账的自动登记“发放”",
			container.NewBorder(nil, nil, nil, container.NewHBox(gen, refresh), labeled("月份", f.month))),
		container.NewVBox(f.spin, f.status, f.skipped))
	batches := widget.NewCard("发放批次", "选中一个批次后报送或导入回盘",
		container.NewBorder(nil, container.NewHBox(f.send, f.importBtn), nil, nil, f.batchList))
	anoms := widget.NewCard("异常核查", "本月发放中需要核实的情况", f.anomList)
	split := container.NewVSplit(batches, anoms)
	split.Offset = 0.55
	f.month.SetSelectedIndex(1) // the current month; this loads the lists
	f.updateButtons()
	return container.NewPadded(container.NewBorder(top, nil, nil, nil, split))
}

func batchLine(b storage.BatchRow) string {
	state := "待报送银行"
	switch {
	case b.Returned != "":
		state = fmt.Sprintf("已回盘（%s）：到账 %d 户，失败 %d 户", b.Returned, b.Paid, b.Failed)
	case b.Sent != "":
		state = "已报送银行（" + b.Sent + "），待回盘"
	}
	return fmt.Sprintf("%s 批次 %s · 生成于 %s · %d 户 · %s 元 · %s", b.Month, shortID(b.ID), b.Created, b.Items, b.Total, state)
}

func anomalyLine(a app.Anomaly) string {
	s := app.AnomalyLabel(a.Kind) + "："
	if a.Name != "" {
		s += a.Name + " "
	}
	if a.Month != "" {
		s += a.Month + " "
	}
	return s + a.Detail
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func (f *funds) current() *storage.BatchRow {
	if f.selected < 0 || f.selected >= len(f.batches) {
		return nil
	}
	return &f.batches[f.selected]
}

func (f *funds) updateButtons() {
	b := f.current()
	if b != nil && b.Sent == "" {
		f.send.Enable()
	} else {
		f.send.Disable()
	}
	if b != nil && b.Sent != "" && b.Returned == "" {
		f.importBtn.Enable()
	} else {
		f.importBtn.Disable()
	}
}

// reload reads the month's batches and anomalies on a goroutine.
func (f *funds) reload() {
	month := f.month.Selected
	if month == "" {
		return
	}
	f.run("正在读取"+month+"的发放批次……", func(ctx context.Context) (string, error) { return "", nil })
}

// run does fn on a goroutine with the buttons disabled, then reloads the
// month's batches and anomalies and shows fn's message (or the error).
func (f *funds) run(busy string, fn func(ctx context.Context) (string, error)) {
	month := f.month.Selected
	for _, b := range f.buttons {
		b.Disable()
	}
	f.spin.Show()
	f.spin.Start()
	f.status.SetText(busy)
	f.jobDone = make(chan struct{})
	done := f.jobDone
	ctx, st := f.sh.ctx, f.sh.store
	go func() {
		defer close(done)
		msg, err := fn(ctx)
		batches, lerr := st.Batches(ctx, month)
		anoms, aerr := st.FundAnomalies(ctx, month)
		fyne.Do(func() {
			f.spin.Stop()
			f.spin.Hide()
			for _, b := range f.buttons {
				b.Enable()
			}
			f.lastErr = err
			if lerr == nil {
				f.batches = batches
			}
			if aerr == nil {
				f.anomalies = anoms
			}
			f.batchList.UnselectAll()
			f.selected = -1
			f.batchList.Refresh()
			f.anomList.Refresh()
			f.updateButtons()
			switch {
			case err != nil:
				f.status.SetText(errText(err))
				showError(f.sh.win, err)
			case lerr != nil || aerr != nil:
				f.status.SetText("读取发放数据失败：" + errText(firstErr(lerr, aerr)))
			default:
				if msg == "" {
					msg = fmt.Sprintf("%s：%d 个发放批次，%d 条异常待核查。", month, len(f.batches), len(f.anomalies))
				}
				f.status.SetText(msg)
			}
		})
	}()
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (f *funds) onGenerate() {
	month := f.month.Selected
	actor := f.sh.actor()
	f.setSkipped("")
	f.run("正在生成"+month+"发放名单……", func(ctx context.Context) (string, error) {
		id, skipped, err := f.sh.store.GenerateBatch(ctx, actor, month)
		text := skippedText(skipped)
		fyne.Do(func() { f.setSkipped(text) })
		if err != nil {
			return "", err
		}
		b, err := f.sh.store.Batch(ctx, id)
		if err != nil {
			return "", err
		}
		all, _, _ := b.Total()
		return fmt.Sprintf("已生成 %s 发放名单（批次 %s）：%d 户，合计 %s 元。可在“报表导出”导出发放花名册报送银行。",
			month, shortID(id), len(b.Items), all), nil
	})
}

func (f *funds) setSkipped(text string) {
	f.skipped.SetText(text)
	if text == "" {
		f.skipped.Hide()
	} else {
		f.skipped.Show()
	}
}

// skippedText lists the cases left out of a roster, with reasons.
func skippedText(skipped []app.Skipped) string {
	if len(skipped) == 0 {
		return ""
	}
	const show = 20
	lines := []string{fmt.Sprintf("未列入名单 %d 件：", len(skipped))}
	for i, s := range skipped {
		if i == show {
			lines = append(lines, fmt.Sprintf("……另有 %d 件", len(skipped)-show))
			break
		}
		lines = append(lines, s.Name+"："+s.Reason)
	}
	return strings.Join(lines, "\n")
}

func (f *funds) onSend() {
	b := f.current()
	if b == nil {
		showError(f.sh.win, app.FieldErrorf("发放批次", "请先选择一个发放批次"))
		return
	}
	id, actor := b.ID, f.sh.actor()
	f.run("正在登记报送……", func(ctx context.Context) (string, error) {
		if err := f.sh.store.MarkBatchSent(ctx, actor, id, app.Date{}); err != nil {
			return "", err
		}
		return fmt.Sprintf("批次 %s 已登记为报送银行（%s）。收到银行回盘后请导入。", shortID(id), f.sh.store.Today()), nil
	})
}

func (f *funds) onImport() {
	b := f.current()
	if b == nil {
		showError(f.sh.win, app.FieldErrorf("发放批次", "请先选择已报送银行的批次"))
		return
	}
	id := b.ID
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		f.importFile(id, path)
	}, f.sh.win)
	d.SetFilter(fstorage.NewExtensionFileFilter([]string{".xlsx", ".csv", ".txt", ".XLSX", ".CSV"}))
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

// importFile reads a bank return file and records it for batch id.
func (f *funds) importFile(id, path string) {
	actor := f.sh.actor()
	f.run("正在导入银行回盘……", func(ctx context.Context) (string, error) {
		rows, err := sheets.ReadBankReturn(path)
		if err != nil {
			return "", err
		}
		sum, err := f.sh.store.ImportBankReturn(ctx, actor, id, rows)
		if err != nil {
			return "", err
		}
		msg := fmt.Sprintf("银行回盘已导入：到账 %d 户，合计 %s 元；失败 %d 户", sum.Paid, sum.PaidAmount, sum.Failed)
		if sum.Failed > 0 {
			msg += "（失败的将在下次生成发放名单时重新列入，请先核对账号）"
		}
		return msg + "。", nil
	})
}
