-- SPDX-License-Identifier: MIT
-- 0011_frame_session: a node that joins again counts its frames from 0 (LoRaWAN 1.0.3
-- section 6.2.5), so a frame is one of its session, not of its DevAddr alone. With
-- UNIQUE (devaddr, fcnt) the first frames of a new session were refused as storage failures
-- until the counter passed the old session's. The key is now (devaddr, session, fcnt): the
-- store's last line of defence against storing a frame twice still holds within a session,
-- and replays of an old session are refused by the frame check (its keys are gone).

-- session: how many joined sessions the node has started (store_join_activate() adds one);
-- 0 for an ABP node and for an OTAA node before its first join.
ALTER TABLE nodes ADD COLUMN session INTEGER NOT NULL DEFAULT 0 CHECK (session >= 0);

-- SQLite cannot change a table's constraints in place: the table is built again and the rows
-- copied (https://sqlite.org/lang_altertable.html, "other kinds of table schema changes").
-- The migration runs with foreign keys off (store.c migrate()), so dropping the old table
-- cascades to nothing: events and later_receptions keep their rows and refer, by name and
-- id, to the new table; PRAGMA foreign_key_check runs before the commit. The view on
-- frames is dropped first and made again (a rename checks the views that name the table).
DROP VIEW receptions;

CREATE TABLE frames_new (
    id          INTEGER PRIMARY KEY,
    devaddr     INTEGER NOT NULL REFERENCES nodes (devaddr) ON DELETE CASCADE,
    session     INTEGER NOT NULL DEFAULT 0 CHECK (session >= 0),
    fcnt        INTEGER NOT NULL CHECK (fcnt BETWEEN 0 AND 4294967295),
    fport       INTEGER NOT NULL CHECK (fport BETWEEN 0 AND 255),
    confirmed   INTEGER NOT NULL CHECK (confirmed IN (0, 1)),
    received_ms INTEGER NOT NULL,
    payload     BLOB    NOT NULL,
    bearer      TEXT,
    gateway     TEXT,
    rssi        INTEGER,
    snr         REAL,
    freq_hz     INTEGER,
    datr        TEXT,
    UNIQUE (devaddr, session, fcnt)
) STRICT;

INSERT INTO frames_new (id, devaddr, session, fcnt, fport, confirmed, received_ms, payload,
                        bearer, gateway, rssi, snr, freq_hz, datr)
    SELECT id, devaddr, 0, fcnt, fport, confirmed, received_ms, payload,
           bearer, gateway, rssi, snr, freq_hz, datr FROM frames;
DROP TABLE frames;
ALTER TABLE frames_new RENAME TO frames;

CREATE VIEW receptions (frame_id, bearer, gateway, time_ms, rssi, snr, freq_hz, datr) AS
    SELECT id, bearer, gateway, received_ms, rssi, snr, freq_hz, datr FROM frames
    WHERE bearer IS NOT NULL
    UNION ALL
    SELECT frame_id, bearer, gateway, time_ms, rssi, snr, freq_hz, datr FROM later_receptions;
