package sheets

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"jiuzhu/app"
)

// table is one sheet of an input file, read row by row.
type table struct {
	Sheet string
	next  func() ([]string, bool, error) // row, ok, error
}

// input is an opened spreadsheet: an .xlsx workbook (every sheet) or a CSV file.
type input struct {
	Tables []*table
	close  func()
}

func (in *input) Close() {
	if in.close != nil {
		in.close()
	}
}

var (
	oleMagic        = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}
	zipMagic        = []byte("PK\x03\x04")
	encryptedStream = []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e\x00")
)

// maxInput bounds what is read into memory (a 100,000-row roster is ~10 MB).
const maxInput = 512 << 20

// openInput opens path by its content, not its name: .xlsx (optionally
// password-protected, with password), or CSV/TXT (UTF-8 or GBK, the encoding
// Excel uses on Chinese Windows). Old .xls and other files get a message
// saying what to do.
func openInput(path, password string) (*input, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, app.Errorf(app.ENOTFOUND, "无法打开文件“%s”：%s", name, pathError(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, app.Errorf(app.EINVALID, "无法读取文件“%s”", name)
	}
	if st.IsDir() {
		return nil, app.Errorf(app.EINVALID, "“%s”是文件夹，请选择Excel文件", name)
	}
	if st.Size() > maxInput {
		return nil, app.Errorf(app.EINVALID, "文件“%s”超过 %d MB，请拆分后分批导入", name, maxInput>>20)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, app.Errorf(app.EINVALID, "读取文件“%s”失败：%v", name, err)
	}
	return openBytes(name, data, password)
}

func pathError(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "文件不存在，请检查路径"
	case errors.Is(err, os.ErrPermission):
		return "没有读取权限，请先关闭正在打开它的程序或检查权限"
	}
	return err.Error()
}

func openBytes(name string, data []byte, password string) (in *input, err error) {
	defer func() {
		// excelize is a large parser; a malformed file must never crash the app.
		if r := recover(); r != nil {
			in, err = nil, app.Errorf(app.EINVALID, "文件“%s”已损坏或不是有效的Excel工作簿，请用Excel或WPS打开后另存为 .xlsx 再导入", name)
		}
	}()
	if len(data) == 0 {
		return nil, app.Errorf(app.EINVALID, "文件“%s”是空的", name)
	}
	switch {
	case bytes.HasPrefix(data, oleMagic):
		if !bytes.Contains(data, encryptedStream) {
			return nil, app.Errorf(app.EINVALID, "“%s”是旧版Excel 97-2003格式（.xls/.et），本系统读取 .xlsx："+
				"请用Excel或WPS打开，选择“文件 → 另存为 → Excel工作簿(*.xlsx)”后再导入", name)
		}
		if password == "" {
			return nil, app.Errorf(app.EINVALID, "“%s”设置了打开密码：请用 --password 提供密码，"+
				"或在Excel中打开后“文件 → 信息 → 保护工作簿 → 用密码进行加密”清除密码再导入", name)
		}
		return openXLSX(name, data, password)
	case bytes.HasPrefix(data, zipMagic):
		return openXLSX(name, data, password)
	}
	if looksLikeText(data) {
		return openCSV(name, data)
	}
	return nil, app.Errorf(app.EINVALID, "“%s”不是Excel工作簿（.xlsx）或CSV文件，请选择正确的文件", name)
}

// maxZipRatio bounds how much larger than the file a workbook's parts may
// claim to be once unzipped (deflate cannot do better than about 1032:1).
const maxZipRatio = 1100

// zipSizesPlausible says whether the parts of a zip claim no more unzipped
// bytes than its size allows. excelize allocates each part's claimed size
// before reading it, so a few kilobytes claiming gigabytes would stall the
// app or run it out of memory.
func zipSizesPlausible(data []byte) bool {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return true // not a readable zip: excelize says so
	}
	limit := uint64(len(data))*maxZipRatio + 1<<20
	var total uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 > limit {
			return false
		}
		if total += f.UncompressedSize64; total > limit {
			return false
		}
	}
	return true
}

func openXLSX(name string, data []byte, password string) (*input, error) {
	if bytes.HasPrefix(data, zipMagic) && !zipSizesPlausible(data) {
		return nil, app.Errorf(app.EINVALID, "“%s”不是有效的Excel工作簿（.xlsx），可能已损坏或是其他格式（如Word、WPS文档）："+
			"请用Excel或WPS打开后另存为 .xlsx 再导入", name)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{Password: password,
		UnzipSizeLimit: 2 << 30, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		switch {
		case errors.Is(err, excelize.ErrWorkbookPassword) || (password != "" && errors.Is(err, excelize.ErrWorkbookFileFormat)):
			return nil, app.Errorf(app.EINVALID, "“%s”的密码不正确，请核对后重试", name)
		}
		return nil, app.Errorf(app.EINVALID, "“%s”不是有效的Excel工作簿（.xlsx），可能已损坏或是其他格式（如Word、WPS文档）："+
			"请用Excel或WPS打开后另存为 .xlsx 再导入", name)
	}
	in := &input{close: func() { f.Close() }}
	for _, sheet := range f.GetSheetList() {
		if v, _ := f.GetSheetVisible(sheet); !v {
			continue
		}
		rows, err := f.Rows(sheet)
		if err != nil {
			continue // a chart sheet or a damaged part: nothing to read there
		}
		t := &table{Sheet: sheet}
		t.next = func() ([]string, bool, error) {
			if !rows.Next() {
				rows.Close()
				return nil, false, rows.Error()
			}
			cols, err := rows.Columns(excelize.Options{RawCellValue: true})
			return cols, true, err
		}
		in.Tables = append(in.Tables, t)
	}
	if len(in.Tables) == 0 {
		f.Close()
		return nil, app.Errorf(app.EINVALID, "“%s”中没有可读取的工作表", name)
	}
	return in, nil
}

// looksLikeText accepts UTF-8 or GBK text without control bytes.
func looksLikeText(data []byte) bool {
	sample := data[:min(len(data), 4096)]
	for _, c := range sample {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

func openCSV(name string, data []byte) (*input, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, app.Errorf(app.EINVALID, "“%s”的文字编码无法识别，请在Excel中另存为 .xlsx 后再导入", name)
		}
		data = dec
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	if first := firstLines(data); strings.Count(first, "\t") > strings.Count(first, ",") {
		r.Comma = '\t'
	}
	// encoding/csv skips blank lines, which Excel shows as blank rows: they
	// are returned as empty rows so that row numbers in messages are Excel's.
	line := 0        // rows returned so far
	fileLine := 1    // the file line after the last record read
	var rec []string // a record held back while blank rows before it are returned
	recLine := 0
	t := &table{Sheet: strings.TrimSuffix(name, filepath.Ext(name))}
	t.next = func() ([]string, bool, error) {
		if rec == nil {
			off := r.InputOffset()
			var err error
			rec, err = r.Read()
			if err == io.EOF {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, app.Errorf(app.EINVALID, "“%s”第%d行无法解析（%v），请在Excel中另存为 .xlsx 后再导入", name, line+1, err)
			}
			start, _ := r.FieldPos(0)
			recLine = line + 1 + max(0, start-fileLine)
			fileLine += bytes.Count(data[off:r.InputOffset()], []byte("\n"))
		}
		line++
		if line < recLine {
			return []string{}, true, nil
		}
		out := rec
		rec = nil
		return out, true, nil
	}
	return &input{Tables: []*table{t}}, nil
}

// firstLines is the start of a text file where the header is looked for
// (a title line or a blank line may come before it), to tell its delimiter.
func firstLines(b []byte) string {
	end := 0
	for n := 0; n < headerScanRows && end < len(b); n++ {
		i := bytes.IndexByte(b[end:], '\n')
		if i < 0 {
			return string(b)
		}
		end += i + 1
	}
	return string(b[:end])
}

// normHeader makes header text comparable: no spaces (any kind), full-width
// forms folded to ASCII, brackets, stars and colons removed.
func normHeader(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		switch r {
		case ' ', '\t', '\n', '\r', '\u00a0', '\u3000', '(', ')', '[', ']', '【', '】', '〔', '〕', '*', ':', '：', '\u200b', '\ufeff':
			continue
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}

// stripParens removes bracketed parts: "月保障金额（元）" -> "月保障金额".
func stripParens(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '(', '（', '[', '【', '〔':
			depth++
			continue
		case ')', '）', ']', '】', '〕':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// headerMatch finds the field a header cell names, given aliases per field.
func headerMatch(cell string, aliases map[string][]string) string {
	for _, cand := range []string{normHeader(cell), normHeader(stripParens(cell))} {
		if cand == "" {
			continue
		}
		for field, as := range aliases {
			for _, a := range as {
				if cand == a {
					return field
				}
			}
		}
	}
	return ""
}

// colName is the spreadsheet letter of a 0-based column.
func colName(i int) string {
	n, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return fmt.Sprint(i + 1)
	}
	return n
}

func cell(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}
