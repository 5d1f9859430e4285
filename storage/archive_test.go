package storage

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jiuzhu/app"
)

func TestExportArchiveZip(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	headID := svID("34112219600101002")
	hid, cid := svPaying(t, s, svHousehold("张兰", headID, svID("34112219620202003"), "6228480012345678"))
	scan := []byte("%PDF-1.4 入户调查表扫描件")
	sha, err := s.AddAttachment(ctx, svClerk, cid, "入户调查表/第1页.pdf", "application/pdf", scan, "调查表")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RegisterLead(ctx, svClerk, app.LeadRegistered{Source: app.LeadHotline, ReceivedOn: d(2026, 11, 2),
		Complainant: "举报人乙", ComplainantPhone: "13911112222", Content: "反映该户有车辆", SubjectHousehold: hid}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.GenerateBatch(ctx, svClerk, "2026-11"); err != nil {
		t.Fatal(err)
	}
	// Another household's events stay out.
	svPaying(t, s, svHousehold("王强", svID("34112219550303001"), svID("34112219570404002"), "2"))

	var buf bytes.Buffer
	if err := s.ExportArchiveZip(ctx, hid, &buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	page := string(files["index.html"])
	c, agg, _ := s.Case(ctx, cid)
	fc, _ := s.FoldContext(ctx)
	for _, want := range []string{"一户一档", "张兰", headID, "桃园村", "6228480012345678", "低保", "审批确认", "同意纳入低保",
		"张审批", "乡镇审批人", "入户调查", "李经办、王协理", c.Amount.String(),
		app.DecidedAmount(c, &agg.Household, fc.StepContext(c.DecidedOn).Rules).Lines[0], "2026-11", "反映该户有车辆", "投诉举报电话",
		"入户调查表/第1页.pdf"} {
		if !strings.Contains(page, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	for _, secret := range []string{"举报人乙", "13911112222", "王强"} {
		if strings.Contains(page, secret) || strings.Contains(string(files["events.json"]), secret) {
			t.Errorf("archive contains %q", secret)
		}
	}
	att := "attachments/" + sha[:12] + "-入户调查表_第1页.pdf"
	if !bytes.Equal(files[att], scan) {
		t.Fatalf("attachment %s missing or changed; files: %v", att, keys(files))
	}
	var events []app.Event
	if err := json.Unmarshal(files["events.json"], &events); err != nil {
		t.Fatal(err)
	}
	stored, _ := s.Events(ctx, hid)
	if len(events) != len(stored) || len(events) < 7 {
		t.Fatalf("events.json has %d events, the log %d", len(events), len(stored))
	}
	for i := range events {
		if events[i].ComputeHash() != events[i].Hash || events[i].Hash != stored[i].Hash {
			t.Fatalf("event %d: hash does not verify", i)
		}
		if !strings.Contains(page, events[i].Hash[:16]) {
			t.Fatalf("index.html lacks the hash of event %d", i)
		}
	}
	// The same archive as a folder.
	dir := t.TempDir()
	if err := s.ExportArchive(ctx, hid, DirArchive(dir)); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(att))); err != nil || !bytes.Equal(b, scan) {
		t.Fatalf("folder archive attachment: %v", err)
	}
	if err := s.ExportArchiveZip(ctx, "nope", io.Discard); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("unknown household: %v", err)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAuditEventsFilters(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	headID := svID("34112219600101002")
	hid, cid := svPaying(t, s, svHousehold("张兰", headID, svID("34112219620202003"), "1"))
	other, _ := svPaying(t, s, svHousehold("王强", svID("34112219550303001"), svID("34112219570404002"), "2"))
	lead, err := s.RegisterLead(ctx, svClerk, app.LeadRegistered{Source: app.LeadWeb, ReceivedOn: d(2026, 11, 2),
		Content: "网站留言", SubjectHousehold: hid, Complainant: "匿名"})
	if err != nil {
		t.Fatal(err)
	}
	byPerson, err := s.AuditEvents(ctx, AuditFilter{Person: "张兰"})
	if err != nil {
		t.Fatal(err)
	}
	hhEvents, _ := s.Events(ctx, hid)
	if len(byPerson) != len(hhEvents)+1 || byPerson[len(byPerson)-1].Event.CaseID != lead {
		t.Fatalf("by person: %d rows, household has %d events (+1 lead)", len(byPerson), len(hhEvents))
	}
	for _, r := range byPerson {
		if r.Event.HouseholdID == other || r.Summary == "" || r.Time == "" {
			t.Fatalf("row: %+v", r)
		}
		if strings.Contains(r.Summary, "匿名") {
			t.Fatal("summary shows the complainant")
		}
	}
	if rows, _ := s.AuditEvents(ctx, AuditFilter{Person: headID[10:16]}); len(rows) != len(byPerson) {
		t.Fatalf("by ID fragment: %d", len(rows))
	}
	byActor, _ := s.AuditEvents(ctx, AuditFilter{Actor: "审批"})
	if len(byActor) != 2 {
		t.Fatalf("by actor: %d rows", len(byActor))
	}
	for _, r := range byActor {
		if r.Event.Actor.Role != app.RoleApprover || !strings.Contains(r.Summary, "审批确认") {
			t.Fatalf("by actor: %+v", r)
		}
	}
	byCase, _ := s.AuditEvents(ctx, AuditFilter{CaseID: cid})
	caseEvents, _ := s.CaseEvents(ctx, cid)
	if len(byCase) != len(caseEvents) {
		t.Fatalf("by case: %d vs %d", len(byCase), len(caseEvents))
	}
	newest, _ := s.AuditEvents(ctx, AuditFilter{CaseID: cid, NewestFirst: true})
	if len(newest) != len(byCase) || len(newest) < 2 {
		t.Fatalf("newest first: %d rows", len(newest))
	}
	for i := range newest {
		if newest[i].Event.ID != byCase[len(byCase)-1-i].Event.ID {
			t.Fatalf("newest first, row %d: %s, want %s", i, newest[i].Event.ID, byCase[len(byCase)-1-i].Event.ID)
		}
	}
	if top, _ := s.AuditEvents(ctx, AuditFilter{CaseID: cid, NewestFirst: true, Limit: 1}); len(top) != 1 ||
		top[0].Event.ID != caseEvents[len(caseEvents)-1].ID {
		t.Fatal("a limit does not keep the latest event")
	}
	// Every event here was written "today" by the test clock.
	if rows, _ := s.AuditEvents(ctx, AuditFilter{From: s.Today(), To: s.Today(), HouseholdID: hid}); len(rows) != len(hhEvents) {
		t.Fatalf("today: %d", len(rows))
	}
	if rows, _ := s.AuditEvents(ctx, AuditFilter{To: s.Today().AddDays(-1)}); len(rows) != 0 {
		t.Fatalf("before today: %d", len(rows))
	}
}

func TestEditedPayloadBreaksTheChain(t *testing.T) {
	s := svStore(t)
	ctx := context.Background()
	hid, _ := svPaying(t, s, svHousehold("张兰", svID("34112219600101002"), svID("34112219620202003"), "1"))
	if r, err := s.Check(ctx); err != nil || !r.OK() {
		t.Fatalf("clean store: %+v %v", r, err)
	}
	// Someone with the database file raises the approved amount directly.
	// (An insider: with the key, signed in, the sealed payload can be rewritten.)
	res, err := s.DB().Exec(`UPDATE events SET payload = enc(CAST(replace(CAST(dec(payload) AS TEXT), '"opinion":"同意纳入低保"',
		'"opinion":"同意纳入低保","amount":999900') AS BLOB)) WHERE household_id = ? AND type = 'case.step'
		AND CAST(dec(payload) AS TEXT) LIKE '%同意纳入低保%'`, hid)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("edited %d events", n)
	}
	r, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || len(r.ChainBreaks) != 1 || !strings.Contains(r.ChainBreaks[0], "内容被改动") {
		t.Fatalf("tampering not reported: %+v", r)
	}
}
