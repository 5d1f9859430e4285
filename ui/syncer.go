package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	stdsync "sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"

	"jiuzhu/app"
	"jiuzhu/storage"
	jsync "jiuzhu/sync"
)

// Background sync with the county. While the window is open a syncer runs
// one round (jsync.Client.Sync) at start, then every Interval, shortly after
// the clerk saved something (the device's own event log grew), and at once
// when asked (设置 → 立即同步, or saving the server address). Rounds run in
// one goroutine, one after another, never two at once; the window only hears
// of them through fyne.Do. A failed round is tried again after 30 s, 1 min,
// 2 min … (at most Interval) without waiting for the next edit. No network
// is the normal state of a village laptop: it shows as 离线 with the number
// of events waiting, never as an error dialog.

// Sync defaults.
const (
	DefaultSyncInterval = 5 * time.Minute  // between rounds when nothing happens
	DefaultSyncPoll     = 15 * time.Second // how often the event log is looked at for new edits
	DefaultSyncDebounce = 10 * time.Second // from an edit seen to its round
	DefaultSyncRetry    = 30 * time.Second // first wait after a failed round; doubles up to Interval
)

type syncKind int

const (
	syncUnset   syncKind = iota // no server address or token
	syncWaiting                 // configured, no round finished yet
	syncRunning                 // a round is on its way
	syncDone                    // the last round succeeded
	syncOffline                 // the county could not be reached
	syncFailed                  // the county answered with an error, or something else went wrong
	syncPurged                  // the county revoked this device and its data was deleted: sync ends
)

// syncState is what the window shows of sync.
type syncState struct {
	Kind        syncKind
	Stage       string // running: push, pull, blobs or connect
	Done, Total int    // running: progress of the stage
	Pending     int    // own events the county has not acknowledged
	At          time.Time
	Message     string        // failed: for the clerk
	Retry       time.Duration // failed or offline: until the next try
	Last        string        // meta MetaLastResult: the last round's result in words
}

var stageLabel = map[string]string{"push": "上传", "pull": "下载", "blobs": "附件", "connect": "连接县里服务器"}

// Text is the status line of the shell's footer.
func (st syncState) Text() string {
	switch st.Kind {
	case syncUnset:
		if st.Pending > 0 {
			return fmt.Sprintf("未设置县级服务器 · %d 条待同步", st.Pending)
		}
		return "未设置县级服务器"
	case syncRunning:
		switch {
		case st.Stage == "connect":
			return "同步中：连接县里服务器……"
		case st.Stage == "pull":
			return fmt.Sprintf("同步中：下载 %d 条", st.Done)
		default:
			return fmt.Sprintf("同步中：%s %d/%d", stageLabel[st.Stage], st.Done, st.Total)
		}
	case syncDone:
		t := "已同步 · " + st.At.In(cst).Format("15:04")
		if st.Pending > 0 {
			t += fmt.Sprintf(" · %d 条待同步", st.Pending)
		}
		return t
	case syncOffline:
		return fmt.Sprintf("离线 · %d 条待同步", st.Pending)
	case syncFailed:
		// The footer has room for the gist; settings shows the rest (Detail).
		short, _, _ := strings.Cut(st.Message, "（")
		if st.Pending > 0 {
			short += fmt.Sprintf(" · %d 条待同步", st.Pending)
		}
		return "同步失败：" + short
	case syncPurged:
		return "本设备已被县民政局停用"
	}
	if st.Pending > 0 {
		return fmt.Sprintf("%d 条待同步", st.Pending)
	}
	return ""
}

// Detail is the status in full, for settings: the whole message and when
// the next try is.
func (st syncState) Detail() string {
	t := st.Text()
	if st.Kind == syncFailed {
		t = "同步失败：" + st.Message
	}
	if (st.Kind == syncFailed || st.Kind == syncOffline) && st.Retry > 0 {
		if st.Retry < time.Minute {
			t += fmt.Sprintf("；%d 秒后自动重试", int(st.Retry.Seconds()))
		} else {
			t += fmt.Sprintf("；%d 分钟后自动重试", int(st.Retry.Minutes()))
		}
	}
	return t
}

// Progress is the running stage's fraction, or -1 when there is none to show.
func (st syncState) Progress() float64 {
	if st.Kind != syncRunning || st.Total <= 0 || st.Stage == "pull" {
		return -1
	}
	return float64(st.Done) / float64(st.Total)
}

// ended reports whether a round has just finished (or was not possible).
func (st syncState) ended() bool { return st.Kind != syncRunning && st.Kind != syncWaiting }

// syncer runs the rounds. Fields above the line may be changed before Start.
type syncer struct {
	store    *storage.Store
	show     func(syncState) // called on the UI goroutine
	Interval time.Duration
	Poll     time.Duration
	Debounce time.Duration
	Retry    time.Duration
	Options  jsync.Options     // for the client; tests make retries fast
	onRound  func(s syncState) // tests: after a round's end was shown (on the sync goroutine)
	// ----
	trigger chan struct{}
	mu      stdsync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	// the sync goroutine's own
	client    *jsync.Client
	clientKey string
	transport http.RoundTripper // the client's (nil: the default)
	lastHead  int64
	failures  int
	lastShown time.Time
}

func newSyncer(store *storage.Store, show func(syncState)) *syncer {
	return &syncer{store: store, show: show, Interval: DefaultSyncInterval, Poll: DefaultSyncPoll,
		Debounce: DefaultSyncDebounce, Retry: DefaultSyncRetry, trigger: make(chan struct{}, 1)}
}

// Start runs the sync goroutine (once); its first round starts at once.
func (y *syncer) Start() {
	y.mu.Lock()
	defer y.mu.Unlock()
	if y.done != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	y.cancel, y.done = cancel, make(chan struct{})
	go y.loop(ctx, y.done)
}

// Running reports whether the sync goroutine runs.
func (y *syncer) Running() bool {
	y.mu.Lock()
	defer y.mu.Unlock()
	return y.done != nil
}

// Stop cancels a round on its way and ends the sync goroutine, waiting up to
// a few seconds for it (the round's own transactions are atomic either way).
func (y *syncer) Stop() {
	y.mu.Lock()
	cancel, done := y.cancel, y.done
	y.cancel, y.done = nil, nil
	y.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// Kick asks a running syncer for a round now (the settings changed).
func (y *syncer) Kick() {
	select {
	case y.trigger <- struct{}{}:
	default: // one is asked for already
	}
}

// SyncNow starts the syncer if it is not running and asks for a round now.
func (y *syncer) SyncNow() {
	if !y.Running() {
		y.Start() // its first round is at once
		return
	}
	y.Kick()
}

func (y *syncer) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	poll := time.NewTicker(y.Poll)
	defer poll.Stop()
	next := time.Now()
	var soon time.Time // an edit was seen: a round at this time
	for {
		due := next
		if !soon.IsZero() && soon.Before(due) {
			due = soon
		}
		timer := time.NewTimer(time.Until(due))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-poll.C:
			timer.Stop()
			if soon.IsZero() && y.head(ctx) > y.lastHead {
				soon = time.Now().Add(y.Debounce)
			}
			continue
		case <-y.trigger:
		case <-timer.C:
		}
		timer.Stop()
		soon = time.Time{}
		wait := y.round(ctx)
		if ctx.Err() != nil || wait < 0 {
			return
		}
		next = time.Now().Add(wait)
	}
}

// head is the device_seq of this device's newest event: it grows with every
// edit and with nothing else.
func (y *syncer) head(ctx context.Context) int64 {
	acked, err1 := y.store.AckedSeq(ctx)
	pending, err2 := y.store.Pending(ctx)
	if err1 != nil || err2 != nil {
		return y.lastHead
	}
	return acked + int64(pending)
}

// syncConfig is the county address and token: the keys `jiuzhu sync` saves,
// and the address settings saved before under MetaServerURL.
func syncConfig(ctx context.Context, store *storage.Store) (server, token string) {
	server, _ = store.Meta(ctx, jsync.MetaServer)
	if server == "" {
		server, _ = store.Meta(ctx, MetaServerURL)
	}
	token, _ = store.Meta(ctx, jsync.MetaToken)
	return strings.TrimSpace(server), strings.TrimSpace(token)
}

// idleState is the state before any round: read on the UI goroutine when the
// shell opens (two small queries).
func idleState(ctx context.Context, store *storage.Store) syncState {
	st := syncState{Kind: syncWaiting}
	if server, token := syncConfig(ctx, store); server == "" || token == "" {
		st.Kind = syncUnset
	}
	st.Pending, _ = store.Pending(ctx)
	st.Last, _ = store.Meta(ctx, jsync.MetaLastResult)
	return st
}

// round runs one sync round and returns the time until the next one.
func (y *syncer) round(ctx context.Context) time.Duration {
	select {
	case <-y.trigger: // this round answers it
	default:
	}
	y.lastHead = y.head(ctx)
	server, token := syncConfig(ctx, y.store)
	if server == "" || token == "" {
		y.failures = 0
		y.end(ctx, syncState{Kind: syncUnset})
		return y.Interval
	}
	if err := jsync.CheckServerURL(server); err != nil {
		y.failures = 0
		y.end(ctx, syncState{Kind: syncFailed, Message: app.ErrorMessage(err)})
		return y.Interval
	}
	c, err := y.clientFor(ctx, server, token)
	if err != nil {
		y.failures = 0
		y.end(ctx, syncState{Kind: syncFailed, Message: app.ErrorMessage(err)})
		return y.Interval
	}
	y.progress(syncState{Kind: syncRunning, Stage: "connect"}, true)
	var res jsync.Result
	if err = y.probe(ctx, server); err == nil {
		res, err = c.Sync(ctx, func(stage string, done, total int) {
			y.progress(syncState{Kind: syncRunning, Stage: stage, Done: done, Total: total}, done == total)
		})
	}
	if res.Purged {
		// Revoked: the data is gone. The shell leaves the screens; no more rounds.
		y.end(ctx, syncState{Kind: syncPurged, Message: jsync.Message(err), At: time.Now()})
		return -1
	}
	if ctx.Err() != nil {
		return 0 // the window is closing
	}
	if err == nil {
		y.failures = 0
		y.end(ctx, syncState{Kind: syncDone, At: time.Now()})
		return y.Interval
	}
	wait := y.backoff()
	st := syncState{Kind: syncFailed, Message: jsync.Message(err), At: time.Now(), Retry: wait}
	if offline(err) {
		st.Kind = syncOffline
	}
	y.end(ctx, st)
	return wait
}

// backoff is the wait after one more failed round: Retry, doubling, at most Interval.
func (y *syncer) backoff() time.Duration {
	y.failures++
	wait := y.Retry
	for i := 1; i < y.failures && wait < y.Interval; i++ {
		wait *= 2
	}
	return min(wait, y.Interval)
}

// clientFor is the client for this address, token and county CA (meta
// MetaCAFile, as `jiuzhu sync --ca` saves it): the same client while they
// stay, so that its batch size keeps what it learnt about the link.
func (y *syncer) clientFor(ctx context.Context, server, token string) (*jsync.Client, error) {
	ca, _ := y.store.Meta(ctx, jsync.MetaCAFile)
	key := server + "\x00" + token + "\x00" + ca
	if key == y.clientKey && y.client != nil {
		return y.client, nil
	}
	o := y.Options
	if ca != "" && o.Transport == nil {
		t, err := jsync.TransportWithCA(ca)
		if err != nil {
			return nil, err
		}
		o.Transport = t
	}
	y.client, y.clientKey, y.transport = jsync.NewClient(y.store, server, token, o), key, o.Transport
	return y.client, nil
}

// probe asks the county's health endpoint once, without retries: when there
// is no network the round ends at once as 离线 instead of spending the
// client's retries on it.
func (y *syncer) probe(ctx context.Context, server string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(server, "/")+"/v1/health", nil)
	if err != nil {
		return err
	}
	hc := &http.Client{Transport: y.transport}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &jsync.Error{Status: resp.StatusCode, Code: "health",
			Message: fmt.Sprintf("县里服务器暂时不可用（%s），稍后自动重试", resp.Status)}
	}
	return nil
}

// offline reports whether err means the county could not be reached at all:
// no route, no name, nobody listening. A county that answered, a broken
// certificate or a connection cut in the middle are failures instead.
func offline(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	for _, e := range []error{syscall.ECONNREFUSED, syscall.ENETUNREACH, syscall.EHOSTUNREACH, syscall.ENETDOWN} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// progress shows a running round, at most ten times a second unless force.
func (y *syncer) progress(st syncState, force bool) {
	if !force && time.Since(y.lastShown) < 100*time.Millisecond {
		return
	}
	y.lastShown = time.Now()
	st.Pending = -1 // unchanged
	y.publish(st)
}

// end shows the end of a round with the counts as they are now.
func (y *syncer) end(ctx context.Context, st syncState) {
	ctx = context.WithoutCancel(ctx)
	st.Pending, _ = y.store.Pending(ctx)
	st.Last, _ = y.store.Meta(ctx, jsync.MetaLastResult)
	y.publish(st)
	if y.onRound != nil {
		y.onRound(st)
	}
}

func (y *syncer) publish(st syncState) {
	if y.show != nil {
		fyne.Do(func() { y.show(st) })
	}
}
