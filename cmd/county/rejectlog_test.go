package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	jsync "jiuzhu/sync"
)

// syncBuf is a writer the server goroutines and the test share.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rejectedLines returns the "rejected" lines of a text log.
func rejectedLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "msg=rejected") {
			out = append(out, l)
		}
	}
	return out
}

// TestServeLogsRefusals: `county serve` passes its logger to the sync API
// and the dashboard, and each refusal is one "rejected" line on stderr with
// its code, never the tokens or what the request carried.
func TestServeLogsRefusals(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := filepath.Join(t.TempDir(), "county.db")
	const dashToken = "dash-secret-7531"
	const wrongToken = "wrong-guess-8642"
	const syncToken = "jz_forged-token-9753"
	const pii = `{"name":"张三丰","id_number":"110101199003077777"}`
	ready := make(chan string, 1)
	var stdout, stderr syncBuf
	done := make(chan error, 1)
	go func() {
		done <- (&Main{Stdout: &stdout, Stderr: &stderr, Ready: ready}).Run(ctx,
			[]string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--dashboard-token", dashToken})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v %s", err, stderr.String())
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
		code                            string // "" when nothing is refused
	}{
		{"dashboard without a token", "GET", "/dashboard", "", "", 401, "dashboard_no_token"},
		{"dashboard with a wrong token", "GET", "/dashboard?token=" + wrongToken, "", "", 401, "dashboard_bad_token"},
		{"dashboard with the token", "GET", "/dashboard?token=" + dashToken, "", "", 303, ""},
		{"no such page", "GET", "/nothing", "", "", 404, "not_found"},
		{"dashboard written to", "POST", "/dashboard", "", pii, 405, "method"},
		{"sync with a forged token", "POST", "/v1/push", syncToken, pii, 401, "unknown_device"},
		{"sync without a token", "GET", "/v1/pull?since=0", "", "", 401, "no_token"},
		{"health", "GET", "/v1/health", "", "", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rejectedLines(stderr.String()))
			req, _ := http.NewRequest(tc.method, "http://"+addr+tc.path, strings.NewReader(tc.body))
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			lines := rejectedLines(stderr.String())[before:]
			switch {
			case tc.code == "" && len(lines) != 0:
				t.Errorf("an accepted request was logged as refused: %v", lines)
			case tc.code != "" && len(lines) != 1:
				t.Errorf("%d rejected lines, want 1: %v", len(lines), lines)
			case tc.code != "":
				path, _, _ := strings.Cut(tc.path, "?")
				for _, want := range []string{"code=" + tc.code, "status=" + strconv.Itoa(tc.status), "path=" + path, "client=127.0.0.1"} {
					if !strings.Contains(lines[0], want) {
						t.Errorf("%q lacks %s", lines[0], want)
					}
				}
			}
		})
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	log := stderr.String()
	for _, secret := range []string{dashToken, wrongToken, syncToken, jsync.HashToken(syncToken), "张三丰", "110101199003077777"} {
		if strings.Contains(log, secret) {
			t.Errorf("stderr holds %q:\n%s", secret, log)
		}
	}
}

// TestDashboardWithoutTokenRefusesOtherMachinesLogged: with no dashboard
// token only this machine may look; another machine's refusal is logged.
func TestDashboardWithoutTokenRefusesOtherMachinesLogged(t *testing.T) {
	st, err := jsync.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "county.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var buf syncBuf
	h := handler(st, "", slog.New(slog.NewTextHandler(&buf, nil)))
	req := httptest.NewRequest("GET", "/dashboard", nil)
	req.RemoteAddr = "10.0.0.9:40000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	lines := rejectedLines(buf.String())
	if rec.Code != http.StatusForbidden || len(lines) != 1 ||
		!strings.Contains(lines[0], "code=dashboard_not_local") || !strings.Contains(lines[0], "client=10.0.0.9") {
		t.Fatalf("%d, log %q", rec.Code, buf.String())
	}
}
