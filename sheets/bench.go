package sheets

import (
	"context"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// BenchPaymentsExport runs the payment roster export of month into w, for
// cmd/bench. It returns the number of data rows written.
func BenchPaymentsExport(s *storage.Store, month string, w io.Writer) (int, error) {
	rep, err := ExportPayments(context.Background(), s, month, w, nil)
	if err != nil {
		return 0, err
	}
	return rep.Rows, nil
}

// BenchRawStream writes n rows of the payment roster's shape (same columns,
// same kinds of values, one StreamWriter, no styles, no database) into w: the
// floor an export built on excelize can reach.
func BenchRawStream(n int, w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	head := make([]any, len(paymentColumns))
	for i, c := range paymentColumns {
		head[i] = c.Header
	}
	if err := sw.SetRow("A1", []any{"花名册"}); err != nil {
		return err
	}
	if err := sw.SetRow("A2", head); err != nil {
		return err
	}
	row := make([]any, len(paymentColumns))
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("34112219%02d0101%03d", 50+i%40, i%1000)
		row[0], row[1], row[2], row[3] = i+1, "桃园村", "王秀英", id+string(app.CheckChar(id))
		row[4], row[5], row[6], row[7] = "低保", 1+i%4, 1234.5, "农村商业银行"
		row[8], row[9], row[10] = fmt.Sprintf("6217%015d", i), "13900000000", ""
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// BenchImportRoster imports the roster at path, for cmd/bench; it returns
// the rows read and the persons registered.
func BenchImportRoster(s *storage.Store, path string) (rows, persons int, err error) {
	rep, err := ImportRoster(context.Background(), s, path, RosterOptions{})
	if err != nil {
		return 0, 0, err
	}
	return rep.Rows, rep.Persons, nil
}

// WriteBenchRoster writes a valid legacy roster of n persons (households of
// 1-4) into w, for the import benchmark and tests.
func WriteBenchRoster(n int, township string, w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{"低保对象花名册"}); err != nil {
		return err
	}
	header := []any{"村(社区)", "户主姓名", "户主身份证号", "姓名", "身份证号", "与户主关系", "救助类别", "月人均收入",
		"月保障金额", "开户银行", "银行账号", "联系电话", "纳入时间"}
	if err := sw.SetRow("A2", header); err != nil {
		return err
	}
	villages := []string{"桃园村", "柳河村", "东岗村", "石桥村", "新集社区"}
	rels := []string{"户主", "配偶", "子女", "子女"}
	rowNo, person, hh := 3, 0, 0
	for person < n {
		size := 1 + hh%4
		headID := benchID(township[:6], hh, 0)
		for m := 0; m < size && person < n; m++ {
			id := benchID(township[:6], hh, m)
			cell, _ := excelize.CoordinatesToCellName(1, rowNo)
			if err := sw.SetRow(cell, []any{villages[hh%len(villages)], fmt.Sprintf("户主%d", hh), headID,
				fmt.Sprintf("成员%d-%d", hh, m), id, rels[m], "低保", "300", "800", "农村商业银行",
				fmt.Sprintf("6217%015d", hh), "13900000000", "2023-05-01"}); err != nil {
				return err
			}
			rowNo++
			person++
		}
		hh++
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// benchID makes a distinct valid ID number for member m of household h.
func benchID(region string, h, m int) string {
	seq, day, month := h%1000, 1+(h/1000)%28, 1+(h/28000)%12
	year := 1940 + m*20 + (h/336000)%15
	first := fmt.Sprintf("%s%04d%02d%02d%03d", region, year, month, day, seq)
	return first + string(app.CheckChar(first))
}
