package storage

import (
	"context"
	"fmt"
	"strings"
)

// CountCases counts the cases a filter selects (Sort, Limit and Offset are
// ignored), so a list can show "page n of m".
func (s *Store) CountCases(ctx context.Context, f CaseFilter) (int, error) {
	var where []string
	var args []any
	if f.Query != "" {
		cond, qargs, err := memberMatch(f.Query)
		if err != nil {
			return 0, err
		}
		where = append(where, `c.household_id IN (SELECT m.household_id FROM members m WHERE `+cond+`)`)
		args = append(args, qargs...)
	}
	if f.VillageCode != "" {
		where, args = append(where, `c.village_code = ?`), append(args, f.VillageCode)
	}
	if f.Program != "" {
		where, args = append(where, `c.program = ?`), append(args, string(f.Program))
	}
	if f.State != "" {
		where, args = append(where, `c.state = ?`), append(args, string(f.State))
	}
	if f.DueBefore != "" {
		where, args = append(where, `c.next_due <> '' AND c.next_due <= ?`), append(args, f.DueBefore)
	}
	q := `SELECT count(*) FROM cases c`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
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
