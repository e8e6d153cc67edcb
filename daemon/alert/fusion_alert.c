/* SPDX-License-Identifier: MIT
 * An alert's life, the part every rule shares (fusion_int.h has the two copies of an alert):
 * the rule an alert belongs to, its work copy, and the one place a transition is published
 * (id, seq, the cap on active alerts, rate-limited updates). The rule engines call these;
 * nothing here calls an engine.
 */
#include "alert/fusion.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "alert/fusion_int.h"

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
