package cli

import (
	"context"
	"fmt"
	"time"

	"jiuzhu/app"
	jsync "jiuzhu/sync"
)

func init() {
	Register(&Command{Name: "sync", Summary: "与县里同步：--db 路径 --server 地址 --token 令牌（令牌首次使用后保存在本机）", Run: runSync})
}

func runSync(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("sync", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	server := fs.String("server", "", "县级服务器地址，如 https://county.example.cn（首次使用后保存；http 只允许本机地址）")
	caFile := fs.String("ca", "", "县级自建CA证书文件（PEM，首次使用后保存）")
	token := fs.String("token", "", "县民政局发放的设备令牌（首次使用后保存）")
	timeout := fs.Duration("timeout", 30*time.Second, "单次请求超时")
	quiet := fs.Bool("quiet", false, "不显示进度")
	batchKB := fs.Int("batch-kb", 48, "每批上传的数据量（KB）")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := authorize(ctx, env, s); err != nil {
		return err
	}
	if *token == "" {
		if *token, err = s.Meta(ctx, jsync.MetaToken); err != nil {
			return err
		}
	}
	if *server == "" {
		if *server, err = s.Meta(ctx, jsync.MetaServer); err != nil {
			return err
		}
	}
	if *caFile == "" {
		if *caFile, err = s.Meta(ctx, jsync.MetaCAFile); err != nil {
			return err
		}
	}
	if *token == "" || *server == "" {
		return app.Errorf(app.EINVALID, "首次同步请用 --server 填写县里服务器地址，用 --token 填写设备令牌")
	}
	if err := jsync.CheckServerURL(*server); err != nil {
		return err
	}
	opts := jsync.Options{Timeout: *timeout, BatchBytes: *batchKB << 10}
	if *caFile != "" {
		if opts.Transport, err = jsync.TransportWithCA(*caFile); err != nil {
			return err
		}
		if err := s.SetMeta(ctx, jsync.MetaCAFile, *caFile); err != nil {
			return err
		}
	}
	if err := s.SetMeta(ctx, jsync.MetaToken, *token); err != nil {
		return err
	}
	if err := s.SetMeta(ctx, jsync.MetaServer, *server); err != nil {
		return err
	}
	c := jsync.NewClient(s, *server, *token, opts)
	progress := func(stage string, done, total int) {
		if !*quiet {
			fmt.Fprintf(env.Stderr, "\r%s %d/%d   ", map[string]string{"push": "上传", "pull": "下载", "blobs": "附件"}[stage], done, total)
		}
	}
	res, err := c.Sync(ctx, progress)
	if !*quiet {
		fmt.Fprintln(env.Stderr)
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(env.Stdout, "县里退回事件 %s：%s\n", r.EventID, r.Reason)
	}
	last, _ := s.Meta(context.WithoutCancel(ctx), jsync.MetaLastResult)
	if err != nil {
		return app.Errorf(app.EUNAVAILABLE, "%s", last)
	}
	fmt.Fprintln(env.Stdout, last)
	if cs, _ := s.CountyConflicts(ctx); len(cs) > 0 {
		fmt.Fprintf(env.Stdout, "县级核对发现 %d 条需要处理的重复身份证号记录。\n", len(cs))
	}
	return nil
}
