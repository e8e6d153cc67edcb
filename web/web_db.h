/* SPDX-License-Identifier: MIT
 * tinyfleet-web's read-only view of the gateway's database: a fresh SQLite connection per
 * request, opened SQLITE_OPEN_READONLY with query_only set, so this program can never write
 * the file, never holds a lock between requests and follows the file if it is replaced. A
 * missing, locked or unreadable database, or one without the tables (not migrated yet), is
 * an error the HTTP layer answers with 503. One connection is used by one thread at a time.
 */
#ifndef PROJ_WEB_WEB_DB_H
#define PROJ_WEB_WEB_DB_H

#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"

#if defined(__GNUC__)
#define WEB_DB_MUST_CHECK __attribute__((warn_unused_result))
#else
#define WEB_DB_MUST_CHECK
#endif

/* How long a query waits for the daemon's write lock before the request gets 503, ms. */
#define WEB_DB_BUSY_MS 250

struct web_db;

/*
 * web_db_open() - open the database at @path read-only.
 * @out: out, the connection, to close with web_db_close(); NULL on error.
 * Return: 0; -ENOENT when the file does not exist (SQLite is never asked to create it);
 * -EIO when SQLite cannot open it; -ENOMEM. web_db_error() of a failed open is not
 * available: the message is logged by the caller from the code.
 */
WEB_DB_MUST_CHECK int web_db_open(const char *path, struct web_db **out);

/* web_db_close() - close @db; NULL is a no-op. */
void web_db_close(struct web_db *db);

/*
 * web_db_prepare() - compile @sql on @db.
 * @stmt: out, the statement, to finalise with sqlite3_finalize(); NULL on error.
 * Return: 0; a negative code of web_db_code() (the message in web_db_error()).
 */
WEB_DB_MUST_CHECK int web_db_prepare(struct web_db *db, const char *sql, sqlite3_stmt **stmt);

/*
 * web_db_step() - sqlite3_step() with the error recorded.
 * Return: 1 a row; 0 done; a negative code of web_db_code().
 */
WEB_DB_MUST_CHECK int web_db_step(struct web_db *db, sqlite3_stmt *stmt);

/* web_db_code() - -EBUSY (locked, busy), -ENOMEM, or -EIO for any other SQLite code. */
int web_db_code(int sqlite_rc);

/* web_db_error() - the last error's text ("" when none); lives as long as @db. */
const char *web_db_error(const struct web_db *db);

/* web_db_sql() - the SQLite handle, for sqlite3_column_*() and binds only. */
sqlite3 *web_db_sql(struct web_db *db);

/*
 * web_db_counters() - the daemon's frame counters ([bearer][reason], as of its last commit),
 * read from the counters table; a row of an unknown bearer or reason is skipped.
 * Return: 0; a negative code of web_db_code().
 */
WEB_DB_MUST_CHECK int web_db_counters(struct web_db *db,
                                      uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT]);

#endif
