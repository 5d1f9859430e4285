package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"jiuzhu/app"
)

// RegisterHousehold validates and registers a household with its members and
// opens a case for program (no case when program is ""). It returns the
// household and case IDs.
func (s *Store) RegisterHousehold(ctx context.Context, actor app.Actor, h app.Household, apply *app.CaseApplied) (string, string, error) {
	ids, err := s.RegisterHouseholds(ctx, actor, []Registration{{Household: h, Apply: apply}})
	if err != nil {
		return "", "", err
	}
	return ids[0].HouseholdID, ids[0].CaseID, nil
}

// Registration is one household for RegisterHouseholds.
type Registration struct {
	Household app.Household
	Apply     *app.CaseApplied
}

// Registered names what a registration created.
type Registered struct{ HouseholdID, CaseID string }

// RegisterHouseholds registers many households in one transaction (imports,
// demo data): all are saved or, if one is invalid, none.
func (s *Store) RegisterHouseholds(ctx context.Context, actor app.Actor, regs []Registration) ([]Registered, error) {
	if actor.Role == app.RoleCounty {
		return nil, app.Errorf(app.EFORBIDDEN, "县级用户不在乡镇登记家庭")
	}
	today := s.Today()
	drafts := make([]draft, 0, 2*len(regs))
	out := make([]Registered, len(regs))
	for i, r := range regs {
		h := r.Household
		if h.TownshipCode == "" {
			h.TownshipCode = s.device.TownshipCode
		}
		isNew := h.ID == ""
		if isNew {
			h.ID = app.NewID()
		}
		for j := range h.Members {
			app.NormalizeMember(&h.Members[j])
			if h.Members[j].ID == "" {
				h.Members[j].ID = app.NewID()
			}
		}
		if err := h.Validate(today).Err(); err != nil {
			return nil, err
		}
		if h.TownshipCode != s.device.TownshipCode {
			return nil, app.FieldErrorf("乡镇代码", "本设备属于乡镇 %s，不能登记其他乡镇的家庭", s.device.TownshipCode)
		}
		out[i].HouseholdID = h.ID
		drafts = append(drafts, draft{Type: app.EventHouseholdRegistered, HouseholdID: h.ID, VillageCode: h.VillageCode,
			Payload: app.HouseholdRegistered{Household: h}, NewHousehold: isNew})
		if r.Apply != nil {
			a := *r.Apply
			if err := validateApplication(a, today); err != nil {
				return nil, err
			}
			out[i].CaseID = app.NewID()
			drafts = append(drafts, draft{Type: app.EventCaseApplied, HouseholdID: h.ID, CaseID: out[i].CaseID,
				VillageCode: h.VillageCode, Payload: a})
		}
	}
	if _, err := s.append(ctx, actor, drafts...); err != nil {
		return nil, err
	}
	return out, nil
}

func validateApplication(a app.CaseApplied, today app.Date) error {
	if a.Program.Label() == string(a.Program) {
		return app.FieldErrorf("救助项目", "请选择低保、特困或临时救助")
	}
	if a.AppliedOn.IsZero() || a.AppliedOn.After(today) {
		return app.FieldErrorf("申请日期", "申请日期不能为空，也不能晚于今天")
	}
	if a.Program == app.ProgramTemporary && a.TempKind != app.TempUrgent && a.TempKind != app.TempSpending {
		return app.FieldErrorf("临时救助类型", "请选择急难型或支出型")
	}
	if en := a.Enrolled; en != nil {
		switch {
		case a.Program == app.ProgramTemporary:
			return app.FieldErrorf("救助类别", "临时救助是一次性救助，不作为存量对象导入")
		case en.Since.IsZero() || en.Since.After(today):
			return app.FieldErrorf("纳入时间", "存量对象须有纳入时间，且不能晚于今天")
		case en.Amount <= 0:
			return app.FieldErrorf("月保障金额", "存量对象须有月保障金额")
		}
	}
	return nil
}

// Apply opens a new case for an existing household.
func (s *Store) Apply(ctx context.Context, actor app.Actor, householdID string, a app.CaseApplied) (string, error) {
	if err := validateApplication(a, s.Today()); err != nil {
		return "", err
	}
	agg, err := s.Household(ctx, householdID)
	if err != nil {
		return "", err
	}
	for _, c := range agg.Cases {
		if c.Program == a.Program && c.State.Active() && a.Program != app.ProgramTemporary {
			return "", app.Errorf(app.ECONFLICT, "该户已有办理中的%s案件（%s），不能重复申请", a.Program.Label(), c.State.Label())
		}
	}
	id := app.NewID()
	_, err = s.append(ctx, actor, draft{Type: app.EventCaseApplied, HouseholdID: householdID, CaseID: id,
		VillageCode: agg.Household.VillageCode, Payload: a})
	return id, err
}

// Step takes a workflow step on a case as actor. It checks the step against
// the case as stored now (state, role, required data), fills in the amount the
// rules give for a decision, and records the event. Nothing is written on error.
func (s *Store) Step(ctx context.Context, actor app.Actor, caseID string, action app.Action, data app.StepData) error {
	c, agg, err := s.caseWithHousehold(ctx, caseID)
	if err != nil {
		return err
	}
	fc, err := loadFoldContext(ctx, s.db)
	if err != nil {
		return err
	}
	if data.Date.IsZero() {
		data.Date = s.Today()
	}
	if data.Date.After(s.Today()) {
		return app.FieldErrorf("办理日期", "办理日期不能晚于今天")
	}
	sc := fc.StepContext(data.Date)
	if c.Program != app.ProgramTemporary && (action == app.ActionApprove || action == app.ActionReview) && data.Amount == 0 {
		data.Amount = app.DecidedAmount(c, &agg.Household, sc.Rules).Amount
	}
	if c.Program == app.ProgramTemporary && (action == app.ActionApprove || action == app.ActionPayFirst) {
		if needsCounty, err := app.CheckTempGrant(sc.Rules, data.Amount, s.reserveBalance(ctx, sc.Rules, data.Date)); err != nil {
			return err
		} else if needsCounty {
			return app.FieldErrorf("救助金额", "金额超过乡镇审批额度 %s 元，请选择“报县审批”", sc.Rules.TempTownshipLimit)
		}
	}
	trial := *c
	if err := trial.Apply(action, actor.Role, data, sc); err != nil {
		return err
	}
	_, err = s.append(ctx, actor, draft{Type: app.EventCaseStep, HouseholdID: c.HouseholdID, CaseID: c.ID,
		VillageCode: agg.Household.VillageCode, Payload: app.CaseStep{Action: action, Data: data, Prev: c.LastStep}})
	return err
}

// reserveBalance is the 临时救助 reserve fund left in the year of d: the
// annual fund minus township-approved grants of that year.
func (s *Store) reserveBalance(ctx context.Context, rs app.RuleSet, d app.Date) app.Money {
	var used int64
	year := fmt.Sprintf("%04d", d.Year)
	_ = s.db.QueryRowContext(ctx, `SELECT COALESCE(sum(amount), 0) FROM cases WHERE program = 'temporary'
		AND json_extract(dec(data), '$.county_grant') IS NOT 1 AND substr(json_extract(dec(data), '$.decided_on'), 1, 4) = ?
		AND state IN ('approved', 'paid', 'paid_first', 'archived')`, year).Scan(&used)
	return rs.TempReserveFund - app.Money(used)
}

// ReserveBalance reports the reserve fund left on date d.
func (s *Store) ReserveBalance(ctx context.Context, d app.Date) (app.Money, app.RuleSet, error) {
	fc, err := loadFoldContext(ctx, s.db)
	if err != nil {
		return 0, app.RuleSet{}, err
	}
	rs := fc.StepContext(d).Rules
	return s.reserveBalance(ctx, rs, d), rs, nil
}

// SetField changes one field of a household (memberID "") or of a member.
func (s *Store) SetField(ctx context.Context, actor app.Actor, householdID, memberID, field string, value any) error {
	if !app.ValidField(memberID, field) {
		return app.Errorf(app.EINVALID, "字段“%s”不能修改", field)
	}
	agg, err := s.Household(ctx, householdID)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(value)
	if err != nil {
		return app.Errorf(app.EINVALID, "字段“%s”的值无效", app.FieldLabels[field])
	}
	trial := *agg
	trial.Household.Members = append([]app.Member(nil), agg.Household.Members...)
	if err := trial.ForceField("", memberID, field, raw); err != nil {
		return app.Errorf(app.EINVALID, "字段“%s”的值无效", app.FieldLabels[field])
	}
	if err := trial.Household.Validate(s.Today()).Err(); err != nil {
		return err
	}
	prev := agg.FieldEvents[memberID+"/"+field]
	_, err = s.append(ctx, actor, draft{Type: app.EventFieldSet, HouseholdID: householdID,
		VillageCode: agg.Household.VillageCode, Payload: app.FieldSet{MemberID: memberID, Field: field, Value: raw, Prev: prev}})
	return err
}

// AddMember adds a member to a household after validating the whole household.
func (s *Store) AddMember(ctx context.Context, actor app.Actor, householdID string, m app.Member) (string, error) {
	agg, err := s.Household(ctx, householdID)
	if err != nil {
		return "", err
	}
	app.NormalizeMember(&m)
	if m.ID == "" {
		m.ID = app.NewID()
	}
	trial := agg.Household
	trial.Members = append(append([]app.Member(nil), agg.Household.Members...), m)
	if err := trial.Validate(s.Today()).Err(); err != nil {
		return "", err
	}
	_, err = s.append(ctx, actor, draft{Type: app.EventMemberAdded, HouseholdID: householdID,
		VillageCode: agg.Household.VillageCode, Payload: app.MemberAdded{Member: m}})
	return m.ID, err
}

// RemoveMember removes a member (death, moving out) with a reason.
func (s *Store) RemoveMember(ctx context.Context, actor app.Actor, householdID, memberID, reason string) error {
	agg, err := s.Household(ctx, householdID)
	if err != nil {
		return err
	}
	m, ok := agg.Household.Member(memberID)
	if !ok {
		return app.Errorf(app.ENOTFOUND, "未找到该家庭成员")
	}
	if m.Relation == app.RelationHead {
		return app.Errorf(app.ECONFLICT, "不能直接移除户主，请先变更户主")
	}
	if strings.TrimSpace(reason) == "" {
		return app.FieldErrorf("原因", "请填写移除原因（死亡、迁出等）")
	}
	_, err = s.append(ctx, actor, draft{Type: app.EventMemberRemoved, HouseholdID: householdID,
		VillageCode: agg.Household.VillageCode, Payload: app.MemberRemoved{MemberID: memberID, Reason: reason}})
	return err
}

// MaxAttachment is the largest scan or photo accepted (a phone photo of a page is a few MB).
const MaxAttachment = 32 << 20

// AddAttachment stores a file by its SHA-256 and records it on a case.
func (s *Store) AddAttachment(ctx context.Context, actor app.Actor, caseID, name, mime string, data []byte, note string) (string, error) {
	if len(data) == 0 {
		return "", app.FieldErrorf("附件", "文件是空的")
	}
	if len(data) > MaxAttachment {
		return "", app.FieldErrorf("附件", "文件超过 %d MB，请压缩后再添加", MaxAttachment>>20)
	}
	c, agg, err := s.caseWithHousehold(ctx, caseID)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if _, err := s.db.ExecContext(ctx, `INSERT INTO blobs (sha256, size, data) VALUES (?, ?, enc(?)) ON CONFLICT DO NOTHING`,
		hash, len(data), data); err != nil {
		return "", fmt.Errorf("store attachment: %w", err)
	}
	_, err = s.append(ctx, actor, draft{Type: app.EventAttachmentAdded, HouseholdID: c.HouseholdID, CaseID: c.ID,
		VillageCode: agg.Household.VillageCode, Payload: app.AttachmentAdded{SHA256: hash, Name: name, MIME: mime,
			Size: int64(len(data)), Note: note}})
	return hash, err
}

// Blob returns stored attachment bytes.
func (s *Store) Blob(ctx context.Context, hash string) ([]byte, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT dec(data) FROM blobs WHERE sha256 = ?`, hash).Scan(&data)
	if err == sql.ErrNoRows {
		return nil, app.Errorf(app.ENOTFOUND, "附件文件尚未同步到本机")
	}
	return data, err
}

// PutBlob stores bytes received by sync after checking their hash.
func (s *Store) PutBlob(ctx context.Context, hash string, data []byte) error {
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != hash {
		return fmt.Errorf("blob %s: content does not match its hash", hash)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO blobs (sha256, size, data) VALUES (?, ?, enc(?)) ON CONFLICT DO NOTHING`,
		hash, len(data), data)
	return err
}

// ResolveConflict records a person's choice on a conflict.
func (s *Store) ResolveConflict(ctx context.Context, actor app.Actor, conflictID, choice, note string) error {
	if choice != app.ChoiceKept && choice != app.ChoiceOther {
		return app.Errorf(app.EINVALID, "请选择保留哪一个版本")
	}
	cs, err := queryConflicts(ctx, s.db, `WHERE id = ?`, conflictID)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		return app.Errorf(app.ENOTFOUND, "未找到该冲突记录")
	}
	if cs[0].Resolution != "" {
		return app.Errorf(app.ECONFLICT, "该冲突已由%s处理", cs[0].ResolvedBy)
	}
	if cs[0].Kind == app.ConflictDecision && actor.Role != app.RoleApprover && actor.Role != app.RoleCounty {
		return app.Errorf(app.EFORBIDDEN, "审批决定的冲突须由乡镇审批人处理")
	}
	_, err = s.append(ctx, actor, draft{Type: app.EventConflictResolved, HouseholdID: cs[0].HouseholdID,
		CaseID: cs[0].CaseID, Payload: app.ConflictResolved{ConflictID: conflictID, Choice: choice, Note: note}})
	return err
}

// PublishRules records a rule set (county role, or `init` seeding the defaults).
func (s *Store) PublishRules(ctx context.Context, actor app.Actor, rs app.RuleSet) error {
	if err := rs.Validate(); err != nil {
		return err
	}
	_, err := s.append(ctx, actor, draft{Type: app.EventRulesSet, Payload: app.RulesSet{Rules: rs}})
	return err
}

// PublishCalendar records holiday calendar entries.
func (s *Store) PublishCalendar(ctx context.Context, actor app.Actor, entries []app.CalendarEntry) error {
	_, err := s.append(ctx, actor, draft{Type: app.EventCalendarSet, Payload: app.CalendarSet{Entries: entries}})
	return err
}
