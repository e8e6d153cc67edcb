/* SPDX-License-Identifier: MIT
 * Cluster rules (fusion.h): a class's detections grouped by (rule, zone) in a sliding window,
 * the window's level from its nodes' best confidences, and the alert of each group. fusion.c
 * hands it each detection; their replay after a restart enters here.
 */
#include "alert/fusion.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alert/fusion_int.h"

struct fusion__group *fusion__group_find(struct fusion *f, int rule, const char *zone)
{
    size_t i;

    for (i = 0; i < f->group_len; i++) {
        struct fusion__group *g = f->groups[i];

        if (g->al.rule == rule && strcmp(g->zone, zone) == 0) {
            return g;
        }
    }
    return NULL;
}

/* A new group for @rule and @zone; NULL at the cap (counted) or without memory (*err). */
struct fusion__group *fusion__group_add(struct fusion *f, int rule, const char *zone, int *err)
{
    struct fusion__group *g;

    *err = 0;
    if (f->group_len >= 2 * f->max_alerts) {
        f->st.dropped_windows++;
        return NULL;
    }
    g = calloc(1, sizeof(*g));
    if (g == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    fusion__copy_str(g->zone, sizeof(g->zone), zone);
    g->al.rule = rule;
    f->groups[f->group_len++] = g;
    return g;
}

void fusion__group_free(struct fusion__group *g)
{
    if (g != NULL) {
        free(g->win);
        free(g);
    }
}

/* ---- windows ---- */

struct wstats {
    unsigned nodes; /* distinct nodes in the window */
    double max_p;   /* highest single p */
    double fused;   /* 1 - prod(1 - p) over distinct nodes' best p */
    int level;      /* FUSION__LEVEL_NONE or enum fusion_level */
};

static void window_stats(struct fusion *f, const struct fusion__group *g,
                         const struct config_rule *r, struct wstats *ws)
{
    const struct config_zone *z = config_zone_find(&f->cfg, g->zone);
    double prod = 1.0;
    size_t used = 0;
    size_t i;

    memset(ws, 0, sizeof(*ws));
    if (++f->gen == 0) {
        /* The stamp wrapped: old stamps could look current. */
        memset(f->slots, 0, FUSION__HASH_SLOTS * sizeof(f->slots[0]));
        f->gen = 1;
    }
    for (i = 0; i < g->win_len; i++) {
        const struct fusion__entry *e = &g->win[i];
        /* Fibonacci hashing: DevAddrs share their high bits (the NetID prefix). */
        uint32_t h = (uint32_t)(e->devaddr * 2654435761u) >> (32u - FUSION__HASH_BITS);

        while (f->slots[h].gen == f->gen && f->slots[h].devaddr != e->devaddr) {
            h = (h + 1u) & (FUSION__HASH_SLOTS - 1u);
        }
        if (f->slots[h].gen != f->gen) {
            f->slots[h].gen = f->gen;
            f->slots[h].devaddr = e->devaddr;
            f->slots[h].p = e->p;
            f->used[used++] = h;
        } else if (e->p > f->slots[h].p) {
            f->slots[h].p = e->p;
        }
    }
    for (i = 0; i < used; i++) {
        double best = f->slots[f->used[i]].p;

        prod *= 1.0 - best;
        if (best > ws->max_p) {
            ws->max_p = best;
        }
    }
    ws->nodes = (unsigned)used;
    ws->fused = used > 0 ? 1.0 - prod : 0.0;
    ws->level = FUSION__LEVEL_NONE;
    if (used > 0 && ws->max_p >= r->watch_confidence) {
        ws->level = FUSION_WATCH;
    }
    if (ws->nodes >= r->min_nodes && ws->fused >= r->warning_confidence) {
        ws->level = FUSION_WARNING;
        if ((z != NULL && z->critical) || ws->fused >= r->critical_confidence) {
            ws->level = FUSION_CRITICAL;
        }
    }
}

/* Drop entries whose time is at or before @cutoff_ms, keeping arrival order. */
static void window_prune(struct fusion__group *g, int64_t cutoff_ms)
{
    size_t i;
    size_t k = 0;

    for (i = 0; i < g->win_len; i++) {
        if (g->win[i].time_ms > cutoff_ms) {
            g->win[k++] = g->win[i];
        }
    }
    g->win_len = k;
}

/* Add @e to the window. A full window loses its oldest detection (by time), whose place @e
 * takes: no shifting, so arrival order holds only until a window overflows. */
static int window_push(struct fusion *f, struct fusion__group *g, const struct fusion__entry *e)
{
    if (g->win_len == FUSION_WINDOW_MAX) {
        size_t oldest = 0;
        size_t i;

        for (i = 1; i < g->win_len; i++) {
            if (g->win[i].time_ms < g->win[oldest].time_ms) {
                oldest = i;
            }
        }
        g->win[oldest] = *e;
        f->st.window_overflow++;
        return 0;
    }
    if (g->win_len == g->win_cap) {
        size_t cap = g->win_cap != 0 ? g->win_cap * 2 : 16;
        struct fusion__entry *w;

        if (cap > FUSION_WINDOW_MAX) {
            cap = FUSION_WINDOW_MAX;
        }
        w = realloc(g->win, cap * sizeof(*w));
        if (w == NULL) {
            return -ENOMEM;
        }
        g->win = w;
        g->win_cap = cap;
    }
    g->win[g->win_len++] = *e;
    return 0;
}

/* Build a cluster alert's work copy from its window (the alert is about to open). */
static void group_work_from_window(struct fusion *f, struct fusion__group *g,
                                   const struct wstats *ws)
{
    const struct config_rule *r = &f->cfg.rules[g->al.rule];
    struct fusion__alert *al = &g->al;
    size_t i;

    fusion__work_reset(al, FUSION_KIND_CLUSTER, fusion__rule_class_name(f, r), g->zone, g->zone,
                       r->name);
    al->work.level = (enum fusion_level)ws->level;
    al->work.confidence = ws->fused;
    al->work.detections = (uint32_t)g->win_len;
    for (i = 0; i < g->win_len; i++) {
        const struct fusion__entry *e = &g->win[i];

        fusion__work_add_node(al, e->devaddr, e->p, e->has_position, e->lat, e->lon);
        if (i == 0 || e->time_ms < al->work.first_seen_ms) {
            al->work.first_seen_ms = e->time_ms;
        }
        if (e->time_ms > al->work.last_seen_ms) {
            al->work.last_seen_ms = e->time_ms;
        }
    }
    fusion__work_centroid(al);
}

/*
 * Everything due for one group at @now_ms; @e is the detection that just entered its window
 * (NULL at a tick). Return: 0 or the emit callback's value.
 */
static int group_eval(struct fusion *f, struct fusion__group *g, const struct fusion__entry *e,
                      int64_t now_ms)
{
    struct fusion__alert *al = &g->al;
    const struct config_rule *r;
    struct wstats ws;

    if (al->rule < 0) {
        g->win_len = 0;
        if (!al->active) {
            return 0;
        }
        return fusion__publish(f, al, FUSION_CLEARED, now_ms, FUSION__CLEAR_RULE_GONE, 0, 0);
    }
    r = &f->cfg.rules[al->rule];
    window_prune(g, now_ms - (int64_t)r->window_s * 1000);
    if (al->active && now_ms - al->last_input_ms >= (int64_t)r->clear_after_s * 1000) {
        int rc = fusion__publish(f, al, FUSION_CLEARED, now_ms, FUSION__CLEAR_QUIET,
                                 (long)((now_ms - al->last_input_ms) / 1000), 0);

        if (rc == 0) {
            g->win_len = 0;
        }
        return rc;
    }
    if (!al->active && fusion__storm_holds(f, g, now_ms)) {
        /* What the storm made the zone hear must not open its alert once the storm passes. */
        g->win_len = 0;
        return 0;
    }
    window_stats(f, g, r, &ws);
    if (!al->active) {
        if (ws.level == FUSION__LEVEL_NONE || !fusion__may_open(f)) {
            return 0;
        }
        group_work_from_window(f, g, &ws);
        return fusion__publish(f, al, FUSION_OPEN, now_ms, FUSION__CLEAR_QUIET, 0, 0);
    }
    if (e != NULL) {
        fusion__work_add_node(al, e->devaddr, e->p, e->has_position, e->lat, e->lon);
        fusion__work_centroid(al);
        al->work.detections++;
        if (e->time_ms > al->work.last_seen_ms) {
            al->work.last_seen_ms = e->time_ms;
        }
        if (e->time_ms < al->work.first_seen_ms) {
            al->work.first_seen_ms = e->time_ms;
        }
    }
    al->work.level = (enum fusion_level)level_max((int)al->work.level, ws.level);
    if (ws.fused > al->work.confidence + FUSION__CONF_EPS) {
        al->work.confidence = ws.fused;
    }
    return fusion__escalate_or_update(f, al, r->update_interval_s, now_ms, 0, 0);
}

/* ---- inputs and time ---- */

/* A window entry for a detection of node @in: @confidence as on the wire, @time_ms Unix ms. */
static void entry_fill(struct fusion__entry *e, const struct fusion_node *in, uint8_t confidence,
                       int64_t time_ms)
{
    memset(e, 0, sizeof(*e));
    e->devaddr = in->devaddr;
    e->has_position = in->has_position;
    e->lat = in->lat;
    e->lon = in->lon;
    e->p = (double)confidence / 255.0;
    e->time_ms = time_ms;
}

int fusion__cluster_detection(struct fusion *f, const struct fusion_node *in, uint8_t class_id,
                              uint8_t confidence, int64_t time_ms, int64_t now_ms, int rc)
{
    char zone[FUSION_NAME_LEN];
    struct fusion__entry e;
    struct fusion__group *g;
    const struct config_rule *r;
    int rule;
    int err;

    rule = f->cluster_rule[class_id];
    if (rule < 0) {
        f->st.no_rule++;
        return rc;
    }
    r = &f->cfg.rules[rule];
    if (time_ms > now_ms) {
        time_ms = now_ms;
    }
    if (time_ms <= now_ms - (int64_t)r->window_s * 1000) {
        f->st.stale++;
        return rc;
    }
    entry_fill(&e, in, confidence, time_ms);
    fusion__resolve_zone(f, in, zone);
    g = fusion__group_find(f, rule, zone);
    if (g == NULL) {
        g = fusion__group_add(f, rule, zone, &err);
        if (g == NULL) {
            return err != 0 ? err : rc;
        }
    }
    err = window_push(f, g, &e);
    if (err != 0) {
        return err;
    }
    g->al.last_input_ms = now_ms;
    fusion__storm_note(f, g, time_ms, now_ms);
    return first_error(rc, group_eval(f, g, &e, now_ms));
}

int fusion_replay_detection(struct fusion *f, const struct fusion_node *in, uint8_t class_id,
                            uint8_t confidence, int64_t time_ms, int64_t received_ms,
                            int64_t now_ms)
{
    char zone[FUSION_NAME_LEN];
    struct fusion__entry e;
    struct fusion__group *g;
    int64_t window_ms;
    int rule;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    rule = f->cluster_rule[class_id];
    if (rule < 0 || received_ms > now_ms) {
        return 0;
    }
    window_ms = (int64_t)f->cfg.rules[rule].window_s * 1000;
    if (time_ms > received_ms) {
        time_ms = received_ms;
    }
    /* Stale when it arrived: it was no input then (fusion__cluster_detection()). */
    if (time_ms <= received_ms - window_ms) {
        return 0;
    }
    fusion__resolve_zone(f, in, zone);
    g = fusion__group_find(f, rule, zone);
    /* Only an alert that was restored, and only what it already counted: a detection from
     * before it opened belonged to an alert that has cleared since. */
    if (g == NULL || !g->al.active || time_ms < g->al.pub.first_seen_ms) {
        return 0;
    }
    /* It was an input when it arrived: the quiet time counts from there, as it did before
     * the restart, even when no transition published it (updates are rate-limited). */
    if (received_ms > g->al.last_input_ms) {
        g->al.last_input_ms = received_ms;
    }
    if (time_ms <= now_ms - window_ms) {
        return 0;
    }
    entry_fill(&e, in, confidence, time_ms);
    return window_push(f, g, &e);
}

int64_t fusion_replay_since(const struct fusion *f, int64_t now_ms)
{
    unsigned span_s = 0;
    unsigned i;

    for (i = 0; i < f->cfg.rule_count; i++) {
        const struct config_rule *r = &f->cfg.rules[i];

        if (r->type == CONFIG_RULE_CLUSTER) {
            span_s = r->window_s > span_s ? r->window_s : span_s;
            span_s = r->clear_after_s > span_s ? r->clear_after_s : span_s;
        }
    }
    return now_ms - (int64_t)span_s * 1000;
}

void fusion__cluster_reconfig(struct fusion *f)
{
    size_t i;

    /* Rule indices may now name other rules. */
    memset(f->storm_until_ms, 0, sizeof(f->storm_until_ms));
    for (i = 0; i < f->group_len; i++) {
        struct fusion__alert *al = &f->groups[i]->al;

        if (al->active) {
            al->rule =
                fusion__rule_find(&f->cfg, al->pub.rule, CONFIG_RULE_CLUSTER, al->pub.class_name);
        } else {
            /* A window without an alert is dropped (fusion.h): emptied here, freed by the
             * evaluation fusion_set_config() runs next. */
            al->rule = -1;
            f->groups[i]->win_len = 0;
        }
    }
}

int fusion__cluster_tick(struct fusion *f, int64_t now_ms)
{
    size_t i;
    size_t k = 0;
    int rc = 0;

    for (i = 0; i < f->group_len; i++) {
        struct fusion__group *g = f->groups[i];

        rc = first_error(rc, group_eval(f, g, NULL, now_ms));
        if (!g->al.active && g->win_len == 0 && !fusion__storm_counts(f, g, now_ms)) {
            fusion__group_free(g);
            continue;
        }
        f->groups[k++] = g;
    }
    f->group_len = k;
    return rc;
}
