/* SPDX-License-Identifier: MIT
 * A cluster rule's storm veto (storm_zones, storm_window_s): a thunderstorm or a front of
 * wind makes the nodes of many zones fire within seconds, a herd only a few neighbouring
 * ones. When more zones than storm_zones have had a detection of the rule's class within
 * storm_window_s, new alerts of the class are held until storm_window_s has passed without
 * that many; alerts already open go on. fusion_cluster.c asks here before opening.
 */
#include "alert/fusion.h"

#include "alert/fusion_int.h"

void fusion__storm_note(struct fusion *f, struct fusion__group *g, int64_t time_ms, int64_t now_ms)
{
    const struct config_rule *r;
    int64_t since_ms;
    unsigned zones = 0;
    size_t i;

    if (g->al.rule < 0) {
        return;
    }
    if (time_ms > g->last_det_ms) {
        g->last_det_ms = time_ms;
    }
    r = &f->cfg.rules[g->al.rule];
    if (r->storm_zones == 0) {
        return;
    }
    since_ms = now_ms - (int64_t)r->storm_window_s * 1000;
    /* Groups are one per (rule, zone): counting the rule's groups counts distinct zones. */
    for (i = 0; i < f->group_len; i++) {
        const struct fusion__group *o = f->groups[i];

        if (o->al.rule == g->al.rule && o->last_det_ms > since_ms) {
            zones++;
        }
    }
    if (zones > r->storm_zones) {
        f->storm_until_ms[g->al.rule] = now_ms + (int64_t)r->storm_window_s * 1000;
    }
}

bool fusion__storm_holds(const struct fusion *f, const struct fusion__group *g, int64_t now_ms)
{
    if (g->al.rule < 0 || f->cfg.rules[g->al.rule].storm_zones == 0) {
        return false;
    }
    return now_ms < f->storm_until_ms[g->al.rule];
}

bool fusion__storm_counts(const struct fusion *f, const struct fusion__group *g, int64_t now_ms)
{
    const struct config_rule *r;

    if (g->al.rule < 0) {
        return false;
    }
    r = &f->cfg.rules[g->al.rule];
    return r->storm_zones != 0 && g->last_det_ms > now_ms - (int64_t)r->storm_window_s * 1000;
}
