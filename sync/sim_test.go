package sync_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"jiuzhu/app"
	"jiuzhu/demo"
	"jiuzhu/storage"
)

var long = flag.Bool("long", false, "run the simulator with more seeds and larger workloads")

// TestSimulator runs a county and three devices of one township through
// seeded random workloads on overlapping households, syncing through a
// network that drops, duplicates, truncates and delays, then checks that the
// county holds every event exactly once, all devices converge to the same
// projections, and concurrent edits of one field became conflict records.
func TestSimulator(t *testing.T) {
	seeds, steps := 5, 60
	if *long {
		seeds, steps = 40, 300
	}
	if testing.Short() {
		seeds, steps = 2, 30
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			simulate(t, seed, steps)
		})
	}
}

func simulate(t *testing.T, seed uint64, steps int) {
	ctx := context.Background()
	defer func() {
		if t.Failed() {
			t.Logf("simulator failed with seed %d (steps %d)", seed, steps)
		}
	}()
	rng := rand.New(rand.NewPCG(seed, 7))
	net := newFaults(seed, 0.06)
	c := newCounty(t)
	devs := []*device{newDevice(t, c, "A", township, net), newDevice(t, c, "B", township, net), newDevice(t, c, "C", township, net)}
	g := demo.New(seed, township, devs[0].store.Today())
	villages := g.Villages()
	actors := []app.Actor{demo.Clerk, demo.Liaison}

	syncRound := func(d *device) {
		if _, err := d.client.Sync(ctx, nil); err != nil {
			t.Logf("%s: sync failed (retried later): %v", d.name, err)
		}
	}
	// Device A registers households; the others pull them and work on them too.
	for i := 0; i < 6; i++ {
		h := g.Household(villages[rng.IntN(len(villages))])
		if _, _, err := devs[0].store.RegisterHousehold(ctx, demo.Clerk, h, &app.CaseApplied{Program: app.ProgramDibao,
			AppliedOn: devs[0].store.Today(), Reason: "收入低于低保标准"}); err != nil {
			t.Fatal(err)
		}
	}
	net.setOn(false)
	for _, d := range devs {
		syncRound(d)
	}
	net.setOn(true)

	// A forced concurrent edit: A and B change the same field from the same base.
	hh := households(t, devs[0].store)
	forced := hh[0]
	if err := devs[0].store.SetField(ctx, demo.Clerk, forced, "", "phone", "13800000001"); err != nil {
		t.Fatal(err)
	}
	if err := devs[1].store.SetField(ctx, demo.Liaison, forced, "", "phone", "13900000002"); err != nil {
		t.Fatal(err)
	}

	for i := 0; i < steps; i++ {
		d := devs[rng.IntN(len(devs))]
		hh := households(t, d.store)
		actor := actors[rng.IntN(len(actors))]
		var err error
		switch op := rng.IntN(10); {
		case op < 3 && len(hh) > 0:
			hid := hh[rng.IntN(len(hh))]
			field := []string{"phone", "address", "bank_name"}[rng.IntN(3)]
			val := map[string]string{"phone": fmt.Sprintf("139%08d", rng.IntN(1e8)), "address": fmt.Sprintf("幸福路%d号", rng.IntN(300)),
				"bank_name": []string{"农商银行", "邮储银行", "农业银行"}[rng.IntN(3)]}[field]
			err = d.store.SetField(ctx, actor, hid, "", field, val)
		case op < 4 && len(hh) > 0:
			cases := openCases(t, d.store)
			if len(cases) > 0 {
				err = d.store.Step(ctx, demo.Clerk, cases[rng.IntN(len(cases))], app.ActionAccept,
					app.StepData{ConsentSigned: true, Opinion: "材料齐全"})
			}
		case op < 5 && len(hh) > 0:
			m := g.Household(villages[0]).Members[0]
			m.Relation = app.RelationOther
			_, err = d.store.AddMember(ctx, actor, hh[rng.IntN(len(hh))], m)
		case op < 6:
			h := g.Household(villages[rng.IntN(len(villages))])
			_, _, err = d.store.RegisterHousehold(ctx, demo.Clerk, h, nil)
		case op < 7 && len(hh) > 0:
			cases := allCases(t, d.store)
			if len(cases) > 0 {
				data := make([]byte, 1+rng.IntN(600<<10))
				for j := range data {
					data[j] = byte(rng.IntN(256))
				}
				_, err = d.store.AddAttachment(ctx, actor, cases[rng.IntN(len(cases))], "scan.jpg", "image/jpeg", data, "")
			}
		default:
			syncRound(d)
		}
		if err != nil && app.ErrorCode(err) == app.EINTERNAL {
			t.Fatalf("step %d on %s: %v", i, d.name, err)
		}
	}

	// Quiescence: a clean network until nothing moves.
	net.setOn(false)
	for round := 0; ; round++ {
		if round > 10 {
			t.Fatal("no quiescence after 10 clean rounds")
		}
		moved := 0
		for _, d := range devs {
			res, err := d.client.Sync(ctx, nil)
			if err != nil {
				t.Fatalf("%s: clean sync: %v", d.name, err)
			}
			moved += res.Pushed + res.Pulled + res.Blobs
		}
		if moved == 0 && round > 0 {
			break
		}
	}
	t.Logf("faults injected: %v", net.n)

	// The county holds every device event exactly once.
	for _, d := range devs {
		var maxSeq int64
		if err := d.store.DB().QueryRowContext(ctx, `SELECT max(device_seq) FROM events WHERE device_id = ?`,
			d.store.Device().ID).Scan(&maxSeq); err != nil {
			t.Fatal(err)
		}
		total, distinct, err := c.store.ServerEventCount(ctx, d.store.Device().ID)
		if err != nil {
			t.Fatal(err)
		}
		if int64(total) != maxSeq || int64(distinct) != maxSeq {
			t.Errorf("%s: county holds %d events (%d distinct seqs), device wrote %d", d.name, total, distinct, maxSeq)
		}
		if n, _ := d.store.Pending(ctx); n != 0 {
			t.Errorf("%s: %d events still pending", d.name, n)
		}
		if miss, _ := d.store.MissingBlobs(ctx); len(miss) != 0 {
			t.Errorf("%s: %d attachments not downloaded", d.name, len(miss))
		}
		r, err := d.store.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() {
			t.Errorf("%s: check failed: %+v", d.name, r)
		}
	}
	// All devices converge.
	want, _ := devs[0].store.ProjectionHash(ctx)
	for _, d := range devs[1:] {
		if got, _ := d.store.ProjectionHash(ctx); got != want {
			t.Errorf("%s: projection hash %s, A has %s", d.name, got[:12], want[:12])
		}
	}
	// The forced concurrent edit is a conflict on every device.
	for _, d := range devs {
		agg, err := d.store.Household(ctx, forced)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, cf := range agg.Conflicts {
			if cf.Kind == app.ConflictField && cf.Subject == "phone" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: concurrent phone edits left no conflict record", d.name)
		}
	}
}

func households(t testing.TB, s *storage.Store) []string {
	return column(t, s, `SELECT id FROM households ORDER BY id`)
}

func openCases(t testing.TB, s *storage.Store) []string {
	return column(t, s, `SELECT id FROM cases WHERE state = 'applied' ORDER BY id`)
}

func allCases(t testing.TB, s *storage.Store) []string {
	return column(t, s, `SELECT id FROM cases ORDER BY id`)
}

func column(t testing.TB, s *storage.Store, q string) []string {
	t.Helper()
	rows, err := s.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		rows.Scan(&v)
		out = append(out, v)
	}
	return out
}
