package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"jiuzhu/app"
	"jiuzhu/cli"
	"jiuzhu/demo"
	"jiuzhu/storage"
)

func init() {
	register(Bench{Name: "register", Run: benchRegister})
	register(Bench{Name: "search", Run: benchSearch})
}

var benchActor = app.Actor{UserID: "bench", Name: "基准测试", Role: app.RoleLiaison}

func newDevice(ctx context.Context, dir, name string) (*storage.Store, error) {
	return cli.InitDevice(ctx, filepath.Join(dir, name), storage.Device{Name: name, TownshipCode: "341122101", TownshipName: "基准镇"})
}

func makeHouseholds(n int) []storage.Registration {
	g := demo.New(1, "341122101", app.NewDate(2026, 11, 1))
	villages := g.Villages()
	regs := make([]storage.Registration, n)
	for i := range regs {
		regs[i] = storage.Registration{Household: g.Household(villages[i%len(villages)])}
	}
	return regs
}

// benchRegister registers households through the domain and the store (event
// log, hash chain, projections, search index) against a raw insert of the same
// household and member rows into plain tables, in the same run.
func benchRegister(ctx context.Context, cfg Config) ([]Row, error) {
	regs := makeHouseholds(cfg.Households)
	members := 0
	for _, r := range regs {
		members += len(r.Household.Members)
	}

	raw, err := rawRegister(ctx, filepath.Join(cfg.Dir, "raw.db"), regs)
	if err != nil {
		return nil, err
	}
	s, err := newDevice(ctx, cfg.Dir, "store.db")
	if err != nil {
		return nil, err
	}
	defer s.Close()
	start := time.Now()
	const batch = 5000
	for i := 0; i < len(regs); i += batch {
		if _, err := s.RegisterHouseholds(ctx, benchActor, regs[i:min(i+batch, len(regs))]); err != nil {
			return nil, err
		}
	}
	took := time.Since(start)
	r := ratio(took, raw)
	return []Row{{Name: fmt.Sprintf("register %d households (%d members)", len(regs), members), Value: took.Round(time.Millisecond).String(),
		Baseline: raw.Round(time.Millisecond).String() + " raw insert", Ratio: fmt.Sprintf("%.2fx", r), Goal: "<= 3x", Pass: r <= 3}}, nil
}

func rawRegister(ctx context.Context, path string, regs []storage.Registration) (time.Duration, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(wal)&_pragma=synchronous(normal)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE households (id TEXT PRIMARY KEY, township_code TEXT, village_code TEXT,
		village_name TEXT, head_name TEXT, head_id TEXT, members INTEGER, address TEXT, phone TEXT, bank TEXT, account TEXT);
		CREATE TABLE members (id TEXT PRIMARY KEY, household_id TEXT, name TEXT, id_number TEXT, relation TEXT,
		disability TEXT, grade INTEGER, work TEXT, health TEXT, schooling TEXT, covered INTEGER)`); err != nil {
		return 0, err
	}
	start := time.Now()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	hs, _ := tx.Prepare(`INSERT INTO households VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	ms, _ := tx.Prepare(`INSERT INTO members VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	for _, r := range regs {
		h := r.Household
		id := app.NewID()
		if _, err := hs.Exec(id, h.TownshipCode, h.VillageCode, h.VillageName, h.Members[0].Name, h.Members[0].IDNumber,
			len(h.Members), h.Address, h.Phone, h.BankName, h.BankAccount); err != nil {
			return 0, err
		}
		for _, m := range h.Members {
			if _, err := ms.Exec(app.NewID(), id, m.Name, m.IDNumber, m.Relation, m.Disability, m.DisabilityGrade,
				m.WorkCapacity, m.Health, m.Schooling, m.Covered); err != nil {
				return 0, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// benchSearch fills a store with households until it holds cfg.Members
// members, then measures name and ID-fragment searches.
func benchSearch(ctx context.Context, cfg Config) ([]Row, error) {
	s, err := newDevice(ctx, cfg.Dir, "search.db")
	if err != nil {
		return nil, err
	}
	defer s.Close()
	g := demo.New(2, "341122101", app.NewDate(2026, 11, 1))
	villages := g.Villages()
	members := 0
	var names, ids []string
	for members < cfg.Members {
		var regs []storage.Registration
		for i := 0; i < 5000 && members < cfg.Members; i++ {
			h := g.Household(villages[i%len(villages)])
			members += len(h.Members)
			regs = append(regs, storage.Registration{Household: h})
			if i%97 == 0 {
				m := h.Members[len(h.Members)-1]
				names = append(names, m.Name)
				ids = append(ids, m.IDNumber[10:16])
			}
		}
		if _, err := s.RegisterHouseholds(ctx, benchActor, regs); err != nil {
			return nil, err
		}
	}
	var queries []string
	for i := range names {
		r := []rune(names[i])
		queries = append(queries, string(r[:1]), string(r[len(r)-2:]), names[i], ids[i])
	}
	var lat []time.Duration
	for round := 0; round < 2; round++ { // the first round warms the page cache
		lat = lat[:0]
		for _, q := range queries {
			start := time.Now()
			if _, err := s.SearchMembers(ctx, q, "", 50); err != nil {
				return nil, fmt.Errorf("search %q: %w", q, err)
			}
			lat = append(lat, time.Since(start))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p95 := lat[len(lat)/2], lat[len(lat)*95/100]
	return []Row{{Name: fmt.Sprintf("search p50 at %d members (%d queries: surname, 2-char, full name, ID digits)", members, len(lat)),
		Value: ms(p50), Goal: "", Pass: true},
		{Name: fmt.Sprintf("search p95 at %d members", members), Value: ms(p95), Goal: "<= 20 ms", Pass: p95 <= 20*time.Millisecond}}, nil
}
