// Command county is the county server that township and village devices sync
// with, and its administration (enrolling and revoking devices).
//
//	county serve  --addr 127.0.0.1:8080 --db county.db
//	county enroll --db county.db --township 341122101 [--village 341122101201 ...] --device NAME
//	county revoke --db county.db --device NAME
//	county publish --db county.db (--defaults | --rules FILE.json | --calendar FILE.json)
//	county export ledger --db county.db --month YYYY-MM --out F.xlsx
//	county keygen --out DIR
//
// serve also answers the read-only county dashboard at /dashboard: only to
// this machine, unless --dashboard-token is set (then to whoever has it).
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"jiuzhu/app"
	"jiuzhu/countyview"
	jsync "jiuzhu/sync"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(m.Stderr, "错误：%s\n", app.ErrorMessage(err))
		}
		os.Exit(1)
	}
}

// Main is the program, as a value so that tests run it in-process.
type Main struct {
	Stdout, Stderr io.Writer
	// Ready, if set, receives the listening address once serve accepts connections.
	Ready chan<- string
}

// NewMain returns a Main writing to the process's streams.
func NewMain() *Main { return &Main{Stdout: os.Stdout, Stderr: os.Stderr} }

// Run runs one sub-command until it finishes or ctx is cancelled.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		m.usage()
		return flag.ErrHelp
	}
	switch args[0] {
	case "serve":
		return m.serve(ctx, args[1:])
	case "enroll":
		return m.enroll(ctx, args[1:])
	case "revoke":
		return m.revoke(ctx, args[1:])
	case "publish":
		return m.publish(ctx, args[1:])
	case "export":
		return m.export(ctx, args[1:])
	case "keygen":
		return m.keygen(ctx, args[1:])
	case "help", "-h", "--help":
		m.usage()
		return nil
	}
	m.usage()
	return fmt.Errorf("未知命令“%s”", args[0])
}

func (m *Main) usage() {
	fmt.Fprint(m.Stderr, `county：县级同步服务器

  county serve  --addr 127.0.0.1:8080 --db county.db [--dashboard-token 口令]   （看板：/dashboard）
  county enroll --db county.db --township 乡镇代码 [--village 村代码 ...] --device 设备名   （打印令牌，只显示一次）
  county revoke --db county.db --device 设备名
  county publish --db county.db --defaults | --rules 规则.json | --calendar 日历.json
  county export ledger --db county.db --month 2025-03 --out 台账.xlsx
  county keygen --out 目录   （生成县级恢复密钥：recovery.pub 发给各设备，recovery.key 离线保管）
`)
}

type multi []string

func (v *multi) String() string     { return strings.Join(*v, ",") }
func (v *multi) Set(s string) error { *v = append(*v, s); return nil }

func (m *Main) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	return fs
}

func (m *Main) serve(ctx context.Context, args []string) error {
	fs := m.flags("serve")
	addr := fs.String("addr", "127.0.0.1:8080", "监听地址")
	db := fs.String("db", "county.db", "数据库文件")
	token := fs.String("dashboard-token", "", "县级看板访问口令；不设则看板只允许本机访问")
	certFile := fs.String("tls-cert", "", "TLS 证书文件（PEM）；非本机地址必须启用")
	keyFile := fs.String("tls-key", "", "TLS 私钥文件（PEM）")
	rate := fs.Float64("rate", 50, "每个客户端每秒平均请求数上限")
	if err := fs.Parse(args); err != nil {
		return err
	}
	useTLS := *certFile != "" || *keyFile != ""
	if useTLS && (*certFile == "" || *keyFile == "") {
		return app.Errorf(app.EINVALID, "启用 TLS 须同时指定 --tls-cert 和 --tls-key")
	}
	if err := jsync.ListenAddressAllowed(*addr, useTLS); err != nil {
		return err
	}
	var cert tls.Certificate
	if useTLS {
		var err error
		if cert, err = tls.LoadX509KeyPair(*certFile, *keyFile); err != nil {
			return app.Errorf(app.EINVALID, "读取 TLS 证书或私钥失败：%v", err)
		}
	}
	store, err := jsync.OpenSQLite(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(m.Stderr, nil))
	scheme := "http"
	if useTLS {
		scheme = "https"
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	srv := &http.Server{
		Handler:           jsync.RateLimit(handler(store, *token, logger), *rate, int(*rate*3), logger),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // slow township links
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(m.Stdout, "县级同步服务器已启动：%s://%s（数据库 %s）\n", scheme, ln.Addr(), *db)
	if m.Ready != nil {
		m.Ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(shut)
	}
}

func (m *Main) enroll(ctx context.Context, args []string) error {
	fs := m.flags("enroll")
	db := fs.String("db", "county.db", "数据库文件")
	township := fs.String("township", "", "乡镇统计代码（9位）")
	device := fs.String("device", "", "设备名称")
	var villages multi
	fs.Var(&villages, "village", "村（社区）代码（12位），可重复；不填则为乡镇设备")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := jsync.OpenSQLite(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	token, err := store.Enroll(ctx, *device, *township, villages)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "已登记设备“%s”（乡镇 %s%s）。令牌只显示这一次，请抄送设备管理员：\n", *device, *township,
		map[bool]string{true: "，村 " + villages.String(), false: ""}[len(villages) > 0])
	fmt.Fprintln(m.Stdout, token)
	return nil
}

func (m *Main) revoke(ctx context.Context, args []string) error {
	fs := m.flags("revoke")
	db := fs.String("db", "county.db", "数据库文件")
	device := fs.String("device", "", "设备名称")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := jsync.OpenSQLite(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Revoke(ctx, *device); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "已吊销设备“%s”的同步权限。\n", *device)
	return nil
}

func (m *Main) publish(ctx context.Context, args []string) error {
	fs := m.flags("publish")
	db := fs.String("db", "county.db", "数据库文件")
	defaults := fs.Bool("defaults", false, "发布系统内置的救助政策参数和 2025-2027 年节假日安排")
	rules := fs.String("rules", "", "救助政策参数文件（JSON：一组参数、参数数组或 {\"sets\": [...]}）")
	calendar := fs.String("calendar", "", "节假日日历文件（JSON：条目数组或 {\"entries\": [...]}）")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*defaults && *rules == "" && *calendar == "" {
		return app.Errorf(app.EINVALID, "请用 --defaults、--rules 或 --calendar 指定要发布的内容")
	}
	store, err := jsync.OpenSQLite(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	var res countyview.PublishResult
	if *defaults {
		if err := countyview.PublishDefaults(ctx, store, &res); err != nil {
			return err
		}
	}
	if *rules != "" {
		data, err := os.ReadFile(*rules)
		if err != nil {
			return err
		}
		sets, err := countyview.ParseRules(data)
		if err != nil {
			return err
		}
		if err := countyview.PublishRules(ctx, store, sets, &res); err != nil {
			return err
		}
	}
	if *calendar != "" {
		data, err := os.ReadFile(*calendar)
		if err != nil {
			return err
		}
		entries, err := countyview.ParseCalendar(data)
		if err != nil {
			return err
		}
		if err := countyview.PublishCalendar(ctx, store, entries, &res); err != nil {
			return err
		}
	}
	if len(res.Published) > 0 {
		fmt.Fprintf(m.Stdout, "已发布救助政策参数：%s\n", strings.Join(res.Published, "、"))
	}
	if len(res.Skipped) > 0 {
		fmt.Fprintf(m.Stdout, "已发布过、内容相同，未重复发布：%s\n", strings.Join(res.Skipped, "、"))
	}
	if res.Entries > 0 {
		fmt.Fprintf(m.Stdout, "已发布节假日日历 %d 条\n", res.Entries)
	}
	if len(res.Published) == 0 && res.Entries == 0 {
		fmt.Fprintln(m.Stdout, "没有新的内容需要发布")
	} else {
		fmt.Fprintln(m.Stdout, "各设备下次同步时将收到。")
	}
	return nil
}

func (m *Main) export(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "ledger" {
		return app.Errorf(app.EINVALID, "用法：county export ledger --db county.db --month 2025-03 --out 台账.xlsx")
	}
	fs := m.flags("export ledger")
	db := fs.String("db", "county.db", "数据库文件")
	month := fs.String("month", "", "月份（YYYY-MM）")
	out := fs.String("out", "", "输出文件（.xlsx）")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *month == "" || *out == "" {
		return app.Errorf(app.EINVALID, "请用 --month 指定月份、--out 指定输出文件")
	}
	store, err := jsync.OpenSQLite(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	tmp := *out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	cl, err := countyview.ExportLedger(ctx, store, *month, time.Now(), f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, *out); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "已导出 %s 全县工作台账（%d 个乡镇）：%s\n", cl.Month, len(cl.Townships), *out)
	return nil
}

// handler is countyview.NewHandler with the server's logger passed on: the
// sync API under /v1/ (pull times recorded) and the dashboard at / and
// /dashboard, each logging every request it refuses.
func handler(store *jsync.SQLiteStore, token string, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", jsync.NewServer(countyview.TrackPulls(store, store), jsync.WithLogger(log)))
	mux.Handle("/", logRefusals(countyview.NewDashboard(store, countyview.Options{Token: token, Log: log}), log))
	return mux
}

// logRefusals logs the dashboard's refusals (it answers them in plain text
// itself) as "rejected" lines like the sync API's; never the token, which
// comes in the query string and is not logged.
func logRefusals(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if code := dashboardCode(r, sw.status); code != "" {
			jsync.LogRejected(log, r, code, sw.status, "")
		}
	})
}

// dashboardCode names a dashboard refusal by its status ("" if it is none).
func dashboardCode(r *http.Request, status int) string {
	switch status {
	case http.StatusUnauthorized:
		if r.URL.Query().Has("token") {
			return "dashboard_bad_token"
		}
		return "dashboard_no_token"
	case http.StatusForbidden:
		return "dashboard_not_local" // no token set: only this machine may look
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method"
	}
	return ""
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
