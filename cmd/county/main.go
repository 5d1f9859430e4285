// Command county is the county server that township and village devices sync
// with, and its administration (enrolling and revoking devices).
//
//	county serve  --addr 127.0.0.1:8080 --db county.db
//	county enroll --db county.db --township 341122101 [--village 341122101201 ...] --device NAME
//	county revoke --db county.db --device NAME
package main

import (
	"context"
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
	case "help", "-h", "--help":
		m.usage()
		return nil
	}
	m.usage()
	return fmt.Errorf("未知命令“%s”", args[0])
}

func (m *Main) usage() {
	fmt.Fprint(m.Stderr, `county：县级同步服务器

  county serve  --addr 127.0.0.1:8080 --db county.db
  county enroll --db county.db --township 乡镇代码 [--village 村代码 ...] --device 设备名   （打印令牌，只显示一次）
  county revoke --db county.db --device 设备名
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
	if err := fs.Parse(args); err != nil {
		return err
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
	srv := &http.Server{
		Handler:           jsync.NewServer(store),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // slow township links
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(slog.NewTextHandler(m.Stderr, nil), slog.LevelWarn),
	}
	fmt.Fprintf(m.Stdout, "县级同步服务器已启动：http://%s（数据库 %s）\n", ln.Addr(), *db)
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
