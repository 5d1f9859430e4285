// Package syncbench measures pushes to a county server on loopback against a
// raw insert of the same events, for cmd/bench and the sync ratio test. It
// lives apart from sync so that the product does not import demo data.
package syncbench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	stdsync "sync"
	"sync/atomic"
	"time"

	"jiuzhu/app"
	"jiuzhu/demo"
	"jiuzhu/storage"
	jsync "jiuzhu/sync"
)

// BenchResult is one measured push.
type BenchResult struct {
	Duration    time.Duration
	BytesOnWire int64 // request + response bodies as sent (gzip for pushes)
	Events      int
}

const benchTownship = "341122101"

// benchDevice creates a device database in dir holding n unsynced events
// (household registrations with their applications: realistic payloads).
func benchDevice(ctx context.Context, dir string, n int) (*storage.Store, error) {
	s, err := storage.Init(ctx, filepath.Join(dir, "device.db"), storage.Device{Name: "bench", TownshipCode: benchTownship, TownshipName: "城关镇"})
	if err != nil {
		return nil, err
	}
	g := demo.New(42, benchTownship, s.Today())
	vs := g.Villages()
	regs := make([]storage.Registration, 0, n/2+1)
	for i := 0; 2*len(regs) < n; i++ {
		r := storage.Registration{Household: g.Household(vs[i%len(vs)])}
		if 2*len(regs)+1 < n {
			r.Apply = &app.CaseApplied{Program: app.ProgramDibao, AppliedOn: s.Today(), Reason: "家庭成员患病，收入低于低保标准"}
		}
		regs = append(regs, r)
	}
	for i := 0; i < len(regs); i += 2000 {
		if _, err := s.RegisterHouseholds(ctx, demo.Clerk, regs[i:min(i+2000, len(regs))]); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

type countingRT struct {
	base  http.RoundTripper
	bytes atomic.Int64
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func (c *countingRT) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.ContentLength > 0 {
		c.bytes.Add(req.ContentLength)
	}
	resp, err := c.base.RoundTrip(req)
	if err == nil {
		resp.Body = countingBody{resp.Body, &c.bytes}
	}
	return resp, err
}

// BenchPush pushes n events from a fresh device to a county server on
// loopback, through rt when it is not nil (e.g. LossyTransport), and reports
// the wall time of the sync and the bytes on the wire. Setup is not timed.
func BenchPush(dir string, n int, rt http.RoundTripper) (BenchResult, error) {
	ctx := context.Background()
	dev, err := benchDevice(ctx, dir, n)
	if err != nil {
		return BenchResult{}, err
	}
	defer dev.Close()
	st, err := jsync.OpenSQLite(ctx, filepath.Join(dir, "county.db"))
	if err != nil {
		return BenchResult{}, err
	}
	defer st.Close()
	token, err := st.Enroll(ctx, "bench", benchTownship, nil)
	if err != nil {
		return BenchResult{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return BenchResult{}, err
	}
	srv := &http.Server{Handler: jsync.NewServer(st)}
	go srv.Serve(ln)
	defer srv.Close()
	if rt == nil {
		rt = http.DefaultTransport
	}
	counter := &countingRT{base: rt}
	c := jsync.NewClient(dev, "http://"+ln.Addr().String(), token, jsync.Options{Timeout: 30 * time.Second, Retries: 10,
		RetryWait: 50 * time.Millisecond, RetryMaxWait: 2 * time.Second, BatchBytes: 64 << 10, Transport: counter})
	start := time.Now()
	res, err := c.Sync(ctx, nil)
	d := time.Since(start)
	if err != nil {
		return BenchResult{}, err
	}
	if res.Pending != 0 || res.Pushed != n {
		return BenchResult{}, fmt.Errorf("bench push: pushed %d of %d, %d pending", res.Pushed, n, res.Pending)
	}
	return BenchResult{Duration: d, BytesOnWire: counter.bytes.Load(), Events: res.Pushed}, nil
}

// BenchRawInsert inserts the same n events as BenchPush into a plain SQLite
// table in one transaction: the baseline the push is compared with.
func BenchRawInsert(dir string, n int) (BenchResult, error) {
	ctx := context.Background()
	dev, err := benchDevice(ctx, dir, n)
	if err != nil {
		return BenchResult{}, err
	}
	events, err := dev.OutboxEvents(ctx, n+10)
	dev.Close()
	if err != nil {
		return BenchResult{}, err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "raw.db")+"?_pragma=journal_mode(wal)&_pragma=synchronous(normal)")
	if err != nil {
		return BenchResult{}, err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body BLOB NOT NULL)`); err != nil {
		return BenchResult{}, err
	}
	bodies := make([][]byte, len(events))
	for i := range events {
		if bodies[i], err = json.Marshal(&events[i]); err != nil {
			return BenchResult{}, err
		}
	}
	start := time.Now()
	tx, err := db.Begin()
	if err != nil {
		return BenchResult{}, err
	}
	for i := range events {
		if _, err := tx.Exec(`INSERT INTO events (id, body) VALUES (?, ?)`, events[i].ID, bodies[i]); err != nil {
			tx.Rollback()
			return BenchResult{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return BenchResult{}, err
	}
	return BenchResult{Duration: time.Since(start), Events: len(events)}, nil
}

// LossyTransport drops a fraction of requests (before or after the server
// handled them, half each) and adds latency to every round trip: a slow,
// unreliable township link for benchmarks.
func LossyTransport(loss float64, latency time.Duration, seed uint64) http.RoundTripper {
	return &lossy{base: http.DefaultTransport, loss: loss, latency: latency, rng: rand.New(rand.NewPCG(seed, 3))}
}

type lossy struct {
	base    http.RoundTripper
	loss    float64
	latency time.Duration
	mu      stdsync.Mutex
	rng     *rand.Rand
}

func (l *lossy) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	x := l.rng.Float64()
	l.mu.Unlock()
	time.Sleep(l.latency / 2)
	if x < l.loss/2 {
		return nil, fmt.Errorf("lossy link: request lost")
	}
	resp, err := l.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	time.Sleep(l.latency / 2)
	if x < l.loss {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, fmt.Errorf("lossy link: response lost")
	}
	return resp, nil
}
