package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jiuzhu/app"
	"jiuzhu/storage"
)

func runEnv(t *testing.T, vars map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }}
	err := Run(context.Background(), env, args)
	return out.String(), errOut.String(), err
}

func initArgs(db string, extra ...string) []string {
	return append([]string{"init", "--db", db, "--township", "341122101", "--name", "城关镇", "--device", "经办电脑"}, extra...)
}

func TestInitFirstUserAndCommandsNeedPassword(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	// Too short, missing: refused before anything is written.
	if _, stderr, err := runEnv(t, map[string]string{EnvPassword: "12345"}, initArgs(db, "--user", "李经办")...); err == nil ||
		!strings.Contains(stderr, "至少6位") {
		t.Fatalf("short password: %v %s", err, stderr)
	}
	if _, stderr, err := runEnv(t, nil, initArgs(db, "--user", "李经办")...); err == nil || !strings.Contains(stderr, EnvPassword) {
		t.Fatalf("no password: %v %s", err, stderr)
	}
	if _, stderr, err := runEnv(t, map[string]string{EnvPassword: "secret1"}, initArgs(db, "--user", "李经办", "--role", "boss")...); err == nil ||
		!strings.Contains(stderr, "角色") {
		t.Fatalf("bad role: %v %s", err, stderr)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatal("a refused init left a database behind")
	}
	out, stderr, err := runEnv(t, map[string]string{EnvPassword: "secret1"}, initArgs(db, "--user", "李经办", "--role", "clerk")...)
	if err != nil || !strings.Contains(out, "已建立用户“李经办”（经办人）") && !strings.Contains(out, "已建立用户“李经办”") {
		t.Fatalf("init: %v %s %s", err, out, stderr)
	}
	if strings.Contains(out+stderr, "secret1") {
		t.Fatal("the password was printed")
	}
	// Commands that change data now need the user and password.
	if _, stderr, err := runEnv(t, nil, "demo", "--db", db, "--households", "5"); err == nil || !strings.Contains(stderr, EnvUser) {
		t.Fatalf("demo without user: %v %s", err, stderr)
	}
	bad := map[string]string{EnvUser: "李经办", EnvPassword: "wrong"}
	if _, stderr, err := runEnv(t, bad, "demo", "--db", db, "--households", "5"); err == nil ||
		!strings.Contains(stderr, "用户“李经办”：密码错误，还可尝试4次") {
		t.Fatalf("demo with a wrong password: %v %s", err, stderr)
	}
	if _, stderr, err := runEnv(t, map[string]string{EnvUser: "无此人", EnvPassword: "secret1"}, "demo", "--db", db, "--households", "5"); err == nil ||
		!strings.Contains(stderr, "没有名为") {
		t.Fatalf("unknown user: %v %s", err, stderr)
	}
	good := map[string]string{EnvUser: "李经办", EnvPassword: "secret1"}
	if _, stderr, err := runEnv(t, good, "demo", "--db", db, "--households", "5"); err != nil {
		t.Fatalf("demo: %v %s", err, stderr)
	}
	// The data are sealed: even reading them needs a user and password.
	if _, stderr, err := runEnv(t, good, "cases", "--db", db); err != nil {
		t.Fatalf("cases: %v %s", err, stderr)
	}
	for _, args := range [][]string{
		{"cases", "--db", db},
		{"check", "--db", db},
		{"sync", "--db", db, "--server", "http://127.0.0.1:1", "--token", "x"},
		{"archive", "--db", db, "--household", "h", "--out", filepath.Join(dir, "a.zip")},
		{"export", "payments", "--db", db, "--month", "2025-03", "--out", filepath.Join(dir, "p.xlsx")},
		{"worklist", "close", "--db", db, "--id", "x", "--result", "other"},
	} {
		if _, stderr, err := runEnv(t, nil, args...); err == nil || !strings.Contains(stderr, EnvUser) {
			t.Fatalf("%s without a user: %v %s", args[0], err, stderr)
		}
	}
	// The actor is the signed-in user, with the user's own role.
	s, err := openStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var buf bytes.Buffer
	a, err := SystemActor(context.Background(), &Env{Stderr: &buf, Getenv: func(k string) string { return good[k] }}, s, app.RoleLiaison)
	if err != nil || a.Name != "李经办" || a.Role != app.RoleClerk || strings.HasPrefix(a.UserID, "cli:") {
		t.Fatalf("actor %+v %v", a, err)
	}
}

func TestLockoutOnTheCommandLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	if _, stderr, err := runEnv(t, map[string]string{EnvPassword: "secret1"}, initArgs(db, "--user", "张审批", "--role", "approver")...); err != nil {
		t.Fatal(stderr)
	}
	bad := map[string]string{EnvUser: "张审批", EnvPassword: "nope"}
	var stderr string
	for i := 0; i < storage.MaxFailedSignIns; i++ {
		_, stderr, _ = runEnv(t, bad, "demo", "--db", db, "--households", "1")
	}
	if !strings.Contains(stderr, "账户已锁定，请于") {
		t.Fatalf("after %d failures: %s", storage.MaxFailedSignIns, stderr)
	}
	_, stderr, err := runEnv(t, map[string]string{EnvUser: "张审批", EnvPassword: "secret1"}, "demo", "--db", db, "--households", "1")
	if err == nil || !strings.Contains(stderr, "账户已锁定") {
		t.Fatalf("right password while locked: %v %s", err, stderr)
	}
}

func TestPasswd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	if _, stderr, err := runEnv(t, map[string]string{EnvPassword: "secret1"}, initArgs(db, "--user", "王协理", "--role", "liaison")...); err != nil {
		t.Fatal(stderr)
	}
	if _, stderr, err := runEnv(t, map[string]string{EnvPassword: "secret1", EnvNewPassword: "abc"}, "passwd", "--db", db, "--user", "王协理"); err == nil ||
		!strings.Contains(stderr, "至少6位") {
		t.Fatalf("short new password: %v %s", err, stderr)
	}
	if out, stderr, err := runEnv(t, map[string]string{EnvPassword: "secret1", EnvNewPassword: "secret2"}, "passwd", "--db", db, "--user", "王协理"); err != nil {
		t.Fatalf("passwd: %v %s %s", err, out, stderr)
	}
	if _, stderr, err := runEnv(t, map[string]string{EnvUser: "王协理", EnvPassword: "secret1"}, "demo", "--db", db, "--households", "1"); err == nil {
		t.Fatalf("old password still accepted: %s", stderr)
	}
	if _, stderr, err := runEnv(t, map[string]string{EnvUser: "王协理", EnvPassword: "secret2"}, "demo", "--db", db, "--households", "1"); err != nil {
		t.Fatalf("new password refused: %s", stderr)
	}
}

// TestNoIDNumbersOnStderr runs the everyday commands on demo data and checks
// that nothing they print to stderr (progress, summaries, errors) carries an
// ID number of the people in the data.
func TestNoIDNumbersOnStderr(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	var stderr strings.Builder
	step := func(wantErr bool, args ...string) {
		t.Helper()
		_, e, err := run(t, args...)
		if (err != nil) != wantErr {
			t.Fatalf("%v: err %v, stderr %s", args, err, e)
		}
		stderr.WriteString(e)
	}
	step(false, "demo", "--db", db, "--households", "60")
	step(false, "cases", "--db", db)
	step(false, "cases", "--db", db, "--json")
	step(false, "check", "--db", db)
	s := openSignedIn(t, db)
	rows, err := s.Cases(context.Background(), storage.CaseFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		agg, err := s.Household(context.Background(), r.HouseholdID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range agg.Household.Members {
			ids = append(ids, m.IDNumber)
		}
	}
	s.Close()
	if len(ids) < 60 {
		t.Fatalf("only %d ID numbers in the demo", len(ids))
	}
	// Error paths that are handed an ID number print it masked.
	step(false, "cases", "--db", db, "-q", ids[0])
	step(true, "archive", "--db", db, "--household", ids[1], "--out", filepath.Join(dir, ids[1]+".zip"))
	step(true, "cases", "--db", filepath.Join(dir, ids[2]+".db"))
	for _, id := range ids {
		if strings.Contains(stderr.String(), id) {
			t.Fatalf("stderr has ID number %s:\n%s", id, stderr.String())
		}
	}
}

func TestRedact(t *testing.T) {
	got := redact("操作失败（parse \"11010519491231002X\": phone 13800001111, code 341122101）")
	if strings.Contains(got, "11010519491231002X") || strings.Contains(got, "13800001111") || !strings.Contains(got, "341122101") {
		t.Fatal(got)
	}
}
