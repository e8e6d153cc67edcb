/* SPDX-License-Identifier: MIT
 * Node health alerts (fusion.h): node_offline when a node is silent past [health]
 * offline_after_s, battery_low when a health message reports battery_low_mv or less. They
 * open and clear on a condition, with no quiet clearing and no updates. fusion.c hands it
 * each health message, and every input's node for its offline check.
 */
#include "alert/fusion.h"

#include <errno.h>

#include "alert/fusion_int.h"

/* Open when @want and none is active, clear when not @want and one is. */
static int health_eval(struct fusion *f, struct fusion__node *n, unsigned slot, bool want, bool off,
                       enum fusion__clear_reason why, int64_t now_ms)
{
    struct fusion__alert *al = n->alert[slot];
    const struct config_health *h = &f->cfg.health;
    int rc = 0;

    if (al != NULL && al->active) {
        if (want) {
            return 0;
        }
        rc = fusion__publish(f, al, FUSION_CLEARED, now_ms, off ? FUSION__CLEAR_CHECK_OFF : why,
                             (long)n->battery_mv, 0);
    } else if (want && fusion__may_open(f)) {
        bool offline = slot == FUSION__SLOT_OFFLINE;

        al = fusion__node_alert_prepare(
            n, slot, offline ? FUSION_KIND_OFFLINE : FUSION_KIND_BATTERY,
            offline ? FUSION_CLASS_OFFLINE : FUSION_CLASS_BATTERY, FUSION_HEALTH_RULE, -1);
        if (al == NULL) {
            return -ENOMEM;
        }
        al->work.level = offline ? FUSION_WARNING : FUSION_WATCH;
        al->work.confidence = 1.0;
        al->work.detections = 1;
        al->work.first_seen_ms = offline ? n->last_seen_ms : now_ms;
        al->work.last_seen_ms = al->work.first_seen_ms;
        al->last_input_ms = now_ms;
        if (offline) {
            rc = fusion__publish(f, al, FUSION_OPEN, now_ms, FUSION__CLEAR_QUIET,
                                 (long)((now_ms - n->last_seen_ms) / 1000), 0);
        } else {
            rc = fusion__publish(f, al, FUSION_OPEN, now_ms, FUSION__CLEAR_QUIET,
                                 (long)n->battery_mv, (long)h->battery_low_mv);
        }
    }
    fusion__node_alert_drop(n, slot);
    return rc;
}

int fusion__offline_eval(struct fusion *f, struct fusion__node *n, int64_t now_ms)
{
    unsigned after_s = f->cfg.health.offline_after_s;
    bool want = after_s != 0 && now_ms - n->last_seen_ms > (int64_t)after_s * 1000;

    return health_eval(f, n, FUSION__SLOT_OFFLINE, want, after_s == 0, FUSION__CLEAR_HEARD, now_ms);
}

int fusion__battery_eval(struct fusion *f, struct fusion__node *n, int64_t now_ms)
{
    unsigned low = f->cfg.health.battery_low_mv;
    bool want = low != 0 && n->battery_known && n->battery_mv <= low;

    return health_eval(f, n, FUSION__SLOT_BATTERY, want, low == 0, FUSION__CLEAR_BATTERY, now_ms);
}

int fusion__health_battery(struct fusion *f, struct fusion__node *n, uint16_t battery_mv,
                           int64_t now_ms)
{
    struct fusion__alert *al;

    n->battery_known = true;
    n->battery_mv = battery_mv;
    al = n->alert[FUSION__SLOT_BATTERY];
    if (al != NULL && al->active && f->cfg.health.battery_low_mv != 0 &&
        battery_mv <= f->cfg.health.battery_low_mv) {
        /* Another low reading: counted, published with the next transition. */
        al->work.detections++;
        al->work.last_seen_ms = now_ms;
        al->last_input_ms = now_ms;
    }
    return fusion__battery_eval(f, n, now_ms);
}
