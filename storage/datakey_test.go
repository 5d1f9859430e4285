package storage_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jiuzhu/app"
	"jiuzhu/storage"
	"jiuzhu/vault"
)

// rawFileContains reports which of needles appear in the database file or
// its WAL, as someone who took the laptop would read them.
func rawFileContains(t *testing.T, path string, needles ...string) []string {
	t.Helper()
	var found []string
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				found = append(found, n+" in "+filepath.Base(path+suffix))
			}
		}
	}
	return found
}

// sensitive is what household() puts on disk that must not be readable.
var sensitive = []string{"张兰", "李建国", "11010519491231002x", "11010519491231002X", "110105194805050015"}

func TestNoPlaintextInTheFile(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	hid, cid, err := s.RegisterHousehold(ctx, liaison, household(), &app.CaseApplied{Program: app.ProgramDibao, AppliedOn: app.NewDate(2026, 11, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddAttachment(ctx, clerk, cid, "张兰身份证.jpg", "image/jpeg", []byte("photo of 11010519491231002x"), "李建国的说明"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, clerk, hid, "", "phone", "13912345678"); err != nil {
		t.Fatal(err)
	}
	// Everything reads back through the key...
	rows, err := s.SearchMembers(ctx, "张兰", "", 10)
	if err != nil || len(rows) != 1 || rows[0].IDNumber != "11010519491231002X" && rows[0].IDNumber != "11010519491231002x" {
		t.Fatalf("search by name: %v %+v", err, rows)
	}
	if rows, err := s.PersonElsewhere(ctx, "110105194805050015", ""); err != nil || len(rows) != 1 || rows[0].Name != "李建国" {
		t.Fatalf("exact ID lookup: %v %+v", err, rows)
	}
	// ...and nothing is on disk in the clear, in the file or its WAL.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if found := rawFileContains(t, s.Path(), append(sensitive, "13912345678", "photo of")...); len(found) > 0 {
		t.Errorf("plaintext on disk: %v", found)
	}
}

func TestFirstUserTakesTheKeyOutOfTheClear(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	st, _ := s.Encryption(ctx)
	if st.Protected {
		t.Fatal("a device without users says its key is protected")
	}
	open, _ := s.Meta(ctx, "data_key_open")
	if open == "" {
		t.Fatal("a device without users has no key in the clear: it could not open itself")
	}
	if _, err := s.CreateUser(ctx, storage.User{Name: "李经办", Role: app.RoleClerk}, "secret1"); err != nil {
		t.Fatal(err)
	}
	if st, _ = s.Encryption(ctx); !st.Protected {
		t.Error("the first user did not protect the key")
	}
	if found := rawFileContains(t, s.Path(), open); len(found) > 0 {
		t.Errorf("the old clear key is still on disk: %v", found)
	}
}

// reopen closes s and opens its file again, as at the next start.
func reopen(t *testing.T, s *storage.Store) *storage.Store {
	t.Helper()
	s.Close()
	s2, err := storage.Open(context.Background(), s.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

// protectedStore is a device with one household and one user, reopened: its
// data key is in memory only after a sign-in.
func protectedStore(t *testing.T) (*storage.Store, storage.User) {
	t.Helper()
	s := newStore(t)
	ctx := context.Background()
	if _, _, err := s.RegisterHousehold(ctx, liaison, household(), &app.CaseApplied{Program: app.ProgramDibao, AppliedOn: app.NewDate(2026, 11, 1)}); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, storage.User{Name: "李经办", Role: app.RoleClerk}, "secret1")
	if err != nil {
		t.Fatal(err)
	}
	return reopen(t, s), u
}

func TestLockedUntilSignIn(t *testing.T) {
	s, u := protectedStore(t)
	ctx := context.Background()
	if !s.Locked() {
		t.Fatal("a protected device opened unlocked")
	}
	for name, read := range map[string]func() error{
		"cases":  func() error { _, err := s.Cases(ctx, storage.CaseFilter{}); return err },
		"search": func() error { _, err := s.SearchMembers(ctx, "张兰", "", 10); return err },
		"events": func() error { _, err := s.Events(ctx, "x"); return err },
	} {
		if err := read(); name != "events" && (err == nil || !strings.Contains(err.Error(), "数据已加密，请先登录")) {
			t.Errorf("%s while locked: %v", name, err)
		}
	}
	if _, err := s.Authenticate(ctx, u.ID, "wrong-password"); !errors.Is(err, storage.ErrBadPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if !s.Locked() {
		t.Fatal("a wrong password unlocked the data")
	}
	if _, err := s.Authenticate(ctx, u.ID, "secret1"); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Cases(ctx, storage.CaseFilter{})
	if err != nil || len(rows) != 1 || rows[0].HeadName != "张兰" {
		t.Fatalf("after sign-in: %v %+v", err, rows)
	}
	s.Lock()
	if _, err := s.Cases(ctx, storage.CaseFilter{}); err == nil {
		t.Error("Lock left the data readable")
	}
}

func TestPasswordChangeRewrapsTheKey(t *testing.T) {
	s, u := protectedStore(t)
	ctx := context.Background()
	var old string
	s.DB().QueryRow(`SELECT data_key FROM users WHERE id = ?`, u.ID).Scan(&old)
	if err := s.ChangePassword(ctx, u.ID, "secret1", "newsecret2"); err != nil {
		t.Fatal(err)
	}
	var now string
	s.DB().QueryRow(`SELECT data_key FROM users WHERE id = ?`, u.ID).Scan(&now)
	if now == old || now == "" {
		t.Fatal("the data key was not wrapped again")
	}
	if _, err := vault.UnwrapWithPassword(now, "secret1"); !errors.Is(err, vault.ErrWrongPassword) {
		t.Errorf("the old password opens the new wrap: %v", err)
	}
	if found := rawFileContains(t, s.Path(), old); len(found) > 0 {
		t.Errorf("the old wrap is still on disk: %v", found)
	}
	s = reopen(t, s)
	if _, err := s.Authenticate(ctx, u.ID, "secret1"); err == nil {
		t.Fatal("the old password still signs in")
	}
	if _, err := s.Authenticate(ctx, u.ID, "newsecret2"); err != nil {
		t.Fatal(err)
	}
	if rows, err := s.SearchMembers(ctx, "李建", "", 10); err != nil || len(rows) != 1 {
		t.Fatalf("data after the new password: %v %+v", err, rows)
	}
}

func TestRecoveryWithTheCountyKey(t *testing.T) {
	s, u := protectedStore(t)
	ctx := context.Background()
	county := vault.NewRecoveryKeyPair()
	if err := s.SetRecoveryKey(ctx, county.Public); err == nil {
		t.Fatal("a locked device wrapped its key for the county")
	}
	if _, err := s.Authenticate(ctx, u.ID, "secret1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRecoveryKey(ctx, "jiuzhu-recovery-private:abc"); err == nil {
		t.Fatal("a private key was taken as the public one")
	}
	if err := s.SetRecoveryKey(ctx, county.Public); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Encryption(ctx); !st.CountyRecovery || !st.Protected {
		t.Fatalf("status %+v", st)
	}
	// Every password is forgotten; the county comes with its private key.
	s = reopen(t, s)
	if err := s.Recover(ctx, vault.NewRecoveryKeyPair().Private, u.ID, "fresh-pass"); err == nil {
		t.Fatal("another county's key recovered the data")
	}
	if !s.Locked() {
		t.Fatal("a failed recovery unlocked the data")
	}
	if err := s.Recover(ctx, county.Private, u.ID, "fresh-pass"); err != nil {
		t.Fatal(err)
	}
	if rows, err := s.Cases(ctx, storage.CaseFilter{}); err != nil || len(rows) != 1 {
		t.Fatalf("after recovery: %v %+v", err, rows)
	}
	s = reopen(t, s)
	if _, err := s.Authenticate(ctx, u.ID, "fresh-pass"); err != nil || s.Locked() {
		t.Fatalf("the recovered password does not open the data: %v", err)
	}
}

func TestSecondUserAndPurgeForgetTheKey(t *testing.T) {
	s, u := protectedStore(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, storage.User{Name: "张审批", Role: app.RoleApprover}, "approve1"); err == nil {
		t.Fatal("a user was created on a locked device: they would hold no key")
	}
	if _, err := s.Authenticate(ctx, u.ID, "secret1"); err != nil {
		t.Fatal(err)
	}
	u2, err := s.CreateUser(ctx, storage.User{Name: "张审批", Role: app.RoleApprover}, "approve1")
	if err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s)
	if _, err := s.Authenticate(ctx, u2.ID, "approve1"); err != nil || s.Locked() {
		t.Fatalf("the second user cannot open the data: %v", err)
	}
	if err := s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if !s.Locked() {
		t.Error("the key stayed in memory after the purge")
	}
	var keys int
	s.DB().QueryRow(`SELECT count(*) FROM meta WHERE key LIKE 'data_key%'`).Scan(&keys)
	if keys != 0 {
		t.Errorf("%d wrapped keys left after the purge", keys)
	}
}

func TestSearchFollowsWritesFromAnotherConnection(t *testing.T) {
	a := newStore(t)
	ctx := context.Background()
	if rows, err := a.SearchMembers(ctx, "张兰", "", 10); err != nil || len(rows) != 0 {
		t.Fatalf("empty device: %v %+v", err, rows)
	}
	// A second handle on the same file, as `jiuzhu import` beside the window.
	b, err := storage.Open(ctx, a.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	hid, _, err := b.RegisterHousehold(ctx, liaison, household(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"张兰", "兰", "张", "李建国", "建国", "0505", "19491231002x"} {
		if rows, err := a.SearchMembers(ctx, q, "", 10); err != nil || len(rows) != 1 {
			t.Errorf("search %q: %v %+v", q, err, rows)
		}
	}
	agg, err := b.Household(ctx, hid)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SetField(ctx, clerk, hid, agg.Household.Members[1].ID, "name", "李建华"); err != nil {
		t.Fatal(err)
	}
	if rows, _ := a.SearchMembers(ctx, "李建国", "", 10); len(rows) != 0 {
		t.Errorf("the old name is still found: %+v", rows)
	}
	if rows, _ := a.SearchMembers(ctx, "建华", "", 10); len(rows) != 1 {
		t.Errorf("the new name is not found: %+v", rows)
	}
}
