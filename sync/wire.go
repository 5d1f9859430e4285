// Package sync is the wire protocol between devices and the county: the
// server handler, its store, and the device client.
//
// Push: POST /v1/push, gzip JSON {schema_v, device_id, events}. The county
// applies a batch in one transaction. Events at or below the device's last
// sequence are acknowledged again with their stored status (a re-send after a
// lost reply changes nothing); a gap is answered 409 with last_seq; an event
// that is well-formed but breaks a rule is stored as rejected with a Chinese
// reason that syncs back, so one bad event never wedges the queue.
//
// Pull: GET /v1/pull?since=N&limit=M by the county's own sequence (never a
// client clock), filtered to what the device may see.
package sync

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"jiuzhu/app"
)

// Protocol limits.
const (
	MaxBodyBytes     = 4 << 20  // compressed request body
	MaxDecodedBytes  = 16 << 20 // after decompression: a gzip bomb stops here
	MaxBatchEvents   = 5000
	DefaultPullLimit = 200
	MaxPullLimit     = 5000
	BlobChunk        = 256 << 10
)

// PushRequest is the body of POST /v1/push: either Events in full, or a
// compact Batch (what the client sends), which DecodePush expands into Events.
type PushRequest struct {
	SchemaV  int         `json:"schema_v"`
	DeviceID string      `json:"device_id"`
	Events   []app.Event `json:"events,omitempty"`
	Batch    *Batch      `json:"batch,omitempty"`

	// Compact is set by DecodePush for a Batch: the reply then lists only
	// the events that were not simply accepted.
	Compact bool `json:"-"`
}

// Batch is the compact form of a push (about a third fewer bytes on the wire
// after gzip). What every event of a batch shares is said once; what the
// county can derive is not sent:
//   - device_id is the request's; device_seq counts up from First;
//   - township and schema version are the batch's unless the event says otherwise;
//   - household, village and actor are the previous event's unless given;
//   - the HLC is sent as a difference from the previous event's;
//   - prev_hash is the previous event's hash (the first event's is Prev)
//     unless given;
//   - the hash is the one the county computes over the fields it received,
//     unless given (a device sends it only when its stored hash does not match
//     its own event: the county then rejects that event, as it would in full form).
//
// Last is the device's hash of the batch's last event: the county checks that
// the chain it rebuilt ends there, so an event changed on the way, or a
// mistake in the expansion, refuses the whole batch instead of storing
// something the device did not write.
type Batch struct {
	Township string      `json:"w"`
	SchemaV  int         `json:"s"`
	First    int64       `json:"f"`
	Prev     string      `json:"p"`
	Last     string      `json:"z"`
	Events   []WireEvent `json:"e"`
}

// WireEvent is one event of a Batch (see there for the omitted fields).
type WireEvent struct {
	ID        string          `json:"i"`
	Type      string          `json:"t"`
	Household *string         `json:"h,omitempty"`
	Case      string          `json:"c,omitempty"`
	Township  *string         `json:"w,omitempty"`
	Village   *string         `json:"v,omitempty"`
	SchemaV   int             `json:"s,omitempty"`
	Wall      int64           `json:"d,omitempty"` // HLC wall, minus the previous event's
	Logical   uint32          `json:"n,omitempty"`
	Actor     *app.Actor      `json:"a,omitempty"`
	Payload   json.RawMessage `json:"p"`
	PrevHash  *string         `json:"q,omitempty"`
	Hash      string          `json:"x,omitempty"`
}

// CompactBatch encodes events of one device (consecutive sequence numbers,
// the first following prev) as a Batch. township is the device's.
func CompactBatch(township string, events []app.Event) *Batch {
	b := &Batch{Township: township, SchemaV: app.SchemaVersion, Events: make([]WireEvent, len(events))}
	if len(events) == 0 {
		return b
	}
	b.First, b.Prev, b.Last = events[0].DeviceSeq, events[0].PrevHash, events[len(events)-1].Hash
	var household, village string
	var actor app.Actor
	var wall int64
	prevHash := b.Prev
	for i := range events {
		e := &events[i]
		w := &b.Events[i]
		w.ID, w.Type, w.Case, w.Payload = e.ID, e.Type, e.CaseID, e.Payload
		if e.HouseholdID != household || i == 0 && e.HouseholdID != "" {
			w.Household = &e.HouseholdID
		}
		if e.TownshipCode != township {
			w.Township = &e.TownshipCode
		}
		if e.VillageCode != village || i == 0 && e.VillageCode != "" {
			w.Village = &e.VillageCode
		}
		if e.SchemaV != b.SchemaV {
			w.SchemaV = e.SchemaV
			if e.SchemaV == 0 {
				w.SchemaV = -1 // said explicitly: 0 would read as "the batch's"
			}
		}
		w.Wall, w.Logical = e.HLC.Wall-wall, e.HLC.Logical
		if e.Actor != actor || i == 0 {
			a := e.Actor
			w.Actor = &a
		}
		if e.PrevHash != prevHash {
			w.PrevHash = &e.PrevHash
		}
		if e.ComputeHash() != e.Hash {
			w.Hash = e.Hash
			if e.Hash == "" {
				w.Hash = "-" // an empty stored hash, said explicitly
			}
		}
		household, village, actor, wall, prevHash = e.HouseholdID, e.VillageCode, e.Actor, e.HLC.Wall, e.Hash
	}
	return b
}

// expand rebuilds the events of a compact batch for deviceID.
func (b *Batch) expand(deviceID string) ([]app.Event, error) {
	if len(b.Events) > MaxBatchEvents {
		return nil, httpErr(http.StatusRequestEntityTooLarge, "too_many", "一批最多 %d 条事件", MaxBatchEvents)
	}
	if b.First <= 0 || b.First > 1<<53 {
		return nil, httpErr(http.StatusBadRequest, "bad_event", "批次起始序号无效")
	}
	events := make([]app.Event, len(b.Events))
	var household, village string
	var actor app.Actor
	var wall int64
	prevHash := b.Prev
	for i := range b.Events {
		w := &b.Events[i]
		e := &events[i]
		e.ID, e.DeviceID, e.DeviceSeq, e.Type, e.CaseID, e.Payload = w.ID, deviceID, b.First+int64(i), w.Type, w.Case, w.Payload
		if w.Household != nil {
			household = *w.Household
		}
		if w.Village != nil {
			village = *w.Village
		}
		if w.Actor != nil {
			actor = *w.Actor
		}
		e.HouseholdID, e.VillageCode, e.Actor = household, village, actor
		e.TownshipCode = b.Township
		if w.Township != nil {
			e.TownshipCode = *w.Township
		}
		switch e.SchemaV = b.SchemaV; {
		case w.SchemaV == -1:
			e.SchemaV = 0
		case w.SchemaV != 0:
			e.SchemaV = w.SchemaV
		}
		if w.Wall < 0 && wall+w.Wall < 0 || w.Wall > 1<<50 || wall > 1<<50 {
			return nil, httpErr(http.StatusBadRequest, "bad_event", "第 %d 条事件时间戳无效", i+1)
		}
		wall += w.Wall
		e.HLC = app.HLC{Wall: wall, Logical: w.Logical}
		e.PrevHash = prevHash
		if w.PrevHash != nil {
			e.PrevHash = *w.PrevHash
		}
		switch w.Hash {
		case "":
			e.Hash = e.ComputeHash()
		case "-":
			e.Hash = ""
		default:
			e.Hash = w.Hash
		}
		prevHash = e.Hash
	}
	if len(events) > 0 && prevHash != b.Last {
		return nil, httpErr(http.StatusBadRequest, "bad_chain", "批次数据与设备的哈希链不符，可能在传输中损坏，请重新同步")
	}
	return events, nil
}

// Result statuses.
const (
	StatusAccepted  = "accepted"
	StatusDuplicate = "duplicate"
	StatusRejected  = "rejected"
)

// EventResult is the county's verdict on one pushed event.
type EventResult struct {
	EventID string `json:"event_id"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
}

// PushReply answers a push. On 409 only LastSeq is set.
type PushReply struct {
	AckedThrough int64         `json:"acked_through"`
	Results      []EventResult `json:"results,omitempty"`
	LastSeq      int64         `json:"last_seq,omitempty"`
}

// PulledEvent is an event as the county serves it.
type PulledEvent struct {
	Seq    int64     `json:"seq"`
	Event  app.Event `json:"event"`
	Status string    `json:"status,omitempty"` // "" = accepted
	Reason string    `json:"reason,omitempty"`
}

// PullReply answers GET /v1/pull.
type PullReply struct {
	Events []PulledEvent `json:"events"`
	Next   int64         `json:"next"` // the cursor to ask from next time
	More   bool          `json:"more"`
}

// ErrorReply is every 4xx/5xx body: a Chinese message for the clerk and a code.
type ErrorReply struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	LastSeq int64  `json:"last_seq,omitempty"`
}

// HTTPError is a request the county refused, as the decoder or handler reports it.
type HTTPError struct {
	Status  int
	Code    string
	Message string
	LastSeq int64
}

func (e *HTTPError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func httpErr(status int, code, msg string, args ...any) *HTTPError {
	return &HTTPError{Status: status, Code: code, Message: fmt.Sprintf(msg, args...)}
}

// SchemaSupported reports whether the county accepts a request schema version (N and N-1).
func SchemaSupported(v int) bool {
	return v == app.SchemaVersion || (v == app.SchemaVersion-1 && v >= 1)
}

// DecodePush reads a push body (gzip when gzipped is true), enforcing the size
// caps and checking the form of every event. It never touches a store.
func DecodePush(body io.Reader, gzipped bool) (*PushRequest, error) {
	raw, err := io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, httpErr(http.StatusRequestEntityTooLarge, "too_large", "请求超过 %d MB", MaxBodyBytes>>20)
		}
		return nil, httpErr(http.StatusBadRequest, "read", "请求读取失败（%v）", err)
	}
	if len(raw) > MaxBodyBytes {
		return nil, httpErr(http.StatusRequestEntityTooLarge, "too_large", "请求超过 %d MB", MaxBodyBytes>>20)
	}
	var data []byte = raw
	if gzipped {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, httpErr(http.StatusBadRequest, "bad_gzip", "请求压缩格式错误（%v）", err)
		}
		data, err = io.ReadAll(io.LimitReader(zr, MaxDecodedBytes+1))
		if err != nil {
			return nil, httpErr(http.StatusBadRequest, "bad_gzip", "请求数据不完整或已损坏（%v）", err)
		}
		if len(data) > MaxDecodedBytes {
			return nil, httpErr(http.StatusRequestEntityTooLarge, "too_large", "解压后的请求超过 %d MB", MaxDecodedBytes>>20)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var req PushRequest
	if err := dec.Decode(&req); err != nil {
		return nil, httpErr(http.StatusBadRequest, "bad_json", "请求格式错误（%v）", err)
	}
	if dec.More() {
		return nil, httpErr(http.StatusBadRequest, "bad_json", "请求末尾有多余内容")
	}
	if !SchemaSupported(req.SchemaV) {
		return nil, httpErr(http.StatusUpgradeRequired, "schema", "客户端数据版本 %d 不受支持（县里接受 %d 和 %d），请升级救助通",
			req.SchemaV, app.SchemaVersion, app.SchemaVersion-1)
	}
	if req.DeviceID == "" {
		return nil, httpErr(http.StatusBadRequest, "bad_request", "缺少设备编号")
	}
	if req.Batch != nil {
		if len(req.Events) > 0 {
			return nil, httpErr(http.StatusBadRequest, "bad_request", "请求不能同时含完整事件和压缩批次")
		}
		if req.Events, err = req.Batch.expand(req.DeviceID); err != nil {
			return nil, err
		}
		req.Batch, req.Compact = nil, true
	}
	if len(req.Events) > MaxBatchEvents {
		return nil, httpErr(http.StatusRequestEntityTooLarge, "too_many", "一批最多 %d 条事件", MaxBatchEvents)
	}
	for i := range req.Events {
		e := &req.Events[i]
		switch {
		case e.ID == "" || len(e.ID) > 64:
			return nil, httpErr(http.StatusBadRequest, "bad_event", "第 %d 条事件缺少编号", i+1)
		case e.DeviceID != req.DeviceID:
			return nil, httpErr(http.StatusForbidden, "other_device", "第 %d 条事件不是本设备的（设备 %s）", i+1, e.DeviceID)
		case e.DeviceSeq <= 0:
			return nil, httpErr(http.StatusBadRequest, "bad_event", "第 %d 条事件序号无效", i+1)
		case i > 0 && e.DeviceSeq != req.Events[i-1].DeviceSeq+1:
			return nil, httpErr(http.StatusBadRequest, "bad_event", "事件序号不连续（%d 之后是 %d）", req.Events[i-1].DeviceSeq, e.DeviceSeq)
		case e.Type == "" || len(e.Type) > 64:
			return nil, httpErr(http.StatusBadRequest, "bad_event", "第 %d 条事件缺少类型", i+1)
		case !SchemaSupported(e.SchemaV):
			return nil, httpErr(http.StatusUpgradeRequired, "schema", "事件数据版本 %d 不受支持，请升级救助通", e.SchemaV)
		case len(e.Payload) == 0 || !json.Valid(e.Payload):
			return nil, httpErr(http.StatusBadRequest, "bad_event", "第 %d 条事件内容不是有效的 JSON", i+1)
		}
	}
	return &req, nil
}

// EncodeGzipJSON marshals v and gzips it.
func EncodeGzipJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
