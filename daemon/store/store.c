/* SPDX-License-Identifier: MIT
 * The gateway's SQLite storage (see store.h). One connection per process, WAL, every
 * statement prepared once in store_open() with bound parameters and reset after each use.
 * The daemon's writes go into one open transaction (the batch) that only store_flush()
 * commits; a frame refused half-way is undone row by row, so it never costs the others.
 * SQLite result codes become -errno in one place, err_from_sqlite().
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store_int.h"

/* The CLI and the daemon share the file: a writer waits this long for the other's lock. */
#define BUSY_TIMEOUT_MS 5000

/* Room for SQLite's message plus our context (path, migration name). */
#define ERRMSG_LEN 256

/* The columns store_events_foreach() reads, in the order read_event() expects. */
#define EVENT_COLUMNS                                                                              \
    "SELECT e.id, e.devaddr, f.fcnt, e.received_ms, e.time_ms, e.kind, f.fport, f.payload,"        \
    " e.class_id, e.confidence, e.age_s, e.duration_s, e.level_db,"                                \
    " e.battery_mv, e.temp_c, e.uptime_s, e.model_id, e.model_ver, e.inferences,"                  \
    " e.detections, e.tx_failures,"                                                                \
    " e.windows, e.anomalous, e.score_mean, e.score_max, e.peak_band, e.period_s"                  \
    " FROM events e JOIN frames f ON f.id = e.frame_id"
/* ?1 since, ?2 devaddr, ?3 class, ?4 limit (-1 = none). One statement per filter shape, so
 * each runs on its own index (schema: events_received, events_class; a node's events through
 * frames (devaddr, fcnt) and events_frame: events has no index on devaddr, see the schema). */
#define EVENT_ORDER " ORDER BY e.received_ms DESC, e.id DESC LIMIT ?4"

#define ALERT_COLUMNS                                                                              \
    "SELECT id, class, topic_key, level, state, seq, opened_ms, changed_ms, json FROM alerts"

#define NODE_COLUMNS                                                                               \
    "SELECT devaddr, name, profile, lat, lon, zone, nwkskey, appskey, has_fcnt, last_fcnt,"        \
    " last_seen_ms, battery_mv, created_ms FROM nodes"

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_NODE_ADD,
    ST_NODE_GET,
    ST_NODE_AUTH,
    ST_NODE_LIST,
    ST_NODE_REMOVE,
    ST_NODE_SEEN,
    ST_FRAME_ADD,
    ST_RX_ADD_LATER,
    ST_EVENT_ADD,
    ST_GWSTAT_ADD,
    ST_UNDO_EVENT,
    ST_UNDO_FRAME,
    ST_COUNTER_ADD,
    ST_COUNTERS,
    ST_EV_ALL,
    ST_EV_NODE,
    ST_EV_CLASS,
    ST_EV_NODE_CLASS,
    ST_PRUNE_EVENTS,
    ST_PRUNE_RX,
    ST_PRUNE_FRAMES,
    ST_PRUNE_GWSTATS,
    ST_PRUNE_TRANSITIONS,
    ST_PRUNE_ALERTS,
    ST_ALERT_PUT,
    ST_TRANSITION_ADD,
    ST_ALERT_MAX_ID,
    ST_ALERTS_ACTIVE,
    ST_ALERTS_RECENT,
    ST_OUTBOX_ADD,
    ST_OUTBOX_NEXT,
    ST_OUTBOX_DELETE,
    ST_OUTBOX_DEPTH,
    ST_OUTBOX_SPAN,
    ST_OUTBOX_SUPERSEDED,
    ST_OUTBOX_OLDEST,
    ST_COUNTER_GET,
    ST_DATA_VERSION,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    /* IMMEDIATE: take the write lock at once, so a busy database shows at the first write of
     * a batch (after the busy timeout), not as a failed COMMIT at its end. */
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_NODE_ADD] = "INSERT INTO nodes (devaddr, name, profile, lat, lon, zone, nwkskey, appskey,"
                    " has_fcnt, last_fcnt, last_seen_ms, battery_mv, created_ms)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [ST_NODE_GET] = NODE_COLUMNS " WHERE devaddr = ?1",
    /* The frame check's lookup: only what it reads. The whole row (three texts copied,
     * thirteen columns decoded) cost 7.3 k instructions per frame (callgrind, CoAP). */
    [ST_NODE_AUTH] = "SELECT nwkskey, appskey, has_fcnt, last_fcnt, lat, lon, zone FROM nodes"
                     " WHERE devaddr = ?1",
    [ST_NODE_LIST] = NODE_COLUMNS " ORDER BY devaddr",
    [ST_NODE_REMOVE] = "DELETE FROM nodes WHERE devaddr = ?1",
    /* The counter may only move forward: a second guard behind the check in uplink.c. */
    [ST_NODE_SEEN] = "UPDATE nodes SET has_fcnt = 1, last_fcnt = ?2, last_seen_ms = ?3,"
                     " battery_mv = coalesce(?4, battery_mv)"
                     " WHERE devaddr = ?1 AND (has_fcnt = 0 OR last_fcnt < ?2)",
    /* With its first reception (migrations/0003_first_reception.sql). */
    [ST_FRAME_ADD] = "INSERT INTO frames (devaddr, fcnt, fport, confirmed, received_ms, payload,"
                     " bearer, gateway, rssi, snr, freq_hz, datr)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    /* A later copy refers to a frame of an earlier batch, which the CLI may have removed
     * since (node remove): with foreign keys off (store_daemon_mode()) the frame's
     * existence is checked here; no row inserted means no such frame. */
    [ST_RX_ADD_LATER] = "INSERT INTO later_receptions (frame_id, bearer, gateway, time_ms, rssi,"
                        " snr, freq_hz, datr) SELECT ?1, ?2, ?3, ?8, ?4, ?5, ?6, ?7"
                        " WHERE EXISTS (SELECT 1 FROM frames WHERE id = ?1)",
    [ST_EVENT_ADD] = "INSERT INTO events (frame_id, devaddr, kind, received_ms, time_ms,"
                     " class_id, confidence, age_s, duration_s, level_db,"
                     " battery_mv, temp_c, uptime_s, model_id, model_ver, inferences,"
                     " detections, tx_failures,"
                     " windows, anomalous, score_mean, score_max, peak_band, period_s)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                     " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
    [ST_GWSTAT_ADD] = "INSERT INTO gateway_stats (gateway, time_ms, json) VALUES (?1, ?2, ?3)",
    /* store_uplink()'s undo of one frame: see undo_rows(). */
    [ST_UNDO_EVENT] = "DELETE FROM events WHERE id = ?1",
    [ST_UNDO_FRAME] = "DELETE FROM frames WHERE id = ?1",
    [ST_COUNTER_ADD] = "INSERT INTO counters (bearer, reason, count) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (bearer, reason) DO UPDATE SET count = count + excluded.count",
    [ST_COUNTERS] = "SELECT bearer, reason, count FROM counters",
    [ST_EV_ALL] = EVENT_COLUMNS " WHERE e.received_ms >= ?1" EVENT_ORDER,
    [ST_EV_NODE] = EVENT_COLUMNS " WHERE f.devaddr = ?2 AND e.received_ms >= ?1" EVENT_ORDER,
    [ST_EV_CLASS] = EVENT_COLUMNS " WHERE e.class_id = ?3 AND e.received_ms >= ?1" EVENT_ORDER,
    [ST_EV_NODE_CLASS] = EVENT_COLUMNS
    " WHERE f.devaddr = ?2 AND e.class_id = ?3 AND e.received_ms >= ?1" EVENT_ORDER,
    /* Oldest first, at most ?2 rows each; a frame goes only once nothing refers to it, so
     * no cascade deletes more rows than the budget says. Frames are taken oldest by id
     * (ids rise with reception; an index on received_ms would cost every commit a page):
     * after the clock went back, a frame is pruned once the ones before it are. */
    [ST_PRUNE_EVENTS] = "DELETE FROM events WHERE id IN (SELECT id FROM events"
                        " WHERE received_ms < ?1 ORDER BY received_ms LIMIT ?2)",
    [ST_PRUNE_RX] = "DELETE FROM later_receptions WHERE frame_id IN (SELECT f.id FROM"
                    " (SELECT id, received_ms FROM frames ORDER BY id LIMIT ?2) f"
                    " WHERE f.received_ms < ?1)",
    [ST_PRUNE_FRAMES] =
        "DELETE FROM frames WHERE id IN (SELECT f.id FROM"
        " (SELECT id, received_ms FROM frames ORDER BY id LIMIT ?2) f"
        " WHERE f.received_ms < ?1"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.frame_id = f.id)"
        " AND NOT EXISTS (SELECT 1 FROM later_receptions r WHERE r.frame_id = f.id))",
    [ST_PRUNE_GWSTATS] = "DELETE FROM gateway_stats WHERE id IN (SELECT id FROM gateway_stats"
                         " WHERE time_ms < ?1 ORDER BY time_ms LIMIT ?2)",
    [ST_PRUNE_TRANSITIONS] = "DELETE FROM alert_transitions WHERE (alert_id, seq) IN"
                             " (SELECT alert_id, seq FROM alert_transitions WHERE time_ms < ?1"
                             " ORDER BY time_ms LIMIT ?2)",
    /* An active alert stays whatever its age: fusion continues it after a restart. */
    [ST_PRUNE_ALERTS] =
        "DELETE FROM alerts WHERE id IN (SELECT a.id FROM alerts a"
        " WHERE a.state = 'cleared' AND a.changed_ms < ?1"
        " AND NOT EXISTS (SELECT 1 FROM alert_transitions t WHERE t.alert_id = a.id)"
        " ORDER BY a.changed_ms LIMIT ?2)",
    /* seq only rises: a transition older than the stored one never overwrites it. */
    [ST_ALERT_PUT] = "INSERT INTO alerts (id, class, topic_key, level, state, seq, opened_ms,"
                     " changed_ms, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                     " ON CONFLICT (id) DO UPDATE SET level = excluded.level,"
                     " state = excluded.state, seq = excluded.seq,"
                     " changed_ms = excluded.changed_ms, json = excluded.json"
                     " WHERE excluded.seq > alerts.seq",
    [ST_TRANSITION_ADD] = "INSERT INTO alert_transitions (alert_id, seq, time_ms, json)"
                          " VALUES (?1, ?2, ?3, ?4)",
    [ST_ALERT_MAX_ID] = "SELECT coalesce(max(id), 0) FROM alerts",
    [ST_ALERTS_ACTIVE] = ALERT_COLUMNS " WHERE state <> 'cleared' ORDER BY id",
    [ST_ALERTS_RECENT] = ALERT_COLUMNS " ORDER BY changed_ms DESC, id DESC LIMIT ?1",
    [ST_OUTBOX_ADD] = "INSERT INTO outbox (topic, payload, retain, created_ms)"
                      " VALUES (?1, ?2, ?3, ?4)",
    [ST_OUTBOX_NEXT] = "SELECT id, topic, payload, retain FROM outbox WHERE id > ?1"
                       " ORDER BY id LIMIT ?2",
    [ST_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id = ?1",
    [ST_OUTBOX_DEPTH] = "SELECT count(*), coalesce(min(created_ms), 0) FROM outbox",
    /* An upper bound of the row count from the ends of the rowid b-tree, O(log n): count(*)
     * walks every row, and alerts.c asks at every transition. */
    [ST_OUTBOX_SPAN] = "SELECT coalesce((SELECT max(id) FROM outbox) - (SELECT min(id) FROM outbox)"
                       " + 1, 0)",
    [ST_OUTBOX_SUPERSEDED] = "DELETE FROM outbox WHERE id IN (SELECT o.id FROM outbox o"
                             " WHERE o.retain = 1 AND EXISTS (SELECT 1 FROM outbox n"
                             " WHERE n.topic = o.topic AND n.id > o.id)"
                             " ORDER BY o.id LIMIT ?1)",
    [ST_OUTBOX_OLDEST] = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id"
                         " LIMIT ?1)",
    [ST_COUNTER_GET] = "SELECT count FROM counters WHERE bearer = ?1 AND reason = ?2",
    [ST_DATA_VERSION] = "PRAGMA data_version",
};

/* What the frame check and fusion read of a node, cached in daemon mode (auth_clear()). */
struct auth_entry {
    uint32_t devaddr;
    bool has_fcnt;
    bool has_position;
    uint32_t last_fcnt;
    double lat;
    double lon;
    uint8_t nwkskey[PROTO_AES_KEY];
    uint8_t appskey[PROTO_AES_KEY];
    char zone[sizeof(((struct store_node *)0)->zone)];
};

/* Past this many nodes the cache starts again empty rather than grow without bound. */
#define AUTH_CACHE_MAX 262144u

struct store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    bool in_batch;      /* BEGIN IMMEDIATE ran, COMMIT not yet */
    bool batch_lost;    /* SQLite rolled the batch back by itself; store_flush() must say so */
    bool counts_dirty;  /* delta holds something */
    bool daemon_mode;   /* store_daemon_mode(): foreign keys off, node reads open the batch */
    int schema_version; /* PRAGMA user_version after migration */
    int wal_fd;         /* store_wal_fd(), -1 until asked for */
    uint64_t delta[STORE_BEARER_COUNT][STORE_REASON_COUNT]; /* counts since the last commit */
    struct auth_entry *auth; /* daemon mode: the node cache, auth_used of auth_cap entries */
    size_t auth_cap;
    size_t auth_used;
    uint32_t *auth_index; /* auth_slots (a power of two, or 0): entry index + 1, 0 = free */
    size_t auth_slots;
    int64_t data_version;          /* PRAGMA data_version when the cache was last known valid */
    store_uplink_hook uplink_hook; /* store_set_uplink_hook() */
    void *uplink_hook_arg;
    store_wal_hook wal_hook; /* store_set_wal_hook() */
    void *wal_hook_arg;
    int wal_pages; /* in the WAL after the last commit, as the WAL hook saw it */
    char errmsg[ERRMSG_LEN];
};

static void auth_clear(struct store *s);

static const char *const bearer_names[STORE_BEARER_COUNT] = {
    [STORE_BEARER_COAP] = "coap",
    [STORE_BEARER_LORA] = "lora",
};

static const char *const reason_names[STORE_REASON_COUNT] = {
    [STORE_ACCEPTED] = "accepted",
    [STORE_DUPLICATE] = "duplicate",
    [STORE_MALFORMED] = "malformed",
    [STORE_UNKNOWN_NODE] = "unknown_node",
    [STORE_BAD_MIC] = "bad_mic",
    [STORE_REPLAY] = "replay",
    [STORE_BAD_PAYLOAD] = "bad_payload",
    [STORE_BAD_DATAGRAM] = "bad_datagram",
    [STORE_STORAGE_FAILED] = "storage_failed",
};

const char *store_bearer_name(enum store_bearer b)
{
    return (unsigned)b < STORE_BEARER_COUNT ? bearer_names[b] : "unknown";
}

const char *store_reason_name(enum store_reason r)
{
    return (unsigned)r < STORE_REASON_COUNT ? reason_names[r] : "unknown";
}

/*
 * The one translation from SQLite result codes (extended codes are on) to -errno, as
 * STYLE.md section 3 asks. Keeps SQLite's message for store_errmsg(); call it right after
 * the failing call, before anything else runs on the connection.
 */
static int err_from_sqlite(struct store *s, int rc)
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

/* Steps @st once, expecting no row, then resets it and drops its bindings (some point at
 * the caller's buffers). Return: 0 or -errno. */
static int run(struct store *s, enum stmt_id id)
{
    sqlite3_stmt *st = s->st[id];
    int rc = sqlite3_step(st);
    int ret = 0;

    if (rc != SQLITE_DONE) {
        ret = err_from_sqlite(s, rc);
        if (ret == 0) {
            ret = -EIO; /* a row where none was expected: a statement of ours is wrong */
        }
    }
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    return ret;
}

/* Collects bind results so a long parameter list needs one check. */
struct binder {
    sqlite3_stmt *st;
    int rc; /* the first failure, SQLITE_OK while none */
};

static void bind_int(struct binder *b, int i, int64_t v)
{
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_int64(b->st, i, v);
    }
}

static void bind_double(struct binder *b, int i, double v)
{
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_double(b->st, i, v);
    }
}

/* Text and blobs are bound SQLITE_STATIC: every caller steps before its buffers go away,
 * and run() clears the bindings. */
static void bind_text(struct binder *b, int i, const char *t)
{
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_text(b->st, i, t, -1, SQLITE_STATIC);
    }
}

static void bind_blob(struct binder *b, int i, const void *p, size_t len)
{
    if (b->rc != SQLITE_OK) {
        return;
    }
    if (len > INT_MAX) {
        b->rc = SQLITE_TOOBIG;
    } else if (len == 0) {
        /* sqlite3_bind_blob() with a NULL pointer binds NULL; an empty payload is a blob. */
        b->rc = sqlite3_bind_zeroblob(b->st, i, 0);
    } else {
        b->rc = sqlite3_bind_blob(b->st, i, p, (int)len, SQLITE_STATIC);
    }
}

/* The end of a bind sequence: 0, or the failure translated (bindings are cleared). */
static int bind_done(struct store *s, struct binder *b)
{
    int ret;

    if (b->rc == SQLITE_OK) {
        return 0;
    }
    ret = err_from_sqlite(s, b->rc);
    (void)sqlite3_clear_bindings(b->st);
    return ret != 0 ? ret : -EIO;
}

static struct binder bind_start(struct store *s, enum stmt_id id)
{
    struct binder b = {s->st[id], SQLITE_OK};

    return b;
}

/*
 * The end of a walk over a statement's rows: @rc is the last sqlite3_step() result, @ret
 * what the walk returns so far (a callback's non-zero value stops it with a row pending).
 * A step that failed becomes -ENOMEM or -EIO; the statement is reset and unbound.
 */
static int walk_end(struct store *s, sqlite3_stmt *st, int rc, int ret)
{
    if (ret == 0 && rc != SQLITE_DONE) {
        ret = err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    return ret;
}

/* ---- open, migrate, close ---- */

static void set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err_len == 0) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

/* Runs one SQL text without parameters (pragmas, a migration's script). */
static int exec_sql(struct store *s, const char *sql)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : err_from_sqlite(s, rc);
}

/* Reads PRAGMA user_version into @out. */
static int read_user_version(struct store *s, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int ret;

    rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        ret = err_from_sqlite(s, rc);
        goto out;
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        ret = err_from_sqlite(s, rc);
        ret = ret != 0 ? ret : -EIO;
        goto out;
    }
    *out = sqlite3_column_int(st, 0);
    ret = 0;
out:
    (void)sqlite3_finalize(st);
    return ret;
}

static int refuse_newer(const char *path, int version, char *err, size_t err_len)
{
    set_err(err, err_len,
            "%s: database schema version %d is newer than this tinyfleet knows (%d); "
            "use the tinyfleet release that wrote it, or a newer one",
            path, version, store_schema_latest());
    return -EPROTO;
}

/*
 * Brings the schema to store_schema_latest(), one migration per transaction with its
 * user_version, so a crash leaves the database at some whole version. The version is read
 * again under the write lock: another process may have migrated in between.
 */
static int migrate(struct store *s, const char *path, char *err, size_t err_len)
{
    const int latest = store_schema_latest();
    char pragma[48];
    int version = 0;
    int ret;

    for (;;) {
        ret = read_user_version(s, &version);
        if (ret < 0) {
            set_err(err, err_len, "%s: %s", path, s->errmsg);
            return -EIO;
        }
        if (version == latest) {
            s->schema_version = version;
            return 0;
        }
        if (version > latest) {
            return refuse_newer(path, version, err, err_len);
        }
        ret = exec_sql(s, "BEGIN IMMEDIATE");
        if (ret < 0) {
            set_err(err, err_len, "%s: cannot start a migration: %s", path, s->errmsg);
            return -EIO;
        }
        ret = read_user_version(s, &version);
        if (ret == 0 && version >= latest) {
            (void)exec_sql(s, "ROLLBACK");
            continue; /* someone else got there first; look again */
        }
        if (ret == 0) {
            const struct store__migration *m = &store__migrations[version];

            assert(m->version == version + 1); /* tools/embed-migrations.sh checks numbering */
            ret = exec_sql(s, m->sql);
            if (ret < 0) {
                set_err(err, err_len, "%s: migration %04d_%s failed: %s", path, m->version, m->name,
                        s->errmsg);
            } else {
                (void)snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
                ret = exec_sql(s, pragma);
                ret = ret < 0 ? ret : exec_sql(s, "COMMIT");
                if (ret < 0) {
                    set_err(err, err_len, "%s: migration %04d_%s: cannot commit: %s", path,
                            m->version, m->name, s->errmsg);
                }
            }
        } else {
            set_err(err, err_len, "%s: %s", path, s->errmsg);
        }
        if (ret < 0) {
            if (!sqlite3_get_autocommit(s->db)) {
                (void)exec_sql(s, "ROLLBACK");
            }
            return -EIO;
        }
    }
}

/* Sets the connection up: WAL, busy timeout, foreign keys, temp store, synchronous. */
static int configure(struct store *s, const char *path, int synchronous, char *err, size_t err_len)
{
    sqlite3_stmt *st = NULL;
    char pragma[48];
    int ret;
    int rc;

    (void)sqlite3_extended_result_codes(s->db, 1);
    /* Before anything that locks: switching a new file to WAL already needs the lock. */
    (void)sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    ret = exec_sql(s, "PRAGMA foreign_keys = ON");
    if (ret < 0) {
        goto fail;
    }
    /* Statement journals (a statement that may fail half-way through its rows, as the
     * cascades of store_node_remove() and the undo in store_uplink()) would otherwise go to
     * temp files: when each frame had a savepoint, that cost more than all other ingest work
     * together (measured: 17 k vs 30 k forwarder frames per CPU second). */
    ret = exec_sql(s, "PRAGMA temp_store = MEMORY");
    if (ret < 0) {
        goto fail;
    }
    /* journal_mode answers with the mode in force: anything but "wal" (a read-only medium,
     * a memory database) would silently lose the sharing between CLI and daemon. */
    rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_ROW) {
        ret = err_from_sqlite(s, rc);
        ret = ret != 0 ? ret : -EIO;
        goto fail;
    }
    if (sqlite3_column_text(st, 0) == NULL ||
        strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg), "cannot switch to WAL mode (got %s)",
                       sqlite3_column_text(st, 0) != NULL ? (const char *)sqlite3_column_text(st, 0)
                                                          : "nothing");
        ret = -EIO;
        goto fail;
    }
    (void)snprintf(pragma, sizeof(pragma), "PRAGMA synchronous = %d", synchronous);
    ret = exec_sql(s, pragma);
    if (ret < 0) {
        goto fail;
    }
    (void)snprintf(pragma, sizeof(pragma), "PRAGMA wal_autocheckpoint = %d",
                   STORE_CHECKPOINT_PAGES);
    ret = exec_sql(s, pragma);
    if (ret < 0) {
        goto fail;
    }
    (void)sqlite3_finalize(st);
    return 0;
fail:
    (void)sqlite3_finalize(st);
    set_err(err, err_len, "%s: %s", path, s->errmsg);
    return ret == -ENOMEM ? ret : -EIO;
}

static int prepare_all(struct store *s, const char *path, char *err, size_t err_len)
{
    int i;
    int rc;

    for (i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
        if (rc != SQLITE_OK) {
            int ret = err_from_sqlite(s, rc);

            set_err(err, err_len, "%s: cannot prepare statement %d: %s", path, i, s->errmsg);
            return ret == -ENOMEM ? ret : -EIO;
        }
    }
    return 0;
}

/* Finalises what was prepared and closes the connection; @s itself is freed by the caller. */
static void close_db(struct store *s)
{
    int i;

    for (i = 0; i < ST_COUNT; i++) {
        (void)sqlite3_finalize(s->st[i]); /* NULL is a no-op */
        s->st[i] = NULL;
    }
    (void)sqlite3_close(s->db); /* every statement is finalised: cannot be busy */
    s->db = NULL;
}

static int open_common(const char *path, int flags, int synchronous, struct store **out, char *err,
                       size_t err_len)
{
    struct store *s = NULL;
    int ret;
    int rc;

    assert(path != NULL && out != NULL);
    *out = NULL;
    set_err(err, err_len, "%s", "");
    if (synchronous < 0 || synchronous > 2) {
        set_err(err, err_len, "synchronous must be 0 (off), 1 (normal) or 2 (full), not %d",
                synchronous);
        return -EINVAL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        set_err(err, err_len, "%s: out of memory", path);
        return -ENOMEM;
    }
    s->wal_fd = -1;
    /* SQLite's memory statistics take a global mutex around every malloc and free it makes,
     * about 36 per frame stored: 8.3 k of the 79 k instructions store.c spent per frame
     * (callgrind). Nothing here reads them. Only possible before SQLite initialises, so
     * this is a no-op (SQLITE_MISUSE) after the first open in a process. Loop thread, like
     * all of store.h. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* NOMUTEX: one connection per thread (store.h), so SQLite's mutex buys nothing. */
    rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ret = err_from_sqlite(s, rc);
        if (ret == -EIO || ret == 0) {
            set_err(err, err_len, "%s: %s", path, s->errmsg);
            ret = -EIO;
        } else {
            set_err(err, err_len, "%s: %s", path, strerror(-ret));
        }
        goto fail;
    }
    ret = configure(s, path, synchronous, err, err_len);
    if (ret < 0) {
        goto fail;
    }
    ret = migrate(s, path, err, err_len);
    if (ret < 0) {
        goto fail;
    }
    ret = prepare_all(s, path, err, err_len);
    if (ret < 0) {
        goto fail;
    }
    s->errmsg[0] = '\0';
    *out = s;
    return 0;
fail:
    close_db(s);
    free(s);
    return ret;
}

int store_open(const char *path, int synchronous, struct store **out, char *err, size_t err_len)
{
    return open_common(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, synchronous, out, err,
                       err_len);
}

int store_open_existing(const char *path, int synchronous, struct store **out, char *err,
                        size_t err_len)
{
    return open_common(path, SQLITE_OPEN_READWRITE, synchronous, out, err, err_len);
}

void store_close(struct store *s)
{
    if (s == NULL) {
        return;
    }
    if ((store_pending(s) || s->batch_lost) && store_flush(s) < 0) {
        /* Rolled back (sqlite3_close() rolls back whatever is still open): nothing in the
         * batch was acknowledged (store.h), so nothing promised is lost. */
        s->in_batch = false;
    }
    close_db(s);
    if (s->wal_fd >= 0) {
        (void)close(s->wal_fd);
    }
    auth_clear(s);
    free(s->auth);
    free(s->auth_index);
    free(s);
}

const char *store_errmsg(const struct store *s)
{
    assert(s != NULL);
    return s->errmsg;
}

int store_schema_version(struct store *s)
{
    assert(s != NULL);
    return s->schema_version;
}

int store_schema_latest(void)
{
    return (int)store__migration_count;
}

/* ---- node registry ---- */

/* Copies @src cut to @cap - 1 bytes. Not snprintf(): three per frame looked up cost 1.6 k
 * instructions, a fifth of store_node_get() (callgrind). */
static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
    size_t n = src != NULL ? strnlen((const char *)src, cap - 1) : 0;

    if (n > 0) {
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
}

/* Fills @n from the current row of a NODE_COLUMNS statement. */
static int read_node(struct store *s, sqlite3_stmt *st, struct store_node *n)
{
    memset(n, 0, sizeof(*n));
    n->devaddr = (uint32_t)sqlite3_column_int64(st, 0);
    copy_text(n->name, sizeof(n->name), sqlite3_column_text(st, 1));
    copy_text(n->profile, sizeof(n->profile), sqlite3_column_text(st, 2));
    n->has_position = sqlite3_column_type(st, 3) != SQLITE_NULL;
    n->lat = sqlite3_column_double(st, 3);
    n->lon = sqlite3_column_double(st, 4);
    copy_text(n->zone, sizeof(n->zone), sqlite3_column_text(st, 5));
    /* The schema checks length 16; a shorter blob would mean a damaged file. */
    if (sqlite3_column_bytes(st, 6) != PROTO_AES_KEY ||
        sqlite3_column_bytes(st, 7) != PROTO_AES_KEY || sqlite3_column_blob(st, 6) == NULL ||
        sqlite3_column_blob(st, 7) == NULL) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg), "node %08X: key is not 16 bytes",
                       (unsigned)n->devaddr);
        return -EIO;
    }
    memcpy(n->nwkskey, sqlite3_column_blob(st, 6), PROTO_AES_KEY);
    memcpy(n->appskey, sqlite3_column_blob(st, 7), PROTO_AES_KEY);
    n->has_fcnt = sqlite3_column_int(st, 8) != 0;
    n->last_fcnt = (uint32_t)sqlite3_column_int64(st, 9);
    n->last_seen_ms = sqlite3_column_int64(st, 10);
    n->battery_mv = (int32_t)sqlite3_column_int64(st, 11);
    n->created_ms = sqlite3_column_int64(st, 12);
    return 0;
}

int store_node_add(struct store *s, const struct store_node *n)
{
    struct binder b;
    int ret;

    assert(s != NULL && n != NULL);
    if (s->in_batch || s->batch_lost) {
        return -EBUSY;
    }
    b = bind_start(s, ST_NODE_ADD);
    bind_int(&b, 1, n->devaddr);
    bind_text(&b, 2, n->name);
    bind_text(&b, 3, n->profile);
    if (n->has_position) {
        bind_double(&b, 4, n->lat);
        bind_double(&b, 5, n->lon);
    }
    bind_text(&b, 6, n->zone);
    bind_blob(&b, 7, n->nwkskey, PROTO_AES_KEY);
    bind_blob(&b, 8, n->appskey, PROTO_AES_KEY);
    bind_int(&b, 9, n->has_fcnt ? 1 : 0);
    bind_int(&b, 10, n->last_fcnt);
    bind_int(&b, 11, n->last_seen_ms);
    bind_int(&b, 12, n->battery_mv);
    bind_int(&b, 13, n->created_ms);
    ret = bind_done(s, &b);
    if (ret < 0) {
        return ret;
    }
    ret = run(s, ST_NODE_ADD);
    return ret == -EEXIST || ret == -EINVAL || ret == -ENOMEM || ret == 0 ? ret : -EIO;
}

static int batch_begin(struct store *s);

/*
 * The node cache of the daemon's frame check. Reading a node's keys and counter was 4.4 k
 * instructions per CoAP frame (callgrind), 5 % of all. It is valid because every frame is
 * checked inside a batch (BEGIN IMMEDIATE: no other connection can commit meanwhile), and
 * batch_begin() compares PRAGMA data_version, which changes exactly when another connection
 * (the CLI: node add, node remove) has committed, and empties the cache when it did. The
 * daemon's own counter updates go into the cache as they are written (auth_seen()); a batch
 * that is lost or rolled back empties it (auth_clear()).
 */
static void auth_clear(struct store *s)
{
    if (s->auth != NULL) {
        explicit_bzero(s->auth, s->auth_used * sizeof(*s->auth));
    }
    if (s->auth_index != NULL) {
        memset(s->auth_index, 0, s->auth_slots * sizeof(*s->auth_index));
    }
    s->auth_used = 0;
}

/* The index slot of @devaddr: its entry, or the free slot where it would go. The entries
 * are kept dense and only the index is a hash table (of 4-byte slots), so 10,000 nodes cost
 * about 1.3 MB of entries and 128 kB of index, not a half-empty table of whole entries. */
static uint32_t *auth_slot(const struct store *s, uint32_t devaddr)
{
    size_t i = (size_t)(devaddr * 2654435761u) & (s->auth_slots - 1);

    while (s->auth_index[i] != 0 && s->auth[s->auth_index[i] - 1].devaddr != devaddr) {
        i = (i + 1) & (s->auth_slots - 1);
    }
    return &s->auth_index[i];
}

static struct auth_entry *auth_find(const struct store *s, uint32_t devaddr)
{
    uint32_t *slot;

    if (s->auth_slots == 0) {
        return NULL;
    }
    slot = auth_slot(s, devaddr);
    return *slot != 0 ? &s->auth[*slot - 1] : NULL;
}

/* Room for one more entry (the index at most half full); past AUTH_CACHE_MAX nodes the cache
 * starts again empty. Return: 0 or -ENOMEM (the cache is then simply not used for it). */
static int auth_reserve(struct store *s)
{
    size_t i;

    if (s->auth_used >= AUTH_CACHE_MAX) {
        auth_clear(s);
    }
    if (s->auth_used == s->auth_cap) {
        size_t cap = s->auth_cap != 0 ? s->auth_cap * 2 : 256;
        struct auth_entry *e = calloc(cap, sizeof(*e));

        if (e == NULL) {
            return -ENOMEM;
        }
        if (s->auth != NULL) {
            memcpy(e, s->auth, s->auth_used * sizeof(*e));
            explicit_bzero(s->auth, s->auth_cap * sizeof(*s->auth));
        }
        free(s->auth);
        s->auth = e;
        s->auth_cap = cap;
    }
    if ((s->auth_used + 1) * 2 > s->auth_slots) {
        size_t slots = s->auth_slots != 0 ? s->auth_slots * 2 : 512;
        uint32_t *index = calloc(slots, sizeof(*index));

        if (index == NULL) {
            return -ENOMEM;
        }
        free(s->auth_index);
        s->auth_index = index;
        s->auth_slots = slots;
        for (i = 0; i < s->auth_used; i++) {
            *auth_slot(s, s->auth[i].devaddr) = (uint32_t)(i + 1);
        }
    }
    return 0;
}

/* After the frame's counter was written: the cached node moves with it. */
static void auth_seen(struct store *s, uint32_t devaddr, uint32_t fcnt)
{
    struct auth_entry *e = auth_find(s, devaddr);

    if (e != NULL) {
        e->has_fcnt = true;
        e->last_fcnt = fcnt;
    }
}

/* Inside a new batch: has another connection committed since we last looked? */
static int auth_check_version(struct store *s)
{
    int64_t v = 0;
    sqlite3_stmt *st = s->st[ST_DATA_VERSION];
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    (void)sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        auth_clear(s);
        return err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    if (v != s->data_version) {
        auth_clear(s);
        s->data_version = v;
    }
    return 0;
}

int store_daemon_mode(struct store *s)
{
    int ret;

    assert(s != NULL);
    if (s->in_batch || s->batch_lost) {
        return -EBUSY;
    }
    /*
     * Foreign keys off on the daemon's connection only (the CLI's keeps them on for the
     * cascades of node remove). They cost 5.3 k instructions per CoAP frame (callgrind:
     * the parent lookups of frames -> nodes and of receptions, events -> frames), and here
     * they hold by construction: node reads open the batch (store_node_get(),
     * store_node_auth()), so the node a frame refers to was read under the write lock the
     * frame is inserted under, and the CLI cannot remove it before the commit; receptions
     * and events of a new frame refer to the frame just inserted in the same transaction;
     * a later copy's reception checks its frame in the statement (ST_RX_ADD_LATER); the
     * daemon deletes only by id, children first (undo_rows(), store_prune()), never
     * relying on a cascade. A pragma cannot change inside a transaction: hence -EBUSY.
     */
    ret = exec_sql(s, "PRAGMA foreign_keys = OFF");
    if (ret < 0) {
        return ret == -ENOMEM ? ret : -EIO;
    }
    s->daemon_mode = true;
    return 0;
}

static int on_wal_commit(void *arg, sqlite3 *db, const char *schema, int wal_pages)
{
    struct store *s = arg;

    (void)db;
    (void)schema;
    s->wal_pages = wal_pages;
    s->wal_hook(s->wal_hook_arg, wal_pages);
    return SQLITE_OK;
}

int store_wal_pages(const struct store *s)
{
    return s->wal_pages;
}

void store_set_wal_hook(struct store *s, store_wal_hook hook, void *arg)
{
    assert(s != NULL);
    s->wal_hook = hook;
    s->wal_hook_arg = arg;
    /* Replaces SQLite's own hook, the one that ran the automatic checkpoints. */
    (void)sqlite3_wal_hook(s->db, hook != NULL ? on_wal_commit : NULL, s);
}

int store_checkpoint(struct store *s)
{
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        return err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    return 0;
}

const char *store_path(const struct store *s)
{
    const char *path = sqlite3_db_filename(s->db, "main");

    return path != NULL ? path : "";
}

int store_wal_fd(struct store *s)
{
    const char *db_path = store_path(s);
    char path[PATH_MAX];

    if (s->wal_fd >= 0) {
        return s->wal_fd;
    }
    if (db_path[0] == '\0' ||
        snprintf(path, sizeof(path), "%s-wal", db_path) >= (int)sizeof(path)) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg), "the database has no WAL file name");
        return -EINVAL;
    }
    /* The WAL exists from the first read in WAL mode (migrate() read user_version), and
     * keeps its inode while this connection is open: SQLite deletes it only when the last
     * connection closes, and a reset or TRUNCATE checkpoint shortens it in place. Linux
     * flushes a file's pages through any descriptor of it, a read-only one too. */
    s->wal_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->wal_fd < 0) {
        int e = errno;

        (void)snprintf(s->errmsg, sizeof(s->errmsg), "%.200s: %s", path, strerror(e));
        return -e;
    }
    return s->wal_fd;
}

/* Steps the node lookup @id for @devaddr; @read fills @out from its row. In daemon mode
 * the batch is opened first, so what is read stays true until the commit. */
static int node_lookup(struct store *s, enum stmt_id id, uint32_t devaddr, struct store_node *out,
                       int (*read)(struct store *, sqlite3_stmt *, struct store_node *))
{
    sqlite3_stmt *st;
    int ret;
    int rc;

    if (s->daemon_mode) {
        ret = batch_begin(s);
        if (ret < 0) {
            return ret;
        }
    }
    st = s->st[id];
    rc = sqlite3_bind_int64(st, 1, devaddr);
    if (rc != SQLITE_OK) {
        return err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ret = read(s, st, out);
    } else if (rc == SQLITE_DONE) {
        ret = -ENOENT;
    } else {
        ret = err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    return ret;
}

int store_node_get(struct store *s, uint32_t devaddr, struct store_node *out)
{
    assert(s != NULL && out != NULL);
    return node_lookup(s, ST_NODE_GET, devaddr, out, read_node);
}

/* Fills the keys, counter and place of @n from the current row of ST_NODE_AUTH. */
static int read_node_auth(struct store *s, sqlite3_stmt *st, struct store_node *n)
{
    const void *nwk = sqlite3_column_blob(st, 0);
    const void *app = sqlite3_column_blob(st, 1);

    /* The schema checks length 16; a shorter blob would mean a damaged file. */
    if (nwk == NULL || app == NULL || sqlite3_column_bytes(st, 0) != PROTO_AES_KEY ||
        sqlite3_column_bytes(st, 1) != PROTO_AES_KEY) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg), "node %08X: key is not 16 bytes",
                       (unsigned)n->devaddr);
        return -EIO;
    }
    memcpy(n->nwkskey, nwk, PROTO_AES_KEY);
    memcpy(n->appskey, app, PROTO_AES_KEY);
    n->has_fcnt = sqlite3_column_int(st, 2) != 0;
    n->last_fcnt = (uint32_t)sqlite3_column_int64(st, 3);
    n->has_position = sqlite3_column_type(st, 4) != SQLITE_NULL;
    n->lat = sqlite3_column_double(st, 4);
    n->lon = sqlite3_column_double(st, 5);
    copy_text(n->zone, sizeof(n->zone), sqlite3_column_text(st, 6));
    return 0;
}

/* The daemon's cached entry of @devaddr, read from the registry on a miss. */
static int auth_get(struct store *s, uint32_t devaddr, const struct auth_entry **out)
{
    struct store_node n;
    struct auth_entry *e;
    int ret;

    ret = batch_begin(s); /* first, so that the cache is checked against data_version */
    if (ret < 0) {
        return ret;
    }
    e = auth_find(s, devaddr);
    if (e != NULL) {
        *out = e;
        return 0;
    }
    memset(&n, 0, sizeof(n));
    n.devaddr = devaddr;
    ret = node_lookup(s, ST_NODE_AUTH, devaddr, &n, read_node_auth);
    if (ret == 0) {
        ret = auth_reserve(s);
    }
    if (ret == 0) {
        e = &s->auth[s->auth_used];
        e->devaddr = devaddr;
        e->has_fcnt = n.has_fcnt;
        e->last_fcnt = n.last_fcnt;
        e->has_position = n.has_position;
        e->lat = n.lat;
        e->lon = n.lon;
        memcpy(e->nwkskey, n.nwkskey, PROTO_AES_KEY);
        memcpy(e->appskey, n.appskey, PROTO_AES_KEY);
        memcpy(e->zone, n.zone, sizeof(e->zone));
        s->auth_used++;
        *auth_slot(s, devaddr) = (uint32_t)s->auth_used;
        *out = e;
    }
    explicit_bzero(&n, sizeof(n));
    return ret;
}

int store_node_auth(struct store *s, uint32_t devaddr, struct store_node *out)
{
    const struct auth_entry *e = NULL;
    int ret;

    assert(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    out->devaddr = devaddr;
    if (!s->daemon_mode) {
        return node_lookup(s, ST_NODE_AUTH, devaddr, out, read_node_auth);
    }
    ret = auth_get(s, devaddr, &e);
    if (ret == 0) {
        memcpy(out->nwkskey, e->nwkskey, PROTO_AES_KEY);
        memcpy(out->appskey, e->appskey, PROTO_AES_KEY);
        out->has_fcnt = e->has_fcnt;
        out->last_fcnt = e->last_fcnt;
    }
    return ret;
}

int store_node_place(struct store *s, uint32_t devaddr, struct store_node *out)
{
    const struct auth_entry *e = NULL;
    int ret;

    assert(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    out->devaddr = devaddr;
    if (!s->daemon_mode) {
        ret = node_lookup(s, ST_NODE_AUTH, devaddr, out, read_node_auth);
        explicit_bzero(out->nwkskey, sizeof(out->nwkskey));
        explicit_bzero(out->appskey, sizeof(out->appskey));
        return ret;
    }
    ret = auth_get(s, devaddr, &e);
    if (ret == 0) {
        out->has_position = e->has_position;
        out->lat = e->lat;
        out->lon = e->lon;
        memcpy(out->zone, e->zone, sizeof(out->zone));
    }
    return ret;
}

int store_node_remove(struct store *s, uint32_t devaddr)
{
    struct binder b;
    int ret;

    assert(s != NULL);
    if (s->in_batch || s->batch_lost) {
        return -EBUSY;
    }
    b = bind_start(s, ST_NODE_REMOVE);
    bind_int(&b, 1, devaddr);
    ret = bind_done(s, &b);
    if (ret < 0) {
        return ret;
    }
    /* One statement, so one transaction: the cascade to frames, receptions and events is
     * all or nothing. */
    ret = run(s, ST_NODE_REMOVE);
    if (ret < 0) {
        return ret == -ENOMEM ? ret : -EIO;
    }
    return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_node_foreach(struct store *s, store_node_cb cb, void *arg)
{
    sqlite3_stmt *st;
    struct store_node n;
    int ret = 0;
    int rc;

    assert(s != NULL && cb != NULL);
    st = s->st[ST_NODE_LIST];
    if (sqlite3_stmt_busy(st)) {
        return -EBUSY;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = read_node(s, st, &n);
        if (ret == 0) {
            ret = cb(&n, arg);
        }
        if (ret != 0) {
            break;
        }
    }
    explicit_bzero(&n, sizeof(n));
    return walk_end(s, st, rc, ret);
}

/* ---- the ingest write path ---- */

/* The write functions' common start: the batch is open, or opened now. */
static int batch_begin(struct store *s)
{
    int ret;

    if (s->batch_lost) {
        return -EIO;
    }
    if (s->in_batch) {
        return 0;
    }
    ret = run(s, ST_BEGIN);
    if (ret < 0) {
        return ret == -ENOMEM ? ret : -EIO;
    }
    s->in_batch = true;
    return s->daemon_mode ? auth_check_version(s) : 0;
}

/* After a failed write in the batch: did SQLite roll the whole transaction back? (It may,
 * on an I/O error, a full disk or no memory.) Then the batch is lost, and store_flush() must
 * report it rather than commit what came after in autocommit mode. */
static void check_batch(struct store *s)
{
    if (s->in_batch && sqlite3_get_autocommit(s->db)) {
        s->batch_lost = true;
    }
}

/* A reception's bearer, gateway and radio fields into parameters @first to @first + 5. */
static void bind_rx(struct binder *b, int first, const struct store_rx *rx)
{
    bind_text(b, first, store_bearer_name(rx->bearer));
    bind_text(b, first + 1, rx->gateway);
    if (rx->has_radio) {
        bind_int(b, first + 2, rx->rssi_dbm);
        bind_double(b, first + 3, rx->snr_db);
        bind_int(b, first + 4, rx->freq_hz);
        bind_text(b, first + 5, rx->datr);
    }
}

/* One events row: @m NULL for raw, else its kind; @rec picks the detection record. */
static int insert_event(struct store *s, int64_t frame_id, const struct store_uplink *up,
                        const struct proto_tfp_msg *m, unsigned rec)
{
    struct binder b = bind_start(s, ST_EVENT_ADD);
    int64_t received_ms = up->rx->time_ms;
    int64_t time_ms = received_ms;
    const char *kind = "raw";
    int ret;

    bind_int(&b, 1, frame_id);
    bind_int(&b, 2, up->devaddr);
    if (m != NULL && m->port == PROTO_TFP_PORT_DETECTIONS) {
        const struct proto_tfp_detection *d = &m->u.det.rec[rec];

        kind = "detection";
        /* ARCHITECTURE.md: a detection happened age_s before the gateway received it. */
        time_ms = received_ms - (int64_t)d->age_s * 1000;
        bind_int(&b, 6, d->class_id);
        bind_int(&b, 7, d->confidence);
        bind_int(&b, 8, d->age_s);
        bind_int(&b, 9, d->duration_s);
        bind_int(&b, 10, d->level_db);
    } else if (m != NULL && m->port == PROTO_TFP_PORT_HEALTH) {
        const struct proto_tfp_health *h = &m->u.health;

        kind = "health";
        bind_int(&b, 11, h->battery_mv);
        bind_int(&b, 12, h->temp_c);
        bind_int(&b, 13, h->uptime_s);
        bind_int(&b, 14, h->model_id);
        bind_int(&b, 15, h->model_ver);
        bind_int(&b, 16, h->inferences);
        bind_int(&b, 17, h->detections);
        bind_int(&b, 18, h->tx_failures);
    } else if (m != NULL && m->port == PROTO_TFP_PORT_ANOMALY) {
        const struct proto_tfp_anomaly *a = &m->u.anomaly;

        kind = "anomaly";
        bind_int(&b, 19, a->windows);
        bind_int(&b, 20, a->anomalous);
        bind_int(&b, 21, a->score_mean);
        bind_int(&b, 22, a->score_max);
        bind_int(&b, 23, a->peak_band);
        bind_int(&b, 24, a->period_s);
    }
    bind_text(&b, 3, kind);
    bind_int(&b, 4, received_ms);
    bind_int(&b, 5, time_ms);
    ret = bind_done(s, &b);
    return ret < 0 ? ret : run(s, ST_EVENT_ADD);
}

/* The rows one frame added so far, to delete them again if a later statement fails. */
struct frame_rows {
    int64_t frame;                        /* frames.id, 0 = none yet */
    int64_t event[PROTO_TFP_MAX_RECORDS]; /* events.id */
    unsigned events;                      /* entries in event[] */
};

/*
 * Undoes a frame's rows after a later statement of it failed: children first, so the
 * frame's own delete finds nothing to cascade to. Each row by its id, so nothing but what
 * this frame added can go. Return: 0 or -errno.
 */
static int undo_rows(struct store *s, const struct frame_rows *r)
{
    struct binder b;
    unsigned i;
    int ret = 0;

    for (i = 0; ret == 0 && i <= r->events; i++) {
        enum stmt_id id = i < r->events ? ST_UNDO_EVENT : ST_UNDO_FRAME;
        int64_t row = i < r->events ? r->event[i] : r->frame;

        if (row == 0) {
            continue;
        }
        b = bind_start(s, id);
        bind_int(&b, 1, row);
        ret = bind_done(s, &b);
        ret = ret < 0 ? ret : run(s, id);
    }
    return ret;
}

/*
 * The statements of one frame. The node's UPDATE comes last: it is the one statement that
 * changes an existing row, so when anything before it fails, deleting the frame's new rows
 * is a complete undo; and after it succeeds, nothing is left to fail.
 */
static int uplink_rows(struct store *s, const struct store_uplink *up, struct frame_rows *r)
{
    const struct proto_tfp_msg *m = up->msg;
    struct binder b = bind_start(s, ST_FRAME_ADD);
    unsigned i;
    unsigned n;
    int ret;

    bind_int(&b, 1, up->devaddr);
    bind_int(&b, 2, up->fcnt);
    bind_int(&b, 3, up->fport);
    bind_int(&b, 4, up->confirmed ? 1 : 0);
    bind_int(&b, 5, up->rx->time_ms);
    bind_blob(&b, 6, up->payload, up->payload_len);
    bind_rx(&b, 7, up->rx);
    ret = bind_done(s, &b);
    ret = ret < 0 ? ret : run(s, ST_FRAME_ADD);
    if (ret < 0) {
        return ret; /* one row, checked before it is written: nothing to undo */
    }
    r->frame = sqlite3_last_insert_rowid(s->db);
    /* store_uplink() checked the count: at most PROTO_TFP_MAX_RECORDS rows. */
    n = m != NULL && m->port == PROTO_TFP_PORT_DETECTIONS ? m->u.det.count : 1u;
    for (i = 0; i < n; i++) {
        ret = insert_event(s, r->frame, up, m, i);
        if (ret < 0) {
            return ret;
        }
        r->event[r->events++] = sqlite3_last_insert_rowid(s->db);
    }

    b = bind_start(s, ST_NODE_SEEN);
    bind_int(&b, 1, up->devaddr);
    bind_int(&b, 2, up->fcnt);
    bind_int(&b, 3, up->rx->time_ms);
    if (m != NULL && m->port == PROTO_TFP_PORT_HEALTH) {
        bind_int(&b, 4, m->u.health.battery_mv);
    }
    ret = bind_done(s, &b);
    ret = ret < 0 ? ret : run(s, ST_NODE_SEEN);
    if (ret < 0) {
        return ret;
    }
    if (sqlite3_changes(s->db) == 0) {
        /* The frame row went in, so the node exists: its stored counter is at or above
         * this one. Storing the frame would move the counter back. */
        (void)snprintf(s->errmsg, sizeof(s->errmsg),
                       "node %08X: counter %u is not above the stored last_fcnt",
                       (unsigned)up->devaddr, (unsigned)up->fcnt);
        return -EEXIST;
    }
    return 0;
}

int store_uplink(struct store *s, const struct store_uplink *up, int64_t *frame_id)
{
    struct frame_rows rows;
    int ret;

    assert(s != NULL && up != NULL && up->rx != NULL && frame_id != NULL);
    if (up->msg != NULL) {
        const struct proto_tfp_msg *m = up->msg;

        if (m->port < PROTO_TFP_PORT_DETECTIONS || m->port > PROTO_TFP_PORT_ANOMALY ||
            (m->port == PROTO_TFP_PORT_DETECTIONS &&
             (m->u.det.count == 0 || m->u.det.count > PROTO_TFP_MAX_RECORDS))) {
            return -EINVAL;
        }
    }
    if (up->payload == NULL && up->payload_len > 0) {
        return -EINVAL;
    }
    ret = batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    memset(&rows, 0, sizeof(rows));
    /*
     * No savepoint per frame: SQLite copies every page a savepoint touches, whole, into its
     * statement journal, and the hot pages (the last leaf of each table and index) were
     * already dirty from the previous frames, so each frame copied and freed about ten 4 kB
     * pages. Measured under callgrind (forwarder ingest, one event per frame): 154 k
     * instructions per frame in store_uplink() with the savepoint, 102 k without. Single
     * statements are still atomic (SQLite checks a row's constraints before writing it,
     * and rolls the whole transaction back on an I/O error in the middle of a statement),
     * so a frame is undone by undo_rows() instead.
     */
    ret = uplink_rows(s, up, &rows);
    if (ret == 0 && s->uplink_hook != NULL) {
        ret = s->uplink_hook(s->uplink_hook_arg, up);
        if (ret != 0) {
            /* The node's row has moved on already, so the frame cannot be undone row by row:
             * the whole batch goes (store.h). */
            (void)snprintf(s->errmsg, sizeof(s->errmsg), "after storing the frame: %s",
                           strerror(ret < 0 ? -ret : ret));
            s->batch_lost = true;
            return -EIO;
        }
    }
    if (ret == 0) {
        auth_seen(s, up->devaddr, up->fcnt);
        *frame_id = rows.frame;
        return 0;
    }
    /* Undo this frame only; the batch's earlier frames stay. If SQLite already dropped the
     * transaction there is nothing to undo here, and check_batch() marks the batch lost.
     * -EIO from a statement is neither a refused row (a constraint, checked before SQLite
     * writes) nor a rolled-back transaction (I/O error, full disk, no memory): a damaged
     * file, say, where a statement may have stopped half-way. What it wrote cannot be told
     * apart, so the batch is given up rather than committed with part of a frame. */
    check_batch(s);
    if (ret != -EEXIST && ret != -ENOENT && ret != -EINVAL && ret != -ENOMEM) {
        s->batch_lost = true;
    }
    if (!s->batch_lost) {
        char msg[ERRMSG_LEN];

        memcpy(msg, s->errmsg, sizeof(msg)); /* keep the cause, not the undo's result */
        if (undo_rows(s, &rows) < 0) {
            check_batch(s);
            s->batch_lost = true; /* half a frame may be in it: do not commit it */
        }
        memcpy(s->errmsg, msg, sizeof(msg));
    }
    if (ret == -EEXIST || ret == -ENOENT || ret == -ENOMEM) {
        return ret;
    }
    return -EIO;
}

int store_reception(struct store *s, int64_t frame_id, const struct store_rx *rx)
{
    struct binder b;
    int ret;

    assert(s != NULL && rx != NULL);
    ret = batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = bind_start(s, ST_RX_ADD_LATER);
    bind_int(&b, 1, frame_id);
    bind_rx(&b, 2, rx);
    bind_int(&b, 8, rx->time_ms);
    ret = bind_done(s, &b);
    ret = ret < 0 ? ret : run(s, ST_RX_ADD_LATER);
    if (ret < 0) {
        check_batch(s);
        return ret == -ENOENT || ret == -ENOMEM ? ret : -EIO;
    }
    return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_gateway_stat(struct store *s, const char *gateway, int64_t time_ms, const char *stat_json)
{
    struct binder b;
    int ret;

    assert(s != NULL && gateway != NULL && stat_json != NULL);
    ret = batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = bind_start(s, ST_GWSTAT_ADD);
    bind_text(&b, 1, gateway);
    bind_int(&b, 2, time_ms);
    bind_text(&b, 3, stat_json);
    ret = bind_done(s, &b);
    ret = ret < 0 ? ret : run(s, ST_GWSTAT_ADD);
    if (ret < 0) {
        check_batch(s);
        return ret == -ENOMEM ? ret : -EIO;
    }
    return 0;
}

void store_count(struct store *s, enum store_bearer b, enum store_reason r)
{
    assert(s != NULL);
    if ((unsigned)b >= STORE_BEARER_COUNT || (unsigned)r >= STORE_REASON_COUNT) {
        return;
    }
    s->delta[b][r]++;
    s->counts_dirty = true;
}

bool store_pending(const struct store *s)
{
    assert(s != NULL);
    return s->in_batch || s->counts_dirty;
}

/* UPSERTs every non-zero count into the open transaction. */
static int write_counts(struct store *s)
{
    struct binder b;
    int ret;
    int i;
    int j;

    for (i = 0; i < STORE_BEARER_COUNT; i++) {
        for (j = 0; j < STORE_REASON_COUNT; j++) {
            if (s->delta[i][j] == 0) {
                continue;
            }
            b = bind_start(s, ST_COUNTER_ADD);
            bind_text(&b, 1, bearer_names[i]);
            bind_text(&b, 2, reason_names[j]);
            /* A count cannot reach 2^63 between two flushes; saturate rather than wrap. */
            bind_int(&b, 3, s->delta[i][j] > INT64_MAX ? INT64_MAX : (int64_t)s->delta[i][j]);
            ret = bind_done(s, &b);
            ret = ret < 0 ? ret : run(s, ST_COUNTER_ADD);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

int store_flush(struct store *s)
{
    char msg[ERRMSG_LEN];
    int ret;
    int i;

    assert(s != NULL);
    if (s->batch_lost) {
        goto fail;
    }
    if (!s->in_batch && !s->counts_dirty) {
        return 0;
    }
    if (!s->in_batch) {
        ret = batch_begin(s);
        if (ret < 0) {
            goto fail;
        }
    }
    /* The counts go into the batch's own transaction: they commit, or not, with it. */
    ret = write_counts(s);
    ret = ret < 0 ? ret : run(s, ST_COMMIT);
    if (ret == 0) {
        memset(s->delta, 0, sizeof(s->delta));
        s->counts_dirty = false;
        s->in_batch = false;
        return 0;
    }

fail:
    /* A COMMIT that failed with SQLITE_BUSY leaves the transaction open; an I/O error may
     * have closed it already. Either way nothing of the batch is in the file afterwards,
     * and the cached counters may be ahead of it. */
    auth_clear(s);
    memcpy(msg, s->errmsg, sizeof(msg));
    if (!sqlite3_get_autocommit(s->db) && run(s, ST_ROLLBACK) < 0 &&
        !sqlite3_get_autocommit(s->db)) {
        /* Still inside the transaction: stay "lost" so the next flush tries again. */
        s->batch_lost = true;
        s->in_batch = true;
    } else {
        s->batch_lost = false;
        s->in_batch = false;
    }
    memcpy(s->errmsg, msg, sizeof(msg));
    /* The accepted frames of the batch were not stored after all (see store_count()). */
    for (i = 0; i < STORE_BEARER_COUNT; i++) {
        s->delta[i][STORE_STORAGE_FAILED] += s->delta[i][STORE_ACCEPTED];
        s->delta[i][STORE_ACCEPTED] = 0;
    }
    return -EIO;
}

int store_prune(struct store *s, int64_t before_ms, int max_rows)
{
    static const enum stmt_id steps[] = {ST_PRUNE_EVENTS,  ST_PRUNE_RX,          ST_PRUNE_FRAMES,
                                         ST_PRUNE_GWSTATS, ST_PRUNE_TRANSITIONS, ST_PRUNE_ALERTS};
    struct binder b;
    int left = max_rows;
    size_t i;
    int ret;

    assert(s != NULL);
    if (max_rows < 1) {
        return -EINVAL;
    }
    if (s->in_batch || s->batch_lost) {
        return -EBUSY;
    }
    ret = run(s, ST_BEGIN);
    if (ret < 0) {
        return ret == -ENOMEM ? ret : -EIO;
    }
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]) && left > 0; i++) {
        b = bind_start(s, steps[i]);
        bind_int(&b, 1, before_ms);
        bind_int(&b, 2, left);
        ret = bind_done(s, &b);
        ret = ret < 0 ? ret : run(s, steps[i]);
        if (ret < 0) {
            goto fail;
        }
        left -= sqlite3_changes(s->db);
    }
    ret = run(s, ST_COMMIT);
    if (ret < 0) {
        goto fail;
    }
    return max_rows - left;
fail:
    if (!sqlite3_get_autocommit(s->db)) {
        char msg[ERRMSG_LEN];

        memcpy(msg, s->errmsg, sizeof(msg));
        (void)run(s, ST_ROLLBACK);
        memcpy(s->errmsg, msg, sizeof(msg));
    }
    return ret == -ENOMEM ? ret : -EIO;
}

/* ---- reads for the CLI ---- */

/* Fills @e from the current row of an EVENT_COLUMNS statement. */
static int read_event(struct store *s, sqlite3_stmt *st, struct store_event *e)
{
    static const char *const kinds[] = {"detection", "health", "anomaly", "raw"};
    const unsigned char *kind = sqlite3_column_text(st, 5);
    size_t i;

    memset(e, 0, sizeof(*e));
    e->id = sqlite3_column_int64(st, 0);
    e->devaddr = (uint32_t)sqlite3_column_int64(st, 1);
    e->fcnt = (uint32_t)sqlite3_column_int64(st, 2);
    e->received_ms = sqlite3_column_int64(st, 3);
    e->time_ms = sqlite3_column_int64(st, 4);
    for (i = 0; kind != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp((const char *)kind, kinds[i]) == 0) {
            e->kind = kinds[i]; /* static, so the caller may keep it */
        }
    }
    if (e->kind == NULL) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg), "event %lld: unknown kind", (long long)e->id);
        return -EIO;
    }
    /* The schema's CHECKs bound every column below to its wire type's range. */
    if (e->kind == kinds[0]) {
        struct proto_tfp_detection *d = &e->msg.u.det.rec[0];

        e->msg.port = PROTO_TFP_PORT_DETECTIONS;
        e->msg.u.det.count = 1;
        d->class_id = (uint8_t)sqlite3_column_int(st, 8);
        d->confidence = (uint8_t)sqlite3_column_int(st, 9);
        d->age_s = (uint16_t)sqlite3_column_int(st, 10);
        d->duration_s = (uint8_t)sqlite3_column_int(st, 11);
        d->level_db = (uint8_t)sqlite3_column_int(st, 12);
    } else if (e->kind == kinds[1]) {
        struct proto_tfp_health *h = &e->msg.u.health;

        e->msg.port = PROTO_TFP_PORT_HEALTH;
        h->battery_mv = (uint16_t)sqlite3_column_int(st, 13);
        h->temp_c = (int8_t)sqlite3_column_int(st, 14);
        h->uptime_s = (uint32_t)sqlite3_column_int64(st, 15);
        h->model_id = (uint16_t)sqlite3_column_int(st, 16);
        h->model_ver = (uint8_t)sqlite3_column_int(st, 17);
        h->inferences = (uint16_t)sqlite3_column_int(st, 18);
        h->detections = (uint16_t)sqlite3_column_int(st, 19);
        h->tx_failures = (uint8_t)sqlite3_column_int(st, 20);
    } else if (e->kind == kinds[2]) {
        struct proto_tfp_anomaly *a = &e->msg.u.anomaly;

        e->msg.port = PROTO_TFP_PORT_ANOMALY;
        a->windows = (uint8_t)sqlite3_column_int(st, 21);
        a->anomalous = (uint8_t)sqlite3_column_int(st, 22);
        a->score_mean = (uint8_t)sqlite3_column_int(st, 23);
        a->score_max = (uint8_t)sqlite3_column_int(st, 24);
        a->peak_band = (uint8_t)sqlite3_column_int(st, 25);
        a->period_s = (uint16_t)sqlite3_column_int(st, 26);
    } else {
        e->msg.port = (uint8_t)sqlite3_column_int(st, 6);
        e->raw = sqlite3_column_blob(st, 7);
        e->raw_len = (size_t)sqlite3_column_bytes(st, 7);
    }
    return 0;
}

int store_events_foreach(struct store *s, const struct store_event_filter *f, store_event_cb cb,
                         void *arg)
{
    struct binder b;
    struct store_event e;
    enum stmt_id id;
    sqlite3_stmt *st;
    int ret;
    int rc;

    assert(s != NULL && f != NULL && cb != NULL);
    if (f->class_id >= 0) {
        id = f->has_devaddr ? ST_EV_NODE_CLASS : ST_EV_CLASS;
    } else {
        id = f->has_devaddr ? ST_EV_NODE : ST_EV_ALL;
    }
    st = s->st[id];
    if (sqlite3_stmt_busy(st)) {
        return -EBUSY;
    }
    b = bind_start(s, id);
    bind_int(&b, 1, f->since_ms);
    bind_int(&b, 2, f->devaddr);
    bind_int(&b, 3, f->class_id);
    bind_int(&b, 4, f->limit > 0 ? f->limit : -1);
    ret = bind_done(s, &b);
    if (ret < 0) {
        return ret == -ENOMEM ? ret : -EIO;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = read_event(s, st, &e);
        if (ret == 0) {
            ret = cb(&e, arg);
        }
        if (ret != 0) {
            break;
        }
    }
    return walk_end(s, st, rc, ret);
}

int store_stats(struct store *s, uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT])
{
    sqlite3_stmt *st;
    int ret = 0;
    int rc;
    int i;
    int j;

    assert(s != NULL && counts != NULL);
    memset(counts, 0, sizeof(uint64_t) * STORE_BEARER_COUNT * STORE_REASON_COUNT);
    st = s->st[ST_COUNTERS];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *bearer = sqlite3_column_text(st, 0);
        const unsigned char *reason = sqlite3_column_text(st, 1);
        sqlite3_int64 count = sqlite3_column_int64(st, 2);

        /* Names this binary does not know (a newer daemon's reasons) are skipped. */
        for (i = 0; bearer != NULL && i < STORE_BEARER_COUNT; i++) {
            for (j = 0; reason != NULL && j < STORE_REASON_COUNT; j++) {
                if (strcmp((const char *)bearer, bearer_names[i]) == 0 &&
                    strcmp((const char *)reason, reason_names[j]) == 0) {
                    counts[i][j] = count > 0 ? (uint64_t)count : 0;
                }
            }
        }
    }
    if (rc != SQLITE_DONE) {
        ret = err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    return ret;
}

void store_set_uplink_hook(struct store *s, store_uplink_hook hook, void *arg)
{
    assert(s != NULL);
    s->uplink_hook = hook;
    s->uplink_hook_arg = arg;
}

/* ---- alerts and the outbox ---- */

/* Steps a one-row, one-column integer query (bound already). */
static int query_int(struct store *s, enum stmt_id id, int64_t *out)
{
    sqlite3_stmt *st = s->st[id];
    int rc = sqlite3_step(st);
    int ret = 0;

    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
    } else if (rc == SQLITE_DONE) {
        *out = 0;
    } else {
        ret = err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    return ret;
}

/* A failed write inside the batch: did it take the batch with it? (see check_batch()) */
static int batch_write_failed(struct store *s, int ret)
{
    check_batch(s);
    return ret;
}

int store_alert_transition(struct store *s, const struct store_alert *a)
{
    struct binder b;
    int ret;

    assert(s != NULL && a != NULL && a->json != NULL);
    ret = batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = bind_start(s, ST_ALERT_PUT);
    bind_int(&b, 1, a->id);
    bind_text(&b, 2, a->class_name);
    bind_text(&b, 3, a->topic_key);
    bind_text(&b, 4, a->level);
    bind_text(&b, 5, a->state);
    bind_int(&b, 6, a->seq);
    bind_int(&b, 7, a->opened_ms);
    bind_int(&b, 8, a->changed_ms);
    bind_text(&b, 9, a->json);
    ret = bind_done(s, &b);
    ret = ret < 0 ? ret : run(s, ST_ALERT_PUT);
    if (ret == 0 && sqlite3_changes(s->db) == 0) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg),
                       "alert %lld: seq %u is not above the stored one", (long long)a->id,
                       (unsigned)a->seq);
        return -EEXIST;
    }
    if (ret == 0) {
        b = bind_start(s, ST_TRANSITION_ADD);
        bind_int(&b, 1, a->id);
        bind_int(&b, 2, a->seq);
        bind_int(&b, 3, a->changed_ms);
        bind_text(&b, 4, a->json);
        ret = bind_done(s, &b);
        ret = ret < 0 ? ret : run(s, ST_TRANSITION_ADD);
    }
    return ret < 0 ? batch_write_failed(s, ret) : 0;
}

int store_outbox_add(struct store *s, const char *topic, const char *payload, bool retain,
                     int64_t now_ms)
{
    struct binder b;
    int ret;

    assert(s != NULL && topic != NULL && payload != NULL);
    ret = batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = bind_start(s, ST_OUTBOX_ADD);
    bind_text(&b, 1, topic);
    bind_blob(&b, 2, payload, strlen(payload));
    bind_int(&b, 3, retain ? 1 : 0);
    bind_int(&b, 4, now_ms);
    ret = bind_done(s, &b);
    ret = ret < 0 ? ret : run(s, ST_OUTBOX_ADD);
    return ret < 0 ? batch_write_failed(s, ret) : 0;
}

int store_outbox_foreach(struct store *s, int64_t after_id, int limit, store_outbox_cb cb,
                         void *arg)
{
    sqlite3_stmt *st;
    struct store_outbox_msg m;
    struct binder b;
    int ret;
    int rc;

    assert(s != NULL && cb != NULL);
    st = s->st[ST_OUTBOX_NEXT];
    if (sqlite3_stmt_busy(st)) {
        return -EBUSY;
    }
    b = bind_start(s, ST_OUTBOX_NEXT);
    bind_int(&b, 1, after_id);
    bind_int(&b, 2, limit > 0 ? limit : -1);
    ret = bind_done(s, &b);
    if (ret < 0) {
        return ret;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        m.id = sqlite3_column_int64(st, 0);
        m.topic = (const char *)sqlite3_column_text(st, 1);
        m.payload = sqlite3_column_blob(st, 2);
        m.payload_len = (size_t)sqlite3_column_bytes(st, 2);
        m.retain = sqlite3_column_int(st, 3) != 0;
        if (m.topic == NULL) {
            ret = -ENOMEM;
            break;
        }
        ret = cb(&m, arg);
        if (ret != 0) {
            break;
        }
    }
    return walk_end(s, st, rc, ret);
}

int store_outbox_delete(struct store *s, int64_t id)
{
    struct binder b;
    int ret;

    assert(s != NULL);
    ret = batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    b = bind_start(s, ST_OUTBOX_DELETE);
    bind_int(&b, 1, id);
    ret = bind_done(s, &b);
    ret = ret < 0 ? ret : run(s, ST_OUTBOX_DELETE);
    return ret < 0 ? batch_write_failed(s, ret) : 0;
}

int store_outbox_depth(struct store *s, int64_t *rows, int64_t *oldest_ms)
{
    sqlite3_stmt *st;
    int rc;
    int ret = 0;

    assert(s != NULL && rows != NULL);
    st = s->st[ST_OUTBOX_DEPTH];
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *rows = sqlite3_column_int64(st, 0);
        if (oldest_ms != NULL) {
            *oldest_ms = sqlite3_column_int64(st, 1);
        }
    } else {
        ret = err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
    }
    (void)sqlite3_reset(st);
    return ret;
}

/* Deletes up to @n rows with statement @id (?1 = the limit); adds the count to *@done. */
static int trim_step(struct store *s, enum stmt_id id, int64_t n, int64_t *done)
{
    struct binder b = bind_start(s, id);
    int ret;

    bind_int(&b, 1, n);
    ret = bind_done(s, &b);
    ret = ret < 0 ? ret : run(s, id);
    if (ret == 0) {
        *done += sqlite3_changes(s->db);
    }
    return ret;
}

int store_outbox_trim(struct store *s, int64_t max_rows, int64_t *dropped)
{
    struct binder b;
    int64_t rows = 0;
    int64_t gone = 0;
    int ret;

    assert(s != NULL && dropped != NULL && max_rows >= 1);
    *dropped = 0;
    ret = query_int(s, ST_OUTBOX_SPAN, &rows);
    if (ret < 0 || rows <= max_rows) {
        return ret; /* ids span no more than the bound: the rows cannot exceed it */
    }
    ret = store_outbox_depth(s, &rows, NULL);
    if (ret < 0 || rows <= max_rows) {
        return ret;
    }
    ret = batch_begin(s);
    if (ret < 0) {
        return ret;
    }
    ret = trim_step(s, ST_OUTBOX_SUPERSEDED, rows - max_rows, &gone);
    if (ret == 0 && rows - gone > max_rows) {
        ret = trim_step(s, ST_OUTBOX_OLDEST, rows - gone - max_rows, &gone);
    }
    if (ret == 0 && gone > 0) {
        b = bind_start(s, ST_COUNTER_ADD);
        bind_text(&b, 1, "mqtt");
        bind_text(&b, 2, "outbox_dropped");
        bind_int(&b, 3, gone);
        ret = bind_done(s, &b);
        ret = ret < 0 ? ret : run(s, ST_COUNTER_ADD);
    }
    if (ret < 0) {
        return batch_write_failed(s, ret);
    }
    *dropped = gone;
    return 0;
}

int store_outbox_dropped(struct store *s, uint64_t *out)
{
    struct binder b = bind_start(s, ST_COUNTER_GET);
    int64_t v = 0;
    int ret;

    assert(s != NULL && out != NULL);
    bind_text(&b, 1, "mqtt");
    bind_text(&b, 2, "outbox_dropped");
    ret = bind_done(s, &b);
    ret = ret < 0 ? ret : query_int(s, ST_COUNTER_GET, &v);
    *out = v > 0 ? (uint64_t)v : 0;
    return ret;
}

int store_alert_max_id(struct store *s, int64_t *out)
{
    assert(s != NULL && out != NULL);
    return query_int(s, ST_ALERT_MAX_ID, out);
}

int store_alerts_foreach(struct store *s, bool active_only, int limit, store_alert_cb cb, void *arg)
{
    enum stmt_id id = active_only ? ST_ALERTS_ACTIVE : ST_ALERTS_RECENT;
    sqlite3_stmt *st = s->st[id];
    struct store_alert a;
    struct binder b;
    int ret = 0;
    int rc;

    assert(s != NULL && cb != NULL);
    if (sqlite3_stmt_busy(st)) {
        return -EBUSY;
    }
    if (!active_only) {
        b = bind_start(s, id);
        bind_int(&b, 1, limit > 0 ? limit : -1);
        ret = bind_done(s, &b);
        if (ret < 0) {
            return ret;
        }
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&a, 0, sizeof(a));
        a.id = sqlite3_column_int64(st, 0);
        a.class_name = (const char *)sqlite3_column_text(st, 1);
        a.topic_key = (const char *)sqlite3_column_text(st, 2);
        a.level = (const char *)sqlite3_column_text(st, 3);
        a.state = (const char *)sqlite3_column_text(st, 4);
        a.seq = (uint32_t)sqlite3_column_int64(st, 5);
        a.opened_ms = sqlite3_column_int64(st, 6);
        a.changed_ms = sqlite3_column_int64(st, 7);
        a.json = (const char *)sqlite3_column_text(st, 8);
        if (a.class_name == NULL || a.topic_key == NULL || a.level == NULL || a.state == NULL ||
            a.json == NULL) {
            ret = -ENOMEM;
            break;
        }
        ret = cb(&a, arg);
        if (ret != 0) {
            break;
        }
    }
    return walk_end(s, st, rc, ret);
}
