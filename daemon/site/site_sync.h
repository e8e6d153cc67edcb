/* SPDX-License-Identifier: MIT
 * A gateway's undelivered alert transitions that another gateway has superseded (README
 * "Many gateways, one site"). A gateway that was cut off or killed may hold, in its outbox,
 * transitions of an alert that another gateway continued meanwhile from the retained state:
 * sent late, a subscriber would see one seq twice with different content. Before the outbox
 * goes out again (mqtt_set_gate()), the site hears the retained alert states and the claims,
 * then drops from the outbox each transition of ours (topic <prefix>/alert/... or
 * <prefix>/state/alert/...) whose alert's retained state names another gateway with the same
 * or a later seq, or whose zone another gateway holds now. And an alert of ours that nobody
 * has published (no retained state names its id; opened while we were cut off) in a zone
 * another gateway holds now, where that gateway's alert of the same class and key is active, is
 * merged into it: none of its transitions go out (a herd would otherwise have two ids), and
 * our inputs, which do go out, reach the owner's alert. Everything else goes out as before.
 * Loop thread only.
 */
#ifndef PROJ_DAEMON_SITE_SITE_SYNC_H
#define PROJ_DAEMON_SITE_SITE_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "alert/fusion.h"
#include "store/store.h"

/* One retained alert state as heard: its alert id, seq, publishing gateway, zone, class and
 * key (the zone, or a node's DevAddr for a per-node alert), and whether the alert is active (not
 * cleared, and its retained state not emptied). */
struct site_retained {
    int64_t id;
    uint32_t seq;
    char gateway[64];
    char zone[64];
    char class_name[64];
    char key[64];
    bool active;
};

/* site_retained_parse() - @json (a retained alert state) into @out. Return: 0 or -EINVAL. */
int site_retained_parse(const char *json, struct site_retained *out);

/* Whether another gateway holds @zone now. */
typedef bool (*site_sync_elsewhere_fn)(void *arg, const char *zone);

/*
 * site_sync_superseded() - the drop rule alone: why gateway @me's undelivered transition @a
 * (of alert a->id, seq a->seq, zone, class and key) is not to be sent, given
 * the retained states @r (@n of them), or NULL to send it. *@by is then the retained state
 * that supersedes it.
 */
const char *site_sync_superseded(const char *me, const struct site_retained *r, unsigned n,
                                 const struct fusion_alert *a, site_sync_elsewhere_fn elsewhere,
                                 void *arg, const struct site_retained **by);

/*
 * site_sync_drop() - delete, in the open batch of @s, the superseded transitions of gateway
 * @me from the outbox (see above): the retained states @r (@n of them), topics under @prefix;
 * each drop is logged. *@dropped counts them. Return: 0 or -EIO (-ENOMEM).
 */
int site_sync_drop(struct store *s, const char *prefix, const char *me,
                   const struct site_retained *r, unsigned n, site_sync_elsewhere_fn elsewhere,
                   void *arg, unsigned *dropped);

#endif
