-- SPDX-License-Identifier: MIT
-- 0004_outbox_bound: the outbox's size bound ([mqtt] outbox_max) costs the same at 100 rows
-- and at 100,000. Every alert transition checks the bound; with a full outbox it used to run
-- a count(*) and walk the whole table for retained rows a newer one supersedes: 125 ms per
-- CoAP request at 100,000 rows. Now the row count is kept in outbox_size by triggers (exact,
-- in the same transaction as the rows), and a retained row is marked superseded when a newer
-- one for its topic is written, so the rows to drop first are read from a partial index.

-- The count: one row, kept by the triggers below for every writer (daemon and CLI alike).
CREATE TABLE outbox_size (
    rows INTEGER NOT NULL CHECK (rows >= 0)
) STRICT;
INSERT INTO outbox_size (rows) SELECT count(*) FROM outbox;

-- superseded = 1: a retained row for whose topic a newer row is in the outbox; a subscriber of
-- that state topic loses nothing when it is dropped.
ALTER TABLE outbox ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0
    CHECK (superseded IN (0, 1));
UPDATE outbox SET superseded = 1 WHERE retain = 1 AND EXISTS
    (SELECT 1 FROM outbox n WHERE n.topic = outbox.topic AND n.id > outbox.id);

-- outbox_topic found superseded rows by walking every retained row; these two indexes hold
-- only the rows each question needs: the newest retained row of each topic (the one a new
-- row supersedes), and the superseded rows in id order (the ones to drop first).
DROP INDEX outbox_topic;
CREATE INDEX outbox_retained_current ON outbox (topic) WHERE retain = 1 AND superseded = 0;
CREATE INDEX outbox_superseded ON outbox (id) WHERE superseded = 1;

CREATE TRIGGER outbox_size_insert AFTER INSERT ON outbox
BEGIN
    UPDATE outbox_size SET rows = rows + 1;
END;

CREATE TRIGGER outbox_supersede AFTER INSERT ON outbox WHEN new.retain = 1
BEGIN
    UPDATE outbox SET superseded = 1
        WHERE topic = new.topic AND retain = 1 AND superseded = 0 AND id < new.id;
END;

CREATE TRIGGER outbox_size_delete AFTER DELETE ON outbox
BEGIN
    UPDATE outbox_size SET rows = rows - 1;
END;
