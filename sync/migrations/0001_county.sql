-- County server database.

CREATE TABLE devices (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    township    TEXT NOT NULL,
    villages    TEXT NOT NULL DEFAULT '[]',  -- JSON array; empty = the whole township
    token_hash  TEXT NOT NULL UNIQUE,        -- SHA-256 of the token, hex; the token itself is never stored
    device_id   TEXT NOT NULL DEFAULT '',    -- the device database's id, bound at first use
    revoked     INTEGER NOT NULL DEFAULT 0,
    last_seq    INTEGER NOT NULL DEFAULT 0,  -- highest device_seq stored for device_id
    last_hash   TEXT NOT NULL DEFAULT '',
    enrolled_at TEXT NOT NULL,
    last_seen   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE UNIQUE INDEX devices_device_id ON devices (device_id) WHERE device_id <> '';

-- Every event from every device, once, in arrival order (server_seq is the
-- pull cursor: the county's clock, never a device's).
CREATE TABLE events (
    server_seq    INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    device_id     TEXT NOT NULL,
    device_seq    INTEGER NOT NULL,
    type          TEXT NOT NULL,
    household_id  TEXT NOT NULL,
    township_code TEXT NOT NULL,        -- '' = county-wide (rules, calendar)
    village_code  TEXT NOT NULL,
    body          BLOB NOT NULL,        -- the event envelope as JSON
    status        TEXT NOT NULL,        -- 'accepted' or 'rejected'
    reason        TEXT NOT NULL DEFAULT '',
    received_at   TEXT NOT NULL,
    UNIQUE (device_id, device_seq)
) STRICT;
CREATE INDEX events_township ON events (township_code, server_seq);

-- Hash chains of the county's own event streams ('county' for county-wide,
-- 'county:<township>' for what it sends one township).
CREATE TABLE county_chains (
    device_id TEXT PRIMARY KEY,
    last_seq  INTEGER NOT NULL,
    last_hash TEXT NOT NULL
) STRICT;

-- Active persons by ID number, for the county-wide duplicate check.
CREATE TABLE persons (
    member_id    TEXT PRIMARY KEY,
    id_number    TEXT NOT NULL,
    name         TEXT NOT NULL,
    household_id TEXT NOT NULL,
    township     TEXT NOT NULL,
    village      TEXT NOT NULL
) STRICT;
CREATE INDEX persons_id_number ON persons (id_number);

CREATE TABLE county_conflicts (
    id           INTEGER PRIMARY KEY,
    id_number    TEXT NOT NULL,
    household_a  TEXT NOT NULL,
    township_a   TEXT NOT NULL,
    household_b  TEXT NOT NULL,
    township_b   TEXT NOT NULL,
    detected_at  TEXT NOT NULL,
    resolved     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (id_number, household_a, household_b)
) STRICT;

-- Attachments: chunks as uploaded (resumable), then verified against the hash.
CREATE TABLE blobs (
    sha256   TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    received INTEGER NOT NULL,
    complete INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE blob_chunks (
    sha256 TEXT NOT NULL,
    offset INTEGER NOT NULL,
    data   BLOB NOT NULL,
    PRIMARY KEY (sha256, offset)
) STRICT;
-- Who may download a blob: the township (and village) of the events naming it.
CREATE TABLE blob_refs (
    sha256   TEXT NOT NULL,
    township TEXT NOT NULL,
    village  TEXT NOT NULL,
    PRIMARY KEY (sha256, township, village)
) STRICT, WITHOUT ROWID;
