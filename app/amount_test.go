package app

import "testing"

// TestRuleChangeRecomputesFromItsDate: a case decided under the 2024 rules
// is paid the decided amount until the next rule set takes effect, and the
// amount under the new standard from that month on.
func TestRuleChangeRecomputesFromItsDate(t *testing.T) {
	book := DefaultRuleBook()
	h := &Household{Area: AreaRural, Members: []Member{{ID: "1", Covered: true}, {ID: "2", Covered: true}},
		Incomes: []Income{{Kind: IncomeWage, Monthly: 40000}}}
	old, _ := book.At(NewDate(2025, 3, 1))
	decided := ComputeDibao(old, h).Amount
	c := &Case{Program: ProgramDibao, State: StatePaying, DecidedOn: NewDate(2025, 3, 1), Amount: decided}

	raised := book.Sets[1] // 2025-07-01
	if got := MonthlyAmount(c, h, book, NewDate(2025, 6, 1)); got != decided {
		t.Errorf("June 2025: %s, want the decided %s", got, decided)
	}
	want := ComputeDibao(raised, h).Amount
	if want <= decided {
		t.Fatalf("the 2025-07 set should raise the amount: %s -> %s", decided, want)
	}
	if got := MonthlyAmount(c, h, book, NewDate(2025, 7, 1)); got != want {
		t.Errorf("July 2025: %s, want %s under the new standard", got, want)
	}
	// A decision after the rule change keeps its own amount.
	later := &Case{Program: ProgramDibao, State: StatePaying, DecidedOn: NewDate(2025, 8, 1), Amount: 12345}
	if got := MonthlyAmount(later, h, book, NewDate(2025, 9, 1)); got != 12345 {
		t.Errorf("decided after the change: %s", got)
	}
	// Temporary grants and ended cases are not recomputed.
	temp := &Case{Program: ProgramTemporary, State: StatePaid, Amount: 50000, DecidedOn: NewDate(2025, 3, 1)}
	if got := MonthlyAmount(temp, h, book, NewDate(2025, 9, 1)); got != 50000 {
		t.Errorf("temporary: %s", got)
	}
}
