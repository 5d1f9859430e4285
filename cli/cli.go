// Package cli is the headless command line of the jiuzhu binary: every job
// that needs no screen (init, demo, cases, idcard, rebuild, check, and the
// sync and spreadsheet commands). It never imports Fyne, so it is tested
// without a display and without cgo.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"jiuzhu/app"
	"jiuzhu/demo"
	"jiuzhu/storage"
)

// Command is one sub-command.
type Command struct {
	Name    string
	Summary string
	Run     func(ctx context.Context, env *Env, args []string) error
}

// Env carries the process's streams and environment, so tests run commands in-process.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// ReadPassword asks for a password without echo; nil when stdin is not a
	// terminal (scripts, tests): then passwords come only from the environment.
	ReadPassword func(prompt string) (string, error)
}

var commands = map[string]*Command{}

// Register adds a sub-command (packages beside storage, like sync and
// spreadsheets, register theirs from their own files in this package).
func Register(c *Command) { commands[c.Name] = c }

// Has reports whether name is a sub-command.
func Has(name string) bool { _, ok := commands[name]; return ok }

// Run runs the sub-command args[0]. Errors meant for the clerk are printed in
// Chinese; the returned error only decides the exit code.
func Run(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "未知命令“%s”。\n", args[0])
		usage(env.Stderr)
		return errors.New("unknown command")
	}
	if err := c.Run(ctx, env, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		fmt.Fprintf(env.Stderr, "错误：%s\n", redact(userMessage(err)))
		return err
	}
	return nil
}

// userMessage shows domain errors as they are and wraps other errors so that
// the clerk reads Chinese first and the engineer still gets the detail.
func userMessage(err error) string {
	if app.ErrorCode(err) != app.EINTERNAL {
		return app.ErrorMessage(err)
	}
	return "操作失败（" + err.Error() + "）"
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "救助通 jiuzhu：乡镇社会救助业务系统\n\n用法：jiuzhu [命令] [参数]；不带命令时打开窗口。\n\n命令：")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
}

func newFlags(name string, env *Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// DefaultDB is where the window and commands look when --db is not given.
func DefaultDB() string {
	if p := os.Getenv("JIUZHU_DB"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "jiuzhu.db"
	}
	return dir + "/jiuzhu/jiuzhu.db"
}

// openUnlocked opens a database for a command that reads personal data
// without signing anything: on a device with users, the data are sealed until
// JIUZHU_USER signs in with JIUZHU_PASSWORD.
func openUnlocked(ctx context.Context, env *Env, path string) (*storage.Store, error) {
	s, err := openStore(ctx, path)
	if err != nil {
		return nil, err
	}
	if s.Locked() {
		if err := authorize(ctx, env, s); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func openStore(ctx context.Context, path string) (*storage.Store, error) {
	s, err := storage.Open(ctx, path)
	if errors.Is(err, storage.ErrNotInitialised) || errors.Is(err, os.ErrNotExist) {
		return nil, app.Errorf(app.ENOTFOUND, "数据库 %s 尚未初始化，请先运行 jiuzhu init", path)
	}
	return s, err
}

func init() {
	Register(&Command{Name: "init", Summary: "新建本机数据库：--db 路径 --township 乡镇代码 --name 乡镇名称 --device 设备名 [--user 第一个用户 --role clerk|approver|liaison，密码取自 JIUZHU_PASSWORD] [--recovery-pub 县级恢复公钥文件]", Run: runInit})
	Register(&Command{Name: "demo", Summary: "生成演示数据：--db 路径 --households 户数", Run: runDemo})
	Register(&Command{Name: "cases", Summary: "列出案件：--db 路径 --json（每行一个 JSON 对象）", Run: runCases})
	Register(&Command{Name: "idcard", Summary: "校验身份证号：jiuzhu idcard 号码...", Run: runIDCard})
	Register(&Command{Name: "rebuild", Summary: "由事件日志重建全部数据：--db 路径", Run: runRebuild})
	Register(&Command{Name: "check", Summary: "完整性检查（数据库、哈希链、日志与数据一致性）：--db 路径", Run: runCheck})
}

// InitDevice creates a database with the county's default rules and calendar.
func InitDevice(ctx context.Context, path string, d storage.Device) (*storage.Store, error) {
	s, err := storage.Init(ctx, path, d)
	if err != nil {
		return nil, err
	}
	seed := app.Actor{UserID: "county-defaults", Name: "县民政局（默认参数）", Role: app.RoleCounty}
	for _, rs := range app.DefaultRuleBook().Sets {
		if err := s.PublishRules(ctx, seed, rs); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.PublishCalendar(ctx, seed, app.ChinaCalendar2025to2027().Entries()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func runInit(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("init", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	township := fs.String("township", "", "乡镇统计代码（9位）")
	name := fs.String("name", "", "乡镇名称")
	device := fs.String("device", "", "设备名称")
	user := fs.String("user", "", "第一个用户的姓名（密码取自环境变量 JIUZHU_PASSWORD，终端上未设置时提示输入）")
	role := fs.String("role", "clerk", "第一个用户的角色：clerk（经办）、approver（审批）、liaison（村协理员）")
	recoveryPub := fs.String("recovery-pub", "", "县级恢复公钥文件（可选，也可以以后用 jiuzhu recovery-key 设置）")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var recovery string
	if *recoveryPub != "" {
		var err error
		if recovery, err = readKeyFile("县级恢复公钥", *recoveryPub); err != nil {
			return err
		}
	}
	if *name == "" || *device == "" {
		return app.Errorf(app.EINVALID, "请用 --name 填写乡镇名称，用 --device 填写设备名称")
	}
	var first storage.User
	var pw string
	if *user != "" {
		r, err := parseRole(*role)
		if err != nil {
			return err
		}
		first = storage.User{Name: strings.TrimSpace(*user), Role: r}
		if first.Name == "" || utf8.RuneCountInString(first.Name) > 30 {
			return app.FieldErrorf("姓名", "请用 --user 填写姓名（30字以内）")
		}
		if _, err := os.Stat(*db); err == nil {
			return app.Errorf(app.ECONFLICT, "数据库文件 %s 已存在，不能重复初始化", *db)
		}
		if pw, err = newPassword(env, EnvPassword, first.Name); err != nil {
			return err
		}
	}
	s, err := InitDevice(ctx, *db, storage.Device{Name: *device, TownshipCode: *township, TownshipName: *name})
	if err != nil {
		return err
	}
	defer s.Close()
	if first.Name != "" {
		if first, err = s.CreateUser(ctx, first, pw); err != nil {
			s.Close()
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(*db + suffix)
			}
			return err
		}
	}
	if recovery != "" {
		if err := s.SetRecoveryKey(ctx, recovery); err != nil {
			s.Close()
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(*db + suffix)
			}
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "已初始化：%s（%s），设备“%s”，数据库 %s\n", *name, *township, *device, *db)
	if first.Name != "" {
		fmt.Fprintf(env.Stdout, "已建立用户“%s”（%s）。\n", first.Name, first.Role.Label())
	}
	return nil
}

func runDemo(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("demo", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	n := fs.Int("households", 300, "户数")
	seed := fs.Uint64("seed", 2024, "随机种子")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || *n > 1_000_000 {
		return app.FieldErrorf("户数", "请填写 1 到 1000000 之间的户数")
	}
	_, statErr := os.Stat(*db)
	fresh := errors.Is(statErr, os.ErrNotExist)
	s, err := openOrInitDemo(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	if fresh {
		// The demo users come first: their passwords wrap the data key, so the
		// demo data are never on disk under a key kept in the clear.
		if err := CreateDemoUsers(ctx, s); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "已建立演示用户：王协理（村协理员）、李经办（经办）、张审批（审批），密码均为 %s。\n", DemoPassword)
	} else if err := authorize(ctx, env, s); err != nil {
		return err
	}
	if err := demo.Populate(ctx, s, *seed, *n, func(done, total int) {
		fmt.Fprintf(env.Stderr, "\r生成演示数据 %d/%d", done, total)
	}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "\n已生成 %d 户演示数据。\n", *n)
	return nil
}

// openOrInitDemo opens db, initialising a demo township when it does not exist yet.
func openOrInitDemo(ctx context.Context, db string) (*storage.Store, error) {
	if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
		return InitDevice(ctx, db, storage.Device{Name: "演示设备", TownshipCode: "341122101", TownshipName: "演示镇"})
	}
	return openStore(ctx, db)
}

// caseJSON is one line of `jiuzhu cases --json`.
type caseJSON struct {
	CaseID      string  `json:"case_id"`
	Program     string  `json:"program"`
	State       string  `json:"state"`
	HeadName    string  `json:"head_name"`
	Village     string  `json:"village"`
	VillageCode string  `json:"village_code"`
	Persons     int     `json:"persons"`
	Amount      float64 `json:"monthly_amount"`
	NextStep    string  `json:"next_step,omitempty"`
	NextDue     string  `json:"next_deadline,omitempty"`
}

func runCases(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("cases", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	asJSON := fs.Bool("json", false, "每行输出一个 JSON 对象")
	program := fs.String("program", "", "项目：dibao、tekun、temporary")
	state := fs.String("state", "", "状态")
	query := fs.String("q", "", "姓名或身份证号片段")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openUnlocked(ctx, env, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	enc := json.NewEncoder(env.Stdout)
	enc.SetEscapeHTML(false)
	for offset := 0; ; offset += 5000 {
		rows, err := s.Cases(ctx, storage.CaseFilter{Query: *query, Program: app.Program(*program), State: app.State(*state),
			Sort: "applied", Limit: 5000, Offset: offset})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if *asJSON {
				if err := enc.Encode(caseJSON{r.CaseID, string(r.Program), string(r.State), r.HeadName, r.VillageName,
					r.VillageCode, r.Persons, r.Amount.Yuan(), string(r.NextStep), r.NextDue}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(env.Stdout, "%s  %-4s  %-8s  %-6s  %-8s  %d人  %10s元  %s %s\n", r.CaseID[:8], r.Program.Label(),
					r.State.Label(), r.HeadName, r.VillageName, r.Persons, r.Amount, r.NextStep.Label(), r.NextDue)
			}
		}
		if len(rows) < 5000 {
			return nil
		}
	}
}

// idJSON is one line of `jiuzhu idcard`.
type idJSON struct {
	Input      string `json:"input"`
	Valid      bool   `json:"valid"`
	Normalised string `json:"normalised,omitempty"`
	Birth      string `json:"birth,omitempty"`
	Sex        string `json:"sex,omitempty"`
	Upgraded   bool   `json:"upgraded_from_15,omitempty"`
	Error      string `json:"error,omitempty"`
}

func runIDCard(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return app.Errorf(app.EINVALID, "请在命令后给出要校验的身份证号")
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetEscapeHTML(false)
	invalid := 0
	for _, a := range args {
		out := idJSON{Input: a}
		if info, err := app.ParseID(a); err != nil {
			out.Error = app.ErrorMessage(err)
			invalid++
		} else {
			out.Valid, out.Normalised, out.Birth, out.Sex, out.Upgraded = true, info.Number, info.Birth.String(), info.Sex.Label(), info.Upgraded
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if invalid > 0 {
		return ErrSilent
	}
	return nil
}

// ErrSilent makes the exit code non-zero without printing anything more.
var ErrSilent = errors.New("")

func runRebuild(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("rebuild", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openUnlocked(ctx, env, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	before, err := s.ProjectionHash(ctx)
	if err != nil {
		return err
	}
	if err := s.Rebuild(ctx, func(done, total int) { fmt.Fprintf(env.Stderr, "\r重建 %d/%d 户", done, total) }); err != nil {
		return err
	}
	after, err := s.ProjectionHash(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\n重建完成。重建前后数据%s（%s）。\n", map[bool]string{true: "一致", false: "不一致，已按日志修正"}[before == after], after[:16])
	return nil
}

func runCheck(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("check", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openUnlocked(ctx, env, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.Check(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "数据库完整性：%s\n事件数：%d\n", r.Integrity, r.Events)
	if len(r.ChainBreaks) == 0 {
		fmt.Fprintln(env.Stdout, "哈希链：完好")
	} else {
		fmt.Fprintf(env.Stdout, "哈希链：发现 %d 处断裂\n  %s\n", len(r.ChainBreaks), strings.Join(r.ChainBreaks, "\n  "))
	}
	if r.ProjectionHash == r.RebuiltHash {
		fmt.Fprintln(env.Stdout, "日志与数据：一致")
	} else {
		fmt.Fprintln(env.Stdout, "日志与数据：不一致，请运行 jiuzhu rebuild")
	}
	if !r.OK() {
		return app.Errorf(app.ECONFLICT, "检查未通过")
	}
	fmt.Fprintln(env.Stdout, "检查通过。")
	return nil
}
