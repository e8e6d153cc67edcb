/* SPDX-License-Identifier: MIT
 * Duty-cycled sensing: when the node listens. Continuous (the default), a fixed share
 * (listen listen_ms at the start of every every_ms: the turbine measures 2.5 s every 10
 * minutes), or woken by sound (the sensor stays off until the board's wake-on-sound line
 * fires, hal.h wake_pending(), then listens listen_ms, extended by each further wake).
 * While not listening the node switches the front end off (hal_sensor_stop()) and the board
 * may sleep deeply until sensing_idle_ms() has passed. Each listening period starts the
 * feature history afresh (a window must not join sound from both sides of a gap: the model
 * never saw such a picture), but wastes none of it: it first feeds SENSING_LEAD_SAMPLES, so
 * that the first window is complete FEAT_WINDOW_SAMPLES after the start (2.2 s for the
 * elephant, not 3.1 s), and a window that detects something holds the sensor on for
 * SENSING_HOLD_STEPS more steps (so a call heard at the end of a period gets the windows
 * its episode needs), up to the aggregator's max_episode_ms beyond the period's end. A
 * listening period shorter than FEAT_WINDOW_SAMPLES classifies nothing. The turbine's
 * anomaly windows do not hold the sensor (its summaries count windows per period).
 * nodefw/ENERGY.md has the costs.
 * Nodes covering one zone should not listen in step: the first period starts phase_ms after
 * boot, and sensing_phase_ms() derives a phase from the DevAddr so that a fleet's nodes
 * spread over the period without coordination.
 *
 * Integer only; the state lives in struct node. Calling context: the main loop.
 */
#ifndef PROJ_NODEFW_SENSING_H
#define PROJ_NODEFW_SENSING_H

#include <stdbool.h>
#include <stdint.h>

#include "nodefw/profile.h"

/* Samples fed before the first whole step of a listening period: the part of a window that
 * is not a whole number of steps (2176 = 2 * 1024 + 128). */
#define SENSING_LEAD_SAMPLES (FEAT_WINDOW_SAMPLES % FEAT_STEP_SAMPLES)
/* A detecting window keeps the sensor on this many steps past its end: the next window,
 * which confirms or ends the episode, plus one step of slack. */
#define SENSING_HOLD_STEPS 2u

/* The highest wake margin a schedule may ask for (as the sensing command allows). */
#define SENSING_MARGIN_MAX_DB 60u

enum sensing_mode {
    SENSING_CONTINUOUS = 0, /* always listening */
    SENSING_DUTY = 1,       /* listen_ms of every every_ms */
    SENSING_WAKE = 2,       /* off until the wake-on-sound line, then listen_ms */
    SENSING_MODE_COUNT = 3,
};

struct sensing_config {
    uint8_t mode;            /* enum sensing_mode */
    uint16_t wake_level_q15; /* SENSING_WAKE: the wake threshold (full scale 32767) the
                              * board sets its comparator to; 0: the board's own */
    uint8_t wake_margin_db;  /* SENSING_WAKE: > 0, the comparator adapts to the background
                              * and fires this many dB over it (host/lib/wakecmp.h); 0 fixed */
    uint32_t listen_ms;      /* listening time per period or per wake-up, ms */
    uint32_t every_ms;       /* SENSING_DUTY: period, ms (>= listen_ms) */
    uint32_t phase_ms;       /* SENSING_DUTY: the first period starts this long after
                              * node_init() (< every_ms); 0 for the other modes */
};

struct sensing {
    bool on;             /* the sensor is listening */
    uint64_t off_at_ms;  /* when listening stops */
    uint64_t next_on_ms; /* SENSING_DUTY: the next period's start */
    uint64_t on_ms;      /* when the current listening period started */
    uint32_t periods;    /* listening periods started */
    uint32_t wakeups;    /* SENSING_WAKE: wake-on-sound events taken */
    uint32_t held;       /* periods a detection kept on past their end */
    uint32_t lead;       /* samples still to feed before the period's first step */
};

/* sensing_config_ok() - @c is usable: a known mode; continuous: the other fields 0;
 * SENSING_DUTY: 0 < listen_ms <= every_ms, phase_ms < every_ms, no wake level;
 * SENSING_WAKE: listen_ms > 0, wake_level_q15 <= 32767, wake_margin_db <= SENSING_MARGIN_MAX_DB,
 * every_ms and phase_ms 0. Only SENSING_WAKE has a wake margin. */
bool sensing_config_ok(const struct sensing_config *c);

/* sensing_phase_ms() - a phase in [0, @every_ms) spread evenly over DevAddrs (a
 * multiplicative hash: consecutive DevAddrs land far apart). 0 when @every_ms is 0. */
uint32_t sensing_phase_ms(uint32_t devaddr, uint32_t every_ms);

#endif /* PROJ_NODEFW_SENSING_H */
