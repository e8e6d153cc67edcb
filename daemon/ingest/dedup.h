/* SPDX-License-Identifier: MIT
 * Duplicate suppression for frames heard by several packet forwarders (ARCHITECTURE.md,
 * "Bearers and ports"): the first copy of a frame is processed at once, later copies inside
 * the window only add reception metadata. Memory is fixed when the table is made: a ring of
 * entries in arrival order plus an open-addressing index, no allocation per frame. The
 * caller passes a monotonic time in ms, so the table is testable without a clock.
 */
#ifndef PROJ_DAEMON_INGEST_DEDUP_H
#define PROJ_DAEMON_INGEST_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define DEDUP_MUST_CHECK __attribute__((warn_unused_result))
#else
#define DEDUP_MUST_CHECK
#endif

#define DEDUP_KEY_LEN 16u /* SipHash-2-4 key, bytes */

struct dedup;

enum dedup_verdict {
    DEDUP_FIRST = 0, /* not seen inside the window: process it, then dedup_set_outcome() */
    DEDUP_COPY = 1   /* a later copy: see the first copy's outcome */
};

/* What became of the first copy of a frame. */
struct dedup_outcome {
    bool accepted;     /* the first copy was stored */
    int64_t frame_id;  /* its id for store_reception(), when accepted */
    uint64_t first_ms; /* monotonic ms at which the first copy arrived */
};

struct dedup_stats {
    uint64_t live;        /* entries inside their window now (as of the last call) */
    uint64_t firsts;      /* frames seen for the first time */
    uint64_t copies;      /* later copies found inside the window */
    uint64_t expired;     /* entries that lived out their window */
    uint64_t evicted;     /* entries dropped before their window ended: the table was full */
    uint64_t rolled_back; /* entries removed by dedup_rollback() */
};

/*
 * dedup_new() - make a table.
 * @capacity:  in, frames remembered at once, rounded up to a power of two (at least 2,
 *             at most 2^24). Size it to the frame rate times the window: 16384 holds
 *             80,000 frames/s with a 200 ms window. When it is full, the oldest entry is
 *             dropped before its window ends (counted in `evicted`); a late copy of that
 *             frame is then processed again, and the counter check refuses it as a replay,
 *             so a frame is never stored twice, only its extra reception is lost.
 * @window_ms: in, how long a frame is remembered after its first copy, ms; 0 remembers
 *             nothing (every copy is a first).
 * @key:       in, DEDUP_KEY_LEN secret bytes for the keyed hash (the daemon draws them
 *             from getrandom(); tests pass fixed ones). Copied.
 * @out:       out, the table; free it with dedup_free().
 * Return: 0; -EINVAL for a NULL argument or a capacity out of range; -ENOMEM.
 * Any thread; the table itself belongs to one thread.
 */
DEDUP_MUST_CHECK int dedup_new(size_t capacity, uint32_t window_ms,
                               const uint8_t key[DEDUP_KEY_LEN], struct dedup **out);

/* dedup_free() - release @d; NULL is a no-op. */
void dedup_free(struct dedup *d);

/*
 * dedup_lookup() - look a frame up and, when it is new, remember it.
 * @frame, @len: in, the PHYPayload bytes (the key is their length and a keyed 64-bit hash).
 * @now_ms:      in, monotonic ms; never smaller than in an earlier call (a smaller value
 *               is treated as equal to the largest seen).
 * @out:         out, DEDUP_COPY: the first copy's outcome. DEDUP_FIRST: zeroed, and
 *               out->frame_id is not used.
 * @ticket:      out, DEDUP_FIRST: pass it to dedup_set_outcome() once the frame has been
 *               judged. Until then, copies see the first as refused.
 * Entries whose window has ended are dropped first, so a copy arriving exactly @window_ms
 * or more after the first is a new first.
 * Return: DEDUP_FIRST or DEDUP_COPY. Never fails.
 */
enum dedup_verdict dedup_lookup(struct dedup *d, const uint8_t *frame, size_t len, uint64_t now_ms,
                                struct dedup_outcome *out, uint64_t *ticket);

/*
 * dedup_set_outcome() - record what became of the first copy behind @ticket. A no-op when
 * that entry is gone already (expired, evicted or rolled back).
 */
void dedup_set_outcome(struct dedup *d, uint64_t ticket, bool accepted, int64_t frame_id);

/*
 * dedup_mark() - a position in the order of insertion: entries remembered from now on can
 * be forgotten together with dedup_rollback(). The daemon takes a mark after each commit.
 */
uint64_t dedup_mark(const struct dedup *d);

/*
 * dedup_rollback() - forget every entry remembered since @mark. For a failed commit: the
 * frames it held were rolled back, so their frame ids are void, and a later copy must be
 * processed as a first. Return: the number of entries removed.
 */
size_t dedup_rollback(struct dedup *d, uint64_t mark);

/* dedup_get_stats() - counters since dedup_new(). */
void dedup_get_stats(const struct dedup *d, struct dedup_stats *out);

/* dedup_capacity() - the capacity after rounding. */
size_t dedup_capacity(const struct dedup *d);

#endif
