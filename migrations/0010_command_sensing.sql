-- SPDX-License-Identifier: MIT
-- 0010_command_sensing: the sensing command (proto/SPEC.md section 9.1, op 8) carries 12
-- bytes of arguments, so a command's FRMPayload is now 4..16 bytes. SQLite cannot change a
-- CHECK in place: the table is rebuilt with its rows, ids and index (nothing refers to it).
CREATE TABLE commands_new (
    id         INTEGER PRIMARY KEY,
    devaddr    INTEGER NOT NULL REFERENCES nodes (devaddr) ON DELETE CASCADE,
    op         INTEGER NOT NULL CHECK (op BETWEEN 1 AND 255),
    payload    BLOB    NOT NULL CHECK (length(payload) BETWEEN 4 AND 16),
    state      TEXT    NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sent', 'acknowledged', 'failed', 'expired')),
    status     TEXT    NOT NULL DEFAULT '',
    tries      INTEGER NOT NULL DEFAULT 0 CHECK (tries >= 0),
    created_ms INTEGER NOT NULL,
    changed_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
) STRICT;
INSERT INTO commands_new SELECT id, devaddr, op, payload, state, status, tries, created_ms,
    changed_ms, expires_ms FROM commands;
DROP TABLE commands;
ALTER TABLE commands_new RENAME TO commands;
CREATE INDEX commands_pending ON commands (devaddr, id) WHERE state IN ('queued', 'sent');
