package app

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Money is an amount in fen (分, 0.01 元). Benefit amounts are summed over
// thousands of households; integer fen keep the ledger's totals exact.
type Money int64

// Yuan converts a float amount in yuan, rounding half away from zero to the fen.
func Yuan(y float64) Money { return Money(math.Round(y * 100)) }

// ParseMoney reads "1234", "1234.5", "1,234.50", "1234.50元" or "￥1234".
func ParseMoney(s string) (Money, error) {
	clean := strings.NewReplacer(",", "", "，", "", "元", "", "￥", "", "¥", "", " ", "").Replace(strings.TrimSpace(s))
	if clean == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(clean, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return 0, FieldErrorf("金额", "“%s”不是有效金额", s)
	}
	return Yuan(f), nil
}

// Yuan returns the amount in yuan as a float, for spreadsheets.
func (m Money) Yuan() float64 { return float64(m) / 100 }

// String formats as "1234.50".
func (m Money) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// MulRatio multiplies by a ratio such as 1.3 or 0.2, rounding to the fen.
func (m Money) MulRatio(r float64) Money { return Money(math.Round(float64(m) * r)) }
