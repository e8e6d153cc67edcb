/* SPDX-License-Identifier: MIT
 * WAL checkpoints off the loop thread. A checkpoint copies the pages the WAL holds into the
 * database file and syncs both files: 2 to 20 ms of disk waits that, run by SQLite inside a
 * commit on the loop thread, stalled every frame and alert behind it (make bench-alert:
 * alert p99 14 ms with synchronous = normal). Here it runs on libuv's worker thread, on a
 * connection of its own that shares nothing with the loop but the file, while the loop goes
 * on committing (a PASSIVE checkpoint never blocks a writer). Loop thread, but for the
 * work itself.
 */
#ifndef PROJ_DAEMON_STORE_CHECKPOINT_H
#define PROJ_DAEMON_STORE_CHECKPOINT_H

#include <uv.h>

#include "store/store.h"

struct checkpointer;

/*
 * checkpointer_start() - take over the checkpoints of @store: a checkpoint starts after a
 * commit that leaves @wal_pages or more pages in the WAL, unless one is running.
 * @store must outlive the checkpointer. Return: 0, -ENOMEM.
 */
int checkpointer_start(uv_loop_t *loop, struct store *store, int wal_pages,
                       struct checkpointer **out);

/*
 * checkpointer_stop() - no new checkpoints; a running one finishes on its own, and the
 * checkpointer is freed after it (run the loop until it has no work left). NULL: no-op.
 */
void checkpointer_stop(struct checkpointer *c);

#endif
