/* SPDX-License-Identifier: MIT
 * HAND-MADE placeholder model for the elephant profile, to be replaced by `make models`
 * (the model pipeline generates this file from training). Not trained: a fixed detector of
 * spectral contrast. Time-average the 32 log bands, then
 *   acc = 4 * sum(bands 1..12) - 3 * sum(bands 16..31) - 768  (= 48 * (mean low - mean high)
 *   in feature units (0.75 dB) minus a 12 dB threshold); elephant logit = acc / 64, none = 0.
 * Bands 1..12 span 12-78 Hz: rumble fundamentals (10-40 Hz) and their first harmonics.
 */
#ifndef NODEFW_MODEL_ELEPHANT_MODEL_H
#define NODEFW_MODEL_ELEPHANT_MODEL_H

#include "nodefw/nn.h"

#define ELEPHANT_MODEL_ARENA_BYTES 64

static const int8_t elephant_w1[2 * 32] = {
    /* none: constant logit 0 */
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    /* elephant: +4 on bands 1..12, -3 on bands 16..31 */
    0,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    0,
    0,
    0,
    -3,
    -3,
    -3,
    -3,
    -3,
    -3,
    -3,
    -3,
    -3,
    -3,
    -3,
    -3,
    -3,
    -3,
    -3,
    -3,
};
static const int32_t elephant_b1[2] = {0, -768};
static const int32_t elephant_m1[2] = {1073741824, 1073741824}; /* 0.5 */
static const int8_t elephant_s1[2] = {-5, -5};                  /* 0.5 * 2^-5 = 1/64 */

static const struct nn_layer elephant_layers[2] = {
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
     .out_ch = 2,
     .in_zp = -100,
     .out_zp = 0,
     .weights = elephant_w1,
     .bias = elephant_b1,
     .mult = elephant_m1,
     .shift = elephant_s1},
};

/* exp_table[d] = round(65535 * exp(-0.25 d)): one logit unit = 1 dB of contrast. */
static const uint16_t elephant_exp[256] = {
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

static const uint8_t elephant_class_ids[2] = {0, 1};

static const struct nn_model elephant_model = {
    .name = "elephant-handmade",
    .id = 1,
    .version = 0,
    .kind = NN_KIND_CLASSIFIER,
    .profile = 0,
    .in_len = 16,
    .in_ch = 32,
    .out_count = 2,
    .n_layers = 2,
    .layers = elephant_layers,
    .macs = 64,
    .weight_bytes = 72,
    .arena_bytes = ELEPHANT_MODEL_ARENA_BYTES,
    .exp_table = elephant_exp,
    .class_ids = elephant_class_ids,
    .detect_min_conf = 191,
};

#endif /* NODEFW_MODEL_ELEPHANT_MODEL_H */
