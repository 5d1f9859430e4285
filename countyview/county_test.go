package countyview_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jiuzhu/app"
	"jiuzhu/cli"
	"jiuzhu/countyview"
	"jiuzhu/demo"
	"jiuzhu/sheets"
	"jiuzhu/storage"
	jsync "jiuzhu/sync"
)

var (
	clerk    = app.Actor{UserID: "t-clerk", Name: "李经办", Role: app.RoleClerk}
	approver = app.Actor{UserID: "t-approver", Name: "张审批", Role: app.RoleApprover}
)

// fixture is a county server with two townships' devices synced to it.
type fixture struct {
	store   *jsync.SQLiteStore
	srv     *httptest.Server
	devices map[string]*storage.Store // by township code
	clients map[string]*jsync.Client
	now     time.Time
}

var townships = []struct {
	code, name string
	households int
	seed       uint64
}{{"341122101", "城关镇", 60, 11}, {"341122102", "临湖镇", 25, 12}}

func newFixture(t *testing.T, opt countyview.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := jsync.OpenSQLite(ctx, filepath.Join(t.TempDir(), "county.db"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: st, devices: map[string]*storage.Store{}, clients: map[string]*jsync.Client{}, now: time.Now()}
	if opt.Now == nil {
		opt.Now = func() time.Time { return f.now }
	}
	f.srv = httptest.NewServer(countyview.NewHandler(st, opt))
	t.Cleanup(func() { f.srv.Close(); st.Close() })
	for _, tw := range townships {
		s, err := cli.InitDevice(ctx, filepath.Join(t.TempDir(), tw.code+".db"),
			storage.Device{Name: tw.name + "电脑", TownshipCode: tw.code, TownshipName: tw.name})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := demo.Populate(ctx, s, tw.seed, tw.households, nil); err != nil {
			t.Fatal(err)
		}
		tok, err := st.Enroll(ctx, tw.name+"民政办", tw.code, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.devices[tw.code] = s
		f.clients[tw.code] = jsync.NewClient(s, f.srv.URL, tok, jsync.Options{Timeout: 10 * time.Second})
	}
	// Supervision records in the first township: an overdue lead, a closed
	// lead, and this month's payment roster sent to the bank.
	s := f.devices[townships[0].code]
	today := s.Today()
	if _, err := s.RegisterLead(ctx, approver, app.LeadRegistered{Source: app.LeadHotline, ReceivedOn: today.AddDays(-90),
		SubjectName: "某工作人员", SubjectStaff: true, Content: "反映优亲厚友", Mode: app.ModeDirect, Assignee: "李经办",
		Complainant: "保密举报人"}); err != nil {
		t.Fatal(err)
	}
	closed, err := s.RegisterLead(ctx, clerk, app.LeadRegistered{Source: app.LeadPetition, ReceivedOn: today.AddDays(-20),
		SubjectName: "某村民", Content: "反映收入未如实申报"})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct {
		actor app.Actor
		a     app.LeadAction
		d     app.LeadStepData
	}{
		{approver, app.LeadAssign, app.LeadStepData{Date: today.AddDays(-19), Mode: app.ModeJoint, Assignee: "李经办"}},
		{clerk, app.LeadConclude, app.LeadStepData{Date: today.AddDays(-5), Result: app.ResultUnfounded, Note: "经核查不属实"}},
		{approver, app.LeadClose, app.LeadStepData{Date: today.AddDays(-4)}},
	} {
		if err := s.LeadStep(ctx, st.actor, closed, st.a, st.d); err != nil {
			t.Fatal(err)
		}
	}
	batch, _, err := s.GenerateBatch(ctx, clerk, today.MonthKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkBatchSent(ctx, clerk, batch, today); err != nil {
		t.Fatal(err)
	}
	f.sync(t)
	return f
}

func (f *fixture) sync(t *testing.T) {
	t.Helper()
	for _, tw := range townships {
		res, err := f.clients[tw.code].Sync(context.Background(), nil)
		if err != nil {
			t.Fatalf("sync %s: %v (%+v)", tw.code, err, res)
		}
	}
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func count(t *testing.T, s *storage.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// expected is what a township's device itself says.
type expected struct {
	households, receiving, overdue, leadsOpen, leadsLate int
	cases                                                map[string]int // program/state
}

func deviceFigures(t *testing.T, s *storage.Store) expected {
	today := s.Today().String()
	e := expected{
		households: count(t, s, `SELECT count(*) FROM households`),
		receiving:  count(t, s, `SELECT count(*) FROM cases WHERE program <> 'temporary' AND state IN ('approved', 'paying', 'phasing_out')`),
		overdue:    count(t, s, `SELECT count(*) FROM cases WHERE next_due <> '' AND next_due < ?`, today),
		leadsOpen:  count(t, s, `SELECT count(*) FROM leads WHERE state IN ('registered', 'handling')`),
		leadsLate:  count(t, s, `SELECT count(*) FROM leads WHERE state IN ('registered', 'handling') AND deadline < ?`, today),
		cases:      map[string]int{},
	}
	counts, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		e.cases[string(c.Program)+"/"+string(c.State)] = c.Cases
	}
	return e
}

func TestDashboardFiguresMatchDevices(t *testing.T) {
	f := newFixture(t, countyview.Options{})
	ctx := context.Background()
	snap, err := countyview.NewDashboard(f.store, countyview.Options{Now: func() time.Time { return f.now }}).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Townships) != 2 {
		t.Fatalf("townships: %d", len(snap.Townships))
	}
	total := expected{}
	for i, tw := range townships {
		want := deviceFigures(t, f.devices[tw.code])
		got := snap.Townships[i]
		if got.Code != tw.code || got.Households != want.households || got.Receiving != want.receiving ||
			got.Overdue != want.overdue || got.LeadsOpen != want.leadsOpen || got.LeadsLate != want.leadsLate {
			t.Errorf("%s: county %+v, device %+v", tw.code, got, want)
		}
		for k, n := range want.cases {
			p, st, _ := strings.Cut(k, "/")
			if got.Cases[app.Program(p)][app.State(st)] != n {
				t.Errorf("%s %s: county %d, device %d", tw.code, k, got.Cases[app.Program(p)][app.State(st)], n)
			}
		}
		if got.LastPush.IsZero() || got.LastPull.IsZero() || got.Events == 0 || got.Rejected != 0 {
			t.Errorf("%s sync state: %+v", tw.code, got)
		}
		total.households += want.households
		total.overdue += want.overdue
		total.receiving += want.receiving
	}
	if snap.OverdueTotal != total.overdue || total.overdue == 0 {
		t.Errorf("overdue: county %d, devices %d", snap.OverdueTotal, total.overdue)
	}
	if snap.LeadTotal != 2 || snap.LeadOpen != 1 || snap.Total.LeadsLate != 1 {
		t.Errorf("leads: total %d open %d late %d", snap.LeadTotal, snap.LeadOpen, snap.Total.LeadsLate)
	}
	// This month's roster as the device sees it.
	s := f.devices[townships[0].code]
	fs, err := s.FundStatistics(ctx, s.Today().MonthKey())
	if err != nil {
		t.Fatal(err)
	}
	last := snap.Months[len(snap.Months)-1]
	if last.Key != s.Today().MonthKey() || last.Rostered != fs.Allocated || fs.Allocated == 0 {
		t.Errorf("roster: county %+v, device %+v", last, fs)
	}
	var paid app.Money
	for _, m := range snap.Months {
		paid += m.Amount
	}
	if paid == 0 {
		t.Error("no payments in the last 12 months")
	}

	// The page, over plain HTTP from this machine (no token needed).
	code, body := get(t, http.DefaultClient, f.srv.URL+"/dashboard")
	if code != 200 {
		t.Fatalf("GET /dashboard: %d %s", code, body)
	}
	for _, want := range []string{
		"县级工作看板",
		fmt.Sprintf("<b>%d</b><span>在册家庭</span>", total.households),
		fmt.Sprintf("<b>%d</b><span>超期未办事项</span>", total.overdue),
		fmt.Sprintf("<b>%d</b><span>低保特困保障中</span>", total.receiving),
		"城关镇民政办", "临湖镇民政办", "<svg", "<polyline", "问题线索", "直查直办",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for i, tw := range townships {
		row := fmt.Sprintf(`<tr><td>%s</td><td class="n">%d</td><td class="n">%d</td>`, tw.code, snap.Townships[i].Households,
			snap.Townships[i].Receiving)
		if !strings.Contains(body, row) {
			t.Errorf("page lacks township row %q", row)
		}
	}
	if strings.Contains(body, "保密举报人") {
		t.Error("the page shows a protected complainant")
	}
	if strings.Contains(body, "<script") {
		t.Error("the page has a script")
	}
	if code, _ := get(t, http.DefaultClient, f.srv.URL+"/v1/health"); code != 200 {
		t.Errorf("sync API next to the dashboard: %d", code)
	}
	if code, _ := get(t, http.DefaultClient, f.srv.URL+"/nope"); code != 404 {
		t.Errorf("unknown page: %d", code)
	}
}

func TestDashboardProtection(t *testing.T) {
	st, err := jsync.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "county.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Without a token: this machine only.
	open := countyview.NewDashboard(st, countyview.Options{})
	for addr, want := range map[string]int{"127.0.0.1:5000": 200, "[::1]:5000": 200, "10.1.2.3:5000": 403} {
		r := httptest.NewRequest("GET", "/dashboard", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		open.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("no token, from %s: %d, want %d", addr, w.Code, want)
		}
	}
	// With a token: required from everyone, the cookie keeps it.
	srv := httptest.NewServer(countyview.NewHandler(st, countyview.Options{Token: "s3cret-口令"}))
	defer srv.Close()
	if code, _ := get(t, http.DefaultClient, srv.URL+"/dashboard"); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _ := get(t, http.DefaultClient, srv.URL+"/dashboard?token=wrong"); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	code, body := get(t, c, srv.URL+"/dashboard?token=s3cret-%E5%8F%A3%E4%BB%A4")
	if code != 200 || !strings.Contains(body, "县级工作看板") {
		t.Fatalf("token: %d %.200s", code, body)
	}
	if code, _ := get(t, c, srv.URL+"/dashboard"); code != 200 {
		t.Errorf("cookie: %d", code)
	}
	if code, _ := get(t, http.DefaultClient, srv.URL+"/v1/health"); code != 200 {
		t.Errorf("the sync API needs no dashboard token: %d", code)
	}
	resp, err := http.Post(srv.URL+"/dashboard", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

// TestDashboardChromium renders the page in headless Chromium and checks the
// screenshot. Set JIUZHU_SCREENSHOT to keep a copy of it.
func TestDashboardChromium(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no " + chromium + " (scripts/deps.sh installs it)")
	}
	if testing.Short() {
		t.Skip("short")
	}
	f := newFixture(t, countyview.Options{})
	shoot := func(out, size string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
			"--user-data-dir="+t.TempDir(), "--screenshot="+out, "--window-size="+size, f.srv.URL+"/dashboard")
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium: %v\n%s", err, logs.String())
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("no screenshot: %v\n%s", err, logs.String())
		}
		return data
	}
	data := shoot(filepath.Join(t.TempDir(), "dashboard.png"), "1280,1600")
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 1600 {
		t.Errorf("screenshot size %v", b)
	}
	colours := map[uint32]bool{}
	dark := 0
	for y := 0; y < img.Bounds().Dy(); y += 2 {
		for x := 0; x < img.Bounds().Dx(); x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[(r>>11)<<10|(g>>11)<<5|b>>11] = true
			if r+g+b < 3*0x6000 {
				dark++
			}
		}
	}
	// A blank or error page has a handful of colours and almost no ink.
	if len(colours) < 20 || dark < 2000 || len(data) < 30000 {
		t.Errorf("screenshot looks empty: %d colours, %d dark pixels, %d bytes", len(colours), dark, len(data))
	}
	if keep := os.Getenv("JIUZHU_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// And the whole page, to look at the lower sections too.
		full := strings.TrimSuffix(keep, ".png") + "-full.png"
		shoot(full, "1280,4200")
		t.Logf("screenshots: %s %s", keep, full)
	}
}

func TestPublishReachesDevices(t *testing.T) {
	f := newFixture(t, countyview.Options{})
	ctx := context.Background()
	var res countyview.PublishResult
	if err := countyview.PublishDefaults(ctx, f.store, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Published) != 3 || res.Entries == 0 {
		t.Fatalf("defaults: %+v", res)
	}
	res = countyview.PublishResult{}
	if err := countyview.PublishDefaults(ctx, f.store, &res); err != nil || len(res.Published) != 0 || len(res.Skipped) != 3 || res.Entries != 0 {
		t.Fatalf("again: %+v %v", res, err)
	}
	// A new set from a file, as `county publish --rules` reads it.
	rs := app.DefaultRuleBook().Sets[2].Clone()
	rs.Version, rs.EffectiveFrom, rs.Note = "2027-01", app.Date{Year: 2027, Month: 1, Day: 1}, "2027年标准"
	rs.DibaoStandardUrban += app.Yuan(50)
	rs.DibaoStandardRural += app.Yuan(50)
	rs.AssetLimitPerCapita = rs.DibaoStandardUrban * 24
	data, err := json.Marshal(app.RuleBook{Sets: []app.RuleSet{rs}})
	if err != nil {
		t.Fatal(err)
	}
	sets, err := countyview.ParseRules(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := countyview.PublishRules(ctx, f.store, sets, &res); err != nil {
		t.Fatal(err)
	}
	changed := rs.Clone()
	changed.DibaoStandardUrban += 100
	if err := countyview.PublishRules(ctx, f.store, []app.RuleSet{changed}, &res); err == nil {
		t.Error("published a different set under a published version")
	}
	if _, err := countyview.ParseRules([]byte(`{"version": "x", "dibao_standrd_urban": 1}`)); err == nil {
		t.Error("a misspelt field was accepted")
	}
	f.sync(t)
	for _, tw := range townships {
		fc, err := f.devices[tw.code].FoldContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fc.Rules.At(app.Date{Year: 2027, Month: 3, Day: 1})
		if err != nil || got.Version != "2027-01" || got.DibaoStandardUrban != rs.DibaoStandardUrban {
			t.Errorf("%s did not pull the county's rules: %+v %v", tw.code, got.Version, err)
		}
	}
	snap, err := countyview.Compute(ctx, f.store, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(snap.RulesSource, "县级发布") {
		t.Errorf("rules source: %s", snap.RulesSource)
	}
}

func TestCountyLedgerMatchesTownshipLedgers(t *testing.T) {
	f := newFixture(t, countyview.Options{})
	ctx := context.Background()
	s0 := f.devices[townships[0].code]
	for _, back := range []int{0, 1, 3} {
		month := s0.Today().FirstOfMonth().AddMonths(-back).MonthKey()
		path := filepath.Join(t.TempDir(), "ledger-"+month+".xlsx")
		out, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := countyview.ExportLedger(ctx, f.store, month, f.now, out)
		out.Close()
		if err != nil {
			t.Fatal(err)
		}
		book, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := book.GetRows("低保")
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string][]string{}
		for _, r := range rows {
			if len(r) > 1 {
				byName[r[1]] = r
			}
		}
		var sumHouseholds int
		for i, tw := range townships {
			want, err := sheets.ComputeLedger(ctx, f.devices[tw.code], month, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := cl.Townships[i]
			if got.TownshipCode != tw.code || got.Total != want.Total {
				t.Errorf("%s %s: county %+v\ntownship %+v", month, tw.code, got.Total, want.Total)
			}
			row := byName["乡镇"+tw.code+"合计"]
			if row == nil {
				t.Fatalf("%s: no total row for %s in %v", month, tw.code, rows)
			}
			households := want.Total.DibaoUrbanHouseholds + want.Total.DibaoRuralHouseholds
			sumHouseholds += households
			// Columns: 代码, 名称, 城市户数, 城市人数, 农村户数, 农村人数, ... 本月支出(元) at 14.
			if atoi(cell(row, 2)) != want.Total.DibaoUrbanHouseholds || atoi(cell(row, 4)) != want.Total.DibaoRuralHouseholds {
				t.Errorf("%s %s households: %v, want %d+%d", month, tw.code, row, want.Total.DibaoUrbanHouseholds, want.Total.DibaoRuralHouseholds)
			}
			if paid := strings.ReplaceAll(cell(row, 14), ",", ""); paid != fmt.Sprintf("%.2f", want.Total.DibaoPaidMonth.Yuan()) {
				t.Errorf("%s %s paid this month: %q, want %s", month, tw.code, paid, want.Total.DibaoPaidMonth)
			}
			if len(want.Villages) != len(got.Villages) {
				t.Errorf("%s %s villages: %d, want %d", month, tw.code, len(got.Villages), len(want.Villages))
			}
		}
		total := byName["全县合计"]
		if total == nil || atoi(cell(total, 2))+atoi(cell(total, 4)) != sumHouseholds {
			t.Errorf("%s county total: %v, want %d households", month, total, sumHouseholds)
		}
		if back == 0 && sumHouseholds == 0 {
			t.Error("no 低保 households in the ledger")
		}
		leads, err := book.GetRows("问题线索")
		if err != nil {
			t.Fatal(err)
		}
		if len(leads) < 5 {
			t.Errorf("leads sheet: %v", leads)
		}
		book.Close()
	}
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

var digits = regexp.MustCompile(`^\d+$`)

func atoi(s string) int {
	n := 0
	if digits.MatchString(s) {
		fmt.Sscan(s, &n)
	}
	return n
}
