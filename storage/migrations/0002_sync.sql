-- Device side of sync with the county.

-- County-wide checks flagged back to this township: the same ID number active
-- in two households (possibly in another township). Filled from the county's
-- "county.conflict" events when they are pulled, in the same transaction.
CREATE TABLE county_conflicts (
    id              TEXT PRIMARY KEY,    -- the county event id
    household_id    TEXT NOT NULL,       -- the household of this township
    member_name     TEXT NOT NULL,
    id_number       TEXT NOT NULL,
    other_township  TEXT NOT NULL,
    other_household TEXT NOT NULL,
    other_village   TEXT NOT NULL,
    reason          TEXT NOT NULL,
    hlc             TEXT NOT NULL,
    resolved        INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX county_conflicts_household ON county_conflicts (household_id);
