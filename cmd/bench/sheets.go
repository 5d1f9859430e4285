package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"time"

	"jiuzhu/sheets"
)

func init() { register(Bench{Name: "sheets", Run: benchSheets}) }

// benchSheets imports a 100,000-person legacy roster, then exports the
// payment roster of the next month against a raw excelize StreamWriter
// writing the same number of rows in the same run.
func benchSheets(ctx context.Context, cfg Config) ([]Row, error) {
	n := cfg.Households
	s, err := newDevice(ctx, cfg.Dir, "sheets.db")
	if err != nil {
		return nil, err
	}
	defer s.Close()
	roster := filepath.Join(cfg.Dir, "roster.xlsx")
	f, err := os.Create(roster)
	if err != nil {
		return nil, err
	}
	if err := sheets.WriteBenchRoster(n, "341122101", f); err != nil {
		return nil, err
	}
	f.Close()
	start := time.Now()
	rows, persons, err := sheets.BenchImportRoster(s, roster)
	if err != nil {
		return nil, err
	}
	importTook := time.Since(start)

	month := s.Today().AddMonths(1).MonthKey()
	var exported int
	exportTook, exportPeak, err := measure(func() error {
		var err error
		exported, err = sheets.BenchPaymentsExport(s, month, io.Discard)
		return err
	})
	if err != nil {
		return nil, err
	}
	rawTook, rawPeak, err := measure(func() error { return sheets.BenchRawStream(exported, &bytes.Buffer{}) })
	if err != nil {
		return nil, err
	}
	r := ratio(exportTook, rawTook)
	return []Row{
		{Name: fmt.Sprintf("import roster: %d rows, %d persons registered", rows, persons),
			Value: importTook.Round(time.Millisecond).String(), Goal: "", Pass: persons == n},
		{Name: fmt.Sprintf("export payment roster %s: %d rows (peak heap %d MB; raw %d MB)", month, exported, exportPeak>>20, rawPeak>>20),
			Value: exportTook.Round(time.Millisecond).String(), Baseline: rawTook.Round(time.Millisecond).String() + " raw StreamWriter",
			Ratio: fmt.Sprintf("%.2fx", r), Goal: "<= 1.5x", Pass: r <= 1.5 && exported > 0},
	}, nil
}

// measure runs fn and returns its time and the peak heap seen by a sampler.
func measure(fn func() error) (time.Duration, uint64, error) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak {
					peak = v
				}
			}
		}
	}()
	start := time.Now()
	err := fn()
	took := time.Since(start)
	close(done)
	return took, peak, err
}
