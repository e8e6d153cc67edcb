/* SPDX-License-Identifier: MIT
 * The Class A receive windows of one uplink (LoRaWAN 1.0.3 section 3.3, proto/SPEC.md section
 * 1.5), for a board's radio_recv() (hal.h): when RX1 and RX2 open, with which modulation,
 * and how long the receiver listens in each. RX1 opens rx1_delay_s after the end of the
 * transmission (1 s; a JoinRequest's 5 s) on the uplink's channel and data rate, RX2 one
 * second later on the region's RX2 channel (EU868: 869.525 MHz, SF12/125 kHz). A window
 * listens long enough for a downlink's preamble to be detected and the longest downlink
 * tinyfleetd sends to arrive; a packet heard in RX1 closes both. Pure arithmetic on the
 * board's millisecond clock, so the host tests it.
 */
#ifndef PROJ_NODEFW_RXWIN_H
#define PROJ_NODEFW_RXWIN_H

#include <stdbool.h>
#include <stdint.h>

#include "nodefw/hal.h"

#define RXWIN_RX2_FREQ_HZ 869525000u /* EU868 RX2 */
#define RXWIN_RX2_SF      12u        /* EU868 RX2 DR0, as tinyfleetd's DLSettings say */
#define RXWIN_PREAMBLE    12u        /* symbols listened for a preamble: its 8 and a margin */
#define RXWIN_DOWNLINK    33u        /* bytes: the longest downlink (a JoinAccept with CFList) */

enum rxwin_state {
    RXWIN_CLOSED = 0, /* no uplink's windows are open */
    RXWIN_RX1 = 1,    /* waiting for (or in) RX1 */
    RXWIN_RX2 = 2,    /* RX1 is over: waiting for (or in) RX2 */
};

struct rxwin {
    uint8_t state;         /* enum rxwin_state */
    uint64_t rx1_ms;       /* when RX1 opens, board clock */
    struct hal_lora_tx up; /* the uplink's modulation (RX1's) */
};

/* rxwin_open() - the windows of the uplink sent with @tx, whose transmission ended at
 * @end_ms. */
void rxwin_open(struct rxwin *w, const struct hal_lora_tx *tx, uint64_t end_ms);

/*
 * rxwin_next() - the window to listen in at @now_ms.
 * @rx: out, its modulation (RX2's frequency and data rate in RX2). @wait_ms: out, how long
 * until it opens (0: now). @listen_ms: out, how long to listen once it is open.
 * Return: the window (RXWIN_RX1 or RXWIN_RX2), or RXWIN_CLOSED when none is left. A
 * window whose listening time has passed already is skipped.
 */
int rxwin_next(struct rxwin *w, uint64_t now_ms, struct hal_lora_tx *rx, uint32_t *wait_ms,
               uint32_t *listen_ms);

/* rxwin_done() - the window rxwin_next() gave was listened in; @heard: a packet came (both
 * windows close), else RX1 moves on to RX2 and RX2 closes. */
void rxwin_done(struct rxwin *w, bool heard);

#endif
