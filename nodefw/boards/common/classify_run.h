/* SPDX-License-Identifier: MIT
 * The classification run a QEMU image and its host twin share, so both print the very
 * same lines: the signal goes through node_classify_step() one step at a time exactly as
 * a node feeds it, and each window's result is one line of integers. The benchmark pass
 * splits a step into its feature part and its inference part and times each with a
 * caller-supplied counter. Freestanding C99: no stdio; lines go to a callback.
 */
#ifndef PROJ_NODEFW_BOARDS_COMMON_CLASSIFY_RUN_H
#define PROJ_NODEFW_BOARDS_COMMON_CLASSIFY_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "nodefw/classify.h"
#include "nodefw/features.h"
#include "nodefw/profile.h"

/* Prints one NUL-terminated line (it ends in '\n'). */
typedef void (*board_emit_fn)(const char *line);

/* A free-running counter (instructions, cycles or ticks; wraps modulo 2^32). */
typedef uint32_t (*board_counter_fn)(void);

/*
 * board_classify_run() - classify @n samples of @x (at @p's rate) and emit, per window:
 *   "win I end_ms=T class=C conf=V det=D level=L score=S anom=A peak=P\n"
 * (fields of struct node_classify_result), then "windows N\n".
 * Return: the number of windows (>= 0), or a negative NODE_CLASSIFY_* code (also emitted
 * as "error CODE\n").
 */
int board_classify_run(enum dsp_profile p, const int16_t *x, size_t n, board_emit_fn emit);

/* Totals of a benchmark pass; counts are in the counter's unit. */
struct board_bench {
    uint32_t windows;  /* windows classified */
    uint64_t features; /* dsp_features_push() + dsp_features_window() of those windows */
    uint64_t infer;    /* node_classify_window(): the model and its head */
    uint32_t macs;     /* the model's multiply-accumulates per inference */
};

/*
 * board_bench_run() - the same windows as board_classify_run(), with features and
 * inference as separate calls, each bracketed by @counter (NULL: not timed, e.g. on the
 * host under callgrind, which counts by function instead). Only complete windows count.
 * Return: 0, or a negative NODE_CLASSIFY_* code.
 */
int board_bench_run(enum dsp_profile p, const int16_t *x, size_t n, board_counter_fn counter,
                    struct board_bench *out);

/* The measured halves of one step (exposed so callgrind can name them): feed
 * FEAT_STEP_SAMPLES samples of @x and take the window; run the model on that window. */
int board_bench_features(const int16_t *x, struct dsp_window_info *winfo);
int board_bench_infer(enum dsp_profile p, const struct dsp_window_info *winfo,
                      struct node_classify_result *r);

/*
 * board_utoa() - decimal text of @v, NUL-terminated, written backwards from @end (which must
 * have 21 bytes before it). Return: the first character.
 */
char *board_utoa(uint64_t v, char *end);

#endif
