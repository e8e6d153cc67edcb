/* SPDX-License-Identifier: MIT
 * The int8 engine: requantisation edge cases (INT32_MIN, saturation, negative shifts, ties),
 * requantisation against exact rationals, each layer type against a double-precision reference
 * of the same quantised operation (bound: 1 LSB of the output for conv1d and dense, where the
 * Q31 multiplier and the two roundings of TFLite's requantisation add at most 1; exact for the
 * pools), the heads, model validation, and a tiny hand-made model end to end.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"
#include "nodefw/nn.h"

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

static void test_nn_srdhm_edges(void **state)
{
    static const struct {
        int32_t a;
        int32_t b;
        int32_t want;
    } cases[] = {
        {INT32_MIN, INT32_MIN, INT32_MAX},     /* saturates */
        {INT32_MIN, 1073741824, -1073741824},  /* MIN * 0.5 */
        {INT32_MAX, INT32_MAX, INT32_MAX - 1}, /* MAX * ~1 */
        {3, 1073741824, 2},                    /* 1.5 rounds up */
        {-3, 1073741824, -1},                  /* -1.5: the gemmlowp nudge */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(nn_srdhm(cases[i].a, cases[i].b), cases[i].want);
    }
}

static void test_nn_rdbpot_edges(void **state)
{
    static const struct {
        int32_t x;
        int exponent;
        int32_t want;
    } cases[] = {
        {5, 1, 3},            /* ties away from zero */
        {-5, 1, -3},          /* ties away from zero */
        {-4, 1, -2},          /* exact */
        {7, 2, 2},            /* 1.75 */
        {-6, 2, -2},          /* -1.5 */
        {INT32_MIN, 31, -1},  /* by 31 */
        {INT32_MAX, 31, 1},   /* by 31 */
        {1 << 30, 31, 1},     /* a tie by 31 */
        {-(1 << 30), 31, -1}, /* a tie by 31 */
        {12345, 0, 12345},    /* by 0 */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(nn_rdbpot(cases[i].x, cases[i].exponent), cases[i].want);
    }
}

static void test_nn_requant_edges(void **state)
{
    static const struct {
        int32_t x;
        int32_t mult;
        int shift;
        int32_t want;
    } cases[] = {
        {1 << 30, 1073741824, 2, 1073741824},      /* left shift saturates before the multiply */
        {INT32_MIN, 1073741824, 1, INT32_MIN / 2}, /* the same for INT32_MIN */
        {INT32_MIN, INT32_MAX, 0, INT32_MIN + 1},  /* INT32_MIN times ~1 */
        {INT32_MIN, INT32_MAX, -31, -1},           /* INT32_MIN, shift -31 */
        {100, 1073741824, 3, 400},                 /* positive shift: 100 * 0.5 * 8 */
        {-100, 1073741824, -3, -6},                /* negative shift: -100 / 16 = -6.25 */
        {0, INT32_MAX, 10, 0},                     /* zero stays zero */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(nn_requant(cases[i].x, cases[i].mult, cases[i].shift), cases[i].want);
    }
    /* A shift below -31 clamps. */
    assert_int_equal(nn_requant(1000, 1073741824, -40), nn_requant(1000, 1073741824, -31));
}

/* nn_requant against the exact rational x * m * 2^(s - 31): within 1 (two roundings). */
static void test_nn_requant_random(void **state)
{
    int worst = 0;

    (void)state;
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
    assert_true(worst <= 1); /* differs from the exact value by at most 1 */
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

/* The shapes of the conv1d and dense trials: an input of T_LEN frames of T_CH channels. */
enum {
    T_LEN = 16,
    T_CH = 8,
    T_OUT = 6,
    T_K = 3,
    T_STRIDE = 2,
    T_OLEN = (T_LEN - T_K) / T_STRIDE + 1
};

/* Worst difference from the reference over the trials, and how many outputs were not
 * clamped: the comparison must cover the linear range, not only the saturated ends. */
struct ref_stats {
    int worst;
    int inside;
    int total;
};

static void count_output(struct ref_stats *st, int8_t got, double acc, const struct qparams *qp,
                         int32_t out_zp, int relu)
{
    int d = abs((int)(got - ref_quant(acc, qp->out_scale, out_zp, relu)));
    st->inside += got > -128 && got < 127 && got != (relu ? out_zp : -128);
    st->total++;
    st->worst = d > st->worst ? d : st->worst;
}

/* A one-layer classifier around `layer`, checked and run on x. */
static void run_layer(const struct nn_layer *layer, uint16_t out_count, const int8_t *x,
                      int8_t *out)
{
    static int8_t arena[1024];
    static const uint8_t ids[T_OLEN * T_OUT] = {0};
    static const uint16_t tab[256] = {1};
    struct nn_model m = {
        .kind = NN_KIND_CLASSIFIER,
        .in_len = T_LEN,
        .in_ch = T_CH,
        .out_count = out_count,
        .n_layers = 1,
        .layers = layer,
        .exp_table = tab,
        .class_ids = ids,
    };
    m.macs = nn_model_macs(&m);
    m.weight_bytes = nn_model_weight_bytes(&m);
    m.arena_bytes = (uint32_t)nn_arena_size(&m);
    assert_int_equal(nn_model_check(&m), NN_OK);
    assert_int_equal(nn_run(&m, x, arena, sizeof(arena), out), NN_OK);
}

/* One conv1d trial with qp's input quantisation: random weights, the double reference, the
 * engine's output against it. */
static void conv1d_trial(struct qparams *qp, const int8_t *x, int32_t in_zp, int32_t out_zp,
                         int relu, struct ref_stats *st)
{
    static int8_t w[T_OUT * T_K * T_CH];
    static int8_t out[T_OLEN * T_OUT];
    for (int i = 0; i < T_OUT * T_K * T_CH; i++) {
        w[i] = (int8_t)rand_range(-127, 127);
    }
    double acc_conv[T_OLEN][T_OUT];
    double max_abs = 1.0;
    for (int t = 0; t < T_OLEN; t++) {
        for (int o = 0; o < T_OUT; o++) {
            double acc = qp->bias[o] * qp->in_scale * qp->w_scale[o];
            for (int k = 0; k < T_K; k++) {
                for (int c = 0; c < T_CH; c++) {
                    acc += (x[(t * T_STRIDE + k) * T_CH + c] - in_zp) * qp->in_scale *
                           w[(o * T_K + k) * T_CH + c] * qp->w_scale[o];
                }
            }
            acc_conv[t][o] = acc;
            max_abs = fabs(acc) > max_abs ? fabs(acc) : max_abs;
        }
    }
    finish_qparams(qp, T_OUT, max_abs);
    struct nn_layer conv = {
        .op = NN_OP_CONV1D,
        .act = (uint8_t)relu,
        .in_len = T_LEN,
        .in_ch = T_CH,
        .out_len = T_OLEN,
        .out_ch = T_OUT,
        .kernel = T_K,
        .stride = T_STRIDE,
        .in_zp = in_zp,
        .out_zp = out_zp,
        .weights = w,
        .bias = qp->bias,
        .mult = qp->mult,
        .shift = qp->shift,
    };
    run_layer(&conv, T_OLEN * T_OUT, x, out);
    for (int t = 0; t < T_OLEN; t++) {
        for (int o = 0; o < T_OUT; o++) {
            count_output(st, out[t * T_OUT + o], acc_conv[t][o], qp, out_zp, relu);
        }
    }
}

/* One dense trial over the same input, with a quantisation of its own. */
static void dense_trial(const int8_t *x, int32_t in_zp, int32_t out_zp, int relu,
                        struct ref_stats *st)
{
    static int8_t wd[T_OUT * T_LEN * T_CH];
    int8_t out[T_OUT];
    struct qparams qp;
    make_qparams(&qp, T_OUT);
    for (int i = 0; i < T_OUT * T_LEN * T_CH; i++) {
        wd[i] = (int8_t)rand_range(-127, 127);
    }
    double acc_dense[T_OUT];
    double max_abs = 1.0;
    for (int o = 0; o < T_OUT; o++) {
        double acc = qp.bias[o] * qp.in_scale * qp.w_scale[o];
        for (int i = 0; i < T_LEN * T_CH; i++) {
            acc += (x[i] - in_zp) * qp.in_scale * wd[o * T_LEN * T_CH + i] * qp.w_scale[o];
        }
        acc_dense[o] = acc;
        max_abs = fabs(acc) > max_abs ? fabs(acc) : max_abs;
    }
    finish_qparams(&qp, T_OUT, max_abs);
    struct nn_layer fc = {
        .op = NN_OP_DENSE,
        .act = (uint8_t)relu,
        .in_len = T_LEN,
        .in_ch = T_CH,
        .out_len = 1,
        .out_ch = T_OUT,
        .in_zp = in_zp,
        .out_zp = out_zp,
        .weights = wd,
        .bias = qp.bias,
        .mult = qp.mult,
        .shift = qp.shift,
    };
    run_layer(&fc, T_OUT, x, out);
    for (int o = 0; o < T_OUT; o++) {
        count_output(st, out[o], acc_dense[o], &qp, out_zp, relu);
    }
}

static void test_nn_run_conv1d_dense(void **state)
{
    static int8_t x[T_LEN * T_CH];
    struct ref_stats conv = {0, 0, 0};
    struct ref_stats dense = {0, 0, 0};

    (void)state;
    for (int trial = 0; trial < 50; trial++) {
        struct qparams qp;
        make_qparams(&qp, T_OUT);
        int32_t in_zp = rand_range(-128, 127);
        int32_t out_zp = rand_range(-20, 20);
        int relu = trial % 2;
        for (int i = 0; i < T_LEN * T_CH; i++) {
            x[i] = (int8_t)rand_range(-128, 127);
        }
        conv1d_trial(&qp, x, in_zp, out_zp, relu, &conv);
        dense_trial(x, in_zp, out_zp, relu, &dense);
    }
    int inside = conv.inside + dense.inside;
    int total = conv.total + dense.total;
    print_message("  conv1d worst error %d LSB, dense worst error %d LSB (bound 1); %d of %d "
                  "outputs unclamped\n",
                  conv.worst, dense.worst, inside, total);
    assert_true(inside * 2 > total); /* enough unclamped outputs */
    assert_true(conv.worst <= 1);
    assert_true(dense.worst <= 1);
}

static void test_nn_run_pools(void **state)
{
    enum { LEN = 11, CH = 5 };
    int8_t x[LEN * CH];
    int8_t arena[256];
    int8_t out[LEN * CH];
    static const uint8_t ids[LEN * CH] = {0};
    static const uint16_t tab[256] = {1};
    int bad_max = 0;
    int bad_avg = 0;

    (void)state;
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
        assert_int_equal(nn_model_check(&m), NN_OK); /* maxpool */
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
        assert_int_equal(nn_model_check(&m), NN_OK); /* avgpool */
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
    assert_int_equal(bad_max, 0); /* outputs that differ from the reference */
    assert_int_equal(bad_avg, 0); /* outputs that differ from the rounded float mean */
}

static void test_nn_classify_head_softmax(void **state)
{
    uint16_t tab[256];

    (void)state;
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
    /* Equal logits: the first index, confidence 255/4. */
    assert_int_equal(r.index, 0);
    assert_int_equal(r.class_id, 0);
    assert_int_equal(r.confidence, 64);
    assert_false(r.detected);
    const int8_t q2[4] = {-100, 20, -128, 0};
    nn_classify_head(&m, q2, &r);
    double p = 1.0 / (1.0 + exp(-12.0) + exp(-14.8) + exp(-2.0));
    assert_int_equal(r.index, 1);
    assert_int_equal(r.class_id, 1);
    assert_true(abs(r.confidence - (int)lround(255 * p)) <= 1); /* the float softmax */
    assert_true(r.detected);
    const int8_t q3[4] = {-128, -128, -128, 127};
    nn_classify_head(&m, q3, &r);
    /* A saturated winner. */
    assert_int_equal(r.index, 3);
    assert_int_equal(r.class_id, 6);
    assert_int_equal(r.confidence, 255);
}

static void test_nn_ae_head_score(void **state)
{
    struct nn_result r;

    (void)state;
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
    assert_int_equal(r.score, 87);
    assert_true(r.anomalous);
    assert_int_equal(r.peak_band, 2);
    ae.ae_score_shift = 0;
    ae.ae_score_mult = 1000;
    nn_ae_head(&ae, out, ref, &r);
    assert_int_equal(r.score, 255); /* saturates */
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

/* The tiny model over its layers; tab receives its exp table. */
static struct nn_model tiny_model(uint16_t *tab)
{
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
    return m;
}

static void test_nn_infer_tiny_model(void **state)
{
    uint16_t tab[256];
    struct nn_model m = tiny_model(tab);

    (void)state;
    assert_int_equal(nn_arena_size(&m), 28);
    assert_int_equal(nn_model_check(&m), NN_OK);
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
    assert_int_equal(nn_run(&m, x, arena, sizeof(arena), out), NN_OK);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 16);
    assert_int_equal(out[2], -16);
    assert_int_equal(nn_infer(&m, x, arena, sizeof(arena), &r), NN_OK);
    double p = 1.0 / (1.0 + exp(-8.0) + exp(-16.0));
    assert_int_equal(r.class_id, 1);
    assert_true(abs(r.confidence - (int)lround(255 * p)) <= 1); /* the float softmax */
    assert_true(r.detected);
    /* A rising input 1 gives class 2. */
    for (int t = 0; t < 8; t++) {
        x[2 * t] = 3;
        x[2 * t + 1] = (int8_t)(t * 16 - 64);
    }
    nn_infer(&m, x, arena, sizeof(arena), &r);
    assert_int_equal(r.class_id, 2);
    assert_true(r.detected);
    assert_int_equal(nn_infer(&m, x, arena, 27, &r), NN_ENOMEM); /* arena too small */
    assert_int_equal(nn_infer(NULL, x, arena, 28, &r), NN_EINVAL);
}

/* Validation rejects what it must. */
static void test_nn_model_check_rejects(void **state)
{
    uint16_t tab[256];
    struct nn_model m = tiny_model(tab);

    (void)state;
    struct nn_model bad = m;
    bad.macs = 1; /* wrong MAC count */
    assert_int_equal(nn_model_check(&bad), NN_EINVAL);
    bad = m;
    bad.arena_bytes = 27; /* arena_bytes too small */
    assert_int_equal(nn_model_check(&bad), NN_EINVAL);
    bad = m;
    bad.out_count = 4; /* wrong out_count */
    assert_int_equal(nn_model_check(&bad), NN_EINVAL);
    bad = m;
    bad.in_ch = 3; /* input shape mismatch */
    assert_int_equal(nn_model_check(&bad), NN_EINVAL);
    struct nn_layer layers[4];
    memcpy(layers, tiny_layers, sizeof(layers));
    bad = m;
    bad.layers = layers;
    layers[1].out_zp = -127; /* a pool changing the zero point */
    assert_int_equal(nn_model_check(&bad), NN_EINVAL);
    memcpy(layers, tiny_layers, sizeof(layers));
    layers[0].out_len = 6; /* conv out_len wrong */
    assert_int_equal(nn_model_check(&bad), NN_EINVAL);
    memcpy(layers, tiny_layers, sizeof(layers));
    layers[0].in_zp = 300; /* zero point out of range */
    assert_int_equal(nn_model_check(&bad), NN_EINVAL);
    memcpy(layers, tiny_layers, sizeof(layers));
    static const int32_t big_bias[3] = {0, 1 << 30, 0};
    layers[3].bias = big_bias; /* a bias that could overflow the accumulator */
    assert_int_equal(nn_model_check(&bad), NN_EINVAL);
}

static void test_nn_model_for_profile_linked(void **state)
{
    (void)state;
    for (int p = 0; p < DSP_PROFILE_COUNT; p++) {
        const struct nn_model *m = nn_model_for_profile((enum dsp_profile)p);
        assert_non_null(m);
        assert_int_equal(nn_model_check(m), NN_OK);
        assert_true(m->arena_bytes <= nn_model_arena_max); /* fits the arena */
        print_message("  model %-18s id %u v%u: %u MACs, %u weight bytes, arena %u\n", m->name,
                      m->id, m->version, m->macs, m->weight_bytes, m->arena_bytes);
    }
    assert_null(nn_model_for_profile(DSP_PROFILE_COUNT)); /* no model for an invalid profile */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_srdhm_edges),
        cmocka_unit_test(test_nn_rdbpot_edges),
        cmocka_unit_test(test_nn_requant_edges),
        cmocka_unit_test(test_nn_requant_random),
        cmocka_unit_test(test_nn_run_conv1d_dense),
        cmocka_unit_test(test_nn_run_pools),
        cmocka_unit_test(test_nn_classify_head_softmax),
        cmocka_unit_test(test_nn_ae_head_score),
        cmocka_unit_test(test_nn_infer_tiny_model),
        cmocka_unit_test(test_nn_model_check_rejects),
        cmocka_unit_test(test_nn_model_for_profile_linked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
