package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"jiuzhu/sync/syncbench"
)

func init() { register(Bench{Name: "sync", Run: benchSync}) }

// benchSync pushes 10,000 events to a county server on loopback, against a
// raw insert of the same events into a SQLite table, and again through a link
// that loses 10% of requests and adds 300 ms of latency.
func benchSync(ctx context.Context, cfg Config) ([]Row, error) {
	const n = 10_000
	for _, d := range []string{"raw", "clean", "lossy"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	raw, err := syncbench.BenchRawInsert(filepath.Join(cfg.Dir, "raw"), n)
	if err != nil {
		return nil, err
	}
	clean, err := syncbench.BenchPush(filepath.Join(cfg.Dir, "clean"), n, nil)
	if err != nil {
		return nil, err
	}
	lossy, err := syncbench.BenchPush(filepath.Join(cfg.Dir, "lossy"), n, syncbench.LossyTransport(0.10, 300*time.Millisecond, 1))
	if err != nil {
		return nil, err
	}
	r := ratio(clean.Duration, raw.Duration)
	perEvent := float64(clean.BytesOnWire) / float64(clean.Events)
	lr := ratio(lossy.Duration, clean.Duration)
	return []Row{
		{Name: fmt.Sprintf("push %d events over loopback", clean.Events),
			Value:    fmt.Sprintf("%s (%.0f events/s)", clean.Duration.Round(time.Millisecond), float64(clean.Events)/clean.Duration.Seconds()),
			Baseline: raw.Duration.Round(time.Millisecond).String() + " raw insert", Ratio: fmt.Sprintf("%.2fx", r), Goal: "<= 3x", Pass: r <= 3},
		{Name: "bytes on the wire per event (gzip)", Value: fmt.Sprintf("%.0f B", perEvent), Goal: "<= 200 B", Pass: perEvent <= 200},
		{Name: "push through 10% loss + 300 ms latency", Value: lossy.Duration.Round(time.Millisecond).String(),
			Baseline: clean.Duration.Round(time.Millisecond).String() + " clean", Ratio: fmt.Sprintf("%.2fx", lr), Goal: "<= 2.5x", Pass: lr <= 2.5},
	}, nil
}
