/* SPDX-License-Identifier: MIT
 * The gateway's SQLite storage (see store.h): opening, migrating and closing the
 * database, the batch and the WAL. One connection per process, WAL, every statement
 * (store_sql.c) prepared once in store_open() with bound parameters and reset after each
 * use. The daemon's writes go into one open transaction (the batch) that only store_flush()
 * commits; a frame refused half-way is undone row by row (store_uplink.c), so it never
 * costs the others. SQLite result codes become -errno in one place, store__err_from_sqlite().
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

    return rc == SQLITE_OK ? 0 : store__err_from_sqlite(s, rc);
}

/* Reads PRAGMA user_version into @out. */
static int read_user_version(struct store *s, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int ret;

    rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        ret = store__err_from_sqlite(s, rc);
        goto out;
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        ret = store__err_from_sqlite(s, rc);
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

/* Fails when a migration left a row referring to a parent that is not there (the
 * migrations run with foreign keys off, see migrate()). Return: 0, -EPROTO, -errno. */
static int check_foreign_keys(struct store *s)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL);
    int ret;

    if (rc != SQLITE_OK) {
        ret = store__err_from_sqlite(s, rc);
        goto out;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        (void)snprintf(s->errmsg, sizeof(s->errmsg), "a row of %s refers to a missing parent",
                       (const char *)sqlite3_column_text(st, 0));
        ret = -EPROTO;
        goto out;
    }
    ret = rc == SQLITE_DONE ? 0 : store__err_from_sqlite(s, rc);
out:
    (void)sqlite3_finalize(st);
    return ret;
}

/*
 * Brings the schema to store_schema_latest(), one migration per transaction with its
 * user_version, so a crash leaves the database at some whole version. The version is read
 * again under the write lock: another process may have migrated in between.
 */
static int migrate_all(struct store *s, const char *path, char *err, size_t err_len)
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
                ret = check_foreign_keys(s);
                ret = ret < 0 ? ret : exec_sql(s, pragma);
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

/*
 * migrate_all() with foreign keys off: a migration that rebuilds a table (SQLite's way to
 * change its constraints, migrations/0011_frame_session.sql) drops the old one, and with
 * foreign keys on that drop deletes every row referring to it, cascading. The pragma cannot
 * change inside a transaction, hence around all of them; each is checked before its commit.
 */
static int migrate(struct store *s, const char *path, char *err, size_t err_len)
{
    int ret = exec_sql(s, "PRAGMA foreign_keys = OFF");
    int on;

    if (ret < 0) {
        set_err(err, err_len, "%s: %s", path, s->errmsg);
        return -EIO;
    }
    ret = migrate_all(s, path, err, err_len);
    on = exec_sql(s, "PRAGMA foreign_keys = ON");
    if (ret == 0 && on < 0) {
        set_err(err, err_len, "%s: %s", path, s->errmsg);
        ret = -EIO;
    }
    return ret;
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
        ret = store__err_from_sqlite(s, rc);
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

    for (i = 0; i < STORE__STMT_COUNT; i++) {
        rc = sqlite3_prepare_v3(s->db, store__sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                                NULL);
        if (rc != SQLITE_OK) {
            int ret = store__err_from_sqlite(s, rc);

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

    for (i = 0; i < STORE__STMT_COUNT; i++) {
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
    s->file_fd = -1;
    /* SQLite's memory statistics take a global mutex around every malloc and free it makes,
     * about 36 per frame stored: 8.3 k of the 79 k instructions store.c spent per frame
     * (callgrind). Nothing here reads them. Only possible before SQLite initialises, so
     * this is a no-op (SQLITE_MISUSE) after the first open in a process. Loop thread, like
     * all of store.h. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* NOMUTEX: one connection per thread (store.h), so SQLite's mutex buys nothing. */
    rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ret = store__err_from_sqlite(s, rc);
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
    if (s->file_fd >= 0) {
        (void)close(s->file_fd); /* after the connection: see store__file_hold() */
    }
    store__auth_free(s);
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

/* ---- daemon mode and the WAL ---- */

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
     * a later copy's reception checks its frame in the statement (STORE__RX_ADD_LATER); the
     * daemon deletes only by id, children first (undo_rows() in store_uplink.c, store_prune()),
     * never relying on a cascade. A pragma cannot change inside a transaction: hence -EBUSY.
     */
    ret = exec_sql(s, "PRAGMA foreign_keys = OFF");
    if (ret < 0) {
        return ret == -ENOMEM ? ret : -EIO;
    }
    if (s->file_fd < 0) {
        /* A second daemon on the file would take the first one's alerts over. */
        int wal_fd = store_wal_fd(s);

        ret = store__file_hold(s, store_path(s), wal_fd >= 0 ? wal_fd : -1);
        if (ret < 0) {
            return ret;
        }
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
        return store__err_from_sqlite(s, rc) == -ENOMEM ? -ENOMEM : -EIO;
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

/* ---- the batch: opened by the first write, committed by store_flush() ---- */

int store__batch_begin(struct store *s)
{
    int ret;

    if (s->batch_lost) {
        return -EIO;
    }
    if (s->in_batch) {
        return 0;
    }
    ret = store__run(s, STORE__BEGIN);
    if (ret < 0) {
        return ret == -ENOMEM ? ret : -EIO;
    }
    s->in_batch = true;
    return s->daemon_mode ? store__auth_check_version(s) : 0;
}

void store__check_batch(struct store *s)
{
    if (s->in_batch && sqlite3_get_autocommit(s->db)) {
        s->batch_lost = true;
    }
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
    struct store__binder b;
    int ret;
    int i;
    int j;

    for (i = 0; i < STORE_BEARER_COUNT; i++) {
        for (j = 0; j < STORE_REASON_COUNT; j++) {
            if (s->delta[i][j] == 0) {
                continue;
            }
            b = store__bind_start(s, STORE__COUNTER_ADD);
            store__bind_text(&b, 1, bearer_names[i]);
            store__bind_text(&b, 2, reason_names[j]);
            /* A count cannot reach 2^63 between two flushes; saturate rather than wrap. */
            store__bind_int(&b, 3,
                            s->delta[i][j] > INT64_MAX ? INT64_MAX : (int64_t)s->delta[i][j]);
            ret = store__bind_done(s, &b);
            ret = ret < 0 ? ret : store__run(s, STORE__COUNTER_ADD);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return store__write_dl_counts(s);
}

int store_flush(struct store *s)
{
    char msg[STORE__ERRMSG_LEN];
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
        ret = store__batch_begin(s);
        if (ret < 0) {
            goto fail;
        }
    }
    /* The counts go into the batch's own transaction: they commit, or not, with it. */
    ret = write_counts(s);
    ret = ret < 0 ? ret : store__run(s, STORE__COMMIT);
    if (ret == 0) {
        memset(s->delta, 0, sizeof(s->delta));
        memset(s->dl_delta, 0, sizeof(s->dl_delta));
        s->counts_dirty = false;
        s->in_batch = false;
        /* After the commit, before any acknowledgement: a file deleted before this check
         * took the batch with it; one deleted after it held the batch when it was
         * acknowledged. */
        return store__file_check(s);
    }

fail:
    /* A COMMIT that failed with SQLITE_BUSY leaves the transaction open; an I/O error may
     * have closed it already. Either way nothing of the batch is in the file afterwards,
     * and the cached counters may be ahead of it. */
    store__auth_clear(s);
    memcpy(msg, s->errmsg, sizeof(msg));
    if (!sqlite3_get_autocommit(s->db) && store__run(s, STORE__ROLLBACK) < 0 &&
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

/* ---- retention: between batches, in a transaction of its own ---- */

int store_prune(struct store *s, int64_t before_ms, int max_rows)
{
    static const enum store__stmt steps[] = {STORE__PRUNE_EVENTS,      STORE__PRUNE_RX,
                                             STORE__PRUNE_FRAMES,      STORE__PRUNE_GWSTATS,
                                             STORE__PRUNE_TRANSITIONS, STORE__PRUNE_ALERTS};
    struct store__binder b;
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
    ret = store__run(s, STORE__BEGIN);
    if (ret < 0) {
        return ret == -ENOMEM ? ret : -EIO;
    }
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]) && left > 0; i++) {
        b = store__bind_start(s, steps[i]);
        store__bind_int(&b, 1, before_ms);
        store__bind_int(&b, 2, left);
        ret = store__bind_done(s, &b);
        ret = ret < 0 ? ret : store__run(s, steps[i]);
        if (ret < 0) {
            goto fail;
        }
        left -= sqlite3_changes(s->db);
    }
    ret = store__run(s, STORE__COMMIT);
    if (ret < 0) {
        goto fail;
    }
    return max_rows - left;
fail:
    if (!sqlite3_get_autocommit(s->db)) {
        char msg[STORE__ERRMSG_LEN];

        memcpy(msg, s->errmsg, sizeof(msg));
        (void)store__run(s, STORE__ROLLBACK);
        memcpy(s->errmsg, msg, sizeof(msg));
    }
    return ret == -ENOMEM ? ret : -EIO;
}

int store_prune_retention(struct store *s, int64_t now_ms, unsigned retention_days, int max_rows)
{
    /* Times in the store are Unix ms (store_rx.time_ms), so is the cutoff. */
    static const int64_t day_ms = 24LL * 60 * 60 * 1000;

    if (retention_days == 0) {
        return 0;
    }
    return store_prune(s, now_ms - (int64_t)retention_days * day_ms, max_rows);
}
