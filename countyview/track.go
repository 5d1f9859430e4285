package countyview

import (
	"context"
	"log/slog"
	"sync"
	"time"

	jsync "jiuzhu/sync"
)

// PullRecorder notes when a device last pulled (*sync.SQLiteStore).
type PullRecorder interface {
	RecordPull(ctx context.Context, deviceID string, t time.Time) error
}

// TrackPulls wraps the sync server's store so that each device's last pull
// time is recorded for the dashboard, at most once a minute per device (a
// first sync pulls many pages). A failure to record never fails the pull.
func TrackPulls(store jsync.ServerStore, rec PullRecorder) jsync.ServerStore {
	return &tracked{ServerStore: store, rec: rec, last: map[string]time.Time{}, now: time.Now}
}

type tracked struct {
	jsync.ServerStore
	rec  PullRecorder
	now  func() time.Time
	mu   sync.Mutex
	last map[string]time.Time
}

func (t *tracked) Pull(ctx context.Context, dev *jsync.Device, since int64, limit int) (*jsync.PullReply, error) {
	reply, err := t.ServerStore.Pull(ctx, dev, since, limit)
	if err != nil {
		return reply, err
	}
	now := t.now()
	t.mu.Lock()
	due := now.Sub(t.last[dev.DeviceID]) >= time.Minute || (reply != nil && !reply.More)
	if due {
		t.last[dev.DeviceID] = now
	}
	t.mu.Unlock()
	if due {
		if err := t.rec.RecordPull(ctx, dev.DeviceID, now); err != nil {
			slog.Warn("dashboard: record pull", "device", dev.Name, "err", err)
		}
	}
	return reply, nil
}
