-- Encryption at rest (issue 7). From here on the sensitive columns hold text
-- sealed with the device data key (see storage/keyring.go); the key is kept
-- only wrapped: per user under a key derived from the password (users.data_key)
-- and for the county recovery key (meta 'data_key_county'). A device with no
-- user yet keeps it in meta 'data_key_open' until the first user is created.

ALTER TABLE users ADD COLUMN data_key TEXT NOT NULL DEFAULT '';

-- Exact ID number lookups go through a keyed hash; the sealed number itself
-- cannot be compared.
ALTER TABLE members ADD COLUMN id_hash TEXT NOT NULL DEFAULT '';
DROP INDEX members_id_number;
CREATE INDEX members_id_hash ON members (id_hash);

ALTER TABLE worklist_items ADD COLUMN id_hash TEXT NOT NULL DEFAULT '';
DROP INDEX worklist_open;
CREATE UNIQUE INDEX worklist_open ON worklist_items (source, kind, id_hash) WHERE status = 'open';

-- Name search moves to an index in memory, built after sign-in: a trigram
-- index on disk would hold every name in the clear. It follows the members
-- table through this change list, which triggers fill for every writer.
DROP TABLE members_fts;
CREATE TABLE member_changes (
    seq          INTEGER PRIMARY KEY,
    member_rowid INTEGER NOT NULL
) STRICT;
CREATE TRIGGER members_inserted AFTER INSERT ON members BEGIN
    INSERT INTO member_changes (member_rowid) VALUES (new.rowid);
END;
CREATE TRIGGER members_deleted AFTER DELETE ON members BEGIN
    INSERT INTO member_changes (member_rowid) VALUES (old.rowid);
END;
CREATE TRIGGER members_updated AFTER UPDATE ON members BEGIN
    INSERT INTO member_changes (member_rowid) VALUES (old.rowid);
    INSERT INTO member_changes (member_rowid) VALUES (new.rowid);
END;
