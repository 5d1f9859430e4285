package countyview

import (
	"fmt"
	"math"

	"jiuzhu/app"
)

// Chart is the monthly trend as inline SVG geometry: bars for the amount
// paid, a line for the number of cases paid. The template draws it; no
// script runs in the page.
type Chart struct {
	W, H                   int
	Left, Right, Top, Base int // plot area
	Bars                   []Bar
	Line                   string // polyline points
	Dots                   []Dot
	AmountTicks, CaseTicks []Tick
	Empty                  bool
}

// Bar is one month.
type Bar struct {
	X, Y, W, H float64
	LabelX     float64
	Label      string
	Year       string // under the label, at the first month and at January
	Title      string
}

// Dot is a point of the line.
type Dot struct {
	X, Y  float64
	Title string
}

// Tick is an axis label at height Y.
type Tick struct {
	Y     float64
	Label string
}

func newChart(months []Month) Chart {
	c := Chart{W: 1100, H: 290, Left: 70, Right: 1040, Top: 20, Base: 240}
	var maxAmount app.Money
	maxCases := 0
	for _, m := range months {
		maxAmount = max(maxAmount, m.Amount)
		maxCases = max(maxCases, m.Cases)
	}
	c.Empty = maxAmount == 0 && maxCases == 0
	amountTop := 4 * niceStep(maxAmount.Yuan()/4)
	casesTop := 4 * niceStep(float64(maxCases)/4)
	plotH := float64(c.Base - c.Top)
	step := float64(c.Right-c.Left) / float64(max(len(months), 1))
	for i, m := range months {
		x := float64(c.Left) + step*float64(i)
		h := plotH * m.Amount.Yuan() / amountTop
		c.Bars = append(c.Bars, Bar{X: x + step*0.2, Y: float64(c.Base) - h, W: step * 0.6, H: h, LabelX: x + step/2,
			Label: m.Label, Year: m.Year, Title: fmt.Sprintf("%s：发放 %s 元，%d 件", m.Key, m.Amount, m.Cases)})
		y := float64(c.Base) - plotH*float64(m.Cases)/casesTop
		c.Dots = append(c.Dots, Dot{X: x + step/2, Y: y, Title: fmt.Sprintf("%s：%d 件", m.Key, m.Cases)})
		if i > 0 {
			c.Line += " "
		}
		c.Line += fmt.Sprintf("%.1f,%.1f", x+step/2, y)
	}
	for i := 0; i <= 4; i++ {
		y := float64(c.Base) - plotH*float64(i)/4
		c.AmountTicks = append(c.AmountTicks, Tick{y, shortYuan(amountTop * float64(i) / 4)})
		c.CaseTicks = append(c.CaseTicks, Tick{y, trimFloat(casesTop * float64(i) / 4)})
	}
	return c
}

// niceStep rounds a gridline step up to 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8
// times a power of ten, and to a whole number at least 1 (counts and yuan).
func niceStep(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, f := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if f*p >= v && (f*p == math.Trunc(f*p)) {
			return f * p
		}
	}
	return 10 * p
}

func shortYuan(y float64) string {
	if y >= 10000 {
		return trimFloat(y/10000) + "万"
	}
	return trimFloat(y)
}

func trimFloat(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
