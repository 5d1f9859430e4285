package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Drafts are forms a clerk has started and not submitted (the intake form
// keeps one, saved at every change so nothing typed is lost). They hold
// names and ID numbers, so they are sealed in the database like the rest,
// not left in a file beside it.

func draftKey(name string) string { return "draft:" + name }

// SaveDraft stores the draft called name, replacing the previous one.
func (s *Store) SaveDraft(ctx context.Context, name string, content []byte) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, enc(?))
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, draftKey(name), string(content))
	if err != nil {
		return fmt.Errorf("save draft %s: %w", name, err)
	}
	return nil
}

// Draft returns the draft called name (nil if there is none).
func (s *Store) Draft(ctx context.Context, name string) ([]byte, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT dec(value) FROM meta WHERE key = ?`, draftKey(name)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read draft %s: %w", name, err)
	}
	return []byte(v), nil
}

// DeleteDraft removes the draft called name.
func (s *Store) DeleteDraft(ctx context.Context, name string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, draftKey(name)); err != nil {
		return fmt.Errorf("delete draft %s: %w", name, err)
	}
	return nil
}
