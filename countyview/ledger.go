package countyview

import (
	"context"
	"io"
	"time"

	"jiuzhu/sheets"
)

// ExportLedger writes the monthly work ledger of every township for month
// (YYYY-MM) from the events the county holds, with the county's rules.
func ExportLedger(ctx context.Context, src Source, month string, now time.Time, w io.Writer) (*sheets.CountyLedger, error) {
	fc, _, err := FoldContext(ctx, src)
	if err != nil {
		return nil, err
	}
	sup, err := src.SupervisionEvents(ctx)
	if err != nil {
		return nil, err
	}
	cl, err := sheets.ComputeCountyLedger(ctx, src.EachHouseholdLog, sup, fc, month, Today(now), nil)
	if err != nil {
		return nil, err
	}
	return cl, sheets.WriteCountyLedger(cl, w)
}
