package sync_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	stdsync "sync"
	"testing"
	"time"

	"jiuzhu/cli"
	"jiuzhu/storage"
	jsync "jiuzhu/sync"
)

const township = "341122101"

type county struct {
	store *jsync.SQLiteStore
	srv   *httptest.Server
}

func newCounty(t testing.TB) *county {
	t.Helper()
	st, err := jsync.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "county.db"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(jsync.NewServer(st))
	t.Cleanup(func() { srv.Close(); st.Close() })
	return &county{store: st, srv: srv}
}

func (c *county) enroll(t testing.TB, name, township string, villages ...string) string {
	t.Helper()
	tok, err := c.store.Enroll(context.Background(), name, township, villages)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type device struct {
	name   string
	store  *storage.Store
	client *jsync.Client
	token  string
}

func newDevice(t testing.TB, c *county, name, township string, rt http.RoundTripper, villages ...string) *device {
	t.Helper()
	s, err := cli.InitDevice(context.Background(), filepath.Join(t.TempDir(), name+".db"),
		storage.Device{Name: name, TownshipCode: township, TownshipName: "城关镇"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	tok := c.enroll(t, name, township, villages...)
	d := &device{name: name, store: s, token: tok}
	d.client = jsync.NewClient(s, c.srv.URL, tok, jsync.Options{Timeout: 5 * time.Second, Retries: 4,
		RetryWait: time.Millisecond, RetryMaxWait: 20 * time.Millisecond, BatchBytes: 8 << 10, Transport: rt})
	return d
}

// faults is an http.RoundTripper that drops requests, drops responses after
// the server handled them, duplicates requests, truncates bodies and delays.
type faults struct {
	base http.RoundTripper
	mu   stdsync.Mutex
	rng  *rand.Rand
	p    float64 // probability of each fault
	on   bool
	n    map[string]int
}

func newFaults(seed uint64, p float64) *faults {
	return &faults{base: http.DefaultTransport, rng: rand.New(rand.NewPCG(seed, 99)), p: p, on: true, n: map[string]int{}}
}

func (f *faults) roll() (float64, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.on {
		return 1, 0
	}
	return f.rng.Float64(), f.rng.IntN(1 << 20)
}

func (f *faults) count(k string) { f.mu.Lock(); f.n[k]++; f.mu.Unlock() }

func (f *faults) setOn(on bool) { f.mu.Lock(); f.on = on; f.mu.Unlock() }

var errInjected = errors.New("injected network fault")

func (f *faults) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
	}
	clone := func(b []byte) *http.Request {
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		if len(b) == 0 {
			r.Body = http.NoBody
		}
		return r
	}
	x, k := f.roll()
	switch {
	case x < f.p:
		f.count("drop request")
		return nil, errInjected
	case x < 2*f.p:
		f.count("drop response")
		resp, err := f.base.RoundTrip(clone(body))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return nil, errInjected
	case x < 3*f.p:
		f.count("duplicate")
		if resp, err := f.base.RoundTrip(clone(body)); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	case x < 4*f.p && len(body) > 1:
		f.count("truncate")
		return f.base.RoundTrip(clone(body[:k%len(body)]))
	case x < 5*f.p:
		f.count("delay")
		time.Sleep(time.Duration(1+k%20) * time.Millisecond)
	}
	return f.base.RoundTrip(clone(body))
}

func asHTTPError(err error, target **jsync.HTTPError) bool { return errors.As(err, target) }
