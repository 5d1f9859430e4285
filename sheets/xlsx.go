package sheets

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// Progress reports work done out of total (total may be 0 when unknown).
type Progress func(done, total int)

func (p Progress) report(done, total int) {
	if p != nil {
		p(done, total)
	}
}

// colKind decides a column's cell style and how values are written.
type colKind int

const (
	colText  colKind = iota // written as a string (ID numbers, accounts: never as numbers)
	colInt                  // whole number
	colMoney                // yuan with two decimals
)

type column struct {
	Header string
	Width  float64
	Kind   colKind
}

// book is a workbook written sheet by sheet with StreamWriters: memory stays
// flat however many rows a sheet has.
type book struct {
	f      *excelize.File
	sheets int
	style  struct{ title, header, text, int, money, totalText, totalInt, totalMoney, note int }
}

func newBook() (*book, error) {
	b := &book{f: excelize.NewFile()}
	border := []excelize.Border{{Type: "left", Color: "999999", Style: 1}, {Type: "right", Color: "999999", Style: 1},
		{Type: "top", Color: "999999", Style: 1}, {Type: "bottom", Color: "999999", Style: 1}}
	moneyFmt := "#,##0.00"
	styles := []struct {
		dst *int
		s   excelize.Style
	}{
		{&b.style.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 16},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
		{&b.style.header, excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&b.style.text, excelize.Style{Border: border, NumFmt: 49}},
		{&b.style.int, excelize.Style{Border: border, NumFmt: 1}},
		{&b.style.money, excelize.Style{Border: border, CustomNumFmt: &moneyFmt}},
		{&b.style.totalText, excelize.Style{Border: border, NumFmt: 49, Font: &excelize.Font{Bold: true}}},
		{&b.style.totalInt, excelize.Style{Border: border, NumFmt: 1, Font: &excelize.Font{Bold: true}}},
		{&b.style.totalMoney, excelize.Style{Border: border, CustomNumFmt: &moneyFmt, Font: &excelize.Font{Bold: true}}},
		{&b.style.note, excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}}},
	}
	for _, st := range styles {
		id, err := b.f.NewStyle(&st.s)
		if err != nil {
			return nil, err
		}
		*st.dst = id
	}
	return b, nil
}

// sheetWriter writes one sheet: a merged title row, a frozen header row, then rows.
type sheetWriter struct {
	b    *book
	name string
	sw   *excelize.StreamWriter
	cols []column
	row  int
	buf  []any
	// cells back buf: SetRow takes *excelize.Cell, so a row reuses them
	// instead of boxing a new Cell per value.
	cells []excelize.Cell
}

// sheet starts a sheet with a title (merged over all columns) and the header.
func (b *book) sheet(name, title string, cols []column) (*sheetWriter, error) {
	if b.sheets == 0 {
		if err := b.f.SetSheetName("Sheet1", name); err != nil {
			return nil, err
		}
	} else if _, err := b.f.NewSheet(name); err != nil {
		return nil, err
	}
	b.sheets++
	sw, err := b.f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		w := c.Width
		if w == 0 {
			w = 12
		}
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	w := &sheetWriter{b: b, name: name, sw: sw, cols: cols, buf: make([]any, len(cols)), cells: make([]excelize.Cell, len(cols))}
	for i := range w.cells {
		w.buf[i] = &w.cells[i]
	}
	last, _ := excelize.ColumnNumberToName(len(cols))
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: b.style.title, Value: title}}, excelize.RowOpts{Height: 30}); err != nil {
		return nil, err
	}
	if len(cols) > 1 {
		if err := sw.MergeCell("A1", last+"1"); err != nil {
			return nil, err
		}
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = excelize.Cell{StyleID: b.style.header, Value: c.Header}
	}
	if err := sw.SetRow("A2", head, excelize.RowOpts{Height: 24}); err != nil {
		return nil, err
	}
	w.row = 2
	return w, nil
}

// add writes a data row; values are matched to columns by position.
func (w *sheetWriter) add(values ...any) error { return w.write(false, values) }

// total writes a bold totals row.
func (w *sheetWriter) total(values ...any) error { return w.write(true, values) }

func (w *sheetWriter) write(bold bool, values []any) error {
	w.row++
	st := w.b.style
	for i := range w.cols {
		var v any
		if i < len(values) {
			v = values[i]
		}
		style := st.text
		switch w.cols[i].Kind {
		case colInt:
			style = st.int
			if bold {
				style = st.totalInt
			}
		case colMoney:
			style = st.money
			if bold {
				style = st.totalMoney
			}
		default:
			if bold {
				style = st.totalText
			}
			if v != nil {
				if _, ok := v.(string); !ok {
					v = fmt.Sprint(v) // text columns hold text, so Excel never turns an ID into a float
				}
			}
		}
		w.cells[i] = excelize.Cell{StyleID: style, Value: v}
	}
	cell, _ := excelize.CoordinatesToCellName(1, w.row)
	return w.sw.SetRow(cell, w.buf)
}

// note writes a line of text merged over the sheet's width.
func (w *sheetWriter) note(text string) error {
	w.row++
	cell, _ := excelize.CoordinatesToCellName(1, w.row)
	if err := w.sw.SetRow(cell, []any{excelize.Cell{StyleID: w.b.style.note, Value: text}}, excelize.RowOpts{Height: 20}); err != nil {
		return err
	}
	if len(w.cols) > 1 {
		end, _ := excelize.CoordinatesToCellName(len(w.cols), w.row)
		return w.sw.MergeCell(cell, end)
	}
	return nil
}

func (w *sheetWriter) flush() error { return w.sw.Flush() }

// write saves the workbook to out, the first sheet active.
func (b *book) write(out io.Writer) error {
	defer b.f.Close()
	// The first sheet is the active one in a new file; SetActiveSheet would parse
	// every streamed sheet back into memory (most of the export time) to say so again.
	_, err := b.f.WriteTo(out)
	return err
}
