/* SPDX-License-Identifier: MIT
 * Episodes, batching and the periodic messages (see aggregator.h). Times are node-clock
 * milliseconds; everything saturates rather than wraps, as the TFP fields do.
 */
#include "nodefw/aggregator.h"

#include <string.h>

enum { TRACK_IDLE = 0, TRACK_DEBOUNCE = 1, TRACK_OPEN = 2 };

/* The episode rules of each profile's class (aggregator.h), chosen on validation streams
 * and calls (host/train/README.md, "Episode rules"). */
#define AGG_ELEPHANT_STRONG  250
#define AGG_ELEPHANT_PEAK    0
#define AGG_ELEPHANT_MAX_RUN 10
#define AGG_WHALE_STRONG     250
#define AGG_WHALE_PEAK       0
#define AGG_WHALE_MAX_RUN    0

static uint16_t sat_u16_add(uint16_t a, uint32_t b)
{
    return (uint16_t)((uint32_t)a + b > 0xFFFFu ? 0xFFFFu : (uint32_t)a + b);
}

void aggregator_default_config(struct agg_config *cfg)
{
    cfg->on_conf = 178; /* p >= 0.70 */
    cfg->min_windows = 2;
    cfg->hangover_ms = 10000;
    cfg->max_episode_ms = 120000;
    cfg->batch_wait_ms = 10000;
    cfg->health_period_ms = 15u * 60u * 1000u;
    cfg->anomaly_period_ms = 0;
    cfg->strong_conf = 0;
    cfg->peak_conf = 0;
    cfg->max_run = 0;
}

void aggregator_profile_config(struct agg_config *cfg, enum dsp_profile p)
{
    aggregator_default_config(cfg);
    if (p == DSP_PROFILE_ELEPHANT) {
        cfg->strong_conf = AGG_ELEPHANT_STRONG;
        cfg->peak_conf = AGG_ELEPHANT_PEAK;
        cfg->max_run = AGG_ELEPHANT_MAX_RUN;
    } else if (p == DSP_PROFILE_WHALE) {
        cfg->strong_conf = AGG_WHALE_STRONG;
        cfg->peak_conf = AGG_WHALE_PEAK;
        cfg->max_run = AGG_WHALE_MAX_RUN;
    }
}

void aggregator_init(struct aggregator *agg, const struct agg_config *cfg, uint64_t now_ms)
{
    memset(agg, 0, sizeof(*agg));
    agg->cfg = *cfg;
    if (agg->cfg.min_windows == 0u) {
        agg->cfg.min_windows = 1;
    }
    agg->next_health_ms = now_ms + cfg->health_period_ms;
    agg->period_start_ms = now_ms;
}

/* Queue the episode of @t; when the queue is full the least confident record goes (the
 * new one if it is the least confident), so a burst of weak detections cannot push out a
 * strong one. */
static void close_episode(struct aggregator *agg, uint8_t class_id, struct agg_track *t,
                          uint64_t now_ms)
{
    struct agg_record rec;
    size_t weakest = 0;
    size_t i;

    t->state = TRACK_IDLE;
    t->run = 0;
    if ((agg->cfg.peak_conf != 0u && t->max_conf < agg->cfg.peak_conf) ||
        (agg->cfg.max_run != 0u && t->longest > agg->cfg.max_run)) {
        agg->rejected++; /* not the shape of a call (episode rules, aggregator.h) */
        return;
    }
    rec.class_id = class_id;
    rec.confidence = t->max_conf;
    rec.level_db = t->max_level;
    rec.start_ms = t->start_ms;
    rec.end_ms = t->last_ms;
    rec.closed_ms = now_ms;
    agg->episodes++;
    agg->detections = sat_u16_add(agg->detections, 1);

    if (agg->queued < AGG_QUEUE) {
        agg->queue[agg->queued++] = rec;
        return;
    }
    for (i = 1; i < AGG_QUEUE; i++) {
        if (agg->queue[i].confidence < agg->queue[weakest].confidence) {
            weakest = i;
        }
    }
    agg->dropped++;
    if (agg->queue[weakest].confidence >= rec.confidence) {
        return;
    }
    memmove(&agg->queue[weakest], &agg->queue[weakest + 1],
            (AGG_QUEUE - 1u - weakest) * sizeof(agg->queue[0]));
    agg->queue[AGG_QUEUE - 1u] = rec;
}

/* Close the open episodes whose last counting window is hangover_ms or more before @now
 * (all of them when flushing). */
static void expire(struct aggregator *agg, uint64_t now_ms)
{
    uint8_t c;

    for (c = 1; c < AGG_CLASSES; c++) {
        struct agg_track *t = &agg->track[c];

        if (t->state == TRACK_OPEN &&
            (agg->flushing || now_ms >= t->last_ms + agg->cfg.hangover_ms)) {
            close_episode(agg, c, t, now_ms);
        }
    }
}

static void account_score(struct aggregator *agg, const struct agg_window *w)
{
    if (!w->scored) {
        return;
    }
    agg->windows++;
    agg->score_sum += w->score;
    if (w->anomalous) {
        agg->anomalous++; /* the model's own threshold decides (classify.h) */
    }
    if (agg->windows == 1u || w->score > agg->score_max) {
        agg->score_max = w->score;
        agg->peak_band = w->peak_band;
    }
}

void aggregator_window(struct aggregator *agg, const struct agg_window *w)
{
    uint8_t hit = 0;
    uint8_t c;

    agg->inferences = sat_u16_add(agg->inferences, 1);
    account_score(agg, w);
    if (w->class_id != 0u && w->class_id < AGG_CLASSES && w->confidence >= agg->cfg.on_conf) {
        hit = w->class_id;
    }
    expire(agg, w->start_ms);

    for (c = 1; c < AGG_CLASSES; c++) {
        struct agg_track *t = &agg->track[c];

        if (c != hit) {
            /* A miss breaks a debounce run; an open episode waits for its hangover. */
            if (t->state == TRACK_DEBOUNCE) {
                t->state = TRACK_IDLE;
                t->run = 0;
            }
            t->cur = 0;
            continue;
        }
        if (t->state == TRACK_IDLE) {
            t->state = TRACK_DEBOUNCE;
            t->run = 0;
            t->start_ms = w->start_ms;
            t->max_conf = 0;
            t->max_level = 0;
            t->longest = 0;
            t->cur = 0;
        }
        t->run = (uint8_t)(t->run < 255u ? t->run + 1u : 255u);
        t->cur = (uint8_t)(t->cur < 255u ? t->cur + 1u : 255u);
        t->longest = t->cur > t->longest ? t->cur : t->longest;
        t->last_ms = w->end_ms;
        if (w->confidence > t->max_conf) {
            t->max_conf = w->confidence;
        }
        if (w->level_db > t->max_level) {
            t->max_level = w->level_db;
        }
        if (t->state == TRACK_DEBOUNCE &&
            (t->run >= agg->cfg.min_windows ||
             (agg->cfg.strong_conf != 0u && w->confidence >= agg->cfg.strong_conf))) {
            t->state = TRACK_OPEN;
        }
        if (t->state == TRACK_OPEN && t->last_ms - t->start_ms >= agg->cfg.max_episode_ms) {
            close_episode(agg, c, t, w->end_ms);
        }
    }
}

void aggregator_flush(struct aggregator *agg, uint64_t now_ms)
{
    agg->flushing = true;
    expire(agg, now_ms);
}

void aggregator_tx_failure(struct aggregator *agg)
{
    if (agg->tx_failures < 255u) {
        agg->tx_failures++;
    }
}

static uint8_t sat_u8(uint64_t v)
{
    return (uint8_t)(v > 255u ? 255u : v);
}

static bool peek_detections(const struct aggregator *agg, uint64_t now_ms,
                            struct proto_tfp_msg *out)
{
    uint8_t n;
    uint8_t i;

    if (agg->queued == 0u) {
        return false;
    }
    if (agg->queued < PROTO_TFP_MAX_RECORDS && !agg->flushing &&
        now_ms < agg->queue[0].closed_ms + agg->cfg.batch_wait_ms) {
        return false;
    }
    n = agg->queued < PROTO_TFP_MAX_RECORDS ? agg->queued : (uint8_t)PROTO_TFP_MAX_RECORDS;
    memset(out, 0, sizeof(*out));
    out->port = PROTO_TFP_PORT_DETECTIONS;
    out->u.det.count = n;
    for (i = 0; i < n; i++) {
        const struct agg_record *r = &agg->queue[i];
        struct proto_tfp_detection *d = &out->u.det.rec[i];
        uint64_t age = now_ms > r->start_ms ? (now_ms - r->start_ms + 500u) / 1000u : 0u;

        d->class_id = r->class_id;
        d->confidence = r->confidence;
        d->age_s = (uint16_t)(age > 0xFFFFu ? 0xFFFFu : age);
        d->duration_s = sat_u8((r->end_ms - r->start_ms + 500u) / 1000u);
        d->level_db = r->level_db;
    }
    return true;
}

static bool peek_anomaly(const struct aggregator *agg, uint64_t now_ms, struct proto_tfp_msg *out)
{
    uint32_t windows = agg->windows;
    uint32_t anomalous = agg->anomalous;
    uint64_t period = (now_ms - agg->period_start_ms + 500u) / 1000u;

    if (agg->cfg.anomaly_period_ms == 0u || windows == 0u ||
        (!agg->flushing && now_ms < agg->period_start_ms + agg->cfg.anomaly_period_ms)) {
        return false;
    }
    memset(out, 0, sizeof(*out));
    out->port = PROTO_TFP_PORT_ANOMALY;
    /* The wire counts are 8 bits: a longer period is scaled down keeping the ratio, rounding
     * a non-zero anomalous count up so that a rare fault never reads as none. */
    if (windows > 255u) {
        anomalous = (anomalous * 255u + windows - 1u) / windows;
        windows = 255u;
    }
    out->u.anomaly.windows = (uint8_t)windows;
    out->u.anomaly.anomalous = (uint8_t)anomalous;
    out->u.anomaly.score_mean = (uint8_t)((agg->score_sum + agg->windows / 2u) / agg->windows);
    out->u.anomaly.score_max = agg->score_max;
    out->u.anomaly.peak_band = agg->peak_band;
    out->u.anomaly.period_s = (uint16_t)(period > 0xFFFFu ? 0xFFFFu : period);
    return true;
}

bool aggregator_peek(struct aggregator *agg, uint64_t now_ms, struct proto_tfp_msg *out)
{
    expire(agg, now_ms);
    if (peek_detections(agg, now_ms, out) || peek_anomaly(agg, now_ms, out)) {
        return true;
    }
    if (agg->cfg.health_period_ms == 0u) {
        return false;
    }
    if (agg->flushing ? agg->flush_health : now_ms < agg->next_health_ms) {
        return false;
    }
    memset(out, 0, sizeof(*out));
    out->port = PROTO_TFP_PORT_HEALTH;
    out->u.health.inferences = agg->inferences;
    out->u.health.detections = agg->detections;
    out->u.health.tx_failures = agg->tx_failures;
    return true;
}

void aggregator_commit(struct aggregator *agg, uint64_t now_ms, const struct proto_tfp_msg *msg)
{
    uint8_t n;

    switch (msg->port) {
    case PROTO_TFP_PORT_DETECTIONS:
        n = msg->u.det.count <= agg->queued ? msg->u.det.count : agg->queued;
        memmove(&agg->queue[0], &agg->queue[n], (size_t)(agg->queued - n) * sizeof(agg->queue[0]));
        agg->queued = (uint8_t)(agg->queued - n);
        break;
    case PROTO_TFP_PORT_ANOMALY:
        agg->period_start_ms = now_ms;
        agg->windows = 0;
        agg->anomalous = 0;
        agg->score_sum = 0;
        agg->score_max = 0;
        agg->peak_band = 0;
        break;
    case PROTO_TFP_PORT_HEALTH:
        /* Counts since the previous health message, as the message says. */
        agg->inferences = 0;
        agg->detections = 0;
        agg->tx_failures = 0;
        agg->next_health_ms = now_ms + agg->cfg.health_period_ms;
        agg->flush_health = agg->flushing;
        break;
    default:
        break;
    }
}
