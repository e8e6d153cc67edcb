/* SPDX-License-Identifier: MIT
 * Energy accounts (energy.h): times only, integer microseconds. The currents that turn them
 * into charge are the budget's business, on the host.
 */
#include "nodefw/energy.h"

#include <string.h>

void energy_init(struct energy_acct *a, uint64_t now_us, uint32_t run_hz, uint32_t lp_hz)
{
    memset(a, 0, sizeof(*a));
    a->run_hz = run_hz;
    a->lp_hz = lp_hz;
    a->state = (uint8_t)ENERGY_RUN;
    a->state_since_us = now_us;
    a->tx_dbm = 0;
}

/* Time from @since to @now; 0 if the clock went back (never negative). */
static uint64_t elapsed(uint64_t since, uint64_t now)
{
    return now > since ? now - since : 0u;
}

void energy_enter(struct energy_acct *a, enum energy_state s, uint64_t now_us)
{
    if ((unsigned)s >= (unsigned)ENERGY_STATE_COUNT) {
        return;
    }
    a->state_us[a->state] += elapsed(a->state_since_us, now_us);
    if (now_us > a->state_since_us) {
        a->state_since_us = now_us;
    }
    if (s == ENERGY_RUN && a->state != (uint8_t)ENERGY_RUN) {
        a->wakeups++;
    }
    a->state = (uint8_t)s;
}

void energy_charge(struct energy_acct *a, enum energy_state s, uint64_t us)
{
    if ((unsigned)s < (unsigned)ENERGY_STATE_COUNT) {
        a->state_us[s] += us;
    }
}

void energy_sensor(struct energy_acct *a, bool on, uint64_t now_us)
{
    if (on == a->sensor_on) {
        return;
    }
    if (on) {
        a->sensor_since_us = now_us;
        a->sensor_starts++;
    } else {
        a->sensor_on_us += elapsed(a->sensor_since_us, now_us);
    }
    a->sensor_on = on;
}

void energy_tx(struct energy_acct *a, uint32_t us, int8_t dbm)
{
    a->tx_us += us;
    a->tx_frames++;
    a->tx_dbm = dbm;
}

void energy_rx(struct energy_acct *a, uint32_t us)
{
    a->rx_us += us;
    a->rx_windows++;
}

uint64_t energy_snapshot(const struct energy_acct *a, uint64_t now_us, struct energy_acct *out)
{
    uint64_t total = 0;
    unsigned i;

    *out = *a;
    out->state_us[a->state] += elapsed(a->state_since_us, now_us);
    if (now_us > a->state_since_us) {
        out->state_since_us = now_us;
    }
    if (a->sensor_on) {
        out->sensor_on_us += elapsed(a->sensor_since_us, now_us);
        if (now_us > a->sensor_since_us) {
            out->sensor_since_us = now_us;
        }
    }
    for (i = 0; i < (unsigned)ENERGY_STATE_COUNT; i++) {
        total += out->state_us[i];
    }
    return total;
}

const char *energy_state_name(enum energy_state s)
{
    static const char *const names[ENERGY_STATE_COUNT] = {
        [ENERGY_RUN] = "run",
        [ENERGY_SLEEP] = "sleep",
        [ENERGY_LPSLEEP] = "lpsleep",
        [ENERGY_STOP2] = "stop2",
    };

    return (unsigned)s < (unsigned)ENERGY_STATE_COUNT ? names[s] : "?";
}
