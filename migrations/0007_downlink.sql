-- SPDX-License-Identifier: MIT
-- 0007_downlink: the gateway talks back. Each node gets its downlink frame counter, and a
-- queue of commands (proto/SPEC.md section 9) the operator asks for with
-- `tinyfleet node command` and the daemon sends in the node's receive windows.

-- fcnt_down: the next FCntDown to use for this node (LoRaWAN 1.0.3 section 4.3.1.5). It only
-- rises, and is written in the same transaction that commits to sending a downlink with it, so
-- a node never sees one counter twice, even across a restart.
ALTER TABLE nodes ADD COLUMN fcnt_down INTEGER NOT NULL DEFAULT 0
    CHECK (fcnt_down BETWEEN 0 AND 4294967296);

-- commands: one row per command. The node sees id's low 16 bits as the sequence number, and
-- answers with them (FPort 11). payload is the FPort 10 FRMPayload, sequence number included,
-- encoded once when the command is queued. state: queued (not sent yet), sent (in a downlink,
-- no answer yet; tries counts downlinks), acknowledged (the node applied it), failed (the node
-- refused it, status says why, or it was sent the maximum number of times without an answer),
-- expired (not answered before expires_ms). status: the node's answer, '' until there is one.
CREATE TABLE commands (
    id         INTEGER PRIMARY KEY,
    devaddr    INTEGER NOT NULL REFERENCES nodes (devaddr) ON DELETE CASCADE,
    op         INTEGER NOT NULL CHECK (op BETWEEN 1 AND 255),
    payload    BLOB    NOT NULL CHECK (length(payload) BETWEEN 4 AND 8),
    state      TEXT    NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sent', 'acknowledged', 'failed', 'expired')),
    status     TEXT    NOT NULL DEFAULT '',
    tries      INTEGER NOT NULL DEFAULT 0 CHECK (tries >= 0),
    created_ms INTEGER NOT NULL,
    changed_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
) STRICT;
-- The daemon's question at every uplink: this node's oldest command still waiting.
CREATE INDEX commands_pending ON commands (devaddr, id) WHERE state IN ('queued', 'sent');
