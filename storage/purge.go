package storage

import (
	"context"
	"fmt"
	"time"
)

// MetaPurgedAt marks a device whose data was purged after the county revoked it.
const MetaPurgedAt = "purged_at"

// Purge deletes every record of people from this device: the event log,
// attachments, every projection, the local users and every wrapped data key, keeping only the device
// identity and a note of when it happened. It then rewrites the file and
// truncates the WAL so the deleted pages do not linger on disk. It is what a
// revoked (lost or stolen) device does at its next contact with the county.
func (s *Store) Purge(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table'
		AND name NOT IN ('meta', 'positions') AND name NOT LIKE 'sqlite_%'
		AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'`)
	if err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	for _, t := range tables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM "`+t+`"`); err != nil {
			return fmt.Errorf("purge %s: %w", t, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key NOT IN ('device_id', 'device_name', 'township_code', 'township_name')`); err != nil {
		return err
	}
	if err := setMetaTx(ctx, tx, MetaPurgedAt, s.now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	// The wrapped keys went with the users and the meta rows; the key in
	// memory goes now, so nothing sealed could be opened again.
	s.keys.lock()
	s.names.reset()
	for _, q := range []string{`PRAGMA secure_delete = ON`, `VACUUM`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("purge: %s: %w", q, err)
		}
	}
	return nil
}

// Purged reports when the device's data was purged ("" if never).
func (s *Store) Purged(ctx context.Context) (string, error) { return s.Meta(ctx, MetaPurgedAt) }
