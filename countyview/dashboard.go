package countyview

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"jiuzhu/app"
	jsync "jiuzhu/sync"
)

//go:embed dashboard.html
var pageFS embed.FS

var page = template.Must(template.New("dashboard.html").Funcs(template.FuncMap{
	"yuan": yuan,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "从未"
		}
		return t.In(chinaTime).Format("2006-01-02 15:04")
	},
	"stale": func(now, t time.Time) bool { return t.IsZero() || now.Sub(t) > 72*time.Hour },
	"short": func(id string) string {
		if len(id) > 8 {
			return id[len(id)-8:]
		}
		return id
	},
	"villages": func(v []string) string {
		if len(v) == 0 {
			return "全乡镇"
		}
		return strings.Join(v, "、")
	},
}).ParseFS(pageFS, "dashboard.html"))

// yuan formats money with thousands separators: 1,234,567.80.
func yuan(m app.Money) string {
	s := m.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// Options configure the dashboard.
type Options struct {
	// Token, if set, is required from every visitor (?token= once, then a
	// cookie). Without it the page answers only requests from this machine.
	Token string
	Now   func() time.Time
	Log   *slog.Logger
}

// Dashboard is the county's read-only web page.
type Dashboard struct {
	src  Source
	opt  Options
	mu   sync.Mutex
	last *Snapshot
}

// NewDashboard returns the handler for "/" and "/dashboard".
func NewDashboard(src Source, opt Options) *Dashboard {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	return &Dashboard{src: src, opt: opt}
}

const cookieName = "jz_dashboard"

func (d *Dashboard) cookieValue() string {
	sum := sha256.Sum256([]byte("jiuzhu-dashboard:" + d.opt.Token))
	return hex.EncodeToString(sum[:])
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// allow checks the token (or, without one, that the visitor is this machine).
func (d *Dashboard) allow(w http.ResponseWriter, r *http.Request) bool {
	if d.opt.Token == "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsLoopback() {
			return true
		}
		d.refuse(w, http.StatusForbidden, "县级看板只允许在服务器本机查看。如需在其他电脑上查看，请用 --dashboard-token 设置访问口令后重新启动。")
		return false
	}
	if t := r.URL.Query().Get("token"); t != "" {
		if !equal(t, d.opt.Token) {
			d.refuse(w, http.StatusUnauthorized, "访问口令不正确。")
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: d.cookieValue(), Path: "/", HttpOnly: true,
			Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: 12 * 3600})
		// Take the token out of the address bar and the history.
		q := r.URL.Query()
		q.Del("token")
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return false
	}
	if c, err := r.Cookie(cookieName); err == nil && equal(c.Value, d.cookieValue()) {
		return true
	}
	d.refuse(w, http.StatusUnauthorized, "请使用县民政局提供的带访问口令的链接（…/dashboard?token=口令）打开县级看板。")
	return false
}

func (d *Dashboard) refuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(msg + "\n"))
}

// ServeHTTP implements http.Handler.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; form-action 'none'")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		d.refuse(w, http.StatusMethodNotAllowed, "县级看板只读。")
		return
	}
	switch r.URL.Path {
	case "/", "/dashboard":
	default:
		d.refuse(w, http.StatusNotFound, "没有这个页面。")
		return
	}
	if !d.allow(w, r) {
		return
	}
	if r.URL.Path == "/" {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return
	}
	snap, err := d.Snapshot(r.Context())
	if err != nil {
		if r.Context().Err() == nil {
			d.opt.Log.Error("dashboard", "err", err)
			d.refuse(w, http.StatusInternalServerError, "县级看板暂时无法计算，请稍后刷新。")
		}
		return
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, snap); err != nil {
		d.opt.Log.Error("dashboard template", "err", err)
		d.refuse(w, http.StatusInternalServerError, "县级看板暂时无法显示。")
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// Snapshot returns the figures, folding again only when the county received
// events since the last fold or the day changed; device sync times are read
// fresh every time.
func (d *Dashboard) Snapshot(ctx context.Context) (*Snapshot, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.opt.Now()
	seq, err := d.src.LastServerSeq(ctx)
	if err != nil {
		return nil, err
	}
	if d.last == nil || d.last.Seq != seq || d.last.Today != Today(now) {
		if d.last, err = fold(ctx, d.src, now); err != nil {
			return nil, err
		}
	}
	devices, err := d.src.DeviceStates(ctx)
	if err != nil {
		return nil, err
	}
	s := d.last.withDevices(devices)
	s.Now = now
	return s, nil
}

// Store is the county database as `county serve` uses it (*sync.SQLiteStore).
type Store interface {
	jsync.ServerStore
	Source
	PullRecorder
}

// NewHandler returns the county server's handler: the sync API under /v1/
// (with pull times recorded) and the dashboard at / and /dashboard.
func NewHandler(store Store, opt Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", jsync.NewServer(TrackPulls(store, store)))
	mux.Handle("/", NewDashboard(store, opt))
	return mux
}
