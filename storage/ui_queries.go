package storage

import (
	"context"
	"fmt"
)

// CountCases counts the cases a filter selects (Sort, Limit and Offset are
// ignored), so a list can show "page n of m".
func (s *Store) CountCases(ctx context.Context, f CaseFilter) (int, error) {
	where, args, err := s.caseWhere(ctx, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM cases c`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count cases: %w", err)
	}
	return n, nil
}

// CountMembers is the number of registered persons.
func (s *Store) CountMembers(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM members`).Scan(&n)
	return n, err
}
