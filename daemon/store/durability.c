/* SPDX-License-Identifier: MIT
 * The durability policy of the daemon's commits (durability.h): commit generations, the WAL
 * sync on libuv's worker thread, and which generation may be acknowledged.
 */
#include "store/durability.h"

#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

#define SYNC_NORMAL_PAGES 256 /* WAL pages (1 MB) between two syncs with synchronous = normal */

struct durability {
    uv_loop_t *loop;
    struct store *store; /* not owned */
    uv_fs_t wal_sync;    /* the fdatasync() of the WAL in flight, if syncing; data = this */
    durability_release_cb released;
    durability_failed_cb failed;
    void *arg;            /* of both callbacks */
    bool acks_wait_sync;  /* synchronous = full: acknowledged once wal_sync covers them */
    bool syncing;         /* wal_sync is in flight */
    bool sync_failed;     /* a WAL sync failed: nothing committed since may be acknowledged */
    bool stopped;         /* durability_stop() was called: free when the sync is done */
    bool in_sync_cb;      /* on_wal_synced() runs: its callbacks may stop the module */
    int wal_fd;           /* store_wal_fd(), or -1 with synchronous = off */
    uint64_t commit_gen;  /* successful store_flush() calls so far */
    uint64_t synced_gen;  /* the last of them a finished sync covers */
    uint64_t syncing_gen; /* the last of them the sync in flight covers */
    int synced_pages;     /* store_wal_pages() when the last sync started */
    struct log_limit flush_limit;
};

int durability_store_synchronous(int synchronous)
{
    return synchronous == 2 ? 1 : synchronous;
}

int durability_start(uv_loop_t *loop, struct store *store, int synchronous,
                     durability_release_cb released, durability_failed_cb failed, void *arg,
                     struct durability **out)
{
    struct durability *d = calloc(1, sizeof(*d));

    *out = NULL;
    if (d == NULL) {
        return -ENOMEM;
    }
    d->loop = loop;
    d->store = store;
    d->released = released;
    d->failed = failed;
    d->arg = arg;
    d->acks_wait_sync = synchronous == 2;
    d->wal_fd = -1;
    log_limit_init(&d->flush_limit, "commit failures", 5, 10000);
    if (synchronous != 0) {
        d->wal_fd = store_wal_fd(store);
        if (d->wal_fd < 0) {
            int rc = d->wal_fd;

            free(d);
            return rc;
        }
    }
    *out = d;
    return 0;
}

/* The last commit whose acknowledgements may leave. */
static uint64_t durable_gen(const struct durability *d)
{
    return d->acks_wait_sync ? d->synced_gen : d->commit_gen;
}

int durability_commit(struct durability *d, uint64_t *gen)
{
    int rc = 0;

    if (store_pending(d->store)) {
        rc = store_flush(d->store);
        /* -ESTALE is the caller's to say, once: the daemon stops on it. */
        if (rc < 0 && rc != -ESTALE) {
            (void)log_limited(&d->flush_limit, LOG_ERR, "commit failed, its frames are refused: %s",
                              store_errmsg(d->store));
        } else {
            d->commit_gen++;
        }
    }
    *gen = d->commit_gen;
    return rc;
}

static void on_wal_synced(uv_fs_t *req);

/*
 * The connection commits without waiting for the disk (synchronous = normal), and the WAL
 * is synced here, on libuv's worker thread, while the loop goes on ingesting. One sync
 * covers every commit made before it started; at most one is in flight, and commits made
 * meanwhile wait for the next. With synchronous = full, acknowledgements wait for it: the
 * commit's fsync no longer stalls every frame behind it (make bench-alert). With normal
 * they do not, but a sync still runs once SYNC_NORMAL_PAGES were written since the last:
 * left dirty, the WAL piles up tens of MB that the next checkpoint must flush, and ext4
 * holds every write of the loop meanwhile (measured: alert p99 35 ms); after every commit,
 * the syncs cost 6 % of the CoAP rate (make bench-coap). SQLite syncs the WAL before each
 * checkpoint and its header when it is reused, as in synchronous = normal.
 */
void durability_release(struct durability *d)
{
    int pages = store_wal_pages(d->store);
    bool due = d->synced_gen < d->commit_gen;
    int rc;

    if (!d->acks_wait_sync) {
        /* Fewer pages than at the last sync: SQLite started the WAL over since. */
        due = due && (pages < d->synced_pages || pages - d->synced_pages >= SYNC_NORMAL_PAGES);
    }
    if (d->wal_fd >= 0 && due && !d->syncing && !d->sync_failed) {
        d->syncing_gen = d->commit_gen;
        d->synced_pages = pages;
        d->wal_sync.data = d;
        rc = uv_fs_fdatasync(d->loop, &d->wal_sync, d->wal_fd, on_wal_synced);
        if (rc < 0) {
            log_error("cannot start a sync of the WAL: %s", uv_strerror(rc));
            d->sync_failed = true;
        } else {
            d->syncing = true;
        }
    }
    d->released(d->arg, durable_gen(d));
}

static void on_wal_synced(uv_fs_t *req)
{
    struct durability *d = req->data;
    ssize_t result = req->result;

    uv_fs_req_cleanup(req);
    d->syncing = false;
    d->in_sync_cb = true;
    if (result < 0) {
        /* After a failed fdatasync() the kernel may have dropped the pages, and a retry can
         * succeed without them: the commits since the last good sync cannot be trusted, so
         * they are never acknowledged, and a restart recovers what the WAL really holds. */
        log_error("cannot sync the WAL: %s; stopping, unacknowledged frames will be resent",
                  uv_strerror((int)result));
        d->sync_failed = true;
        d->failed(d->arg);
    } else {
        d->synced_gen = d->syncing_gen;
        if (!d->stopped) {
            durability_release(d);
        }
    }
    d->in_sync_cb = false;
    if (d->stopped && !d->syncing) {
        free(d);
    }
}

int durability_sync_now(struct durability *d)
{
    int e;

    /* The sync is the loop's own here: a sync still in flight covers less, and waiting is
     * all there is left to do. */
    if (!d->acks_wait_sync || d->sync_failed || d->synced_gen >= d->commit_gen) {
        return 0;
    }
    if (fdatasync(d->wal_fd) == 0) {
        d->synced_gen = d->commit_gen;
        d->released(d->arg, durable_gen(d));
        return 0;
    }
    e = errno;
    log_error("cannot sync the WAL: %s; the last frames are not acknowledged", strerror(e));
    return -e;
}

void durability_stop(struct durability *d)
{
    if (d == NULL || d->stopped) {
        return;
    }
    d->stopped = true;
    (void)log_limit_flush(&d->flush_limit, 0, true);
    if (!d->syncing && !d->in_sync_cb) {
        free(d);
    }
}
