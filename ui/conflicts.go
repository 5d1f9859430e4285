package ui

import (
	"encoding/json"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
)

// conflicts shows each open conflict with both versions side by side and
// lets a person keep one.
type conflicts struct {
	sh   *Shell
	list []app.Conflict
}

func newConflicts(sh *Shell) *conflicts { return &conflicts{sh: sh} }

func (c *conflicts) buildUI() fyne.CanvasObject {
	var err error
	c.list, err = c.sh.store.Conflicts(c.sh.ctx, true)
	title := widget.NewLabelWithStyle("数据冲突：两台设备修改了同一内容，请选择保留哪一个版本", fyne.TextAlignLeading,
		fyne.TextStyle{Bold: true})
	box := container.NewVBox()
	if err != nil {
		box.Add(widget.NewLabel(errText(err)))
	}
	if len(c.list) == 0 {
		box.Add(widget.NewLabel("没有待处理的冲突。"))
	}
	for _, k := range c.list {
		box.Add(c.card(k))
	}
	return container.NewBorder(title, nil, nil, nil, container.NewVScroll(box))
}

// subjectLabel names what the conflict is about in Chinese.
func (c *conflicts) subjectLabel(k app.Conflict) string {
	who := ""
	if agg, err := c.sh.store.Household(c.sh.ctx, k.HouseholdID); err == nil {
		head, _ := agg.Household.Head()
		who = head.Name + "户"
		if k.Target != "" {
			if m, ok := agg.Household.Member(k.Target); ok {
				who += " 成员" + m.Name
			}
		}
	}
	if k.Kind == app.ConflictDecision {
		return who + " · 审批决定：" + app.Action(k.Subject).Label()
	}
	if l, ok := app.FieldLabels[k.Subject]; ok {
		return who + " · " + l
	}
	return who + " · " + k.Subject
}

// valueText shows a stored JSON value as a person reads it.
func valueText(raw string) string {
	var v any
	if json.Unmarshal([]byte(raw), &v) != nil {
		return raw
	}
	switch x := v.(type) {
	case string:
		if l := app.Action(x).Label(); l != x {
			return l
		}
		return x
	case bool:
		return map[bool]string{true: "是", false: "否"}[x]
	case nil:
		return "（空）"
	}
	return raw
}

func (c *conflicts) author(eventID string) string {
	e, err := c.sh.store.Event(c.sh.ctx, eventID)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s（%s）%s", e.Actor.Name, e.Actor.Role.Label(), hlcTime(e.HLC))
}

func (c *conflicts) card(k app.Conflict) fyne.CanvasObject {
	side := func(title, value, author, button, choice string) fyne.CanvasObject {
		b := widget.NewButton(button, func() { c.onResolve(k.ID, choice) })
		b.Importance = widget.HighImportance
		v := wrapLabel(valueText(value))
		v.TextStyle.Bold = true
		return widget.NewCard(title, author, container.NewVBox(v, b))
	}
	return widget.NewCard(c.subjectLabel(k), "", container.NewGridWithColumns(2,
		side("现行版本", k.KeptValue, c.author(k.KeptEvent), "保留现行版本", app.ChoiceKept),
		side("另一版本", k.OtherValue, c.author(k.OtherEvent), "改用此版本", app.ChoiceOther)))
}

func (c *conflicts) onResolve(id, choice string) {
	if err := c.sh.store.ResolveConflict(c.sh.ctx, c.sh.actor(), id, choice, ""); err != nil {
		showError(c.sh.win, err)
		return
	}
	c.sh.ShowConflicts()
}

var _ = strings.TrimSpace
