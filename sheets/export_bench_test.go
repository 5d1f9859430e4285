package sheets

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// benchRosterStore imports a bench roster of n persons (BENCH_ROWS, default
// 30,000) into a fresh device, as cmd/bench does.
func benchRosterStore(b *testing.B) (*storage.Store, string) {
	b.Helper()
	n := 30000
	if v, err := strconv.Atoi(os.Getenv("BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	s := newStore(b, time.Now())
	p := filepath.Join(b.TempDir(), "roster.xlsx")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := WriteBenchRoster(n, township, f); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if _, err := ImportRoster(context.Background(), s, p, RosterOptions{}); err != nil {
		b.Fatal(err)
	}
	return s, p
}

// reportCPU adds the process CPU time per op: the machine is shared, so
// wall-clock times swing with other work.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() { b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op") }
}

// go test ./sheets -run '^$' -bench ExportPayments -cpuprofile cpu.out -memprofile mem.out
func BenchmarkExportPayments(b *testing.B) {
	s, _ := benchRosterStore(b)
	month := s.Today().AddMonths(1).MonthKey()
	b.ResetTimer()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		rep, err := ExportPayments(context.Background(), s, month, io.Discard, nil)
		if err != nil || rep.Rows == 0 {
			b.Fatal(rep, err)
		}
	}
}

// BenchmarkRawStream is the floor: the same rows through a bare StreamWriter.
func BenchmarkRawStream(b *testing.B) {
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		if err := BenchRawStream(12000, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStyledStream writes BenchRawStream's rows through sheetWriter
// (title, header, styles, totals): the cost of the roster's formatting alone.
func BenchmarkStyledStream(b *testing.B) {
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		bk, err := newBook()
		if err != nil {
			b.Fatal(err)
		}
		sh, err := bk.sheet("发放花名册", "花名册", paymentColumns)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 12000; i++ {
			id := fmt.Sprintf("34112219%02d0101%03d", 50+i%40, i%1000)
			if err := sh.add(i+1, "桃园村", "王秀英", id+string(app.CheckChar(id)), "低保", 1+i%4, 1234.5, "农村商业银行",
				fmt.Sprintf("6217%015d", i), "13900000000", ""); err != nil {
				b.Fatal(err)
			}
		}
		if err := sh.flush(); err != nil {
			b.Fatal(err)
		}
		if err := bk.write(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
