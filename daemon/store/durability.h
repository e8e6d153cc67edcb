/* SPDX-License-Identifier: MIT
 * What [storage] synchronous means to the daemon: when an acknowledgement held for a commit
 * may leave. The group commit counts its successful store_flush() calls (the commit
 * generation a bearer tags its held acknowledgements with); a generation is durable once
 * committed (normal, off) or once an fdatasync() of the WAL started after it has finished
 * (full). That sync runs on libuv's worker thread while the loop goes on ingesting; with
 * normal a sync still runs every 256 WAL pages, so the next checkpoint finds little to flush.
 * Loop thread, but for the sync itself.
 */
#ifndef PROJ_DAEMON_STORE_DURABILITY_H
#define PROJ_DAEMON_STORE_DURABILITY_H

#include <stdint.h>

#include <uv.h>

#include "store/store.h"

struct durability;

/* Commits up to generation @gen are durable: their acknowledgements may leave now. Called
 * after every group commit (with the same @gen when nothing new is durable) and after every
 * sync that completes. */
typedef void (*durability_release_cb)(void *arg, uint64_t gen);

/* A sync of the WAL failed: the commits since the last good sync are never released, and the
 * daemon must stop (a restart recovers what the WAL really holds). Called once. */
typedef void (*durability_failed_cb)(void *arg);

/*
 * durability_store_synchronous() - the `synchronous` to open the store with (store_open())
 * for [storage] synchronous @synchronous (0 off, 1 normal, 2 full): full is made here, by
 * the sync beside the loop, so its connection commits as normal does.
 */
int durability_store_synchronous(int synchronous);

/*
 * durability_start() - take over the commits of @store, opened with
 * durability_store_synchronous(@synchronous) in daemon mode.
 * @released, @failed, @arg: told what becomes durable and when a sync fails; loop thread.
 * @store must outlive the module (until durability_stop() and the loop has run the sync in
 * flight to its end). Return: 0 and *@out; -ENOMEM; with @synchronous other than 0, the
 * negative errno of store_wal_fd() when the WAL cannot be opened (message in store_errmsg()).
 */
int durability_start(uv_loop_t *loop, struct store *store, int synchronous,
                     durability_release_cb released, durability_failed_cb failed, void *arg,
                     struct durability **out);

/*
 * durability_commit() - the group commit's flush: commit the store's open batch (and its
 * counters) when anything is pending, and count it. A failed commit is logged (rate-limited).
 * @gen: out, the generation of the last successful commit: what a bearer's acknowledgements
 * taken before this call belong to when it returns 0.
 * Return: 0 (also when nothing was pending) or store_flush()'s -EIO, or its -ESTALE (the
 * database file was deleted or replaced: not logged here, the caller stops the daemon).
 */
int durability_commit(struct durability *d, uint64_t *gen);

/* durability_release() - after a group commit has told the bearers: start a sync of the WAL
 * when one is due and none is in flight, then release what is durable. */
void durability_release(struct durability *d);

/*
 * durability_sync_now() - at shutdown, after the last durability_commit(): with synchronous
 * full, sync the WAL on the loop thread (a sync in flight may cover less) and release what
 * it covers. Nothing to do otherwise, or after a failed sync.
 * Return: 0, or the negative errno of fdatasync() (logged; the last commits stay unreleased).
 */
int durability_sync_now(struct durability *d);

/* durability_stop() - release nothing more; a sync in flight finishes on its own (a failure
 * is still reported) and the module is freed after it. NULL: no-op. */
void durability_stop(struct durability *d);

#endif
