/*
 * test_synth: the signal synthesiser (host/synth) is deterministic, block-size independent,
 * calibrated in loudness, and its sources have the physical traits the models rely on.
 * Plain C test program: prints "test_synth: X passed, Y failed".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth.h"

#include "check.h"

#define MAXN (4000 * 8)

static float a[MAXN];
static float b[MAXN];

static unsigned rate_for(enum synth_kind k)
{
    if (k <= SYNTH_VOICE || k >= SYNTH_BG_LAND) {
        return 1000;
    }
    return k <= SYNTH_SHRIMP ? 2000 : 4000;
}

static void test_determinism_and_blocks(void)
{
    static const size_t blocks[] = {1, 7, 256, 1024};
    for (int k = 0; k < SYNTH_KIND_COUNT; k++) {
        unsigned rate = rate_for((enum synth_kind)k);
        size_t n = 3 * (size_t)rate;
        struct synth_source s;
        memset(a, 0, sizeof(a));
        CHECK(synth_source_init(&s, (enum synth_kind)k, rate, 42) == 0, "init %d", k);
        synth_render(&s, a, n, 1.0f);
        for (size_t bi = 0; bi < sizeof(blocks) / sizeof(blocks[0]); bi++) {
            memset(b, 0, sizeof(b));
            synth_source_init(&s, (enum synth_kind)k, rate, 42);
            for (size_t i = 0; i < n; i += blocks[bi]) {
                size_t len = n - i < blocks[bi] ? n - i : blocks[bi];
                synth_render(&s, b + i, len, 1.0f);
            }
            CHECK(memcmp(a, b, n * sizeof(float)) == 0, "%s: blocks of %zu differ",
                  synth_kind_name((enum synth_kind)k), blocks[bi]);
        }
        memset(b, 0, sizeof(b));
        synth_source_init(&s, (enum synth_kind)k, rate, 43);
        synth_render(&s, b, n, 1.0f);
        CHECK(memcmp(a, b, n * sizeof(float)) != 0, "%s: seeds 42 and 43 render the same",
              synth_kind_name((enum synth_kind)k));
    }
}

static void test_loudness(void)
{
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
            CHECK(r > 0.07 && r < 0.14, "%s seed %llu: RMS %.4f, want ~%.2f",
                  synth_kind_name((enum synth_kind)k), (unsigned long long)seed, r, SYNTH_REF_RMS);
        }
    }
}

static void test_durations(void)
{
    for (uint64_t seed = 1; seed <= 30; seed++) {
        struct synth_source s;
        synth_source_init(&s, SYNTH_RUMBLE, 1000, seed);
        double d = synth_source_duration(&s);
        CHECK(d >= 2.0 && d <= 6.0, "rumble %.2f s", d);
        /* Silent after its end. */
        size_t n = (size_t)s.dur_n + 500;
        memset(a, 0, n * sizeof(float));
        synth_render(&s, a, n, 1.0f);
        CHECK(synth_rms(a + s.dur_n, 500) == 0.0, "rumble not silent after its end");
        synth_source_init(&s, SYNTH_UPCALL, 2000, seed);
        d = synth_source_duration(&s);
        CHECK(d >= 0.6 && d <= 1.3, "upcall %.2f s", d);
        synth_source_init(&s, SYNTH_WIND, 1000, seed);
        CHECK(synth_source_duration(&s) == 0.0, "wind is continuous");
    }
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

static void test_upcall_sweeps_up(void)
{
    for (uint64_t seed = 1; seed <= 10; seed++) {
        struct synth_source s;
        synth_source_init(&s, SYNTH_UPCALL, 2000, seed);
        size_t n = (size_t)s.dur_n;
        memset(a, 0, n * sizeof(float));
        synth_render(&s, a, n, 1.0f);
        double f0 = crossings(a + n / 10, n / 5, 2000);
        double f1 = crossings(a + n * 7 / 10, n / 5, 2000);
        CHECK(f0 >= 35.0 && f0 < 150.0 && f1 > f0 * 1.5 && f1 < 300.0,
              "upcall seed %llu: %.0f Hz -> %.0f Hz", (unsigned long long)seed, f0, f1);
    }
    /* A rumble's fundamental sits in 10-40 Hz (contour up to +20 %). */
    for (uint64_t seed = 1; seed <= 10; seed++) {
        struct synth_source s;
        synth_source_init(&s, SYNTH_RUMBLE, 1000, seed);
        CHECK(s.p[0] >= 10.0 && s.p[0] <= 40.0, "rumble f0 %.1f", s.p[0]);
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

static void test_faults(void)
{
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
        CHECK(hf_energy(b, n) > 1.5 * hf_energy(a, n), "outer race: no resonance energy");
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
        CHECK(peak < 1.0f, "inner race: burst %.2f when severity rises", (double)peak);
    }
}

static void test_gain_and_pcm(void)
{
    CHECK(synth_gain(SYNTH_AIR, 0.5) == 1.0, "gain clamps below 1 m");
    double g100 = synth_gain(SYNTH_AIR, 100.0);
    CHECK(fabs(g100 - 0.01 * pow(10.0, -0.5e-3 * 99.0 / 20.0)) < 1e-12, "air 100 m: %g", g100);
    CHECK(synth_gain(SYNTH_WATER, 1000.0) > synth_gain(SYNTH_AIR, 1000.0), "water loses less");
    CHECK(synth_gain(SYNTH_SOLID, 10.0) < 0.1, "structure-borne damping");
    CHECK(fabs(synth_snr_gain(20.0) - 10.0) < 1e-12, "20 dB = x10");

    const float in[6] = {0.0f, 0.5f, -0.5f, 1.0f, 2.0f, -3.0f};
    int16_t out[6];
    size_t clipped = synth_to_int16(in, out, 6);
    CHECK(clipped == 2, "clipped %zu", clipped);
    CHECK(out[0] == 0 && out[1] == 16384 && out[2] == -16384 && out[3] == 32767 &&
              out[4] == 32767 && out[5] == -32767,
          "pcm %d %d %d %d %d %d", out[0], out[1], out[2], out[3], out[4], out[5]);

    struct synth_source s;
    CHECK(synth_source_init(&s, SYNTH_KIND_COUNT, 1000, 1) == -1, "bad kind");
    CHECK(synth_source_init(&s, SYNTH_WIND, 100, 1) == -1, "bad rate");
    CHECK(strcmp(synth_kind_name(SYNTH_UPCALL), "upcall") == 0, "names");
    CHECK(synth_profile_rate(SYNTH_PROFILE_WHALE) == 2000, "whale rate");
}

int main(void)
{
    test_determinism_and_blocks();
    test_loudness();
    test_durations();
    test_upcall_sweeps_up();
    test_faults();
    test_gain_and_pcm();
    return check_finish("test_synth");
}
