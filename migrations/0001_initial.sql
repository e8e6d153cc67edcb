-- SPDX-License-Identifier: MIT
-- 0001_initial: the gateway's first schema (issue 3): node registry, accepted frames, their
-- receptions, the events decoded from them, forwarder health and the ingest counters.
-- Applied by store.c inside one transaction that also sets PRAGMA user_version = 1; later
-- changes (alerts, the MQTT outbox) come as new files, never as edits here.
-- Every table is STRICT (SQLite >= 3.37), so a value of the wrong type is an error, not a
-- silent conversion. Times are Unix milliseconds (INTEGER); DevAddrs are the 32-bit number
-- as written on the device (26011F00 is 637607680).

-- nodes: the registry. One row per ABP device; keys never leave the gateway unless the
-- operator asks (`tinyfleet node show --show-keys`). The counter fields are what the replay
-- check reads: has_fcnt = 0 until the first frame is accepted, then last_fcnt is the last
-- accepted 32-bit uplink counter. Removing a node removes its history (ON DELETE CASCADE).
CREATE TABLE nodes (
    devaddr      INTEGER PRIMARY KEY CHECK (devaddr BETWEEN 0 AND 4294967295),
    name         TEXT    NOT NULL DEFAULT '',
    profile      TEXT    NOT NULL DEFAULT '',
    lat          REAL    CHECK (lat BETWEEN -90.0 AND 90.0),
    lon          REAL    CHECK (lon BETWEEN -180.0 AND 180.0),
    zone         TEXT    NOT NULL DEFAULT '',
    nwkskey      BLOB    NOT NULL CHECK (length(nwkskey) = 16),
    appskey      BLOB    NOT NULL CHECK (length(appskey) = 16),
    has_fcnt     INTEGER NOT NULL DEFAULT 0 CHECK (has_fcnt IN (0, 1)),
    last_fcnt    INTEGER NOT NULL DEFAULT 0 CHECK (last_fcnt BETWEEN 0 AND 4294967295),
    last_seen_ms INTEGER NOT NULL DEFAULT 0,
    battery_mv   INTEGER NOT NULL DEFAULT -1,
    created_ms   INTEGER NOT NULL,
    CHECK ((lat IS NULL) = (lon IS NULL))
) STRICT;

-- frames: one row per accepted frame, written in the same transaction as its events.
-- UNIQUE (devaddr, fcnt) is the last line of defence against storing a frame twice: the
-- counter check should already have refused it, and if it did not, the insert fails.
-- The index behind it also serves the cascade from nodes. payload is the decrypted
-- FRMPayload (empty for a frame without FPort); it is what a raw event shows.
CREATE TABLE frames (
    id          INTEGER PRIMARY KEY,
    devaddr     INTEGER NOT NULL REFERENCES nodes (devaddr) ON DELETE CASCADE,
    fcnt        INTEGER NOT NULL CHECK (fcnt BETWEEN 0 AND 4294967295),
    fport       INTEGER NOT NULL CHECK (fport BETWEEN 0 AND 255),
    confirmed   INTEGER NOT NULL CHECK (confirmed IN (0, 1)),
    received_ms INTEGER NOT NULL,
    payload     BLOB    NOT NULL,
    UNIQUE (devaddr, fcnt)
) STRICT;
CREATE INDEX frames_received ON frames (received_ms);

-- receptions: every copy of a frame the gateway heard: the first one, stored with the frame,
-- and later ones from other forwarders (deduplicated, they only add a row here).
-- bearer is store_bearer_name() ('coap', 'lora'); gateway is the forwarder EUI (16 hex
-- digits) or the CoAP peer; the radio fields are NULL for CoAP.
CREATE TABLE receptions (
    id       INTEGER PRIMARY KEY,
    frame_id INTEGER NOT NULL REFERENCES frames (id) ON DELETE CASCADE,
    bearer   TEXT    NOT NULL,
    gateway  TEXT    NOT NULL,
    time_ms  INTEGER NOT NULL,
    rssi     INTEGER,
    snr      REAL,
    freq_hz  INTEGER,
    datr     TEXT
) STRICT;
CREATE INDEX receptions_frame ON receptions (frame_id);

-- events: what the frames said, one row per detection record, or one per health message,
-- anomaly summary or raw payload. devaddr and received_ms repeat the frame's so that the
-- CLI's queries newest first and by class each run on one index without a join. By node
-- they go through frames (devaddr, fcnt) and events_frame instead of an index of their own:
-- an index on (devaddr, ...) takes each node's rows at a different place, so a batch of
-- frames from N nodes dirties N of its pages, each written whole to the WAL at the commit.
-- Measured (forwarder ingest, 1,000 nodes, 200,000 frames): with it, 6.7 kB written and
-- 5.5 kB read per frame instead of 3.4 kB and 1.9 kB, and 44 k instead of 58 k frames per
-- second of the daemon's CPU time (median of three).
-- time_ms is when it happened: received minus age_s for a detection, received otherwise.
-- The message fields are typed columns, NULL where a kind has no such field, rather than a
-- JSON text or a blob: SQL (fusion's reload of its windows, the sqlite3 shell, a CHECK) can
-- read them directly, nothing has to be parsed back, and a NULL costs one header byte. The
-- values are the wire values: confidence is the byte (p = confidence / 255). A raw event
-- has none of them; its FPort and bytes are in its frame.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    frame_id    INTEGER NOT NULL REFERENCES frames (id) ON DELETE CASCADE,
    devaddr     INTEGER NOT NULL,
    -- Spelled out with OR: SQLite codes `kind IN (four constants)` in a CHECK as a temporary
    -- b-tree built for every row inserted, measured at 29 k instructions per event (more
    -- than the rest of the insert); the comparisons cost a few dozen.
    kind        TEXT    NOT NULL CHECK (kind = 'detection' OR kind = 'health' OR kind = 'anomaly'
                                        OR kind = 'raw'),
    received_ms INTEGER NOT NULL,
    time_ms     INTEGER NOT NULL,
    -- detection (FPort 1), one record
    class_id    INTEGER CHECK (class_id BETWEEN 0 AND 255),
    confidence  INTEGER CHECK (confidence BETWEEN 0 AND 255),
    age_s       INTEGER CHECK (age_s BETWEEN 0 AND 65535),
    duration_s  INTEGER CHECK (duration_s BETWEEN 0 AND 255),
    level_db    INTEGER CHECK (level_db BETWEEN 0 AND 255),
    -- health (FPort 2); counts since the previous health message
    battery_mv  INTEGER CHECK (battery_mv BETWEEN 0 AND 65535),
    temp_c      INTEGER CHECK (temp_c BETWEEN -128 AND 127),
    uptime_s    INTEGER CHECK (uptime_s BETWEEN 0 AND 4294967295),
    model_id    INTEGER CHECK (model_id BETWEEN 0 AND 65535),
    model_ver   INTEGER CHECK (model_ver BETWEEN 0 AND 255),
    inferences  INTEGER CHECK (inferences BETWEEN 0 AND 65535),
    detections  INTEGER CHECK (detections BETWEEN 0 AND 65535),
    tx_failures INTEGER CHECK (tx_failures BETWEEN 0 AND 255),
    -- anomaly summary (FPort 3)
    windows     INTEGER CHECK (windows BETWEEN 0 AND 255),
    anomalous   INTEGER CHECK (anomalous BETWEEN 0 AND 255),
    score_mean  INTEGER CHECK (score_mean BETWEEN 0 AND 255),
    score_max   INTEGER CHECK (score_max BETWEEN 0 AND 255),
    peak_band   INTEGER CHECK (peak_band BETWEEN 0 AND 255),
    period_s    INTEGER CHECK (period_s BETWEEN 0 AND 65535),
    CHECK ((kind = 'detection') = (class_id IS NOT NULL))
) STRICT;
CREATE INDEX events_received ON events (received_ms);
CREATE INDEX events_class ON events (class_id, received_ms) WHERE class_id IS NOT NULL;
CREATE INDEX events_frame ON events (frame_id);

-- gateway_stats: the `stat` objects packet forwarders send (Semtech protocol v2), kept as
-- the JSON text they arrived in: their fields vary between forwarder versions and nothing
-- here queries them field by field. Pruned with the events.
CREATE TABLE gateway_stats (
    id      INTEGER PRIMARY KEY,
    gateway TEXT    NOT NULL,
    time_ms INTEGER NOT NULL,
    json    TEXT    NOT NULL
) STRICT;
CREATE INDEX gateway_stats_time ON gateway_stats (time_ms);

-- counters: accepted and refused frames and datagrams, by bearer and reason, as of the last
-- store_flush(). Keyed by the stable names of store_bearer_name() and store_reason_name(),
-- not by enum numbers, so reordering or extending the enums cannot mislabel old counts.
CREATE TABLE counters (
    bearer TEXT    NOT NULL,
    reason TEXT    NOT NULL,
    count  INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (bearer, reason)
) STRICT, WITHOUT ROWID;
