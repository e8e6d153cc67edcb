/* SPDX-License-Identifier: MIT
 * The regional parameters table (daemon/ingest/region.c), EU868: RX1 on the uplink's channel
 * and data rate 1 s after it, RX2 on 869.525 MHz SF12BW125 2 s after it, the concentrator
 * counter's wrap, the sub-band of each default channel with its duty cycle, and refusals
 * (FSK or unknown data rate, a frequency outside the band).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/region.h"

static void test_region_eu868_windows(void **state)
{
    const struct region *r = region_find("EU868");
    struct region_window w;

    (void)state;
    assert_non_null(r);
    assert_null(region_find("eu868"));
    assert_null(region_find("US915"));
    assert_int_equal(region_rx1(r, 5000000u, 868300000u, "SF9BW125", &w), 0);
    assert_int_equal(w.tmst, 6000000u);
    assert_int_equal(w.freq_hz, 868300000u);
    assert_string_equal(w.datr, "SF9BW125");
    assert_int_equal(w.power_dbm, 14);
    assert_int_equal(r->subbands[w.subband].duty_permille, 10);
    assert_int_equal(region_rx2(r, 5000000u, &w), 0);
    assert_int_equal(w.tmst, 7000000u);
    assert_int_equal(w.freq_hz, 869525000u);
    assert_string_equal(w.datr, "SF12BW125");
    assert_int_equal(w.power_dbm, 27);
    assert_int_equal(r->subbands[w.subband].duty_permille, 100);
    /* tmst wraps at 2^32 us; the window wraps with it. */
    assert_int_equal(region_rx1(r, 0xFFFFFFFFu - 499999u, 868100000u, "SF7BW125", &w), 0);
    assert_int_equal(w.tmst, 500000u);
}

static void test_region_eu868_refusals(void **state)
{
    const struct region *r = region_find("EU868");
    struct region_window w;

    (void)state;
    assert_int_equal(region_rx1(r, 0, 868100000u, "50000", &w), -EINVAL);
    assert_int_equal(region_rx1(r, 0, 868100000u, "SF7BW250", &w), -EINVAL);
    assert_int_equal(region_rx1(r, 0, 868100000u, "SF6BW125", &w), -EINVAL);
    assert_int_equal(region_rx1(r, 0, 868100000u, NULL, &w), -EINVAL);
    assert_int_equal(region_rx1(r, 0, 915000000u, "SF7BW125", &w), -ENOENT);
    assert_int_equal(region_subband_of(r, 869300000u), -ENOENT); /* between sub-bands */
    assert_int_equal(region_subband_of(r, 862999999u), -ENOENT);
    assert_int_equal(region_subband_of(r, 863000000u), 0);
    assert_int_equal(region_subband_of(r, 870000000u), 5);
    assert_int_equal(r->subbands[region_subband_of(r, 864000000u)].duty_permille, 1);
}

/* Semtech AN1200.13 by hand: SF7 12 bytes without CRC: Tsym 1024 us, 12.25 + 28 symbols;
 * SF12 (low data rate optimisation): Tsym 32768 us, 12.25 + 18 symbols (991.232 ms). */
static void test_region_airtime(void **state)
{
    (void)state;
    assert_int_equal(region_airtime_us("SF7BW125", 12, false), 41216);
    assert_int_equal(region_airtime_us("SF12BW125", 12, false), 991232);
    assert_int_equal(region_airtime_us("SF9BW125", 12, false), 144384);
    /* The CRC adds 16 bits: SF7 20 bytes, 176 / 28 -> 7 blocks of 5 symbols. */
    assert_int_equal(region_airtime_us("SF7BW125", 20, true), 12544 + 43 * 1024);
    assert_int_equal(region_airtime_us("SF7BW250", 12, false), 41216 / 2);
    assert_int_equal(region_airtime_us("SF6BW125", 12, false), -EINVAL);
    assert_int_equal(region_airtime_us("SF7BW126", 12, false), -EINVAL);
    assert_int_equal(region_airtime_us("SF7BW125", 256, false), -EINVAL);
    assert_int_equal(region_airtime_us(NULL, 12, false), -EINVAL);
}

/* 1 % of an hour is 36 s; the 10 % RX2 band 360 s. Slots age out after the hour. */
static void test_region_duty(void **state)
{
    const struct region *r = region_find("EU868");
    struct region_duty d;
    const uint64_t t0 = 10u * 3600000u;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_true(region_duty_allows(r, &d, 2, t0, 36000000));
    assert_false(region_duty_allows(r, &d, 2, t0, 36000001));
    region_duty_charge(&d, 2, t0, 35000000);
    assert_true(region_duty_allows(r, &d, 2, t0 + 1000, 1000000));
    assert_false(region_duty_allows(r, &d, 2, t0 + 1000, 1000001));
    /* Another sub-band has its own budget. */
    assert_true(region_duty_allows(r, &d, 4, t0, 360000000));
    assert_false(region_duty_allows(r, &d, 3, t0, 3600001)); /* 0.1 % */
    /* 59 minutes later the charge still counts, an hour and a slot later it does not. */
    assert_false(region_duty_allows(r, &d, 2, t0 + 59u * 60000u, 1000001));
    assert_true(region_duty_allows(r, &d, 2, t0 + 65u * 60000u, 36000000));
    assert_false(region_duty_allows(r, &d, 9, t0, 1));
}

/* RX1 needs the downlink at the forwarder margin ms before the 1 s delay, RX2 before 2 s. */
static void test_region_pick(void **state)
{
    const struct region *r = region_find("EU868");

    (void)state;
    assert_int_equal(region_pick(r, 200, 100), REGION_RX1);
    assert_int_equal(region_pick(r, 900, 100), REGION_RX1);
    assert_int_equal(region_pick(r, 901, 100), REGION_RX2);
    assert_int_equal(region_pick(r, 1900, 100), REGION_RX2);
    assert_int_equal(region_pick(r, 1901, 100), REGION_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_eu868_windows), cmocka_unit_test(test_region_eu868_refusals),
        cmocka_unit_test(test_region_airtime),       cmocka_unit_test(test_region_duty),
        cmocka_unit_test(test_region_pick),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
