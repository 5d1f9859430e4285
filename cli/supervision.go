package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// Supervision commands: the one-household archive, problem leads and the
// funds worklist.

func init() {
	Register(&Command{Name: "archive", Summary: "导出一户一档（zip）：--db 路径 --household 家庭编号 --out 文件.zip", Run: runArchive})
	Register(&Command{Name: "leads", Summary: "列出问题线索：--db 路径 [--overdue 仅超期] [--json]", Run: runLeads})
	Register(&Command{Name: "anomalies", Summary: "资金发放异常清单：--db 路径 [--month 2024-05] [--json]", Run: runAnomalies})
}

func runArchive(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("archive", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	household := fs.String("household", "", "家庭编号")
	out := fs.String("out", "", "输出的 zip 文件")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *household == "" || *out == "" {
		return app.Errorf(app.EINVALID, "请用 --household 指定家庭编号，用 --out 指定输出文件")
	}
	s, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := authorize(ctx, env, s); err != nil {
		return err
	}
	if _, err := s.Household(ctx, *household); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".archive-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := s.ExportArchiveZip(ctx, *household, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "已导出一户一档：%s\n", *out)
	return nil
}

// leadJSON is one line of `jiuzhu leads --json`. It never has the complainant.
type leadJSON struct {
	ID          string  `json:"id"`
	Source      string  `json:"source"`
	ReceivedOn  string  `json:"received_on"`
	Subject     string  `json:"subject"`
	Mode        string  `json:"mode,omitempty"`
	Assignee    string  `json:"assignee,omitempty"`
	State       string  `json:"state"`
	Deadline    string  `json:"deadline"`
	Overdue     bool    `json:"overdue"`
	Result      string  `json:"result,omitempty"`
	Recovered   float64 `json:"recovered"`
	ClosedOn    string  `json:"closed_on,omitempty"`
	Content     string  `json:"content"`
	HouseholdID string  `json:"household_id,omitempty"`
}

func runLeads(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("leads", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	overdue := fs.Bool("overdue", false, "只列出超期未办结的线索")
	asJSON := fs.Bool("json", false, "每行输出一个 JSON 对象")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openUnlocked(ctx, env, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	today := s.Today()
	var rows []storage.LeadRow
	if *overdue {
		rows, err = s.OverdueLeads(ctx, today)
	} else {
		rows, err = s.Leads(ctx, storage.LeadFilter{Today: today, Limit: 1 << 30})
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetEscapeHTML(false)
	for _, r := range rows {
		if *asJSON {
			if err := enc.Encode(leadJSON{r.ID, string(r.Source), r.ReceivedOn, r.SubjectName, string(r.Mode), r.Assignee,
				string(r.State), r.Deadline, r.Overdue, string(r.Result), r.Recovered.Yuan(), r.ClosedOn, r.Content,
				r.SubjectHousehold}); err != nil {
				return err
			}
			continue
		}
		mark := ""
		if r.Overdue {
			mark = "【超期】"
		}
		fmt.Fprintf(env.Stdout, "%s  %s  %-8s  %-6s  %-8s  %-6s  期限 %s%s  %s\n", short8(r.ID), r.ReceivedOn, r.Source.Label(),
			r.SubjectName, r.Mode.Label(), r.State.Label(), r.Deadline, mark, r.Content)
	}
	if !*asJSON {
		fmt.Fprintf(env.Stderr, "共 %d 条。\n", len(rows))
	}
	return nil
}

func runAnomalies(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("anomalies", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	month := fs.String("month", "", "发放月份（如 2024-05），不填为全部")
	asJSON := fs.Bool("json", false, "每行输出一个 JSON 对象")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openUnlocked(ctx, env, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	list, err := s.FundAnomalies(ctx, *month)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetEscapeHTML(false)
	for _, a := range list {
		if *asJSON {
			if err := enc.Encode(a); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(env.Stdout, "%-12s  %s  %-6s  %s\n", app.AnomalyLabel(a.Kind), a.Month, a.Name, a.Detail)
	}
	if !*asJSON {
		fmt.Fprintf(env.Stderr, "共 %d 条异常。\n", len(list))
	}
	return nil
}

func short8(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
