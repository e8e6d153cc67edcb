/* SPDX-License-Identifier: MIT
 * A node's state for the page and the metrics (web_state.h): the order of precedence, and
 * the same thresholds as the daemon's health alerts ([health]).
 */
#include "web_state.h"

#include <assert.h>
#include <stddef.h>

static const char *const names[WEB_STATE_COUNT] = {
    [WEB_STATE_OK] = "ok",
    [WEB_STATE_LEARNING] = "learning",
    [WEB_STATE_BATTERY_LOW] = "battery_low",
    [WEB_STATE_OFFLINE] = "offline",
    [WEB_STATE_ALERTING] = "alerting",
};

enum web_state web_state_of(const struct web_state_facts *facts, const struct config_health *health,
                            int64_t now_ms)
{
    assert(facts != NULL && health != NULL);
    if (facts->alerting) {
        return WEB_STATE_ALERTING;
    }
    /* A node never heard is shown offline: the operator added it and nothing came. */
    if (health->offline_after_s > 0 &&
        (facts->last_seen_ms <= 0 ||
         now_ms - facts->last_seen_ms > (int64_t)health->offline_after_s * 1000)) {
        return WEB_STATE_OFFLINE;
    }
    if (health->battery_low_mv > 0 && facts->battery_mv >= 0 &&
        (unsigned)facts->battery_mv <= health->battery_low_mv) {
        return WEB_STATE_BATTERY_LOW;
    }
    if (facts->learning) {
        return WEB_STATE_LEARNING;
    }
    return WEB_STATE_OK;
}

const char *web_state_name(enum web_state s)
{
    return s >= 0 && s < WEB_STATE_COUNT ? names[s] : "?";
}
