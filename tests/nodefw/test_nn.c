/* SPDX-License-Identifier: MIT
 * The int8 engine: requantisation edge cases (INT32_MIN, saturation, negative shifts, ties),
 * requantisation against exact rationals, each layer type against a double-precision reference
 * of the same quantised operation (bound: 1 LSB of the output for conv1d and dense, where the
 * Q31 multiplier and the two roundings of TFLite's requantisation add at most 1; exact for the
 * pools), the heads, model validation, and a tiny hand-made model end to end.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "nodefw/nn.h"

#include "check.h"

static uint32_t rng_state = 4242u;

static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state;
}

static int32_t rand_range(int32_t lo, int32_t hi)
{
    return lo + (int32_t)((rng() >> 8) % (uint32_t)(hi - lo + 1));
}

/* TFLite QuantizeMultiplier: real = q * 2^(shift - 31), q in [2^30, 2^31). */
static void quantize_multiplier(double real, int32_t *q, int8_t *shift)
{
    int e = 0;
    double f = frexp(real, &e);
    long long qq = llround(f * 2147483648.0);
    if (qq == 2147483648LL) {
        qq /= 2;
        e++;
    }
    *q = (int32_t)qq;
    *shift = (int8_t)e;
}

static void test_requant_edges(void)
{
    CHECK(nn_srdhm(INT32_MIN, INT32_MIN) == INT32_MAX, "SRDHM(MIN, MIN) saturates");
    CHECK(nn_srdhm(INT32_MIN, 1073741824) == -1073741824, "SRDHM(MIN, 0.5)");
    CHECK(nn_srdhm(INT32_MAX, INT32_MAX) == INT32_MAX - 1, "SRDHM(MAX, MAX)");
    CHECK(nn_srdhm(3, 1073741824) == 2, "SRDHM(3, 0.5) = 2 (1.5 rounds up)");
    CHECK(nn_srdhm(-3, 1073741824) == -1, "SRDHM(-3, 0.5) = -1 (gemmlowp nudge)");
    CHECK(nn_rdbpot(5, 1) == 3 && nn_rdbpot(-5, 1) == -3, "RDBPOT ties away from zero");
    CHECK(nn_rdbpot(-4, 1) == -2 && nn_rdbpot(7, 2) == 2 && nn_rdbpot(-6, 2) == -2,
          "RDBPOT rounding");
    CHECK(nn_rdbpot(INT32_MIN, 31) == -1 && nn_rdbpot(INT32_MAX, 31) == 1, "RDBPOT by 31");
    CHECK(nn_rdbpot(1 << 30, 31) == 1 && nn_rdbpot(-(1 << 30), 31) == -1, "RDBPOT 31 ties");
    CHECK(nn_rdbpot(12345, 0) == 12345, "RDBPOT by 0");
    /* Left shift saturates before the multiply. */
    CHECK(nn_requant(1 << 30, 1073741824, 2) == 1073741824, "left shift saturation");
    CHECK(nn_requant(INT32_MIN, 1073741824, 1) == INT32_MIN / 2, "INT32_MIN left saturation");
    CHECK(nn_requant(INT32_MIN, INT32_MAX, 0) == INT32_MIN + 1, "INT32_MIN times ~1");
    CHECK(nn_requant(INT32_MIN, INT32_MAX, -31) == -1, "INT32_MIN, shift -31");
    CHECK(nn_requant(1000, 1073741824, -40) == nn_requant(1000, 1073741824, -31),
          "shift below -31 clamps");
    CHECK(nn_requant(100, 1073741824, 3) == 400, "positive shift: 100 * 0.5 * 8");
    CHECK(nn_requant(-100, 1073741824, -3) == -6, "negative shift: -100 / 16 = -6.25");
    CHECK(nn_requant(0, INT32_MAX, 10) == 0, "zero stays zero");
}

/* nn_requant against the exact rational x * m * 2^(s - 31): within 1 (two roundings). */
static void test_requant_random(void)
{
    int worst = 0;
    for (int i = 0; i < 100000; i++) {
        int32_t x = (int32_t)rng();
        if (i % 3 == 0) {
            x >>= rng() % 31;
        }
        double real = ldexp(1.0 + (rng() >> 8) / 16777216.0, rand_range(-30, 0));
        int32_t m;
        int8_t s;
        quantize_multiplier(real, &m, &s);
        if (s > 30 || s < -31) {
            continue;
        }
        double exact = ldexp((double)x * (double)m, s - 31);
        if (fabs(exact) > 2.0e9 || (s > 0 && fabs(ldexp((double)x, s)) > 2.1e9)) {
            continue;
        }
        int32_t got = nn_requant(x, m, s);
        int d = (int)fabs((double)got - round(exact));
        worst = d > worst ? d : worst;
    }
    CHECK(worst <= 1, "requant differs from the exact value by %d", worst);
}

/* Random layer parameters with a realistic quantisation. */
struct qparams {
    double in_scale;
    double out_scale;
    double w_scale[16];
    int32_t mult[16];
    int8_t shift[16];
    int32_t bias[16];
};

static void make_qparams(struct qparams *qp, int out_ch)
{
    qp->in_scale = 0.05 + (rng() % 100) / 1000.0;
    for (int o = 0; o < out_ch; o++) {
        qp->w_scale[o] = (0.5 + (rng() % 100) / 100.0) / 127.0;
        qp->bias[o] = rand_range(-2000, 2000);
    }
}

/* Output scale from the largest real accumulator (so outputs span the int8 range), then the
 * TFLite multipliers. */
static void finish_qparams(struct qparams *qp, int out_ch, double max_abs_acc)
{
    qp->out_scale = max_abs_acc / 150.0;
    for (int o = 0; o < out_ch; o++) {
        quantize_multiplier(qp->in_scale * qp->w_scale[o] / qp->out_scale, &qp->mult[o],
                            &qp->shift[o]);
    }
}

static long ref_quant(double acc_real, double out_scale, int32_t out_zp, int relu)
{
    long v = lround(acc_real / out_scale) + out_zp;
    long lo = relu ? (out_zp > -128 ? out_zp : -128) : -128;
    return v > 127 ? 127 : v < lo ? lo : v;
}

static void test_conv1d_dense(void)
{
    enum { LEN = 16, CH = 8, OUT = 6, K = 3, STRIDE = 2, OLEN = (LEN - K) / STRIDE + 1 };
    static int8_t x[LEN * CH];
    static int8_t w[OUT * K * CH];
    static int8_t wd[OUT * LEN * CH];
    static int8_t arena[1024];
    static int8_t out[LEN * OUT];
    int worst_conv = 0;
    int worst_dense = 0;
    int inside = 0; /* outputs not clamped: the comparison must cover the linear range */
    int total = 0;
    for (int trial = 0; trial < 50; trial++) {
        struct qparams qp;
        make_qparams(&qp, OUT);
        int32_t in_zp = rand_range(-128, 127);
        int32_t out_zp = rand_range(-20, 20);
        int relu = trial % 2;
        for (int i = 0; i < LEN * CH; i++) {
            x[i] = (int8_t)rand_range(-128, 127);
        }
        for (int i = 0; i < OUT * K * CH; i++) {
            w[i] = (int8_t)rand_range(-127, 127);
        }
        double acc_conv[OLEN][OUT];
        double max_abs = 1.0;
        for (int t = 0; t < OLEN; t++) {
            for (int o = 0; o < OUT; o++) {
                double acc = qp.bias[o] * qp.in_scale * qp.w_scale[o];
                for (int k = 0; k < K; k++) {
                    for (int c = 0; c < CH; c++) {
                        acc += (x[(t * STRIDE + k) * CH + c] - in_zp) * qp.in_scale *
                               w[(o * K + k) * CH + c] * qp.w_scale[o];
                    }
                }
                acc_conv[t][o] = acc;
                max_abs = fabs(acc) > max_abs ? fabs(acc) : max_abs;
            }
        }
        finish_qparams(&qp, OUT, max_abs);
        struct nn_layer conv = {
            .op = NN_OP_CONV1D,
            .act = (uint8_t)relu,
            .in_len = LEN,
            .in_ch = CH,
            .out_len = OLEN,
            .out_ch = OUT,
            .kernel = K,
            .stride = STRIDE,
            .in_zp = in_zp,
            .out_zp = out_zp,
            .weights = w,
            .bias = qp.bias,
            .mult = qp.mult,
            .shift = qp.shift,
        };
        static const uint8_t ids[OLEN * OUT] = {0};
        static const uint16_t tab[256] = {1};
        struct nn_model m = {
            .kind = NN_KIND_CLASSIFIER,
            .in_len = LEN,
            .in_ch = CH,
            .out_count = OLEN * OUT,
            .n_layers = 1,
            .layers = &conv,
            .exp_table = tab,
            .class_ids = ids,
        };
        m.macs = nn_model_macs(&m);
        m.weight_bytes = nn_model_weight_bytes(&m);
        m.arena_bytes = (uint32_t)nn_arena_size(&m);
        CHECK(nn_model_check(&m) == NN_OK, "conv model valid");
        CHECK(nn_run(&m, x, arena, sizeof(arena), out) == NN_OK, "conv runs");
        for (int t = 0; t < OLEN; t++) {
            for (int o = 0; o < OUT; o++) {
                double acc = acc_conv[t][o];
                int d = abs((int)(out[t * OUT + o] - ref_quant(acc, qp.out_scale, out_zp, relu)));
                inside += out[t * OUT + o] > -128 && out[t * OUT + o] < 127 &&
                          out[t * OUT + o] != (relu ? out_zp : -128);
                total++;
                worst_conv = d > worst_conv ? d : worst_conv;
            }
        }

        make_qparams(&qp, OUT);
        for (int i = 0; i < OUT * LEN * CH; i++) {
            wd[i] = (int8_t)rand_range(-127, 127);
        }
        double acc_dense[OUT];
        max_abs = 1.0;
        for (int o = 0; o < OUT; o++) {
            double acc = qp.bias[o] * qp.in_scale * qp.w_scale[o];
            for (int i = 0; i < LEN * CH; i++) {
                acc += (x[i] - in_zp) * qp.in_scale * wd[o * LEN * CH + i] * qp.w_scale[o];
            }
            acc_dense[o] = acc;
            max_abs = fabs(acc) > max_abs ? fabs(acc) : max_abs;
        }
        finish_qparams(&qp, OUT, max_abs);
        struct nn_layer fc = {
            .op = NN_OP_DENSE,
            .act = (uint8_t)relu,
            .in_len = LEN,
            .in_ch = CH,
            .out_len = 1,
            .out_ch = OUT,
            .in_zp = in_zp,
            .out_zp = out_zp,
            .weights = wd,
            .bias = qp.bias,
            .mult = qp.mult,
            .shift = qp.shift,
        };
        m.layers = &fc;
        m.out_count = OUT;
        m.macs = nn_model_macs(&m);
        m.weight_bytes = nn_model_weight_bytes(&m);
        m.arena_bytes = (uint32_t)nn_arena_size(&m);
        CHECK(nn_model_check(&m) == NN_OK, "dense model valid");
        CHECK(nn_run(&m, x, arena, sizeof(arena), out) == NN_OK, "dense runs");
        for (int o = 0; o < OUT; o++) {
            double acc = acc_dense[o];
            int d = abs((int)(out[o] - ref_quant(acc, qp.out_scale, out_zp, relu)));
            inside += out[o] > -128 && out[o] < 127 && out[o] != (relu ? out_zp : -128);
            total++;
            worst_dense = d > worst_dense ? d : worst_dense;
        }
    }
    printf("  conv1d worst error %d LSB, dense worst error %d LSB (bound 1); %d of %d outputs "
           "unclamped\n",
           worst_conv, worst_dense, inside, total);
    CHECK(inside * 2 > total, "too few unclamped outputs: %d of %d", inside, total);
    CHECK(worst_conv <= 1, "conv1d differs from the float reference by %d LSB", worst_conv);
    CHECK(worst_dense <= 1, "dense differs from the float reference by %d LSB", worst_dense);
}

static void test_pools(void)
{
    enum { LEN = 11, CH = 5 };
    int8_t x[LEN * CH];
    int8_t arena[256];
    int8_t out[LEN * CH];
    static const uint8_t ids[LEN * CH] = {0};
    static const uint16_t tab[256] = {1};
    int bad_max = 0;
    int bad_avg = 0;
    for (int trial = 0; trial < 100; trial++) {
        int32_t zp = rand_range(-128, 127);
        int relu = trial % 2;
        for (int i = 0; i < LEN * CH; i++) {
            x[i] = (int8_t)rand_range(-128, 127);
        }
        struct nn_layer mp = {.op = NN_OP_MAXPOOL1D,
                              .act = (uint8_t)relu,
                              .in_len = LEN,
                              .in_ch = CH,
                              .out_len = (LEN - 3) / 2 + 1,
                              .out_ch = CH,
                              .kernel = 3,
                              .stride = 2,
                              .in_zp = zp,
                              .out_zp = zp};
        struct nn_model m = {.kind = NN_KIND_CLASSIFIER,
                             .in_len = LEN,
                             .in_ch = CH,
                             .out_count = (uint16_t)(mp.out_len * CH),
                             .n_layers = 1,
                             .layers = &mp,
                             .exp_table = tab,
                             .class_ids = ids};
        m.arena_bytes = (uint32_t)nn_arena_size(&m);
        CHECK(nn_model_check(&m) == NN_OK, "maxpool model valid");
        nn_run(&m, x, arena, sizeof(arena), out);
        for (int t = 0; t < mp.out_len; t++) {
            for (int c = 0; c < CH; c++) {
                int mx = -128;
                for (int k = 0; k < 3; k++) {
                    mx = x[(t * 2 + k) * CH + c] > mx ? x[(t * 2 + k) * CH + c] : mx;
                }
                if (relu && mx < zp) {
                    mx = zp;
                }
                bad_max += out[t * CH + c] != mx;
            }
        }
        struct nn_layer ap = {.op = NN_OP_AVGPOOL,
                              .act = (uint8_t)relu,
                              .in_len = LEN,
                              .in_ch = CH,
                              .out_len = 1,
                              .out_ch = CH,
                              .in_zp = zp,
                              .out_zp = zp};
        m.layers = &ap;
        m.out_count = CH;
        m.arena_bytes = (uint32_t)nn_arena_size(&m);
        CHECK(nn_model_check(&m) == NN_OK, "avgpool model valid");
        nn_run(&m, x, arena, sizeof(arena), out);
        for (int c = 0; c < CH; c++) {
            double s = 0.0;
            for (int t = 0; t < LEN; t++) {
                s += x[t * CH + c];
            }
            long v = lround(s / LEN); /* half away from zero, as TFLite */
            if (relu && v < zp) {
                v = zp;
            }
            bad_avg += out[c] != v;
        }
    }
    CHECK(bad_max == 0, "maxpool1d: %d outputs differ from the reference", bad_max);
    CHECK(bad_avg == 0, "avgpool: %d outputs differ from the rounded float mean", bad_avg);
}

static void test_heads(void)
{
    uint16_t tab[256];
    for (int d = 0; d < 256; d++) {
        tab[d] = (uint16_t)lround(65535.0 * exp(-0.1 * d));
    }
    static const uint8_t ids[4] = {0, 1, 2, 6};
    struct nn_model m = {.kind = NN_KIND_CLASSIFIER,
                         .out_count = 4,
                         .exp_table = tab,
                         .class_ids = ids,
                         .detect_min_conf = 128};
    struct nn_result r;
    const int8_t q1[4] = {5, 5, 5, 5};
    nn_classify_head(&m, q1, &r);
    CHECK(r.index == 0 && r.class_id == 0 && r.confidence == 64 && !r.detected,
          "equal logits: first index, confidence 255/4 (got %u %u)", r.index, r.confidence);
    const int8_t q2[4] = {-100, 20, -128, 0};
    nn_classify_head(&m, q2, &r);
    double p = 1.0 / (1.0 + exp(-12.0) + exp(-14.8) + exp(-2.0));
    CHECK(r.index == 1 && r.class_id == 1 && abs(r.confidence - (int)lround(255 * p)) <= 1 &&
              r.detected,
          "softmax confidence %u, float %.1f", r.confidence, 255 * p);
    const int8_t q3[4] = {-128, -128, -128, 127};
    nn_classify_head(&m, q3, &r);
    CHECK(r.index == 3 && r.class_id == 6 && r.confidence == 255, "saturated winner");

    struct nn_model ae = {.kind = NN_KIND_AUTOENCODER,
                          .out_count = 8,
                          .ae_bands = 4,
                          .ae_score_mult = 3,
                          .ae_score_shift = 2,
                          .ae_threshold = 50};
    const int8_t out[8] = {0, 0, 10, 0, 0, 0, -2, 0};
    const int8_t ref[8] = {1, 0, 0, 0, 0, 0, 2, 0};
    nn_ae_head(&ae, out, ref, &r);
    /* sse = 1 + 100 + 16 = 117; 117 * 3 >> 2 = 87; band 2 holds 116. */
    CHECK(r.score == 87 && r.anomalous && r.peak_band == 2, "ae head: score %u band %u", r.score,
          r.peak_band);
    ae.ae_score_shift = 0;
    ae.ae_score_mult = 1000;
    nn_ae_head(&ae, out, ref, &r);
    CHECK(r.score == 255, "ae score saturates");
}

/* A tiny classifier: conv1d (k=2, 2 -> 2 channels, ReLU) -> maxpool (2,2) -> avgpool -> dense
 * (2 -> 3). Channel 0 of the conv detects a rising input 0, channel 1 a rising input 1. */
static const int8_t tiny_w1[2 * 2 * 2] = {-64, 0, 64, 0, 0, -64, 0, 64};
static const int32_t tiny_m1[2] = {1073741824, 1073741824};
static const int8_t tiny_s1[2] = {-5, -5}; /* 1/64 */
static const int8_t tiny_w4[3 * 2] = {0, 0, 64, -64, -64, 64};
static const int32_t tiny_b4[3] = {0, 0, 0};
static const int32_t tiny_m4[3] = {1073741824, 1073741824, 1073741824};
static const int8_t tiny_s4[3] = {-5, -5, -5};
static const struct nn_layer tiny_layers[4] = {
    {.op = NN_OP_CONV1D,
     .act = NN_ACT_RELU,
     .in_len = 8,
     .in_ch = 2,
     .out_len = 7,
     .out_ch = 2,
     .kernel = 2,
     .stride = 1,
     .in_zp = 0,
     .out_zp = -128,
     .weights = tiny_w1,
     .bias = NULL,
     .mult = tiny_m1,
     .shift = tiny_s1},
    {.op = NN_OP_MAXPOOL1D,
     .in_len = 7,
     .in_ch = 2,
     .out_len = 3,
     .out_ch = 2,
     .kernel = 2,
     .stride = 2,
     .in_zp = -128,
     .out_zp = -128},
    {.op = NN_OP_AVGPOOL,
     .in_len = 3,
     .in_ch = 2,
     .out_len = 1,
     .out_ch = 2,
     .in_zp = -128,
     .out_zp = -128},
    {.op = NN_OP_DENSE,
     .in_len = 1,
     .in_ch = 2,
     .out_len = 1,
     .out_ch = 3,
     .in_zp = -128,
     .out_zp = 0,
     .weights = tiny_w4,
     .bias = tiny_b4,
     .mult = tiny_m4,
     .shift = tiny_s4},
};
static const uint8_t tiny_ids[3] = {0, 1, 2};

static void test_tiny_model(void)
{
    uint16_t tab[256];
    for (int d = 0; d < 256; d++) {
        tab[d] = (uint16_t)lround(65535.0 * exp(-0.5 * d));
    }
    struct nn_model m = {.name = "tiny",
                         .kind = NN_KIND_CLASSIFIER,
                         .in_len = 8,
                         .in_ch = 2,
                         .out_count = 3,
                         .n_layers = 4,
                         .layers = tiny_layers,
                         .exp_table = tab,
                         .class_ids = tiny_ids,
                         .detect_min_conf = 200};
    m.macs = 7 * 2 * 2 * 2 + 3 * 2;
    m.weight_bytes = 8 + 6 + 12;
    m.arena_bytes = 28;
    CHECK(nn_arena_size(&m) == 28, "tiny arena %zu", nn_arena_size(&m));
    CHECK(nn_model_check(&m) == NN_OK, "tiny model valid");
    int8_t x[16];
    int8_t arena[28];
    struct nn_result r;
    /* Input 0 ramps up by 16 per step, input 1 stays: conv ch0 = 64*16/64 = 16 -> q -112,
     * ch1 = 0 -> -128; pools keep it; dense: logit1 = 64*16/64 = 16, logit2 = -16, logit0 = 0. */
    for (int t = 0; t < 8; t++) {
        x[2 * t] = (int8_t)(t * 16 - 64);
        x[2 * t + 1] = 3;
    }
    int8_t out[3];
    CHECK(nn_run(&m, x, arena, sizeof(arena), out) == NN_OK, "tiny runs");
    CHECK(out[0] == 0 && out[1] == 16 && out[2] == -16, "tiny logits %d %d %d", out[0], out[1],
          out[2]);
    CHECK(nn_infer(&m, x, arena, sizeof(arena), &r) == NN_OK, "tiny infer");
    double p = 1.0 / (1.0 + exp(-8.0) + exp(-16.0));
    CHECK(r.class_id == 1 && abs(r.confidence - (int)lround(255 * p)) <= 1 && r.detected,
          "tiny: class %u confidence %u (float %.1f)", r.class_id, r.confidence, 255 * p);
    for (int t = 0; t < 8; t++) {
        x[2 * t] = 3;
        x[2 * t + 1] = (int8_t)(t * 16 - 64);
    }
    nn_infer(&m, x, arena, sizeof(arena), &r);
    CHECK(r.class_id == 2 && r.detected, "tiny: rising input 1 gives class 2");
    CHECK(nn_infer(&m, x, arena, 27, &r) == NN_ENOMEM, "arena too small");
    CHECK(nn_infer(NULL, x, arena, 28, &r) == NN_EINVAL, "NULL model");

    /* Validation rejects what it must. */
    struct nn_model bad = m;
    bad.macs = 1;
    CHECK(nn_model_check(&bad) == NN_EINVAL, "wrong MAC count");
    bad = m;
    bad.arena_bytes = 27;
    CHECK(nn_model_check(&bad) == NN_EINVAL, "arena_bytes too small");
    bad = m;
    bad.out_count = 4;
    CHECK(nn_model_check(&bad) == NN_EINVAL, "wrong out_count");
    bad = m;
    bad.in_ch = 3;
    CHECK(nn_model_check(&bad) == NN_EINVAL, "input shape mismatch");
    struct nn_layer layers[4];
    memcpy(layers, tiny_layers, sizeof(layers));
    bad = m;
    bad.layers = layers;
    layers[1].out_zp = -127;
    CHECK(nn_model_check(&bad) == NN_EINVAL, "pool changing the zero point");
    memcpy(layers, tiny_layers, sizeof(layers));
    layers[0].out_len = 6;
    CHECK(nn_model_check(&bad) == NN_EINVAL, "conv out_len wrong");
    memcpy(layers, tiny_layers, sizeof(layers));
    layers[0].in_zp = 300;
    CHECK(nn_model_check(&bad) == NN_EINVAL, "zero point out of range");
    memcpy(layers, tiny_layers, sizeof(layers));
    static const int32_t big_bias[3] = {0, 1 << 30, 0};
    layers[3].bias = big_bias;
    CHECK(nn_model_check(&bad) == NN_EINVAL, "bias that could overflow the accumulator");
}

static void test_linked_models(void)
{
    for (int p = 0; p < DSP_PROFILE_COUNT; p++) {
        const struct nn_model *m = nn_model_for_profile((enum dsp_profile)p);
        CHECK(m != NULL && nn_model_check(m) == NN_OK, "linked model %d valid", p);
        CHECK(m != NULL && m->arena_bytes <= nn_model_arena_max, "model %d fits the arena", p);
        if (m != NULL) {
            printf("  model %-18s id %u v%u: %u MACs, %u weight bytes, arena %u\n", m->name, m->id,
                   m->version, m->macs, m->weight_bytes, m->arena_bytes);
        }
    }
    CHECK(nn_model_for_profile(DSP_PROFILE_COUNT) == NULL, "no model for an invalid profile");
}

int main(void)
{
    test_requant_edges();
    test_requant_random();
    test_conv1d_dense();
    test_pools();
    test_heads();
    test_tiny_model();
    test_linked_models();
    return check_finish("test_nn");
}
