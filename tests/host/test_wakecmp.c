/* SPDX-License-Identifier: MIT
 * The simulated wake-on-sound comparator: the fixed level fires on a sample reaching it (and
 * on steady noise above it, whatever the margin of the sound over it); the adaptive one
 * stays quiet on steady noise of any level and on a background that grows slowly, fires on a
 * burst the margin above the background, not on one below it, and never below the level.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/wakecmp.h"

#define RATE 1000u

static uint32_t rng = 1;

/* Uniform noise of RMS @rms (full scale 1) plus a 40 Hz tone of RMS @tone, @n samples. */
static void make(int16_t *x, size_t n, double rms, double tone, size_t t0)
{
    size_t i;

    for (i = 0; i < n; i++) {
        double u;

        rng = rng * 1664525u + 1013904223u;
        u = ((double)(rng >> 8) / 16777216.0 - 0.5) * sqrt(12.0) * rms;
        u += tone * sqrt(2.0) * sin(2.0 * M_PI * 40.0 * (double)(t0 + i) / RATE);
        x[i] = (int16_t)lround(u * 32767.0);
    }
}

/* Feed @seconds of noise (RMS @rms, plus @tone) one second at a time; return the seconds in
 * which the comparator fired. */
static int feed(struct wakecmp *c, double seconds, double rms, double tone)
{
    static int16_t x[RATE];
    int fired = 0;
    size_t s;

    for (s = 0; s < (size_t)seconds; s++) {
        make(x, RATE, rms, tone, s * RATE);
        fired += wakecmp_feed(c, x, RATE);
    }
    return fired;
}

static void test_wakecmp_fixed(void **state)
{
    struct wakecmp c;
    int16_t x[3] = {100, -3275, 50};

    (void)state;
    wakecmp_init(&c, RATE, 0.1, 0);
    assert_false(wakecmp_feed(&c, x, 1));
    assert_false(wakecmp_feed(&c, x, 3)); /* 3275 < 0.1 * 32767 = 3276 (truncated) */
    x[1] = -3276;
    assert_true(wakecmp_feed(&c, x, 3));
    /* steady noise over the level fires every second */
    assert_int_equal(feed(&c, 20, 0.1, 0), 20);
}

static void test_wakecmp_adaptive_quiet_on_steady_noise(void **state)
{
    struct wakecmp c;

    (void)state;
    wakecmp_init(&c, RATE, 0.001, 10);
    assert_int_equal(feed(&c, 60, 0.1, 0), 0);
    wakecmp_init(&c, RATE, 0.001, 10);
    assert_int_equal(feed(&c, 60, 0.01, 0), 0);
}

static void test_wakecmp_adaptive_follows_a_slow_rise(void **state)
{
    struct wakecmp c;
    int fired = 0;
    int s;

    (void)state;
    wakecmp_init(&c, RATE, 0.001, 10);
    for (s = 0; s < 120; s++) { /* 0.01 to 0.1 RMS over two minutes: +20 dB */
        fired += feed(&c, 1, 0.01 * pow(10.0, (double)s / 120.0), 0);
    }
    assert_int_equal(fired, 0);
}

static void test_wakecmp_adaptive_fires_over_margin(void **state)
{
    struct wakecmp c;

    (void)state;
    wakecmp_init(&c, RATE, 0.001, 10);
    assert_int_equal(feed(&c, 30, 0.01, 0), 0);
    /* a tone 20 dB over the background (RMS 0.1 against 0.01) fires at once */
    assert_true(feed(&c, 1, 0.01, 0.1) == 1);

    wakecmp_init(&c, RATE, 0.001, 10);
    assert_int_equal(feed(&c, 30, 0.01, 0), 0);
    /* 3 dB over it does not */
    assert_int_equal(feed(&c, 3, 0.01, 0.01), 0);

    /* never below the level: the same burst under a level of 0.5 */
    wakecmp_init(&c, RATE, 0.5, 10);
    assert_int_equal(feed(&c, 30, 0.01, 0), 0);
    assert_int_equal(feed(&c, 1, 0.01, 0.1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wakecmp_fixed),
        cmocka_unit_test(test_wakecmp_adaptive_quiet_on_steady_noise),
        cmocka_unit_test(test_wakecmp_adaptive_follows_a_slow_rise),
        cmocka_unit_test(test_wakecmp_adaptive_fires_over_margin),
    };

    return cmocka_run_group_tests_name("test_wakecmp", tests, NULL, NULL);
}
