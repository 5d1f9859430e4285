package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"jiuzhu/app"
	"jiuzhu/sheets"
	"jiuzhu/storage"
)

func init() {
	Register(&Command{Name: "import", Summary: "导入旧台账：jiuzhu import roster --db 路径 [--password 密码] 文件.xlsx", Run: runImport})
	Register(&Command{Name: "crosscheck", Summary: "信息比对：--db 路径 --source disability|medical|education|housing|other 文件.xlsx --out 核查清单.xlsx", Run: runCrossCheck})
	Register(&Command{Name: "export", Summary: "导出表格：export notice --village 代码 | payments --month 2025-03 | ledger --month 2025-03，--db 路径 --out 文件.xlsx", Run: runExport})
	Register(&Command{Name: "worklist", Summary: "核查事项：worklist list | worklist close --id 编号 --result included|exited|confirmed_ok|other [--note 说明]，--db 路径", Run: runWorklist})
}

func progressTo(env *Env, label string) sheets.Progress {
	return func(done, total int) {
		if total > 0 {
			fmt.Fprintf(env.Stderr, "\r%s %d/%d", label, done, total)
		} else {
			fmt.Fprintf(env.Stderr, "\r%s %d", label, done)
		}
	}
}

func runImport(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "roster" {
		return app.Errorf(app.EINVALID, "用法：jiuzhu import roster --db 路径 文件.xlsx")
	}
	fs := newFlags("import roster", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	password := fs.String("password", "", "工作簿的打开密码（如有）")
	asJSON := fs.Bool("json", false, "以 JSON 输出导入结果")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return app.Errorf(app.EINVALID, "请给出一个要导入的台账文件（.xlsx）")
	}
	s, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	actor, err := SystemActor(ctx, env, s, app.RoleLiaison)
	if err != nil {
		return err
	}
	rep, err := sheets.ImportRoster(ctx, s, fs.Arg(0), sheets.RosterOptions{Password: *password,
		Actor: actor, Progress: progressTo(env, "导入")})
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stderr)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	fmt.Fprintf(env.Stdout, "读取 %d 行：新登记 %d 户 %d 人，建立案件 %d 件；已登记未变动 %d 户；未导入 %d 行。\n",
		rep.Rows, rep.Households, rep.Persons, rep.Cases, rep.Existing, len(rep.Problems))
	for _, v := range rep.NewVillages {
		fmt.Fprintf(env.Stdout, "新村(社区)：%s，暂编代码 %s（请核对统计代码）\n", v.Name, v.Code)
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(env.Stdout, "未导入 "+p.String())
	}
	for _, p := range rep.Warnings {
		fmt.Fprintln(env.Stdout, "提示 "+p.String())
	}
	return nil
}

// splitArgs lets the file name come before or after the flags.
func splitArgs(args []string, boolFlags map[string]bool) (flags, files []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && !boolFlags[name] && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		files = append(files, a)
	}
	return flags, files
}

func runCrossCheck(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("crosscheck", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	source := fs.String("source", "", "比对来源：disability、medical、education、housing、other")
	out := fs.String("out", "", "核查清单输出文件（.xlsx）")
	password := fs.String("password", "", "工作簿的打开密码（如有）")
	flags, files := splitArgs(args, nil)
	if err := fs.Parse(flags); err != nil {
		return err
	}
	files = append(files, fs.Args()...)
	if len(files) != 1 || *out == "" {
		return app.Errorf(app.EINVALID, "用法：jiuzhu crosscheck --db 路径 --source 来源 部门名单.xlsx --out 核查清单.xlsx")
	}
	s, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	actor, err := SystemActor(ctx, env, s, app.RoleClerk)
	if err != nil {
		return err
	}
	var rep *sheets.CrossCheckReport
	err = writeFile(*out, func(f *os.File) error {
		var err error
		rep, err = sheets.CrossCheck(ctx, s, *source, files[0], f, sheets.CrossCheckOptions{Password: *password,
			Actor: actor, Progress: progressTo(env, "比对")})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stderr)
	fmt.Fprintf(env.Stdout, "比对 %d 行，匹配本乡镇登记人员 %d 人（姓名不一致 %d 人）；疑似漏保 %d 人，疑似错保 %d 人，新增核查事项 %d 项。核查清单：%s\n",
		rep.Rows, rep.Matched, rep.NameDiffs, rep.Missed, rep.Wrong, rep.Added, *out)
	for _, p := range rep.Problems {
		fmt.Fprintln(env.Stdout, "未比对 "+p.String())
	}
	return nil
}

// writeFile writes to a temporary file beside path and renames it into place,
// so a failed export never leaves half a workbook under the real name.
func writeFile(path string, fn func(f *os.File) error) error {
	if !strings.EqualFold(filepath.Ext(path), ".xlsx") {
		return app.FieldErrorf("输出文件", "输出文件应以 .xlsx 结尾")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jiuzhu-*.xlsx")
	if err != nil {
		return app.Errorf(app.EUNAVAILABLE, "无法在 %s 写入文件：%v", filepath.Dir(path), err)
	}
	defer os.Remove(tmp.Name())
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return app.Errorf(app.EUNAVAILABLE, "无法保存 %s（文件是否正在Excel中打开？）：%v", path, err)
	}
	return nil
}

func runExport(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return app.Errorf(app.EINVALID, "用法：jiuzhu export notice|payments|ledger --db 路径 --out 文件.xlsx")
	}
	kind := args[0]
	fs := newFlags("export "+kind, env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	out := fs.String("out", "", "输出文件（.xlsx）")
	village := fs.String("village", "", "村(社区)代码（12位，notice）")
	month := fs.String("month", "", "月份 YYYY-MM（payments、ledger）")
	masked := fs.Bool("masked-id", false, "公示表加一列隐去中间位的身份证号（notice）")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *out == "" {
		return app.FieldErrorf("输出文件", "请用 --out 指定输出文件（.xlsx）")
	}
	s, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	actor, err := SystemActor(ctx, env, s, app.RoleClerk)
	if err != nil {
		return err
	}
	var msg string
	err = writeFile(*out, func(f *os.File) error {
		switch kind {
		case "notice":
			rep, err := sheets.ExportNotice(ctx, s, *village, f, sheets.NoticeOptions{MaskedID: *masked})
			if err != nil {
				return err
			}
			msg = fmt.Sprintf("公示表：%d 户 %d 人，金额合计 %s 元。%s", rep.Rows, rep.Persons, rep.Total, strings.Join(rep.Notes, "；"))
		case "payments":
			rep, err := sheets.ExportPayments(ctx, s, *month, f, progressTo(env, "导出"))
			if err != nil {
				return err
			}
			msg = fmt.Sprintf("\n发放花名册：%d 户 %d 人，合计 %s 元。", rep.Rows, rep.Persons, rep.Total)
		case "ledger":
			l, err := sheets.ExportLedger(ctx, s, *month, f, sheets.LedgerOptions{Actor: actor,
				Progress: progressTo(env, "统计")})
			if err != nil {
				return err
			}
			state := "本月尚未结束，未锁定"
			if l.Frozen {
				state = "已锁定（" + l.FrozenAt + "）"
			}
			msg = fmt.Sprintf("\n%s 工作台账：%d 个村(社区)，低保 %d 户，特困 %d 人，%s。", l.Month, len(l.Villages),
				l.Total.DibaoUrbanHouseholds+l.Total.DibaoRuralHouseholds, l.Total.TekunPersons, state)
		default:
			return app.Errorf(app.EINVALID, "未知的导出类型“%s”，应为 notice、payments 或 ledger", kind)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s\n已保存：%s\n", strings.TrimSpace(msg), *out)
	return nil
}

func runWorklist(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "close") {
		return app.Errorf(app.EINVALID, "用法：jiuzhu worklist list|close --db 路径")
	}
	fs := newFlags("worklist "+args[0], env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	id := fs.String("id", "", "核查事项编号")
	result := fs.String("result", "", "核查结果：included、exited、confirmed_ok、other")
	note := fs.String("note", "", "核查情况说明")
	date := fs.String("date", "", "核查日期（默认今天）")
	status := fs.String("status", "open", "list：open、closed、merged 或空（全部，不含已并入的）")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	s, err := openUnlocked(ctx, env, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	if args[0] == "close" {
		var on app.Date
		if *date != "" {
			if on, err = app.ParseDate(*date); err != nil {
				return err
			}
		}
		actor, err := SystemActor(ctx, env, s, app.RoleClerk)
		if err != nil {
			return err
		}
		if err := s.CloseWorklistItem(ctx, actor, *id, *result, *note, on); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "已办结：%s（%s）\n", *id, storage.ResultLabel(*result))
		return nil
	}
	items, err := s.WorklistItems(ctx, storage.WorklistFilter{Status: *status})
	if err != nil {
		return err
	}
	for _, it := range items {
		fmt.Fprintf(env.Stdout, "%s  %s  %s  %s  %s  %s  %s%s\n", it.ID, app.WorklistKind(it.Kind).Label(),
			sheets.SourceLabel(it.Source), it.Name, app.MaskID(it.IDNumber), it.VillageName, it.Reason, worklistOutcome(it))
	}
	return nil
}

// worklistOutcome is what a listed item's visit came to, with every other
// result recorded for it (two devices closed it before syncing).
func worklistOutcome(it storage.WorklistItem) string {
	var parts []string
	switch it.Status {
	case storage.WorklistStatusClosed:
		parts = append(parts, fmt.Sprintf("已办结：%s（%s %s）", storage.ResultLabel(it.Result), it.ClosedOn, it.ClosedBy))
	case storage.WorklistStatusMerged:
		parts = append(parts, "已并入核查事项 "+it.MergedInto)
	}
	for _, c := range it.OtherCloses {
		parts = append(parts, fmt.Sprintf("另有核查结果：%s（%s %s）%s", c.Result.Label(), c.Date, c.By, c.Note))
	}
	if len(parts) == 0 {
		return ""
	}
	return "  " + strings.Join(parts, "；")
}
