package cli

import (
	"archive/zip"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"jiuzhu/app"
	"jiuzhu/storage"
)

func TestCheckFailsAfterAnEventIsEditedInSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	if _, stderr, err := run(t, "init", "--db", db, "--township", "341122101", "--name", "城关镇", "--device", "经办电脑"); err != nil {
		t.Fatalf("init: %v %s", err, stderr)
	}
	if _, stderr, err := run(t, "demo", "--db", db, "--households", "120"); err != nil {
		t.Fatalf("demo: %v %s", err, stderr)
	}
	if out, stderr, err := run(t, "check", "--db", db); err != nil {
		t.Fatalf("check before tampering: %v %s %s", err, out, stderr)
	}
	// Edit one stored event's payload directly, as an insider with the file
	// and the key could (the device has no users: its key opens by itself).
	raw, err := storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	res, err := raw.DB().Exec(`UPDATE events SET payload = enc(CAST(replace(CAST(dec(payload) AS TEXT), '"covered":true', '"covered":false') AS BLOB))
		WHERE seq = (SELECT min(seq) FROM events WHERE type = 'household.registered')`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("edited %d rows", n)
	}
	raw.Close()
	out, stderr, err := run(t, "check", "--db", db)
	if err == nil {
		t.Fatalf("check passed on a tampered log:\n%s", out)
	}
	if !strings.Contains(out, "哈希链：发现 1 处断裂") || !strings.Contains(out, "内容被改动") || !strings.Contains(stderr, "检查未通过") {
		t.Fatalf("check output:\n%s\n%s", out, stderr)
	}
}

func TestLeadsAndArchiveCommands(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "t.db")
	if _, stderr, err := run(t, "demo", "--db", db, "--households", "120"); err != nil {
		t.Fatalf("demo: %v %s", err, stderr)
	}
	s := openSignedIn(t, db)
	rows, err := s.Cases(ctx, storage.CaseFilter{Limit: 1})
	if err != nil || len(rows) == 0 {
		t.Fatalf("cases: %v", err)
	}
	hid := rows[0].HouseholdID
	clerk := app.Actor{UserID: "c", Name: "李经办", Role: app.RoleClerk}
	today := s.Today()
	old, err := s.RegisterLead(ctx, clerk, app.LeadRegistered{Source: app.LeadPetition, ReceivedOn: today.AddDays(-90),
		Complainant: "举报人丙", Content: "反映该户隐瞒收入", SubjectHousehold: hid})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RegisterLead(ctx, clerk, app.LeadRegistered{Source: app.LeadHotline, ReceivedOn: today,
		Content: "新线索", SubjectName: "某工作人员", SubjectStaff: true}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	out, stderr, err := run(t, "leads", "--db", db, "--json")
	if err != nil {
		t.Fatalf("leads: %v %s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || strings.Contains(out, "举报人丙") {
		t.Fatalf("leads output:\n%s", out)
	}
	out, _, err = run(t, "leads", "--db", db, "--overdue", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var l leadJSON
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &l); err != nil || l.ID != old || !l.Overdue || l.HouseholdID != hid {
		t.Fatalf("overdue: %v %s", err, out)
	}
	if out, _, _ := run(t, "leads", "--db", db, "--overdue"); !strings.Contains(out, "【超期】") || !strings.Contains(out, "信访") {
		t.Fatalf("overdue text:\n%s", out)
	}

	zipPath := filepath.Join(t.TempDir(), "档案.zip")
	if _, stderr, err := run(t, "archive", "--db", db, "--household", hid, "--out", zipPath); err != nil {
		t.Fatalf("archive: %v %s", err, stderr)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var page string
	for _, f := range zr.File {
		if f.Name == "index.html" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			page = string(b)
		}
	}
	if !strings.Contains(page, rows[0].HeadName) || !strings.Contains(page, rows[0].HeadID) || !strings.Contains(page, "反映该户隐瞒收入") ||
		strings.Contains(page, "举报人丙") {
		t.Fatal("archive page is incomplete or shows the complainant")
	}
	if _, stderr, err := run(t, "archive", "--db", db, "--household", "nope", "--out", zipPath+"2"); err == nil || !strings.Contains(stderr, "未找到") {
		t.Fatalf("unknown household: %v %s", err, stderr)
	}
	if out, stderr, err := run(t, "anomalies", "--db", db); err != nil || !strings.Contains(stderr, "异常") {
		t.Fatalf("anomalies: %v %s %s", err, out, stderr)
	}
	if out, stderr, err := run(t, "check", "--db", db); err != nil {
		t.Fatalf("check with leads: %v %s %s", err, out, stderr)
	}
}
