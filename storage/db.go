package storage

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// applicationID marks a file as a Jiuzhu device database ("JZDB"), so that
// opening some other SQLite file fails loudly instead of migrating it.
const applicationID = 0x4a5a4442

//go:embed migrations/*.sql
var migrationFiles embed.FS

// openDB opens (creating if needed) a SQLite file with the pragmas every
// connection needs and the sealing functions of keys, and applies pending
// migrations in one transaction. secure_delete zeroes what a delete frees in
// a page, so a removed plaintext key does not linger in the file.
func openDB(ctx context.Context, path string, keys *keyring) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(wal)", "foreign_keys(1)", "busy_timeout(10000)", "synchronous(normal)",
		"temp_store(memory)", "cache_size(-65536)", "secure_delete(fast)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db := sql.OpenDB(connector{d: keys.driver(), dsn: "file:" + path + "?" + q.Encode()})
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()

	var appID, version int
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("migrate: read application_id: %w", err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("migrate: read user_version: %w", err)
	}
	if appID != 0 && appID != applicationID {
		return fmt.Errorf("migrate: not a jiuzhu database (application_id %#x)", appID)
	}
	if appID == 0 && version == 0 {
		var tables int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if tables > 0 {
			return fmt.Errorf("migrate: not a jiuzhu database (it already has %d tables)", tables)
		}
	}

	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "migrations/"), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: bad migration name %s", name)
		}
		if n <= version {
			continue
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", n)); err != nil {
			return fmt.Errorf("migrate: set version %d: %w", n, err)
		}
		version = n
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
		return fmt.Errorf("migrate: set application_id: %w", err)
	}
	return tx.Commit()
}
