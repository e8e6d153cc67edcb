-- SPDX-License-Identifier: MIT
-- 0008_otaa: over-the-air activation (LoRaWAN 1.0.x join, proto/SPEC.md section 1.6).
-- An OTAA node is a nodes row like any other, with its DevAddr handed out at `node add
-- --otaa` and kept across joins, so its history, commands and name stay one node. Until its
-- first join its session keys are random bytes nobody holds: no frame verifies.

-- deveui, joineui: 16 upper-case hex digits as written on the device; NULL for ABP nodes.
-- appkey: the root key the node joins with. join_nonce: the last JoinNonce (AppNonce) sent
-- to this node; it only rises, so no two JoinAccepts under one AppKey derive the same keys.
ALTER TABLE nodes ADD COLUMN deveui TEXT
    CHECK (deveui IS NULL OR (length(deveui) = 16 AND deveui NOT GLOB '*[^0-9A-F]*'));
ALTER TABLE nodes ADD COLUMN joineui TEXT
    CHECK (joineui IS NULL OR (length(joineui) = 16 AND joineui NOT GLOB '*[^0-9A-F]*'));
ALTER TABLE nodes ADD COLUMN appkey BLOB CHECK (appkey IS NULL OR length(appkey) = 16);
ALTER TABLE nodes ADD COLUMN join_nonce INTEGER NOT NULL DEFAULT 0
    CHECK (join_nonce BETWEEN 0 AND 16777215);
CREATE UNIQUE INDEX nodes_deveui ON nodes (deveui) WHERE deveui IS NOT NULL;

-- join_sessions: the session a JoinAccept opened and the node has not used yet. The node's
-- old keys stay in nodes until its first frame under the new ones verifies (a JoinAccept the
-- node never heard must not cut it off); then they move there and this row goes.
CREATE TABLE join_sessions (
    devaddr   INTEGER PRIMARY KEY REFERENCES nodes (devaddr) ON DELETE CASCADE,
    nwkskey   BLOB    NOT NULL CHECK (length(nwkskey) = 16),
    appskey   BLOB    NOT NULL CHECK (length(appskey) = 16),
    devnonce  INTEGER NOT NULL CHECK (devnonce BETWEEN 0 AND 65535),
    joined_ms INTEGER NOT NULL
) STRICT;

-- join_devnonces: every DevNonce a node joined with. A JoinRequest repeating one is a replay
-- (LoRaWAN 1.0.3 section 6.2.4) and is refused.
CREATE TABLE join_devnonces (
    devaddr  INTEGER NOT NULL REFERENCES nodes (devaddr) ON DELETE CASCADE,
    devnonce INTEGER NOT NULL CHECK (devnonce BETWEEN 0 AND 65535),
    PRIMARY KEY (devaddr, devnonce)
) STRICT, WITHOUT ROWID;
