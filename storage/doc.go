// Package storage owns the device's SQLite database: the append-only event
// log, the projections folded from it (households, members, cases, conflicts,
// attachments, rules, calendar), the outbox of events not yet acknowledged by
// the county, and search.
//
// Every change goes through Store.append, which writes the events and updates
// the projections in one transaction. Projections are a deterministic fold of
// the log in the canonical event order (app.Event.Less), so Rebuild reproduces
// them exactly and devices holding the same events hold the same projections.
package storage
