package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// MetaToken is the meta key holding the device's county token.
const (
	MetaToken      = "sync_token"
	MetaServer     = "sync_server"
	MetaLastResult = "sync_last_result"
)

// Options tune a Client. Zero values take the defaults.
type Options struct {
	Timeout       time.Duration // per request (default 30s)
	Retries       int           // per request, after the first try (default 5)
	RetryWait     time.Duration // first backoff (default 500ms)
	RetryMaxWait  time.Duration // backoff cap (default 30s)
	BatchBytes    int           // first push batch, uncompressed JSON (default 48 KB); it grows on a fast link
	MaxBatchBytes int           // the most a batch grows to (default 4 MB)
	Pipeline      int           // push batches in flight at once (default 4)
	Transport     http.RoundTripper
	Logger        resty.Logger // default: silent (the result and its error say what happened)
}

type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}

// Client syncs one device database with the county.
type Client struct {
	store  *storage.Store
	http   *resty.Client
	base   string
	opts   Options
	device string
	size   int // the next push batch's size: adapts to the link
}

// NewClient returns a client for store talking to the county at base with token.
func NewClient(store *storage.Store, base, token string, o Options) *Client {
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 5
	}
	if o.RetryWait == 0 {
		o.RetryWait = 500 * time.Millisecond
	}
	if o.RetryMaxWait == 0 {
		o.RetryMaxWait = 30 * time.Second
	}
	if o.BatchBytes == 0 {
		o.BatchBytes = 48 << 10
	}
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = 4 << 20
	}
	o.MaxBatchBytes = max(o.MaxBatchBytes, o.BatchBytes)
	if o.Pipeline <= 0 {
		o.Pipeline = 4
	}
	h := resty.New().
		SetBaseURL(strings.TrimRight(base, "/")).
		SetTimeout(o.Timeout).
		SetRetryCount(o.Retries).
		SetRetryWaitTime(o.RetryWait). // resty backs off exponentially with jitter
		SetRetryMaxWaitTime(o.RetryMaxWait).
		SetAuthToken(token).
		SetHeader(HeaderDevice, store.Device().ID).
		SetHeader("User-Agent", "jiuzhu-sync/1").
		AddRetryCondition(func(r *resty.Response, err error) bool {
			if err != nil {
				return true // network: dropped, reset, timed out
			}
			c := r.StatusCode()
			return c == http.StatusTooManyRequests || c >= 500
		})
	if o.Transport != nil {
		h.SetTransport(o.Transport)
	}
	if o.Logger != nil {
		h.SetLogger(o.Logger)
	} else {
		h.SetLogger(quietLogger{})
	}
	return &Client{store: store, http: h, base: base, opts: o, device: store.Device().ID, size: o.BatchBytes}
}

// Result reports one sync round.
type Result struct {
	Purged     bool        // the county revoked this device and its data was deleted
	Pushed     int         // own events the county acknowledged this round
	Rejected   []Rejection // own events the county refused, with reasons
	Pulled     int         // events received from other devices (new here)
	Blobs      int         // attachments uploaded or downloaded
	Pending    int         // own events still not acknowledged
	Conflicts  int         // county conflicts flagged back so far
	StartedAt  time.Time
	FinishedAt time.Time
}

// Rejection is one rejected event.
type Rejection struct{ EventID, Reason string }

// Error is a request the county refused: Message is for the clerk.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("county: %d %s: %s", e.Status, e.Code, e.Message) }

func replyError(r *resty.Response) error {
	var er ErrorReply
	_ = json.Unmarshal(r.Body(), &er)
	if er.Message == "" {
		er.Message = fmt.Sprintf("县里服务器返回 %s", r.Status())
	}
	return &Error{Status: r.StatusCode(), Code: er.Code, Message: er.Message}
}

// Sync pushes the outbox (uploading attachments first), then pulls until
// caught up, then fetches missing attachments. Every step commits its own
// bookkeeping with its data, so an interrupted round loses nothing and the
// next one resumes. progress may be nil.
func (c *Client) Sync(ctx context.Context, progress func(stage string, done, total int)) (Result, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	res := Result{StartedAt: time.Now()}
	err := c.sync(ctx, progress, &res)
	res.FinishedAt = time.Now()
	var ce *Error
	if errors.As(err, &ce) && ce.Code == "revoked" {
		// A revoked device is presumed lost: remove the people's data now.
		if perr := c.store.Purge(context.WithoutCancel(ctx)); perr != nil {
			return res, fmt.Errorf("purge after revocation: %w", perr)
		}
		res.Purged = true
		_ = c.store.SetMeta(context.WithoutCancel(ctx), MetaLastResult, "本设备的同步权限已被县民政局吊销，本机数据已按规定清除")
		return res, err
	}
	res.Pending, _ = c.store.Pending(ctx)
	c.saveResult(ctx, res, err)
	return res, err
}

func (c *Client) saveResult(ctx context.Context, res Result, err error) {
	msg := fmt.Sprintf("%s 同步成功：上传 %d 条，下载 %d 条，待上传 %d 条", res.FinishedAt.Format("2006-01-02 15:04"), res.Pushed, res.Pulled, res.Pending)
	if len(res.Rejected) > 0 {
		msg += fmt.Sprintf("，县里退回 %d 条", len(res.Rejected))
	}
	if err != nil {
		msg = fmt.Sprintf("%s 同步失败：%s（待上传 %d 条，下次自动重试）", res.FinishedAt.Format("2006-01-02 15:04"), Message(err), res.Pending)
	}
	_ = c.store.SetMeta(context.WithoutCancel(ctx), MetaLastResult, msg)
}

// Message is an error as the clerk should read it.
func Message(err error) string {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Message
	}
	if errors.Is(err, context.Canceled) {
		return "已取消"
	}
	return "无法连接县里服务器（" + err.Error() + "）"
}

func (c *Client) sync(ctx context.Context, progress func(string, int, int), res *Result) error {
	if err := c.push(ctx, progress, res); err != nil {
		return err
	}
	if err := c.pull(ctx, progress, res); err != nil {
		return err
	}
	return c.fetchBlobs(ctx, progress, res)
}

// outboxWindow is how many events the client reads from the outbox at a time.
const outboxWindow = 5000

type pushOutcome struct {
	reply   *PushReply
	status  int
	err     error
	elapsed time.Duration
}

type inflight struct {
	batch  []app.Event
	behind bool // launched while earlier batches were still unanswered
	done   chan pushOutcome
}

// push sends the outbox in batches, several in flight at once (Pipeline), so
// that a slow link's latency is paid once per window rather than once per
// batch. Replies are taken in order: a batch's acknowledgement and rejections
// are recorded only after those of every batch before it. Batches grow while
// round trips come back quickly and shrink when they take long, so a fast
// link sends few large batches and a slow one small ones.
func (c *Client) push(ctx context.Context, progress func(string, int, int), res *Result) error {
	total, err := c.store.Pending(ctx)
	if err != nil {
		return err
	}
	done, gaps := 0, 0
	progress("push", 0, total)
	for rampUp := true; ; rampUp = false {
		again, err := c.pushRound(ctx, rampUp, &done, &gaps, total, progress, res)
		if err != nil || !again {
			return err
		}
	}
}

// pushRound pushes from the outbox's head until it is empty (false) or the
// county's sequence differs from ours (true: start again from the head).
func (c *Client) pushRound(ctx context.Context, rampUp bool, done, gaps *int, total int,
	progress func(string, int, int), res *Result) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	var queue []*inflight
	defer func() {
		cancel()
		for _, f := range queue {
			<-f.done
		}
	}()
	var window []app.Event
	after := int64(-1)
	for {
		for len(queue) < c.opts.Pipeline {
			if len(window) == 0 {
				var err error
				if after < 0 {
					window, err = c.store.OutboxEvents(ctx, outboxWindow)
				} else {
					window, err = c.store.OutboxEventsAfter(ctx, after, outboxWindow)
				}
				if err != nil {
					return false, err
				}
				if len(window) == 0 {
					break
				}
				after = window[len(window)-1].DeviceSeq
			}
			batch := cutBatch(window, c.size)
			window = window[len(batch):]
			if err := c.uploadBlobs(ctx, batch, res); err != nil {
				return false, err
			}
			f := &inflight{batch: batch, behind: len(queue) > 0, done: make(chan pushOutcome, 1)}
			go func() {
				start := time.Now()
				reply, status, err := c.pushBatch(ctx, f.batch, f.behind)
				f.done <- pushOutcome{reply, status, err, time.Since(start)}
			}()
			queue = append(queue, f)
			if rampUp {
				c.size = min(2*c.size, c.opts.MaxBatchBytes)
			}
		}
		if len(queue) == 0 {
			return false, nil
		}
		f := queue[0]
		o := <-f.done
		queue = queue[1:]
		if o.err != nil {
			return false, o.err
		}
		if o.status == http.StatusConflict {
			if f.behind {
				// A batch before it reached the county late (lost and resent):
				// those are acknowledged by now; resend from the outbox's head.
				return true, nil
			}
			// The county has fewer (restored from a backup) or more (our ack
			// was lost) of our events than we thought: continue from its count.
			if *gaps++; *gaps > 3 {
				return false, &Error{Status: o.status, Code: "gap", Message: "与县里的事件序号反复对不上，请联系县民政局"}
			}
			if err := c.store.RecordAcks(ctx, o.reply.LastSeq, nil); err != nil {
				return false, err
			}
			return true, nil
		}
		rejected := map[string]string{}
		for _, r := range o.reply.Results {
			if r.Status == StatusRejected {
				rejected[r.EventID] = r.Reason
				res.Rejected = append(res.Rejected, Rejection{r.EventID, r.Reason})
			}
		}
		if err := c.store.RecordAcks(ctx, o.reply.AckedThrough, rejected); err != nil {
			return false, err
		}
		*done += len(f.batch)
		res.Pushed += len(f.batch)
		progress("push", min(*done, total), total)
		// Adapt the batch size to the link: a quarter of the request timeout
		// is the time a batch may take.
		switch target := c.opts.Timeout / 4; {
		case o.elapsed < target:
			c.size = min(2*c.size, c.opts.MaxBatchBytes)
		case o.elapsed > 2*target:
			c.size = max(c.size/2, min(c.opts.BatchBytes, 8<<10))
		}
	}
}

// cutBatch takes events from the front up to about max bytes of JSON (at
// least one, at most MaxBatchEvents).
func cutBatch(events []app.Event, max int) []app.Event {
	size := 0
	for i := range events {
		size += len(events[i].Payload) + 420 // the envelope around the payload
		if size > max && i > 0 || i == MaxBatchEvents {
			return events[:i]
		}
	}
	return events
}

func (c *Client) pushBatch(ctx context.Context, batch []app.Event, behind bool) (*PushReply, int, error) {
	body, err := EncodeGzipJSON(PushRequest{SchemaV: app.SchemaVersion, DeviceID: c.device,
		Batch: CompactBatch(c.store.Device().TownshipCode, batch)})
	if err != nil {
		return nil, 0, err
	}
	var reply PushReply
	req := c.http.R().SetContext(ctx).
		SetHeader("Content-Type", "application/json").
		SetHeader("Content-Encoding", "gzip").
		SetBody(body)
	if behind {
		req.SetHeader(HeaderWait, strconv.FormatInt(min(c.opts.Timeout/3, MaxWait).Milliseconds(), 10))
	}
	r, err := req.Post("/v1/push")
	if err != nil {
		return nil, 0, err
	}
	switch r.StatusCode() {
	case http.StatusOK, http.StatusConflict:
		if err := json.Unmarshal(r.Body(), &reply); err != nil {
			return nil, 0, fmt.Errorf("push reply: %w", err)
		}
		if r.StatusCode() == http.StatusOK && reply.AckedThrough < batch[len(batch)-1].DeviceSeq {
			return nil, 0, fmt.Errorf("push reply: acknowledged through %d for a batch through %d", reply.AckedThrough, batch[len(batch)-1].DeviceSeq)
		}
		return &reply, r.StatusCode(), nil
	}
	return nil, r.StatusCode(), replyError(r)
}

func (c *Client) pull(ctx context.Context, progress func(string, int, int), res *Result) error {
	for {
		cur, err := c.store.Meta(ctx, storage.MetaSyncCursor)
		if err != nil {
			return err
		}
		since, _ := strconv.ParseInt(cur, 10, 64)
		var reply PullReply
		r, err := c.http.R().SetContext(ctx).SetQueryParam("since", strconv.FormatInt(since, 10)).
			SetQueryParam("limit", strconv.Itoa(DefaultPullLimit)).Get("/v1/pull")
		if err != nil {
			return err
		}
		if r.StatusCode() != http.StatusOK {
			return replyError(r)
		}
		if err := json.Unmarshal(r.Body(), &reply); err != nil {
			return fmt.Errorf("pull reply: %w", err)
		}
		events := make([]app.Event, len(reply.Events))
		rejected := map[string]string{}
		for i, pe := range reply.Events {
			events[i] = pe.Event
			if pe.Status == StatusRejected {
				rejected[pe.Event.ID] = pe.Reason
			}
		}
		if reply.Next < since {
			return fmt.Errorf("pull reply: cursor went back from %d to %d", since, reply.Next)
		}
		n, err := c.store.ApplyPulled(ctx, events, rejected, reply.Next)
		if err != nil {
			return err
		}
		res.Pulled += n
		progress("pull", res.Pulled, res.Pulled)
		if !reply.More {
			return nil
		}
	}
}

// uploadBlobs sends the attachments named by a batch before the batch itself,
// resuming each from the offset the county already has.
func (c *Client) uploadBlobs(ctx context.Context, batch []app.Event, res *Result) error {
	for i := range batch {
		if batch[i].Type != app.EventAttachmentAdded {
			continue
		}
		var p app.AttachmentAdded
		if json.Unmarshal(batch[i].Payload, &p) != nil {
			continue
		}
		data, err := c.store.Blob(ctx, p.SHA256)
		if err != nil {
			return fmt.Errorf("attachment %s: %w", p.SHA256, err)
		}
		if err := c.uploadBlob(ctx, p.SHA256, data); err != nil {
			return err
		}
		res.Blobs++
	}
	return nil
}

func (c *Client) uploadBlob(ctx context.Context, sha string, data []byte) error {
	r, err := c.http.R().SetContext(ctx).Head("/v1/blobs/" + sha)
	if err != nil {
		return err
	}
	if r.StatusCode() != http.StatusOK {
		return replyError(r)
	}
	if r.Header().Get("X-Blob-Complete") == "true" {
		return nil
	}
	offset, _ := strconv.ParseInt(r.Header().Get("X-Blob-Offset"), 10, 64)
	for tries := 0; offset < int64(len(data)); {
		end := min(offset+BlobChunk, int64(len(data)))
		r, err := c.http.R().SetContext(ctx).SetHeader("Content-Type", "application/octet-stream").
			SetQueryParam("offset", strconv.FormatInt(offset, 10)).
			SetQueryParam("size", strconv.Itoa(len(data))).
			SetBody(data[offset:end]).Put("/v1/blobs/" + sha)
		if err != nil {
			return err
		}
		switch r.StatusCode() {
		case http.StatusOK:
			// Trust the county's count, not ours: a chunk cut short on the way
			// is resent from where the county's bytes end.
			got, err := strconv.ParseInt(r.Header().Get("X-Blob-Offset"), 10, 64)
			if err != nil || got > end {
				return fmt.Errorf("attachment %s: bad offset in reply", sha)
			}
			if got < end {
				if tries++; tries > 5 {
					return &Error{Status: r.StatusCode(), Code: "short", Message: "附件上传反复中断，请稍后再试"}
				}
			}
			offset = got
		case http.StatusConflict, http.StatusUnprocessableEntity:
			// Another attempt got there first (a duplicated request), or the
			// county discarded a corrupted upload: continue from its offset.
			if tries++; tries > 5 {
				return replyError(r)
			}
			offset, _ = strconv.ParseInt(r.Header().Get("X-Blob-Offset"), 10, 64)
		default:
			return replyError(r)
		}
	}
	return nil
}

// fetchBlobs downloads attachments named by pulled events that are not here yet.
func (c *Client) fetchBlobs(ctx context.Context, progress func(string, int, int), res *Result) error {
	missing, err := c.store.MissingBlobs(ctx)
	if err != nil {
		return err
	}
	for i, sha := range missing {
		progress("blobs", i, len(missing))
		r, err := c.http.R().SetContext(ctx).Get("/v1/blobs/" + sha)
		if err != nil {
			return err
		}
		if r.StatusCode() == http.StatusNotFound {
			continue // not uploaded yet by its author: next round
		}
		if r.StatusCode() != http.StatusOK {
			return replyError(r)
		}
		sum := sha256.Sum256(r.Body())
		if hex.EncodeToString(sum[:]) != sha {
			continue // damaged on the way: next round
		}
		if err := c.store.PutBlob(ctx, sha, r.Body()); err != nil {
			return err
		}
		res.Blobs++
	}
	if len(missing) > 0 {
		progress("blobs", len(missing), len(missing))
	}
	return nil
}
