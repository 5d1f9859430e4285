package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jiuzhu/vault"
)

// The bar of issue 7: after `jiuzhu demo`, no demo ID number or name is in
// the database file or its WAL.
func TestDemoLeavesNoNameOrIDNumberOnDisk(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	if _, stderr, err := runEnv(t, nil, "demo", "--db", db, "--households", "80"); err != nil {
		t.Fatalf("demo: %v %s", err, stderr)
	}
	s := openSignedIn(t, db)
	people, err := s.RegisteredIDs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var needles []string
	for id, ps := range people {
		needles = append(needles, id)
		for _, p := range ps {
			needles = append(needles, p.Name)
		}
	}
	s.Close()
	if len(people) < 80 {
		t.Fatalf("only %d people in the demo", len(people))
	}
	var raw []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(db + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	var found []string
	for _, n := range needles {
		if bytes.Contains(raw, []byte(n)) {
			found = append(found, n)
		}
	}
	if len(found) > 0 {
		t.Errorf("%d of %d names and ID numbers are readable in the file, e.g. %q", len(found), len(needles), found[:min(5, len(found))])
	}
}

func TestRecoveryCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	pair := vault.NewRecoveryKeyPair()
	pub, priv := filepath.Join(dir, "recovery.pub"), filepath.Join(dir, "recovery.key")
	os.WriteFile(pub, []byte(pair.Public+"\n"), 0o644)
	os.WriteFile(priv, []byte(pair.Private+"\n"), 0o600)
	first := map[string]string{EnvUser: "李经办", EnvPassword: "secret1"}
	if _, stderr, err := runEnv(t, first, initArgs(db, "--user", "李经办", "--recovery-pub", priv)...); err == nil ||
		!strings.Contains(stderr, "县级恢复公钥") {
		t.Fatalf("init with a private key as --recovery-pub: %v %s", err, stderr)
	}
	if _, err := os.Stat(db); err == nil {
		t.Fatal("a refused init left a database behind")
	}
	if _, stderr, err := runEnv(t, first, initArgs(db, "--user", "李经办")...); err != nil {
		t.Fatalf("init: %v %s", err, stderr)
	}
	if _, stderr, err := runEnv(t, first, "demo", "--db", db, "--households", "5"); err != nil {
		t.Fatalf("demo: %v %s", err, stderr)
	}
	if _, stderr, err := runEnv(t, nil, "recovery-key", "--db", db, "--pub", pub); err == nil || !strings.Contains(stderr, EnvUser) {
		t.Fatalf("recovery-key without a user: %v %s", err, stderr)
	}
	if out, stderr, err := runEnv(t, first, "recovery-key", "--db", db, "--pub", pub); err != nil || !strings.Contains(out, "已设置") {
		t.Fatalf("recovery-key: %v %s %s", err, out, stderr)
	}
	// The password is forgotten. Another county's key does not help; this one does.
	other := filepath.Join(dir, "other.key")
	os.WriteFile(other, []byte(vault.NewRecoveryKeyPair().Private), 0o600)
	reset := map[string]string{EnvNewPassword: "another1"}
	if _, stderr, err := runEnv(t, reset, "recover", "--db", db, "--county-key", other, "--user", "李经办"); err == nil ||
		!strings.Contains(stderr, "县级恢复私钥不对") {
		t.Fatalf("recover with another county's key: %v %s", err, stderr)
	}
	if out, stderr, err := runEnv(t, reset, "recover", "--db", db, "--county-key", priv, "--user", "李经办"); err != nil ||
		!strings.Contains(out, "密码已重设") {
		t.Fatalf("recover: %v %s %s", err, out, stderr)
	}
	if _, stderr, err := runEnv(t, first, "cases", "--db", db); err == nil {
		t.Fatalf("the old password still opens the data: %s", stderr)
	}
	out, stderr, err := runEnv(t, map[string]string{EnvUser: "李经办", EnvPassword: "another1"}, "cases", "--db", db)
	if err != nil || strings.Count(out, "\n") < 5 {
		t.Fatalf("cases after recovery: %v %s %s", err, out, stderr)
	}
}
