/* SPDX-License-Identifier: MIT
 * After a restart, the daemon hands fusion its stored active alerts (fusion_restore()) and
 * the stored detections that fed them (fusion_replay_detection(), in fusion_cluster.c): each
 * alert continues with its id, seq, level and counts as published, and its quiet time from
 * its last input, so subscribers see one alert go on, and clear when it would have without
 * the restart, rather than a second one open.
 */
#include "alert/fusion.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alert/fusion_int.h"
#include "util/hex.h"

/* Load a stored alert into @al as both pub and work. */
static void restore_into(struct fusion__alert *al, const struct fusion_alert *a, int rule,
                         enum fusion_kind kind)
{
    unsigned i;

    al->active = true;
    al->rule = rule;
    al->pub = *a;
    al->pub.node_count = a->node_count <= FUSION_ALERT_NODES ? a->node_count : FUSION_ALERT_NODES;
    al->pub.class_name[FUSION_NAME_LEN - 1] = '\0';
    al->pub.zone[FUSION_NAME_LEN - 1] = '\0';
    al->pub.key[FUSION_NAME_LEN - 1] = '\0';
    al->pub.rule[FUSION_NAME_LEN - 1] = '\0';
    al->pub.message[FUSION_MESSAGE_LEN - 1] = '\0';
    al->pub.kind = kind;
    al->work = al->pub;
    /* The nodes' own weights and positions are not stored: each restored node stands at the
     * stored centroid with the alert's confidence until it reports again. */
    for (i = 0; i < al->pub.node_count; i++) {
        al->node_p[i] = a->confidence;
        al->node_pos[i] = a->has_position;
        al->node_lat[i] = a->lat;
        al->node_lon[i] = a->lon;
    }
    al->last_emit_ms = a->time_ms;
    /* A transition's time is no input's: a rate-limited update publishes, at a tick, what
     * arrived before; and an input that changed nothing published is in no transition. A
     * cluster alert's quiet time counts from its last published detection (a lower bound)
     * until fusion_replay_detection() hands back the arrivals of the stored ones. */
    al->last_input_ms = a->last_seen_ms > a->time_ms ? a->last_seen_ms : a->time_ms;
    if (kind == FUSION_KIND_CLUSTER) {
        al->last_input_ms = a->last_seen_ms;
    }
}

/* Restore a cluster alert (or one whose rule is gone) as the alert of a (rule, key) group. */
static int restore_group(struct fusion *f, const struct fusion_alert *a, int rule)
{
    struct fusion__group *g;
    size_t i;
    int err;

    for (i = 0; i < f->group_len; i++) {
        const struct fusion__alert *al = &f->groups[i]->al;

        if (al->active && strcmp(al->pub.rule, a->rule) == 0 &&
            strcmp(f->groups[i]->zone, a->key) == 0) {
            return -EEXIST;
        }
    }
    if (f->active >= f->max_alerts) {
        return -ENOSPC;
    }
    g = fusion__group_find(f, rule, a->key);
    if (g == NULL || g->al.active) {
        g = fusion__group_add(f, rule, a->key, &err);
        if (g == NULL) {
            return err != 0 ? err : -ENOSPC;
        }
    }
    restore_into(&g->al, a, rule, FUSION_KIND_CLUSTER);
    return 0;
}

/* Restore a per-node alert into @slot of its node (made if fusion_node_known() did not). */
static int restore_node(struct fusion *f, const struct fusion_alert *a, unsigned slot, int rule,
                        enum fusion_kind kind)
{
    struct fusion__node *n;
    struct fusion__alert *al;
    uint32_t devaddr;
    int err;

    if (hex_decode_devaddr(a->key, &devaddr, NULL, 0) != 0) {
        return -EINVAL;
    }
    n = fusion__node_find(f, devaddr);
    if (n != NULL && n->alert[slot] != NULL && n->alert[slot]->active) {
        return -EEXIST;
    }
    if (f->active >= f->max_alerts) {
        return -ENOSPC;
    }
    if (n == NULL) {
        /* An offline alert's last_seen is when the node was last heard. */
        n = fusion__node_get(f, devaddr, kind == FUSION_KIND_OFFLINE ? a->last_seen_ms : a->time_ms,
                             &err);
        if (n == NULL) {
            return err != 0 ? err : -ENOSPC;
        }
        fusion__copy_str(n->zone, sizeof(n->zone), a->zone);
    }
    al = n->alert[slot];
    if (al == NULL) {
        al = calloc(1, sizeof(*al));
        if (al == NULL) {
            return -ENOMEM;
        }
        n->alert[slot] = al;
    }
    restore_into(al, a, rule, kind);
    if (kind == FUSION_KIND_BATTERY) {
        /* Low until a health message says otherwise. */
        n->battery_known = true;
        n->battery_mv = 0;
    }
    return 0;
}

int fusion_restore(struct fusion *f, const struct fusion_alert *a)
{
    int rule;
    int rc;

    if (f == NULL || a == NULL || a->seq == 0 || a->id < 1 || (int)a->state < FUSION_OPEN ||
        (int)a->state >= FUSION_CLEARED || (int)a->level < FUSION_WATCH ||
        (int)a->level > FUSION_CRITICAL) {
        return -EINVAL;
    }
    if (strcmp(a->class_name, FUSION_CLASS_OFFLINE) == 0) {
        rc = restore_node(f, a, FUSION__SLOT_OFFLINE, -1, FUSION_KIND_OFFLINE);
    } else if (strcmp(a->class_name, FUSION_CLASS_BATTERY) == 0) {
        rc = restore_node(f, a, FUSION__SLOT_BATTERY, -1, FUSION_KIND_BATTERY);
    } else if (strcmp(a->key, a->zone) == 0) {
        /* Cluster alerts are keyed by their zone, per-node ones by the DevAddr. */
        rc = restore_group(f, a,
                           fusion__rule_find(&f->cfg, a->rule, CONFIG_RULE_CLUSTER, a->class_name));
    } else {
        /* Only the first persistence rule is fed (fusion.h); another one's alert is gone. */
        rule = fusion__rule_find(&f->cfg, a->rule, CONFIG_RULE_PERSISTENCE, a->class_name);
        rc = restore_node(f, a, FUSION__SLOT_PERS, rule == f->pers_rule ? rule : -1,
                          FUSION_KIND_PERSISTENCE);
    }
    if (rc != 0) {
        return rc;
    }
    f->active++;
    if (a->id >= f->next_id && fusion__own_id(f, a->id)) {
        f->next_id = a->id + 1;
    }
    return 0;
}

/* The active alert @a would be restored as (same rule and key), or NULL; *@g its group when
 * it is a cluster alert. */
static struct fusion__alert *find_active(struct fusion *f, const struct fusion_alert *a,
                                         struct fusion__group **g)
{
    struct fusion__node *n;
    uint32_t devaddr;
    unsigned slot = FUSION__SLOT_PERS;
    size_t i;

    if (strcmp(a->class_name, FUSION_CLASS_OFFLINE) != 0 &&
        strcmp(a->class_name, FUSION_CLASS_BATTERY) != 0 && strcmp(a->key, a->zone) == 0) {
        for (i = 0; i < f->group_len; i++) {
            struct fusion__alert *al = &f->groups[i]->al;

            if (al->active && strcmp(al->pub.rule, a->rule) == 0 &&
                strcmp(f->groups[i]->zone, a->key) == 0) {
                *g = f->groups[i];
                return al;
            }
        }
        return NULL;
    }
    if (strcmp(a->class_name, FUSION_CLASS_OFFLINE) == 0) {
        slot = FUSION__SLOT_OFFLINE;
    } else if (strcmp(a->class_name, FUSION_CLASS_BATTERY) == 0) {
        slot = FUSION__SLOT_BATTERY;
    }
    if (hex_decode_devaddr(a->key, &devaddr, NULL, 0) != 0) {
        return NULL;
    }
    n = fusion__node_find(f, devaddr);
    return n != NULL && n->alert[slot] != NULL && n->alert[slot]->active ? n->alert[slot] : NULL;
}

/* Detections of @g's window that arrived after @a was published (later than its last_seen)
 * join the adopted alert's work copy: the next transition publishes them. */
static void adopt_window(struct fusion__group *g, const struct fusion_alert *a)
{
    struct fusion__alert *al = &g->al;
    size_t i;

    for (i = 0; i < g->win_len; i++) {
        const struct fusion__entry *e = &g->win[i];

        if (e->time_ms <= a->last_seen_ms) {
            continue;
        }
        fusion__work_add_node(al, e->devaddr, e->p, e->has_position, e->lat, e->lon);
        fusion__work_centroid(al);
        al->work.detections++;
        if (e->time_ms > al->work.last_seen_ms) {
            al->work.last_seen_ms = e->time_ms;
        }
    }
}

int fusion_adopt(struct fusion *f, const struct fusion_alert *a)
{
    struct fusion__group *g = NULL;
    struct fusion__alert *cur;
    int64_t last_input;
    int rc;

    if (f == NULL || a == NULL) {
        return -EINVAL;
    }
    cur = find_active(f, a, &g);
    if (cur != NULL && cur->pub.id == a->id && cur->pub.seq >= a->seq) {
        return 0; /* what we hold is as new or newer */
    }
    if (a->state == FUSION_CLEARED) {
        if (cur != NULL) {
            /* Cleared elsewhere: forget it, and the window with it, as a clearing does. */
            cur->active = false;
            f->active--;
            cur->work = cur->pub;
            if (g != NULL) {
                g->win_len = 0;
            }
        }
        return 0;
    }
    if (cur == NULL) {
        rc = fusion_restore(f, a);
        if (rc == 0 && find_active(f, a, &g) != NULL && g != NULL) {
            adopt_window(g, a);
        }
        return rc;
    }
    last_input = cur->last_input_ms;
    cur->active = false;
    f->active--;
    rc = fusion_restore(f, a);
    if (rc != 0) {
        cur->active = true;
        f->active++;
        return rc;
    }
    /* Input this engine saw after @a was published still counts for the quiet time. */
    if (cur->active && last_input > cur->last_input_ms) {
        cur->last_input_ms = last_input;
    }
    if (g != NULL) {
        adopt_window(g, a);
    }
    return 0;
}
