/* SPDX-License-Identifier: MIT
 * The SQL text of every statement the store prepares (store_int.h, enum store__stmt): all in
 * one table, prepared once at open with bound parameters, so what the store asks of the
 * schema (migrations/) reads in one place. The comments say why a statement has its shape.
 * Also what every file of the store runs its statements through: the translation of SQLite's
 * result codes to -errno, one step without a row, and the end of a walk over rows. This is the
 * store's lowest file: it calls no other.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>

#include <sqlite3.h>

/* The columns store_events_foreach() reads, in the order read_event() (store_read.c) expects;
 * the last seven, the frame's first reception, as STORE__NODE_LAST_RX has them. */
#define EVENT_COLUMNS                                                                              \
    "SELECT e.id, e.devaddr, f.fcnt, e.received_ms, e.time_ms, e.kind, f.fport, f.payload,"        \
    " e.class_id, e.confidence, e.age_s, e.duration_s, e.level_db,"                                \
    " e.battery_mv, e.temp_c, e.uptime_s, e.model_id, e.model_ver, e.inferences,"                  \
    " e.detections, e.tx_failures,"                                                                \
    " e.windows, e.anomalous, e.score_mean, e.score_max, e.peak_band, e.period_s,"                 \
    " f.bearer, f.gateway, f.received_ms, f.rssi, f.snr, f.freq_hz, f.datr"                        \
    " FROM events e JOIN frames f ON f.id = e.frame_id"
/* ?1 since, ?2 devaddr, ?3 class, ?4 limit (-1 = none). One statement per filter shape, so
 * each runs on its own index (schema: events_received, events_class; a node's events through
 * frames (devaddr, fcnt) and events_frame: events has no index on devaddr, see the schema). */
#define EVENT_ORDER " ORDER BY e.received_ms DESC, e.id DESC LIMIT ?4"

#define ALERT_COLUMNS                                                                              \
    "SELECT id, class, topic_key, level, state, seq, opened_ms, changed_ms, json FROM alerts"

#define NODE_COLUMNS                                                                               \
    "SELECT devaddr, name, profile, lat, lon, zone, nwkskey, appskey, has_fcnt, last_fcnt,"        \
    " last_seen_ms, battery_mv, created_ms, deveui, joineui, learn, learn_progress,"               \
    " learn_threshold FROM nodes"

#define CMD_COLUMNS                                                                                \
    "SELECT id, devaddr, op, payload, state, status, tries, created_ms, changed_ms, expires_ms"    \
    " FROM commands"

const char *const store__sql[STORE__STMT_COUNT] = {
    /* IMMEDIATE: take the write lock at once, so a busy database shows at the first write of
     * a batch (after the busy timeout), not as a failed COMMIT at its end. */
    [STORE__BEGIN] = "BEGIN IMMEDIATE",
    [STORE__COMMIT] = "COMMIT",
    [STORE__ROLLBACK] = "ROLLBACK",
    [STORE__NODE_ADD] =
        "INSERT INTO nodes (devaddr, name, profile, lat, lon, zone, nwkskey, appskey,"
        " has_fcnt, last_fcnt, last_seen_ms, battery_mv, created_ms, deveui, joineui, appkey)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    [STORE__NODE_GET] = NODE_COLUMNS " WHERE devaddr = ?1",
    /* The frame check's lookup: only what it reads. The whole row (three texts copied,
     * thirteen columns decoded) cost 7.3 k instructions per frame (callgrind, CoAP). */
    [STORE__NODE_AUTH] = "SELECT nwkskey, appskey, has_fcnt, last_fcnt, lat, lon, zone, session"
                         " FROM nodes WHERE devaddr = ?1",
    [STORE__NODE_LIST] = NODE_COLUMNS " ORDER BY devaddr",
    [STORE__NODE_REMOVE] = "DELETE FROM nodes WHERE devaddr = ?1",
    /* The counter may only move forward: a second guard behind the check in uplink.c. */
    /* A health message (?4 not NULL) also sets the learning state ?5..?7 (0005). */
    [STORE__NODE_SEEN] = "UPDATE nodes SET has_fcnt = 1, last_fcnt = ?2, last_seen_ms = ?3,"
                         " battery_mv = coalesce(?4, battery_mv), learn = coalesce(?5, learn),"
                         " learn_progress = coalesce(?6, learn_progress),"
                         " learn_threshold = coalesce(?7, learn_threshold)"
                         " WHERE devaddr = ?1 AND (has_fcnt = 0 OR last_fcnt < ?2)",
    /* What the operator may change of a node; keys and counters are the frame check's. */
    [STORE__NODE_UPDATE] = "UPDATE nodes SET name = ?2, profile = ?3, lat = ?4, lon = ?5,"
                           " zone = ?6 WHERE devaddr = ?1",
    /* The newest frame by session and counter, on the index of UNIQUE (devaddr, session,
     * fcnt). */
    [STORE__NODE_LAST_RX] = "SELECT bearer, gateway, received_ms, rssi, snr, freq_hz, datr"
                            " FROM frames WHERE devaddr = ?1"
                            " ORDER BY session DESC, fcnt DESC LIMIT 1",
    /* The command queue (migrations/0007_downlink.sql). The payload is written right after
     * the row, in the same transaction, because it carries the row id as sequence number. */
    [STORE__CMD_ADD] = "INSERT INTO commands (devaddr, op, payload, created_ms, changed_ms,"
                       " expires_ms) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
    [STORE__CMD_PAYLOAD] = "UPDATE commands SET payload = ?2 WHERE id = ?1",
    /* On the commands_pending index: the oldest command of the node still waiting. */
    [STORE__CMD_PENDING] = CMD_COLUMNS " WHERE devaddr = ?1 AND state IN ('queued', 'sent')"
                                       " ORDER BY id LIMIT 1",
    /* The node answers with the id's 16 low bits: the newest waiting command that has them. */
    [STORE__CMD_BY_SEQ] = CMD_COLUMNS " WHERE devaddr = ?1 AND state IN ('queued', 'sent')"
                                      " AND (id & 65535) = ?2 ORDER BY id DESC LIMIT 1",
    [STORE__CMD_SET] = "UPDATE commands SET state = ?2, status = coalesce(?3, status),"
                       " tries = tries + ?4, changed_ms = ?5 WHERE id = ?1",
    [STORE__CMD_ALL] = CMD_COLUMNS " ORDER BY id",
    [STORE__CMD_NODE] = CMD_COLUMNS " WHERE devaddr = ?1 ORDER BY id",
    [STORE__FCNT_DOWN_GET] = "SELECT fcnt_down FROM nodes WHERE devaddr = ?1",
    /* Only forward, as the uplink counter. */
    [STORE__FCNT_DOWN_SET] = "UPDATE nodes SET fcnt_down = ?2 WHERE devaddr = ?1"
                             " AND fcnt_down < ?2",
    /* Joins (migrations/0008_otaa.sql), on the nodes_deveui index. */
    [STORE__JOIN_DEVICE] = "SELECT devaddr, joineui, appkey, join_nonce FROM nodes"
                           " WHERE deveui = ?1",
    [STORE__JOIN_NONCE_USED] = "SELECT 1 FROM join_devnonces WHERE devaddr = ?1 AND devnonce = ?2",
    [STORE__JOIN_NONCE_ADD] = "INSERT INTO join_devnonces (devaddr, devnonce) VALUES (?1, ?2)",
    [STORE__JOIN_NEXT] = "UPDATE nodes SET join_nonce = ?2 WHERE devaddr = ?1 AND join_nonce < ?2",
    [STORE__JOIN_SESSION_PUT] = "INSERT OR REPLACE INTO join_sessions (devaddr, nwkskey, appskey,"
                                " devnonce, joined_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
    [STORE__JOIN_SESSION_GET] = "SELECT nwkskey, appskey FROM join_sessions WHERE devaddr = ?1",
    /* The new session starts both counters at 0 (LoRaWAN 1.0.3 section 6.2.5), and its
     * frames are told from the old ones by the session number. */
    [STORE__JOIN_ACTIVATE] = "UPDATE nodes SET (nwkskey, appskey, has_fcnt, last_fcnt, fcnt_down,"
                             " session) = (SELECT nwkskey, appskey, 0, 0, 0, nodes.session + 1"
                             " FROM join_sessions"
                             " WHERE devaddr = ?1) WHERE devaddr = ?1"
                             " AND EXISTS (SELECT 1 FROM join_sessions WHERE devaddr = ?1)",
    [STORE__JOIN_SESSION_DROP] = "DELETE FROM join_sessions WHERE devaddr = ?1",
    /* With its first reception (migrations/0003_first_reception.sql), in the node's session
     * (migrations/0011_frame_session.sql) as the frame check read it (store_node_auth()):
     * a subquery here on nodes cost 2.5 k instructions per frame (callgrind, CoAP). */
    [STORE__FRAME_ADD] =
        "INSERT INTO frames (devaddr, fcnt, fport, confirmed, received_ms, payload,"
        " bearer, gateway, rssi, snr, freq_hz, datr, session)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    /* A later copy refers to a frame of an earlier batch, which the CLI may have removed
     * since (node remove): with foreign keys off (store_daemon_mode()) the frame's
     * existence is checked here; no row inserted means no such frame. */
    [STORE__RX_ADD_LATER] =
        "INSERT INTO later_receptions (frame_id, bearer, gateway, time_ms, rssi,"
        " snr, freq_hz, datr) SELECT ?1, ?2, ?3, ?8, ?4, ?5, ?6, ?7"
        " WHERE EXISTS (SELECT 1 FROM frames WHERE id = ?1)",
    [STORE__EVENT_ADD] = "INSERT INTO events (frame_id, devaddr, kind, received_ms, time_ms,"
                         " class_id, confidence, age_s, duration_s, level_db,"
                         " battery_mv, temp_c, uptime_s, model_id, model_ver, inferences,"
                         " detections, tx_failures,"
                         " windows, anomalous, score_mean, score_max, peak_band, period_s)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                         " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
    [STORE__GWSTAT_ADD] = "INSERT INTO gateway_stats (gateway, time_ms, json) VALUES (?1, ?2, ?3)",
    /* store_uplink()'s undo of one frame: see undo_rows() in store_uplink.c. */
    [STORE__UNDO_EVENT] = "DELETE FROM events WHERE id = ?1",
    [STORE__UNDO_FRAME] = "DELETE FROM frames WHERE id = ?1",
    [STORE__COUNTER_ADD] =
        "INSERT INTO counters (bearer, reason, count) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (bearer, reason) DO UPDATE SET count = count + excluded.count",
    [STORE__COUNTERS] = "SELECT bearer, reason, count FROM counters",
    [STORE__EV_ALL] = EVENT_COLUMNS " WHERE e.received_ms >= ?1" EVENT_ORDER,
    [STORE__EV_NODE] = EVENT_COLUMNS " WHERE f.devaddr = ?2 AND e.received_ms >= ?1" EVENT_ORDER,
    [STORE__EV_CLASS] = EVENT_COLUMNS " WHERE e.class_id = ?3 AND e.received_ms >= ?1" EVENT_ORDER,
    [STORE__EV_NODE_CLASS] = EVENT_COLUMNS
    " WHERE f.devaddr = ?2 AND e.class_id = ?3 AND e.received_ms >= ?1" EVENT_ORDER,
    /* Oldest first, at most ?2 rows each; a frame goes only once nothing refers to it, so
     * no cascade deletes more rows than the budget says. Frames are taken oldest by id
     * (ids rise with reception; an index on received_ms would cost every commit a page):
     * after the clock went back, a frame is pruned once the ones before it are. */
    [STORE__PRUNE_EVENTS] = "DELETE FROM events WHERE id IN (SELECT id FROM events"
                            " WHERE received_ms < ?1 ORDER BY received_ms LIMIT ?2)",
    [STORE__PRUNE_RX] = "DELETE FROM later_receptions WHERE frame_id IN (SELECT f.id FROM"
                        " (SELECT id, received_ms FROM frames ORDER BY id LIMIT ?2) f"
                        " WHERE f.received_ms < ?1)",
    [STORE__PRUNE_FRAMES] =
        "DELETE FROM frames WHERE id IN (SELECT f.id FROM"
        " (SELECT id, received_ms FROM frames ORDER BY id LIMIT ?2) f"
        " WHERE f.received_ms < ?1"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.frame_id = f.id)"
        " AND NOT EXISTS (SELECT 1 FROM later_receptions r WHERE r.frame_id = f.id))",
    [STORE__PRUNE_GWSTATS] = "DELETE FROM gateway_stats WHERE id IN (SELECT id FROM gateway_stats"
                             " WHERE time_ms < ?1 ORDER BY time_ms LIMIT ?2)",
    [STORE__PRUNE_TRANSITIONS] = "DELETE FROM alert_transitions WHERE (alert_id, seq) IN"
                                 " (SELECT alert_id, seq FROM alert_transitions WHERE time_ms < ?1"
                                 " ORDER BY time_ms LIMIT ?2)",
    /* An active alert stays whatever its age: fusion continues it after a restart. */
    [STORE__PRUNE_ALERTS] =
        "DELETE FROM alerts WHERE id IN (SELECT a.id FROM alerts a"
        " WHERE a.state = 'cleared' AND a.changed_ms < ?1"
        " AND NOT EXISTS (SELECT 1 FROM alert_transitions t WHERE t.alert_id = a.id)"
        " ORDER BY a.changed_ms LIMIT ?2)",
    /* seq only rises: a transition older than the stored one never overwrites it. */
    [STORE__ALERT_PUT] = "INSERT INTO alerts (id, class, topic_key, level, state, seq, opened_ms,"
                         " changed_ms, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                         " ON CONFLICT (id) DO UPDATE SET level = excluded.level,"
                         " state = excluded.state, seq = excluded.seq,"
                         " changed_ms = excluded.changed_ms, json = excluded.json"
                         " WHERE excluded.seq > alerts.seq",
    [STORE__TRANSITION_ADD] = "INSERT INTO alert_transitions (alert_id, seq, time_ms, json)"
                              " VALUES (?1, ?2, ?3, ?4)",
    [STORE__ALERT_MAX_ID] = "SELECT coalesce(max(id), 0) FROM alerts",
    [STORE__ALERTS_ACTIVE] = ALERT_COLUMNS " WHERE state <> 'cleared' ORDER BY id",
    [STORE__ALERTS_RECENT] = ALERT_COLUMNS " ORDER BY changed_ms DESC, id DESC LIMIT ?1",
    [STORE__OUTBOX_ADD] = "INSERT INTO outbox (topic, payload, retain, created_ms)"
                          " VALUES (?1, ?2, ?3, ?4)",
    [STORE__OUTBOX_NEXT] = "SELECT id, topic, payload, retain FROM outbox WHERE id > ?1"
                           " ORDER BY id LIMIT ?2",
    [STORE__OUTBOX_DELETE] = "DELETE FROM outbox WHERE id = ?1",
    [STORE__OUTBOX_DEPTH] = "SELECT count(*), coalesce(min(created_ms), 0) FROM outbox",
    /* Kept by triggers (migrations/0004_outbox_bound.sql): count(*) walks every row, and
     * alert_record.c asks at every transition. */
    [STORE__OUTBOX_SIZE] = "SELECT rows FROM outbox_size",
    /* Both read an index in id order and stop at the limit: O(limit log n) whatever the
     * outbox holds (outbox_superseded holds only superseded rows). */
    [STORE__OUTBOX_SUPERSEDED] = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                                 " WHERE superseded = 1 ORDER BY id LIMIT ?1)",
    [STORE__OUTBOX_OLDEST] = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id"
                             " LIMIT ?1)",
    [STORE__COUNTER_GET] = "SELECT count FROM counters WHERE bearer = ?1 AND reason = ?2",
    [STORE__DATA_VERSION] = "PRAGMA data_version",
    /* In topic order: the caller merges it with the configs it wants, sorted the same way
     * (strcmp and SQLite's BINARY collation both compare bytes). */
    [STORE__DISCOVERY_LIST] = "SELECT topic, payload FROM ha_discovery ORDER BY topic",
    [STORE__DISCOVERY_PUT] = "INSERT INTO ha_discovery (topic, payload) VALUES (?1, ?2)"
                             " ON CONFLICT (topic) DO UPDATE SET payload = excluded.payload",
    [STORE__DISCOVERY_DELETE] = "DELETE FROM ha_discovery WHERE topic = ?1",
    /* migrations/0006_alertmanager.sql: a trigger deletes the alert's older row. */
    [STORE__AM_ADD] = "INSERT INTO am_outbox (alert_id, seq, json, created_ms)"
                      " VALUES (?1, ?2, ?3, ?4)",
    [STORE__AM_NEXT] = "SELECT id, alert_id, seq, json FROM am_outbox WHERE id > ?1"
                       " ORDER BY id LIMIT ?2",
    [STORE__AM_DELETE] = "DELETE FROM am_outbox WHERE id = ?1",
    [STORE__AM_DEPTH] = "SELECT count(*), coalesce(min(created_ms), 0) FROM am_outbox",
    [STORE__AM_NOTE_OK] = "UPDATE am_status SET last_ok_ms = ?1",
    [STORE__AM_NOTE_ERROR] = "UPDATE am_status SET last_error_ms = ?1, last_error = ?2",
    [STORE__AM_STATUS] = "SELECT last_ok_ms, last_error_ms, last_error FROM am_status",
    /* The alert must exist: a typo in an id is an error, not an ack of nothing. */
    [STORE__ACK_PUT] = "INSERT OR REPLACE INTO alert_acks (alert_id, by_name, note, time_ms,"
                       " silence_id) SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS"
                       " (SELECT 1 FROM alerts WHERE id = ?1)",
    [STORE__ACK_GET] = "SELECT by_name, note, time_ms, silence_id FROM alert_acks"
                       " WHERE alert_id = ?1",
};

int store__err_from_sqlite(struct store *s, int rc)
{
    int sys;

    (void)snprintf(s->errmsg, sizeof(s->errmsg), "%s",
                   s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return 0;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
            return -EEXIST;
        }
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
            return -ENOENT; /* the node or frame referred to is gone */
        }
        return -EINVAL; /* CHECK or NOT NULL: a value the schema refuses */
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_CANTOPEN:
        /* The operating system's reason (missing file, permissions) says more than EIO. */
        sys = s->db != NULL ? sqlite3_system_errno(s->db) : 0;
        return sys > 0 ? -sys : -EIO;
    default:
        return -EIO;
    }
}

int store__run(struct store *s, enum store__stmt id)
{
    sqlite3_stmt *st = s->st[id];
    int rc = sqlite3_step(st);
    int ret = 0;

    if (rc != SQLITE_DONE) {
        ret = store__err_from_sqlite(s, rc);
        if (ret == 0) {
            ret = -EIO; /* a row where none was expected: a statement of ours is wrong */
        }
    }
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    return ret;
}

int store__walk_end(struct store *s, sqlite3_stmt *st, int rc, int ret)
{
    if (ret == 0 && rc != SQLITE_DONE) {
        ret = store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    return ret;
}
