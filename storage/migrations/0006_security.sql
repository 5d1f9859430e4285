-- Lock-out after repeated wrong passwords, and when a password was last set.
-- failed counts wrong passwords since the last success or lock-out;
-- locked_until is an RFC 3339 UTC time ('' = not locked). Times come from the
-- store clock, so tests control them.
ALTER TABLE users ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN password_set TEXT NOT NULL DEFAULT '';
UPDATE users SET password_set = created;
