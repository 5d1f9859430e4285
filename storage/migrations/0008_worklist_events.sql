-- The cross-check worklist becomes a projection of the log: items are
-- worklist.added events, visit results worklist.closed, so they sync through
-- the county and rebuild folds them again (0003 said otherwise). Items
-- recorded before this version are written to the log once, at the first
-- unlock (storage.adoptLegacyWorklist). From here on the reason column is
-- sealed too: when the partner's name differs from ours it quotes both.

-- An item added while the same person had an open item of the same source
-- and kind on another device joins that item (status 'merged').
ALTER TABLE worklist_items ADD COLUMN merged_into TEXT NOT NULL DEFAULT '';
-- Later visit results of the same item, from devices that did not see the
-- first one: sealed JSON list of app.WorklistClose, '' when none.
ALTER TABLE worklist_items ADD COLUMN other_closes TEXT NOT NULL DEFAULT '';
-- The fold reads every item of one person, source and kind, whatever its status.
CREATE INDEX worklist_person ON worklist_items (id_hash, source, kind);
