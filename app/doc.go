// Package app owns the domain of township social assistance: households and
// their members, resident ID numbers (GB 11643), the three programs (低保,
// 特困, 临时救助) with their case state machines, the county's versioned rule
// parameters, the working-day calendar for legal time limits, and the events
// that record every change.
//
// It performs no I/O and imports nothing else of this module, so every rule is
// tested in microseconds. Time is always passed in; nothing here reads the clock.
package app
