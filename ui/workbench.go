package ui

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// workbench is 首页: today's work.
type workbench struct {
	sh        *Shell
	overdue   []storage.CaseRow
	dueSoon   []storage.CaseRow
	conflicts int
	pending   int
	counts    []storage.Count
	err       error
	// tiles that sync changes
	conflictsNum, pendingNum *widget.Label
}

func newWorkbench(sh *Shell) *workbench { return &workbench{sh: sh} }

// load reads everything the screen shows.
func (w *workbench) load() {
	st, ctx := w.sh.store, w.sh.ctx
	today := st.Today()
	var err error
	if w.overdue, w.dueSoon, err = st.DueCases(ctx, today, storage.DueSoonWorkingDays, 200); err != nil {
		w.err = err
	}
	if cs, err := st.Conflicts(ctx, true); err == nil {
		w.conflicts = len(cs)
	}
	w.pending, _ = st.Pending(ctx)
	w.counts, _ = st.Counts(ctx)
}

func (w *workbench) buildUI() fyne.CanvasObject {
	w.load()
	leadTile, leadCard := w.overdueLeads()
	tiles := container.NewGridWithColumns(5,
		w.tile("已逾期", len(w.overdue), "件", func() { w.sh.ShowCases() }, nil),
		w.tile(fmt.Sprintf("%d个工作日内到期", storage.DueSoonWorkingDays), len(w.dueSoon), "件", func() { w.sh.ShowCases() }, nil),
		w.tile("待处理冲突", w.conflicts, "条", w.sh.ShowConflicts, &w.conflictsNum),
		w.tile("待同步事件", w.pending, "条", w.sh.ShowSettings, &w.pendingNum),
		leadTile,
	)
	lists := container.NewGridWithColumns(2,
		widget.NewCard("已逾期的法定时限", "", w.deadlineList(w.overdue)),
		container.NewGridWithRows(2,
			widget.NewCard(fmt.Sprintf("%d个工作日内到期", storage.DueSoonWorkingDays), "", w.deadlineList(w.dueSoon)),
			leadCard))
	top := container.NewVBox(widget.NewLabelWithStyle("今日工作 · "+w.sh.store.Today().String(), fyne.TextAlignLeading,
		fyne.TextStyle{Bold: true}), tiles)
	if w.err != nil {
		top.Add(widget.NewLabel(errText(w.err)))
	}
	return container.NewBorder(top, nil, nil, widget.NewCard("按项目与状态统计", "", w.countsTable()), lists)
}

func (w *workbench) tile(title string, n int, unit string, open func(), label **widget.Label) fyne.CanvasObject {
	num := widget.NewLabelWithStyle(strconv.Itoa(n)+" "+unit, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	if label != nil {
		*label = num
	}
	btn := widget.NewButton("查看", open)
	return widget.NewCard(title, "", container.NewVBox(num, btn))
}

// syncChanged refreshes the tiles a sync round changes: events waiting, and
// conflicts (pulled events can bring some).
func (w *workbench) syncChanged(st syncState) {
	if !st.ended() {
		return
	}
	w.pending = st.Pending
	w.pendingNum.SetText(strconv.Itoa(w.pending) + " 条")
	if cs, err := w.sh.store.Conflicts(w.sh.ctx, true); err == nil {
		w.conflicts = len(cs)
		w.conflictsNum.SetText(strconv.Itoa(w.conflicts) + " 条")
	}
}

func (w *workbench) deadlineList(rows []storage.CaseRow) fyne.CanvasObject {
	l := widget.NewList(func() int { return len(rows) },
		func() fyne.CanvasObject {
			return widget.NewLabel("2024-01-01  张三三  低保  家庭经济状况调查  桃园村")
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			r := rows[i]
			o.(*widget.Label).SetText(fmt.Sprintf("%s  %s  %s  %s  %s", r.NextDue, r.HeadName, r.Program.Label(),
				r.NextStep.Label(), r.VillageName))
		})
	l.OnSelected = func(i widget.ListItemID) { w.sh.ShowCase(rows[i].CaseID) }
	return l
}

// countsTable has states down and programs across, only states that occur.
func (w *workbench) countsTable() fyne.CanvasObject {
	grid := map[app.State]map[app.Program]int{}
	for _, c := range w.counts {
		if grid[c.State] == nil {
			grid[c.State] = map[app.Program]int{}
		}
		grid[c.State][c.Program] += c.Cases
	}
	bold := fyne.TextStyle{Bold: true}
	g := container.NewGridWithColumns(len(app.Programs) + 1)
	g.Add(widget.NewLabelWithStyle("状态", fyne.TextAlignLeading, bold))
	for _, p := range app.Programs {
		g.Add(widget.NewLabelWithStyle(p.Label(), fyne.TextAlignTrailing, bold))
	}
	totals := map[app.Program]int{}
	for _, s := range app.States {
		if grid[s] == nil {
			continue
		}
		g.Add(widget.NewLabel(s.Label()))
		for _, p := range app.Programs {
			totals[p] += grid[s][p]
			g.Add(widget.NewLabelWithStyle(strconv.Itoa(grid[s][p]), fyne.TextAlignTrailing, fyne.TextStyle{}))
		}
	}
	g.Add(widget.NewLabelWithStyle("合计", fyne.TextAlignLeading, bold))
	for _, p := range app.Programs {
		g.Add(widget.NewLabelWithStyle(strconv.Itoa(totals[p]), fyne.TextAlignTrailing, bold))
	}
	return g
}
