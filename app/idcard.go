package app

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Resident ID numbers (公民身份号码, GB 11643-1999).
//
// An 18-character number is a 6-digit address code (the region where the
// person was first registered), an 8-digit birth date YYYYMMDD, a 3-digit
// sequence whose last digit is odd for men and even for women, and a check
// character computed from the first 17 digits (ISO 7064 MOD 11-2, where the
// value 10 is written "X"). Numbers issued before 1999 have 15 digits: the
// birth year has two digits and there is no check character; they are upgraded
// by inserting "19" after the address code and appending the check character.
//
// Rosters arrive from Excel, WPS and scanned forms, so ParseID first cleans up
// what spreadsheets do to the number (full-width characters, spaces, the
// leading apostrophe that marks a text cell, numbers turned into floats).

// idField is the field name every ID error carries.
const idField = "身份证号"

// idMaxAge is the oldest plausible age ParseIDAt accepts.
const idMaxAge = 130

// idMinYear is the earliest birth year ParseID accepts.
const idMinYear = 1800

// idWeights are the GB 11643 weights of the first 17 digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps S mod 11 to the check character.
const idCheckChars = "10X98765432"

// IDInfo is what a valid ID number tells: everything is derived from the
// number, so it is never stored apart from it.
type IDInfo struct {
	Number   string // normalised 18 characters, check character "X" in upper case
	Birth    Date
	Sex      Sex
	Region   string // 6-digit address code
	Upgraded bool   // the number was entered as an old 15-digit number
}

// Age returns the full years completed on date on; it is negative when on is
// before the birth date. A person born on 29 February completes a year on
// 1 March in common years.
func (i IDInfo) Age(on Date) int {
	b := i.Birth
	age := on.Year - b.Year
	bm, bd := b.Month, b.Day
	if bm == time.February && bd == 29 && !idIsLeap(on.Year) {
		bm, bd = time.March, 1
	}
	if on.Month < bm || (on.Month == bm && on.Day < bd) {
		age--
	}
	return age
}

// CheckChar returns the GB 11643 check character ('0'-'9' or 'X') for the
// first 17 digits of a number, or 0 if first17 is not exactly 17 ASCII digits.
func CheckChar(first17 string) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// idForm records whether the cleaned-up text was written as a number.
type idForm int

const (
	idFormPlain     idForm = iota
	idFormTextFloat        // "110105194912310000.0": digits intact, but the cell was a number once
	idFormExpIntact        // "1.10105194912310002E+17" with every digit present
	idFormExpLost          // "1.10105194912310E+17": the last digits were replaced by zeros
)

// NormalizeID cleans up an ID number as typed or imported, without validating
// it: full-width characters become ASCII, a lower-case x becomes X, spaces
// (including tabs, NBSP and the ideographic space), invisible characters,
// dashes and quotes (so also Excel's leading apostrophe) are removed, and a
// number that a spreadsheet turned into a float ("110105194912310000.0",
// "1.10105194912310E+17") is written out as digits. A float with an exponent
// usually lost the last digits, which come back as zeros; ParseID reports that.
func NormalizeID(raw string) string {
	s, _ := normalizeID(raw)
	return s
}

func normalizeID(raw string) (string, idForm) {
	if idClean(raw) {
		return raw, idFormPlain
	}
	var b strings.Builder
	b.Grow(len(raw))
	for _, r := range raw {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII block
			r -= 0xFEE0
		}
		switch {
		case r == 'x':
			r = 'X'
		case unicode.IsSpace(r), idInvisible(r), idQuote(r):
			continue
		}
		b.WriteRune(r)
	}
	s := b.String()
	// ="0123" is how some exports force Excel to keep a cell as text.
	s = strings.TrimPrefix(s, "=")
	if d, form, ok := idExpandNumber(s); ok {
		return d, form
	}
	return strings.Map(func(r rune) rune {
		if idDash(r) {
			return -1
		}
		return r
	}, s), idFormPlain
}

// idClean reports whether s needs no cleanup: only ASCII digits and 'X'.
func idClean(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != 'X' {
			return false
		}
	}
	return true
}

func idInvisible(r rune) bool {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD':
		return true
	}
	return false
}

func idQuote(r rune) bool {
	switch r {
	case '\'', '"', '`', '\u2018', '\u2019', '\u201C', '\u201D', '\u00B4', '\u300C', '\u300D':
		return true
	}
	return false
}

func idDash(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\uFE63', '\u30FC':
		return true
	}
	return false
}

// idExpandNumber turns a number written by a spreadsheet back into its digits:
// "123.0" (trailing zeros only) or "1.23E+17" (integer value, exponent up to
// two digits). ok is false when s is not such a number.
func idExpandNumber(s string) (digits string, form idForm, ok bool) {
	i := 0
	for i < len(s) && idIsDigit(s[i]) {
		i++
	}
	intPart := s[:i]
	if intPart == "" {
		return "", idFormPlain, false
	}
	frac, hasDot := "", false
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && idIsDigit(s[j]) {
			j++
		}
		frac, hasDot, i = s[i+1:j], true, j
	}
	if i == len(s) {
		if !hasDot || strings.Trim(frac, "0") != "" {
			return "", idFormPlain, false
		}
		return intPart, idFormTextFloat, true
	}
	if s[i] != 'e' && s[i] != 'E' {
		return "", idFormPlain, false
	}
	i++
	if i < len(s) && s[i] == '+' {
		i++
	}
	expText := s[i:]
	if expText == "" || len(expText) > 2 || !idAllDigits(expText) {
		return "", idFormPlain, false
	}
	exp := idAtoi(expText)
	if len(frac) > exp { // not an integer
		return "", idFormPlain, false
	}
	digits = intPart + frac + strings.Repeat("0", exp-len(frac))
	if exp > len(frac) {
		return digits, idFormExpLost, true
	}
	return digits, idFormExpIntact, true
}

// ParseID normalises and validates an ID number (see NormalizeID). It accepts
// 18-character numbers with a correct check character and 15-digit numbers,
// which it upgrades. It does not compare the birth date with today; use
// ParseIDAt wherever the date is known. Every error is an EINVALID *Error on
// the field "身份证号" whose message tells the clerk what to correct.
func ParseID(raw string) (IDInfo, error) {
	return parseID(raw, Date{}, false)
}

// ParseIDAt is ParseID plus the checks that need the current date: the birth
// date must not be after today and the age must not exceed 130 years.
func ParseIDAt(raw string, today Date) (IDInfo, error) {
	return parseID(raw, today, true)
}

func parseID(raw string, today Date, checkToday bool) (IDInfo, error) {
	s, form := normalizeID(raw)
	if s == "" {
		return IDInfo{}, idErrorf("请填写身份证号码（18位，末位可能是X）")
	}
	if form == idFormExpLost {
		return IDInfo{}, idErrorf("号码在Excel中被存成了数字（显示为科学计数法，如1.10105E+17），后几位已经丢失，无法还原。" +
			"请在Excel中把身份证号这一列设置为“文本”格式，按原件重新录入或重新导出后再导入")
	}

	n := utf8.RuneCountInString(s)
	digits, pos, badPos := 0, 0, 0
	var bad rune
	for _, r := range s {
		pos++
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == 'X' && (pos == n || pos == 18):
			// the check character; the length decides below whether it may be there
		case badPos == 0:
			badPos, bad = pos, r
		}
	}
	if digits == 0 {
		return IDInfo{}, idErrorf("“%s”不是身份证号码，请填写18位身份证号码", idShorten(s, 20))
	}
	if badPos != 0 {
		return IDInfo{}, idBadChar(badPos, bad, n)
	}
	if n != 18 && n != 15 {
		if n < 18 {
			return IDInfo{}, idErrorf("号码应为18位（旧号码为15位），现在只有%d位，比18位少%d位，请对照原件核对是否漏输", n, 18-n)
		}
		return IDInfo{}, idErrorf("号码应为18位，现在有%d位，比18位多%d位，请对照原件核对是否多输或粘贴了多余内容", n, n-18)
	}
	if n == 15 && s[14] == 'X' {
		return IDInfo{}, idErrorf("15位旧号码全部是数字，末位不应是X；如是18位新号码，请核对是否漏输了位数")
	}

	// From here s is ASCII: 15 digits, or 17 digits and a digit or X.
	if s[0] == '0' {
		return IDInfo{}, idErrorf("前6位地址码“%s”无效（首位不能是0），请核对号码前6位", s[:6])
	}
	upgraded := n == 15
	num := s
	if upgraded {
		num = s[:6] + "19" + s[6:]
		num += string(CheckChar(num))
	}

	birth, err := idBirth(num, upgraded)
	if err != nil {
		return IDInfo{}, err
	}
	if want := CheckChar(num[:17]); num[17] != want {
		if form == idFormTextFloat {
			return IDInfo{}, idErrorf("最后一位校验码不符（按前17位计算应为“%c”）。号码带有“.0”，说明曾在Excel中被存成数字，末几位很可能已丢失："+
				"请把Excel中身份证号这一列设置为“文本”格式，按原件重新录入或重新导出后再导入", want)
		}
		return IDInfo{}, idErrorf("最后一位校验码不符：按前17位计算应为“%c”，现在是“%c”。请对照原件逐位核对号码，常见错误是某一位输错或相邻两位颠倒", want, num[17])
	}

	info := IDInfo{Number: num, Birth: birth, Sex: SexFemale, Region: num[:6], Upgraded: upgraded}
	if (num[16]-'0')%2 == 1 {
		info.Sex = SexMale
	}
	if checkToday && !today.IsZero() {
		where := idBirthPositions(upgraded)
		if birth.After(today) {
			return IDInfo{}, idErrorf("出生日期%s晚于今天（%s），请核对出生日期（%s）", idChineseDate(birth), idChineseDate(today), where)
		}
		if info.Age(today) > idMaxAge {
			return IDInfo{}, idErrorf("按出生日期%s计算已超过%d岁，请核对出生日期（%s）", idChineseDate(birth), idMaxAge, where)
		}
	}
	return info, nil
}

// idBirth validates the birth date of an 18-character number; upgraded tells
// that the clerk entered 15 digits, so messages name positions they can see.
func idBirth(num string, upgraded bool) (Date, error) {
	y, m, d := idAtoi(num[6:10]), idAtoi(num[10:12]), idAtoi(num[12:14])
	where := idBirthPositions(upgraded)
	monthPos, dayPos := "第11-12位", "第13-14位"
	if upgraded {
		monthPos, dayPos = "第9-10位", "第11-12位"
	}
	switch {
	case y < idMinYear:
		return Date{}, idErrorf("第7-10位出生年份“%04d”不合理，请核对出生日期（%s）", y, where)
	case m < 1 || m > 12:
		return Date{}, idErrorf("%s出生月份“%02d”无效，月份应为01-12，请核对出生日期（%s）", monthPos, m, where)
	case d < 1:
		return Date{}, idErrorf("%s出生日“00”无效，请核对出生日期（%s）", dayPos, where)
	case d > idDaysIn(y, time.Month(m)):
		if m == 2 && d == 29 {
			return Date{}, idErrorf("%d年不是闰年，没有2月29日，请核对出生日期（%s）", y, where)
		}
		return Date{}, idErrorf("%d年%d月没有%d日（该月只有%d天），请核对出生日期（%s）", y, m, d, idDaysIn(y, time.Month(m)), where)
	}
	return Date{y, time.Month(m), d}, nil
}

func idBirthPositions(upgraded bool) string {
	if upgraded {
		return "15位号码的第7-12位"
	}
	return "第7-14位"
}

// idBadChar explains the first character that cannot be part of a number.
func idBadChar(pos int, r rune, n int) *Error {
	shown := fmt.Sprintf("“%c”", r)
	if !unicode.IsPrint(r) || r == utf8.RuneError {
		shown = fmt.Sprintf("不可见字符（U+%04X）", r)
	}
	var msg string
	switch {
	case r == 'X':
		msg = fmt.Sprintf("第%d位是“X”，只有第18位（校验码）才可能是X，请核对", pos)
	case pos == n && n == 18:
		msg = fmt.Sprintf("第18位%s无效，末位校验码只能是数字0-9或X", shown)
	default:
		msg = fmt.Sprintf("第%d位%s不是数字，请删除或改正", pos, shown)
	}
	if n != 18 && n != 15 {
		msg += fmt.Sprintf("（现在共%d位，应为18位）", n)
	}
	return idErrorf("%s", msg)
}

func idErrorf(format string, args ...any) *Error {
	return FieldErrorf(idField, format, args...)
}

func idChineseDate(d Date) string {
	return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day)
}

// idShorten cuts s to at most limit runes, marking the cut.
func idShorten(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit]) + "…"
}

// MaskID hides the middle of a number for public notices (公示): the first 4
// and last 4 characters stay, "3401**********1234". The input is normalised
// first; anything that is not shaped like an 18- or 15-character number comes
// back as asterisks of the input's length, so nothing of it leaks.
func MaskID(id string) string {
	s, form := normalizeID(id)
	shaped := form != idFormExpLost &&
		((len(s) == 18 && idAllDigits(s[:17]) && (idIsDigit(s[17]) || s[17] == 'X')) ||
			(len(s) == 15 && idAllDigits(s)))
	if shaped {
		return s[:4] + strings.Repeat("*", len(s)-8) + s[len(s)-4:]
	}
	return strings.Repeat("*", utf8.RuneCountInString(id))
}

func idIsDigit(c byte) bool { return c >= '0' && c <= '9' }

func idAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !idIsDigit(s[i]) {
			return false
		}
	}
	return true
}

// idAtoi converts a short string of ASCII digits (the caller checked them).
func idAtoi(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

func idIsLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func idDaysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if idIsLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
