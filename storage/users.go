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

// CreateUser adds a local user with an argon2id password hash. u.ID may be
// given (demo users keep the IDs the demo data is signed with).
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
	if utf8.RuneCountInString(password) < 6 {
		return User{}, app.FieldErrorf("密码", "密码至少6位")
	}
	if u.ID == "" {
		u.ID = app.NewID()
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return User{}, err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	phc := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (id, name, role, password, created) VALUES (?, ?, ?, ?, ?)`,
		u.ID, u.Name, string(u.Role), phc, s.now().UTC().Format(time.RFC3339))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return User{}, app.FieldErrorf("姓名", "已有名为“%s”的用户", u.Name)
		}
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
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

// ErrBadPassword is returned by Authenticate for a wrong password.
var ErrBadPassword = app.Errorf(app.EFORBIDDEN, "密码不正确，请重新输入")

// Authenticate checks a user's password.
func (s *Store) Authenticate(ctx context.Context, userID, password string) (User, error) {
	var u User
	var phc string
	err := s.db.QueryRowContext(ctx, `SELECT id, name, role, password FROM users WHERE id = ?`, userID).
		Scan(&u.ID, &u.Name, &u.Role, &phc)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, app.Errorf(app.ENOTFOUND, "未找到该用户")
	}
	if err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return User{}, fmt.Errorf("authenticate: unknown password format")
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return User{}, fmt.Errorf("authenticate: bad parameters: %w", err)
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return User{}, fmt.Errorf("authenticate: bad hash encoding")
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return User{}, ErrBadPassword
	}
	return u, nil
}
