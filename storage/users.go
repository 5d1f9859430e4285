package storage

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"jiuzhu/app"
	"jiuzhu/vault"
)

// User is a person who signs in on this device.
type User struct {
	ID   string
	Name string
	Role app.Role
}

// Actor is the signature a user's events carry.
func (u User) Actor() app.Actor { return app.Actor{UserID: u.ID, Name: u.Name, Role: u.Role} }

// argon2id parameters (OWASP minimum: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// Sign-in policy: after MaxFailedSignIns wrong passwords in a row a user is
// locked out for LockoutDuration (the count starts again after the lock-out
// or a successful sign-in). Passwords have at least MinPasswordLen characters.
const (
	MaxFailedSignIns = 5
	LockoutDuration  = 15 * time.Minute
	MinPasswordLen   = 6
)

// CreateUser adds a local user with an argon2id password hash and the data
// key wrapped under the password. It needs the key in memory: on a device
// without users it is (and the first user takes it out of the clear), else a
// signed-in user creates the next. u.ID may be given (demo users keep the IDs
// the demo data is signed with).
func (s *Store) CreateUser(ctx context.Context, u User, password string) (User, error) {
	u.Name = strings.TrimSpace(u.Name)
	if u.Name == "" || utf8.RuneCountInString(u.Name) > 30 {
		return User{}, app.FieldErrorf("姓名", "请填写姓名（30字以内）")
	}
	switch u.Role {
	case app.RoleLiaison, app.RoleClerk, app.RoleApprover, app.RoleCounty:
	default:
		return User{}, app.FieldErrorf("角色", "请选择角色")
	}
	if err := checkNewPassword("密码", password); err != nil {
		return User{}, err
	}
	if u.ID == "" {
		u.ID = app.NewID()
	}
	k, err := s.currentKey()
	if err != nil {
		return User{}, err
	}
	phc, err := hashPassword(password)
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC().Format(time.RFC3339)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO users (id, name, role, password, created, password_set, data_key)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Name, string(u.Role), phc, now, now, vault.WrapWithPassword(k, password, vault.DefaultPasswordCost))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return User{}, app.FieldErrorf("姓名", "已有名为“%s”的用户", u.Name)
		}
		return User{}, fmt.Errorf("create user: %w", err)
	}
	// The first user takes the key out of the clear.
	dropped, err := dropOpenKey(ctx, tx)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if dropped {
		if err := s.forgetOldPages(ctx); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

func checkNewPassword(field, password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return app.FieldErrorf(field, "密码至少%d位", MinPasswordLen)
	}
	if utf8.RuneCountInString(password) > 128 {
		return app.FieldErrorf(field, "密码不能超过128位")
	}
	return nil
}

// hashPassword returns the PHC string of a fresh argon2id hash.
func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// verifyPassword checks password against a PHC string.
func verifyPassword(phc, password string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("verify password: unknown password format")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 {
		return false, fmt.Errorf("verify password: bad parameters")
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, fmt.Errorf("verify password: bad hash encoding")
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Users lists the local users by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, role FROM users ORDER BY role, name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Name, &u.Role); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// HasUsers reports whether any local user exists (a device fresh from
// `jiuzhu init` without --user has none).
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	return n > 0, nil
}

// UserByName finds a local user by name.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	var u User
	err := s.db.QueryRowContext(ctx, `SELECT id, name, role FROM users WHERE name = ?`, strings.TrimSpace(name)).
		Scan(&u.ID, &u.Name, &u.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, app.Errorf(app.ENOTFOUND, "本机没有名为“%s”的用户", strings.TrimSpace(name))
	}
	if err != nil {
		return User{}, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// Sentinels a refused sign-in matches with errors.Is.
var (
	ErrBadPassword = errors.New("wrong password")
	ErrLocked      = errors.New("account locked")
)

// SignInError is a refused sign-in: a wrong password with Remaining attempts
// left, or a locked account (Until is when the lock-out ends). Its message is
// Chinese and safe to show (app.ErrorMessage finds it).
type SignInError struct {
	Remaining int
	Until     time.Time // zero unless locked
	msg       *app.Error
}

func (e *SignInError) Error() string { return e.msg.Error() }
func (e *SignInError) Unwrap() error { return e.msg }
func (e *SignInError) Is(target error) bool {
	return (target == ErrLocked && !e.Until.IsZero()) || (target == ErrBadPassword && e.Until.IsZero())
}

// hhmm is a time of day in China time, for lock-out messages.
func hhmm(t time.Time) string { return t.In(chinaTime).Format("15:04") }

func lockedErr(until time.Time, prefix string) *SignInError {
	return &SignInError{Until: until, msg: app.Errorf(app.EFORBIDDEN, "%s账户已锁定，请于%s后重试", prefix, hhmm(until))}
}

// Authenticate checks a user's password. A wrong password counts towards the
// lock-out; a locked user is refused without looking at the password; a
// correct password resets the count and unlocks the data key.
func (s *Store) Authenticate(ctx context.Context, userID, password string) (User, error) {
	u, err := s.authenticate(ctx, userID, password)
	if err != nil {
		return u, err
	}
	if err := s.afterUnlock(ctx); err != nil {
		return User{}, err
	}
	return u, nil
}

func (s *Store) authenticate(ctx context.Context, userID, password string) (User, error) {
	tx, err := s.db.BeginTx(ctx, nil) // immediate: two processes cannot both miss each other's failures
	if err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	defer tx.Rollback()
	var u User
	var phc, lockedUntil, wrapped string
	var failed int
	err = tx.QueryRowContext(ctx, `SELECT id, name, role, password, failed, locked_until, data_key FROM users WHERE id = ?`, userID).
		Scan(&u.ID, &u.Name, &u.Role, &phc, &failed, &lockedUntil, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, app.Errorf(app.ENOTFOUND, "未找到该用户")
	}
	if err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	now := s.now()
	if lockedUntil != "" {
		until, err := time.Parse(time.RFC3339, lockedUntil)
		if err == nil && now.Before(until) {
			return User{}, lockedErr(until, "")
		}
	}
	ok, err := verifyPassword(phc, password)
	if err != nil {
		return User{}, err
	}
	if ok {
		wrappedNow, err := s.unlockForUser(ctx, tx, u.ID, wrapped, password)
		if err != nil {
			return User{}, err
		}
		if failed != 0 || lockedUntil != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET failed = 0, locked_until = '' WHERE id = ?`, u.ID); err != nil {
				return User{}, fmt.Errorf("authenticate: %w", err)
			}
		}
		if wrappedNow || failed != 0 || lockedUntil != "" {
			if err := tx.Commit(); err != nil {
				return User{}, fmt.Errorf("authenticate: %w", err)
			}
		}
		return u, nil
	}
	failed++
	var refusal *SignInError
	if failed >= MaxFailedSignIns {
		until := now.Add(LockoutDuration).UTC().Truncate(time.Second)
		_, err = tx.ExecContext(ctx, `UPDATE users SET failed = 0, locked_until = ? WHERE id = ?`, until.Format(time.RFC3339), u.ID)
		refusal = lockedErr(until, "密码错误次数过多，")
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE users SET failed = ?, locked_until = '' WHERE id = ?`, failed, u.ID)
		left := MaxFailedSignIns - failed
		refusal = &SignInError{Remaining: left, msg: app.Errorf(app.EFORBIDDEN, "密码错误，还可尝试%d次", left)}
	}
	if err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	return User{}, refusal
}

// ChangePassword replaces a user's password after checking the old one (a
// wrong old password counts towards the lock-out like any sign-in), and
// wraps the data key again under the new one.
func (s *Store) ChangePassword(ctx context.Context, userID, oldPassword, newPassword string) error {
	if err := checkNewPassword("新密码", newPassword); err != nil {
		return err
	}
	if _, err := s.Authenticate(ctx, userID, oldPassword); err != nil {
		var se *SignInError
		if errors.As(err, &se) {
			if se.Until.IsZero() {
				return &SignInError{Remaining: se.Remaining,
					msg: &app.Error{Code: app.EFORBIDDEN, Field: "原密码", Message: se.msg.Message}}
			}
		}
		return err
	}
	if newPassword == oldPassword {
		return app.FieldErrorf("新密码", "新密码不能与原密码相同")
	}
	k, err := s.currentKey() // Authenticate unlocked it
	if err != nil {
		return err
	}
	phc, err := hashPassword(newPassword)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `UPDATE users SET password = ?, data_key = ?, password_set = ?, failed = 0,
		locked_until = '' WHERE id = ?`,
		phc, vault.WrapWithPassword(k, newPassword, vault.DefaultPasswordCost), s.now().UTC().Format(time.RFC3339), userID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	// The old wrap opens under the old password: do not leave its page behind.
	return s.forgetOldPages(ctx)
}
