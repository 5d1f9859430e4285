package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// Device is an enrolled device as the county knows it.
type Device struct {
	Name     string
	Township string
	Villages []string // empty: the whole township (a township PC); else a village laptop
	DeviceID string   // the device database's id, bound at first use ("" before)
	Revoked  bool
	LastSeq  int64
}

// ServerStore is what the handler needs from the county's database. The
// SQLite implementation is the default; a PostgreSQL one (pgx) implements the
// same methods for a province-scale deployment.
type ServerStore interface {
	// DeviceByToken finds a device by the SHA-256 of its token (ErrUnknownDevice).
	DeviceByToken(ctx context.Context, tokenHash string) (*Device, error)
	// BindDevice ties a device database id to an enrolled device at first use.
	BindDevice(ctx context.Context, name, deviceID string) error
	// Push stores a batch in one transaction (see the package comment). A gap
	// returns *GapError.
	Push(ctx context.Context, dev *Device, events []app.Event) (*PushReply, error)
	// Pull returns events after since that dev may see.
	Pull(ctx context.Context, dev *Device, since int64, limit int) (*PullReply, error)
	// BlobStatus reports how many bytes of a blob have been received.
	BlobStatus(ctx context.Context, sha string) (received, size int64, complete bool, err error)
	// PutBlobChunk appends a chunk at offset (which must equal the bytes received).
	PutBlobChunk(ctx context.Context, sha string, offset, size int64, data []byte) (received int64, complete bool, err error)
	// Blob returns a complete blob if dev may see an event naming it.
	Blob(ctx context.Context, dev *Device, sha string) ([]byte, error)
	Ping(ctx context.Context) error
}

// Store errors.
var (
	ErrUnknownDevice = errors.New("unknown device")
	ErrNotFound      = errors.New("not found")
)

// GapError is a push that does not continue the device's sequence.
type GapError struct{ LastSeq int64 }

func (e *GapError) Error() string {
	return fmt.Sprintf("sequence gap: county has through %d", e.LastSeq)
}

// OffsetError is a blob chunk at the wrong offset.
type OffsetError struct{ Received int64 }

func (e *OffsetError) Error() string {
	return fmt.Sprintf("blob offset: county has %d bytes", e.Received)
}

// HashToken returns the stored form of a device token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// County identities: events the county itself issues.
const (
	CountyDevice = storage.CountyDeviceID // county-wide: rules, calendar
)

// CountyDeviceFor is the county's event stream to one township (gap-free per township).
func CountyDeviceFor(township string) string { return "county:" + township }

// checkEvent applies the county's rules to a well-formed event that continues
// its device's chain. It returns "" or the reason (in Chinese) for rejecting it.
func checkEvent(dev *Device, e *app.Event, prevHash string) string {
	if e.ComputeHash() != e.Hash {
		return "事件内容与其哈希值不符，可能在传输或存储中被改动"
	}
	if e.PrevHash != prevHash {
		return fmt.Sprintf("哈希链断开：第 %d 条事件没有衔接本设备的上一条事件", e.DeviceSeq)
	}
	if e.Type == storage.EventCountyConflict {
		return "县级核对结果只能由县民政局发出"
	}
	if len(dev.Villages) > 0 && e.HouseholdID != "" && !slices.Contains(dev.Villages, e.VillageCode) {
		return fmt.Sprintf("本设备只负责 %v 村（社区），不能办理村代码 %s 的家庭", dev.Villages, e.VillageCode)
	}
	return checkWorklistEvent(dev, e)
}

// checkWorklistEvent: a village laptop writes worklist items and visit
// results only for its villages, as it does households. An item without a
// village (a person not registered in the township) belongs to the township
// office: the laptop never receives it, and may not write one.
func checkWorklistEvent(dev *Device, e *app.Event) string {
	if len(dev.Villages) == 0 || !app.IsWorklistEvent(e.Type) || slices.Contains(dev.Villages, e.VillageCode) {
		return ""
	}
	if e.VillageCode == "" {
		return "未登记人员的核查事项由乡镇办理，村级设备不能登记或办结"
	}
	return fmt.Sprintf("本设备只负责 %v 村（社区），不能办理村代码 %s 的核查事项", dev.Villages, e.VillageCode)
}
