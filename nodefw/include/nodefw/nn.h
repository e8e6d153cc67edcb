/* SPDX-License-Identifier: MIT
 * int8 inference engine in the TFLite-Micro / CMSIS-NN style: conv1d, dense, maxpool1d, global
 * average pool, fused ReLU, symmetric per-channel int8 weights, int32 bias and per-channel
 * requantisation (Q31 multiplier + shift, gemmlowp/TFLite "double rounding"). A model is a
 * const struct a generated header defines with static const arrays; the engine needs only a
 * caller-supplied arena. Integer-only, no division except in global average pooling and the
 * final softmax/score (one per inference), deterministic across host and Cortex-M.
 *
 * The arithmetic below is the contract with the model pipeline's integer simulation: it must
 * produce the same integers, bit for bit.
 *
 * Tensors: int8, shape [len][ch] (time major, channels last), row-major in memory. The model
 * input is the feature matrix [FEAT_FRAMES][FEAT_BANDS] with zero point FEAT_ZERO_POINT. Layers
 * run in order, each reading the previous layer's output (layer 0 reads the input). Sums are
 * exact int32 (no overflow, see nn_model_check()), so their order does not matter.
 *
 * Requantisation, nn_requant(x, m, s) with int32 x, Q31 multiplier m >= 0, shift -31 <= s <= 30
 * (s > 0 multiplies by 2^s, s < 0 divides by 2^-s), TFLite MultiplyByQuantizedMultiplier:
 *   left  = s > 0 ? s : 0;  right = s > 0 ? 0 : -s;
 *   a     = saturate_int32((int64)x * 2^left)       (TFLite leaves overflow undefined; we
 *                                                     saturate, generators avoid it anyway)
 *   h     = SRDHM(a, m): INT32_MAX if a == m == INT32_MIN, else with p = (int64)a * m,
 *           nudge = p >= 0 ? 2^30 : 1 - 2^30, h = (int32)((p + nudge) / 2^31), where "/" is
 *           C99 int64 division (truncates toward zero);
 *   r     = RDBPOT(h, right): mask = 2^right - 1, rem = h & mask,
 *           thr = (mask >> 1) + (h < 0 ? 1 : 0), r = (h >> right) + (rem > thr ? 1 : 0),
 *           ">>" an arithmetic (flooring) shift; i.e. round to nearest, ties away from zero.
 *
 * conv1d (valid padding), out_len = (in_len - kernel) / stride + 1, for t < out_len, o < out_ch:
 *   acc = bias[o] + sum_{k < kernel} sum_{c < in_ch} (x[t*stride + k][c] - in_zp) * w[o][k][c]
 *   y[t][o] = clamp((int64)nn_requant(acc, mult[o], shift[o]) + out_zp, lo, 127)
 *   with lo = -128, or max(-128, out_zp) when act == NN_ACT_RELU (fused ReLU = real 0).
 *   acc is int32; nn_model_check() refuses models whose worst case could overflow it.
 *   bias may be NULL (= 0). Weights w[o][k][c]: out_ch * kernel * in_ch int8 (zero point 0).
 * dense: the input [in_len][in_ch] is read as one vector of n = in_len * in_ch values (time
 *   major); out shape [1][out_ch]; acc = bias[o] + sum_{i < n} (x[i] - in_zp) * w[o][i]; the
 *   rest as conv1d. Weights w[o][i]: out_ch * n int8.
 * maxpool1d: out_len = (in_len - kernel) / stride + 1, y[t][c] = max_k x[t*stride + k][c];
 *   requires in_zp == out_zp, in_ch == out_ch; ReLU (if set) clamps to >= out_zp; no weights.
 * avgpool (global, over time): out shape [1][in_ch]; s = sum_t x[t][c] (int32), n = in_len,
 *   y[0][c] = s > 0 ? (s + n / 2) / n : (s - n / 2) / n (C division, TFLite AveragePool
 *   rounding), then ReLU as maxpool; requires in_zp == out_zp, in_ch == out_ch.
 *
 * Classifier head (kind NN_KIND_CLASSIFIER), on the last layer's output q[0..n-1]:
 *   i* = lowest index with the maximum q; E = sum_i exp_table[q[i*] - q[i]] (uint32);
 *   confidence = (255 * exp_table[0] + E / 2) / E (0 if E == 0), an integer softmax of i*;
 *   exp_table[d] = round(65535 * exp(-d * S)), S = real scale of the output (optionally over a
 *   temperature), written by the trainer; class_id = class_ids[i*] (0 = none);
 *   detected = class_id != 0 && confidence >= detect_min_conf.
 * Autoencoder head (kind NN_KIND_AUTOENCODER): the reference r is the model input
 *   (ae_ref_layer == 0) or the output of layer ae_ref_layer - 1; it must have out_count
 *   elements and the output's zero point. sse = sum_i (q[i] - r[i])^2 (uint64),
 *   score = min(255, (sse * ae_score_mult) >> ae_score_shift) (uint64 arithmetic; the trainer
 *   folds 1/out_count and its scale into mult/shift), anomalous = score >= ae_threshold,
 *   peak_band = lowest b < ae_bands maximising sum over i with i % ae_bands == b of
 *   (q[i] - r[i])^2.
 */
#ifndef PROJ_NODEFW_NN_H
#define PROJ_NODEFW_NN_H

#include <stddef.h>
#include <stdint.h>

enum nn_err {
    NN_OK = 0,
    NN_EINVAL = -1, /* NULL pointer, or a model whose fields break the rules above */
    NN_ENOMEM = -2, /* arena smaller than nn_arena_size() */
};

enum nn_op {
    NN_OP_CONV1D = 1,
    NN_OP_DENSE = 2,
    NN_OP_MAXPOOL1D = 3,
    NN_OP_AVGPOOL = 4, /* global average pool over time */
};

enum nn_act {
    NN_ACT_NONE = 0,
    NN_ACT_RELU = 1,
};

enum nn_kind {
    NN_KIND_CLASSIFIER = 1,
    NN_KIND_AUTOENCODER = 2,
};

/* One layer. Shapes are stored (not derived) so a model documents itself; nn_model_check()
 * verifies them. Pointers refer to static const arrays of the generated header. */
struct nn_layer {
    uint8_t op;            /* enum nn_op */
    uint8_t act;           /* enum nn_act, fused after requantisation */
    uint16_t in_len;       /* input time steps (= previous layer's out_len) */
    uint16_t in_ch;        /* input channels (= previous layer's out_ch) */
    uint16_t out_len;      /* output time steps (1 for dense and avgpool) */
    uint16_t out_ch;       /* output channels */
    uint16_t kernel;       /* conv1d/maxpool1d window in time steps; 0 otherwise */
    uint16_t stride;       /* conv1d/maxpool1d step in time steps; 0 otherwise */
    int32_t in_zp;         /* input zero point, -128..127 */
    int32_t out_zp;        /* output zero point, -128..127 */
    const int8_t *weights; /* conv1d [out_ch][kernel][in_ch], dense [out_ch][in_len*in_ch] */
    const int32_t *bias;   /* [out_ch], scale = in_scale * w_scale[o], or NULL */
    const int32_t *mult;   /* [out_ch] Q31 multiplier >= 0 (conv1d, dense) */
    const int8_t *shift;   /* [out_ch] shift, -31..30, TFLite sign convention */
};

/* A model. Everything a node and a report need to know about it. */
struct nn_model {
    const char *name;   /* e.g. "elephant-cnn"; for logs and reports */
    uint16_t id;        /* model_id of the TFP health message */
    uint8_t version;    /* model_ver of the TFP health message */
    uint8_t kind;       /* enum nn_kind */
    uint8_t profile;    /* enum dsp_profile the model expects features of */
    uint16_t in_len;    /* input time steps (FEAT_FRAMES) */
    uint16_t in_ch;     /* input channels (FEAT_BANDS) */
    uint16_t out_count; /* output elements (last layer out_len * out_ch) */
    uint16_t n_layers;  /* entries in layers, >= 1 */
    const struct nn_layer *layers;
    uint32_t macs;         /* multiply-accumulates per inference (conv1d + dense) */
    uint32_t weight_bytes; /* int8 weights (1 B each) + biases (4 B each) */
    uint32_t arena_bytes;  /* arena the model needs, >= nn_arena_size() */
    /* classifier head (NULL/0 for an autoencoder) */
    const uint16_t *exp_table; /* [256], see the header comment */
    const uint8_t *class_ids;  /* [out_count] output index -> wire class id, 0 = none */
    uint8_t detect_min_conf;   /* confidence 0..255 needed to report a detection */
    /* autoencoder head (0 for a classifier) */
    uint8_t ae_threshold;   /* score >= threshold is anomalous */
    uint8_t ae_score_shift; /* 0..63 */
    uint16_t ae_ref_layer;  /* 0: reconstruct the input; k: the output of layer k-1 */
    uint16_t ae_bands;      /* output element i belongs to band i % ae_bands (>= 1) */
    uint32_t ae_score_mult; /* score = min(255, (sse * mult) >> shift) */
};

/* Outcome of one inference. */
struct nn_result {
    uint16_t index;     /* classifier: winning output index */
    uint8_t class_id;   /* classifier: wire class id of the winner, 0 = none */
    uint8_t confidence; /* classifier: integer softmax of the winner, 0..255 (p = v / 255) */
    uint8_t detected;   /* classifier: 1 if class_id != 0 and confidence >= detect_min_conf */
    uint8_t score;      /* autoencoder: anomaly score 0..255 */
    uint8_t anomalous;  /* autoencoder: 1 if score >= ae_threshold */
    uint8_t peak_band;  /* autoencoder: band with the largest reconstruction error */
};

/*
 * nn_requant() - TFLite MultiplyByQuantizedMultiplier, exactly as in the header comment.
 * @x: int32 accumulator. @mult: Q31 multiplier (any int32; models use 0 or 2^30..2^31-1).
 * @shift: -31..30; values outside are clamped to that range.
 * Return: the rescaled value (int32). Context: any.
 */
int32_t nn_requant(int32_t x, int32_t mult, int shift);

/* The two gemmlowp primitives nn_requant() is made of (exposed for tests and simulators). */
int32_t nn_srdhm(int32_t a, int32_t b);
int32_t nn_rdbpot(int32_t x, int exponent); /* exponent 0..31 */

/*
 * nn_model_check() - verify a model: layer chain shapes, zero points in -128..127, pointers
 * present, kernel/stride sane, no int32 accumulator overflow possible
 * (kernel * in_ch * 255 * 128 <= 2^30 and |bias| <= 2^30), stored macs and weight_bytes equal
 * the computed ones, arena_bytes >= nn_arena_size(), head fields consistent.
 * Return: NN_OK or NN_EINVAL. Context: any; cheap (no inference).
 */
int nn_model_check(const struct nn_model *m);

/*
 * nn_arena_size() - bytes of arena nn_infer() needs: 2 * (largest layer output in elements)
 * plus out_count for an autoencoder whose ae_ref_layer is not 0. 0 for a NULL model.
 */
size_t nn_arena_size(const struct nn_model *m);

/* nn_model_macs() - conv1d and dense multiply-accumulates per inference (pooling excluded). */
uint32_t nn_model_macs(const struct nn_model *m);

/* nn_model_weight_bytes() - int8 weights + 4 * biases over all layers. */
uint32_t nn_model_weight_bytes(const struct nn_model *m);

/*
 * nn_run() - run the layers only.
 * @m:         model (assumed valid: call nn_model_check() once, e.g. at boot).
 * @input:     in, in_len * in_ch int8 values.
 * @arena:     scratch of @arena_len bytes, caller owned; contents undefined afterwards.
 * @out:       out, out_count int8 values (last layer's output). Must not alias @arena.
 * Return: NN_OK, NN_EINVAL (NULL argument), NN_ENOMEM (arena too small).
 * Context: any; reentrant (all state in @arena).
 */
int nn_run(const struct nn_model *m, const int8_t *input, int8_t *arena, size_t arena_len,
           int8_t *out);

/*
 * nn_infer() - run the model and its head (classifier softmax or autoencoder score).
 * @m, @input, @arena, @arena_len: as nn_run() (the raw output lives in the arena).
 * @res: out, the result; fields of the other head are 0.
 * Return: NN_OK, NN_EINVAL, NN_ENOMEM.
 * Context: any; reentrant.
 */
int nn_infer(const struct nn_model *m, const int8_t *input, int8_t *arena, size_t arena_len,
             struct nn_result *res);

/*
 * nn_classify_head() / nn_ae_head() - the heads alone, on an output already computed
 * (@q: out_count values; @ref: the reference, out_count values). Fill @res as nn_infer().
 */
void nn_classify_head(const struct nn_model *m, const int8_t *q, struct nn_result *res);
void nn_ae_head(const struct nn_model *m, const int8_t *q, const int8_t *ref,
                struct nn_result *res);

#endif /* PROJ_NODEFW_NN_H */
