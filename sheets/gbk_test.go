package sheets

import "golang.org/x/text/encoding/simplifiedchinese"

var gbkEncoder = simplifiedchinese.GBK.NewEncoder()
