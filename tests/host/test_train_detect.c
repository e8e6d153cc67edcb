/*
 * test_train_detect: the committed models, run by the firmware's classify path
 * (node_classify_step: streaming features, int8 engine, head), detect a synthesised rumble,
 * upcall and bearing fault and stay silent on distractors. The scenes come from
 * host/synth with seeds no training split uses (the trainer's seeds are below 100 000).
 * Plain C test program: prints "test_train_detect: X passed, Y failed".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodefw/classify.h"
#include "nodefw/features.h"
#include "synth/synth.h"

#include "check.h"

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

int main(void)
{
    /* Targets at 20 dB over the background: at least one detecting window each. */
    for (uint64_t s = 0; s < 3; s++) {
        int d = detections(DSP_PROFILE_ELEPHANT, SYNTH_RUMBLE, 20.0, 1.0, 100000 + s);
        CHECK(d >= 1, "rumble %llu: %d detecting windows", (unsigned long long)s, d);
        d = detections(DSP_PROFILE_WHALE, SYNTH_UPCALL, 20.0, 1.0, 100100 + s);
        CHECK(d >= 1, "upcall %llu: %d detecting windows", (unsigned long long)s, d);
        d = detections(DSP_PROFILE_TURBINE, SYNTH_FAULT_OUTER, 0.0, 1.0, 100200 + s);
        CHECK(d >= 1, "outer race fault %llu: %d anomalous windows", (unsigned long long)s, d);
        d = detections(DSP_PROFILE_TURBINE, SYNTH_FAULT_MISALIGN, 0.0, 1.0, 100300 + s);
        CHECK(d >= 1, "misalignment %llu: %d anomalous windows", (unsigned long long)s, d);
    }
    /* Distractors at 10 dB, and a healthy machine: silent. The engine is left out on
     * purpose: at rumble pitch it is the elephant model's known weakness (REPORT.md gives
     * its false alarms per hour). */
    static const enum synth_kind land[] = {SYNTH_WIND, SYNTH_RAIN, SYNTH_THUNDER, SYNTH_VOICE};
    static const enum synth_kind sea[] = {SYNTH_SHIP, SYNTH_SHRIMP, SYNTH_RAIN};
    for (size_t k = 0; k < sizeof(land) / sizeof(land[0]); k++) {
        int d = detections(DSP_PROFILE_ELEPHANT, land[k], 10.0, 1.0, 100400 + k);
        CHECK(d == 0, "elephant model on %s: %d detecting windows", synth_kind_name(land[k]), d);
    }
    for (size_t k = 0; k < sizeof(sea) / sizeof(sea[0]); k++) {
        int d = detections(DSP_PROFILE_WHALE, sea[k], 10.0, 1.0, 100500 + k);
        CHECK(d == 0, "whale model on %s: %d detecting windows", synth_kind_name(sea[k]), d);
    }
    int d = detections(DSP_PROFILE_TURBINE, SYNTH_TURBINE_HEALTHY, 0.0, 0.0, 100600);
    CHECK(d <= 1, "healthy machine: %d anomalous windows of %d", d, SECONDS * 4 - 2);
    return check_finish("test_train_detect");
}
