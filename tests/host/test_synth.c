/*
 * test_synth: the signal synthesiser (host/synth) is deterministic, block-size independent,
 * calibrated in loudness, and its sources have the physical traits the models rely on.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "synth/synth.h"

#define MAXN (4000 * 8)

static float a[MAXN];
static float b[MAXN];

static unsigned rate_for(enum synth_kind k)
{
    return synth_profile_rate(synth_kind_profile(k));
}

static void test_synth_render_deterministic(void **state)
{
    static const size_t blocks[] = {1, 7, 256, 1024};

    (void)state;
    for (int k = 0; k < SYNTH_KIND_COUNT; k++) {
        unsigned rate = rate_for((enum synth_kind)k);
        size_t n = 3 * (size_t)rate;
        struct synth_source s;
        memset(a, 0, sizeof(a));
        assert_int_equal(synth_source_init(&s, (enum synth_kind)k, rate, 42), 0);
        synth_render(&s, a, n, 1.0f);
        for (size_t bi = 0; bi < sizeof(blocks) / sizeof(blocks[0]); bi++) {
            memset(b, 0, sizeof(b));
            synth_source_init(&s, (enum synth_kind)k, rate, 42);
            for (size_t i = 0; i < n; i += blocks[bi]) {
                size_t len = n - i < blocks[bi] ? n - i : blocks[bi];
                synth_render(&s, b + i, len, 1.0f);
            }
            if (memcmp(a, b, n * sizeof(float)) != 0) {
                fail_msg("%s: blocks of %zu differ", synth_kind_name((enum synth_kind)k),
                         blocks[bi]);
            }
        }
        memset(b, 0, sizeof(b));
        synth_source_init(&s, (enum synth_kind)k, rate, 43);
        synth_render(&s, b, n, 1.0f);
        if (memcmp(a, b, n * sizeof(float)) == 0) {
            fail_msg("%s: seeds 42 and 43 render the same", synth_kind_name((enum synth_kind)k));
        }
    }
}

static void test_synth_render_loudness(void **state)
{
    (void)state;
    for (int k = 0; k < SYNTH_KIND_COUNT; k++) {
        for (uint64_t seed = 1; seed <= 5; seed++) {
            unsigned rate = rate_for((enum synth_kind)k);
            struct synth_source s;
            synth_source_init(&s, (enum synth_kind)k, rate, seed);
            s.severity = 0.0; /* turbine kinds: the healthy reference level */
            size_t n = s.dur_n ? (size_t)s.dur_n : 4 * (size_t)rate;
            memset(a, 0, n * sizeof(float));
            synth_render(&s, a, n, 1.0f);
            double r = synth_rms(a, n);
            if (!(r > 0.07 && r < 0.14)) {
                fail_msg("%s seed %llu: RMS %.4f, want ~%.2f", synth_kind_name((enum synth_kind)k),
                         (unsigned long long)seed, r, SYNTH_REF_RMS);
            }
        }
    }
}

static void test_synth_source_duration_ranges(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        struct synth_source s;
        synth_source_init(&s, SYNTH_RUMBLE, 1000, seed);
        double d = synth_source_duration(&s);
        assert_true(d >= 2.0 && d <= 6.0); /* rumble */
        /* Silent after its end. */
        size_t n = (size_t)s.dur_n + 500;
        memset(a, 0, n * sizeof(float));
        synth_render(&s, a, n, 1.0f);
        assert_true(synth_rms(a + s.dur_n, 500) == 0.0);
        synth_source_init(&s, SYNTH_UPCALL, 2000, seed);
        d = synth_source_duration(&s);
        assert_true(d >= 0.6 && d <= 1.3); /* upcall */
        synth_source_init(&s, SYNTH_WIND, 1000, seed);
        assert_true(synth_source_duration(&s) == 0.0); /* wind is continuous */
    }
}

/* Stretching a call: the new duration, silence after it, loudness recalibrated; refused for
 * other kinds, out-of-range durations and a source already rendering. */
static void test_synth_source_set_duration(void **state)
{
    (void)state;
    struct synth_source s;
    synth_source_init(&s, SYNTH_RUMBLE, 1000, 7);
    assert_int_equal(synth_source_set_duration(&s, 7.5), 0);
    assert_int_equal(s.dur_n, 7500);
    memset(a, 0, sizeof(a));
    synth_render(&s, a, 8000, 1.0f);
    double r = synth_rms(a, 7500);
    assert_true(r > 0.095 && r < 0.105);
    assert_true(synth_rms(a + 7500, 500) == 0.0);
    assert_int_equal(synth_source_set_duration(&s, 2.0), -1); /* already rendering */
    synth_source_init(&s, SYNTH_UPCALL, 2000, 7);
    assert_int_equal(synth_source_set_duration(&s, 0.4), 0);
    assert_int_equal(s.dur_n, 800);
    assert_int_equal(synth_source_set_duration(&s, 0.1), -1);
    synth_source_init(&s, SYNTH_THUNDER, 1000, 7);
    assert_int_equal(synth_source_set_duration(&s, 3.0), -1);
}

/* Zero crossings per second over a span: twice the dominant frequency of a tonal signal. */
static double crossings(const float *x, size_t n, unsigned rate)
{
    size_t z = 0;
    for (size_t i = 1; i < n; i++) {
        z += (x[i - 1] < 0.0f) != (x[i] < 0.0f);
    }
    return (double)z * rate / (double)n / 2.0;
}

static void test_synth_render_upcall_sweeps_up(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        struct synth_source s;
        synth_source_init(&s, SYNTH_UPCALL, 2000, seed);
        size_t n = (size_t)s.dur_n;
        memset(a, 0, n * sizeof(float));
        synth_render(&s, a, n, 1.0f);
        double f0 = crossings(a + n / 10, n / 5, 2000);
        double f1 = crossings(a + n * 7 / 10, n / 5, 2000);
        if (!(f0 >= 35.0 && f0 < 150.0 && f1 > f0 * 1.5 && f1 < 300.0)) {
            fail_msg("upcall seed %llu: %.0f Hz -> %.0f Hz", (unsigned long long)seed, f0, f1);
        }
    }
}

/* A rumble's fundamental sits in 10-40 Hz (contour up to +20 %). */
static void test_synth_source_init_rumble_pitch(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        struct synth_source s;
        synth_source_init(&s, SYNTH_RUMBLE, 1000, seed);
        assert_true(s.p[0] >= 10.0 && s.p[0] <= 40.0);
    }
}

/* Energy of the first difference: weights high frequencies (the bearing resonance). */
static double hf_energy(const float *x, size_t n)
{
    double e = 0.0;
    for (size_t i = 1; i < n; i++) {
        double d = (double)x[i] - (double)x[i - 1];
        e += d * d;
    }
    return e / (double)n;
}

static void test_synth_render_faults(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct synth_source h;
        struct synth_source f;
        size_t n = (size_t)4000 * 2;
        synth_source_init(&h, SYNTH_FAULT_OUTER, 4000, seed);
        f = h; /* the same machine; one copy healthy, one with a developed defect */
        h.severity = 0.0;
        memset(a, 0, n * sizeof(float));
        memset(b, 0, n * sizeof(float));
        synth_render(&h, a, n, 1.0f);
        synth_render(&f, b, n, 1.0f);
        assert_true(hf_energy(b, n) > 1.5 * hf_energy(a, n)); /* outer race resonance energy */
        /* Degrading: severity raised mid-stream produces no burst (no runaway impacts). */
        struct synth_source g;
        synth_source_init(&g, SYNTH_FAULT_INNER, 4000, seed);
        g.severity = 0.0;
        memset(a, 0, n * sizeof(float));
        synth_render(&g, a, n / 2, 1.0f);
        g.severity = 0.5;
        synth_render(&g, a + n / 2, n / 2, 1.0f);
        float peak = 0.0f;
        for (size_t i = n / 2; i < n / 2 + 400; i++) {
            peak = fabsf(a[i]) > peak ? fabsf(a[i]) : peak;
        }
        assert_true(peak < 1.0f); /* inner race: no burst when severity rises */
    }
}

static void test_synth_gain_media(void **state)
{
    (void)state;
    /* Clamps below 1 m. */
    assert_true(synth_gain(SYNTH_AIR, 0.5) == 1.0);
    /* Air at 100 m: spreading and absorption. */
    double g100 = synth_gain(SYNTH_AIR, 100.0);
    assert_true(fabs(g100 - 0.01 * pow(10.0, -0.5e-3 * 99.0 / 20.0)) < 1e-12);
    /* Water loses less than air; structure-borne sound is damped. */
    assert_true(synth_gain(SYNTH_WATER, 1000.0) > synth_gain(SYNTH_AIR, 1000.0));
    assert_true(synth_gain(SYNTH_SOLID, 10.0) < 0.1);
    /* 20 dB = x10. */
    assert_true(fabs(synth_snr_gain(20.0) - 10.0) < 1e-12);
}

static void test_synth_to_int16_clips(void **state)
{
    const float in[6] = {0.0f, 0.5f, -0.5f, 1.0f, 2.0f, -3.0f};
    static const int16_t want[6] = {0, 16384, -16384, 32767, 32767, -32767};
    int16_t out[6];

    (void)state;
    assert_int_equal(synth_to_int16(in, out, 6), 2); /* samples clipped */
    for (int i = 0; i < 6; i++) {
        assert_int_equal(out[i], want[i]);
    }
}

static void test_synth_source_init_refuses(void **state)
{
    struct synth_source s;

    (void)state;
    assert_int_equal(synth_source_init(&s, SYNTH_KIND_COUNT, 1000, 1), -1); /* bad kind */
    assert_int_equal(synth_source_init(&s, SYNTH_WIND, 100, 1), -1);        /* bad rate */
    assert_string_equal(synth_kind_name(SYNTH_UPCALL), "upcall");
    assert_int_equal(synth_profile_rate(SYNTH_PROFILE_WHALE), 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synth_source_set_duration),
        cmocka_unit_test(test_synth_render_deterministic),
        cmocka_unit_test(test_synth_render_loudness),
        cmocka_unit_test(test_synth_source_duration_ranges),
        cmocka_unit_test(test_synth_render_upcall_sweeps_up),
        cmocka_unit_test(test_synth_source_init_rumble_pitch),
        cmocka_unit_test(test_synth_render_faults),
        cmocka_unit_test(test_synth_gain_media),
        cmocka_unit_test(test_synth_to_int16_clips),
        cmocka_unit_test(test_synth_source_init_refuses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
