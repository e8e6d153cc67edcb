/* SPDX-License-Identifier: MIT
 * The simulated wake-on-sound comparator (the host HAL's wake line, host/node/host_power.c).
 *
 * Fixed (margin 0): fires when a sample's magnitude reaches the level, a comparator on the
 * raw signal with a fixed reference, as the first model did.
 *
 * Adaptive (margin > 0): the comparator a real front end would build from an envelope
 * detector and an RC: the envelope (the magnitude, rising with a 5 ms and falling with a
 * 100 ms time constant) is compared with its own slow average, the background floor (falling
 * towards a quieter envelope with 2 s, rising with 10 s, so the onset of a call stands out
 * before the floor follows it), raised by the margin; the level stays as the minimum, so
 * digital silence does not make every click a wake-up. The floor tracks whenever the input
 * passes (the analog part runs whether or not the ADC samples); in the first second it
 * settles on the background quickly and the comparator does not fire.
 */
#ifndef PROJ_HOST_LIB_WAKECMP_H
#define PROJ_HOST_LIB_WAKECMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wakecmp {
    double level;       /* minimum envelope that fires, full scale 1 */
    double margin;      /* adaptive: the envelope must reach floor * margin (linear); 0: fixed */
    double att, rel;    /* envelope coefficients per sample */
    double fall, rise;  /* floor coefficients per sample */
    double warm;        /* ... and during the first second, when it does not fire */
    uint32_t warm_left; /* samples of that second still to come */
    double env;         /* envelope, full scale 1 */
    double floor;       /* background floor, full scale 1 */
};

/* wakecmp_init() - a comparator for input at @rate_hz: fixed at @level (full scale 1) when
 * @margin_db is 0, else adaptive with @margin_db above the tracked background. */
void wakecmp_init(struct wakecmp *c, uint32_t rate_hz, double level, double margin_db);

/* wakecmp_feed() - pass @n samples through the comparator. Return: true if it fired on any
 * of them. */
bool wakecmp_feed(struct wakecmp *c, const int16_t *x, size_t n);

#endif /* PROJ_HOST_LIB_WAKECMP_H */
