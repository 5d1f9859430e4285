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

const pageSize = 100

// caseList is the household and case list: one search box, filters, a
// virtualised sortable table, paging through storage (Limit/Offset).
type caseList struct {
	sh       *Shell
	filter   storage.CaseFilter
	rows     []storage.CaseRow
	total    int
	villages []storage.Village

	search  *widget.Entry
	village *widget.Select
	program *widget.Select
	state   *widget.Select
	table   *widget.Table
	page    *widget.Label
	message *widget.Label
}

func newCaseList(sh *Shell) *caseList {
	return &caseList{sh: sh, filter: storage.CaseFilter{Limit: pageSize}}
}

type column struct {
	title string
	sort  string // "" = not sortable
	width float32
	value func(r storage.CaseRow) string
}

var caseColumns = []column{
	{"户主", "name", 100, func(r storage.CaseRow) string { return r.HeadName }},
	{"村(社区)", "village", 110, func(r storage.CaseRow) string { return r.VillageName }},
	{"项目", "program", 80, func(r storage.CaseRow) string { return r.Program.Label() }},
	{"状态", "state", 140, func(r storage.CaseRow) string { return r.State.Label() }},
	{"人数", "", 50, func(r storage.CaseRow) string { return strconv.Itoa(r.Persons) }},
	{"金额(元)", "amount", 100, func(r storage.CaseRow) string { return r.Amount.String() }},
	{"申请日期", "applied", 110, func(r storage.CaseRow) string { return r.AppliedOn }},
	{"下一步", "", 150, func(r storage.CaseRow) string { return r.NextStep.Label() }},
	{"期限", "due", 110, func(r storage.CaseRow) string { return r.NextDue }},
}

func (c *caseList) buildUI() fyne.CanvasObject {
	c.search = widget.NewEntry()
	c.search.SetPlaceHolder("姓名或身份证号片段")
	c.search.OnSubmitted = func(string) { c.onSearch() }
	c.villages, _ = c.sh.store.Villages(c.sh.ctx)
	vopts := []string{"全部村(社区)"}
	for _, v := range c.villages {
		vopts = append(vopts, v.Name)
	}
	c.village = widget.NewSelect(vopts, func(string) { c.onSearch() })
	popts := []string{"全部项目"}
	for _, p := range app.Programs {
		popts = append(popts, p.Label())
	}
	c.program = widget.NewSelect(popts, func(string) { c.onSearch() })
	sopts := []string{"全部状态"}
	for _, s := range app.States {
		sopts = append(sopts, s.Label())
	}
	c.state = widget.NewSelect(sopts, func(string) { c.onSearch() })
	c.message = widget.NewLabel("")
	c.page = widget.NewLabel("")
	c.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(c.rows), len(caseColumns) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(caseColumns[id.Col].value(c.rows[id.Row]))
		})
	c.table.ShowHeaderColumn = false
	c.table.CreateHeader = func() fyne.CanvasObject { return widget.NewButton("", nil) }
	c.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		b := o.(*widget.Button)
		if id.Col < 0 {
			return
		}
		col := caseColumns[id.Col]
		text := col.title
		if col.sort != "" && col.sort == c.filter.Sort {
			text += map[bool]string{true: " ▼", false: " ▲"}[c.filter.Desc]
		}
		b.SetText(text)
		b.OnTapped = func() { c.onSort(col.sort) }
	}
	for i, col := range caseColumns {
		c.table.SetColumnWidth(i, col.width)
	}
	c.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(c.rows) {
			c.sh.ShowCase(c.rows[id.Row].CaseID)
		}
	}
	c.village.SetSelectedIndex(0)
	c.program.SetSelectedIndex(0)
	c.state.SetSelectedIndex(0)
	searchBtn := widget.NewButton("搜索", c.onSearch)
	searchBtn.Importance = widget.HighImportance
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(c.village, c.program, c.state, searchBtn), c.search)
	pager := container.NewHBox(widget.NewButton("上一页", c.onPrev), c.page, widget.NewButton("下一页", c.onNext), c.message)
	c.reload()
	return container.NewBorder(bar, pager, nil, nil, c.table)
}

// onSearch applies the search box and filters from the first page.
func (c *caseList) onSearch() {
	if c.table == nil || c.state == nil {
		return // still building
	}
	c.filter.Query = c.search.Text
	c.filter.VillageCode, c.filter.Program, c.filter.State = "", "", ""
	if i := c.village.SelectedIndex(); i > 0 {
		c.filter.VillageCode = c.villages[i-1].Code
	}
	if i := c.program.SelectedIndex(); i > 0 {
		c.filter.Program = app.Programs[i-1]
	}
	if i := c.state.SelectedIndex(); i > 0 {
		c.filter.State = app.States[i-1]
	}
	c.filter.Offset = 0
	c.reload()
}

func (c *caseList) onSort(key string) {
	if key == "" {
		return
	}
	if c.filter.Sort == key {
		c.filter.Desc = !c.filter.Desc
	} else {
		c.filter.Sort, c.filter.Desc = key, false
	}
	c.filter.Offset = 0
	c.reload()
}

func (c *caseList) onPrev() {
	if c.filter.Offset >= pageSize {
		c.filter.Offset -= pageSize
		c.reload()
	}
}

func (c *caseList) onNext() {
	if c.filter.Offset+pageSize < c.total {
		c.filter.Offset += pageSize
		c.reload()
	}
}

func (c *caseList) reload() {
	st, ctx := c.sh.store, c.sh.ctx
	rows, err := st.Cases(ctx, c.filter)
	if err != nil {
		c.message.SetText(errText(err))
		return
	}
	c.message.SetText("")
	c.rows = rows
	c.total, _ = st.CountCases(ctx, c.filter)
	pages := max(1, (c.total+pageSize-1)/pageSize)
	c.page.SetText(fmt.Sprintf("共 %d 件，第 %d/%d 页", c.total, c.filter.Offset/pageSize+1, pages))
	c.table.Refresh()
	c.table.ScrollToTop()
}
