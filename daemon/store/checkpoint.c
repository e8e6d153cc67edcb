/* SPDX-License-Identifier: MIT
 * WAL checkpoints on libuv's worker thread (checkpoint.h).
 */
#include "store/checkpoint.h"

#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "util/log.h"

#define ROUNDS_MAX 4  /* checkpoint rounds per work item */
#define TAIL_PAGES 64 /* pages committed during a round that are worth another */

struct checkpointer {
    uv_work_t work; /* work.data = this */
    uv_loop_t *loop;
    struct store *store; /* not owned */
    char *path;          /* the database file */
    sqlite3 *db;         /* the worker's own connection, opened by the first checkpoint */
    int wal_pages;       /* start a checkpoint at this WAL size */
    bool running;        /* work queued or running */
    bool stopped;        /* checkpointer_stop() was called: free when the work is done */
    bool finish;         /* the worker's checkpoint is done: the loop copies the rest */
    int rc;              /* the last checkpoint's SQLite result, set by the worker */
    struct log_limit lim;
};

static void destroy(struct checkpointer *c)
{
    (void)sqlite3_close(c->db);
    free(c->path);
    free(c);
}

/* Worker thread: touches nothing but db and rc (and reads path) until on_done(). */
static void run_checkpoint(uv_work_t *w)
{
    struct checkpointer *c = w->data;
    int last_log = 0;
    int log = 0;
    int copied = 0;
    int round;

    c->rc = SQLITE_OK;
    if (c->db == NULL) {
        c->rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (c->rc != SQLITE_OK) {
            (void)sqlite3_close(c->db);
            c->db = NULL;
            return;
        }
    }
    /* PASSIVE: copies what no reader still needs and never waits for the writer. SQLITE_BUSY
     * means another connection (a CLI) checkpoints right now: as good. Each round copies
     * what the loop committed during the one before, fewer pages each time, so that the
     * loop's own last step (on_wal_commit()) finds only a commit or two left. */
    for (round = 0; round < ROUNDS_MAX; round++) {
        c->rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
        if (c->rc != SQLITE_OK || log - last_log < TAIL_PAGES) {
            break;
        }
        last_log = log;
    }
    if (c->rc == SQLITE_BUSY) {
        c->rc = SQLITE_OK;
    }
}

static void on_done(uv_work_t *w, int status)
{
    struct checkpointer *c = w->data;

    c->running = false;
    if (c->stopped) {
        destroy(c);
        return;
    }
    if (status == 0 && c->rc != SQLITE_OK) {
        (void)log_limited(&c->lim, LOG_WARNING, "WAL checkpoint failed: %s", sqlite3_errstr(c->rc));
        return;
    }
    c->finish = status == 0;
}

/* Loop thread, right after a commit. */
static void on_wal_commit(void *arg, int wal_pages)
{
    struct checkpointer *c = arg;

    if (c->running || c->stopped || wal_pages < c->wal_pages) {
        return;
    }
    /* The WAL starts again from its beginning only at a write after a checkpoint that left
     * nothing to copy, and the loop commits every millisecond or so under load, so one
     * always lands while the worker runs: the file would grow without end (measured: by
     * 170 MB in a minute). The worker copied nearly everything; the loop copies the few
     * pages committed since, here between two of its own writes, which then restart it. */
    if (c->finish) {
        c->finish = false;
        if (store_checkpoint(c->store) < 0) {
            (void)log_limited(&c->lim, LOG_WARNING, "WAL checkpoint failed: %s",
                              store_errmsg(c->store));
        }
        return;
    }
    if (uv_queue_work(c->loop, &c->work, run_checkpoint, on_done) == 0) {
        c->running = true;
    }
}

int checkpointer_start(uv_loop_t *loop, struct store *store, int wal_pages,
                       struct checkpointer **out)
{
    struct checkpointer *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL || (c->path = strdup(store_path(store))) == NULL) {
        free(c);
        return -ENOMEM;
    }
    c->work.data = c;
    c->loop = loop;
    c->store = store;
    c->wal_pages = wal_pages;
    log_limit_init(&c->lim, "checkpoint failures", 3, 600000);
    store_set_wal_hook(store, on_wal_commit, c);
    *out = c;
    return 0;
}

void checkpointer_stop(struct checkpointer *c)
{
    if (c == NULL) {
        return;
    }
    store_set_wal_hook(c->store, NULL, NULL);
    c->stopped = true;
    (void)log_limit_flush(&c->lim, 0, true);
    if (!c->running) {
        destroy(c);
    }
}
