/* SPDX-License-Identifier: MIT
 * Energy accounts of a node: how long the core spent in each power state (and at which
 * clock), how long the sensor front end was powered, how long the radio transmitted (and at
 * what power) and listened. A board keeps one account and charges it where it changes state
 * (before WFI, after wake-up, around a transmission); the host simulator keeps the same
 * account on its simulated clock. `tinyfleet-node budget` turns such times into currents
 * with a per-board table of datasheet figures (host/lib/currents.c).
 *
 * Integer only (microseconds, 64 bits: 584,000 years), no clock of its own: the caller
 * passes the time. Calling context: the board's main loop, or an ISR that owns the account
 * alone (never both).
 */
#ifndef PROJ_NODEFW_ENERGY_H
#define PROJ_NODEFW_ENERGY_H

#include <stdbool.h>
#include <stdint.h>

/* Core power states, in the STM32WL55's terms (RM0453 section 6.4); other chips map theirs
 * onto the nearest. Values index energy_acct.state_us: append only. */
enum energy_state {
    ENERGY_RUN = 0,     /* core running at run_hz */
    ENERGY_SLEEP = 1,   /* core stopped by WFI, clocks at run_hz, main regulator */
    ENERGY_LPSLEEP = 2, /* core stopped, clocks at lp_hz (<= 2 MHz), low-power regulator */
    ENERGY_STOP2 = 3,   /* clocks off, SRAM kept, wake by LPTIM/RTC/EXTI */
    ENERGY_STATE_COUNT = 4,
};

struct energy_acct {
    uint64_t state_us[ENERGY_STATE_COUNT]; /* time in each core state, us */
    uint32_t run_hz;                       /* core clock in RUN and SLEEP, Hz */
    uint32_t lp_hz;                        /* core clock in LPSLEEP, Hz */
    uint32_t wakeups;                      /* transitions out of a sleep state into RUN */
    uint64_t sensor_on_us;                 /* sensor front end powered, us */
    uint32_t sensor_starts;                /* times the front end was switched on */
    uint64_t tx_us;                        /* radio transmitting, us */
    uint32_t tx_frames;                    /* transmissions */
    int8_t tx_dbm;                         /* power of the last transmission, dBm */
    uint64_t rx_us;                        /* radio receiving (RX windows), us */
    uint32_t rx_windows;                   /* receive windows opened */
    /* Open intervals, charged at the next change or by energy_snapshot(). */
    uint8_t state;            /* enum energy_state now */
    bool sensor_on;           /* front end on now */
    uint64_t state_since_us;  /* when the state was entered */
    uint64_t sensor_since_us; /* when the front end was switched on */
};

/*
 * energy_init() - an empty account, the core in RUN from @now_us.
 * @run_hz, @lp_hz: the clocks of RUN/SLEEP and of LPSLEEP, Hz (recorded for the budget).
 */
void energy_init(struct energy_acct *a, uint64_t now_us, uint32_t run_hz, uint32_t lp_hz);

/*
 * energy_enter() - the core enters @s at @now_us: the time since the last change is
 * charged to the state it leaves. A time before the last change (a clock that went back)
 * charges nothing. An @s out of range is ignored.
 */
void energy_enter(struct energy_acct *a, enum energy_state s, uint64_t now_us);

/*
 * energy_charge() - add @us to state @s directly (a board or simulator that knows a
 * duration rather than the moments: the simulator's compute time per window).
 */
void energy_charge(struct energy_acct *a, enum energy_state s, uint64_t us);

/* energy_sensor() - the sensor front end switched on (@on) or off at @now_us. Switching to
 * the state it is already in changes nothing. */
void energy_sensor(struct energy_acct *a, bool on, uint64_t now_us);

/* energy_tx() - one transmission of @us at @dbm. */
void energy_tx(struct energy_acct *a, uint32_t us, int8_t dbm);

/* energy_rx() - one receive window open for @us. */
void energy_rx(struct energy_acct *a, uint32_t us);

/*
 * energy_snapshot() - @a as of @now_us with the open intervals charged, into @out; @a is
 * not changed (the board keeps counting). Return: the total of the core states, us (the
 * time covered since energy_init()).
 */
uint64_t energy_snapshot(const struct energy_acct *a, uint64_t now_us, struct energy_acct *out);

/* energy_state_name() - "run", "sleep", "lpsleep", "stop2"; "?" out of range. */
const char *energy_state_name(enum energy_state s);

#endif /* PROJ_NODEFW_ENERGY_H */
