/*
 * test_synth_distract: every distractor kind of host/synth does what its physical model
 * (host/synth/README.md) says: its energy sits in the band the model puts it in, periodic
 * sources repeat at their period, a pass-by is Doppler-shifted, rising sounds rise. The
 * determinism, block independence and loudness of all kinds are in test_synth.c.
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

#define MAXN ((size_t)2000 * 40)

static float buf[MAXN];

/* Render a source (a whole event, or `secs` of a continuous one); returns samples. */
static size_t render(enum synth_kind k, uint64_t seed, double secs, struct synth_source *s)
{
    unsigned rate = synth_profile_rate(synth_kind_profile(k));
    assert_int_equal(synth_source_init(s, k, rate, seed), 0);
    size_t n = s->dur_n ? (size_t)s->dur_n : (size_t)(secs * rate);
    assert_true(n <= MAXN);
    memset(buf, 0, n * sizeof(float));
    synth_render(s, buf, n, 1.0f);
    return n;
}

/* Power of x[0..n) at frequency f (Goertzel on a Hann-windowed span), arbitrary units. */
static double power_at(const float *x, size_t n, double f, unsigned rate)
{
    double w = 2.0 * cos(2.0 * M_PI * f / rate);
    double s1 = 0.0;
    double s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double h = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)n);
        double s0 = h * x[i] + w * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return (s1 * s1 + s2 * s2 - w * s1 * s2) / (double)n;
}

/* Share of the power between lo and hi Hz (1 Hz steps, up to 0.45 rate). */
static double band_share(const float *x, size_t n, unsigned rate, double lo, double hi)
{
    double in = 0.0;
    double all = 0.0;
    for (int k = 1; k < (int)(0.45 * rate); k++) {
        double f = (double)k;
        double p = power_at(x, n, f, rate);
        all += p;
        if (f >= lo && f <= hi) {
            in += p;
        }
    }
    return all > 0.0 ? in / all : 0.0;
}

/* The frequency in [lo, hi] with the most power (1 Hz steps). */
static double peak_freq(const float *x, size_t n, unsigned rate, double lo, double hi)
{
    double best = lo;
    double bp = -1.0;
    for (int k = 0; lo + 0.5 * k <= hi; k++) {
        double f = lo + 0.5 * k;
        double p = power_at(x, n, f, rate);
        if (p > bp) {
            bp = p;
            best = f;
        }
    }
    return best;
}

struct band_case {
    enum synth_kind kind;
    double lo, hi; /* Hz */
    double share;  /* at least this share of the power in [lo, hi] */
};

/* Each model puts its energy where it says: low rolls and gusts below 50-60 Hz, engines in
 * their firing range and harmonics, voices and whistles above the rumble band. */
static void test_synth_distract_energy_bands(void **state)
{
    static const struct band_case cases[] = {
        {SYNTH_THUNDER_FAR, 0.0, 60.0, 0.85},  {SYNTH_WIND_BUFFET, 0.0, 60.0, 0.9},
        {SYNTH_DIESEL_IDLE, 7.0, 400.0, 0.9},  {SYNTH_GENERATOR, 10.0, 200.0, 0.8},
        {SYNTH_CHAINSAW, 35.0, 450.0, 0.8},    {SYNTH_SHOUT, 170.0, 450.0, 0.6},
        {SYNTH_CAVITATION, 100.0, 900.0, 0.6}, {SYNTH_FIN_PULSE, 14.0, 30.0, 0.7},
        {SYNTH_DOLPHIN, 280.0, 960.0, 0.9},    {SYNTH_SONAR, 190.0, 900.0, 0.9},
        {SYNTH_SURF, 0.0, 700.0, 0.9},         {SYNTH_AIRGUN, 0.0, 400.0, 0.85},
    };
    (void)state;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        for (uint64_t seed = 1; seed <= 3; seed++) {
            struct synth_source s;
            size_t n = render(cases[c].kind, seed, 8.0, &s);
            double sh = band_share(buf, n, s.rate_hz, cases[c].lo, cases[c].hi);
            if (sh < cases[c].share) {
                fail_msg("%s seed %llu: %.2f of the power in %.0f-%.0f Hz, want >= %.2f",
                         synth_kind_name(cases[c].kind), (unsigned long long)seed, sh, cases[c].lo,
                         cases[c].hi, cases[c].share);
            }
        }
    }
}

/* An idling diesel is a harmonic series on its firing frequency (15-60 Hz): the strongest
 * line below 150 Hz is a multiple of half the firing rate (a weak cylinder adds the half
 * order), and the fundamental stands 10 dB over the spectrum between harmonics. */
static void test_synth_distract_diesel_firing(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct synth_source s;
        size_t n = render(SYNTH_DIESEL_IDLE, seed, 4.0, &s);
        double f0 = s.p[0];
        double f = peak_freq(buf, n, 1000, 5.0, 150.0);
        double order = f / (0.5 * f0);
        assert_true(f0 >= 15.0 && f0 <= 60.0);
        if (fabs(order - round(order)) * 0.5 * f0 > 1.5 ||
            power_at(buf, n, f0, 1000) < 10.0 * power_at(buf, n, 1.25 * f0, 1000)) {
            fail_msg("diesel seed %llu: peak %.1f Hz, firing %.1f Hz", (unsigned long long)seed, f,
                     f0);
        }
    }
}

/* Pass-by: the engine line is above its rest frequency on approach, below it receding, by
 * the Doppler factor c / (c -+ v) at 343 m/s. */
static void test_synth_distract_vehicle_doppler(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct synth_source s;
        size_t n = render(SYNTH_VEHICLE_PASS, seed, 0.0, &s);
        double f0 = s.p[0];
        double v = s.p[1];
        double d = s.p[2];
        double tc = 0.5 * (double)n / 1000.0;
        size_t span = 1000; /* 1 s at 1000 Hz, the first and last full seconds */
        double up = peak_freq(buf + 500, span, 1000, 0.8 * f0, 1.2 * f0);
        double down = peak_freq(buf + n - 500 - span, span, 1000, 0.8 * f0, 1.2 * f0);
        double x = v * (1.0 - tc); /* the source at the spans' centres, 1 s from each end */
        double vr = v * x / sqrt(x * x + d * d);
        double want_up = f0 * 343.0 / (343.0 + vr);
        double want_down = f0 * 343.0 / (343.0 - vr);
        if (fabs(up - want_up) > 1.5 || fabs(down - want_down) > 1.5 || !(up > down)) {
            fail_msg("vehicle seed %llu: %.1f Hz rest, %.1f approaching (want %.1f), %.1f "
                     "receding (want %.1f)",
                     (unsigned long long)seed, f0, up, want_up, down, want_down);
        }
    }
}

/* Energy envelope in blocks of `blk` samples. */
static size_t envelope(const float *x, size_t n, size_t blk, double *env, size_t max)
{
    size_t m = 0;
    for (size_t i = 0; i + blk <= n && m < max; i += blk) {
        env[m++] = synth_rms(x + i, blk);
    }
    return m;
}

/* Autocorrelation peak of the envelope within [lo, hi] lags: the period in blocks. */
static size_t env_period(const double *env, size_t m, size_t lo, size_t hi)
{
    double mean = 0.0;
    for (size_t i = 0; i < m; i++) {
        mean += env[i] / (double)m;
    }
    size_t best = lo;
    double bc = -1e30;
    for (size_t lag = lo; lag <= hi && lag < m; lag++) {
        double c = 0.0;
        for (size_t i = 0; i + lag < m; i++) {
            c += (env[i] - mean) * (env[i + lag] - mean);
        }
        c /= (double)(m - lag);
        if (c > bc) {
            bc = c;
            best = lag;
        }
    }
    return best;
}

/* Periodicity: a train's clatter repeats every car length / speed; surf every wave period;
 * a chainsaw's throttle every cycle. */
static void test_synth_distract_periodicity(void **state)
{
    static double env[8000];
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        struct synth_source s;
        size_t n = render(SYNTH_TRAIN, seed, 0.0, &s);
        /* 5 ms blocks over the middle half: the clatter of the cars behind the engine */
        size_t m = envelope(buf + n / 4, n / 2, 5, env, 8000);
        double car_s = s.p[7] / s.p[1];
        size_t lag =
            env_period(env, m, (size_t)(0.85 * car_s / 0.005), (size_t)(1.12 * car_s / 0.005));
        if (fabs((double)lag * 0.005 - car_s) > 0.1 * car_s) {
            fail_msg("train seed %llu: clatter period %.3f s, car passes every %.3f s",
                     (unsigned long long)seed, (double)lag * 0.005, car_s);
        }

        n = render(SYNTH_CHAINSAW, seed, 30.0, &s);
        m = envelope(buf, n, 100, env, 8000); /* 0.1 s blocks */
        lag = env_period(env, m, (size_t)(0.7 * s.p[2] / 0.1), (size_t)(1.3 * s.p[2] / 0.1));
        if (fabs((double)lag * 0.1 - s.p[2]) > 0.25) {
            fail_msg("chainsaw seed %llu: cycle %.2f s, want %.2f s", (unsigned long long)seed,
                     (double)lag * 0.1, s.p[2]);
        }
    }
}

/* Rising sounds rise, falling ones fall: the dolphin whistle and LFM sonar up, the fin
 * pulse down. The frequency of a tonal signal over a span: upward zero crossings (linearly
 * interpolated) counted between the first and the last. */
static double crossings(const float *x, size_t n, unsigned rate)
{
    double first = -1.0;
    double last = -1.0;
    int count = 0;
    for (size_t i = 1; i < n; i++) {
        if (x[i - 1] < 0.0f && x[i] >= 0.0f) {
            double at = (double)(i - 1) + x[i - 1] / (x[i - 1] - x[i]);
            first = first < 0.0 ? at : first;
            last = at;
            count++;
        }
    }
    return count > 1 ? (count - 1) * (double)rate / (last - first) : 0.0;
}

static void test_synth_distract_contours(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        struct synth_source s;
        size_t n = render(SYNTH_DOLPHIN, seed, 0.0, &s);
        double a = crossings(buf + n / 10, n / 5, 2000);
        double b = crossings(buf + n * 7 / 10, n / 5, 2000);
        assert_true(a >= 280.0 && b > a * 1.1 && b <= 960.0);
        n = render(SYNTH_FIN_PULSE, seed, 0.0, &s);
        a = crossings(buf + n / 10, n * 3 / 10, 2000);
        b = crossings(buf + n * 6 / 10, n * 3 / 10, 2000);
        if (s.p[3] == 0.0 && !(a > b && a < 27.0 && b > 15.0)) { /* the pure 20 Hz pulse */
            fail_msg("fin seed %llu: %.1f Hz -> %.1f Hz", (unsigned long long)seed, a, b);
        }
    }
}

/* Impulsive kinds: a gunshot's peak is in its first milliseconds and it decays; an airgun
 * repeats bubble pulses at the bubble period. */
static void test_synth_distract_impulses(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct synth_source s;
        size_t n = render(SYNTH_GUNSHOT, seed, 0.0, &s);
        double head = synth_rms(buf, 20);
        double tail = synth_rms(buf + n - n / 4, n / 4);
        assert_true(head > 5.0 * tail);

        render(SYNTH_AIRGUN, seed, 0.0, &s);
        size_t per = (size_t)(s.p[0] * 2000.0);
        double p1 = synth_rms(buf, per / 4);
        double p2 = synth_rms(buf + per, per / 4);
        double gap = synth_rms(buf + per / 2, per / 4);
        if (!(p1 > p2 && p2 > gap)) {
            fail_msg("airgun seed %llu: pulse %.3f, bubble %.3f, between %.3f",
                     (unsigned long long)seed, p1, p2, gap);
        }
    }
}

/* Throttle sweeps: an outboard's engine line moves by more than 30 % over 30 s. */
static void test_synth_distract_outboard_sweeps(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        struct synth_source s;
        size_t n = render(SYNTH_OUTBOARD, seed, 40.0, &s);
        double lo = 1e9;
        double hi = 0.0;
        for (size_t i = 0; i + 2000 <= n; i += 2000) {
            double f = peak_freq(buf + i, 2000, 2000, 0.9 * s.p[0], 1.1 * s.p[0] * s.p[1]);
            lo = f < lo ? f : lo;
            hi = f > hi ? f : hi;
        }
        if (!(hi > 1.3 * lo)) {
            fail_msg("outboard seed %llu: engine line %.1f-%.1f Hz", (unsigned long long)seed, lo,
                     hi);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synth_distract_energy_bands),
        cmocka_unit_test(test_synth_distract_diesel_firing),
        cmocka_unit_test(test_synth_distract_vehicle_doppler),
        cmocka_unit_test(test_synth_distract_periodicity),
        cmocka_unit_test(test_synth_distract_contours),
        cmocka_unit_test(test_synth_distract_impulses),
        cmocka_unit_test(test_synth_distract_outboard_sweeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
