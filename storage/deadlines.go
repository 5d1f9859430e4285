package storage

import (
	"context"

	"jiuzhu/app"
)

// DueSoonWorkingDays is how far ahead the workbench looks for steps coming due.
const DueSoonWorkingDays = 3

// DueCases returns the cases whose next legal step is overdue on today and
// those due within soon working days on the county's calendar, each sorted
// by due date. Limit caps each list (0 = 500).
func (s *Store) DueCases(ctx context.Context, today app.Date, soon, limit int) (overdue, dueSoon []CaseRow, err error) {
	fc, err := loadFoldContext(ctx, s.db)
	if err != nil {
		return nil, nil, err
	}
	if limit <= 0 {
		limit = 500
	}
	horizon := fc.Calendar.AddWorkingDays(today, soon)
	rows, err := s.Cases(ctx, CaseFilter{DueBefore: horizon.String(), Sort: "due", Limit: 2 * limit})
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		due, err := app.ParseDate(r.NextDue)
		if err != nil {
			continue
		}
		switch app.DeadlineUrgency(app.Deadline{Step: r.NextStep, Due: due}, today, soon, fc.Calendar) {
		case app.UrgencyOverdue:
			if len(overdue) < limit {
				overdue = append(overdue, r)
			}
		case app.UrgencyDueSoon:
			if len(dueSoon) < limit {
				dueSoon = append(dueSoon, r)
			}
		}
	}
	return overdue, dueSoon, nil
}
