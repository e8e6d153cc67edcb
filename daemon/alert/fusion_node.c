/* SPDX-License-Identifier: MIT
 * Fusion's per-node state: the nodes it tracks (sorted by DevAddr, at most max_nodes), their
 * last_seen, position, zone and battery, and the slots of their per-node alerts
 * (persistence, node_offline, battery_low). Every input starts here (fusion__input_node());
 * nothing here runs a rule: the caller does.
 */
#include "alert/fusion.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/fusion_int.h"
#include "alert/zone.h"

/* The node's zone: registry, else the first config zone holding its position, else unzoned. */
void fusion__resolve_zone(const struct fusion *f, const struct fusion_node *n, char *out)
{
    const struct config_zone *z;

    if (n->zone != NULL && n->zone[0] != '\0') {
        fusion__copy_str(out, FUSION_NAME_LEN, n->zone);
        return;
    }
    z = n->has_position ? zone_locate(&f->cfg, n->lat, n->lon) : NULL;
    fusion__copy_str(out, FUSION_NAME_LEN, z != NULL ? z->name : FUSION_UNZONED);
}

static void devaddr_key(uint32_t devaddr, char *out)
{
    (void)snprintf(out, FUSION_NAME_LEN, "%08X", (unsigned)devaddr);
}

static size_t node_lower_bound(const struct fusion *f, uint32_t devaddr)
{
    size_t lo = 0;
    size_t hi = f->node_len;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (f->nodes[mid]->devaddr < devaddr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

struct fusion__node *fusion__node_find(const struct fusion *f, uint32_t devaddr)
{
    size_t i = node_lower_bound(f, devaddr);

    return i < f->node_len && f->nodes[i]->devaddr == devaddr ? f->nodes[i] : NULL;
}

/* The node's state, made if new. NULL with *err = 0 beyond max_nodes (counted), or -ENOMEM. */
struct fusion__node *fusion__node_get(struct fusion *f, uint32_t devaddr, int64_t now_ms, int *err)
{
    size_t i = node_lower_bound(f, devaddr);
    struct fusion__node *n;

    *err = 0;
    if (i < f->node_len && f->nodes[i]->devaddr == devaddr) {
        return f->nodes[i];
    }
    if (f->node_len >= f->max_nodes) {
        f->st.untracked_nodes++;
        return NULL;
    }
    if (f->node_len == f->node_cap) {
        size_t cap = f->node_cap != 0 ? f->node_cap * 2 : 64;
        struct fusion__node **v;

        if (cap > f->max_nodes) {
            cap = f->max_nodes;
        }
        v = realloc(f->nodes, cap * sizeof(struct fusion__node *));
        if (v == NULL) {
            *err = -ENOMEM;
            return NULL;
        }
        f->nodes = v;
        f->node_cap = cap;
    }
    n = calloc(1, sizeof(*n));
    if (n == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    n->devaddr = devaddr;
    n->last_seen_ms = now_ms;
    fusion__copy_str(n->zone, sizeof(n->zone), FUSION_UNZONED);
    memmove(&f->nodes[i + 1], &f->nodes[i], (f->node_len - i) * sizeof(struct fusion__node *));
    f->nodes[i] = n;
    f->node_len++;
    return n;
}

void fusion__node_update(const struct fusion *f, struct fusion__node *n,
                         const struct fusion_node *in)
{
    if (in->has_position) {
        n->has_position = true;
        n->lat = in->lat;
        n->lon = in->lon;
    }
    fusion__resolve_zone(f, in, n->zone);
}

void fusion__node_remove(struct fusion *f, struct fusion__node *n)
{
    size_t i = node_lower_bound(f, n->devaddr);

    memmove(&f->nodes[i], &f->nodes[i + 1], (f->node_len - i - 1) * sizeof(struct fusion__node *));
    f->node_len--;
    fusion__node_free(n);
}

void fusion__node_free(struct fusion__node *n)
{
    unsigned s;

    if (n == NULL) {
        return;
    }
    for (s = 0; s < FUSION__SLOT_COUNT; s++) {
        free(n->alert[s]);
    }
    free(n->ring);
    free(n);
}

/* Start a per-node alert's work copy; reuses or allocates the slot. NULL without memory. */
struct fusion__alert *fusion__node_alert_prepare(struct fusion__node *n, unsigned slot,
                                                 enum fusion_kind kind, const char *class_name,
                                                 const char *rule, int rule_idx)
{
    struct fusion__alert *al = n->alert[slot];
    char key[FUSION_NAME_LEN];

    if (al == NULL) {
        al = calloc(1, sizeof(*al));
        if (al == NULL) {
            return NULL;
        }
        n->alert[slot] = al;
    }
    devaddr_key(n->devaddr, key);
    al->rule = rule_idx;
    fusion__work_reset(al, kind, class_name, n->zone, key, rule);
    fusion__work_add_node(al, n->devaddr, 1.0, n->has_position, n->lat, n->lon);
    fusion__work_centroid(al);
    return al;
}

/* The common start of every input: the node is alive. NULL when untracked (or *err). */
struct fusion__node *fusion__input_node(struct fusion *f, const struct fusion_node *in,
                                        int64_t now_ms, int *err)
{
    struct fusion__node *n = fusion__node_get(f, in->devaddr, now_ms, err);

    if (n == NULL) {
        return NULL;
    }
    n->last_seen_ms = now_ms;
    fusion__node_update(f, n, in);
    return n;
}
