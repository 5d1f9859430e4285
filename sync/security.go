package sync

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	stdsync "sync"
	"time"

	"jiuzhu/app"
)

// MetaCAFile is the meta key of the county CA certificate file a device trusts.
const MetaCAFile = "sync_ca_file"

// IsLoopback reports whether host (a name or an IP, without port) is this machine.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckServerURL refuses addresses the device must not send personal data
// to: anything but https, except plain http to this machine (tests, a county
// server on the same PC).
func CheckServerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return app.FieldErrorf("服务器地址", "服务器地址无效，应形如 https://county.example.cn")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return app.FieldErrorf("服务器地址", "与县级服务器通信必须使用 https（http 只允许本机地址）")
	}
	return app.FieldErrorf("服务器地址", "服务器地址应以 https:// 开头")
}

// TransportWithCA returns a transport that trusts the county's own CA (a PEM
// file) in addition to the system roots: counties often run a private CA.
func TransportWithCA(pemFile string) (http.RoundTripper, error) {
	pem, err := os.ReadFile(pemFile)
	if err != nil {
		return nil, app.Errorf(app.EINVALID, "读取县级CA证书文件失败：%s", pemFile)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, app.Errorf(app.EINVALID, "县级CA证书文件 %s 中没有有效的证书（应为 PEM 格式）", pemFile)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}

// RateLimit wraps a handler with a per-client token bucket: rate requests per
// second on average, bursts up to burst. A refused request gets 429 with
// Retry-After (the client's retry honours it) and one "rejected" log line
// (LogRejected; a nil log is slog.Default()).
func RateLimit(next http.Handler, rate float64, burst int, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	l := &limiter{rate: rate, burst: float64(burst), buckets: map[string]*bucket{}, now: time.Now}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wait, ok := l.take(clientHost(r)); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			LogRejected(log, r, "rate_limited", http.StatusTooManyRequests, "", claimedDevice(r, "")...)
			writeErr(w, httpErr(http.StatusTooManyRequests, "rate_limited", "请求过于频繁，请稍后再试"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func clientHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// maxLoggedPath caps the path in a log line (an unknown route's path is
// whatever the client sent).
const maxLoggedPath = 160

// LogRejected writes the one log line of a request the county refused:
// "rejected" with the machine code, the HTTP status, the path (never the
// query), the client's address and, when it is a UUID, the id of the device
// the token belongs to; then attrs, which must be as safe. Never a token, a
// body, the Chinese message (some quote what the device sent) or anything
// personal. Conflicts a client resolves by itself (409: resend from the
// county's position) are Info, the rest Warn.
func LogRejected(log *slog.Logger, r *http.Request, code string, status int, deviceID string, attrs ...slog.Attr) {
	level := slog.LevelWarn
	if status == http.StatusConflict {
		level = slog.LevelInfo
	}
	path := r.URL.Path
	if len(path) > maxLoggedPath {
		path = strings.ToValidUTF8(path[:maxLoggedPath], "") + "..."
	}
	all := append(make([]slog.Attr, 0, 5+len(attrs)),
		slog.String("code", code), slog.Int("status", status), slog.String("path", path),
		slog.String("client", clientHost(r)))
	if uuidRe.MatchString(deviceID) {
		all = append(all, slog.String("device", deviceID))
	}
	log.LogAttrs(r.Context(), level, "rejected", append(all, attrs...)...)
}

// claimedDevice is the device id a request claims (HeaderDevice), as a log
// attribute when it is a UUID and not the one bound to the token: unverified,
// so apart from "device".
func claimedDevice(r *http.Request, bound string) []slog.Attr {
	if id := r.Header.Get(HeaderDevice); id != bound && uuidRe.MatchString(id) {
		return []slog.Attr{slog.String("claimed_device", id)}
	}
	return nil
}

// safeEventIDs keeps the ids that are UUIDs (as every device makes them):
// an event id is whatever the device sent.
func safeEventIDs(ids []string) string {
	kept := ids[:0:0]
	for _, id := range ids {
		if uuidRe.MatchString(id) {
			kept = append(kept, id)
		}
	}
	return strings.Join(kept, ",")
}

type bucket struct {
	tokens float64
	last   time.Time
}

type limiter struct {
	mu          stdsync.Mutex
	rate, burst float64
	buckets     map[string]*bucket
	now         func() time.Time
}

func (l *limiter) take(key string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) > 10000 { // forget idle clients rather than grow without bound
			for k, old := range l.buckets {
				if now.Sub(old.last) > time.Minute {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}

// ListenAddressAllowed refuses to serve plain HTTP on an address other
// machines can reach: the requests carry ID numbers and incomes.
func ListenAddressAllowed(addr string, tls bool) error {
	if tls {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if !IsLoopback(host) {
		return app.Errorf(app.EINVALID, "在非本机地址 %s 上提供服务必须启用 TLS：请用 --tls-cert 和 --tls-key 指定证书", addr)
	}
	return nil
}
