// Package assets holds what the client bundles: the CJK font (so Chinese
// renders on a machine with no CJK system font) and the application icon.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed DroidSansFallbackFull.ttf
var fontData []byte

//go:embed icon.png
var iconData []byte

// Font is Droid Sans Fallback (Apache-2, see FONT-LICENSE.txt).
var Font = fyne.NewStaticResource("DroidSansFallbackFull.ttf", fontData)

// Icon is the application icon (256x256 PNG).
var Icon = fyne.NewStaticResource("icon.png", iconData)
