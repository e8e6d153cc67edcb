/*
 * test_train_detect: the committed models, run by the firmware's classify path
 * (node_classify_step: streaming features, int8 engine, head), detect a synthesised rumble,
 * upcall and bearing fault and stay silent on distractors. The scenes come from
 * host/synth with seeds no training split uses (the trainer's seeds are below 100 000).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/classify.h"
#include "nodefw/features.h"
#include "synth/synth.h"

#define SECONDS 12

static const enum synth_kind backgrounds[DSP_PROFILE_COUNT] = {SYNTH_BG_LAND, SYNTH_BG_SEA,
                                                               SYNTH_BG_PLANT};

/*
 * Render SECONDS of background at -35 dBFS plus `kind` at snr_db over it (an event starts
 * after 2 s), classify it window by window, and count detecting windows.
 */
static int detections(enum dsp_profile p, enum synth_kind kind, double snr_db, double severity,
                      uint64_t seed)
{
    unsigned rate = dsp_profile_get(p)->sample_rate_hz;
    size_t n = (size_t)SECONDS * rate;
    float *buf = calloc(n, sizeof(float));
    int16_t *pcm = calloc(n, sizeof(int16_t));
    struct synth_source bg;
    struct synth_source src;
    float g = (float)(pow(10.0, -35.0 / 20.0) / SYNTH_REF_RMS);
    synth_source_init(&bg, backgrounds[p], rate, seed);
    synth_source_init(&src, kind, rate, seed + 1);
    src.severity = severity;
    if (p == DSP_PROFILE_TURBINE) {
        /* The machine at -25 dBFS, inside the level range the model was trained for (an
         * anomaly model learns one machine as mounted, level included); the floor 25 dB
         * below it. */
        float gm = (float)(pow(10.0, -25.0 / 20.0) / SYNTH_REF_RMS);
        synth_render(&bg, buf, n, gm / (float)synth_snr_gain(25.0));
        synth_render(&src, buf, n, gm);
    } else {
        synth_render(&bg, buf, n, g);
        size_t at = src.dur_n ? (size_t)2 * rate : 0;
        synth_render(&src, buf + at, n - at, g * (float)synth_snr_gain(snr_db));
    }
    synth_to_int16(buf, pcm, n);
    struct node_classify st;
    int det = 0;
    if (node_classify_init(&st, p) != NODE_CLASSIFY_OK) {
        det = -1;
    }
    for (size_t i = 0; det >= 0 && i + FEAT_STEP_SAMPLES <= n; i += FEAT_STEP_SAMPLES) {
        struct node_classify_result r;
        if (node_classify_step(&st, pcm + i, FEAT_STEP_SAMPLES, &r) == 1) {
            det += r.detected;
        }
    }
    free(buf);
    free(pcm);
    return det;
}

/* Targets at 20 dB over the background (faults: the machine at its level): at least one
 * detecting window each, for three scenes. */
static void test_node_classify_step_targets(void **state)
{
    static const struct {
        enum dsp_profile profile;
        enum synth_kind kind;
        double snr_db;
        uint64_t seed;
    } targets[] = {
        {DSP_PROFILE_ELEPHANT, SYNTH_RUMBLE, 20.0, 100000},
        {DSP_PROFILE_WHALE, SYNTH_UPCALL, 20.0, 100100},
        {DSP_PROFILE_TURBINE, SYNTH_FAULT_OUTER, 0.0, 100200},
        {DSP_PROFILE_TURBINE, SYNTH_FAULT_MISALIGN, 0.0, 100300},
    };

    (void)state;
    for (uint64_t s = 0; s < 3; s++) {
        for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
            int d = detections(targets[t].profile, targets[t].kind, targets[t].snr_db, 1.0,
                               targets[t].seed + s);
            print_message("  %s %llu: %d detecting windows\n", synth_kind_name(targets[t].kind),
                          (unsigned long long)s, d);
            assert_true(d >= 1);
        }
    }
}

/* Distractors at 10 dB: silent. The engine is left out on purpose: at rumble pitch it is the
 * elephant model's known weakness (REPORT.md gives its false alarms per hour). */
static void test_node_classify_step_distractors(void **state)
{
    static const struct {
        enum dsp_profile profile;
        enum synth_kind kind;
        uint64_t seed;
    } distractors[] = {
        {DSP_PROFILE_ELEPHANT, SYNTH_WIND, 100400},    {DSP_PROFILE_ELEPHANT, SYNTH_RAIN, 100401},
        {DSP_PROFILE_ELEPHANT, SYNTH_THUNDER, 100402}, {DSP_PROFILE_ELEPHANT, SYNTH_VOICE, 100403},
        {DSP_PROFILE_WHALE, SYNTH_SHIP, 100500},       {DSP_PROFILE_WHALE, SYNTH_SHRIMP, 100501},
        {DSP_PROFILE_WHALE, SYNTH_RAIN, 100502},
    };

    (void)state;
    for (size_t k = 0; k < sizeof(distractors) / sizeof(distractors[0]); k++) {
        int d =
            detections(distractors[k].profile, distractors[k].kind, 10.0, 1.0, distractors[k].seed);
        print_message("  %s model on %s: %d detecting windows\n",
                      dsp_profile_name(distractors[k].profile),
                      synth_kind_name(distractors[k].kind), d);
        assert_int_equal(d, 0);
    }
}

/* A healthy machine: at most one anomalous window. */
static void test_node_classify_step_healthy_machine(void **state)
{
    (void)state;
    int d = detections(DSP_PROFILE_TURBINE, SYNTH_TURBINE_HEALTHY, 0.0, 0.0, 100600);
    print_message("  healthy machine: %d anomalous windows of %d\n", d, SECONDS * 4 - 2);
    assert_true(d <= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_classify_step_targets),
        cmocka_unit_test(test_node_classify_step_distractors),
        cmocka_unit_test(test_node_classify_step_healthy_machine),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
