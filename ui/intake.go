package ui

import (
	"encoding/json"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// intakeDraft is the form as typed; it is written to a JSON file next to the
// database on every change, so nothing typed is lost.
type intakeDraft struct {
	Village int           `json:"village"`
	Address string        `json:"address"`
	Phone   string        `json:"phone"`
	Urban   bool          `json:"urban"`
	Bank    string        `json:"bank"`
	Account string        `json:"account"`
	Members []draftMember `json:"members"`
	Incomes []draftMoney  `json:"incomes"`
	Assets  []draftMoney  `json:"assets"`
	Program int           `json:"program"`
	Urgent  bool          `json:"urgent"`
	Reason  string        `json:"reason"`
}

type draftMember struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	Relation int    `json:"relation"`
}

type draftMoney struct {
	Kind   int    `json:"kind"`
	Amount string `json:"amount"`
}

// intake is 申请登记: a household, its members, incomes and assets, and the program.
type intake struct {
	sh       *Shell
	d        intakeDraft
	villages []storage.Village
	loading  bool

	village  *widget.Select
	address  *widget.Entry
	phone    *widget.Entry
	area     *widget.RadioGroup
	bank     *widget.Entry
	account  *widget.Entry
	members  *fyne.Container
	incomes  *fyne.Container
	assets   *fyne.Container
	program  *widget.Select
	tempKind *widget.RadioGroup
	reason   *widget.Entry
	problems *widget.Label
	scroll   *container.Scroll

	memberRows []*memberRow
	incomeRows []*moneyRow
	assetRows  []*moneyRow
}

type memberRow struct {
	name, id *widget.Entry
	relation *widget.Select
	info     *widget.Label
}

type moneyRow struct {
	kind   *widget.Select
	amount *widget.Entry
}

func newIntake(sh *Shell) *intake { return &intake{sh: sh} }

// intakeDraftName names the intake draft in the database (sealed there like
// all personal data).
const intakeDraftName = "intake"

func (f *intake) buildUI() fyne.CanvasObject {
	f.loading = true
	defer func() { f.loading = false; f.validate() }()
	f.villages, _ = f.sh.store.Villages(f.sh.ctx)
	var vnames []string
	for _, v := range f.villages {
		vnames = append(vnames, v.Name)
	}
	changed := func(string) { f.onChanged() }
	f.village = widget.NewSelect(vnames, changed)
	f.village.PlaceHolder = "请选择村(社区)"
	f.address = entry("住址", changed)
	f.phone = entry("联系电话", changed)
	f.area = widget.NewRadioGroup([]string{app.AreaRural.Label(), app.AreaUrban.Label()}, changed)
	f.area.Horizontal = true
	f.bank = entry("开户银行", changed)
	f.account = entry("银行账号", changed)
	f.members = container.NewVBox()
	f.incomes = container.NewVBox()
	f.assets = container.NewVBox()
	var pnames []string
	for _, p := range app.Programs {
		pnames = append(pnames, p.Label())
	}
	f.program = widget.NewSelect(pnames, changed)
	f.program.PlaceHolder = "请选择"
	f.tempKind = widget.NewRadioGroup([]string{app.TempUrgent.Label(), app.TempSpending.Label()}, changed)
	f.tempKind.Horizontal = true
	f.reason = widget.NewMultiLineEntry()
	f.reason.SetPlaceHolder("申请理由（家庭困难情况）")
	f.reason.SetMinRowsVisible(2)
	f.reason.OnChanged = changed
	f.problems = widget.NewLabel("")
	f.problems.Wrapping = fyne.TextWrapWord
	f.problems.Importance = widget.DangerImportance

	f.loadDraft()

	household := widget.NewForm(
		widget.NewFormItem("村(社区)", f.village), widget.NewFormItem("住址", f.address),
		widget.NewFormItem("城乡类别", f.area), widget.NewFormItem("联系电话", f.phone),
		widget.NewFormItem("开户银行", f.bank), widget.NewFormItem("银行账号", f.account))
	apply := widget.NewForm(widget.NewFormItem("救助项目", f.program), widget.NewFormItem("临时救助类型", f.tempKind),
		widget.NewFormItem("申请理由", f.reason))
	save := widget.NewButton("提交申请", f.onSubmit)
	save.Importance = widget.HighImportance
	clear := widget.NewButton("清空草稿", f.onClear)
	left := container.NewVBox(widget.NewCard("家庭", "", household), widget.NewCard("申请", "", apply))
	right := container.NewVBox(
		widget.NewCard("家庭成员", "身份证号输入后即校验，出生日期和性别由号码得出",
			container.NewVBox(f.members, widget.NewButton("添加成员", func() { f.addMember(draftMember{Relation: 2}) }))),
		widget.NewCard("月收入", "", container.NewVBox(f.incomes, widget.NewButton("添加收入", func() { f.addIncome(draftMoney{}) }))),
		widget.NewCard("家庭财产", "", container.NewVBox(f.assets, widget.NewButton("添加财产", func() { f.addAsset(draftMoney{}) }))))
	form := container.NewGridWithColumns(2, left, right)
	bottom := container.NewBorder(nil, nil, nil, container.NewHBox(clear, save), f.problems)
	title := widget.NewLabelWithStyle("申请登记（草稿自动保存）", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	f.scroll = container.NewVScroll(form)
	return container.NewBorder(title, bottom, nil, nil, f.scroll)
}

func entry(placeholder string, changed func(string)) *widget.Entry {
	e := widget.NewEntry()
	e.SetPlaceHolder(placeholder)
	e.OnChanged = changed
	return e
}

func relationNames() []string {
	out := make([]string, len(app.Relations))
	for i, r := range app.Relations {
		out[i] = r.Label()
	}
	return out
}

func (f *intake) addMember(m draftMember) {
	r := &memberRow{name: entry("姓名", nil), id: entry("身份证号", nil), info: widget.NewLabel("")}
	r.relation = widget.NewSelect(relationNames(), nil)
	r.relation.PlaceHolder = "关系"
	r.name.SetText(m.Name)
	r.id.SetText(m.ID)
	r.relation.SetSelectedIndex(m.Relation)
	changed := func(string) { f.onChanged() }
	r.name.OnChanged, r.id.OnChanged, r.relation.OnChanged = changed, changed, changed
	r.info.Wrapping = fyne.TextWrapWord
	f.memberRows = append(f.memberRows, r)
	del := widget.NewButton("删除", nil)
	row := container.NewVBox(container.NewBorder(nil, nil, nil, container.NewHBox(r.relation, del),
		container.NewGridWithColumns(2, r.name, r.id)), r.info)
	del.OnTapped = func() {
		f.members.Remove(row)
		for i, x := range f.memberRows {
			if x == r {
				f.memberRows = append(f.memberRows[:i], f.memberRows[i+1:]...)
				break
			}
		}
		f.onChanged()
	}
	f.members.Add(row)
	f.onChanged()
}

func (f *intake) addMoneyRow(box *fyne.Container, rows *[]*moneyRow, kinds []string, m draftMoney) {
	r := &moneyRow{kind: widget.NewSelect(kinds, nil), amount: entry("金额（元）", nil)}
	r.kind.PlaceHolder = "类别"
	r.kind.SetSelectedIndex(m.Kind)
	r.amount.SetText(m.Amount)
	changed := func(string) { f.onChanged() }
	r.kind.OnChanged, r.amount.OnChanged = changed, changed
	*rows = append(*rows, r)
	del := widget.NewButton("删除", nil)
	row := container.NewBorder(nil, nil, nil, del, container.NewGridWithColumns(2, r.kind, r.amount))
	del.OnTapped = func() {
		box.Remove(row)
		for i, x := range *rows {
			if x == r {
				*rows = append((*rows)[:i], (*rows)[i+1:]...)
				break
			}
		}
		f.onChanged()
	}
	box.Add(row)
	f.onChanged()
}

func (f *intake) addIncome(m draftMoney) {
	var kinds []string
	for _, k := range app.IncomeKinds {
		kinds = append(kinds, k.Label())
	}
	f.addMoneyRow(f.incomes, &f.incomeRows, kinds, m)
}

func (f *intake) addAsset(m draftMoney) {
	var kinds []string
	for _, k := range app.AssetKinds {
		kinds = append(kinds, k.Label())
	}
	f.addMoneyRow(f.assets, &f.assetRows, kinds, m)
}

// onChanged saves the draft and re-validates.
func (f *intake) onChanged() {
	if f.loading {
		return
	}
	f.collect()
	f.saveDraft()
	f.validate()
	if f.scroll != nil {
		f.scroll.Refresh() // rows added or removed change the form's height
	}
}

func (f *intake) collect() {
	d := intakeDraft{Village: f.village.SelectedIndex(), Address: f.address.Text, Phone: f.phone.Text,
		Urban: f.area.Selected == app.AreaUrban.Label(), Bank: f.bank.Text, Account: f.account.Text,
		Program: f.program.SelectedIndex(), Urgent: f.tempKind.Selected == app.TempUrgent.Label(), Reason: f.reason.Text}
	for _, r := range f.memberRows {
		d.Members = append(d.Members, draftMember{r.name.Text, r.id.Text, r.relation.SelectedIndex()})
	}
	for _, r := range f.incomeRows {
		d.Incomes = append(d.Incomes, draftMoney{r.kind.SelectedIndex(), r.amount.Text})
	}
	for _, r := range f.assetRows {
		d.Assets = append(d.Assets, draftMoney{r.kind.SelectedIndex(), r.amount.Text})
	}
	f.d = d
}

func (f *intake) saveDraft() {
	b, _ := json.Marshal(f.d)
	if err := f.sh.store.SaveDraft(f.sh.ctx, intakeDraftName, b); err != nil {
		showError(f.sh.win, err)
	}
}

func (f *intake) loadDraft() {
	d := intakeDraft{Village: -1, Program: 0, Members: []draftMember{{Relation: 0}}}
	if b, err := f.sh.store.Draft(f.sh.ctx, intakeDraftName); err == nil && b != nil {
		_ = json.Unmarshal(b, &d)
	}
	f.village.SetSelectedIndex(d.Village)
	f.address.SetText(d.Address)
	f.phone.SetText(d.Phone)
	f.area.SetSelected(map[bool]string{true: app.AreaUrban.Label(), false: app.AreaRural.Label()}[d.Urban])
	f.bank.SetText(d.Bank)
	f.account.SetText(d.Account)
	f.program.SetSelectedIndex(d.Program)
	f.tempKind.SetSelected(map[bool]string{true: app.TempUrgent.Label(), false: app.TempSpending.Label()}[d.Urgent])
	f.reason.SetText(d.Reason)
	for _, m := range d.Members {
		f.addMember(m)
	}
	for _, m := range d.Incomes {
		f.addIncome(m)
	}
	for _, m := range d.Assets {
		f.addAsset(m)
	}
	f.d = d
}

// household builds the app.Household from the form; money that does not
// parse is reported as a problem.
func (f *intake) household() (app.Household, app.Problems) {
	var p app.Problems
	h := app.Household{TownshipCode: f.sh.store.Device().TownshipCode, Address: strings.TrimSpace(f.address.Text),
		Phone: strings.TrimSpace(f.phone.Text), BankName: strings.TrimSpace(f.bank.Text),
		BankAccount: strings.TrimSpace(f.account.Text), Area: app.AreaRural}
	if f.area.Selected == app.AreaUrban.Label() {
		h.Area = app.AreaUrban
	}
	if i := f.village.SelectedIndex(); i >= 0 && i < len(f.villages) {
		h.VillageCode, h.VillageName = f.villages[i].Code, f.villages[i].Name
	} else {
		p = append(p, app.FieldErrorf("村(社区)", "请选择村(社区)"))
	}
	for _, r := range f.memberRows {
		m := app.Member{Name: r.name.Text, IDNumber: r.id.Text, Covered: true}
		if i := r.relation.SelectedIndex(); i >= 0 {
			m.Relation = app.Relations[i]
		}
		h.Members = append(h.Members, m)
	}
	money := func(label string, i int, s string) app.Money {
		v, err := app.ParseMoney(strings.TrimSpace(s))
		if err != nil {
			p = append(p, app.FieldErrorf(fmt.Sprintf("第%d项%s", i+1, label), "请填写金额（元），如 1200 或 1200.50"))
		}
		return v
	}
	for i, r := range f.incomeRows {
		h.Incomes = append(h.Incomes, app.Income{Kind: app.IncomeKinds[max(r.kind.SelectedIndex(), 0)], Monthly: money("收入", i, r.amount.Text)})
	}
	for i, r := range f.assetRows {
		h.Assets = append(h.Assets, app.Asset{Kind: app.AssetKinds[max(r.kind.SelectedIndex(), 0)], Value: money("财产", i, r.amount.Text)})
	}
	return h, p
}

// validate shows, per member, what the ID number tells (or what is wrong with
// it) and a warning for a person registered in another household, and lists
// the household's problems.
func (f *intake) validate() {
	if f.loading || f.problems == nil {
		return
	}
	today := f.sh.store.Today()
	for _, r := range f.memberRows {
		if strings.TrimSpace(r.id.Text) == "" {
			r.info.SetText("")
			continue
		}
		info, err := app.ParseIDAt(r.id.Text, today)
		if err != nil {
			r.info.Importance = widget.DangerImportance
			r.info.SetText(errText(err))
			continue
		}
		text := fmt.Sprintf("出生 %s · %s · %d岁", info.Birth, info.Sex.Label(), info.Age(today))
		r.info.Importance = widget.MediumImportance
		if others, err := f.sh.store.PersonElsewhere(f.sh.ctx, info.Number, ""); err == nil && len(others) > 0 {
			o := others[0]
			text += fmt.Sprintf("\n注意：此人已登记在%s %s户（%s），请核实是否重复登记", o.VillageName, o.HeadName, o.Relation.Label())
			r.info.Importance = widget.WarningImportance
		}
		r.info.SetText(text)
	}
	h, p := f.household()
	p = append(p, h.Validate(today)...)
	if len(p) == 0 {
		f.problems.SetText("填写完整，可以提交。")
		f.problems.Importance = widget.SuccessImportance
	} else {
		f.problems.SetText(p.Error())
		f.problems.Importance = widget.DangerImportance
	}
	f.problems.Refresh()
}

// onSubmit registers the household and opens the case.
func (f *intake) onSubmit() {
	f.collect()
	h, p := f.household()
	if len(p) > 0 {
		showError(f.sh.win, p)
		return
	}
	a := &app.CaseApplied{Program: app.Programs[max(f.program.SelectedIndex(), 0)], AppliedOn: f.sh.store.Today(),
		Reason: strings.TrimSpace(f.reason.Text)}
	if a.Program == app.ProgramTemporary {
		a.TempKind = app.TempSpending
		if f.tempKind.Selected == app.TempUrgent.Label() {
			a.TempKind = app.TempUrgent
		}
	}
	_, caseID, err := f.sh.store.RegisterHousehold(f.sh.ctx, f.sh.actor(), h, a)
	if err != nil {
		showError(f.sh.win, err)
		return
	}
	_ = f.sh.store.DeleteDraft(f.sh.ctx, intakeDraftName)
	f.sh.ShowCase(caseID)
	dialog.ShowInformation("已登记", "申请已登记，案件已建立。", f.sh.win)
}

func (f *intake) onClear() {
	dialog.ShowConfirm("清空草稿", "确定清空已填写的内容？", func(ok bool) {
		if ok {
			_ = f.sh.store.DeleteDraft(f.sh.ctx, intakeDraftName)
			f.sh.ShowIntake()
		}
	}, f.sh.win)
}
