// Command bench measures the product against raw baselines taken in the same
// run, and prints ratios: the machine is shared and noisy, so absolute times
// mean little while ratios to a baseline measured seconds apart hold.
//
//	go run ./cmd/bench [-households 100000] [-members 200000] [-only NAME]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one line of the result table.
type Row struct {
	Name     string
	Value    string
	Baseline string
	Ratio    string
	Goal     string
	Pass     bool
}

// Bench is one measurement; it returns one or more rows.
type Bench struct {
	Name string
	Run  func(ctx context.Context, cfg Config) ([]Row, error)
}

// Config sizes the benchmarks.
type Config struct {
	Dir        string
	Households int
	Members    int
}

var benches []Bench

func register(b Bench) { benches = append(benches, b) }

func main() {
	cfg := Config{}
	flag.IntVar(&cfg.Households, "households", 100_000, "households registered in the registration benchmark")
	flag.IntVar(&cfg.Members, "members", 200_000, "members in the search benchmark")
	only := flag.String("only", "", "run only benchmarks whose name contains this")
	child := flag.String("first-screen", "", "internal: open this database and paint the first screen")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the benchmarks to this file (go tool pprof)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *child != "" {
		if err := firstScreen(*child); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	dir, err := os.MkdirTemp("", "jiuzhu-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	cfg.Dir = dir

	ctx := context.Background()
	var rows []Row
	failed := false
	for i, b := range benches {
		if *only != "" && !strings.Contains(b.Name, *only) {
			continue
		}
		sub := Config{Dir: filepath.Join(dir, fmt.Sprint(i)), Households: cfg.Households, Members: cfg.Members}
		os.MkdirAll(sub.Dir, 0o755)
		fmt.Fprintf(os.Stderr, "running %s...\n", b.Name)
		start := time.Now()
		rs, err := b.Run(ctx, sub)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", b.Name, err)
			failed = true
			continue
		}
		fmt.Fprintf(os.Stderr, "  done in %s\n", time.Since(start).Round(time.Millisecond))
		rows = append(rows, rs...)
		runtime.GC()
	}
	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "benchmark\tvalue\tbaseline\tratio\tgoal\tmet")
	for _, r := range rows {
		met := "yes"
		if !r.Pass {
			met = "NO"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Value, r.Baseline, r.Ratio, r.Goal, met)
	}
	w.Flush()
	if failed {
		os.Exit(1)
	}
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
