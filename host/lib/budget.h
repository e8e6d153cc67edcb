/* SPDX-License-Identifier: MIT
 * The energy budget of one node (`tinyfleet-node budget`, nodefw/ENERGY.md): from a board's
 * current table (currents.h), the firmware's measured instructions per window, the LoRa time
 * on air of its messages (nodefw/dutycycle.h) and a set of assumptions (how the firmware
 * idles, how much of the time the node listens, how often it sends), the average current
 * split into sensing, compute, sleep and radio, and the life on each battery.
 */
#ifndef PROJ_HOST_LIB_BUDGET_H
#define PROJ_HOST_LIB_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/currents.h"

/* The assumptions; budget_defaults() fills them, a scenario file and options change them. */
struct budget_in {
    int profile;           /* enum dsp_profile */
    bool tuned;            /* false: the firmware as built before the low-power board */
    double listen_s;       /* sensing: listen for listen_s ... */
    double every_s;        /* ... of every every_s (equal: continuous) */
    bool wake_on_sound;    /* sensor off until the wake-on-sound line fires */
    double wake_share;     /* with wake_on_sound: share of the time listening after wake-ups */
    double health_s;       /* health message interval, s */
    double anomaly_s;      /* turbine anomaly summary interval, s */
    double events_per_day; /* detection frames (one record each) per day, acoustic profiles */
    int sf;                /* spreading factor of uplinks and RX1, 7..12 (125 kHz) */
    int dbm;               /* TX power: 10 or 14 (the table's points) */
    int rx_windows;        /* receive windows per uplink (LoRaWAN class A: 2; as built: 0) */
    int rx_symbols;        /* symbols each window stays open to find a preamble */
    int rx2_sf;            /* spreading factor of RX2 */
};

/* The result; currents in microamperes, averaged over a day. */
struct budget_out {
    double sensing_ua; /* front end and sampling (ADC, its trigger, DMA) */
    double compute_ua; /* the core running: features, inference, interrupts */
    double sleep_ua;   /* the core idle: Sleep, LPSleep, Stop2 */
    double radio_ua;   /* TX, RX windows, and the radio idle (standby or sleep) */
    double total_ua;
    double listen_share; /* share of the time the sensor is on */
    double run_share;    /* share of the time the core runs */
    double uplinks_per_day;
    double tx_s_per_day; /* time on air per day, s */
    double rx_s_per_day; /* receive windows per day, s */
    double window_ms;    /* core time per classification window at full clock */
};

/* budget_defaults() - the assumptions of @profile for firmware @tuned (as built: health
 * every 15 min, no RX windows, continuous sensing; tuned: health every 6 h, 2 RX windows). */
void budget_defaults(struct budget_in *in, int profile, bool tuned);

/*
 * budget_load() - apply scenario file @path to @in: keys of [budget], then of
 * [profile.NAME] for @in->profile (nodefw/ENERGY.md lists them). An unknown section or key,
 * or a bad value, is an error naming file, line and key in @err.
 * Return: 0 or -1.
 */
int budget_load(const char *path, struct budget_in *in, char *err, size_t errlen);

/*
 * budget_compute() - the budget of @in on board @b.
 * Return: 0, or -1 with the reason in @err (inconsistent assumptions, incomplete table).
 */
int budget_compute(const struct currents_board *b, const struct budget_in *in,
                   struct budget_out *out, char *err, size_t errlen);

/* budget_life_days() - days a battery of @mah lasts at @ua (CURRENTS_USABLE_SHARE of it). */
double budget_life_days(double mah, double ua);

/* budget_toa_s() - LoRa time on air of a @len-byte PHYPayload at @sf, 125 kHz, CR 4/5,
 * 8-symbol preamble, explicit header, CRC (the firmware's uplink settings), s. */
double budget_toa_s(int sf, size_t len);

#endif
