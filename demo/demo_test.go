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

// TestEveryStateOfEveryProgram: a demo of 30 households or more shows every
// target state of every program, so screens and their tests always have one.
func TestEveryStateOfEveryProgram(t *testing.T) {
	s, err := cli.InitDevice(context.Background(), filepath.Join(t.TempDir(), "d.db"),
		storage.Device{Name: "t", TownshipCode: "341122101", TownshipName: "城关镇"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := demo.Populate(context.Background(), s, 99, 30, nil); err != nil {
		t.Fatal(err)
	}
	counts, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, c := range counts {
		have[string(c.Program)+"/"+string(c.State)] = true
	}
	for _, want := range []string{"dibao/applied", "dibao/accepted", "dibao/investigated", "dibao/noticed", "dibao/approved",
		"dibao/rejected", "dibao/paying", "dibao/phasing_out", "dibao/terminated", "dibao/archived",
		"tekun/applied", "tekun/accepted", "tekun/noticed", "tekun/paying", "tekun/terminated",
		"temporary/applied", "temporary/accepted", "temporary/noticed", "temporary/escalated", "temporary/paid_first",
		"temporary/paid", "temporary/rejected", "temporary/archived"} {
		if !have[want] {
			t.Errorf("no %s case in the demo", want)
		}
	}
}
