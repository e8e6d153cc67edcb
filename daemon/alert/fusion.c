/* SPDX-License-Identifier: MIT
 * Alert fusion's entry points (fusion.h has the semantics): the engine object, its config and
 * ids, the node registry calls, and the inputs. Each input starts with its node
 * (fusion_node.c) and the node's offline check, then goes to the engine of its rule:
 * detections to fusion_cluster.c, anomaly summaries to fusion_persistence.c, health messages
 * to fusion_health.c; fusion_tick() runs every engine. The top of the module with
 * fusion_restore.c: no other file calls this one.
 */
#include "alert/fusion.h"

#include <errno.h>
#include <stdlib.h>

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
        if (f->groups[i]->al.active && f->groups[i]->al.pub.id >= next_id &&
            fusion__own_id(f, f->groups[i]->al.pub.id)) {
            next_id = f->groups[i]->al.pub.id + 1;
        }
    }
    for (i = 0; i < f->node_len; i++) {
        for (s = 0; s < FUSION__SLOT_COUNT; s++) {
            const struct fusion__alert *al = f->nodes[i]->alert[s];

            if (al != NULL && al->active && al->pub.id >= next_id &&
                fusion__own_id(f, al->pub.id)) {
                next_id = al->pub.id + 1;
            }
        }
    }
    f->next_id = next_id;
}

void fusion_set_id_limit(struct fusion *f, int64_t limit)
{
    f->id_limit = limit;
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

int fusion_node_learning_known(struct fusion *f, uint32_t devaddr, bool learning)
{
    struct fusion__node *n;

    if (f == NULL) {
        return -EINVAL;
    }
    n = fusion__node_find(f, devaddr);
    if (n == NULL) {
        return -ENOENT;
    }
    n->learning = learning;
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

/* The common start of every input: the node is alive (last seen @now_ms, position, zone) and
 * its node_offline alert, if any, clears. Return: the node; NULL when untracked or without
 * memory. *rc: 0, -ENOMEM, or the emit callback's value. */
static struct fusion__node *input_node(struct fusion *f, const struct fusion_node *in,
                                       int64_t now_ms, int *rc)
{
    struct fusion__node *n = fusion__input_node(f, in, now_ms, rc);

    if (n != NULL) {
        *rc = fusion__offline_eval(f, n, now_ms);
    }
    return n;
}

int fusion_seen(struct fusion *f, const struct fusion_node *in, int64_t now_ms)
{
    int rc = 0;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    (void)input_node(f, in, now_ms, &rc);
    return rc;
}

int fusion_detection(struct fusion *f, const struct fusion_node *in, uint8_t class_id,
                     uint8_t confidence, int64_t time_ms, int64_t now_ms)
{
    int rc = 0;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    (void)input_node(f, in, now_ms, &rc);
    if (rc == -ENOMEM) {
        return rc;
    }
    return fusion__cluster_detection(f, in, class_id, confidence, time_ms, now_ms, rc);
}

int fusion_anomaly(struct fusion *f, const struct fusion_node *in,
                   const struct proto_tfp_anomaly *a, int64_t now_ms)
{
    struct fusion__node *n;
    int rc = 0;

    if (f == NULL || in == NULL || a == NULL) {
        return -EINVAL;
    }
    n = input_node(f, in, now_ms, &rc);
    return fusion__pers_anomaly(f, n, a, now_ms, rc);
}

int fusion_health(struct fusion *f, const struct fusion_node *in, uint16_t battery_mv,
                  int64_t now_ms)
{
    struct fusion__node *n;
    int rc = 0;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    n = input_node(f, in, now_ms, &rc);
    if (n == NULL) {
        return rc;
    }
    return first_error(rc, fusion__health_battery(f, n, battery_mv, now_ms));
}

int fusion_learning(struct fusion *f, const struct fusion_node *in, bool learning, int64_t now_ms)
{
    struct fusion__node *n;
    int rc = 0;

    if (f == NULL || in == NULL) {
        return -EINVAL;
    }
    n = input_node(f, in, now_ms, &rc);
    if (n == NULL) {
        return rc;
    }
    if (learning && !n->learning) {
        n->ring_len = 0; /* what it judged before learning again is not this machine's normal */
    }
    n->learning = learning;
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
