/* SPDX-License-Identifier: MIT
 * The simulated board's power (host_hal.h): the energy accounts of a tuned STM32WL55 on the
 * simulated clock, the sensor switched off and on (the input that passes while it is off is
 * dropped, so the scene keeps its time) and the wake-on-sound line, a comparator on the
 * input (host/lib/wakecmp.h: a fixed level, or adaptive to the background) that fires while
 * the sensor is off. The core's time per window comes from the measured
 * instruction counts of host/lib/currents.c; between windows the simulated board idles in
 * LPSleep while sampling and in Stop2 otherwise, as nodefw/boards/stm32wl55 does.
 */
#include "host_hal.h"

#include <math.h>

#include "lib/currents.h"
#include "nodefw/profile.h"

static struct host_node *node_of(void *ctx)
{
    return ctx;
}

static uint64_t now_us(const struct host_node *hn)
{
    return host_clock_now(hn->clock) * 1000u;
}

void host_power_init(struct host_node *hn)
{
    const struct currents_board *b = currents_board("stm32wl55");

    energy_init(&hn->energy, now_us(hn), (uint32_t)currents_get(b, "run_hz"),
                (uint32_t)currents_get(b, "lp_hz"));
}

/* Core time per window of the profile sampling at @rate_hz. */
static uint64_t window_us(uint32_t rate_hz)
{
    static const char *const keys[DSP_PROFILE_COUNT] = {"instr_elephant", "instr_whale",
                                                        "instr_turbine"};
    const struct currents_board *b = currents_board("stm32wl55");
    int p;

    for (p = 0; p < (int)DSP_PROFILE_COUNT; p++) {
        if (dsp_profile_get((enum dsp_profile)p)->sample_rate_hz == rate_hz) {
            return (uint64_t)llround(currents_get(b, keys[p]) * currents_get(b, "cpi") /
                                     currents_get(b, "run_hz") * 1e6);
        }
    }
    return 0;
}

void host_power_sensor(struct host_node *hn, bool on)
{
    if (on && hn->window_run_us == 0u) {
        hn->window_run_us = window_us(hn->rate_hz);
    }
    energy_sensor(&hn->energy, on, now_us(hn));
}

void host_power_samples(struct host_node *hn, uint64_t before, uint64_t after)
{
    uint64_t steps = after / FEAT_STEP_SAMPLES - before / FEAT_STEP_SAMPLES;

    energy_charge(&hn->energy, ENERGY_RUN, steps * hn->window_run_us);
}

bool host_power_skip(struct host_node *hn)
{
    int16_t buf[1024];
    uint64_t due = (host_clock_now(hn->clock) - hn->sensor_start_ms) * hn->rate_hz / 1000u;

    while (due > hn->delivered && !hn->source_eof) {
        size_t k = due - hn->delivered < 1024u ? (size_t)(due - hn->delivered) : 1024u;
        size_t got = hn->source(hn->source_arg, buf, k);

        hn->delivered += got;
        if (got < k) {
            hn->source_eof = true;
        }
        if (hn->wake_level > 0 && wakecmp_feed(&hn->wake, buf, got)) {
            hn->wake_fired = true;
        }
    }
    return !hn->source_eof;
}

void host_power_listen(struct host_node *hn, const int16_t *buf, size_t n)
{
    if (hn->wake_level > 0) {
        /* While listening the line is not watched (the firmware extends on its own
         * detections), but the comparator's floor goes on tracking the background. */
        (void)wakecmp_feed(&hn->wake, buf, n);
    }
}

void host_power_sensor_stop(void *ctx)
{
    struct host_node *hn = node_of(ctx);

    hn->sensor_off = true;
    hn->wake_fired = false;
    host_power_sensor(hn, false);
}

bool host_power_wake_pending(void *ctx)
{
    struct host_node *hn = node_of(ctx);
    bool fired;

    if (hn->sensor_off && hn->source != NULL) {
        (void)host_power_skip(hn);
    }
    fired = hn->wake_fired;
    hn->wake_fired = false;
    return fired;
}

void host_power_wake_config(void *ctx, uint16_t level_q15, uint8_t margin_db)
{
    struct host_node *hn = node_of(ctx);

    if (level_q15 > 0u) {
        hn->wake_level = level_q15 / 32767.0;
    }
    hn->wake_margin_db = margin_db;
    if (hn->sensor_started) {
        /* The comparator starts afresh, as a board's does when its threshold is rewritten. */
        wakecmp_init(&hn->wake, hn->rate_hz, hn->wake_level, hn->wake_margin_db);
    }
}

/* The account as of now: the core ran for the windows charged; the rest of the time it
 * idled, in LPSleep while the sensor sampled and in Stop2 while it was off. */
void host_power_energy(void *ctx, struct energy_acct *out)
{
    struct host_node *hn = node_of(ctx);
    uint64_t run = hn->energy.state_us[ENERGY_RUN];
    /* The account never leaves RUN: the snapshot adds the whole time since init to it. */
    uint64_t elapsed = energy_snapshot(&hn->energy, now_us(hn), out) - run;
    uint64_t lp;

    if (run > elapsed) {
        run = elapsed;
    }
    lp = out->sensor_on_us > run ? out->sensor_on_us - run : 0u;
    if (lp > elapsed - run) {
        lp = elapsed - run;
    }
    out->state_us[ENERGY_RUN] = run;
    out->state_us[ENERGY_SLEEP] = 0;
    out->state_us[ENERGY_LPSLEEP] = lp;
    out->state_us[ENERGY_STOP2] = elapsed - run - lp;
}
