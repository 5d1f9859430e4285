package app

// DecidedAmount computes the monthly amount of a 低保 or 特困 case under rs:
// 低保 from the household's means test, 特困 from the basic standard and the
// care allowance of the assessed self-care level and care mode.
func DecidedAmount(c *Case, h *Household, rs RuleSet) Computation {
	if c.Program == ProgramTekun {
		return ComputeTekun(rs, h.Area, c.CareMode, c.SelfCare)
	}
	return ComputeDibao(rs, h)
}

// MonthlyAmount is what a receiving case pays for month (the first day of
// the month is the rule date): the decided amount, recomputed when a rule set
// that took effect after the decision is in force, so that a raised standard
// applies from its effective date without a new decision.
func MonthlyAmount(c *Case, h *Household, book RuleBook, month Date) Money {
	if c.Program == ProgramTemporary || !c.State.Receiving() {
		return c.Amount
	}
	rs, err := book.At(month.FirstOfMonth())
	if err != nil || !rs.EffectiveFrom.After(c.DecidedOn) {
		return c.Amount
	}
	return DecidedAmount(c, h, rs).Amount
}
