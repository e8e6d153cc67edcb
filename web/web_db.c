/* SPDX-License-Identifier: MIT
 * Read-only connections to the gateway's database (web_db.h). The file's existence is checked
 * before SQLite sees it: SQLITE_OPEN_READONLY never creates a file, but a missing file should
 * say "missing", not SQLite's generic "unable to open".
 */
#include "web_db.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct web_db {
    sqlite3 *sql;
    char err[256]; /* the last error, "" when none */
};

int web_db_code(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_NOMEM:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

int web_db_open(const char *path, struct web_db **out)
{
    struct web_db *db = NULL;
    int rc;

    assert(path != NULL && out != NULL);
    *out = NULL;
    if (access(path, F_OK) != 0) {
        return -ENOENT;
    }
    db = calloc(1, sizeof(*db));
    if (db == NULL) {
        return -ENOMEM;
    }
    rc = sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        (void)sqlite3_busy_timeout(db->sql, WEB_DB_BUSY_MS);
        /* A second guard: even a statement that would write is refused. */
        rc = sqlite3_exec(db->sql, "PRAGMA query_only = 1", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        rc = rc == SQLITE_NOMEM ? -ENOMEM : web_db_code(rc);
        web_db_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

void web_db_close(struct web_db *db)
{
    if (db == NULL) {
        return;
    }
    (void)sqlite3_close(db->sql);
    free(db);
}

static int fail(struct web_db *db, int rc)
{
    (void)snprintf(db->err, sizeof(db->err), "%s", sqlite3_errmsg(db->sql));
    return web_db_code(rc);
}

int web_db_prepare(struct web_db *db, const char *sql, sqlite3_stmt **stmt)
{
    int rc;

    assert(db != NULL && sql != NULL && stmt != NULL);
    rc = sqlite3_prepare_v2(db->sql, sql, -1, stmt, NULL);
    return rc == SQLITE_OK ? 0 : fail(db, rc);
}

int web_db_step(struct web_db *db, sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        return 1;
    }
    return rc == SQLITE_DONE ? 0 : fail(db, rc);
}

const char *web_db_error(const struct web_db *db)
{
    return db->err;
}

sqlite3 *web_db_sql(struct web_db *db)
{
    return db->sql;
}

/* The index of @name among the @n names @name_of gives, or -1. */
static int index_of(const char *name, int n, const char *(*name_of)(int))
{
    int i;

    for (i = 0; name != NULL && i < n; i++) {
        if (strcmp(name, name_of(i)) == 0) {
            return i;
        }
    }
    return -1;
}

static const char *bearer_name(int i)
{
    return store_bearer_name((enum store_bearer)i);
}

static const char *reason_name(int i)
{
    return store_reason_name((enum store_reason)i);
}

int web_db_counters(struct web_db *db, uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT])
{
    sqlite3_stmt *st = NULL;
    int rc;

    memset(counts, 0, sizeof(uint64_t) * STORE_BEARER_COUNT * STORE_REASON_COUNT);
    rc = web_db_prepare(db, "SELECT bearer, reason, count FROM counters", &st);
    while (rc == 0 && (rc = web_db_step(db, st)) == 1) {
        int b = index_of((const char *)sqlite3_column_text(st, 0), STORE_BEARER_COUNT, bearer_name);
        int r = index_of((const char *)sqlite3_column_text(st, 1), STORE_REASON_COUNT, reason_name);

        if (b >= 0 && r >= 0) {
            counts[b][r] = (uint64_t)sqlite3_column_int64(st, 2);
        }
        rc = 0;
    }
    (void)sqlite3_finalize(st);
    return rc;
}
