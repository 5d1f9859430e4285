package demo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"jiuzhu/cli"
	"jiuzhu/demo"
	"jiuzhu/storage"
)

// TestPopulateAnySize walks every planned case to its target state for many
// sizes and seeds: a demo that fails on some count is a demo that fails a clerk.
func TestPopulateAnySize(t *testing.T) {
	for _, n := range []int{1, 7, 15, 20, 33, 64, 120} {
		for seed := uint64(1); seed <= 4; seed++ {
			s, err := cli.InitDevice(context.Background(), filepath.Join(t.TempDir(), "d.db"),
				storage.Device{Name: "t", TownshipCode: "341122101", TownshipName: "城关镇"})
			if err != nil {
				t.Fatal(err)
			}
			s.SetClock(func() time.Time { return time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC) })
			if err := demo.Populate(context.Background(), s, seed*2023+uint64(n), n, nil); err != nil {
				t.Errorf("n=%d seed=%d: %v", n, seed, err)
			}
			s.Close()
		}
	}
}
