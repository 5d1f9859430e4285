package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"jiuzhu/app"
	"jiuzhu/demo"
	"jiuzhu/storage"
	"jiuzhu/ui"
)

func init() { register(Bench{Name: "ui", Run: benchUI}) }

// benchUI fills a database with households until it holds cfg.Members
// members (with cases in every state), then starts a fresh process that opens
// it and paints the first screen, reporting the time and the process's peak
// resident memory: a clean process, so the filling does not count.
func benchUI(ctx context.Context, cfg Config) ([]Row, error) {
	s, err := newDevice(ctx, cfg.Dir, "ui.db")
	if err != nil {
		return nil, err
	}
	if err := demo.Populate(ctx, s, 5, 300, nil); err != nil { // cases in every state for the workbench
		return nil, err
	}
	g := demo.New(3, "341122101", app.NewDate(2026, 11, 1))
	villages := g.Villages()
	members, _ := s.CountMembers(ctx)
	for members < cfg.Members {
		var regs []storage.Registration
		for i := 0; i < 5000 && members < cfg.Members; i++ {
			h := g.Household(villages[i%len(villages)])
			members += len(h.Members)
			regs = append(regs, storage.Registration{Household: h})
		}
		if _, err := s.RegisterHouseholds(ctx, benchActor, regs); err != nil {
			return nil, err
		}
	}
	path := s.Path()
	s.Close()
	out, err := exec.CommandContext(ctx, os.Args[0], "-first-screen", path).Output()
	if err != nil {
		return nil, fmt.Errorf("first-screen child: %w", err)
	}
	var took time.Duration
	var rssKB int
	if _, err := fmt.Sscanf(string(out), "%d %d", &took, &rssKB); err != nil {
		return nil, fmt.Errorf("first-screen child printed %q", out)
	}
	return []Row{
		{Name: fmt.Sprintf("time to first screen at %d members (open database, build and paint the workbench)", members),
			Value: ms(took), Goal: "< 1 s", Pass: took < time.Second},
		{Name: "resident memory of that process (peak RSS)", Value: fmt.Sprintf("%d MB", rssKB/1024), Goal: "< 200 MB", Pass: rssKB < 200*1024},
	}, nil
}

// firstScreen is the child's side of benchUI: it prints the time in
// nanoseconds and the peak resident set in kB.
func firstScreen(path string) error {
	start := time.Now()
	s, err := storage.Open(context.Background(), path)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := ui.TimeToFirstScreen(s); err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Printf("%d %d\n", took, peakRSSKB())
	return nil
}

func peakRSSKB() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}
