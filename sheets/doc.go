// Package sheets is the spreadsheet edge of Jiuzhu: the legacy roster import,
// partner cross-checks, and the workbooks a township hands out (public notice,
// bank payment roster, monthly work ledger). It sits beside storage and is the
// only package that imports excelize; app never sees a spreadsheet.
//
// Every entry point takes a *storage.Store and a path or io.Writer, and an
// optional progress callback func(done, total int), so the command line and
// the window call the same code.
package sheets
