/* SPDX-License-Identifier: MIT
 * Features: the integer log2 against libm, the profile tables, every band of a frame against a
 * double-precision reference of the same definition (Hann, DFT, band mean, quarter-octave
 * quantisation), streaming in odd chunk sizes against the stateless frame function, the window
 * order, the noise floor and level_db, and the peak band.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/features.h"
#include "nodefw/fft.h"
#include "nodefw/profile.h"

static uint32_t rng_state = 777u;

static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state;
}

/* Roughly Gaussian noise of standard deviation sd (sum of 4 uniforms). */
static double noise(double sd)
{
    double s = 0.0;
    for (int i = 0; i < 4; i++) {
        s += (double)(rng() >> 8) / 16777216.0 - 0.5;
    }
    return s * sd * sqrt(3.0);
}

static int16_t clamp16(double v)
{
    long r = lround(v);
    return (int16_t)(r > 32767 ? 32767 : r < -32768 ? -32768 : r);
}

static void test_dsp_log2_q10_exact(void **state)
{
    (void)state;
    assert_int_equal(dsp_log2_q10(0), 0);
    assert_int_equal(dsp_log2_q10(1), 0);
    int bad = 0;
    for (int i = 1; i < 64; i++) {
        bad += dsp_log2_q10((uint64_t)1 << i) != i * 1024;
    }
    assert_int_equal(bad, 0); /* powers of two */
}

static void test_dsp_log2_q10_against_libm(void **state)
{
    (void)state;
    double worst = 0.0;
    for (int i = 0; i < 20000; i++) {
        uint64_t hi = rng(); /* one call per statement: a fixed sequence */
        uint64_t lo = rng();
        uint64_t v = (hi << 32 | lo) >> (rng() % 62);
        if (v < 2) {
            continue;
        }
        double err = fabs(dsp_log2_q10(v) / 1024.0 - log2((double)v));
        worst = err > worst ? err : worst;
    }
    print_message("  log2_q10 worst error %.5f\n", worst);
    assert_true(worst < 0.0015);
}

static void test_dsp_profile_get_tables(void **state)
{
    static const char *names[] = {"elephant", "whale", "turbine"};
    static const uint16_t rates[] = {1000, 2000, 4000};

    (void)state;
    for (int p = 0; p < DSP_PROFILE_COUNT; p++) {
        const struct dsp_profile_info *info = dsp_profile_get((enum dsp_profile)p);
        assert_non_null(info);
        assert_string_equal(info->name, names[p]);
        assert_int_equal(info->sample_rate_hz, rates[p]);
        assert_int_equal(dsp_profile_from_name(names[p]), p);
        int bad = info->band_edges[0] < 1 || info->band_edges[FEAT_BANDS] > DSP_FFT_BINS;
        for (int b = 0; b < FEAT_BANDS; b++) {
            unsigned w = (unsigned)(info->band_edges[b + 1] - info->band_edges[b]);
            bad += info->band_edges[b + 1] <= info->band_edges[b];
            bad += info->band_log2w_q10[b] != dsp_log2_q10(w);
        }
        assert_int_equal(bad, 0); /* band tables inconsistent */
    }
}

static void test_dsp_profile_get_invalid(void **state)
{
    (void)state;
    assert_int_equal(dsp_profile_from_name("cow"), -1);
    assert_int_equal(dsp_profile_from_name(NULL), -1);
    assert_null(dsp_profile_get(DSP_PROFILE_COUNT));
    assert_string_equal(dsp_profile_name(DSP_PROFILE_COUNT), "?");
    /* The window geometry. */
    assert_int_equal(FEAT_WINDOW_SAMPLES, 2176);
    assert_int_equal(FEAT_STEP_SAMPLES, 1024);
}

/* The feature definition in double precision: Hann (same q15 rounding of the window as the
 * firmware would need is ignored: exact window), exact DFT, band mean, quantisation. */
static void reference_frame(const struct dsp_profile_info *info, const int16_t *x, int *q)
{
    double pw[DSP_FFT_BINS];
    for (int k = 0; k < DSP_FFT_BINS; k++) {
        double re = 0.0;
        double im = 0.0;
        for (int n = 0; n < DSP_FFT_N; n++) {
            double w = 0.5 * (1.0 - cos(2.0 * M_PI * n / DSP_FFT_N));
            double a = -2.0 * M_PI * k * n / DSP_FFT_N;
            re += x[n] * w * cos(a);
            im += x[n] * w * sin(a);
        }
        pw[k] = re * re + im * im;
    }
    for (int b = 0; b < FEAT_BANDS; b++) {
        double s = 0.0;
        for (int k = info->band_edges[b]; k < info->band_edges[b + 1]; k++) {
            s += pw[k];
        }
        s /= info->band_edges[b + 1] - info->band_edges[b];
        double l = s > 1.0 ? log2(s) : 0.0;
        long v = lround(4.0 * l) + FEAT_ZERO_POINT;
        q[b] = (int)(v > 127 ? 127 : v < -128 ? -128 : v);
    }
}

static void check_frame(enum dsp_profile p, const int16_t *x, const char *name)
{
    const struct dsp_profile_info *info = dsp_profile_get(p);
    int8_t q[FEAT_BANDS];
    int ref[FEAT_BANDS];
    int32_t e = 0;
    assert_int_equal(dsp_features_frame(p, x, q, &e), DSP_OK);
    reference_frame(info, x, ref);
    int worst = 0;
    for (int b = 0; b < FEAT_BANDS; b++) {
        int d = abs(q[b] - ref[b]);
        worst = d > worst ? d : worst;
    }
    /* Quantisation step 0.25 log2; fixed point adds < 0.01 log2 except in bands 60+ dB below
     * the frame's peak, where the 16-bit spectrum's rounding dominates. */
    if (worst > 1) {
        print_message("  %s %s: feature differs from the double reference by %d\n", name,
                      info->name, worst);
    }
    assert_true(worst <= 1);
}

static void test_dsp_features_frame_reference(void **state)
{
    int16_t x[DSP_FFT_N];

    (void)state;
    for (int p = 0; p < DSP_PROFILE_COUNT; p++) {
        double fs = dsp_profile_get((enum dsp_profile)p)->sample_rate_hz;
        for (int n = 0; n < DSP_FFT_N; n++) {
            x[n] = clamp16(noise(3000.0));
        }
        check_frame((enum dsp_profile)p, x, "white noise");
        for (int n = 0; n < DSP_FFT_N; n++) {
            double t = n / fs;
            x[n] = clamp16(20000.0 * sin(2.0 * M_PI * fs * 0.04 * t) +
                           8000.0 * sin(2.0 * M_PI * fs * 0.13 * t) + noise(300.0));
        }
        check_frame((enum dsp_profile)p, x, "two tones + noise");
        for (int n = 0; n < DSP_FFT_N; n++) {
            double t = (double)n / DSP_FFT_N;
            x[n] = clamp16(12000.0 * sin(2.0 * M_PI * (3.0 * t + 60.0 * t * t)) + noise(30.0));
        }
        check_frame((enum dsp_profile)p, x, "chirp");
    }
    memset(x, 0, sizeof(x));
    int8_t q[FEAT_BANDS];
    int32_t e = -1;
    dsp_features_frame(DSP_PROFILE_WHALE, x, q, &e);
    int bad = 0;
    for (int b = 0; b < FEAT_BANDS; b++) {
        bad += q[b] != FEAT_ZERO_POINT;
    }
    /* Silence gives the zero point in every band and energy 0. */
    assert_int_equal(bad, 0);
    assert_int_equal(e, 0);
    for (int n = 0; n < DSP_FFT_N; n++) {
        x[n] = clamp16(32767.0 * sin(2.0 * M_PI * 40.0 * n / DSP_FFT_N));
    }
    dsp_features_frame(DSP_PROFILE_TURBINE, x, q, &e);
    int mx = -128;
    for (int b = 0; b < FEAT_BANDS; b++) {
        mx = q[b] > mx ? q[b] : mx;
    }
    print_message("  full-scale sine: top feature %d\n", mx);
    assert_in_range(mx, 60, 72); /* near +66 */
    assert_int_equal(dsp_features_frame(DSP_PROFILE_COUNT, x, q, &e), DSP_EINVAL);
}

/* Streaming in odd chunks equals the stateless frame function at every hop, and the window is
 * the last FEAT_FRAMES frames, oldest first. */
static void test_dsp_features_push_streaming(void **state)
{
    enum { TOTAL = 5000 };
    static int16_t sig[TOTAL];

    (void)state;
    for (int n = 0; n < TOTAL; n++) {
        sig[n] = clamp16(6000.0 * sin(2.0 * M_PI * 0.01 * n + 0.00001 * n * n) + noise(500.0));
    }
    struct dsp_features st;
    assert_int_equal(dsp_features_init(&st, DSP_PROFILE_WHALE), DSP_OK);
    assert_int_equal(dsp_features_init(NULL, DSP_PROFILE_WHALE), DSP_EINVAL);
    int8_t win[FEAT_FRAMES][FEAT_BANDS];
    int frames = 0;
    size_t pos = 0;
    static const size_t chunks[] = {1, 7, 100, 255, 129, 1024, 3};
    int eagain_seen = 0;
    for (int i = 0; pos < TOTAL; i++) {
        size_t c = chunks[i % 7];
        if (c > TOTAL - pos) {
            c = TOTAL - pos;
        }
        int r = dsp_features_push(&st, &sig[pos], c);
        assert_true(r >= 0);
        frames += r;
        pos += c;
        if (frames < FEAT_FRAMES) {
            eagain_seen += dsp_features_window(&st, win, NULL) == DSP_EAGAIN;
        }
    }
    int want = (TOTAL - DSP_FFT_N) / DSP_HOP + 1;
    assert_int_equal(frames, want);
    assert_true(eagain_seen > 0); /* a window before 16 frames gives DSP_EAGAIN */
    struct dsp_window_info info;
    assert_int_equal(dsp_features_window(&st, win, &info), DSP_OK);
    int bad = 0;
    for (int t = 0; t < FEAT_FRAMES; t++) {
        int frame = frames - FEAT_FRAMES + t;
        int8_t q[FEAT_BANDS];
        dsp_features_frame(DSP_PROFILE_WHALE, &sig[frame * DSP_HOP], q, NULL);
        bad += memcmp(q, win[t], FEAT_BANDS) != 0;
    }
    assert_int_equal(bad, 0); /* window rows that differ from the stateless frames */
    assert_int_equal(dsp_features_push(&st, NULL, 0), 0);
    assert_int_equal(dsp_features_push(&st, NULL, 5), DSP_EINVAL);
}

/* A steady noise background, then a tone 20 dB above it: the floor stays, level_db follows. */
static void test_dsp_features_window_level_and_peak(void **state)
{
    struct dsp_features st;

    (void)state;
    dsp_features_init(&st, DSP_PROFILE_ELEPHANT);
    int16_t buf[FEAT_STEP_SAMPLES];
    struct dsp_window_info info;
    int8_t win[FEAT_FRAMES][FEAT_BANDS];
    for (int s = 0; s < 20; s++) {
        for (int n = 0; n < FEAT_STEP_SAMPLES; n++) {
            buf[n] = clamp16(noise(200.0));
        }
        dsp_features_push(&st, buf, FEAT_STEP_SAMPLES);
    }
    dsp_features_window(&st, win, &info);
    print_message("  noise only: level %u dB\n", info.level_db);
    assert_true(info.level_db <= 3);
    /* Tone power = 20 dB over the noise power: amplitude sqrt(2 * 100) * sd. */
    for (int n = 0; n < FEAT_STEP_SAMPLES; n++) {
        buf[n] = clamp16(noise(200.0) + 200.0 * sqrt(200.0) * sin(2.0 * M_PI * 31.0 * n / 1000.0));
    }
    dsp_features_push(&st, buf, FEAT_STEP_SAMPLES);
    dsp_features_window(&st, win, &info);
    print_message("  tone 20 dB over noise: level %u dB, peak band %u\n", info.level_db,
                  info.peak_band);
    assert_in_range(info.level_db, 17, 23);
    /* 31 Hz = bin 7.9 at 3.9 Hz per bin: elephant band 5 covers bins 8. */
    const struct dsp_profile_info *pi = dsp_profile_get(DSP_PROFILE_ELEPHANT);
    assert_true(pi->band_edges[info.peak_band] <= 8);
    assert_true(8 < pi->band_edges[info.peak_band + 1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsp_log2_q10_exact),
        cmocka_unit_test(test_dsp_log2_q10_against_libm),
        cmocka_unit_test(test_dsp_profile_get_tables),
        cmocka_unit_test(test_dsp_profile_get_invalid),
        cmocka_unit_test(test_dsp_features_frame_reference),
        cmocka_unit_test(test_dsp_features_push_streaming),
        cmocka_unit_test(test_dsp_features_window_level_and_peak),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
