/* SPDX-License-Identifier: MIT
 * Frames per minute, accepted and refused, by bearer. The daemon keeps only running totals
 * (the counters table, written with each commit), so rates are differences between
 * snapshots of them that tinyfleet-web takes itself: a ring of the last few minutes of
 * snapshots, the rate taken over the newest minute of it. Thread-safe: the main thread
 * samples, the HTTP thread reads.
 */
#ifndef PROJ_WEB_WEB_RATES_H
#define PROJ_WEB_WEB_RATES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define WEB_RATES_SNAPSHOTS 32    /* kept snapshots; at one per 5 s, 160 s of history */
#define WEB_RATES_WINDOW_MS 60000 /* the span a rate is taken over, ms */

struct web_rates_snapshot {
    int64_t time_ms;                                         /* when it was read, Unix ms */
    uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT]; /* the counters then */
};

/* Owned by its caller (embedded); web_rates_init() before use. */
struct web_rates {
    pthread_mutex_t lock;
    unsigned len;  /* snapshots held */
    unsigned next; /* ring index of the next one */
    struct web_rates_snapshot ring[WEB_RATES_SNAPSHOTS];
};

/* One bearer's rates; valid is false until two snapshots at least 1 s apart exist. */
struct web_rate {
    bool valid;
    double accepted_per_min; /* frames stored */
    double refused_per_min;  /* frames and datagrams refused (neither accepted nor duplicate) */
    double span_s;           /* the time the rate was measured over, s */
};

/* web_rates_init() - empty @r. Return: 0, or the error of pthread_mutex_init() (positive). */
int web_rates_init(struct web_rates *r);

/* web_rates_deinit() - release @r's mutex. */
void web_rates_deinit(struct web_rates *r);

/*
 * web_rates_add() - record the counters @counts read at @time_ms. A snapshot older than the
 * newest is ignored; counts lower than the newest (the daemon's database was replaced) clear
 * the history first. Any thread.
 */
void web_rates_add(struct web_rates *r, int64_t time_ms,
                   uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT]);

/*
 * web_rates_get() - the rate of each bearer: from the newest snapshot back to the oldest one
 * at most WEB_RATES_WINDOW_MS older (or the oldest held). Any thread.
 * @out: out, one per bearer (enum store_bearer order).
 */
void web_rates_get(struct web_rates *r, struct web_rate out[STORE_BEARER_COUNT]);

/* web_rates_refused() - the refused count of @counts' row for one bearer. */
uint64_t web_rates_refused(const uint64_t row[STORE_REASON_COUNT]);

#endif
