package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"jiuzhu/app"
)

func TestPublishExportAndDashboardFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	db := filepath.Join(dir, "county.db")
	run := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := (&Main{Stdout: &out, Stderr: &errb}).Run(ctx, args)
		return out.String() + errb.String(), err
	}
	if out, err := run("publish", "--db", db, "--defaults"); err != nil || !strings.Contains(out, "2024-01、2025-07、2026-07") {
		t.Fatalf("publish defaults: %v %s", err, out)
	}
	if out, err := run("publish", "--db", db, "--defaults"); err != nil || !strings.Contains(out, "没有新的内容") {
		t.Fatalf("publish defaults again: %v %s", err, out)
	}
	rs := app.DefaultRuleBook().Sets[2].Clone()
	rs.Version, rs.EffectiveFrom = "2027-01", app.Date{Year: 2027, Month: 1, Day: 1}
	data, _ := json.Marshal(rs)
	rules := filepath.Join(dir, "rules.json")
	os.WriteFile(rules, data, 0o644)
	if out, err := run("publish", "--db", db, "--rules", rules); err != nil || !strings.Contains(out, "2027-01") {
		t.Fatalf("publish rules: %v %s", err, out)
	}
	os.WriteFile(rules, []byte(`{"version": "2027-02", "effective_from": "2027-02-01"}`), 0o644)
	if _, err := run("publish", "--db", db, "--rules", rules); err == nil {
		t.Error("published an invalid rule set")
	}
	if _, err := run("publish", "--db", db); err == nil {
		t.Error("publish with nothing to publish")
	}

	xlsx := filepath.Join(dir, "ledger.xlsx")
	if out, err := run("export", "ledger", "--db", db, "--month", "2025-03", "--out", xlsx); err != nil {
		t.Fatalf("export: %v %s", err, out)
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	if sheets := f.GetSheetList(); len(sheets) != 7 || sheets[0] != "低保" || sheets[6] != "问题线索" {
		t.Errorf("sheets: %v", sheets)
	}
	f.Close()
	if _, err := run("export", "ledger", "--db", db, "--month", "2025-13", "--out", xlsx); err == nil {
		t.Error("exported a bad month")
	}

	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		var out bytes.Buffer
		done <- (&Main{Stdout: &out, Stderr: &out, Ready: ready}).Run(ctx,
			[]string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--dashboard-token", "tok"})
	}()
	addr := <-ready
	// The token is taken once, set as a cookie, and taken out of the address.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for url, want := range map[string]int{"/dashboard": 401, "/dashboard?token=tok": 303, "/dashboard?token=bad": 401, "/v1/health": 200} {
		resp, err := noRedirect.Get("http://" + addr + url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", url, resp.StatusCode, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
