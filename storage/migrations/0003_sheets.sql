-- Spreadsheet work (issue 5). Neither table is a projection of the event log:
-- rebuild leaves them alone.

-- Cross-check screening worklist (信息核对/全面排查): one row per person a
-- partner department's list flagged, closed by a clerk with the visit result.
CREATE TABLE worklist_items (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,               -- disability, medical, education, housing, other
    kind         TEXT NOT NULL,               -- missed (漏保) or wrong (错保)
    id_number    TEXT NOT NULL,
    name         TEXT NOT NULL,
    household_id TEXT NOT NULL DEFAULT '',    -- '' when the person is not registered
    village_code TEXT NOT NULL DEFAULT '',
    village_name TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',    -- the partner's row, for the visit
    file         TEXT NOT NULL DEFAULT '',    -- the partner file it came from
    created_on   TEXT NOT NULL,               -- YYYY-MM-DD (China time)
    created_by   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open',-- open or closed
    result       TEXT NOT NULL DEFAULT '',    -- included, exited, confirmed_ok, other
    result_note  TEXT NOT NULL DEFAULT '',
    closed_on    TEXT NOT NULL DEFAULT '',
    closed_by    TEXT NOT NULL DEFAULT ''
) STRICT;
-- One open item per person, source and kind: running the same list again adds nothing.
CREATE UNIQUE INDEX worklist_open ON worklist_items (source, kind, id_number) WHERE status = 'open';
CREATE INDEX worklist_created ON worklist_items (created_on);
CREATE INDEX worklist_closed ON worklist_items (closed_on) WHERE closed_on <> '';

-- Monthly work ledger figures, frozen once the month is reported: later edits
-- of the log never change a reported month.
CREATE TABLE ledger_months (
    township_code TEXT NOT NULL,
    month         TEXT NOT NULL,              -- YYYY-MM
    figures       TEXT NOT NULL,              -- JSON of sheets.Ledger
    frozen_at     TEXT NOT NULL,              -- RFC 3339
    frozen_by     TEXT NOT NULL,
    PRIMARY KEY (township_code, month)
) STRICT;
