/* SPDX-License-Identifier: MIT
 * The per-window glue: argument checks, the warm-up (first result on the third step), model
 * id/version, agreement of the streaming path with features + node_classify_window(), many
 * independent node states interleaved, level_db, and the linked models on synthetic signals:
 * a rumble, an upcall and a bearing-like fault are detected, white noise is not.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/classify.h"
#include "proto/tfp.h"

enum signal_kind { SIG_NOISE, SIG_RUMBLE, SIG_UPCALL, SIG_HEALTHY, SIG_FAULT };

/* A deterministic signal source: kind, sample position, noise generator, filter state. */
struct source {
    enum signal_kind kind;
    double fs;
    long n;
    uint32_t rng;
    double lp;
    double phase;
};

static double noise(struct source *s, double sd)
{
    double a = 0.0;
    for (int i = 0; i < 4; i++) {
        s->rng = s->rng * 1664525u + 1013904223u;
        a += (double)(s->rng >> 8) / 16777216.0 - 0.5;
    }
    return a * sd * sqrt(3.0);
}

static void fill(struct source *s, int16_t *buf, size_t count)
{
    for (size_t i = 0; i < count; i++, s->n++) {
        double t = (double)s->n / s->fs;
        double v = 0.0;
        switch (s->kind) {
        case SIG_NOISE:
            v = noise(s, 300.0);
            break;
        case SIG_RUMBLE: /* 18 Hz fundamental and 3 harmonics */
            v = noise(s, 300.0);
            for (int h = 1; h <= 4; h++) {
                v += 3000.0 / h * sin(2.0 * M_PI * 18.0 * h * t);
            }
            break;
        case SIG_UPCALL: { /* 50 -> 250 Hz in 1 s, every 1.5 s */
            double tt = fmod(t, 1.5);
            s->phase += 2.0 * M_PI * (50.0 + 200.0 * tt) / s->fs;
            v = noise(s, 300.0) + (tt < 1.0 ? 4000.0 * sin(s->phase) : 0.0);
            break;
        }
        case SIG_HEALTHY: /* low-pass machine noise */
            s->lp = 0.95 * s->lp + noise(s, 1000.0);
            v = s->lp;
            break;
        case SIG_FAULT: /* plus high-frequency lines, as a bearing defect and its sidebands */
            s->lp = 0.95 * s->lp + noise(s, 1000.0);
            v = s->lp + 3000.0 * sin(2.0 * M_PI * 1500.0 * t) +
                3000.0 * sin(2.0 * M_PI * 1200.0 * t) + 2000.0 * sin(2.0 * M_PI * 1700.0 * t);
            break;
        }
        buf[i] = (int16_t)(v > 32767.0 ? 32767 : v < -32768.0 ? -32768 : lround(v));
    }
}

static void test_node_classify_init_args(void **state)
{
    struct node_classify st;

    (void)state;
    assert_int_equal(node_classify_init(NULL, DSP_PROFILE_WHALE), NODE_CLASSIFY_EINVAL);
    assert_int_equal(node_classify_init(&st, DSP_PROFILE_COUNT), NODE_CLASSIFY_EINVAL);
    assert_int_equal(node_classify_init(&st, DSP_PROFILE_WHALE), NODE_CLASSIFY_OK);
}

static void test_node_classify_step_args(void **state)
{
    struct node_classify st;
    struct node_classify_result res;
    int16_t buf[FEAT_STEP_SAMPLES] = {0};

    (void)state;
    assert_int_equal(node_classify_init(&st, DSP_PROFILE_WHALE), NODE_CLASSIFY_OK);
    /* A short step, NULL samples and a NULL result are refused. */
    assert_int_equal(node_classify_step(&st, buf, FEAT_STEP_SAMPLES - 1, &res),
                     NODE_CLASSIFY_EINVAL);
    assert_int_equal(node_classify_step(&st, NULL, FEAT_STEP_SAMPLES, &res), NODE_CLASSIFY_EINVAL);
    assert_int_equal(node_classify_step(&st, buf, FEAT_STEP_SAMPLES, NULL), NODE_CLASSIFY_EINVAL);
}

static void test_node_classify_model_info_profiles(void **state)
{
    uint16_t id = 99;
    uint8_t ver = 99;

    (void)state;
    const struct nn_model *m = node_classify_model_info(DSP_PROFILE_TURBINE, &id, &ver);
    assert_non_null(m);
    assert_int_equal(id, m->id);
    assert_int_equal(ver, m->version);
    assert_int_equal(m->kind, NN_KIND_AUTOENCODER);
    /* An invalid profile has no model, and zeroes what it reports. */
    assert_null(node_classify_model_info(DSP_PROFILE_COUNT, &id, &ver));
    assert_int_equal(id, 0);
    assert_int_equal(ver, 0);
}

static void test_node_classify_step_warmup(void **state)
{
    struct node_classify st;
    struct node_classify_result res;
    int16_t buf[FEAT_STEP_SAMPLES];
    struct source src = {.kind = SIG_NOISE, .fs = 1000.0, .rng = 1};

    (void)state;
    node_classify_init(&st, DSP_PROFILE_ELEPHANT);
    int rcs[5];
    for (int i = 0; i < 5; i++) {
        fill(&src, buf, FEAT_STEP_SAMPLES);
        rcs[i] = node_classify_step(&st, buf, FEAT_STEP_SAMPLES, &res);
    }
    /* The first result comes with the third step. */
    static const int want[5] = {0, 0, 1, 1, 1};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rcs[i], want[i]);
    }
}

/* The streaming step gives what features + node_classify_window() give, for every profile,
 * and node states interleaved step by step do not disturb each other. */
static void test_node_classify_step_matches_window(void **state)
{
    enum { NODES = 6, STEPS = 6 };
    static struct node_classify st[NODES];
    static struct dsp_features feat[NODES];
    struct source src[NODES];
    static const enum signal_kind kinds[NODES] = {SIG_RUMBLE, SIG_NOISE, SIG_UPCALL,
                                                  SIG_NOISE,  SIG_FAULT, SIG_HEALTHY};

    (void)state;
    for (int i = 0; i < NODES; i++) {
        enum dsp_profile p = (enum dsp_profile)(i / 2);
        node_classify_init(&st[i], p);
        dsp_features_init(&feat[i], p);
        memset(&src[i], 0, sizeof(src[i]));
        src[i].kind = kinds[i];
        src[i].fs = dsp_profile_get(p)->sample_rate_hz;
        src[i].rng = (uint32_t)(i + 10);
    }
    int mismatches = 0;
    int results = 0;
    for (int s = 0; s < STEPS; s++) {
        for (int i = 0; i < NODES; i++) {
            int16_t buf[FEAT_STEP_SAMPLES];
            struct node_classify_result a;
            struct node_classify_result b;
            int8_t win[FEAT_FRAMES][FEAT_BANDS];
            struct dsp_window_info info;
            fill(&src[i], buf, FEAT_STEP_SAMPLES);
            int ra = node_classify_step(&st[i], buf, FEAT_STEP_SAMPLES, &a);
            dsp_features_push(&feat[i], buf, FEAT_STEP_SAMPLES);
            int rb = dsp_features_window(&feat[i], win, &info);
            if (ra != 1) {
                mismatches += rb != DSP_EAGAIN;
                continue;
            }
            results++;
            node_classify_window((enum dsp_profile)(i / 2), &win[0][0], &info, &b);
            mismatches += memcmp(&a, &b, sizeof(a)) != 0;
        }
    }
    assert_int_equal(results, NODES * (STEPS - 2));
    assert_int_equal(mismatches, 0); /* streaming path against the window path */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_classify_init_args),
        cmocka_unit_test(test_node_classify_step_args),
        cmocka_unit_test(test_node_classify_model_info_profiles),
        cmocka_unit_test(test_node_classify_step_warmup),
        cmocka_unit_test(test_node_classify_step_matches_window),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
