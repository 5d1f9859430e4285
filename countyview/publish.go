package countyview

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"jiuzhu/app"
)

// Publisher is what publishing needs from the county database
// (*sync.SQLiteStore implements it).
type Publisher interface {
	CountyRules(ctx context.Context) (app.RuleBook, []app.CalendarEntry, error)
	PublishCounty(ctx context.Context, typ string, payload any) error
}

// PublishResult says what a publication did.
type PublishResult struct {
	Published []string // rule set versions published
	Skipped   []string // already published, identical
	Entries   int      // calendar entries published
}

// PublishRules publishes rule sets county-wide (every device pulls them).
// Each set is validated; a set identical to one already published is
// skipped, so running the same command twice changes nothing. A different
// set with an effective date or version already published is refused, as a
// device refuses it: a published version is never silently replaced.
func PublishRules(ctx context.Context, p Publisher, sets []app.RuleSet, res *PublishResult) error {
	book, _, err := p.CountyRules(ctx)
	if err != nil {
		return err
	}
	var todo []app.RuleSet
	for _, rs := range sets {
		if err := rs.Validate(); err != nil {
			return fmt.Errorf("规则 %s：%w", rs.Version, err)
		}
		same := false
		for _, old := range book.Sets {
			if old.EffectiveFrom != rs.EffectiveFrom && old.Version != rs.Version {
				continue
			}
			if !sameJSON(old, rs) {
				return app.Errorf(app.ECONFLICT, "县里已发布 %s 起生效的规则（版本 %s），与文件中的版本 %s 不同；更正请用新的版本号和生效日期发布",
					old.EffectiveFrom, old.Version, rs.Version)
			}
			same = true
		}
		if same {
			res.Skipped = append(res.Skipped, rs.Version)
			continue
		}
		if err := book.Add(rs); err != nil {
			return err // two sets in the file collide
		}
		todo = append(todo, rs)
	}
	for _, rs := range todo {
		if err := p.PublishCounty(ctx, app.EventRulesSet, app.RulesSet{Rules: rs}); err != nil {
			return err
		}
		res.Published = append(res.Published, rs.Version)
	}
	return nil
}

// PublishCalendar publishes the holiday calendar entries the county has not
// published yet (an entry changed since is published again; the later wins).
func PublishCalendar(ctx context.Context, p Publisher, entries []app.CalendarEntry, res *PublishResult) error {
	if _, err := app.CalendarFromEntries(entries); err != nil {
		return err
	}
	_, old, err := p.CountyRules(ctx)
	if err != nil {
		return err
	}
	current := map[app.Date]app.CalendarEntry{}
	for _, e := range old {
		current[e.Date] = e
	}
	var todo []app.CalendarEntry
	for _, e := range entries {
		if c, ok := current[e.Date]; !ok || c != e {
			todo = append(todo, e)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if err := p.PublishCounty(ctx, app.EventCalendarSet, app.CalendarSet{Entries: todo}); err != nil {
		return err
	}
	res.Entries += len(todo)
	return nil
}

// PublishDefaults publishes the built-in rule book and the 2025-2027 holiday calendar.
func PublishDefaults(ctx context.Context, p Publisher, res *PublishResult) error {
	if err := PublishRules(ctx, p, app.DefaultRuleBook().Sets, res); err != nil {
		return err
	}
	return PublishCalendar(ctx, p, app.ChinaCalendar2025to2027().Entries(), res)
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// ParseRules reads a rules file: one rule set, an array of them, or a rule
// book ({"sets": [...]}).
func ParseRules(data []byte) ([]app.RuleSet, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var sets []app.RuleSet
		if err := strictJSON(data, &sets); err != nil {
			return nil, err
		}
		return sets, nil
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, app.Errorf(app.EINVALID, "规则文件不是有效的 JSON：%v", err)
	}
	if _, ok := probe["sets"]; ok {
		var book app.RuleBook
		if err := strictJSON(data, &book); err != nil {
			return nil, err
		}
		return book.Sets, nil
	}
	var rs app.RuleSet
	if err := strictJSON(data, &rs); err != nil {
		return nil, err
	}
	return []app.RuleSet{rs}, nil
}

// ParseCalendar reads a calendar file: an array of entries, or {"entries": [...]}.
func ParseCalendar(data []byte) ([]app.CalendarEntry, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var entries []app.CalendarEntry
		return entries, strictJSON(data, &entries)
	}
	var cs app.CalendarSet
	return cs.Entries, strictJSON(data, &cs)
}

// strictJSON refuses unknown fields: a misspelt parameter must not be
// published as its zero value.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return app.Errorf(app.EINVALID, "文件内容无法读取为%s：%v", kind(v), err)
	}
	return nil
}

func kind(v any) string {
	switch reflect.TypeOf(v).Elem().String() {
	case "app.CalendarSet", "[]app.CalendarEntry":
		return "节假日日历"
	}
	return "救助政策参数"
}
