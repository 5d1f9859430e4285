package syncbench_test

import (
	"jiuzhu/sync/syncbench"
	"testing"
	"time"
)

func TestBenchPushSmall(t *testing.T) {
	n := 2000
	push, err := syncbench.BenchPush(t.TempDir(), n, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := syncbench.BenchRawInsert(t.TempDir(), n)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("push %d events: %v (%.0f events/s), %.0f B/event on the wire; raw insert %v; ratio %.1fx",
		n, push.Duration, float64(n)/push.Duration.Seconds(), float64(push.BytesOnWire)/float64(n), raw.Duration,
		float64(push.Duration)/float64(raw.Duration))
	if testing.Short() {
		return
	}
	lossy, err := syncbench.BenchPush(t.TempDir(), n, syncbench.LossyTransport(0.1, 300*time.Millisecond, 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("through 10%% loss + 300 ms: %v (%.1fx clean)", lossy.Duration, float64(lossy.Duration)/float64(push.Duration))
}

func BenchmarkPush(b *testing.B) {
	for b.Loop() {
		if _, err := syncbench.BenchPush(b.TempDir(), 1000, nil); err != nil {
			b.Fatal(err)
		}
	}
}
