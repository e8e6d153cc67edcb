/* SPDX-License-Identifier: MIT
 * Frames per minute from snapshots of the daemon's running totals (web_rates.h).
 */
#include "web_rates.h"

#include <assert.h>
#include <string.h>

int web_rates_init(struct web_rates *r)
{
    assert(r != NULL);
    memset(r, 0, sizeof(*r));
    return pthread_mutex_init(&r->lock, NULL);
}

void web_rates_deinit(struct web_rates *r)
{
    (void)pthread_mutex_destroy(&r->lock);
}

uint64_t web_rates_refused(const uint64_t row[STORE_REASON_COUNT])
{
    uint64_t n = 0;
    int i;

    /* A duplicate is a copy of a frame already accepted: neither accepted again nor refused. */
    for (i = 0; i < STORE_REASON_COUNT; i++) {
        if (i != STORE_ACCEPTED && i != STORE_DUPLICATE) {
            n += row[i];
        }
    }
    return n;
}

static const struct web_rates_snapshot *at(const struct web_rates *r, unsigned age)
{
    return &r->ring[(r->next + WEB_RATES_SNAPSHOTS - 1 - age) % WEB_RATES_SNAPSHOTS];
}

static bool went_back(const struct web_rates_snapshot *last,
                      uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT])
{
    int b;
    int i;

    for (b = 0; b < STORE_BEARER_COUNT; b++) {
        for (i = 0; i < STORE_REASON_COUNT; i++) {
            if (counts[b][i] < last->counts[b][i]) {
                return true;
            }
        }
    }
    return false;
}

void web_rates_add(struct web_rates *r, int64_t time_ms,
                   uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT])
{
    struct web_rates_snapshot *s;

    assert(r != NULL && counts != NULL);
    (void)pthread_mutex_lock(&r->lock);
    if (r->len > 0 && time_ms <= at(r, 0)->time_ms) {
        goto out;
    }
    if (r->len > 0 && went_back(at(r, 0), counts)) {
        r->len = 0;
    }
    s = &r->ring[r->next];
    s->time_ms = time_ms;
    memcpy(s->counts, counts, sizeof(s->counts));
    r->next = (r->next + 1) % WEB_RATES_SNAPSHOTS;
    if (r->len < WEB_RATES_SNAPSHOTS) {
        r->len++;
    }
out:
    (void)pthread_mutex_unlock(&r->lock);
}

void web_rates_get(struct web_rates *r, struct web_rate out[STORE_BEARER_COUNT])
{
    const struct web_rates_snapshot *last;
    const struct web_rates_snapshot *first = NULL;
    unsigned age;
    int b;

    assert(r != NULL && out != NULL);
    memset(out, 0, sizeof(*out) * STORE_BEARER_COUNT);
    (void)pthread_mutex_lock(&r->lock);
    if (r->len < 2) {
        goto out;
    }
    last = at(r, 0);
    for (age = 1; age < r->len; age++) {
        if (last->time_ms - at(r, age)->time_ms > WEB_RATES_WINDOW_MS) {
            break;
        }
        first = at(r, age);
    }
    if (first == NULL) {
        first = at(r, 1); /* the newest two are already more than a window apart */
    }
    if (last->time_ms - first->time_ms < 1000) {
        goto out;
    }
    for (b = 0; b < STORE_BEARER_COUNT; b++) {
        double span_min = (double)(last->time_ms - first->time_ms) / 60000.0;

        out[b].valid = true;
        out[b].span_s = span_min * 60.0;
        out[b].accepted_per_min =
            (double)(last->counts[b][STORE_ACCEPTED] - first->counts[b][STORE_ACCEPTED]) / span_min;
        out[b].refused_per_min =
            (double)(web_rates_refused(last->counts[b]) - web_rates_refused(first->counts[b])) /
            span_min;
    }
out:
    (void)pthread_mutex_unlock(&r->lock);
}
