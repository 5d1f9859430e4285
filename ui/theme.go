package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"jiuzhu/assets"
)

// jiuzhuTheme is Fyne's default theme with the bundled CJK font for text, so
// Chinese renders on machines with no CJK system font. Monospace and symbol
// text keep Fyne's own fonts.
type jiuzhuTheme struct{ fyne.Theme }

// Theme returns the application theme (light variant, the office default).
func Theme() fyne.Theme { return &jiuzhuTheme{Theme: theme.DefaultTheme()} }

func (t *jiuzhuTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return t.Theme.Font(s)
	}
	return assets.Font
}

func (t *jiuzhuTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if n == theme.ColorNamePrimary {
		return color.NRGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	}
	return t.Theme.Color(n, theme.VariantLight)
}
