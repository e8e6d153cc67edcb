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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_eu868_windows),
        cmocka_unit_test(test_region_eu868_refusals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
