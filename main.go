// Command jiuzhu is 救助通: the desktop client, and with a sub-command the
// headless command line (see package cli).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"jiuzhu/app"
	"jiuzhu/cli"
	"jiuzhu/ui"
)

func main() {
	ctx := context.Background()
	cli.Register(&cli.Command{Name: "screenshots", Summary: "把每个界面渲染成 PNG（无需显示器）：--db 路径 --out 目录", Run: runScreenshots})
	if len(os.Args) > 1 && cli.Has(os.Args[1]) {
		if err := cli.Run(ctx, &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
			ReadPassword: cli.TerminalPassword(os.Stderr)}, os.Args[1:]); err != nil {
			os.Exit(1)
		}
		return
	}
	fs := flag.NewFlagSet("jiuzhu", flag.ExitOnError)
	db := fs.String("db", cli.DefaultDB(), "数据库文件")
	_ = fs.Parse(os.Args[1:])
	store, created, err := cli.OpenOrInitDemoDefault(ctx, *db, 300, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "无法打开数据库："+app.ErrorMessage(err))
		os.Exit(1)
	}
	defer store.Close()
	if created {
		fmt.Fprintf(os.Stderr, "已新建演示乡镇数据库 %s（演示用户密码 %s）\n", *db, cli.DemoPassword)
	}
	ui.Run(store)
}

func runScreenshots(ctx context.Context, env *cli.Env, args []string) error {
	fs := flag.NewFlagSet("screenshots", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	db := fs.String("db", cli.DefaultDB(), "数据库文件（不存在时生成演示数据）")
	out := fs.String("out", "screenshots", "输出目录")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, created, err := cli.OpenOrInitDemoDefault(ctx, *db, 300, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if store.Locked() {
		// An existing database: its data open only for a user (JIUZHU_USER, JIUZHU_PASSWORD).
		if _, err := cli.SystemActor(ctx, env, store, app.RoleClerk); err != nil {
			return err
		}
	}
	if created {
		if err := cli.DemoConflict(ctx, store); err != nil {
			return err
		}
		if err := cli.DemoLeads(ctx, store); err != nil {
			return err
		}
	}
	files, err := ui.Screenshots(store, *out)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(env.Stdout, f)
	}
	return nil
}
