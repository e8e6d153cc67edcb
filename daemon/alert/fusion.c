/* SPDX-License-Identifier: MIT
 * Alert fusion, the part every rule shares (fusion.h has the semantics, fusion_int.h the
 * two copies of an alert): the engine object and its config, the work copy of an alert,
 * the one place a transition is published (id, seq, rate-limited updates), and the inputs
 * and calls that are not one rule's: fusion_seen(), fusion_tick(), the node registry calls.
 * The rule engines are fusion_cluster.c, fusion_persistence.c and fusion_health.c.
 */
#include "alert/fusion.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alert/fusion_int.h"

static void rule_index(struct fusion *f)
{
    unsigned i;

    for (i = 0; i < CONFIG_CLASS_MAX; i++) {
        f->cluster_rule[i] = -1;
    }
    f->pers_rule = -1;
    for (i = 0; i < f->cfg.rule_count && i < CONFIG_RULE_MAX; i++) {
        const struct config_rule *r = &f->cfg.rules[i];

        if (r->type == CONFIG_RULE_CLUSTER && f->cluster_rule[r->class_id] < 0) {
            f->cluster_rule[r->class_id] = (int)i;
        } else if (r->type == CONFIG_RULE_PERSISTENCE && f->pers_rule < 0) {
            f->pers_rule = (int)i;
        }
    }
}

const char *fusion__rule_class_name(const struct fusion *f, const struct config_rule *r)
{
    const char *name = config_class_name(&f->cfg, r->class_id);

    return name != NULL ? name : "unknown";
}

/* The rule named @name with @type and @class_id, or -1. */
int fusion__rule_find(const struct config_fusion *c, const char *name, enum config_rule_type type,
                      const char *class_name)
{
    unsigned i;

    for (i = 0; i < c->rule_count && i < CONFIG_RULE_MAX; i++) {
        const struct config_rule *r = &c->rules[i];
        const char *cn = config_class_name(c, r->class_id);

        if (strcmp(r->name, name) == 0 && r->type == type && cn != NULL &&
            strcmp(cn, class_name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

const char *fusion_level_name(enum fusion_level l)
{
    switch (l) {
    case FUSION_WATCH:
        return "watch";
    case FUSION_WARNING:
        return "warning";
    case FUSION_CRITICAL:
        return "critical";
    }
    return "?";
}

const char *fusion_state_name(enum fusion_state s)
{
    switch (s) {
    case FUSION_OPEN:
        return "open";
    case FUSION_ESCALATE:
        return "escalate";
    case FUSION_UPDATE:
        return "update";
    case FUSION_CLEARED:
        return "cleared";
    }
    return "?";
}

int fusion_level_parse(const char *name)
{
    int l;

    for (l = FUSION_WATCH; l <= FUSION_CRITICAL && name != NULL; l++) {
        if (strcmp(name, fusion_level_name((enum fusion_level)l)) == 0) {
            return l;
        }
    }
    return -1;
}

int fusion_state_parse(const char *name)
{
    int s;

    for (s = FUSION_OPEN; s <= FUSION_CLEARED && name != NULL; s++) {
        if (strcmp(name, fusion_state_name((enum fusion_state)s)) == 0) {
            return s;
        }
    }
    return -1;
}

/* ---- the work copy of an alert ---- */

/* Confidence-weighted centroid of the listed nodes that have a position. A node of weight 0
 * (p = 0) still counts, with a tiny weight, so a position is never lost to rounding. */
void fusion__work_centroid(struct fusion__alert *al)
{
    double w_sum = 0.0;
    double lat = 0.0;
    double lon = 0.0;
    unsigned i;

    for (i = 0; i < al->work.node_count; i++) {
        double w = al->node_p[i] > 1e-9 ? al->node_p[i] : 1e-9;

        if (!al->node_pos[i]) {
            continue;
        }
        w_sum += w;
        lat += w * al->node_lat[i];
        lon += w * al->node_lon[i];
    }
    al->work.has_position = w_sum > 0.0;
    al->work.lat = w_sum > 0.0 ? lat / w_sum : 0.0;
    al->work.lon = w_sum > 0.0 ? lon / w_sum : 0.0;
}

/* Add (or raise) one node in the work list; a node beyond FUSION_ALERT_NODES only sets
 * nodes_truncated. The node's latest position wins. */
void fusion__work_add_node(struct fusion__alert *al, uint32_t devaddr, double p, bool has_pos,
                           double lat, double lon)
{
    unsigned i;

    for (i = 0; i < al->work.node_count; i++) {
        if (al->work.nodes[i] == devaddr) {
            break;
        }
    }
    if (i == al->work.node_count) {
        if (i >= FUSION_ALERT_NODES) {
            al->work.nodes_truncated = true;
            return;
        }
        al->work.nodes[i] = devaddr;
        al->node_p[i] = p;
        al->node_pos[i] = false;
        al->work.node_count++;
    }
    if (p > al->node_p[i]) {
        al->node_p[i] = p;
    }
    if (has_pos) {
        al->node_pos[i] = true;
        al->node_lat[i] = lat;
        al->node_lon[i] = lon;
    }
}

/* Did anything an `update` reports change between work and pub? */
static bool work_changed(const struct fusion__alert *al)
{
    const struct fusion_alert *w = &al->work;
    const struct fusion_alert *p = &al->pub;

    return w->node_count != p->node_count || w->nodes_truncated != p->nodes_truncated ||
           memcmp(w->nodes, p->nodes, w->node_count * sizeof(w->nodes[0])) != 0 ||
           fabs(w->confidence - p->confidence) > FUSION__CONF_EPS ||
           w->has_position != p->has_position || fabs(w->lat - p->lat) > FUSION__POS_EPS ||
           fabs(w->lon - p->lon) > FUSION__POS_EPS;
}

/* Start a work copy from nothing (an alert about to open). */
void fusion__work_reset(struct fusion__alert *al, enum fusion_kind kind, const char *class_name,
                        const char *zone, const char *key, const char *rule)
{
    memset(&al->work, 0, sizeof(al->work));
    al->work.kind = kind;
    fusion__copy_str(al->work.class_name, sizeof(al->work.class_name), class_name);
    fusion__copy_str(al->work.zone, sizeof(al->work.zone), zone);
    fusion__copy_str(al->work.key, sizeof(al->work.key), key);
    fusion__copy_str(al->work.rule, sizeof(al->work.rule), rule);
}

/* ---- transitions ---- */

/*
 * The one place a transition happens: candidate = work with @state, the next seq (or id and
 * seq 1 at open), @now_ms and its message; emit; on success it becomes pub (and work, so the
 * two agree), else nothing changes. Return: 0 or the callback's value.
 */
int fusion__publish(struct fusion *f, struct fusion__alert *al, enum fusion_state state,
                    int64_t now_ms, enum fusion__clear_reason why, long extra, long extra2)
{
    struct fusion_alert c = al->work;
    int rc;

    c.state = state;
    c.time_ms = now_ms;
    if (state == FUSION_OPEN) {
        c.id = f->next_id;
        c.seq = 1;
    } else {
        c.id = al->pub.id;
        c.seq = al->pub.seq + 1;
    }
    fusion__message(&c, why, extra, extra2);
    rc = f->emit(&c, f->arg);
    if (rc != 0) {
        f->st.emit_failures++;
        return rc;
    }
    f->st.transitions++;
    al->pub = c;
    al->work = c;
    al->last_emit_ms = now_ms;
    if (state == FUSION_OPEN) {
        al->active = true;
        f->next_id++;
        f->active++;
    } else if (state == FUSION_CLEARED) {
        al->active = false;
        f->active--;
    }
    return 0;
}

/* Room for one more active alert? Counts the refusal when not. */
bool fusion__may_open(struct fusion *f)
{
    if (f->active >= f->max_alerts) {
        f->st.refused_cap++;
        return false;
    }
    return true;
}

/* For an active alert, after its work copy took the latest input: escalate at once when the
 * level rose, else publish a pending change once the update interval has passed. */
int fusion__escalate_or_update(struct fusion *f, struct fusion__alert *al, unsigned interval_s,
                               int64_t now_ms, long extra, long extra2)
{
    if (al->work.level > al->pub.level) {
        return fusion__publish(f, al, FUSION_ESCALATE, now_ms, FUSION__CLEAR_QUIET, extra, extra2);
    }
    if (work_changed(al) && now_ms - al->last_emit_ms >= (int64_t)interval_s * 1000) {
        return fusion__publish(f, al, FUSION_UPDATE, now_ms, FUSION__CLEAR_QUIET, extra, extra2);
    }
    return 0;
}

/* ---- public API ---- */

int fusion_new(const struct config_fusion *cfg, const struct fusion_opts *opts, struct fusion **out)
{
    struct fusion *f = NULL;

    if (cfg == NULL || opts == NULL || opts->emit == NULL || out == NULL) {
        return -EINVAL;
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        goto fail;
    }
    f->cfg = *cfg;
    f->emit = opts->emit;
    f->arg = opts->arg;
    f->max_alerts = opts->max_alerts != 0 ? opts->max_alerts : FUSION_DEFAULT_MAX_ALERTS;
    f->max_nodes = opts->max_nodes != 0 ? opts->max_nodes : FUSION_DEFAULT_MAX_NODES;
    f->next_id = 1;
    f->groups = calloc(2 * f->max_alerts, sizeof(struct fusion__group *));
    f->slots = calloc(FUSION__HASH_SLOTS, sizeof(f->slots[0]));
    f->used = calloc(FUSION_WINDOW_MAX, sizeof(f->used[0]));
    if (f->groups == NULL || f->slots == NULL || f->used == NULL) {
        goto fail;
    }
    rule_index(f);
    *out = f;
    return 0;
fail:
    fusion_free(f);
    return -ENOMEM;
}

void fusion_free(struct fusion *f)
{
    size_t i;

    if (f == NULL) {
        return;
    }
    for (i = 0; f->groups != NULL && i < f->group_len; i++) {
        fusion__group_free(f->groups[i]);
    }
    for (i = 0; f->nodes != NULL && i < f->node_len; i++) {
        fusion__node_free(f->nodes[i]);
    }
    free(f->groups);
    free(f->nodes);
    free(f->slots);
    free(f->used);
    free(f);
}

void fusion_set_next_id(struct fusion *f, int64_t next_id)
{
    size_t i;
    unsigned s;

    if (next_id < 1) {
        next_id = 1;
    }
    /* Never below an id in use. */
    for (i = 0; i < f->group_len; i++) {
        if (f->groups[i]->al.active && f->groups[i]->al.pub.id >= next_id) {
            next_id = f->groups[i]->al.pub.id + 1;
        }
    }
    for (i = 0; i < f->node_len; i++) {
        for (s = 0; s < FUSION__SLOT_COUNT; s++) {
            const struct fusion__alert *al = f->nodes[i]->alert[s];

            if (al != NULL && al->active && al->pub.id >= next_id) {
                next_id = al->pub.id + 1;
            }
        }
    }
    f->next_id = next_id;
}

int64_t fusion_next_id(const struct fusion *f)
{
    return f->next_id;
}

/* Work through every group and node: what fusion_tick() does. */
static int eval_all(struct fusion *f, int64_t now_ms)
{
    size_t i;
    int rc = fusion__cluster_tick(f, now_ms);

    for (i = 0; i < f->node_len; i++) {
        struct fusion__node *n = f->nodes[i];

        rc = first_error(rc, fusion__pers_eval(f, n, NULL, now_ms));
        rc = first_error(rc, fusion__offline_eval(f, n, now_ms));
        rc = first_error(rc, fusion__battery_eval(f, n, now_ms));
    }
    return rc;
}

int fusion_set_config(struct fusion *f, const struct config_fusion *cfg, int64_t now_ms)
{
    if (f == NULL || cfg == NULL) {
        return -EINVAL;
    }
    f->cfg = *cfg;
    rule_index(f);
    fusion__cluster_reconfig(f);
    fusion__pers_reconfig(f);
    return eval_all(f, now_ms);
}

int fusion_node_known(struct fusion *f, const struct fusion_node *in, int64_t last_seen_ms,
                      int64_t now_ms)
{
    struct fusion__node *n;
    int err;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    n = fusion__node_get(f, in->devaddr, last_seen_ms > 0 ? last_seen_ms : now_ms, &err);
    if (n == NULL) {
        return err != 0 ? err : -ENOSPC;
    }
    if (last_seen_ms > n->last_seen_ms) {
        n->last_seen_ms = last_seen_ms;
    }
    fusion__node_update(f, n, in);
    return 0;
}

int fusion_node_forget(struct fusion *f, uint32_t devaddr, int64_t now_ms)
{
    unsigned s;
    struct fusion__node *n;
    int rc = 0;

    if (f == NULL) {
        return -EINVAL;
    }
    n = fusion__node_find(f, devaddr);
    if (n == NULL) {
        return -ENOENT;
    }
    for (s = 0; s < FUSION__SLOT_COUNT; s++) {
        struct fusion__alert *al = n->alert[s];

        if (al != NULL && al->active) {
            rc = first_error(rc, fusion__publish(f, al, FUSION_CLEARED, now_ms,
                                                 FUSION__CLEAR_REMOVED, (long)n->battery_mv, 0));
        }
        fusion__node_alert_drop(n, s);
    }
    if (rc != 0) {
        return rc;
    }
    fusion__node_remove(f, n);
    return 0;
}

int fusion_seen(struct fusion *f, const struct fusion_node *in, int64_t now_ms)
{
    int rc = 0;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    (void)fusion__input_node(f, in, now_ms, &rc);
    return rc;
}

int fusion_tick(struct fusion *f, int64_t now_ms)
{
    if (f == NULL) {
        return -EINVAL;
    }
    return eval_all(f, now_ms);
}

int fusion_foreach_active(const struct fusion *f,
                          int (*cb)(const struct fusion_alert *a, void *arg), void *arg)
{
    size_t i;
    unsigned s;
    int rc;

    for (i = 0; i < f->group_len; i++) {
        if (f->groups[i]->al.active) {
            rc = cb(&f->groups[i]->al.pub, arg);
            if (rc != 0) {
                return rc;
            }
        }
    }
    for (i = 0; i < f->node_len; i++) {
        for (s = 0; s < FUSION__SLOT_COUNT; s++) {
            const struct fusion__alert *al = f->nodes[i]->alert[s];

            if (al != NULL && al->active) {
                rc = cb(&al->pub, arg);
                if (rc != 0) {
                    return rc;
                }
            }
        }
    }
    return 0;
}

void fusion_get_stats(const struct fusion *f, struct fusion_stats *out)
{
    *out = f->st;
    out->active = f->active;
}
