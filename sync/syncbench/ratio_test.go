package syncbench_test

import (
	"jiuzhu/sync/syncbench"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestBenchRatios measures the issue-4 goals as ratios in one run
// (JIUZHU_BENCH=1; JIUZHU_BENCH_N events, default 10000; JIUZHU_BENCH_LOSSY=1 adds the lossy link).
func TestBenchRatios(t *testing.T) {
	if os.Getenv("JIUZHU_BENCH") == "" {
		t.Skip("set JIUZHU_BENCH=1")
	}
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("JIUZHU_BENCH_N")); err == nil {
		n = v
	}
	reps := 3
	best := func(f func() (syncbench.BenchResult, error)) syncbench.BenchResult {
		var b syncbench.BenchResult
		for i := 0; i < reps; i++ {
			r, err := f()
			if err != nil {
				t.Fatal(err)
			}
			if b.Duration == 0 || r.Duration < b.Duration {
				b = r
			}
		}
		return b
	}
	raw := best(func() (syncbench.BenchResult, error) { return syncbench.BenchRawInsert(t.TempDir(), n) })
	push := best(func() (syncbench.BenchResult, error) { return syncbench.BenchPush(t.TempDir(), n, nil) })
	raw2 := best(func() (syncbench.BenchResult, error) { return syncbench.BenchRawInsert(t.TempDir(), n) })
	raw.Duration = min(raw.Duration, raw2.Duration)
	t.Logf("raw %v; push %v; ratio %.2fx; %.1f B/event", raw.Duration, push.Duration,
		float64(push.Duration)/float64(raw.Duration), float64(push.BytesOnWire)/float64(n))
	if os.Getenv("JIUZHU_BENCH_LOSSY") == "" {
		return
	}
	for seed := uint64(1); seed <= 3; seed++ {
		l, err := syncbench.BenchPush(t.TempDir(), n, syncbench.LossyTransport(0.1, 300*time.Millisecond, seed))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("lossy seed %d: %v (%.2fx clean) %.1f B/event", seed, l.Duration, float64(l.Duration)/float64(push.Duration),
			float64(l.BytesOnWire)/float64(n))
	}
}
