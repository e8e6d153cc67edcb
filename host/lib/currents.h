/* SPDX-License-Identifier: MIT
 * The figures `tinyfleet-node budget` and the simulator's energy accounts turn times into
 * charge with: per board, every current, clock and instruction count with the document it
 * comes from; and the batteries. All of them live in currents.c, one line each, so that
 * someone who measures a real board corrects one number in one place.
 */
#ifndef PROJ_HOST_LIB_CURRENTS_H
#define PROJ_HOST_LIB_CURRENTS_H

#include <stddef.h>

/* One figure: its key (what budget.c asks for), value, unit as printed, and source. */
struct currents_figure {
    const char *key;
    double value;
    const char *unit;
    const char *source; /* datasheet and section, or how it was measured; never empty */
};

struct currents_board {
    const char *name; /* "stm32wl55" */
    const struct currents_figure *figures;
    size_t count;
};

struct currents_battery {
    const char *name; /* "cr2032", "2xaa", "d" */
    const char *label;
    double mah; /* nominal capacity at low drain, mAh */
    const char *source;
};

/* currents_board() - the table of board @name. Return: it, or NULL for an unknown board. */
const struct currents_board *currents_board(const char *name);

/* currents_figure() - figure @key of @b. Return: it, or NULL when the table lacks it. */
const struct currents_figure *currents_figure(const struct currents_board *b, const char *key);

/* currents_get() - the value of figure @key; -1 when missing (callers check currents_check). */
double currents_get(const struct currents_board *b, const char *key);

/*
 * currents_check() - every key budget.c needs is in @b with a value >= 0 and a source.
 * Return: NULL when complete, else the first key missing or without a source.
 */
const char *currents_check(const struct currents_board *b);

/* The batteries, in the order the budget prints them; @n set to their count. */
const struct currents_battery *currents_batteries(size_t *n);

/* currents_battery() - a battery by name. Return: it or NULL. */
const struct currents_battery *currents_battery(const char *name);

/* Share of a battery's nominal capacity the budget counts as usable (cut-off voltage, cold,
 * self-discharge over years), and where that assumption comes from. */
#define CURRENTS_USABLE_SHARE 0.8

#endif
