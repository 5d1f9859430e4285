package sync_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"jiuzhu/app"
	"jiuzhu/cli"
	"jiuzhu/demo"
	"jiuzhu/storage"
)

// TestMain doubles as the `jiuzhu sync` command line for the crash test: the
// test binary re-executes itself with JIUZHU_SYNC_CHILD set to the arguments.
func TestMain(m *testing.M) {
	if args := os.Getenv("JIUZHU_SYNC_CHILD"); args != "" {
		var a []string
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			os.Exit(2)
		}
		env := &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
		if err := cli.Run(context.Background(), env, a); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestCrashLoop runs `jiuzhu sync` as a subprocess for a device with a large
// outbox and another pulling it, SIGKILLs it at random points, restarts it,
// and checks that nothing was lost or doubled and both databases are intact.
func TestCrashLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("crash loop is slow")
	}
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("crash loop seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	c := newCounty(t)
	dir := t.TempDir()
	paths := map[string]string{"A": filepath.Join(dir, "A.db"), "B": filepath.Join(dir, "B.db")}
	tokens := map[string]string{}
	for name, p := range paths {
		s, err := cli.InitDevice(ctx, p, storage.Device{Name: name, TownshipCode: township, TownshipName: "城关镇"})
		if err != nil {
			t.Fatal(err)
		}
		if name == "A" {
			g := demo.New(seed, township, s.Today())
			vs := g.Villages()
			regs := make([]storage.Registration, 800)
			for i := range regs {
				regs[i] = storage.Registration{Household: g.Household(vs[i%len(vs)]),
					Apply: &app.CaseApplied{Program: app.ProgramDibao, AppliedOn: s.Today(), Reason: "收入低"}}
			}
			ids, err := s.RegisterHouseholds(ctx, demo.Clerk, regs)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 300; i++ {
				if err := s.SetField(ctx, demo.Clerk, ids[i].HouseholdID, "", "phone", "1390000"+strconv.Itoa(1000+i)); err != nil {
					t.Fatal(err)
				}
			}
		}
		s.Close()
		tokens[name] = c.enroll(t, name, township)
	}
	self, _ := os.Executable()
	run := func(name string, first bool, kill time.Duration) (finished bool) {
		args := []string{"sync", "--db", paths[name], "--quiet", "--batch-kb", "8"}
		if first {
			args = append(args, "--server", c.srv.URL, "--token", tokens[name])
		}
		a, _ := json.Marshal(args)
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), "JIUZHU_SYNC_CHILD="+string(a))
		var stderr strings.Builder
		cmd.Stderr, cmd.Stdout = &stderr, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: sync exited with %v: %s", name, err, stderr.String())
			}
			return true
		case <-time.After(kill):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			return false
		}
	}
	// The token is saved at first use; later runs omit it.
	run("A", true, 1500*time.Millisecond)
	run("B", true, 1500*time.Millisecond)
	kills := 0
	for _, name := range []string{"A", "B"} {
		for i := 0; ; i++ {
			if i > 100 {
				t.Fatalf("%s never finished", name)
			}
			if run(name, false, time.Duration(20+rng.IntN(400)+50*i)*time.Millisecond) {
				break
			}
			kills++
		}
	}
	run("A", false, time.Minute)
	t.Logf("killed %d times", kills)

	a, err := storage.Open(ctx, paths["A"])
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := storage.Open(ctx, paths["B"])
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var maxSeq, onB int64
	a.DB().QueryRow(`SELECT max(device_seq) FROM events WHERE device_id = ?`, a.Device().ID).Scan(&maxSeq)
	b.DB().QueryRow(`SELECT count(*) FROM events WHERE device_id = ?`, a.Device().ID).Scan(&onB)
	total, distinct, err := c.store.ServerEventCount(ctx, a.Device().ID)
	if err != nil {
		t.Fatal(err)
	}
	if int64(total) != maxSeq || int64(distinct) != maxSeq || onB != maxSeq {
		t.Errorf("A wrote %d events; county holds %d (%d distinct); B has %d", maxSeq, total, distinct, onB)
	}
	if n, _ := a.Pending(ctx); n != 0 {
		t.Errorf("A: %d pending", n)
	}
	for _, s := range []*storage.Store{a, b} {
		r, err := s.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() {
			t.Errorf("%s: check: %+v", s.Device().Name, r)
		}
	}
	ha, _ := a.ProjectionHash(ctx)
	hb, _ := b.ProjectionHash(ctx)
	if ha != hb {
		t.Error("A and B differ after the crash loop")
	}
	var ok string
	c.store.DB().QueryRow(`PRAGMA integrity_check`).Scan(&ok)
	if ok != "ok" {
		t.Errorf("county integrity: %s", ok)
	}
}
