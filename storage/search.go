package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	stdsync "sync"
	"unicode/utf8"

	"jiuzhu/app"
)

// nameIndex finds members by a fragment of their name or ID number. It lives
// in memory because names and ID numbers are sealed on disk: it is built from
// the members table after sign-in (on the first search) and follows later
// writes, from this process or any other, through member_changes, which
// triggers on members fill.
type nameIndex struct {
	mu    stdsync.Mutex
	built bool
	seq   int64 // the last member_changes row applied
	rows  []nameRow
	pos   map[int64]int // member rowid -> index in rows
	dead  int           // removed rows still in the slice
}

type nameRow struct {
	rowid    int64 // 0 once removed
	name, id string
}

// reset forgets everything (lock, purge, rebuild).
func (x *nameIndex) reset() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.built, x.seq, x.rows, x.pos, x.dead = false, 0, nil, nil, 0
}

// pruneAfter is how many change rows may pile up before they are deleted.
const pruneAfter = 20000

// catchUp brings the index up to date with the members table.
func (x *nameIndex) catchUp(ctx context.Context, db *sql.DB) error {
	var first, last int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(min(seq), 0), COALESCE(max(seq), 0) FROM member_changes`).
		Scan(&first, &last); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	// first > x.seq+1: changes this index has not seen were pruned by
	// another process (or the table was emptied by a rebuild): start again.
	// Many changes (a rebuild, a big import) are cheaper to read as the table.
	if !x.built || (first > x.seq+1 && last > x.seq) || last < x.seq || last-x.seq > int64(len(x.pos)) {
		if err := x.load(ctx, db, last); err != nil {
			return err
		}
	} else if last > x.seq {
		if err := x.follow(ctx, db, last); err != nil {
			return err
		}
	}
	if last-first > pruneAfter {
		// Only rows this index has applied go; an index in another process
		// that is further behind notices the gap and loads again.
		if _, err := db.ExecContext(ctx, `DELETE FROM member_changes WHERE seq <= ?`, x.seq); err != nil {
			return fmt.Errorf("search index: prune: %w", err)
		}
	}
	return nil
}

func (x *nameIndex) load(ctx context.Context, db *sql.DB, upTo int64) error {
	rows, err := db.QueryContext(ctx, `SELECT rowid, dec(name), dec(id_number) FROM members`)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	defer rows.Close()
	x.rows, x.pos, x.dead = x.rows[:0], map[int64]int{}, 0
	for rows.Next() {
		var r nameRow
		if err := rows.Scan(&r.rowid, &r.name, &r.id); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		x.pos[r.rowid] = len(x.rows)
		x.rows = append(x.rows, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	// Changes made while loading are applied again by the next catchUp:
	// applying one means "take the row as it is now", so twice is harmless.
	x.built, x.seq = true, upTo
	return nil
}

func (x *nameIndex) follow(ctx context.Context, db *sql.DB, upTo int64) error {
	rows, err := db.QueryContext(ctx, `SELECT c.member_rowid, m.rowid IS NOT NULL, dec(m.name), dec(m.id_number)
		FROM member_changes c LEFT JOIN members m ON m.rowid = c.member_rowid
		WHERE c.seq > ? AND c.seq <= ? ORDER BY c.seq`, x.seq, upTo)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r nameRow
		var exists bool
		var name, id sql.NullString
		if err := rows.Scan(&r.rowid, &exists, &name, &id); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		x.remove(r.rowid)
		if exists {
			r.name, r.id = name.String, id.String
			x.pos[r.rowid] = len(x.rows)
			x.rows = append(x.rows, r)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	x.seq = upTo
	if x.dead > len(x.rows)/2 {
		x.compact()
	}
	return nil
}

func (x *nameIndex) remove(rowid int64) {
	if i, ok := x.pos[rowid]; ok {
		x.rows[i] = nameRow{}
		delete(x.pos, rowid)
		x.dead++
	}
}

func (x *nameIndex) compact() {
	live := x.rows[:0]
	for _, r := range x.rows {
		if r.rowid != 0 {
			x.pos[r.rowid] = len(live)
			live = append(live, r)
		}
	}
	clear(x.rows[len(live):])
	x.rows, x.dead = live, 0
}

// match returns the rowids of members whose ID number contains an ID
// fragment, or whose name contains a name fragment.
func (x *nameIndex) match(fragment string, isID bool) []int64 {
	var out []int64
	for _, r := range x.rows {
		if r.rowid == 0 {
			continue
		}
		field := r.name
		if isID {
			field = r.id
		}
		if strings.Contains(field, fragment) {
			out = append(out, r.rowid)
		}
	}
	return out
}

// memberMatch builds the condition on members m for a search query: an ID
// fragment (3+ digits) or a name fragment of any length. The matching rowids
// come from the index in memory and go to SQL as a JSON array.
func (s *Store) memberMatch(ctx context.Context, query string) (string, []any, error) {
	q := strings.TrimSpace(query)
	isID := isIDFragment(q)
	if isID {
		q = strings.ToUpper(app.NormalizeID(q))
		if len(q) < 3 {
			return "", nil, app.FieldErrorf("搜索", "按身份证号搜索请至少输入3位")
		}
	}
	if utf8.RuneCountInString(q) == 0 {
		return "1", nil, nil
	}
	if s.Locked() {
		return "", nil, errDataLocked
	}
	s.names.mu.Lock()
	defer s.names.mu.Unlock()
	if err := s.names.catchUp(ctx, s.db); err != nil {
		return "", nil, err
	}
	ids := s.names.match(q, isID)
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte(']')
	return `m.rowid IN (SELECT value FROM json_each(?))`, []any{b.String()}, nil
}

func isIDFragment(q string) bool {
	if q == "" {
		return false
	}
	for _, r := range app.NormalizeID(q) {
		if (r < '0' || r > '9') && r != 'X' {
			return false
		}
	}
	return true
}
