/* SPDX-License-Identifier: MIT
 * The turbine's learning run a QEMU image and its host twin share (as classify_run.h for
 * classification), so host and Cortex-M4 can be compared byte for byte on what a node learns
 * and how it then judges: the signal's first half is a learning period (node_learn_start()
 * over its windows), the rest is judged with the learned state. Freestanding C99.
 */
#ifndef PROJ_NODEFW_BOARDS_COMMON_LEARN_RUN_H
#define PROJ_NODEFW_BOARDS_COMMON_LEARN_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "classify_run.h"

/* Totals of the learning run, counts in the counter's unit (0 without a counter). */
struct board_learn_bench {
    uint32_t learn_windows; /* windows while learning */
    uint64_t learn;         /* their node_learn_step() calls (DC blocker, features, learning) */
    uint32_t judge_windows; /* windows judged with the learned state */
    uint64_t judge;         /* their node_learn_step() calls */
};

/*
 * board_learn_run() - learn from the first half of the @n samples of @x (4000 Hz), judge the
 * rest, and emit per window
 *   "lwin I phase=P prog=G score=S anom=A thr=T level=L peak=K\n",
 * the saved state (node_learn_save()) as "lstate OFFSET HEX\n" lines of 32 bytes after each
 * window that changed the phase or was in phase 3, and at the end, then
 *   "lwindows N learned=W thr=T modes=M bytes=B\n".
 * @counter may be NULL; @bench (may be NULL) gets the counts per phase.
 * Return: the number of windows, or a negative code (also emitted as "error CODE\n").
 */
int board_learn_run(const int16_t *x, size_t n, board_emit_fn emit, board_counter_fn counter,
                    struct board_learn_bench *bench);

/* One step while learning, one while judging: functions of their own so that callgrind
 * can count each (--toggle-collect). */
int board_learn_step_learning(const int16_t *x, struct node_classify_result *r);
int board_learn_step_judging(const int16_t *x, struct node_classify_result *r);

#endif
