package sync

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	stdsync "sync"
	"time"

	"jiuzhu/app"
)

// HeaderDevice carries the device database id on every request.
const HeaderDevice = "X-Jiuzhu-Device"

type server struct {
	store ServerStore
	log   *slog.Logger

	mu     stdsync.Mutex
	pushed chan struct{} // closed (and replaced) whenever a push commits
}

// HeaderWait asks the county to hold a push that does not yet continue the
// device's sequence for up to this many milliseconds, waiting for the batches
// before it (sent at the same time on a slow link) to arrive, instead of
// answering 409 at once. A client sends it only for a batch whose
// predecessors are still in flight.
const HeaderWait = "X-Jiuzhu-Wait-Ms"

// MaxWait caps HeaderWait.
const MaxWait = 15 * time.Second

func (s *server) pushedChan() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushed
}

func (s *server) notePush() {
	s.mu.Lock()
	close(s.pushed)
	s.pushed = make(chan struct{})
	s.mu.Unlock()
}

// ServerOption configures NewServer.
type ServerOption func(*server)

// WithLogger sets the logger of the server's refusals and errors (default slog.Default()).
func WithLogger(l *slog.Logger) ServerOption {
	return func(s *server) {
		if l != nil {
			s.log = l
		}
	}
}

// NewServer returns the county's HTTP handler. Every request it refuses is
// answered with an ErrorReply and logged as one "rejected" line (see LogRejected).
func NewServer(store ServerStore, opts ...ServerOption) http.Handler {
	s := &server{store: store, log: slog.Default(), pushed: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", s.health)
	// The limits are the largest body each route reads; the others read none.
	mux.HandleFunc("POST /v1/push", s.auth(MaxBodyBytes, s.push))
	mux.HandleFunc("GET /v1/pull", s.auth(0, s.pull))
	mux.HandleFunc("HEAD /v1/blobs/{sha}", s.auth(0, s.blobHead))
	mux.HandleFunc("PUT /v1/blobs/{sha}", s.auth(MaxChunkBytes, s.blobPut))
	mux.HandleFunc("GET /v1/blobs/{sha}", s.auth(0, s.blobGet))
	return &routes{mux: mux, s: s}
}

// routes answers requests no route matches with a JSON error that is logged
// like every other refusal, instead of the mux's plain-text 404 and 405.
type routes struct {
	mux *http.ServeMux
	s   *server
}

func (rt *routes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := rt.mux.Handler(r)
	if pattern != "" {
		rt.mux.ServeHTTP(w, r)
		return
	}
	// Let the mux decide between 404 and 405 (and set Allow), keep only its status.
	st := &statusOnly{header: http.Header{}}
	h.ServeHTTP(st, r)
	switch st.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", st.header.Get("Allow"))
		rt.s.reject(w, r, nil, httpErr(http.StatusMethodNotAllowed, "method", "该接口不支持 %s 请求", r.Method))
	case http.StatusNotFound:
		rt.s.reject(w, r, nil, httpErr(http.StatusNotFound, "no_route", "没有这个接口，请升级救助通"))
	default: // a redirect to the cleaned path
		h.ServeHTTP(w, r)
	}
}

// statusOnly records the status a handler answers and discards its body.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header { return s.header }
func (s *statusOnly) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}
func (s *statusOnly) Write(b []byte) (int, error) {
	s.WriteHeader(http.StatusOK)
	return len(b), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeErr(w http.ResponseWriter, e *HTTPError) {
	writeJSON(w, e.Status, ErrorReply{Code: e.Code, Message: e.Message, LastSeq: e.LastSeq})
}

// reject answers a refused request and logs it: the code, never the message
// (some messages quote what the device sent). dev is nil before the token
// is known; the line names the device bound to the token, and the one the
// request claims when that differs.
func (s *server) reject(w http.ResponseWriter, r *http.Request, dev *Device, e *HTTPError) {
	var bound string
	if dev != nil {
		bound = dev.DeviceID
	}
	LogRejected(s.log, r, e.Code, e.Status, bound, claimedDevice(r, bound)...)
	writeErr(w, e)
}

// tooLarge is the refusal of a body over a route's limit.
func tooLarge(limit int64) *HTTPError {
	switch {
	case limit == 0:
		return httpErr(http.StatusRequestEntityTooLarge, "too_large", "该接口不接受请求内容")
	case limit >= 1<<20:
		return httpErr(http.StatusRequestEntityTooLarge, "too_large", "请求超过 %d MB 上限", limit>>20)
	}
	return httpErr(http.StatusRequestEntityTooLarge, "too_large", "请求超过 %d KB 上限", limit>>10)
}

func (s *server) internal(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the device went away; nothing to answer
	}
	s.log.Error("sync", "path", r.URL.Path, "err", err)
	writeErr(w, httpErr(http.StatusInternalServerError, "internal", "县里服务器出错，请稍后再试"))
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "schema_v": app.SchemaVersion})
}

type ctxKey struct{}

// auth finds the device by its bearer token, refuses unknown (401) and
// revoked (403) devices, and binds the device database id at first use.
// It then caps the body at maxBody bytes: a larger declared length is refused
// at once, a longer body fails when the handler reads past the cap.
func (s *server) auth(maxBody int64, next func(http.ResponseWriter, *http.Request, *Device)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			s.reject(w, r, nil, httpErr(http.StatusUnauthorized, "no_token", "缺少设备令牌，请先在县里登记本设备"))
			return
		}
		dev, err := s.store.DeviceByToken(r.Context(), HashToken(token))
		if errors.Is(err, ErrUnknownDevice) {
			s.reject(w, r, nil, httpErr(http.StatusUnauthorized, "unknown_device", "设备令牌无效，请向县民政局核对"))
			return
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if dev.Revoked {
			s.reject(w, r, dev, httpErr(http.StatusForbidden, "revoked", "本设备的同步权限已被县民政局吊销"))
			return
		}
		id := r.Header.Get(HeaderDevice)
		if id == "" || len(id) > 64 {
			s.reject(w, r, dev, httpErr(http.StatusBadRequest, "no_device", "缺少设备编号"))
			return
		}
		if dev.DeviceID == "" {
			if err := s.store.BindDevice(r.Context(), dev.Name, id); err != nil {
				// Two first requests at once (pipelined pushes): the other one
				// may have bound this same device a moment ago.
				again, err2 := s.store.DeviceByToken(r.Context(), HashToken(token))
				if err2 != nil || again.DeviceID != id || again.Revoked {
					s.reject(w, r, dev, httpErr(http.StatusForbidden, "bind", "%s", app.ErrorMessage(err)))
					return
				}
			}
			dev.DeviceID = id
		}
		if dev.DeviceID != id {
			s.reject(w, r, dev, httpErr(http.StatusForbidden, "other_device", "该令牌属于另一台设备（%s），不能在本机使用", dev.Name))
			return
		}
		if r.ContentLength > maxBody {
			s.reject(w, r, dev, tooLarge(maxBody))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next(w, r, dev)
	}
}

func (s *server) push(w http.ResponseWriter, r *http.Request, dev *Device) {
	enc := r.Header.Get("Content-Encoding")
	if enc != "" && enc != "gzip" && enc != "identity" {
		s.reject(w, r, dev, httpErr(http.StatusUnsupportedMediaType, "encoding", "不支持的压缩方式 %s", enc))
		return
	}
	req, err := DecodePush(r.Body, enc == "gzip")
	var he *HTTPError
	if errors.As(err, &he) {
		s.reject(w, r, dev, he)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if req.DeviceID != dev.DeviceID {
		s.reject(w, r, dev, httpErr(http.StatusForbidden, "other_device", "请求中的设备编号与令牌不符"))
		return
	}
	for i := range req.Events {
		if t := req.Events[i].TownshipCode; t != dev.Township {
			s.reject(w, r, dev, httpErr(http.StatusForbidden, "other_township", "本设备属于乡镇 %s，不能上传乡镇 %q 的数据", dev.Township, t))
			return
		}
	}
	var wait time.Duration
	if ms, err := strconv.Atoi(r.Header.Get(HeaderWait)); err == nil && ms > 0 {
		wait = min(time.Duration(ms)*time.Millisecond, MaxWait)
	}
	deadline := time.Now().Add(wait)
	var reply *PushReply
	var gap *GapError
	for {
		pushed := s.pushedChan()
		reply, err = s.store.Push(r.Context(), dev, req.Events)
		if !errors.As(err, &gap) || !time.Now().Before(deadline) {
			break
		}
		// An earlier batch of this device may still be on its way: wait for
		// the next commit (or poll, in case another process committed it).
		t := time.NewTimer(min(time.Until(deadline), 100*time.Millisecond))
		select {
		case <-pushed:
		case <-t.C:
		case <-r.Context().Done():
		}
		t.Stop()
		if r.Context().Err() != nil {
			return
		}
	}
	if err == nil {
		s.notePush()
		if req.Compact {
			// Only what was not simply accepted: the client knows the rest.
			kept := reply.Results[:0]
			for _, res := range reply.Results {
				if res.Status != StatusAccepted {
					kept = append(kept, res)
				}
			}
			reply.Results = kept
		}
	}
	switch {
	case errors.As(err, &gap):
		// Not an ErrorReply: the client reads the PushReply to resend from there.
		LogRejected(s.log, r, "gap", http.StatusConflict, dev.DeviceID)
		writeJSON(w, http.StatusConflict, PushReply{LastSeq: gap.LastSeq})
	case errors.Is(err, ErrUnknownDevice):
		s.reject(w, r, dev, httpErr(http.StatusForbidden, "revoked", "本设备的同步权限已被吊销"))
	case errors.Is(err, ErrDuplicateID):
		s.reject(w, r, dev, httpErr(http.StatusBadRequest, "duplicate_id", "事件编号与县里已有的另一条事件重复（%v）", err))
	case err != nil:
		s.internal(w, r, err)
	default:
		s.logRefusedEvents(r, dev, reply)
		writeJSON(w, http.StatusOK, reply)
	}
}

// logRefusedEvents logs a push whose events the county stored as rejected
// (rules, hash chain, permissions): one line per push, with the number of
// such events and the first few event ids; never their reasons, which may
// quote the events' content.
func (s *server) logRefusedEvents(r *http.Request, dev *Device, reply *PushReply) {
	var ids []string
	n := 0
	for _, res := range reply.Results {
		if res.Status == StatusRejected {
			if n++; len(ids) < 10 {
				ids = append(ids, res.EventID)
			}
		}
	}
	if n > 0 {
		LogRejected(s.log, r, "event_rejected", http.StatusOK, dev.DeviceID,
			slog.Int("events", n), slog.String("event_ids", safeEventIDs(ids)))
	}
}

func (s *server) pull(w http.ResponseWriter, r *http.Request, dev *Device) {
	q := r.URL.Query()
	since, err := strconv.ParseInt(q.Get("since"), 10, 64)
	if err != nil || since < 0 {
		s.reject(w, r, dev, httpErr(http.StatusBadRequest, "bad_since", "参数 since 无效"))
		return
	}
	limit := DefaultPullLimit
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit <= 0 {
			s.reject(w, r, dev, httpErr(http.StatusBadRequest, "bad_limit", "参数 limit 无效"))
			return
		}
	}
	limit = min(limit, MaxPullLimit)
	reply, err := s.store.Pull(r.Context(), dev, since, limit)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, reply)
}

var shaRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (s *server) blobSHA(w http.ResponseWriter, r *http.Request, dev *Device) (string, bool) {
	sha := r.PathValue("sha")
	if !shaRe.MatchString(sha) {
		s.reject(w, r, dev, httpErr(http.StatusBadRequest, "bad_sha", "附件编号应为 64 位小写十六进制 SHA-256"))
		return "", false
	}
	return sha, true
}

func (s *server) blobHead(w http.ResponseWriter, r *http.Request, dev *Device) {
	sha, ok := s.blobSHA(w, r, dev)
	if !ok {
		return
	}
	received, size, complete, err := s.store.BlobStatus(r.Context(), sha)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("X-Blob-Offset", strconv.FormatInt(received, 10))
	w.Header().Set("X-Blob-Size", strconv.FormatInt(size, 10))
	w.Header().Set("X-Blob-Complete", strconv.FormatBool(complete))
	w.WriteHeader(http.StatusOK)
}

// MaxBlobSize caps one attachment at the county (the device caps at storage.MaxAttachment).
const MaxBlobSize = 64 << 20

// MaxChunkBytes caps the body of one attachment upload request.
const MaxChunkBytes = 4 * BlobChunk

func (s *server) blobPut(w http.ResponseWriter, r *http.Request, dev *Device) {
	sha, ok := s.blobSHA(w, r, dev)
	if !ok {
		return
	}
	offset, err1 := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	size, err2 := strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
	if err1 != nil || err2 != nil || offset < 0 || size <= 0 || size > MaxBlobSize {
		s.reject(w, r, dev, httpErr(http.StatusBadRequest, "bad_offset", "参数 offset/size 无效（单个附件最大 %d MB）", MaxBlobSize>>20))
		return
	}
	data, err := io.ReadAll(r.Body) // capped at MaxChunkBytes by auth
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.reject(w, r, dev, tooLarge(MaxChunkBytes))
		return
	}
	if err != nil {
		s.reject(w, r, dev, httpErr(http.StatusBadRequest, "chunk", "附件分块不完整（%v）", err))
		return
	}
	if cl := r.ContentLength; cl >= 0 && cl != int64(len(data)) {
		s.reject(w, r, dev, httpErr(http.StatusBadRequest, "truncated", "附件分块不完整"))
		return
	}
	received, complete, err := s.store.PutBlobChunk(r.Context(), sha, offset, size, data)
	w.Header().Set("X-Blob-Offset", strconv.FormatInt(received, 10))
	var oe *OffsetError
	switch {
	case errors.As(err, &oe):
		w.Header().Set("X-Blob-Offset", strconv.FormatInt(oe.Received, 10))
		s.reject(w, r, dev, &HTTPError{Status: http.StatusConflict, Code: "offset", Message: "附件续传位置不符", LastSeq: oe.Received})
	case errors.Is(err, ErrBlobHash):
		s.reject(w, r, dev, httpErr(http.StatusUnprocessableEntity, "hash", "附件内容与其 SHA-256 不符，已丢弃，请重新上传"))
	case err != nil:
		s.reject(w, r, dev, httpErr(http.StatusBadRequest, "blob", "附件上传失败（%v）", err))
	default:
		w.Header().Set("X-Blob-Complete", strconv.FormatBool(complete))
		writeJSON(w, http.StatusOK, map[string]any{"received": received, "complete": complete})
	}
}

func (s *server) blobGet(w http.ResponseWriter, r *http.Request, dev *Device) {
	sha, ok := s.blobSHA(w, r, dev)
	if !ok {
		return
	}
	data, err := s.store.Blob(r.Context(), dev, sha)
	if errors.Is(err, ErrNotFound) {
		s.reject(w, r, dev, httpErr(http.StatusNotFound, "not_found", "县里没有本设备可以查看的这个附件"))
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(data)
}
