package app

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// SchemaVersion of the event payloads this build writes. The county accepts
// the current and the previous version.
const SchemaVersion = 1

// Event types. Each is an immutable fact; projections are folded from them.
const (
	EventHouseholdRegistered = "household.registered"
	EventMemberAdded         = "member.added"
	EventMemberRemoved       = "member.removed"
	EventFieldSet            = "field.set"
	EventCaseApplied         = "case.applied"
	EventCaseStep            = "case.step" // payload CaseStep; the action is in the payload
	EventAttachmentAdded     = "attachment.added"
	EventConflictResolved    = "conflict.resolved"
	EventRulesSet            = "rules.set"
	EventCalendarSet         = "calendar.set"
)

// Actor is who signed an event.
type Actor struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	Role   Role   `json:"role"`
}

// Event is the envelope stored in the log and exchanged with the county.
type Event struct {
	ID           string          `json:"id"` // UUIDv7
	DeviceID     string          `json:"device_id"`
	DeviceSeq    int64           `json:"device_seq"` // gap-free per device, from 1
	Type         string          `json:"type"`
	HouseholdID  string          `json:"household_id,omitempty"`
	CaseID       string          `json:"case_id,omitempty"`
	TownshipCode string          `json:"township_code,omitempty"`
	VillageCode  string          `json:"village_code,omitempty"`
	SchemaV      int             `json:"schema_v"`
	HLC          HLC             `json:"hlc"`
	Actor        Actor           `json:"actor"`
	Payload      json.RawMessage `json:"payload"`
	PrevHash     string          `json:"prev_hash"` // Hash of this device's previous event
	Hash         string          `json:"hash"`
}

// ComputeHash returns the SHA-256 over the event's content and PrevHash,
// chaining each device's events so that an edited or removed event is detected.
func (e *Event) ComputeHash() string {
	h := sha256.New()
	for _, part := range []string{e.ID, e.DeviceID, strconv.FormatInt(e.DeviceSeq, 10), e.Type, e.HouseholdID,
		e.CaseID, e.TownshipCode, e.VillageCode, strconv.Itoa(e.SchemaV), e.HLC.String(), e.Actor.UserID,
		e.Actor.Name, string(e.Actor.Role), string(e.Payload), e.PrevHash} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Seal sets PrevHash and Hash.
func (e *Event) Seal(prevHash string) {
	e.PrevHash = prevHash
	e.Hash = e.ComputeHash()
}

// Less is the canonical order in which every device folds events, so that
// all devices holding the same events build the same projections.
func (e *Event) Less(o *Event) bool {
	if c := e.HLC.Compare(o.HLC); c != 0 {
		return c < 0
	}
	if e.DeviceID != o.DeviceID {
		return e.DeviceID < o.DeviceID
	}
	return e.DeviceSeq < o.DeviceSeq
}

// NewID returns a UUIDv7: time-ordered, so that IDs cluster in B-tree indexes.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// HLC is a hybrid logical clock timestamp: wall milliseconds plus a counter
// that orders events within the same millisecond or across skewed clocks.
type HLC struct {
	Wall    int64  // Unix milliseconds
	Logical uint32 //
}

// String is fixed-width so that timestamps sort as text in SQLite.
func (h HLC) String() string { return fmt.Sprintf("%013d.%06d", h.Wall, h.Logical) }

func (h HLC) Time() time.Time { return time.UnixMilli(h.Wall).UTC() }

func (h HLC) Compare(o HLC) int {
	switch {
	case h.Wall != o.Wall:
		return cmpInt64(h.Wall, o.Wall)
	default:
		return cmpInt64(int64(h.Logical), int64(o.Logical))
	}
}

func (h HLC) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

func (h *HLC) UnmarshalText(b []byte) error {
	v, err := ParseHLC(string(b))
	*h = v
	return err
}

// ParseHLC reads the String form.
func ParseHLC(s string) (HLC, error) {
	var h HLC
	if len(s) != 20 || s[13] != '.' {
		return h, fmt.Errorf("hlc %q: bad format", s)
	}
	w, err1 := strconv.ParseInt(s[:13], 10, 64)
	l, err2 := strconv.ParseUint(s[14:], 10, 32)
	if err1 != nil || err2 != nil {
		return h, fmt.Errorf("hlc %q: bad number", s)
	}
	return HLC{w, uint32(l)}, nil
}

// Clock issues HLC timestamps. It is not safe for concurrent use; the store
// serialises writes anyway.
type Clock struct{ last HLC }

// NewClock resumes after the last timestamp this device issued or saw.
func NewClock(last HLC) *Clock { return &Clock{last: last} }

// Now returns a timestamp after every one issued or observed, using wall as
// the physical time (passed in so tests control it).
func (c *Clock) Now(wall time.Time) HLC {
	ms := wall.UnixMilli()
	if ms > c.last.Wall {
		c.last = HLC{Wall: ms}
	} else {
		c.last.Logical++
	}
	return c.last
}

// Observe moves the clock past a remote timestamp, so that an edit made after
// receiving a remote event sorts after it even if this device's clock is behind.
func (c *Clock) Observe(remote HLC) {
	if remote.Compare(c.last) > 0 {
		c.last = remote
	}
}

// Last returns the latest timestamp issued or observed.
func (c *Clock) Last() HLC { return c.last }

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Payloads.

// HouseholdRegistered registers a household with its members, incomes and assets.
type HouseholdRegistered struct {
	Household Household `json:"household"`
}

// MemberAdded adds a member to a household.
type MemberAdded struct {
	Member Member `json:"member"`
}

// MemberRemoved removes a member (death, moved out, married out).
type MemberRemoved struct {
	MemberID string `json:"member_id"`
	Reason   string `json:"reason"`
}

// FieldSet changes one field of a household or member. Prev is the ID of the
// event that last set the field as the author saw it ("" if never set): a
// different value at fold time means a concurrent edit, which becomes a
// conflict for a person to resolve.
type FieldSet struct {
	MemberID string          `json:"member_id,omitempty"` // "" = household field
	Field    string          `json:"field"`
	Value    json.RawMessage `json:"value"`
	Prev     string          `json:"prev"`
}

// CaseApplied opens a case.
type CaseApplied struct {
	Program   Program  `json:"program"`
	TempKind  TempKind `json:"temp_kind,omitempty"`
	AppliedOn Date     `json:"applied_on"`
	Reason    string   `json:"reason,omitempty"`
	// Enrolled brings in a beneficiary who was already receiving assistance
	// before this system (存量对象, from the legacy roster): the case starts
	// in payment instead of walking the workflow again.
	Enrolled *Enrolment `json:"enrolled,omitempty"`
}

// Enrolment is the standing of an existing beneficiary at import.
type Enrolment struct {
	Since  Date   `json:"since"`  // 纳入时间
	Amount Money  `json:"amount"` // 月保障金额
	Source string `json:"source"` // e.g. the roster file name
}

// CaseStep is a workflow step. Prev is the case's LastStep as the author saw it.
type CaseStep struct {
	Action Action   `json:"action"`
	Data   StepData `json:"data"`
	Prev   string   `json:"prev"`
}

// AttachmentAdded names a stored file by its content hash.
type AttachmentAdded struct {
	SHA256 string `json:"sha256"`
	Name   string `json:"name"`
	MIME   string `json:"mime"`
	Size   int64  `json:"size"`
	Note   string `json:"note,omitempty"`
}

// ConflictResolved records a person's choice between two versions.
type ConflictResolved struct {
	ConflictID string `json:"conflict_id"`
	Choice     string `json:"choice"` // "kept" (the version in force) or "other"
	Note       string `json:"note,omitempty"`
}

// RulesSet publishes a rule parameter set (county only).
type RulesSet struct {
	Rules RuleSet `json:"rules"`
}

// CalendarSet publishes the holiday calendar entries (county only).
type CalendarSet struct {
	Entries []CalendarEntry `json:"entries"`
}
