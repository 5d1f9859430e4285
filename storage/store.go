package storage

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	stdsync "sync"
	"time"

	"jiuzhu/app"
	"jiuzhu/vault"
)

// Device is the identity of this installation, fixed at init.
type Device struct {
	ID           string
	Name         string
	TownshipCode string
	TownshipName string
}

// Store is a device database.
type Store struct {
	db     *sql.DB
	path   string
	device Device

	mu    stdsync.Mutex // serialises appends: device_seq and the hash chain are gap-free
	clock *app.Clock
	now   func() time.Time

	keys  *keyring   // the data key while a user is signed in (see keyring.go)
	names *nameIndex // name and ID number search, in memory (see search.go)
}

// ErrNotInitialised is returned by Open for a file that `jiuzhu init` has not set up.
var ErrNotInitialised = errors.New("database not initialised: run `jiuzhu init` first")

// Init creates a new device database at path.
func Init(ctx context.Context, path string, d Device) (*Store, error) {
	if !app.ValidTownshipCode(d.TownshipCode) {
		return nil, app.FieldErrorf("乡镇代码", "乡镇统计代码应为9位数字")
	}
	if _, err := os.Stat(path); err == nil {
		return nil, app.Errorf(app.ECONFLICT, "数据库文件 %s 已存在，不能重复初始化", path)
	}
	keys := &keyring{}
	db, err := openDB(ctx, path, keys)
	if err != nil {
		return nil, err
	}
	if d.ID == "" {
		d.ID = app.NewID()
	}
	// Until the first user is created the data key sits in the clear
	// (data_key_open): a device without users is not protected, and says so.
	key := vault.NewKey()
	_, err = db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES
		('device_id', ?), ('device_name', ?), ('township_code', ?), ('township_name', ?),
		('data_key_id', ?), ('data_key_open', ?)`,
		d.ID, d.Name, d.TownshipCode, d.TownshipName, key.ID(), base64.StdEncoding.EncodeToString(key[:]))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init: %w", err)
	}
	return newStore(ctx, db, path, keys)
}

// Open opens an initialised device database.
func Open(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	keys := &keyring{}
	db, err := openDB(ctx, path, keys)
	if err != nil {
		return nil, err
	}
	return newStore(ctx, db, path, keys)
}

func newStore(ctx context.Context, db *sql.DB, path string, keys *keyring) (*Store, error) {
	s := &Store{db: db, path: path, now: time.Now, keys: keys, names: &nameIndex{}}
	var err error
	if s.device.ID, err = s.Meta(ctx, "device_id"); err != nil {
		db.Close()
		return nil, err
	}
	if s.device.ID == "" {
		db.Close()
		return nil, ErrNotInitialised
	}
	s.device.Name, _ = s.Meta(ctx, "device_name")
	s.device.TownshipCode, _ = s.Meta(ctx, "township_code")
	s.device.TownshipName, _ = s.Meta(ctx, "township_name")
	if err := s.unlockOpenKey(ctx); err != nil {
		db.Close()
		return nil, err
	}
	var last sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT max(hlc) FROM events`).Scan(&last); err != nil {
		db.Close()
		return nil, fmt.Errorf("open: read clock: %w", err)
	}
	var hlc app.HLC
	if last.Valid {
		hlc, _ = app.ParseHLC(last.String)
	}
	s.clock = app.NewClock(hlc)
	if err := s.afterUnlock(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// afterUnlock runs what needs the data key once it is in memory: writing
// records kept before they were in the log to the log (see
// adoptLegacyWorklist). It does nothing on a locked store.
func (s *Store) afterUnlock(ctx context.Context) error {
	if s.Locked() {
		return nil
	}
	return s.adoptLegacyWorklist(ctx)
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the connection pool to the packages that sit beside storage
// (sync, spreadsheets) and to tests.
func (s *Store) DB() *sql.DB { return s.db }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Device returns this installation's identity.
func (s *Store) Device() Device { return s.device }

// SetClock replaces the wall clock (tests, simulations).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Today is the current date in China Standard Time, where legal time limits run.
func (s *Store) Today() app.Date { return app.DateOf(s.now().In(chinaTime)) }

var chinaTime = time.FixedZone("CST", 8*3600)

// Meta reads a meta value ("" if absent).
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read meta %s: %w", key, err)
	}
	return v, nil
}

// SetMeta writes a meta value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write meta %s: %w", key, err)
	}
	return nil
}

func setMetaTx(ctx context.Context, tx *sql.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
