package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"jiuzhu/storage"
	"path/filepath"
	"strings"
	"testing"

	"jiuzhu/app"
)

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	// A database `demo` creates has the demo users: sign in as the clerk.
	// (A device without users ignores the password and signs as 李经办.)
	demoClerk := map[string]string{EnvUser: "李经办", EnvPassword: DemoPassword}
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return demoClerk[k] }}
	err := Run(context.Background(), env, args)
	return out.String(), errOut.String(), err
}

func TestInitDemoCasesCheckRebuild(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	if _, stderr, err := run(t, "init", "--db", db, "--township", "341122101", "--name", "城关镇", "--device", "经办电脑"); err != nil {
		t.Fatalf("init: %v %s", err, stderr)
	}
	if _, stderr, err := run(t, "init", "--db", db, "--township", "341122101", "--name", "城关镇", "--device", "x"); err == nil {
		t.Fatal("second init succeeded")
	} else if !strings.Contains(stderr, "已存在") {
		t.Fatalf("second init message: %s", stderr)
	}
	if _, stderr, err := run(t, "demo", "--db", db, "--households", "120"); err != nil {
		t.Fatalf("demo: %v %s", err, stderr)
	}
	out, stderr, err := run(t, "cases", "--db", db, "--json")
	if err != nil {
		t.Fatalf("cases: %v %s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 120 {
		t.Fatalf("cases: %d lines, want 120", len(lines))
	}
	states := map[string]bool{}
	programs := map[string]bool{}
	overdue := 0
	for _, l := range lines {
		var c caseJSON
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatalf("bad json line %q: %v", l, err)
		}
		if c.CaseID == "" || c.HeadName == "" || c.Village == "" || c.Persons < 1 {
			t.Fatalf("incomplete case line %q", l)
		}
		states[c.State] = true
		programs[c.Program] = true
		if c.NextDue != "" && c.NextDue < "2026-11-29" {
			overdue++
		}
	}
	for _, p := range app.Programs {
		if !programs[string(p)] {
			t.Errorf("demo has no %s case", p)
		}
	}
	if len(states) < 8 {
		t.Errorf("demo covers only %d states: %v", len(states), states)
	}
	if overdue == 0 {
		t.Error("demo has no overdue case")
	}
	if out, stderr, err := run(t, "check", "--db", db); err != nil {
		t.Fatalf("check: %v %s %s", err, out, stderr)
	}
	if out, stderr, err := run(t, "rebuild", "--db", db); err != nil || !strings.Contains(out, "一致") || strings.Contains(out, "不一致") {
		t.Fatalf("rebuild: %v %s %s", err, out, stderr)
	}
}

func TestIDCardCommand(t *testing.T) {
	out, _, err := run(t, "idcard", "11010519491231002x", "110105491231002", "110105194912310021")
	if err == nil {
		t.Fatal("an invalid number must give a non-zero exit")
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines", len(lines))
	}
	var first, second, third idJSON
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[1]), &second)
	json.Unmarshal([]byte(lines[2]), &third)
	if !first.Valid || first.Normalised != "11010519491231002X" || first.Birth != "1949-12-31" || first.Sex != "女" {
		t.Errorf("first: %+v", first)
	}
	if !second.Valid || !second.Upgraded || len(second.Normalised) != 18 {
		t.Errorf("second: %+v", second)
	}
	if third.Valid || !strings.Contains(third.Error, "校验") {
		t.Errorf("third: %+v", third)
	}
}

// openSignedIn opens a database `demo` created and signs in as the demo
// clerk, so that its sealed data can be read.
func openSignedIn(t *testing.T, db string) *storage.Store {
	t.Helper()
	ctx := context.Background()
	s, err := storage.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.UserByName(ctx, "李经办")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, u.ID, DemoPassword); err != nil {
		t.Fatal(err)
	}
	return s
}
