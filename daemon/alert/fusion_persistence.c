/* SPDX-License-Identifier: MIT
 * Persistence rules (fusion.h): per node, a ring of its last n anomaly summaries, k of them
 * anomalous make a warning, a score above the critical threshold a critical alert. Only the
 * first persistence rule of the config is fed. fusion.c hands it each anomaly summary.
 */
#include "alert/fusion.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alert/fusion_int.h"

static int ring_push(struct fusion__node *n, unsigned cap, const struct fusion__ring_entry *e)
{
    if (cap == 0 || cap > FUSION__RING_MAX) {
        return 0;
    }
    if (n->ring == NULL) {
        n->ring = calloc(FUSION__RING_MAX, sizeof(n->ring[0]));
        if (n->ring == NULL) {
            return -ENOMEM;
        }
    }
    while (n->ring_len >= cap) {
        memmove(&n->ring[0], &n->ring[1], (n->ring_len - 1) * sizeof(n->ring[0]));
        n->ring_len--;
    }
    n->ring[n->ring_len++] = *e;
    return 0;
}

struct ring_stats {
    unsigned anomalous; /* anomalous summaries in the ring */
    uint8_t score_max;  /* highest score_max in the ring */
    int64_t first_ms;   /* arrival of the oldest anomalous one */
    int64_t last_ms;    /* arrival of the newest anomalous one */
    int level;
};

static void ring_stats(const struct fusion__node *n, const struct config_rule *r,
                       struct ring_stats *rs)
{
    unsigned i;

    memset(rs, 0, sizeof(*rs));
    for (i = 0; i < n->ring_len; i++) {
        const struct fusion__ring_entry *e = &n->ring[i];

        if (e->score_max > rs->score_max) {
            rs->score_max = e->score_max;
        }
        if (!e->anomalous) {
            continue;
        }
        if (rs->anomalous == 0) {
            rs->first_ms = e->time_ms;
        }
        rs->last_ms = e->time_ms;
        rs->anomalous++;
    }
    rs->level = FUSION__LEVEL_NONE;
    if (rs->anomalous >= r->k) {
        rs->level = FUSION_WARNING;
    }
    if ((double)rs->score_max / 255.0 > r->critical_confidence) {
        rs->level = FUSION_CRITICAL;
    }
}

/* Everything due for a node's persistence alert; @e is the summary just pushed, or NULL. */
int fusion__pers_eval(struct fusion *f, struct fusion__node *n, const struct fusion__ring_entry *e,
                      int64_t now_ms)
{
    struct fusion__alert *al = n->alert[FUSION__SLOT_PERS];
    const struct config_rule *r;
    struct ring_stats rs;
    int rc;

    if (al != NULL && al->active && al->rule < 0) {
        rc = fusion__publish(f, al, FUSION_CLEARED, now_ms, FUSION__CLEAR_RULE_GONE, 0, 0);
        if (rc == 0) {
            n->ring_len = 0;
        }
        fusion__node_alert_drop(n, FUSION__SLOT_PERS);
        return rc;
    }
    if (f->pers_rule < 0) {
        return 0;
    }
    r = &f->cfg.rules[f->pers_rule];
    ring_stats(n, r, &rs);
    if (al == NULL || !al->active) {
        if (rs.level == FUSION__LEVEL_NONE || !fusion__may_open(f)) {
            return 0;
        }
        al = fusion__node_alert_prepare(n, FUSION__SLOT_PERS, FUSION_KIND_PERSISTENCE,
                                        fusion__rule_class_name(f, r), r->name, f->pers_rule);
        if (al == NULL) {
            return -ENOMEM;
        }
        al->work.level = (enum fusion_level)rs.level;
        al->work.confidence = (double)rs.score_max / 255.0;
        al->work.detections = rs.anomalous;
        al->work.first_seen_ms = rs.anomalous > 0 ? rs.first_ms : now_ms;
        al->work.last_seen_ms = rs.anomalous > 0 ? rs.last_ms : now_ms;
        al->last_input_ms = now_ms;
        rc = fusion__publish(f, al, FUSION_OPEN, now_ms, FUSION__CLEAR_QUIET, (long)rs.anomalous,
                             (long)n->ring_len);
        fusion__node_alert_drop(n, FUSION__SLOT_PERS);
        return rc;
    }
    if (now_ms - al->last_input_ms >= (int64_t)r->clear_after_s * 1000) {
        rc = fusion__publish(f, al, FUSION_CLEARED, now_ms, FUSION__CLEAR_QUIET,
                             (long)((now_ms - al->last_input_ms) / 1000), 0);
        if (rc == 0) {
            n->ring_len = 0;
        }
        fusion__node_alert_drop(n, FUSION__SLOT_PERS);
        return rc;
    }
    if (e != NULL && e->anomalous) {
        al->work.detections++;
        al->work.last_seen_ms = e->time_ms;
        if ((double)e->score_max / 255.0 > al->work.confidence) {
            al->work.confidence = (double)e->score_max / 255.0;
        }
        fusion__work_add_node(al, n->devaddr, 1.0, n->has_position, n->lat, n->lon);
        fusion__work_centroid(al);
    }
    al->work.level = (enum fusion_level)level_max((int)al->work.level, rs.level);
    return fusion__escalate_or_update(f, al, r->update_interval_s, now_ms, (long)rs.anomalous,
                                      (long)n->ring_len);
}

int fusion__pers_anomaly(struct fusion *f, struct fusion__node *n,
                         const struct proto_tfp_anomaly *a, int64_t now_ms, int rc)
{
    struct fusion__ring_entry e;

    if (f->pers_rule < 0) {
        f->st.no_rule++;
        return rc;
    }
    if (n == NULL || n->learning) {
        /* A node still learning its machine has no normal to judge against yet. */
        return rc;
    }
    /* One anomalous window in a summary of thousands can be a model's false positive:
     * [rule.*] anomalous_ratio says how many make the summary count (fusion.h). */
    e.anomalous =
        a->anomalous > 0 &&
        (double)a->anomalous > f->cfg.rules[f->pers_rule].anomalous_ratio * (double)a->windows;
    e.score_max = a->score_max;
    e.time_ms = now_ms;
    if (ring_push(n, f->cfg.rules[f->pers_rule].n, &e) != 0) {
        return -ENOMEM;
    }
    if (e.anomalous && n->alert[FUSION__SLOT_PERS] != NULL && n->alert[FUSION__SLOT_PERS]->active) {
        n->alert[FUSION__SLOT_PERS]->last_input_ms = now_ms;
    }
    return first_error(rc, fusion__pers_eval(f, n, &e, now_ms));
}

void fusion__pers_reconfig(struct fusion *f)
{
    size_t i;
    unsigned newest_n = f->pers_rule >= 0 ? f->cfg.rules[f->pers_rule].n : 0;

    for (i = 0; i < f->node_len; i++) {
        struct fusion__node *n = f->nodes[i];
        struct fusion__alert *al = n->alert[FUSION__SLOT_PERS];

        if (n->ring_len > newest_n) {
            unsigned drop = n->ring_len - newest_n;

            memmove(&n->ring[0], &n->ring[drop], newest_n * sizeof(n->ring[0]));
            n->ring_len = newest_n;
        }
        if (al != NULL && al->active) {
            al->rule =
                (f->pers_rule >= 0 && strcmp(f->cfg.rules[f->pers_rule].name, al->pub.rule) == 0 &&
                 strcmp(fusion__rule_class_name(f, &f->cfg.rules[f->pers_rule]),
                        al->pub.class_name) == 0)
                    ? f->pers_rule
                    : -1;
        }
    }
}
