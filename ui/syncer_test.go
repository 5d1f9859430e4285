package ui

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"jiuzhu/app"
	"jiuzhu/cli"
	"jiuzhu/storage"
	jsync "jiuzhu/sync"
)

// testCounty is a real county server (SQLite store) on loopback.
type testCounty struct {
	store *jsync.SQLiteStore
	srv   *httptest.Server
	token string
}

func newTestCounty(t *testing.T, device storage.Device) *testCounty {
	t.Helper()
	ctx := context.Background()
	st, err := jsync.OpenSQLite(ctx, filepath.Join(t.TempDir(), "county.db"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(jsync.NewServer(st))
	t.Cleanup(func() { srv.Close(); st.Close() })
	tok, err := st.Enroll(ctx, device.Name, device.TownshipCode, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &testCounty{store: st, srv: srv, token: tok}
}

// fastSync makes the shell's syncer quick for a test: edits are seen within
// milliseconds, nothing else starts a round during the test, and the client
// does not spend seconds on retries. It returns the rounds' ends.
func fastSync(t *testing.T, sh *Shell) chan syncState {
	t.Helper()
	y := sh.sync
	y.Interval, y.Poll, y.Debounce, y.Retry = time.Hour, 20*time.Millisecond, 20*time.Millisecond, time.Hour
	y.Options = jsync.Options{Timeout: 10 * time.Second, Retries: 1, RetryWait: time.Millisecond, RetryMaxWait: 10 * time.Millisecond}
	ch := make(chan syncState, 64)
	y.onRound = func(st syncState) { ch <- st }
	t.Cleanup(y.Stop) // before the store closes
	return ch
}

func nextRound(t *testing.T, ch chan syncState) syncState {
	t.Helper()
	select {
	case st := <-ch:
		return st
	case <-time.After(60 * time.Second):
		t.Fatal("no sync round ended within 60 s")
	}
	return syncState{}
}

// edit saves a change as a clerk would: one more event in the outbox.
func edit(t *testing.T, s *storage.Store, phone string) {
	t.Helper()
	row := firstCase(t, s, storage.CaseFilter{})
	if err := s.SetField(context.Background(), userWithRole(t, s, app.RoleClerk).Actor(), row.HouseholdID, "", "phone", phone); err != nil {
		t.Fatal(app.ErrorMessage(err))
	}
}

func TestBackgroundSync(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	county := newTestCounty(t, s.Device())
	_ = s.SetMeta(ctx, jsync.MetaServer, county.srv.URL)
	_ = s.SetMeta(ctx, jsync.MetaToken, county.token)
	before, _ := s.Pending(ctx)
	sh := newTestShell(t, s, app.RoleClerk)
	if !strings.Contains(sh.syncLabel.Text, "条待同步") {
		t.Fatalf("footer before the first round: %q", sh.syncLabel.Text)
	}
	rounds := fastSync(t, sh)
	sh.StartSync()

	// The first round pushes the outbox.
	st := nextRound(t, rounds)
	if st.Kind != syncDone {
		t.Fatalf("first round: %+v", st)
	}
	if !strings.HasPrefix(sh.syncLabel.Text, "已同步 · ") || sh.syncBarBox.Visible() {
		t.Fatalf("footer after sync: %q (bar visible %v)", sh.syncLabel.Text, sh.syncBarBox.Visible())
	}
	if n, _ := s.Pending(ctx); n != 0 {
		t.Fatalf("%d events still pending", n)
	}
	total, distinct, err := county.store.ServerEventCount(ctx, s.Device().ID)
	if err != nil || total != before || distinct != before {
		t.Fatalf("county holds %d (%d distinct) of %d events: %v", total, distinct, before, err)
	}
	wb := sh.Current.(*workbench)
	if wb.pendingNum.Text != "0 条" {
		t.Fatalf("workbench tile after sync: %q", wb.pendingNum.Text)
	}
	if !strings.Contains(st.Last, "同步成功") {
		t.Fatalf("last result %q", st.Last)
	}

	// An edit is synced shortly after, without being asked.
	edit(t, s, "13700001111")
	if st = nextRound(t, rounds); st.Kind != syncDone || st.Pending != 0 {
		t.Fatalf("round after an edit: %+v", st)
	}
	if total, _, _ = county.store.ServerEventCount(ctx, s.Device().ID); total != before+1 {
		t.Fatalf("county holds %d events after the edit, want %d", total, before+1)
	}

	// The screen locks: sync stops before the data key leaves memory, and
	// both come back with the password.
	sh.Lock()
	if sh.sync.Running() || !s.Locked() {
		t.Fatalf("locked screen: sync running %v, data key gone %v", sh.sync.Running(), s.Locked())
	}
	test.Type(sh.lockScreen.password, cli.DemoPassword)
	test.Tap(button(t, sh.win, "解锁"))
	if !sh.sync.Running() || s.Locked() {
		t.Fatalf("after unlock: sync running %v, data key gone %v", sh.sync.Running(), s.Locked())
	}
	if st = nextRound(t, rounds); st.Kind != syncDone {
		t.Fatalf("round after unlock: %+v", st)
	}

	// The county goes away: the next edit leaves the window 离线, not in error.
	county.srv.Close()
	edit(t, s, "13700002222")
	if st = nextRound(t, rounds); st.Kind != syncOffline {
		t.Fatalf("round without the county: %+v", st)
	}
	if sh.syncLabel.Text != "离线 · 1 条待同步" {
		t.Fatalf("footer offline: %q", sh.syncLabel.Text)
	}
	if wb.pendingNum.Text != "1 条" {
		t.Fatalf("workbench tile offline: %q", wb.pendingNum.Text)
	}
	if n := len(sh.win.Canvas().Overlays().List()); n != 0 {
		t.Fatalf("%d dialogs shown for being offline", n)
	}
}

func TestSettingsSyncNow(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	county := newTestCounty(t, s.Device())
	sh := newTestShell(t, s, app.RoleClerk)
	rounds := fastSync(t, sh)
	sh.sync.Poll = time.Hour // only 立即同步 starts a round here
	sh.ShowSettings()
	st := sh.Current.(*settings)
	if sh.sync.Running() {
		t.Fatal("the test shell should not sync by itself")
	}
	test.Tap(button(t, sh.win, "立即同步"))
	if !strings.Contains(st.syncMessage.Text, "请先填写") || sh.sync.Running() {
		t.Fatalf("立即同步 without a server: %q", st.syncMessage.Text)
	}
	st.server.SetText("")
	test.Type(st.server, county.srv.URL)
	test.Type(st.token, county.token)
	test.Tap(button(t, sh.win, "保存"))
	for k, want := range map[string]string{jsync.MetaServer: county.srv.URL, MetaServerURL: county.srv.URL, jsync.MetaToken: county.token} {
		if v, _ := s.Meta(ctx, k); v != want {
			t.Fatalf("meta %s = %q, want %q", k, v, want)
		}
	}
	if st.token.Text != "" {
		t.Fatal("the token stays in the entry after saving")
	}

	test.Tap(button(t, sh.win, "立即同步"))
	r := nextRound(t, rounds)
	if r.Kind != syncDone {
		t.Fatalf("round: %+v", r)
	}
	if !strings.Contains(st.syncLast.Text, "同步成功") || !strings.HasPrefix(st.syncStatus.Text, "状态：已同步") ||
		st.pending.Text != "0 条" || st.syncBar.Value != 1 || st.syncNow.Disabled() {
		t.Fatalf("settings after 立即同步: last %q status %q pending %q bar %v", st.syncLast.Text,
			st.syncStatus.Text, st.pending.Text, st.syncBar.Value)
	}
	if total, _, _ := county.store.ServerEventCount(ctx, s.Device().ID); total == 0 {
		t.Fatal("nothing reached the county")
	}

	// A second tap runs another round on the same syncer.
	edit(t, s, "13700003333")
	select {
	case r := <-rounds:
		t.Fatalf("a round ran without being asked: %+v", r)
	default:
	}
	test.Tap(button(t, sh.win, "立即同步"))
	if r = nextRound(t, rounds); r.Kind != syncDone || r.Pending != 0 {
		t.Fatalf("second round: %+v", r)
	}
}

func TestSettingsServerKeyFallback(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	_ = s.SetMeta(ctx, MetaServerURL, "https://old.example.cn")
	if server, _ := syncConfig(ctx, s); server != "https://old.example.cn" {
		t.Fatalf("old key not read: %q", server)
	}
	_ = s.SetMeta(ctx, jsync.MetaServer, "https://new.example.cn")
	if server, _ := syncConfig(ctx, s); server != "https://new.example.cn" {
		t.Fatalf("new key not preferred: %q", server)
	}
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowSettings()
	st := sh.Current.(*settings)
	st.server.SetText("http://10.1.2.3:8080")
	test.Tap(button(t, sh.win, "保存"))
	if v, _ := s.Meta(ctx, jsync.MetaServer); v != "https://new.example.cn" {
		t.Fatalf("plain http to another machine was saved: %q", v)
	}
}

func TestSyncBackoffAndOffline(t *testing.T) {
	y := newSyncer(nil, nil)
	var got []time.Duration
	for range 6 {
		got = append(got, y.backoff())
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("backoff %v, want %v", got, want)
		}
	}
	if !offline(&net.OpError{Op: "dial", Err: errors.New("connection refused")}) || !offline(&net.DNSError{Err: "no such host"}) {
		t.Fatal("dial and DNS errors are offline")
	}
	if offline(&jsync.Error{Status: 403, Message: "设备已停用"}) {
		t.Fatal("a county answer is not offline")
	}
	if s := (syncState{Kind: syncRunning, Stage: "push", Done: 120, Total: 480}).Text(); s != "同步中：上传 120/480" {
		t.Fatal(s)
	}
	if s := (syncState{Kind: syncFailed, Message: "设备已停用"}).Text(); s != "同步失败：设备已停用" {
		t.Fatal(s)
	}
}

func TestSyncRevokedDeviceLeavesTheScreens(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	county := newTestCounty(t, s.Device())
	_ = s.SetMeta(ctx, jsync.MetaServer, county.srv.URL)
	_ = s.SetMeta(ctx, jsync.MetaToken, county.token)
	if err := county.store.Revoke(ctx, s.Device().Name); err != nil {
		t.Fatal(err)
	}
	sh := newTestShell(t, s, app.RoleClerk)
	rounds := fastSync(t, sh)
	sh.StartSync()
	if st := nextRound(t, rounds); st.Kind != syncPurged {
		t.Fatalf("round of a revoked device: %+v", st)
	}
	if !windowSays(sh.win, "本设备已被县民政局停用") {
		t.Fatal("the window still shows the screens")
	}
	if n, _ := s.CountCases(ctx, storage.CaseFilter{}); n != 0 {
		t.Fatalf("%d cases left after revocation", n)
	}
}

// windowSays reports whether a label on the window contains text.
func windowSays(w fyne.Window, text string) bool {
	for _, o := range test.LaidOutObjects(w.Canvas().Content()) {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, text) {
			return true
		}
	}
	return false
}
