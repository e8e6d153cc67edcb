/* SPDX-License-Identifier: MIT
 * On-device baseline learning for the turbine profile: every machine learns its own normal.
 * No two gearboxes sound alike (tooth counts, speeds, loads, mountings, sensor gain), so a
 * model frozen at flash time flags every machine it has not seen. Instead the node watches
 * its machine for a learning period and only then judges, integer only, no malloc:
 *
 * Front end (per window of FEAT_FRAMES frames): the samples pass a DC blocker (first-order
 * high-pass, pole 1 - 2^-7: -3 dB at 5 Hz at 4 kHz), so an accelerometer's gravity offset
 * does not leak into the lowest bands; the window's band energies (dsp_features, 0.25 log2
 * units) are averaged over time and the window's mean over bands is subtracted (a gain or
 * level change adds the same to every band in the log domain, so it cancels), giving
 * NODE_LEARN_SHAPE spectral-shape values; NODE_LEARN_MOD more measure frame-to-frame change
 * in groups of four bands (impacts and modulation). NODE_LEARN_DIMS values in all.
 *
 * Learning, over node_learn_start()'s number of windows, in three phases:
 *   1. first quarter: per-dimension streaming mean and variance (int64 sums), then each
 *      dimension is normalised to z = (x - mean) / sd, sd floored;
 *   2. to three quarters: a codebook of up to NODE_LEARN_PROTOS operating modes (leader
 *      clustering: a window farther than NODE_LEARN_NEW_DIST from every prototype opens a
 *      new one), each with its own mean and variance per dimension (running averages);
 *   3. last quarter: the histogram of the node's own scores; the threshold is its
 *      NODE_LEARN_QUANTILE_PPM quantile plus NODE_LEARN_MARGIN.
 * Then ready: score = 16 log2(256 d + 1), clamped to 255, where d is the mean over
 * dimensions of (z - m)^2 / v to the nearest prototype (1.0 = as typical as learning saw):
 * 16 steps per octave of distance, so it ranks windows far past the threshold instead of
 * saturating. anomalous = score >= threshold.
 *
 * The whole state serialises (node_learn_save/load: versioned, CRC-32) so it survives a
 * reboot; a node writes it at phase changes and every 1/16 of the learning period (about 19
 * writes in a 14-day period: nothing for flash wear).
 */
#ifndef PROJ_NODEFW_LEARN_H
#define PROJ_NODEFW_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "nodefw/classify.h"

#define NODE_LEARN_SHAPE  32
#define NODE_LEARN_MOD    8
#define NODE_LEARN_DIMS   (NODE_LEARN_SHAPE + NODE_LEARN_MOD)
#define NODE_LEARN_PROTOS 8
/* A window this far (d, Q8) from every prototype opens a new one during phase 2. */
#define NODE_LEARN_NEW_DIST (4 * 256)
/* Threshold: this quantile of the phase-3 scores (parts per million) plus the margin. */
#define NODE_LEARN_QUANTILE_PPM 999000u
#define NODE_LEARN_MARGIN       12
/* Fewest windows a learning period may have (4 per phase at least). */
#define NODE_LEARN_MIN_WINDOWS 16u
/* Largest serialised state (phase 3 with every prototype in use): node_learn_save() may need
 * this much room. A record holds only what its phase needs, so it fits in a node's sample
 * block (2,048 bytes), where node.c serialises it instead of keeping a buffer of its own. */
#define NODE_LEARN_STATE_BYTES                                                                     \
    (24u + NODE_LEARN_DIMS * 4u + NODE_LEARN_PROTOS * (4u + NODE_LEARN_DIMS * 4u) + 512u + 4u)
#define NODE_LEARN_VERSION 2u

enum node_learn_err {
    NODE_LEARN_EINVAL = -1,   /* NULL, bad length, too short a learning period */
    NODE_LEARN_ENOSPC = -2,   /* buffer too small */
    NODE_LEARN_ECORRUPT = -3, /* not a learned state, wrong version or CRC */
};

/* Where a node is in its learning. Values go on the wire (health message): append only. */
enum node_learn_phase {
    NODE_LEARN_OFF = 0,    /* never started: the node does not judge */
    NODE_LEARN_STATS = 1,  /* learning: per-dimension mean and variance */
    NODE_LEARN_MODES = 2,  /* learning: operating modes */
    NODE_LEARN_THRESH = 3, /* learning: the distribution of its own scores */
    NODE_LEARN_READY = 4,  /* learned: judging */
};

struct node_learn {
    uint8_t phase;                 /* enum node_learn_phase */
    uint8_t n_protos;              /* prototypes in use */
    uint8_t threshold;             /* READY: score >= threshold is anomalous */
    uint8_t dirty;                 /* the state changed enough to be written (caller clears it) */
    uint32_t target;               /* windows of the learning period */
    uint32_t seen;                 /* windows learned so far */
    int32_t dc_prev;               /* DC blocker: previous input sample */
    int32_t dc_y_q8;               /* DC blocker: output, Q8 */
    int16_t mean[NODE_LEARN_DIMS]; /* after phase 1: per-dimension mean (feature units) */
    uint16_t inv_sd[NODE_LEARN_DIMS]; /* after phase 1: 2^16 / sd, z in Q8 = (x-mean)*inv>>8 */
    uint32_t proto_n[NODE_LEARN_PROTOS];
    int16_t proto_m[NODE_LEARN_PROTOS][NODE_LEARN_DIMS];  /* z, Q8 */
    uint16_t proto_v[NODE_LEARN_PROTOS][NODE_LEARN_DIMS]; /* z^2, Q8, floored */
    /* Phase 1 needs the sums, later phases the inverse variances and the histogram: they
     * share memory (the RAM budget is 4 KB). */
    union {
        struct {
            int64_t sum[NODE_LEARN_DIMS];
            uint64_t sumsq[NODE_LEARN_DIMS];
        } s;
        struct {
            uint16_t inv_v[NODE_LEARN_PROTOS][NODE_LEARN_DIMS]; /* 2^16 / proto_v */
            uint16_t hist[256];                                 /* phase 3: scores seen */
        } j;
    } u;
};

/* One window's learning outcome, beside the classify result it fills. */
struct node_learn_info {
    uint8_t phase;     /* enum node_learn_phase after this window */
    uint8_t progress;  /* 0..100 % of the learning period */
    uint8_t threshold; /* READY: the learned threshold; else 0 */
    uint8_t score;     /* READY or phase 3: this window's score; else 0 */
};

/* node_learn_init() - nothing learned (phase OFF). */
void node_learn_init(struct node_learn *l);

/*
 * node_learn_start() - forget everything and learn for @windows windows (a learning period
 * of learn_s seconds at the turbine rate is learn_s * 4000 / FEAT_STEP_SAMPLES windows).
 * Return: 0, or NODE_LEARN_EINVAL for fewer than NODE_LEARN_MIN_WINDOWS. This is what a
 * "relearn" command from the gateway calls.
 */
int node_learn_start(struct node_learn *l, uint32_t windows);

/*
 * node_learn_step() - one step of FEAT_STEP_SAMPLES samples of a turbine node: DC blocker,
 * features into @cls's ring, then learn from or judge the window.
 * @res is filled as node_classify_step() does (is_anomaly_model = 1; anomalous, detected,
 * class_id only when READY; anomaly_score and confidence the score); @info may be NULL.
 * Return: 1 a window was processed, 0 still filling, NODE_LEARN_EINVAL.
 * Context: single thread (static scratch).
 */
int node_learn_step(struct node_learn *l, struct node_classify *cls, const int16_t *samples,
                    size_t n, struct node_classify_result *res, struct node_learn_info *info);

/* node_learn_progress() - 0..100 % of the learning period done (100 when READY). */
uint8_t node_learn_progress(const struct node_learn *l);

/* node_learn_save() - serialise into @buf (at most NODE_LEARN_STATE_BYTES; less before phase 3
 * or with fewer prototypes). Return: bytes written, NODE_LEARN_ENOSPC/EINVAL. */
int node_learn_save(const struct node_learn *l, uint8_t *buf, size_t cap);

/* node_learn_load() - restore a saved state; on error @l is unchanged.
 * Return: 0, NODE_LEARN_ECORRUPT, NODE_LEARN_EINVAL. */
int node_learn_load(struct node_learn *l, const uint8_t *buf, size_t len);

#endif /* PROJ_NODEFW_LEARN_H */
