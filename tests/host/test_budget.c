/* SPDX-License-Identifier: MIT
 * The energy budget against a calculation by hand: the turbine of config/budget/
 * duty-cycled.ini, term by term from the figures of host/lib/currents.c written out below.
 * When someone corrects a figure in the table, this test names the term that moved: change
 * the number here too. Also: scenario files (precedence, errors with file and line), the
 * table's completeness (every figure has a source), battery life.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/budget.h"
#include "lib/currents.h"
#include "nodefw/profile.h"

static char path[64];

static void write_file(const char *text)
{
    FILE *f;
    int fd;

    snprintf(path, sizeof(path), "/tmp/test_budget.XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void assert_close(double got, double want)
{
    double d = got - want;

    if (d < 0) {
        d = -d;
    }
    if (d > 1e-6 * (want < 0 ? -want : want) + 1e-9) {
        fail_msg("got %.9f, want %.9f", got, want);
    }
}

static void test_budget_turbine_duty_cycled_by_hand(void **state)
{
    const struct currents_board *b = currents_board("stm32wl55");
    struct budget_in in;
    struct budget_out out;
    char err[200];
    /* listening 2.5 s of every 600 s */
    double l = 2.5 / 600.0;
    /* 369,774 instructions per window x 1.3 cycles / 48 MHz; 4000 / 1024 windows per second;
     * one DMA half-ring interrupt of 60 cycles per 512 samples while listening */
    double run_share =
        l * (4000.0 / 1024.0) * (369774.0 * 1.3 / 48e6) + 60.0 / 48e6 * l * 4000.0 / 512.0;
    /* SMPS: 70 uA/MHz at 48 MHz; and the 1 kHz SysTick while listening, 60 cycles a tick at
     * the 2 MHz of LPSleep: 3 % of the listening time at 70 uA/MHz x 2 MHz */
    double compute = 70.0 * 48.0 * run_share + l * 1000.0 * 60.0 / 2e6 * 70.0 * 2.0;
    double sensing = l * 1000.0 + l * 40.0; /* ADXL1002 1 mA; ADC+TIM+DMA 40 uA */
    double sleep = (l - run_share) * 30.0 * 2.0 + (1 - l) * 1.1; /* LPSleep 2 MHz; Stop2 */
    /* SF9/125 kHz: Tsym 4.096 ms, preamble 12.25 symbols = 50.176 ms. Health: 13 + 16 bytes,
     * ceil((8*29 - 36 + 44) / 36) = 7, 8 + 7*5 = 43 symbols = 176.128 ms: 226.304 ms.
     * Anomaly summary: 13 + 8 bytes, ceil(176 / 36) = 5, 33 symbols: 185.344 ms. */
    double tx_s = 4 * 0.226304 + 144 * 0.185344; /* every 6 h, every 10 min */
    double rx_s = 148 * 2 * 8 * 0.004096;        /* 2 windows of 8 symbols at SF9 */
    double radio = (tx_s * 25500.0 + rx_s * 4820.0) / 86400.0 + 0.6; /* + radio asleep */
    double total = compute + sensing + sleep + radio;

    (void)state;
    write_file("[budget]\nfirmware = tuned\nhealth_s = 21600\n"
               "[profile.turbine]\nlisten_s = 2.5\nevery_s = 600\n"
               "[profile.elephant]\nlisten_s = 6\nevery_s = 60\n");
    budget_defaults(&in, DSP_PROFILE_TURBINE, true);
    assert_int_equal(budget_load(path, &in, err, sizeof(err)), 0);
    unlink(path);
    assert_int_equal(budget_compute(b, &in, &out, err, sizeof(err)), 0);
    assert_close(out.listen_share, l);
    assert_close(out.run_share, run_share);
    assert_close(out.compute_ua, compute);
    assert_close(out.sensing_ua, sensing);
    assert_close(out.sleep_ua, sleep);
    assert_close(out.tx_s_per_day, tx_s);
    assert_close(out.rx_s_per_day, rx_s);
    assert_close(out.radio_ua, radio);
    assert_close(out.total_ua, total);
    assert_close(total, 15.51966); /* the sum, worked out on paper (SysTick: 0.0175 uA) */
    /* 2xAA: 3500 mAh x 0.8 usable / 15.52 uA = 180,417 h = 7,517 days */
    assert_close(budget_life_days(3500, total), 3500 * 0.8 / (total / 1000) / 24);
    assert_true(budget_life_days(3500, total) > 7516 && budget_life_days(3500, total) < 7519);
}

/* The as-built elephant: everything on, all the time (the estimate: ~2.6 mA). */
static void test_budget_as_built_elephant(void **state)
{
    const struct currents_board *b = currents_board("stm32wl55");
    struct budget_in in;
    struct budget_out out;
    char err[200];
    double run_share = (1000.0 / 1024.0) * (550098.0 * 1.3 / 48e6) + 60.0 / 48e6 * 2000.0;
    double tx_s = 96 * 0.226304 + 24 * (0.050176 + 0.004096 * 33); /* 13 + 7 bytes: 33 sym */

    (void)state;
    budget_defaults(&in, DSP_PROFILE_ELEPHANT, false);
    assert_int_equal(budget_compute(b, &in, &out, err, sizeof(err)), 0);
    assert_close(out.compute_ua, 101.0 * 48.0 * run_share);       /* LDO */
    assert_close(out.sensing_ua, 280.0 + 200.0);                  /* front end + ADC left on */
    assert_close(out.sleep_ua, (1 - run_share) * 29.0 * 48.0);    /* Sleep at 48 MHz */
    assert_close(out.radio_ua, tx_s * 25500.0 / 86400.0 + 600.0); /* standby, no RX windows */
}

static void test_budget_load_errors(void **state)
{
    struct budget_in in;
    char err[200];

    (void)state;
    budget_defaults(&in, DSP_PROFILE_WHALE, true);
    write_file("[budget]\nsf = 9\nhealth_s = 30\n");
    assert_int_equal(budget_load(path, &in, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":3: [budget] health_s"));
    unlink(path);
    write_file("[budget]\nsf = 9\n[profile.cat]\nsf = 7\n");
    assert_int_equal(budget_load(path, &in, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":4: [profile.cat]: unknown profile"));
    unlink(path);
    write_file("[radio]\nsf = 9\n");
    assert_int_equal(budget_load(path, &in, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown section [radio]"));
    unlink(path);
    write_file("[profile.turbine]\nsf = 13\n"); /* another profile's key is checked too */
    assert_int_equal(budget_load(path, &in, err, sizeof(err)), -1);
    unlink(path);
    assert_int_equal(in.sf, 9); /* nothing applied by a failed load */
    assert_int_equal(budget_load("/nonexistent/x.ini", &in, err, sizeof(err)), -1);
}

/* The profile's section wins over [budget] wherever it stands in the file. */
static void test_budget_load_profile_wins(void **state)
{
    struct budget_in in;
    char err[200];

    (void)state;
    budget_defaults(&in, DSP_PROFILE_WHALE, true);
    write_file("[profile.whale]\nsf = 12\n[budget]\nsf = 7\nwake_on_sound = yes\n"
               "[profile.turbine]\nsf = 10\n");
    assert_int_equal(budget_load(path, &in, err, sizeof(err)), 0);
    unlink(path);
    assert_int_equal(in.sf, 12);
    assert_true(in.wake_on_sound);
}

static void test_budget_compute_refuses(void **state)
{
    const struct currents_board *b = currents_board("stm32wl55");
    struct budget_in in;
    struct budget_out out;
    char err[200];

    (void)state;
    budget_defaults(&in, DSP_PROFILE_WHALE, true);
    in.listen_s = 10;
    in.every_s = 5;
    assert_int_equal(budget_compute(b, &in, &out, err, sizeof(err)), -1);
}

/* Every figure names where it comes from; the table has all the budget needs. */
static void test_currents_every_figure_has_a_source(void **state)
{
    const struct currents_board *b = currents_board("stm32wl55");
    const struct currents_battery *bat;
    size_t n;
    size_t i;

    (void)state;
    assert_non_null(b);
    assert_null(currents_check(b));
    for (i = 0; i < b->count; i++) {
        assert_true(strlen(b->figures[i].source) > 10);
    }
    bat = currents_batteries(&n);
    assert_int_equal(n, 3);
    for (i = 0; i < n; i++) {
        assert_true(strlen(bat[i].source) > 10);
    }
    assert_true(currents_battery("cr2032")->mah == 225);
    assert_null(currents_battery("aaa"));
    assert_null(currents_board("esp32"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget_turbine_duty_cycled_by_hand),
        cmocka_unit_test(test_budget_as_built_elephant),
        cmocka_unit_test(test_budget_load_errors),
        cmocka_unit_test(test_budget_load_profile_wins),
        cmocka_unit_test(test_budget_compute_refuses),
        cmocka_unit_test(test_currents_every_figure_has_a_source),
    };

    return cmocka_run_group_tests_name("test_budget", tests, NULL, NULL);
}
