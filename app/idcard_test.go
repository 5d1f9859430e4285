package app

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// withCheck appends the check character to 17 digits.
func withCheck(first17 string) string { return first17 + string(CheckChar(first17)) }

// idEndingIn returns a valid number with the given 14-digit prefix whose check
// character is c, so it survives being stored as a number.
func idEndingIn(t testing.TB, prefix14 string, c byte) string {
	t.Helper()
	for seq := 0; seq < 1000; seq++ {
		first17 := prefix14 + string(rune('0'+seq/100)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
		if CheckChar(first17) == c {
			return first17 + string(c)
		}
	}
	t.Fatalf("no sequence gives check character %c", c)
	return ""
}

// wantIDError asserts err is the EINVALID *Error on 身份证号 whose message
// contains every fragment.
func wantIDError(t *testing.T, err error, fragments ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error", err, err)
	}
	if e.Code != EINVALID || e.Field != "身份证号" {
		t.Errorf("Code, Field = %q, %q; want %q, %q", e.Code, e.Field, EINVALID, "身份证号")
	}
	for _, f := range fragments {
		if !strings.Contains(e.Message, f) {
			t.Errorf("message %q does not contain %q", e.Message, f)
		}
	}
}

func TestIDCheckChar(t *testing.T) {
	tests := []struct {
		in   string
		want byte
	}{
		{"11010519491231002", 'X'},
		{"34052419800101001", 'X'}, // S = 189, 189 mod 11 = 2
		{"44052418800101001", '4'}, // S = 195, 195 mod 11 = 8
		{"1101051949123100", 0},    // 16 digits
		{"110105194912310021", 0},  // 18 digits
		{"1101051949123100A", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := CheckChar(tt.in); got != tt.want {
			t.Errorf("CheckChar(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseIDValid(t *testing.T) {
	const example = "11010519491231002X"
	male := withCheck("34010219800101123") // 17th digit 3: male
	zeroEnd := idEndingIn(t, "11010519491231", '0')
	zeroEndSex := SexFemale
	if (zeroEnd[16]-'0')%2 == 1 {
		zeroEndSex = SexMale
	}
	tests := []struct {
		name     string
		raw      string
		number   string
		birth    Date
		sex      Sex
		upgraded bool
	}{
		{"18 digits with X", example, example, Date{1949, 12, 31}, SexFemale, false},
		{"male", male, male, Date{1980, 1, 1}, SexMale, false},
		{"lower-case x", "11010519491231002x", example, Date{1949, 12, 31}, SexFemale, false},
		{"full-width", "１１０１０５１９４９１２３１００２Ｘ", example, Date{1949, 12, 31}, SexFemale, false},
		{"full-width lower x", "１１０１０５１９４９１２３１００２ｘ", example, Date{1949, 12, 31}, SexFemale, false},
		{"spaces inside", " 110105 19491231 002X ", example, Date{1949, 12, 31}, SexFemale, false},
		{"tab NBSP ideographic space", "110105\t19491231\u00a0002\u3000X", example, Date{1949, 12, 31}, SexFemale, false},
		{"dashes", "110105-19491231—002X", example, Date{1949, 12, 31}, SexFemale, false},
		{"leading apostrophe", "'11010519491231002X", example, Date{1949, 12, 31}, SexFemale, false},
		{"quoted", "\"11010519491231002X\"", example, Date{1949, 12, 31}, SexFemale, false},
		{"Excel text formula", "=\"11010519491231002X\"", example, Date{1949, 12, 31}, SexFemale, false},
		{"zero-width space and BOM", "\ufeff110105\u200b19491231002X", example, Date{1949, 12, 31}, SexFemale, false},
		{"text float with digits intact", zeroEnd + ".0", zeroEnd, Date{1949, 12, 31}, zeroEndSex, false},
		{"exponent with all 18 digits", zeroEnd[:1] + "." + zeroEnd[1:] + "E+17", zeroEnd, Date{1949, 12, 31}, zeroEndSex, false},
		{"15 digits female", "110105491231002", withCheck("11010519491231002"), Date{1949, 12, 31}, SexFemale, true},
		{"15 digits male", "340102800101123", withCheck("34010219800101123"), Date{1980, 1, 1}, SexMale, true},
		{"15 digits as exponent", "1.10105491231002E+14", withCheck("11010519491231002"), Date{1949, 12, 31}, SexFemale, true},
		{"Feb 29 in leap year", withCheck("11010520000229002"), withCheck("11010520000229002"), Date{2000, 2, 29}, SexFemale, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ParseID(tt.raw)
			if err != nil {
				t.Fatalf("ParseID(%q): %v", tt.raw, err)
			}
			want := IDInfo{Number: tt.number, Birth: tt.birth, Sex: tt.sex, Region: tt.number[:6], Upgraded: tt.upgraded}
			if info != want {
				t.Errorf("ParseID(%q) = %+v, want %+v", tt.raw, info, want)
			}
			if _, err := ParseIDAt(tt.raw, Date{2025, 6, 15}); err != nil {
				t.Errorf("ParseIDAt(%q): %v", tt.raw, err)
			}
		})
	}
}

func TestParseIDUpgrade15(t *testing.T) {
	info, err := ParseID("110105491231002")
	if err != nil {
		t.Fatal(err)
	}
	first17 := "110105" + "19" + "491231002"
	if want := first17 + string(CheckChar(first17)); info.Number != want {
		t.Errorf("Number = %s, want %s", info.Number, want)
	}
	if info.Number != "11010519491231002X" || !info.Upgraded || info.Birth.Year != 1949 || info.Sex != SexFemale {
		t.Errorf("info = %+v", info)
	}
	// The upgraded number parses on its own, as an ordinary 18-digit number.
	again, err := ParseID(info.Number)
	if err != nil || again.Upgraded || again.Birth != info.Birth || again.Sex != info.Sex {
		t.Errorf("re-parse = %+v, %v", again, err)
	}
}

func TestParseIDInvalid(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		fragments []string
	}{
		{"empty", "", []string{"请填写"}},
		{"only spaces", " \t\u3000", []string{"请填写"}},
		{"only apostrophe", "'", []string{"请填写"}},
		{"not a number", "无", []string{"不是身份证号码"}},
		{"exponent lost digits", "1.10105194912310E+17", []string{"Excel", "数字", "丢失", "文本"}},
		{"exponent lost digits lower e", "1.10105194912310e17", []string{"Excel", "丢失", "文本"}},
		{"short exponent", "1.10105E+17", []string{"Excel", "丢失"}},
		{"text float with lost digits", "110105194912310000.0", []string{"校验码", "Excel", "文本"}},
		{"wrong check char", "110105194912310021", []string{"校验码", "应为“X”", "现在是“1”"}},
		{"wrong check digit", "11010519491231002" + "3", []string{"应为“X”"}},
		{"bad month", withCheck("11010519491331002"), []string{"第11-12位", "月份", "13"}},
		{"month 00", withCheck("11010519490031002"), []string{"月份", "00"}},
		{"day 00", withCheck("11010519491200002"), []string{"第13-14位", "00"}},
		{"Apr 31", withCheck("11010519490431002"), []string{"4月没有31日", "30天"}},
		{"Feb 30", withCheck("11010519490230002"), []string{"2月没有30日"}},
		{"Feb 29 non-leap", withCheck("11010520230229002"), []string{"2023年不是闰年", "2月29日"}},
		{"Feb 29 1900", withCheck("11010519000229002"), []string{"1900年不是闰年"}},
		{"implausible year", withCheck("11010500010101002"), []string{"出生年份", "0001"}},
		{"15 digits bad month", "110105491331002", []string{"第9-10位", "15位号码的第7-12位"}},
		{"15 digits with X", "11010549123100X", []string{"15位", "X"}},
		{"address code starts with 0", withCheck("01010519491231002"), []string{"地址码"}},
		{"too short", "11010519491231002", []string{"17位", "少1位", "漏输"}},
		{"too short 10", "1101051949", []string{"10位", "少8位"}},
		{"too long", "1101051949123100201", []string{"19位", "多1位", "多输"}},
		{"16 digits", "1101054912310021", []string{"16位"}},
		{"letter inside", "1101051949A231002X", []string{"第11位", "“A”", "不是数字"}},
		{"X inside", "110105X94912310021", []string{"第7位", "X"}},
		{"bad last char", "11010519491231002Y", []string{"第18位", "“Y”", "0-9或X"}},
		{"letter and wrong length", "11010519491231002X号", []string{"第19位", "“号”", "共19位"}},
		{"control char", "110105\x0019491231002X", []string{"第7位", "不可见字符"}},
		{"invalid UTF-8", "110105\xff19491231002X", []string{"第7位"}},
		{"negative exponent", "1.1E-17", []string{"不是数字"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ParseID(tt.raw)
			if err == nil {
				t.Fatalf("ParseID(%q) = %+v, want error", tt.raw, info)
			}
			if info != (IDInfo{}) {
				t.Errorf("ParseID(%q) returned %+v with its error", tt.raw, info)
			}
			wantIDError(t, err, tt.fragments...)
			_, errAt := ParseIDAt(tt.raw, Date{2025, 6, 15})
			wantIDError(t, errAt, tt.fragments...)
		})
	}
}

func TestParseIDAt(t *testing.T) {
	today := Date{2025, 6, 15}
	tests := []struct {
		name      string
		raw       string
		fragments []string // nil: valid
	}{
		{"born today", withCheck("11010520250615002"), nil},
		{"born tomorrow", withCheck("11010520250616002"), []string{"晚于今天", "2025年6月16日", "2025年6月15日", "第7-14位"}},
		{"born in 2030", withCheck("11010520300101002"), []string{"晚于今天"}},
		{"aged 130", withCheck("11010518950615002"), nil},
		{"aged 131 tomorrow", withCheck("11010518940616002"), nil},
		{"aged 131", withCheck("11010518940615002"), []string{"超过130岁"}},
		{"aged 135", withCheck("11010518900101002"), []string{"超过130岁"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Without a date every one of them is a valid number.
			if _, err := ParseID(tt.raw); err != nil {
				t.Fatalf("ParseID(%q): %v", tt.raw, err)
			}
			_, err := ParseIDAt(tt.raw, today)
			if tt.fragments == nil {
				if err != nil {
					t.Fatalf("ParseIDAt(%q): %v", tt.raw, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseIDAt(%q) succeeded, want error", tt.raw)
			}
			wantIDError(t, err, tt.fragments...)
		})
	}
}

func TestParseIDSex(t *testing.T) {
	for d := byte('0'); d <= '9'; d++ {
		num := withCheck("3401021980010112" + string(d))
		info, err := ParseID(num)
		if err != nil {
			t.Fatalf("ParseID(%s): %v", num, err)
		}
		want := SexFemale
		if (d-'0')%2 == 1 {
			want = SexMale
		}
		if info.Sex != want {
			t.Errorf("17th digit %c: Sex = %s, want %s", d, info.Sex, want)
		}
	}
}

func TestIDAge(t *testing.T) {
	tests := []struct {
		birth, on Date
		want      int
	}{
		{Date{2000, 6, 15}, Date{2025, 6, 14}, 24},
		{Date{2000, 6, 15}, Date{2025, 6, 15}, 25},
		{Date{2000, 6, 15}, Date{2025, 6, 16}, 25},
		{Date{2000, 6, 15}, Date{2025, 5, 31}, 24},
		{Date{2000, 6, 15}, Date{2025, 7, 1}, 25},
		{Date{2000, 6, 15}, Date{2000, 6, 15}, 0},
		{Date{2000, 6, 15}, Date{2000, 6, 14}, -1},
		{Date{1949, 12, 31}, Date{2025, 12, 30}, 75},
		{Date{1949, 12, 31}, Date{2025, 12, 31}, 76},
		{Date{2000, 2, 29}, Date{2001, 2, 28}, 0},
		{Date{2000, 2, 29}, Date{2001, 3, 1}, 1},
		{Date{2000, 2, 29}, Date{2004, 2, 28}, 3},
		{Date{2000, 2, 29}, Date{2004, 2, 29}, 4},
	}
	for _, tt := range tests {
		if got := (IDInfo{Birth: tt.birth}).Age(tt.on); got != tt.want {
			t.Errorf("born %s, Age(%s) = %d, want %d", tt.birth, tt.on, got, tt.want)
		}
	}
}

func TestNormalizeID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"11010519491231002X", "11010519491231002X"},
		{"11010519491231002x", "11010519491231002X"},
		{"１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"},
		{" '110105 1949-1231 002x\t", "11010519491231002X"},
		{"1.10105194912310E+17", "110105194912310000"},
		{"110105194912310000.0", "110105194912310000"},
		{"110105194912310000.00", "110105194912310000"},
		{"110105194912310000.5", "110105194912310000.5"}, // a real fraction is left for ParseID to reject
		{"1.5E+0", "1.5E+0"},
		{"1E+999", "1E+999"},
		{"", ""},
		{"张三", "张三"},
	}
	for _, tt := range tests {
		if got := NormalizeID(tt.in); got != tt.want {
			t.Errorf("NormalizeID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"340102198001011234", "3401**********1234"},
		{"11010519491231002X", "1101**********002X"},
		{"11010519491231002x", "1101**********002X"},
		{"１１０１０５１９４９１２３１００２Ｘ", "1101**********002X"},
		{"110105491231002", "1101*******1002"},
		{"12345", "*****"},
		{"1101051949123100", "****************"},
		{"1101051949A231002X", "******************"},
		{"张三", "**"},
		{"1.10105194912310E+17", "********************"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskID(tt.in); got != tt.want {
			t.Errorf("MaskID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ", "'11010519491231002X",
		"110105 19491231 002X", "1.10105194912310E+17", "110105194912310000.0", "110105491231002",
		"110105194912310021", "11010520230229002X", "", "无", "1E+99", "1.1E-17", "=\"1\"", "X", "\xff",
	} {
		f.Add(s)
	}
	today := Date{2025, 6, 15}
	f.Fuzz(func(t *testing.T, raw string) {
		_ = NormalizeID(raw)
		if m := MaskID(raw); utf8.RuneCountInString(m) != utf8.RuneCountInString(raw) && len(m) != 15 && len(m) != 18 {
			t.Errorf("MaskID(%q) = %q", raw, m)
		}
		info, err := ParseID(raw)
		infoAt, errAt := ParseIDAt(raw, today)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || e.Field != "身份证号" || e.Message == "" {
				t.Fatalf("ParseID(%q) error %#v", raw, err)
			}
			if errAt == nil {
				t.Fatalf("ParseIDAt(%q) accepted what ParseID rejects", raw)
			}
			return
		}
		if errAt == nil && infoAt != info {
			t.Fatalf("ParseIDAt(%q) = %+v, ParseID = %+v", raw, infoAt, info)
		}
		if len(info.Number) != 18 || CheckChar(info.Number[:17]) != info.Number[17] {
			t.Fatalf("ParseID(%q).Number = %q: bad length or check character", raw, info.Number)
		}
		if info.Region != info.Number[:6] || (info.Sex != SexMale && info.Sex != SexFemale) {
			t.Fatalf("ParseID(%q) = %+v", raw, info)
		}
		if _, err := time.Parse("20060102", info.Number[6:14]); err != nil {
			t.Fatalf("ParseID(%q) accepted birth date %s: %v", raw, info.Number[6:14], err)
		}
		again, err := ParseID(info.Number)
		if err != nil {
			t.Fatalf("re-parsing %q: %v", info.Number, err)
		}
		want := info
		want.Upgraded = false
		if again != want {
			t.Fatalf("re-parsing %q = %+v, want %+v", info.Number, again, want)
		}
	})
}

func BenchmarkParseID(b *testing.B) {
	inputs := []string{"11010519491231002X", "'110105 19491231 002x", "110105491231002"}
	for b.Loop() {
		for _, s := range inputs {
			if _, err := ParseID(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}
