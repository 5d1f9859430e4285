package sheets

import (
	"path/filepath"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// maxBankReturnRows bounds a bank return file (a township pays a few thousand
// households a month).
const maxBankReturnRows = 200000

// ReadBankReturn reads the first sheet of a bank return file (.xlsx, or CSV
// in UTF-8 or GBK) into rows for storage.ImportBankReturn. Columns are found
// by their headers (see app.ParseBankReturn).
func ReadBankReturn(path string) ([]storage.BankReturnRow, error) {
	in, err := openInput(path, "")
	if err != nil {
		return nil, err
	}
	defer in.Close()
	name := filepath.Base(path)
	if len(in.Tables) == 0 {
		return nil, app.Errorf(app.EINVALID, "“%s”中没有可读取的工作表", name)
	}
	t := in.Tables[0]
	var table [][]string
	for {
		row, ok, err := t.next()
		if err != nil {
			if app.ErrorCode(err) != app.EINTERNAL {
				return nil, err // already a message for the user
			}
			return nil, app.Errorf(app.EINVALID, "“%s”的工作表“%s”无法读取，请用Excel或WPS打开后另存为 .xlsx 再导入", name, t.Sheet)
		}
		if !ok {
			break
		}
		if len(table) >= maxBankReturnRows {
			return nil, app.Errorf(app.EINVALID, "“%s”超过 %d 行，不像是银行回盘文件，请检查", name, maxBankReturnRows)
		}
		table = append(table, row)
	}
	if len(table) == 0 {
		return nil, app.Errorf(app.EINVALID, "“%s”的第一个工作表“%s”是空的，请确认银行回盘数据在第一个工作表", name, t.Sheet)
	}
	return app.ParseBankReturn(table)
}
