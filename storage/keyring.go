package storage

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync/atomic"

	"modernc.org/sqlite"

	"jiuzhu/app"
	"jiuzhu/vault"
)

// Encryption at rest. Sensitive columns hold text sealed with the device
// data key (vault.Sealer); SQL reads them through dec(x), writes them through
// enc(x), and looks ID numbers up through idx(x), a keyed hash. The three
// functions are registered on a driver of the store's own, bound to its
// keyring, so every query of every package sees the same key and a locked
// store refuses to read or write personal data at all.
//
// What is sealed: event payloads and attachment bytes (the log), and in the
// projections every name, ID number, the JSON data columns (addresses,
// phones, incomes, bank accounts, health and disability), conflict values,
// attachment names and notes, payee lines, lead subjects and worklist rows.
// What is not: ids, codes, states, dates, amounts paid (public in notices),
// and the staff names that sign events.

// errDataLocked is returned by any query that touches sealed data before a
// user signed in.
var errDataLocked = app.Errorf(app.EFORBIDDEN, "数据已加密，请先登录")

// keyring holds the unwrapped data key of one store while it is unlocked.
type keyring struct {
	sealer atomic.Pointer[vault.Sealer]
	data   atomic.Pointer[vault.Key] // kept to wrap it for a new user or the county
}

func (k *keyring) unlock(key vault.Key) {
	k.data.Store(&key)
	k.sealer.Store(vault.NewSealer(key))
}

func (k *keyring) lock() {
	k.sealer.Store(nil)
	k.data.Store(nil)
}

func (k *keyring) get() (*vault.Sealer, error) {
	s := k.sealer.Load()
	if s == nil {
		return nil, errDataLocked
	}
	return s, nil
}

// driver returns a SQLite driver whose connections know enc, dec and idx
// under this keyring.
func (k *keyring) driver() *sqlite.Driver {
	d := &sqlite.Driver{}
	d.MustRegisterScalarFunction("enc", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, err := k.get()
		if err != nil {
			return nil, err
		}
		switch v := args[0].(type) {
		case nil:
			return nil, nil
		case string:
			if v == "" {
				return "", nil // empty stays empty: column defaults need no key
			}
			return s.SealText(v), nil
		case []byte:
			return s.Seal(v), nil
		default:
			return s.SealText(fmt.Sprint(v)), nil
		}
	})
	// dec keeps nothing of its argument (it decodes into a buffer of its own),
	// so it takes it as a view into SQLite's memory: one copy less per value,
	// which exports of whole rosters feel.
	d.MustRegisterFunction("dec", &sqlite.FunctionImpl{NArgs: 1, Deterministic: true, VolatileArgs: true, Scalar: func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, err := k.get()
		if err != nil {
			return nil, err
		}
		switch v := args[0].(type) {
		case nil:
			return nil, nil
		case string:
			if v == "" {
				return "", nil
			}
			return s.OpenText(v)
		case []byte:
			return s.Open(v)
		default:
			return nil, fmt.Errorf("dec: %T is not a sealed value", v)
		}
	}})
	d.MustRegisterDeterministicScalarFunction("idx", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, err := k.get()
		if err != nil {
			return nil, err
		}
		v, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("idx: %T is not text", args[0])
		}
		return s.Index(v), nil
	})
	return d
}

// connector opens connections of one driver on one DSN (the modernc driver
// has no OpenConnector of its own).
type connector struct {
	d   *sqlite.Driver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.d }
