package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"jiuzhu/app"
	"jiuzhu/storage"
)

func TestLockoutAfterWrongPasswords(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC) // 09:00 in China
	s.SetClock(func() time.Time { return now })
	u, err := s.CreateUser(ctx, storage.User{Name: "李经办", Role: app.RoleClerk}, "right-pw")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < storage.MaxFailedSignIns; i++ {
		_, err := s.Authenticate(ctx, u.ID, "wrong")
		if !errors.Is(err, storage.ErrBadPassword) || app.ErrorMessage(err) != "密码错误，还可尝试"+string(rune('0'+storage.MaxFailedSignIns-i))+"次" {
			t.Fatalf("attempt %d: %v (%s)", i, err, app.ErrorMessage(err))
		}
	}
	_, err = s.Authenticate(ctx, u.ID, "wrong")
	if !errors.Is(err, storage.ErrLocked) || !strings.Contains(app.ErrorMessage(err), "请于09:15后重试") {
		t.Fatalf("fifth failure: %v", app.ErrorMessage(err))
	}
	// Locked: even the right password is refused, and the lock is not extended.
	now = now.Add(10 * time.Minute)
	_, err = s.Authenticate(ctx, u.ID, "right-pw")
	if msg := app.ErrorMessage(err); !errors.Is(err, storage.ErrLocked) || msg != "账户已锁定，请于09:15后重试" {
		t.Fatalf("while locked: %q", msg)
	}
	now = now.Add(5 * time.Minute)
	if _, err := s.Authenticate(ctx, u.ID, "right-pw"); err != nil {
		t.Fatalf("after the lock-out: %v", err)
	}
	// A success resets the count: four more failures do not lock.
	for i := 1; i < storage.MaxFailedSignIns; i++ {
		s.Authenticate(ctx, u.ID, "wrong")
	}
	if _, err := s.Authenticate(ctx, u.ID, "right-pw"); err != nil {
		t.Fatalf("four failures locked the account: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	u, err := s.CreateUser(ctx, storage.User{Name: "张审批", Role: app.RoleApprover}, "old-pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ChangePassword(ctx, u.ID, "bad-old", "new-password"); !errors.Is(err, storage.ErrBadPassword) ||
		!strings.HasPrefix(app.ErrorMessage(err), "原密码：密码错误，还可尝试4次") {
		t.Fatalf("wrong old password: %v", app.ErrorMessage(err))
	}
	if err := s.ChangePassword(ctx, u.ID, "old-pw", "12345"); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("short new password: %v", err)
	}
	if err := s.ChangePassword(ctx, u.ID, "old-pw", "old-pw"); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("same password: %v", err)
	}
	if err := s.ChangePassword(ctx, u.ID, "old-pw", "new-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, u.ID, "old-pw"); !errors.Is(err, storage.ErrBadPassword) {
		t.Fatalf("old password still works: %v", err)
	}
	if _, err := s.Authenticate(ctx, u.ID, "new-password"); err != nil {
		t.Fatal(err)
	}
	var phc string
	s.DB().QueryRow(`SELECT password FROM users WHERE id = ?`, u.ID).Scan(&phc)
	if !strings.HasPrefix(phc, "$argon2id$v=19$") || strings.Contains(phc, "new-password") {
		t.Fatalf("stored hash %q", phc)
	}
	if got, err := s.UserByName(ctx, " 张审批 "); err != nil || got.ID != u.ID {
		t.Fatalf("UserByName: %+v %v", got, err)
	}
}
