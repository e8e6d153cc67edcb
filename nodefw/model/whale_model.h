/* SPDX-License-Identifier: MIT
 * HAND-MADE placeholder model for the whale profile, to be replaced by `make models` (the
 * model pipeline generates this file from training). Not trained: a fixed detector of a tone
 * sweeping through the upcall range. conv1d (3 frames, 32 -> 4 channels, ReLU): channel j is
 * the peak contrast of one group of bands (2-5, 6-9, 10-12, 13-15: 55-265 Hz) over the mean
 * of its neighbours below and above (a second difference: near zero for smooth, sloping noise
 * spectra, large for a tone), above 8 feature units (6 dB); maxpool1d (2, stride 2); global
 * average over time; dense 4 -> 2: none = 0, whale = sum of the 4 channels. It exercises every
 * layer type.
 */
#ifndef NODEFW_MODEL_WHALE_MODEL_H
#define NODEFW_MODEL_WHALE_MODEL_H

#include "nodefw/nn.h"

#define WHALE_MODEL_ARENA_BYTES 112

/* conv1d weights [4][3][32]: +a on the group, -b below, -c above with a * g = 2 b * gb =
 * 2 c * ga; each row sums to 0, so the input zero point cancels. */
static const int8_t whale_w1[4 * 3 * 32] = {
    -2, -2, 2,  2,  2,  2,  -1, -1, -1, -1, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  -2, -2, 2,  2,  2,  2,  -1, -1, -1, -1, 0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  -2, -2, 2,  2,  2,  2,  -1, -1,
    -1, -1, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  -3, -3, -3, -3, 6,  6,  6,  6,  -4, -4, -4, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  -3, -3, -3, -3, 6,  6,  6,  6,  -4, -4, -4, 0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  -3, -3, -3, -3, 6,  6,
    6,  6,  -4, -4, -4, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  -3, -3, -3, -3, 8,  8,  8,  -4, -4, -4, 0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  -3, -3, -3, -3, 8,  8,  8,  -4, -4, -4,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  -3, -3,
    -3, -3, 8,  8,  8,  -4, -4, -4, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  -1, -1, -1, 2,  2,  2,  -1, -1, -1, 0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  -1, -1, -1, 2,  2,  2,
    -1, -1, -1, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  -1, -1, -1, 2,  2,  2,  -1, -1, -1, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};
/* Threshold 8 units over 3 frames: 3 * 8 * (a * group size) = 192, 576, 576, 144. */
static const int32_t whale_b1[4] = {-192, -576, -576, -144};
static const int32_t whale_m1[4] = {1073741824, 1073741824, 1073741824, 1073741824};
/* 0.5 * 2^shift: about one output unit per feature unit of peak contrast */
static const int8_t whale_s1[4] = {-4, -5, -5, -3};

/* dense 4 -> 2: none = 0, whale = sum of the channels above their zero point -128. */
static const int8_t whale_w4[2 * 4] = {0, 0, 0, 0, 1, 1, 1, 1};
static const int32_t whale_m4[2] = {1073741824, 1073741824};
static const int8_t whale_s4[2] = {1, 1}; /* 0.5 * 2 = 1 */

static const struct nn_layer whale_layers[4] = {
    {.op = NN_OP_CONV1D,
     .act = NN_ACT_RELU,
     .in_len = 16,
     .in_ch = 32,
     .out_len = 14,
     .out_ch = 4,
     .kernel = 3,
     .stride = 1,
     .in_zp = -100,
     .out_zp = -128,
     .weights = whale_w1,
     .bias = whale_b1,
     .mult = whale_m1,
     .shift = whale_s1},
    {.op = NN_OP_MAXPOOL1D,
     .act = NN_ACT_NONE,
     .in_len = 14,
     .in_ch = 4,
     .out_len = 7,
     .out_ch = 4,
     .kernel = 2,
     .stride = 2,
     .in_zp = -128,
     .out_zp = -128},
    {.op = NN_OP_AVGPOOL,
     .act = NN_ACT_NONE,
     .in_len = 7,
     .in_ch = 4,
     .out_len = 1,
     .out_ch = 4,
     .in_zp = -128,
     .out_zp = -128},
    {.op = NN_OP_DENSE,
     .act = NN_ACT_NONE,
     .in_len = 1,
     .in_ch = 4,
     .out_len = 1,
     .out_ch = 2,
     .in_zp = -128,
     .out_zp = 0,
     .weights = whale_w4,
     .bias = NULL,
     .mult = whale_m4,
     .shift = whale_s4},
};

/* exp_table[d] = round(65535 * exp(-0.25 d)). */
static const uint16_t whale_exp[256] = {
    65535, 51039, 39749, 30957, 24109, 18776, 14623, 11388, 8869, 6907, 5379, 4190, 3263, 2541,
    1979,  1541,  1200,  935,   728,   567,   442,   344,   268,  209,  162,  127,  99,   77,
    60,    47,    36,    28,    22,    17,    13,    10,    8,    6,    5,    4,    3,    2,
    2,     1,     1,     1,     1,     1,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,    0,    0,    0,    0,
    0,     0,     0,     0,
};

static const uint8_t whale_class_ids[2] = {0, 2};

static const struct nn_model whale_model = {
    .name = "whale-handmade",
    .id = 2,
    .version = 0,
    .kind = NN_KIND_CLASSIFIER,
    .profile = 1,
    .in_len = 16,
    .in_ch = 32,
    .out_count = 2,
    .n_layers = 4,
    .layers = whale_layers,
    .macs = 14 * 4 * 3 * 32 + 2 * 4,
    .weight_bytes = 4 * 3 * 32 + 4 * 4 + 2 * 4,
    .arena_bytes = WHALE_MODEL_ARENA_BYTES,
    .exp_table = whale_exp,
    .class_ids = whale_class_ids,
    .detect_min_conf = 191,
};

#endif /* NODEFW_MODEL_WHALE_MODEL_H */
