/* SPDX-License-Identifier: MIT
 * LoRa time on air against the Semtech formula in double precision, and the EU868 1 %
 * budget: what fits in an hour, the refusal past it (counted, nothing charged), and when
 * sending becomes possible again.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nodefw/dutycycle.h"

static struct hal_lora_tx mod(uint8_t sf, uint16_t bw, uint8_t cr, bool ldro)
{
    struct hal_lora_tx tx = {
        .freq_hz = 868100000u,
        .sf = sf,
        .bw_khz = bw,
        .cr = cr,
        .preamble = 8,
        .explicit_header = true,
        .crc = true,
        .low_dr_optimize = ldro,
        .power_dbm = 14,
    };
    return tx;
}

/* Semtech AN1200.13, in floating point, as an independent reference. */
static double ref_toa_us(const struct hal_lora_tx *tx, size_t pl)
{
    double ts = pow(2.0, tx->sf) / (tx->bw_khz * 1000.0);
    double tpre = (tx->preamble + 4.25) * ts;
    double num =
        8.0 * (double)pl - 4.0 * tx->sf + 28 + (tx->crc ? 16 : 0) - (tx->explicit_header ? 0 : 20);
    double den = 4.0 * (tx->sf - (tx->low_dr_optimize ? 2 : 0));
    double nsym = 8.0 + fmax(ceil(num / den) * (tx->cr + 4), 0.0);

    return (tpre + nsym * ts) * 1e6;
}

static void test_dutycycle_toa_us_known_values(void **state)
{
    struct hal_lora_tx a = mod(7, 125, 1, false);
    struct hal_lora_tx b = mod(12, 125, 1, true);
    struct hal_lora_tx c = mod(9, 125, 1, false);

    (void)state;
    /* 13 bytes at SF7/125 kHz: 46.336 ms (the figure every LoRaWAN airtime table gives). */
    assert_int_equal(dutycycle_toa_us(&a, 13), 46336);
    /* SF12 with LowDataRateOptimize: 12 bytes 1155.072 ms, 51 bytes 2465.792 ms. */
    assert_int_equal(dutycycle_toa_us(&b, 12), 1155072);
    assert_int_equal(dutycycle_toa_us(&b, 51), 2465792);
    /* The node's default SF9, a one-record detection frame (13 + 7 bytes): 185.344 ms. */
    assert_int_equal(dutycycle_toa_us(&c, 20), 185344);
}

static void test_dutycycle_toa_us_matches_reference(void **state)
{
    static const uint16_t bws[] = {125, 250, 500};
    uint8_t sf;
    size_t bi;
    uint8_t cr;
    size_t pl;

    (void)state;
    for (sf = 6; sf <= 12; sf++) {
        for (bi = 0; bi < 3; bi++) {
            for (cr = 1; cr <= 4; cr++) {
                for (pl = 0; pl <= 255; pl++) {
                    struct hal_lora_tx tx = mod(sf, bws[bi], cr, sf >= 11 && bws[bi] == 125);
                    double want = ref_toa_us(&tx, pl);
                    uint32_t got = dutycycle_toa_us(&tx, pl);

                    assert_true(fabs((double)got - want) < 0.5);
                    tx.explicit_header = false;
                    tx.crc = false;
                    assert_true(fabs((double)dutycycle_toa_us(&tx, pl) - ref_toa_us(&tx, pl)) <
                                0.5);
                }
            }
        }
    }
}

static void test_dutycycle_toa_us_bad_parameters(void **state)
{
    struct hal_lora_tx tx = mod(13, 125, 1, false);

    (void)state;
    assert_int_equal(dutycycle_toa_us(&tx, 10), 0);
    tx = mod(7, 200, 1, false);
    assert_int_equal(dutycycle_toa_us(&tx, 10), 0);
    tx = mod(7, 125, 5, false);
    assert_int_equal(dutycycle_toa_us(&tx, 10), 0);
    tx = mod(7, 125, 1, false);
    assert_int_equal(dutycycle_toa_us(&tx, 256), 0);
}

/* SF12 frames of 51 bytes (2.466 s each): 14 fit in 36 s, the 15th is refused. */
static void test_dutycycle_reserve_refuses_past_budget(void **state)
{
    struct hal_lora_tx tx = mod(12, 125, 1, true);
    uint32_t toa = dutycycle_toa_us(&tx, 51);
    struct dutycycle dc;
    uint64_t t = 1000u;
    int i;

    (void)state;
    dutycycle_init(&dc, DUTYCYCLE_REGION_EU868);
    assert_int_equal(36000000u / toa, 14);
    for (i = 0; i < 14; i++) {
        assert_int_equal(dutycycle_reserve(&dc, t, toa), DUTYCYCLE_OK);
        t += 3000u; /* all within the first minute */
    }
    assert_int_equal(dutycycle_reserve(&dc, t, toa), DUTYCYCLE_EBUDGET);
    assert_int_equal(dc.refused, 1);
    assert_int_equal(dc.total_us, 14ull * toa);
    /* Still refused 59 minutes later: the first minute's airtime is still in the hour. */
    assert_int_equal(dutycycle_reserve(&dc, t + 59u * 60000u, toa), DUTYCYCLE_EBUDGET);
    assert_int_equal(dc.refused, 2);
}

static void test_dutycycle_wait_ms_until_the_hour_passes(void **state)
{
    struct hal_lora_tx tx = mod(12, 125, 1, true);
    uint32_t toa = dutycycle_toa_us(&tx, 51);
    struct dutycycle dc;
    uint64_t t0 = 10u * 60000u + 5000u; /* 10:05 into minute 10 */
    uint32_t wait;
    int i;

    (void)state;
    dutycycle_init(&dc, DUTYCYCLE_REGION_EU868);
    for (i = 0; i < 14; i++) {
        assert_int_equal(dutycycle_reserve(&dc, t0, toa), DUTYCYCLE_OK);
    }
    assert_int_equal(dutycycle_wait_ms(&dc, t0, toa), 0 + 61u * 60000u - 5000u);
    wait = dutycycle_wait_ms(&dc, t0, toa);
    /* Minute 10 leaves the window at the start of minute 71: strictly after one hour. */
    assert_true(t0 + wait > t0 + 3600000u);
    assert_int_equal(dutycycle_reserve(&dc, t0 + wait - 1u, toa), DUTYCYCLE_EBUDGET);
    assert_int_equal(dutycycle_reserve(&dc, t0 + wait, toa), DUTYCYCLE_OK);
    /* Nothing else is in the window now: 13 more fit. */
    for (i = 0; i < 13; i++) {
        assert_int_equal(dutycycle_reserve(&dc, t0 + wait, toa), DUTYCYCLE_OK);
    }
    assert_int_equal(dutycycle_reserve(&dc, t0 + wait, toa), DUTYCYCLE_EBUDGET);
    /* A frame longer than the whole budget never fits. */
    assert_int_equal(dutycycle_wait_ms(&dc, t0, 36000001u), UINT32_MAX);
}

/* Spread out: a 20-byte SF12 frame (1.319 s) every 160 s is 0.82 % and never refused (the
 * 61-minute bins allow 36 s per 61 minutes at a steady rate, 0.98 %). */
static void test_dutycycle_reserve_steady_rate(void **state)
{
    struct hal_lora_tx tx = mod(12, 125, 1, true);
    uint32_t toa = dutycycle_toa_us(&tx, 20);
    struct dutycycle dc;
    uint64_t t;

    (void)state;
    assert_int_equal(toa, 1318912);
    dutycycle_init(&dc, DUTYCYCLE_REGION_EU868);
    for (t = 0; t < 5u * 3600000u; t += 160000u) {
        assert_int_equal(dutycycle_reserve(&dc, t, toa), DUTYCYCLE_OK);
    }
    assert_int_equal(dc.refused, 0);
}

static void test_dutycycle_us915_unlimited(void **state)
{
    struct hal_lora_tx tx = mod(10, 125, 1, false);
    struct dutycycle dc;
    int i;

    (void)state;
    dutycycle_init(&dc, DUTYCYCLE_REGION_US915);
    for (i = 0; i < 1000; i++) {
        assert_int_equal(dutycycle_reserve(&dc, 0, dutycycle_toa_us(&tx, 50)), DUTYCYCLE_OK);
    }
    assert_int_equal(dutycycle_wait_ms(&dc, 0, 1000000u), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dutycycle_toa_us_known_values),
        cmocka_unit_test(test_dutycycle_toa_us_matches_reference),
        cmocka_unit_test(test_dutycycle_toa_us_bad_parameters),
        cmocka_unit_test(test_dutycycle_reserve_refuses_past_budget),
        cmocka_unit_test(test_dutycycle_wait_ms_until_the_hour_passes),
        cmocka_unit_test(test_dutycycle_reserve_steady_rate),
        cmocka_unit_test(test_dutycycle_us915_unlimited),
    };

    return cmocka_run_group_tests_name("test_dutycycle", tests, NULL, NULL);
}
