/* SPDX-License-Identifier: MIT
 * Internals of the store module, shared between its files, lowest first (store_sql.c: the
 * statements and running them; store_cache.c: the daemon's node cache; store_file.c: the
 * daemon's lock on the database file and the check that it is still there; store.c: open,
 * migrate, close, the batch and the WAL; store_node.c: the node registry; store_uplink.c: the
 * ingest write path; store_read.c: the CLI's reads; store_outbox.c: alerts and the outbox;
 * store_am.c: the Alertmanager outbox and acknowledgements; each calls only files before
 * it), the migrations C file that tools/embed-migrations.sh generates from
 * migrations/NNNN_name.sql, and the unit tests.
 * Nothing here is for other modules.
 */
#ifndef PROJ_DAEMON_STORE_STORE_INT_H
#define PROJ_DAEMON_STORE_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>

#include <sys/types.h>

#include <sqlite3.h>

#include "store/store.h"

/* One migration file. */
struct store__migration {
    int version;      /* NNNN of the file name; the array holds 1, 2, 3... in order */
    const char *name; /* the file name between NNNN_ and .sql */
    const char *sql;  /* the file's text, NUL-terminated; run with sqlite3_exec() */
};

/* All migrations, versions 1..store__migration_count; the generated file defines both. */
extern const struct store__migration store__migrations[];
extern const size_t store__migration_count;

/* Room for SQLite's message plus our context (path, migration name). */
#define STORE__ERRMSG_LEN 256

/* Every statement of the store, prepared once at open (store__sql[] holds the text). */
enum store__stmt {
    STORE__BEGIN,
    STORE__COMMIT,
    STORE__ROLLBACK,
    STORE__NODE_ADD,
    STORE__NODE_GET,
    STORE__NODE_AUTH,
    STORE__NODE_LIST,
    STORE__NODE_REMOVE,
    STORE__NODE_SEEN,
    STORE__NODE_UPDATE,
    STORE__NODE_LAST_RX,
    STORE__CMD_ADD,
    STORE__CMD_PAYLOAD,
    STORE__CMD_PENDING,
    STORE__CMD_BY_SEQ,
    STORE__CMD_SET,
    STORE__CMD_ALL,
    STORE__CMD_NODE,
    STORE__FCNT_DOWN_GET,
    STORE__FCNT_DOWN_SET,
    STORE__JOIN_DEVICE,
    STORE__JOIN_NONCE_USED,
    STORE__JOIN_NONCE_ADD,
    STORE__JOIN_NEXT,
    STORE__JOIN_SESSION_PUT,
    STORE__JOIN_SESSION_GET,
    STORE__JOIN_ACTIVATE,
    STORE__JOIN_SESSION_DROP,
    STORE__FRAME_ADD,
    STORE__RX_ADD_LATER,
    STORE__EVENT_ADD,
    STORE__GWSTAT_ADD,
    STORE__UNDO_EVENT,
    STORE__UNDO_FRAME,
    STORE__COUNTER_ADD,
    STORE__COUNTERS,
    STORE__EV_ALL,
    STORE__EV_NODE,
    STORE__EV_CLASS,
    STORE__EV_NODE_CLASS,
    STORE__PRUNE_EVENTS,
    STORE__PRUNE_RX,
    STORE__PRUNE_FRAMES,
    STORE__PRUNE_GWSTATS,
    STORE__PRUNE_TRANSITIONS,
    STORE__PRUNE_ALERTS,
    STORE__ALERT_PUT,
    STORE__TRANSITION_ADD,
    STORE__ALERT_MAX_ID,
    STORE__ALERTS_ACTIVE,
    STORE__ALERTS_RECENT,
    STORE__OUTBOX_ADD,
    STORE__OUTBOX_NEXT,
    STORE__OUTBOX_DELETE,
    STORE__OUTBOX_DEPTH,
    STORE__OUTBOX_SIZE,
    STORE__OUTBOX_SUPERSEDED,
    STORE__OUTBOX_OLDEST,
    STORE__COUNTER_GET,
    STORE__DATA_VERSION,
    STORE__DISCOVERY_LIST,
    STORE__DISCOVERY_PUT,
    STORE__DISCOVERY_DELETE,
    STORE__AM_ADD,
    STORE__AM_NEXT,
    STORE__AM_DELETE,
    STORE__AM_DEPTH,
    STORE__AM_NOTE_OK,
    STORE__AM_NOTE_ERROR,
    STORE__AM_STATUS,
    STORE__ACK_PUT,
    STORE__ACK_GET,
    STORE__STMT_COUNT
};

/* The SQL text of each statement (store_sql.c). */
extern const char *const store__sql[STORE__STMT_COUNT];

/* What the frame check and fusion read of a node, cached in daemon mode (store_cache.c). */
struct store__auth_entry {
    uint32_t devaddr;
    bool has_fcnt;
    bool has_position;
    uint32_t last_fcnt;
    uint32_t session; /* nodes.session: the session its frames are stored under */
    double lat;
    double lon;
    uint8_t nwkskey[PROTO_AES_KEY];
    uint8_t appskey[PROTO_AES_KEY];
    char zone[sizeof(((struct store_node *)0)->zone)];
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *st[STORE__STMT_COUNT];
    bool in_batch;      /* BEGIN IMMEDIATE ran, COMMIT not yet */
    bool batch_lost;    /* SQLite rolled the batch back by itself; store_flush() must say so */
    bool counts_dirty;  /* delta holds something */
    bool daemon_mode;   /* store_daemon_mode(): foreign keys off, node reads open the batch */
    int schema_version; /* PRAGMA user_version after migration */
    int wal_fd;         /* store_wal_fd(), -1 until asked for */
    uint64_t delta[STORE_BEARER_COUNT][STORE_REASON_COUNT]; /* counts since the last commit */
    uint64_t dl_delta[STORE_DL_COUNT];                      /* store_count_downlink() since */
    struct store__auth_entry *auth; /* daemon mode: the node cache, auth_used of auth_cap entries */
    size_t auth_cap;
    size_t auth_used;
    uint32_t *auth_index; /* auth_slots (a power of two, or 0): entry index + 1, 0 = free */
    size_t auth_slots;
    int64_t data_version;    /* PRAGMA data_version when the cache was last known valid */
    store_wal_hook wal_hook; /* store_set_wal_hook() */
    void *wal_hook_arg;
    int wal_pages;         /* in the WAL after the last commit, as the WAL hook saw it */
    int file_fd;           /* daemon mode: the database file, flock()ed (store_file.c); else -1 */
    const char *file_path; /* sqlite3_db_filename() of the connection */
    dev_t file_dev;        /* the database file the connection writes */
    ino_t file_ino;
    dev_t wal_dev; /* its -wal, when wal_checked */
    ino_t wal_ino;
    bool wal_checked;
    bool file_gone; /* store__file_check() found the path naming another file, or none */
    char errmsg[STORE__ERRMSG_LEN];
};

/*
 * store__err_from_sqlite() - the one translation from SQLite result codes (extended codes
 * are on) to -errno, as STYLE.md section 3 asks. Keeps SQLite's message for store_errmsg();
 * call it right after the failing call, before anything else runs on the connection.
 * Return: 0 for SQLITE_OK, _ROW and _DONE, else a negative errno.
 */
int store__err_from_sqlite(struct store *s, int rc);

/* store__run() - steps statement @id once, expecting no row, then resets it and drops its
 * bindings (some point at the caller's buffers). Return: 0 or -errno. */
int store__run(struct store *s, enum store__stmt id);

/*
 * store__walk_end() - the end of a walk over a statement's rows: @rc is the last
 * sqlite3_step() result, @ret what the walk returns so far (a callback's non-zero value
 * stops it with a row pending). A step that failed becomes -ENOMEM or -EIO; the statement
 * is reset and unbound. Return: what the walk returns.
 */
int store__walk_end(struct store *s, sqlite3_stmt *st, int rc, int ret);

/* store__batch_begin() - the write functions' common start: the batch is open, or opened
 * now (in daemon mode the node cache is checked against PRAGMA data_version then).
 * Return: 0, -EIO (the batch is lost, or BEGIN failed), -ENOMEM. */
int store__batch_begin(struct store *s);

/* store__check_batch() - after a failed write in the batch: did SQLite roll the whole
 * transaction back? (It may, on an I/O error, a full disk or no memory.) Then the batch is
 * lost, and store_flush() must report it rather than commit what came after in autocommit
 * mode. */
void store__check_batch(struct store *s);

/* ---- store_file.c ---- */

/*
 * store__file_hold() - one daemon per database: take an exclusive flock(2) on the database
 * file @path (the connection's) and note its identity and that of its -wal (@wal_fd, or -1
 * to leave the WAL unchecked). Return: 0; -EAGAIN when another process holds it (s->errmsg
 * names its pid); -errno.
 */
int store__file_hold(struct store *s, const char *path, int wal_fd);

/*
 * store__file_check() - does the path still name the file held (and its -wal)? Once it does
 * not (deleted, renamed, replaced), it never does again. No-op without store__file_hold().
 * Return: 0, or -ESTALE with s->errmsg saying so.
 */
int store__file_check(struct store *s);

/* store__auth_find() - the cached entry of @devaddr, or NULL. */
struct store__auth_entry *store__auth_find(const struct store *s, uint32_t devaddr);

/* store__auth_add() - cache @n (read from the registry on a miss) and point *@out at it.
 * Return: 0, or -ENOMEM (the node is then simply read again next time). */
int store__auth_add(struct store *s, const struct store_node *n,
                    const struct store__auth_entry **out);

/* store__auth_clear() - empty the node cache (store_cache.c): another connection committed,
 * or the batch whose counters it holds was lost. */
void store__auth_clear(struct store *s);

/* store__auth_seen() - the frame's counter was written: the cached node moves with it. */
void store__auth_seen(struct store *s, uint32_t devaddr, uint32_t fcnt);

/* store__auth_check_version() - inside a new batch: empty the cache if another connection
 * has committed since it was last known valid. Return: 0, -ENOMEM, -EIO. */
int store__auth_check_version(struct store *s);

/* store__auth_free() - the cache's memory, wiped and freed (store_close()). */
void store__auth_free(struct store *s);

/* Collects bind results so a long parameter list needs one check. */
struct store__binder {
    sqlite3_stmt *st;
    int rc; /* the first failure, SQLITE_OK while none */
};

static inline void store__bind_int(struct store__binder *b, int i, int64_t v)
{
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_int64(b->st, i, v);
    }
}

static inline void store__bind_double(struct store__binder *b, int i, double v)
{
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_double(b->st, i, v);
    }
}

/* Text and blobs are bound SQLITE_STATIC: every caller steps before its buffers go away,
 * and store__run() clears the bindings. */
static inline void store__bind_text(struct store__binder *b, int i, const char *t)
{
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_text(b->st, i, t, -1, SQLITE_STATIC);
    }
}

static inline void store__bind_blob(struct store__binder *b, int i, const void *p, size_t len)
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
static inline int store__bind_done(struct store *s, struct store__binder *b)
{
    int ret;

    if (b->rc == SQLITE_OK) {
        return 0;
    }
    ret = store__err_from_sqlite(s, b->rc);
    (void)sqlite3_clear_bindings(b->st);
    return ret != 0 ? ret : -EIO;
}

static inline struct store__binder store__bind_start(struct store *s, enum store__stmt id)
{
    struct store__binder b = {s->st[id], SQLITE_OK};

    return b;
}

/* store__write_dl_counts() - the downlink counts into the open transaction (store_command.c).
 * Return: 0 or a negative errno. */
int store__write_dl_counts(struct store *s);

#endif
