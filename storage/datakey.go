package storage

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"jiuzhu/app"
	"jiuzhu/vault"
)

// Meta keys of the data key (see migration 0007).
const (
	metaKeyID          = "data_key_id"
	metaKeyOpen        = "data_key_open"
	metaKeyCounty      = "data_key_county"
	metaRecoveryPublic = "county_recovery_public"
)

// Locked reports whether the data key is not in memory: no user has signed
// in since the store was opened, or the device was purged.
func (s *Store) Locked() bool {
	_, err := s.keys.get()
	return err != nil
}

// unlockOpenKey unlocks a device that has no user yet, whose key is kept in
// the clear. It refuses a database from before encryption existed.
func (s *Store) unlockOpenKey(ctx context.Context) error {
	id, err := s.Meta(ctx, metaKeyID)
	if err != nil {
		return err
	}
	if id == "" {
		if purged, _ := s.Meta(ctx, MetaPurgedAt); purged != "" {
			return nil // a purged device has nothing left to open
		}
		return app.Errorf(app.EINVALID, "数据库 %s 由未加密的旧版本建立，不能继续使用：请重新初始化后再从县里同步", s.path)
	}
	open, err := s.Meta(ctx, metaKeyOpen)
	if err != nil || open == "" {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(open)
	if err != nil || len(raw) != vault.KeySize {
		return fmt.Errorf("open: the unprotected data key is damaged")
	}
	var k vault.Key
	copy(k[:], raw)
	return s.unlockWith(k, id)
}

func (s *Store) unlockWith(k vault.Key, wantID string) error {
	if k.ID() != wantID {
		return app.Errorf(app.EINVALID, "解开的数据密钥与本机数据不符")
	}
	s.keys.unlock(k)
	return nil
}

// Lock forgets the data key: nothing personal can be read until a user
// signs in again.
func (s *Store) Lock() { s.keys.lock(); s.names.reset() }

// currentKey returns the data key in memory, to wrap it for someone.
func (s *Store) currentKey() (vault.Key, error) {
	p := s.keys.data.Load()
	if p == nil {
		return vault.Key{}, errDataLocked
	}
	return *p, nil
}

// unlockForUser unwraps the data key with a user's password (after the
// password was checked) and, for a user without a wrap of their own on an
// unlocked device, adds one.
func (s *Store) unlockForUser(ctx context.Context, tx *sql.Tx, userID, wrapped, password string) (changed bool, err error) {
	id, err := metaTx(ctx, tx, metaKeyID)
	if err != nil {
		return false, err
	}
	if wrapped == "" {
		k, err := s.currentKey()
		if err != nil {
			return false, app.Errorf(app.EFORBIDDEN, "该用户还没有数据密钥，请由已有用户登录后再试，或用县级恢复密钥恢复")
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET data_key = ? WHERE id = ?`, vault.WrapWithPassword(k, password, vault.DefaultPasswordCost), userID)
		return true, err
	}
	k, err := vault.UnwrapWithPassword(wrapped, password)
	if err != nil {
		return false, fmt.Errorf("unlock data key: %w", err)
	}
	return false, s.unlockWith(k, id)
}

// dropOpenKey removes the unprotected copy of the key once a user holds a
// wrapped one. The caller checkpoints after commit, so that the old page
// does not stay behind in the WAL.
func dropOpenKey(ctx context.Context, tx *sql.Tx) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, metaKeyOpen)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// forgetOldPages writes the WAL back into the file and truncates it, so a
// page that held a key or a password hash now replaced is gone from disk.
func (s *Store) forgetOldPages(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func metaTx(ctx context.Context, tx *sql.Tx, key string) (string, error) {
	var v string
	err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// EncryptionStatus says how this device's data key is kept, for 设置.
type EncryptionStatus struct {
	Protected      bool // the key is wrapped by users' passwords only (no clear copy)
	CountyRecovery bool // a copy is wrapped for the county's recovery key
	KeyID          string
}

// Encryption reports how the data key is kept.
func (s *Store) Encryption(ctx context.Context) (EncryptionStatus, error) {
	var st EncryptionStatus
	var err error
	if st.KeyID, err = s.Meta(ctx, metaKeyID); err != nil {
		return st, err
	}
	open, err := s.Meta(ctx, metaKeyOpen)
	if err != nil {
		return st, err
	}
	county, err := s.Meta(ctx, metaKeyCounty)
	if err != nil {
		return st, err
	}
	st.Protected, st.CountyRecovery = open == "" && st.KeyID != "", county != ""
	return st, nil
}

// SetRecoveryKey wraps the data key for the county's recovery public key
// (the text `county keygen` writes), so that the county can give the data
// back to a township whose users all forgot their passwords.
func (s *Store) SetRecoveryKey(ctx context.Context, public string) error {
	if err := vault.CheckRecoveryPublic(public); err != nil {
		return app.FieldErrorf("县级恢复公钥", "不是县级恢复公钥（应以 jiuzhu-recovery-public: 开头）")
	}
	k, err := s.currentKey()
	if err != nil {
		return err
	}
	wrapped, err := vault.WrapForRecovery(k, public)
	if err != nil {
		return fmt.Errorf("wrap for county: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := setMetaTx(ctx, tx, metaKeyCounty, wrapped); err != nil {
		return err
	}
	if err := setMetaTx(ctx, tx, metaRecoveryPublic, public); err != nil {
		return err
	}
	return tx.Commit()
}

// Recover opens the data with the county's recovery private key and gives
// user a new password (and a new wrap of the key under it). It is how a
// township gets its data back when every password is lost: the county brings
// its private key to the device; the device never holds it.
func (s *Store) Recover(ctx context.Context, private, userID, newPassword string) error {
	if err := checkNewPassword("新密码", newPassword); err != nil {
		return err
	}
	wrapped, err := s.Meta(ctx, metaKeyCounty)
	if err != nil {
		return err
	}
	if wrapped == "" {
		return app.Errorf(app.ENOTFOUND, "本机没有县级恢复密钥的副本，无法恢复")
	}
	k, err := vault.UnwrapWithRecovery(wrapped, private)
	if err != nil {
		return app.Errorf(app.EFORBIDDEN, "县级恢复私钥不对，无法解开本机数据")
	}
	id, err := s.Meta(ctx, metaKeyID)
	if err != nil {
		return err
	}
	if err := s.unlockWith(k, id); err != nil {
		return err
	}
	phc, err := hashPassword(newPassword)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE users SET password = ?, data_key = ?, password_set = ?, failed = 0,
		locked_until = '' WHERE id = ?`, phc, vault.WrapWithPassword(k, newPassword, vault.DefaultPasswordCost),
		s.now().UTC().Format(time.RFC3339), userID)
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "未找到该用户")
	}
	return s.forgetOldPages(ctx)
}
