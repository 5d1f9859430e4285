package sync

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	stdsync "sync"
	"time"

	"jiuzhu/app"
	"jiuzhu/storage"

	_ "modernc.org/sqlite"
)

//go:embed migrations/*.sql
var countyMigrations embed.FS

// countyAppID marks a county database ("JZCY").
const countyAppID = 0x4a5a4359

// SQLiteStore is the county's default ServerStore: one SQLite file in WAL mode.
// Writes go through a connection that begins IMMEDIATE transactions (one
// writer at a time, no upgrade deadlocks); pulls read from a separate pool so
// they see one snapshot without taking the write lock.
type SQLiteStore struct {
	db  *sql.DB // writer
	rdb *sql.DB // readers

	mu    stdsync.Mutex
	clock *app.Clock
	now   func() time.Time
}

// OpenSQLite opens (creating and migrating) a county database.
func OpenSQLite(ctx context.Context, path string) (*SQLiteStore, error) {
	open := func(txlock string) (*sql.DB, error) {
		q := url.Values{}
		for _, p := range []string{"journal_mode(wal)", "busy_timeout(10000)", "synchronous(normal)", "foreign_keys(1)"} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", txlock)
		return sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	}
	db, err := open("immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one writer: later pushes wait in Go, not in SQLite's busy loop
	if err := migrateCounty(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	rdb, err := open("deferred")
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &SQLiteStore{db: db, rdb: rdb, now: time.Now}
	var last sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT max(json_extract(body, '$.hlc')) FROM events`).Scan(&last); err != nil {
		s.Close()
		return nil, err
	}
	var hlc app.HLC
	if last.Valid {
		hlc, _ = app.ParseHLC(last.String)
	}
	s.clock = app.NewClock(hlc)
	return s, nil
}

// Close closes the database.
func (s *SQLiteStore) Close() error {
	err := s.db.Close()
	if err2 := s.rdb.Close(); err == nil {
		err = err2
	}
	return err
}

// DB exposes the writer (tests).
func (s *SQLiteStore) DB() *sql.DB { return s.db }

func migrateCounty(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var appID, version int
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if appID != 0 && appID != countyAppID {
		return fmt.Errorf("migrate: not a county database (application_id %#x)", appID)
	}
	names, _ := fs.Glob(countyMigrations, "migrations/*.sql")
	sort.Strings(names)
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "migrations/"), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: bad name %s", name)
		}
		if n <= version {
			continue
		}
		body, _ := countyMigrations.ReadFile(name)
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", n)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", countyAppID)); err != nil {
		return err
	}
	return tx.Commit()
}

// Enroll registers a device and returns its token (shown once; only its hash is kept).
func (s *SQLiteStore) Enroll(ctx context.Context, name, township string, villages []string) (string, error) {
	if name == "" {
		return "", app.FieldErrorf("设备名称", "请填写设备名称")
	}
	if !app.ValidTownshipCode(township) {
		return "", app.FieldErrorf("乡镇代码", "乡镇统计代码应为9位数字")
	}
	for _, v := range villages {
		if len(v) != 12 || !strings.HasPrefix(v, township) {
			return "", app.FieldErrorf("村代码", "村代码 %s 应为12位，且以乡镇代码 %s 开头", v, township)
		}
	}
	if villages == nil {
		villages = []string{}
	}
	var b [32]byte
	rand.Read(b[:])
	token := "jz_" + base64.RawURLEncoding.EncodeToString(b[:])
	vj, _ := json.Marshal(villages)
	_, err := s.db.ExecContext(ctx, `INSERT INTO devices (name, township, villages, token_hash, enrolled_at)
		VALUES (?, ?, ?, ?, ?)`, name, township, string(vj), HashToken(token), s.now().UTC().Format(time.RFC3339))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return "", app.Errorf(app.ECONFLICT, "设备“%s”已登记；如需换新令牌，请先吊销", name)
		}
		return "", fmt.Errorf("enroll: %w", err)
	}
	return token, nil
}

// Revoke stops a device's token from working. Its events stay.
func (s *SQLiteStore) Revoke(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE devices SET revoked = 1, name = name || '#revoked-' || id,
		token_hash = 'revoked-' || id || '-' || token_hash WHERE name = ? AND revoked = 0`, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "未找到设备“%s”", name)
	}
	return nil
}

// Ping checks the database.
func (s *SQLiteStore) Ping(ctx context.Context) error {
	var n int
	return s.rdb.QueryRowContext(ctx, `SELECT 1`).Scan(&n)
}

// DeviceByToken implements ServerStore. A revoked device is returned with Revoked set.
func (s *SQLiteStore) DeviceByToken(ctx context.Context, tokenHash string) (*Device, error) {
	var d Device
	var villages string
	err := s.rdb.QueryRowContext(ctx, `SELECT name, township, villages, device_id, revoked, last_seq FROM devices
		WHERE token_hash = ? OR token_hash LIKE 'revoked-%-' || ?`, tokenHash, tokenHash).Scan(&d.Name, &d.Township, &villages,
		&d.DeviceID, &d.Revoked, &d.LastSeq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUnknownDevice
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(villages), &d.Villages); err != nil {
		return nil, err
	}
	return &d, nil
}

// BindDevice implements ServerStore.
func (s *SQLiteStore) BindDevice(ctx context.Context, name, deviceID string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE devices SET device_id = ? WHERE name = ? AND device_id = ''`, deviceID, name)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return app.Errorf(app.EFORBIDDEN, "该设备数据库已用另一个令牌登记过")
		}
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.EFORBIDDEN, "令牌已绑定另一台设备")
	}
	return nil
}

var countyActor = app.Actor{UserID: "county", Name: "县民政局", Role: app.RoleCounty}

func marshalEvent(e *app.Event) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the payload bytes must stay exactly as hashed
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// pushStmts are the statements of one push transaction, prepared once per
// batch rather than parsed again for every event (parsing was a third of the
// push's CPU time).
type pushStmts struct {
	insert, dupOf, personUpsert, personOthers, personDelete, blobRef, conflict *sql.Stmt
}

func preparePush(ctx context.Context, tx *sql.Tx) (*pushStmts, error) {
	var p pushStmts
	for _, q := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&p.insert, `INSERT INTO events (id, device_id, device_seq, type, household_id, township_code,
		village_code, body, status, reason, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`},
		{&p.dupOf, `SELECT id, status, reason FROM events WHERE device_id = ? AND device_seq = ?`},
		{&p.personUpsert, `INSERT INTO persons (member_id, id_number, name, household_id, township, village)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET id_number = excluded.id_number, name = excluded.name`},
		{&p.personOthers, `SELECT name, household_id, township, village FROM persons
		WHERE id_number = ? AND household_id <> ? ORDER BY household_id`},
		{&p.personDelete, `DELETE FROM persons WHERE member_id = ? AND household_id = ?`},
		{&p.blobRef, `INSERT INTO blob_refs (sha256, township, village) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`},
		{&p.conflict, `INSERT INTO county_conflicts (id_number, household_a, township_a, household_b,
			township_b, detected_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`},
	} {
		st, err := tx.PrepareContext(ctx, q.sql)
		if err != nil {
			p.close()
			return nil, err
		}
		*q.st = st
	}
	return &p, nil
}

func (p *pushStmts) close() {
	for _, st := range []*sql.Stmt{p.insert, p.dupOf, p.personUpsert, p.personOthers, p.personDelete, p.blobRef, p.conflict} {
		if st != nil {
			st.Close()
		}
	}
}

// Push implements ServerStore.
func (s *SQLiteStore) Push(ctx context.Context, dev *Device, events []app.Event) (*PushReply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var lastSeq int64
	var lastHash string
	var revoked bool
	if err := tx.QueryRowContext(ctx, `SELECT last_seq, last_hash, revoked FROM devices WHERE device_id = ?`,
		dev.DeviceID).Scan(&lastSeq, &lastHash, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrUnknownDevice
		}
		return nil, err
	}
	if revoked {
		return nil, ErrUnknownDevice
	}
	if len(events) > 0 && events[0].DeviceSeq > lastSeq+1 {
		return nil, &GapError{LastSeq: lastSeq}
	}
	st, err := preparePush(ctx, tx)
	if err != nil {
		return nil, err
	}
	defer st.close()
	now := s.now().UTC().Format(time.RFC3339)
	reply := &PushReply{Results: make([]EventResult, 0, len(events))}
	var body []byte
	for i := range events {
		e := &events[i]
		if e.DeviceSeq <= lastSeq {
			var id, status, reason string
			err := st.dupOf.QueryRowContext(ctx, e.DeviceID, e.DeviceSeq).Scan(&id, &status, &reason)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				reply.Results = append(reply.Results, EventResult{EventID: e.ID, Status: StatusDuplicate})
			case err != nil:
				return nil, err
			case id != e.ID:
				reply.Results = append(reply.Results, EventResult{EventID: e.ID, Status: StatusRejected,
					Reason: fmt.Sprintf("县里已存有本设备第 %d 条事件（另一条记录），本机数据可能从旧备份恢复过，请联系县民政局", e.DeviceSeq)})
			case status == StatusRejected:
				reply.Results = append(reply.Results, EventResult{EventID: e.ID, Status: StatusRejected, Reason: reason})
			default:
				reply.Results = append(reply.Results, EventResult{EventID: e.ID, Status: StatusDuplicate})
			}
			continue
		}
		if e.DeviceSeq != lastSeq+1 {
			return nil, &GapError{LastSeq: lastSeq}
		}
		reason := checkEvent(dev, e, lastHash)
		status := StatusAccepted
		if reason != "" {
			status = StatusRejected
		}
		body = appendEvent(body[:0], e)
		if err := insertEvent(ctx, st.insert, e, body, status, reason, now); err != nil {
			return nil, err
		}
		if status == StatusAccepted {
			s.clock.Observe(e.HLC)
			if err := s.countyChecks(ctx, tx, st, e, now); err != nil {
				return nil, err
			}
		}
		lastSeq, lastHash = e.DeviceSeq, e.Hash
		reply.Results = append(reply.Results, EventResult{EventID: e.ID, Status: status, Reason: reason})
	}
	if _, err := tx.ExecContext(ctx, `UPDATE devices SET last_seq = ?, last_hash = ?, last_seen = ? WHERE device_id = ?`,
		lastSeq, lastHash, now, dev.DeviceID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	reply.AckedThrough = lastSeq
	return reply, nil
}

// ErrDuplicateID is an event whose id the county already holds under another device or sequence.
var ErrDuplicateID = errors.New("event id already stored for another device or sequence")

func insertEvent(ctx context.Context, ins *sql.Stmt, e *app.Event, body []byte, status, reason, now string) error {
	res, err := ins.ExecContext(ctx, e.ID, e.DeviceID, e.DeviceSeq, e.Type, e.HouseholdID, e.TownshipCode,
		e.VillageCode, body, status, reason, now)
	if err != nil {
		return fmt.Errorf("store event %s: %w", e.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", ErrDuplicateID, e.ID)
	}
	return nil
}

// The county-wide checks read only these parts of the payloads: decoding the
// whole household for every registration was a tenth of the push's time.
type personPart struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
}

type registeredPart struct {
	Household struct {
		Members []personPart `json:"members"`
	} `json:"household"`
}

// countyChecks keeps the county-wide person index (id number -> household,
// township: changed only by registrations and member events, looked up by
// its id_number index) and blob references, and flags the same ID number
// active in two households back to both townships.
func (s *SQLiteStore) countyChecks(ctx context.Context, tx *sql.Tx, st *pushStmts, e *app.Event, now string) error {
	switch e.Type {
	case app.EventHouseholdRegistered:
		var p registeredPart
		if json.Unmarshal(e.Payload, &p) != nil {
			return nil
		}
		for _, m := range p.Household.Members {
			if err := s.indexPerson(ctx, tx, st, e, m, now); err != nil {
				return err
			}
		}
	case app.EventMemberAdded:
		var p struct {
			Member personPart `json:"member"`
		}
		if json.Unmarshal(e.Payload, &p) != nil {
			return nil
		}
		return s.indexPerson(ctx, tx, st, e, p.Member, now)
	case app.EventMemberRemoved:
		var p app.MemberRemoved
		if json.Unmarshal(e.Payload, &p) != nil {
			return nil
		}
		_, err := st.personDelete.ExecContext(ctx, p.MemberID, e.HouseholdID)
		return err
	case app.EventAttachmentAdded:
		var p app.AttachmentAdded
		if json.Unmarshal(e.Payload, &p) != nil {
			return nil
		}
		_, err := st.blobRef.ExecContext(ctx, p.SHA256, e.TownshipCode, e.VillageCode)
		return err
	}
	return nil
}

func (s *SQLiteStore) indexPerson(ctx context.Context, tx *sql.Tx, st *pushStmts, e *app.Event, m personPart, now string) error {
	if m.IDNumber == "" || m.ID == "" {
		return nil
	}
	if _, err := st.personUpsert.ExecContext(ctx, m.ID, m.IDNumber, m.Name, e.HouseholdID, e.TownshipCode, e.VillageCode); err != nil {
		return err
	}
	type other struct{ name, household, township, village string }
	rows, err := st.personOthers.QueryContext(ctx, m.IDNumber, e.HouseholdID)
	if err != nil {
		return err
	}
	var others []other
	for rows.Next() {
		var o other
		if err := rows.Scan(&o.name, &o.household, &o.township, &o.village); err != nil {
			rows.Close()
			return err
		}
		others = append(others, o)
	}
	rows.Close()
	for _, o := range others {
		a, b := e.HouseholdID, o.household
		ta, tb := e.TownshipCode, o.township
		if a > b {
			a, b, ta, tb = b, a, tb, ta
		}
		res, err := st.conflict.ExecContext(ctx, m.IDNumber, a, ta, b, tb, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		reason := "同一身份证号在两个家庭中均为在册成员，请核实后在其中一户移除"
		if e.TownshipCode != o.township {
			reason = "同一身份证号在两个乡镇的家庭中均为在册成员，请与对方乡镇核实"
		}
		if err := s.issue(ctx, tx, e.TownshipCode, e.VillageCode, e.HouseholdID, storage.EventCountyConflict, storage.CountyConflict{
			IDNumber: m.IDNumber, MemberName: m.Name, OtherTownship: o.township, OtherHousehold: o.household,
			OtherVillage: o.village, Reason: reason}, now); err != nil {
			return err
		}
		if err := s.issue(ctx, tx, o.township, o.village, o.household, storage.EventCountyConflict, storage.CountyConflict{
			IDNumber: m.IDNumber, MemberName: o.name, OtherTownship: e.TownshipCode, OtherHousehold: e.HouseholdID,
			OtherVillage: e.VillageCode, Reason: reason}, now); err != nil {
			return err
		}
	}
	return nil
}

// issue appends an event of the county's own stream for a township ("" = county-wide).
func (s *SQLiteStore) issue(ctx context.Context, tx *sql.Tx, township, village, householdID, typ string, payload any, now string) error {
	chain := CountyDevice
	if township != "" {
		chain = CountyDeviceFor(township)
	}
	var seq int64
	var prev string
	err := tx.QueryRowContext(ctx, `SELECT last_seq, last_hash FROM county_chains WHERE device_id = ?`, chain).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	e := app.Event{ID: app.NewID(), DeviceID: chain, DeviceSeq: seq + 1, Type: typ, HouseholdID: householdID,
		TownshipCode: township, VillageCode: village, SchemaV: app.SchemaVersion, HLC: s.clock.Now(s.now()),
		Actor: countyActor, Payload: raw}
	e.Seal(prev)
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, device_id, device_seq, type, household_id, township_code,
		village_code, body, status, reason, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.DeviceID, e.DeviceSeq, e.Type, e.HouseholdID, e.TownshipCode, e.VillageCode, appendEvent(nil, &e),
		StatusAccepted, "", now); err != nil {
		return fmt.Errorf("store event %s: %w", e.ID, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO county_chains (device_id, last_seq, last_hash) VALUES (?, ?, ?)
		ON CONFLICT (device_id) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash`, chain, e.DeviceSeq, e.Hash)
	return err
}

// PublishCounty issues a county-wide event (rules.set, calendar.set) that every device pulls.
func (s *SQLiteStore) PublishCounty(ctx context.Context, typ string, payload any) error {
	if typ != app.EventRulesSet && typ != app.EventCalendarSet {
		return fmt.Errorf("publish: %s is not a county-wide event", typ)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.issue(ctx, tx, "", "", "", typ, payload, s.now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}

// Pull implements ServerStore: events after since, not the device's own, that
// are county-wide or of its township (a village laptop: of its villages).
func (s *SQLiteStore) Pull(ctx context.Context, dev *Device, since int64, limit int) (*PullReply, error) {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	vj, _ := json.Marshal(dev.Villages)
	rows, err := tx.QueryContext(ctx, `SELECT server_seq, body, status, reason FROM events
		WHERE server_seq > ? AND device_id <> ?
		  AND (township_code = '' OR (township_code = ? AND (? = 0 OR village_code IN (SELECT value FROM json_each(?)))))
		ORDER BY server_seq LIMIT ?`, since, dev.DeviceID, dev.Township, len(dev.Villages), string(vj), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	reply := &PullReply{Events: []PulledEvent{}, Next: since}
	for rows.Next() {
		var pe PulledEvent
		var body []byte
		if err := rows.Scan(&pe.Seq, &body, &pe.Status, &pe.Reason); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(body, &pe.Event); err != nil {
			return nil, fmt.Errorf("stored event %d: %w", pe.Seq, err)
		}
		if pe.Status == StatusAccepted {
			pe.Status = ""
		}
		reply.Events = append(reply.Events, pe)
		reply.Next = pe.Seq
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(reply.Events) == limit {
		reply.More = true
		return reply, nil
	}
	// Nothing more visible in this snapshot: skip past what the device may not see.
	var top sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(server_seq) FROM events`).Scan(&top); err != nil {
		return nil, err
	}
	if top.Valid && top.Int64 > reply.Next {
		reply.Next = top.Int64
	}
	return reply, nil
}

// BlobStatus implements ServerStore.
func (s *SQLiteStore) BlobStatus(ctx context.Context, sha string) (int64, int64, bool, error) {
	var received, size int64
	var complete bool
	err := s.rdb.QueryRowContext(ctx, `SELECT received, size, complete FROM blobs WHERE sha256 = ?`, sha).Scan(&received, &size, &complete)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	}
	return received, size, complete, err
}

// PutBlobChunk implements ServerStore. The last chunk triggers the hash check;
// bytes that do not match are discarded and the upload starts again.
func (s *SQLiteStore) PutBlobChunk(ctx context.Context, sha string, offset, size int64, data []byte) (int64, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback()
	var received, known int64
	var complete bool
	err = tx.QueryRowContext(ctx, `SELECT received, size, complete FROM blobs WHERE sha256 = ?`, sha).Scan(&received, &known, &complete)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (sha256, size, received) VALUES (?, ?, 0)`, sha, size); err != nil {
			return 0, false, err
		}
		known = size
	} else if err != nil {
		return 0, false, err
	}
	if complete {
		return received, true, nil
	}
	if known != size {
		return received, false, fmt.Errorf("blob %s: size %d, upload began with %d", sha, size, known)
	}
	if offset != received {
		return received, false, &OffsetError{Received: received}
	}
	if received+int64(len(data)) > size {
		return received, false, fmt.Errorf("blob %s: more bytes than its size", sha)
	}
	if len(data) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO blob_chunks (sha256, offset, data) VALUES (?, ?, ?)`, sha, offset, data); err != nil {
			return 0, false, err
		}
	}
	received += int64(len(data))
	if received == size {
		h := sha256.New()
		rows, err := tx.QueryContext(ctx, `SELECT data FROM blob_chunks WHERE sha256 = ? ORDER BY offset`, sha)
		if err != nil {
			return 0, false, err
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return 0, false, err
			}
			h.Write(b)
		}
		rows.Close()
		if hex.EncodeToString(h.Sum(nil)) != sha {
			tx.ExecContext(ctx, `DELETE FROM blob_chunks WHERE sha256 = ?`, sha)
			tx.ExecContext(ctx, `DELETE FROM blobs WHERE sha256 = ?`, sha)
			if err := tx.Commit(); err != nil {
				return 0, false, err
			}
			return 0, false, ErrBlobHash
		}
		complete = true
	}
	if _, err := tx.ExecContext(ctx, `UPDATE blobs SET received = ?, complete = ? WHERE sha256 = ?`, received, complete, sha); err != nil {
		return 0, false, err
	}
	return received, complete, tx.Commit()
}

// ErrBlobHash is an upload whose bytes do not match the hash it claimed.
var ErrBlobHash = errors.New("blob content does not match its hash")

// Blob implements ServerStore.
func (s *SQLiteStore) Blob(ctx context.Context, dev *Device, sha string) ([]byte, error) {
	vj, _ := json.Marshal(dev.Villages)
	var ok int
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM blob_refs r JOIN blobs b ON b.sha256 = r.sha256 AND b.complete
		WHERE r.sha256 = ? AND r.township = ? AND (? = 0 OR r.village IN (SELECT value FROM json_each(?)))`,
		sha, dev.Township, len(dev.Villages), string(vj)).Scan(&ok)
	if err != nil {
		return nil, err
	}
	if ok == 0 {
		return nil, ErrNotFound
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT data FROM blob_chunks WHERE sha256 = ? ORDER BY offset`, sha)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, rows.Err()
}

// ServerEventCount counts stored events by device (tests, admin).
func (s *SQLiteStore) ServerEventCount(ctx context.Context, deviceID string) (total, distinct int, err error) {
	err = s.rdb.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT device_seq) FROM events WHERE device_id = ?`, deviceID).Scan(&total, &distinct)
	return
}
