-- Local users of this device (sign-in). Not part of the event log: a user
-- signs events with their id, name and role; passwords never leave the device.
CREATE TABLE users (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE,
    role     TEXT NOT NULL,
    password TEXT NOT NULL,  -- PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$hash
    created  TEXT NOT NULL
) STRICT;
