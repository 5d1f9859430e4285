-- Device identity and sync cursors.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The append-only event log: the audit trail, the archive and the sync unit.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,            -- local arrival order
    id           TEXT NOT NULL UNIQUE,
    device_id    TEXT NOT NULL,
    device_seq   INTEGER NOT NULL,
    type         TEXT NOT NULL,
    household_id TEXT NOT NULL DEFAULT '',
    case_id      TEXT NOT NULL DEFAULT '',
    township_code TEXT NOT NULL DEFAULT '',
    village_code TEXT NOT NULL DEFAULT '',
    schema_v     INTEGER NOT NULL,
    hlc          TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_name   TEXT NOT NULL,
    actor_role   TEXT NOT NULL,
    payload      BLOB NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    UNIQUE (device_id, device_seq)
) STRICT;
CREATE INDEX events_household ON events (household_id, hlc, device_id, device_seq);
CREATE INDEX events_case ON events (case_id);

-- Events the county refused on rules; the reason syncs back and is shown.
CREATE TABLE event_rejections (
    event_id TEXT PRIMARY KEY,
    reason   TEXT NOT NULL
) STRICT;

-- How far the county has acknowledged each device's events (own device for the outbox).
CREATE TABLE acks (
    device_id TEXT PRIMARY KEY,
    acked_seq INTEGER NOT NULL
) STRICT;

-- Both subqueries are uncorrelated, so SQLite evaluates them once and walks
-- the (device_id, device_seq) index from the acknowledged sequence on.
CREATE VIEW outbox AS
    SELECT e.* FROM events e
    WHERE e.device_id = (SELECT value FROM meta WHERE key = 'device_id')
      AND e.device_seq > COALESCE((SELECT acked_seq FROM acks
          WHERE device_id = (SELECT value FROM meta WHERE key = 'device_id')), 0);

-- Content-addressed attachment bytes (not a projection: the log names them by hash).
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size   INTEGER NOT NULL,
    data   BLOB NOT NULL
) STRICT;

-- Projections below are rebuilt from the log.
CREATE TABLE households (
    id            TEXT PRIMARY KEY,
    township_code TEXT NOT NULL,
    village_code  TEXT NOT NULL,
    village_name  TEXT NOT NULL,
    head_name     TEXT NOT NULL,
    head_id       TEXT NOT NULL,
    members       INTEGER NOT NULL,
    data          TEXT NOT NULL,        -- app.Household without members, as JSON
    last_key      TEXT NOT NULL         -- canonical key of the last folded event
) STRICT;
CREATE INDEX households_village ON households (village_code);

CREATE TABLE members (
    id           TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    id_number    TEXT NOT NULL,
    relation     TEXT NOT NULL,
    sex          TEXT NOT NULL,
    birth        TEXT NOT NULL,
    data         TEXT NOT NULL
) STRICT;
CREATE INDEX members_household ON members (household_id);
CREATE INDEX members_id_number ON members (id_number);

-- Substring search over names and ID numbers. The trigram tokenizer needs
-- 3 characters, while most Chinese names have 2 or 3; so the indexed text
-- also carries every 1- and 2-character piece of the name padded with '#' to
-- a trigram of its own ("兰##", "张兰#"), which a short query matches exactly.
CREATE VIRTUAL TABLE members_fts USING fts5 (
    text, content = '', contentless_delete = 1, tokenize = 'trigram'
);

CREATE TABLE cases (
    id           TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    program      TEXT NOT NULL,
    state        TEXT NOT NULL,
    village_code TEXT NOT NULL,
    applied_on   TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    next_step    TEXT NOT NULL,
    next_due     TEXT NOT NULL,
    data         TEXT NOT NULL           -- app.Case as JSON
) STRICT;
CREATE INDEX cases_household ON cases (household_id);
CREATE INDEX cases_state ON cases (program, state);
CREATE INDEX cases_due ON cases (next_due) WHERE next_due <> '';

-- Which event last set each field, to detect concurrent edits.
CREATE TABLE field_versions (
    household_id TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    target       TEXT NOT NULL,          -- '' for the household, else member id
    field        TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    PRIMARY KEY (household_id, target, field)
) STRICT, WITHOUT ROWID;

CREATE TABLE conflicts (
    id            TEXT PRIMARY KEY,      -- the id of the event that lost
    household_id  TEXT NOT NULL,
    case_id       TEXT NOT NULL,
    kind          TEXT NOT NULL,         -- 'field' or 'decision'
    subject       TEXT NOT NULL,         -- field name or action, for display
    target        TEXT NOT NULL,
    kept_event    TEXT NOT NULL,
    other_event   TEXT NOT NULL,
    kept_value    TEXT NOT NULL,
    other_value   TEXT NOT NULL,
    resolution    TEXT NOT NULL DEFAULT '',
    resolved_by   TEXT NOT NULL DEFAULT '',
    resolved_hlc  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX conflicts_open ON conflicts (household_id) WHERE resolution = '';

CREATE TABLE attachments (
    event_id     TEXT PRIMARY KEY,
    household_id TEXT NOT NULL,
    case_id      TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    name         TEXT NOT NULL,
    mime         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    note         TEXT NOT NULL,
    added_by     TEXT NOT NULL,
    hlc          TEXT NOT NULL
) STRICT;
CREATE INDEX attachments_case ON attachments (case_id);

CREATE TABLE rule_sets (
    effective_from TEXT PRIMARY KEY,
    version        TEXT NOT NULL,
    data           TEXT NOT NULL
) STRICT;

CREATE TABLE calendar (
    date    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    working INTEGER NOT NULL
) STRICT;

