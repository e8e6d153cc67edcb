/* SPDX-License-Identifier: MIT
 * HAND-MADE placeholder model for the turbine profile, to be replaced by `make models` (the
 * model pipeline generates this file from training). Not trained: an "autoencoder" whose
 * reconstruction of the time-averaged spectrum is its mean level plus a fixed healthy-machine
 * tilt (+12 .. -12 feature units, i.e. +-9 dB from 16 Hz to 2 kHz). Layers: global average
 * (the reference, ae_ref_layer = 1), dense 32 -> 1 (mean level), dense 1 -> 32 (level +
 * template). Score = sse / 32 (mean squared error in feature units^2), anomalous from 64
 * (RMS deviation of 8 units = 6 dB).
 */
#ifndef NODEFW_MODEL_TURBINE_MODEL_H
#define NODEFW_MODEL_TURBINE_MODEL_H

#include "nodefw/nn.h"

#define TURBINE_MODEL_ARENA_BYTES 96

/* Encoder: q = sum(x + 100) / 32 - 128, the mean level above the feature zero point. */
static const int8_t turbine_w1[32] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
static const int32_t turbine_m1[1] = {1073741824};
static const int8_t turbine_s1[1] = {-4}; /* 0.5 * 2^-4 = 1/32 */

/* Decoder: x_b = (q + 128) + template_b - 100. */
static const int8_t turbine_w2[32] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
static const int32_t turbine_b2[32] = {
    12, 11, 10, 10, 9,  8,  7,  7,  6,  5,  4,  3,  3,   2,   1,   0,
    0,  -1, -2, -3, -3, -4, -5, -6, -7, -7, -8, -9, -10, -10, -11, -12,
};
static const int32_t turbine_m2[32] = {
    1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824,
    1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824,
    1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824,
    1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824,
};
static const int8_t turbine_s2[32] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
}; /* 0.5 * 2^1 = 1 */

static const struct nn_layer turbine_layers[3] = {
    {.op = NN_OP_AVGPOOL,
     .act = NN_ACT_NONE,
     .in_len = 16,
     .in_ch = 32,
     .out_len = 1,
     .out_ch = 32,
     .in_zp = -100,
     .out_zp = -100},
    {.op = NN_OP_DENSE,
     .act = NN_ACT_NONE,
     .in_len = 1,
     .in_ch = 32,
     .out_len = 1,
     .out_ch = 1,
     .in_zp = -100,
     .out_zp = -128,
     .weights = turbine_w1,
     .bias = NULL,
     .mult = turbine_m1,
     .shift = turbine_s1},
    {.op = NN_OP_DENSE,
     .act = NN_ACT_NONE,
     .in_len = 1,
     .in_ch = 1,
     .out_len = 1,
     .out_ch = 32,
     .in_zp = -128,
     .out_zp = -100,
     .weights = turbine_w2,
     .bias = turbine_b2,
     .mult = turbine_m2,
     .shift = turbine_s2},
};

static const struct nn_model turbine_model = {
    .name = "turbine-handmade",
    .id = 3,
    .version = 0,
    .kind = NN_KIND_AUTOENCODER,
    .profile = 2,
    .in_len = 16,
    .in_ch = 32,
    .out_count = 32,
    .n_layers = 3,
    .layers = turbine_layers,
    .macs = 32 + 32,
    .weight_bytes = 32 + 32 + 4 * 32,
    .arena_bytes = TURBINE_MODEL_ARENA_BYTES,
    .ae_threshold = 64,
    .ae_score_shift = 5,
    .ae_ref_layer = 1,
    .ae_bands = 32,
    .ae_score_mult = 1,
};

#endif /* NODEFW_MODEL_TURBINE_MODEL_H */
