/* SPDX-License-Identifier: MIT
 * The frame counter in non-volatile storage: written once per K frames, skipping ahead after
 * a reboot, never handing out a value twice across any number of simulated reboots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nodefw/fcnt.h"
#include "node_fake_hal.h"

static void test_fcnt_init_blank_starts_at_zero(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct fcnt c;
    uint32_t v;
    uint32_t i;

    (void)state;
    fake_init(&f, &h);
    assert_int_equal(fcnt_init(&c, &h, 16), FCNT_OK);
    for (i = 0; i < 16; i++) {
        assert_int_equal(fcnt_take(&c, &v), FCNT_OK);
        assert_int_equal(v, i);
    }
    /* One write covered the first 16; the 17th needs the next one. */
    assert_int_equal(f.nv_writes, 1);
    assert_int_equal(fcnt_take(&c, &v), FCNT_OK);
    assert_int_equal(v, 16);
    assert_int_equal(f.nv_writes, 2);
}

static void test_fcnt_reboot_skips_ahead_by_k(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct fcnt c;
    uint32_t v;

    (void)state;
    fake_init(&f, &h);
    assert_int_equal(fcnt_init(&c, &h, 100), FCNT_OK);
    assert_int_equal(fcnt_take(&c, &v), FCNT_OK); /* 0; limit 100 stored */
    assert_int_equal(fcnt_take(&c, &v), FCNT_OK); /* 1 */
    assert_int_equal(v, 1);
    /* Power cut: the RAM state is gone, the record says 100. */
    assert_int_equal(fcnt_init(&c, &h, 100), FCNT_OK);
    assert_int_equal(fcnt_take(&c, &v), FCNT_OK);
    assert_int_equal(v, 100);
    assert_int_equal(f.nv_writes, 2);
    /* A reboot before any frame of this boot: the limit is now 200. */
    assert_int_equal(fcnt_init(&c, &h, 100), FCNT_OK);
    assert_int_equal(fcnt_take(&c, &v), FCNT_OK);
    assert_int_equal(v, 200);
}

/* Many reboots at pseudo-random points: every value is larger than all before it. */
static void test_fcnt_never_reused_across_reboots(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct fcnt c;
    uint32_t v;
    uint32_t last = 0;
    int have = 0;
    int boot;
    uint32_t frames = 0;

    (void)state;
    fake_init(&f, &h);
    for (boot = 0; boot < 200; boot++) {
        uint32_t n = fake_random(&f) % 40u;
        uint32_t i;

        assert_int_equal(fcnt_init(&c, &h, 8), FCNT_OK);
        for (i = 0; i < n; i++) {
            assert_int_equal(fcnt_take(&c, &v), FCNT_OK);
            if (have) {
                assert_true(v > last);
                /* The gap stays within K, well below the gateway's MAX_FCNT_GAP. */
                assert_true(v - last <= 8u);
            }
            last = v;
            have = 1;
            frames++;
        }
    }
    /* Writes: about one per K frames, plus at most one per boot that sent anything. */
    assert_true((uint32_t)f.nv_writes <= frames / 8u + 200u);
    assert_true((uint32_t)f.nv_writes < frames);
}

static void test_fcnt_write_failure_hands_out_nothing(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct fcnt c;
    uint32_t v = 12345;

    (void)state;
    fake_init(&f, &h);
    assert_int_equal(fcnt_init(&c, &h, 4), FCNT_OK);
    f.nv_fail = 1;
    assert_int_equal(fcnt_take(&c, &v), FCNT_EIO);
    assert_int_equal(v, 12345);
    f.nv_fail = 0;
    assert_int_equal(fcnt_take(&c, &v), FCNT_OK);
    assert_int_equal(v, 0);
}

static void test_fcnt_init_corrupt_record(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct fcnt c;
    uint32_t v;

    (void)state;
    fake_init(&f, &h);
    assert_int_equal(fcnt_provision(&h, 5000), FCNT_OK);
    assert_int_equal(fcnt_init(&c, &h, 4), FCNT_OK);
    assert_int_equal(fcnt_take(&c, &v), FCNT_OK);
    assert_int_equal(v, 5000);
    /* One flipped bit in the stored limit: the CRC catches it. */
    f.nv[5] ^= 0x01;
    assert_int_equal(fcnt_init(&c, &h, 4), FCNT_ECORRUPT);
    /* A torn write (short record). */
    f.nv[5] ^= 0x01;
    f.nv_len = 6;
    assert_int_equal(fcnt_init(&c, &h, 4), FCNT_ECORRUPT);
}

static void test_fcnt_init_bad_k(void **state)
{
    struct fake_hal f;
    struct hal h;
    struct fcnt c;

    (void)state;
    fake_init(&f, &h);
    assert_int_equal(fcnt_init(&c, &h, 0), FCNT_EINVAL);
    assert_int_equal(fcnt_init(&c, &h, FCNT_MAX_K + 1u), FCNT_EINVAL);
    assert_int_equal(fcnt_init(&c, &h, FCNT_MAX_K), FCNT_OK);
}

static void test_fcnt_record_layout(void **state)
{
    struct fake_hal f;
    struct hal h;
    /* 'T' 'F' version 1, 0, limit 0x01020304 LE, CRC-16/CCITT-FALSE of the first 8 bytes. */
    static const uint8_t want[FCNT_RECORD_LEN] = {
        'T',  'F',              /* magic */
        1,    0,                /* version, reserved */
        0x04, 0x03, 0x02, 0x01, /* limit */
        0xBC, 0x29,             /* CRC 0x29BC (Python binascii.crc_hqx(record[:8], 0xFFFF)) */
    };

    (void)state;
    fake_init(&f, &h);
    assert_int_equal(fcnt_provision(&h, 0x01020304u), FCNT_OK);
    assert_int_equal(f.nv_len, FCNT_RECORD_LEN);
    assert_memory_equal(f.nv, want, sizeof(want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fcnt_init_blank_starts_at_zero),
        cmocka_unit_test(test_fcnt_reboot_skips_ahead_by_k),
        cmocka_unit_test(test_fcnt_never_reused_across_reboots),
        cmocka_unit_test(test_fcnt_write_failure_hands_out_nothing),
        cmocka_unit_test(test_fcnt_init_corrupt_record),
        cmocka_unit_test(test_fcnt_init_bad_k),
        cmocka_unit_test(test_fcnt_record_layout),
    };

    return cmocka_run_group_tests_name("test_fcnt", tests, NULL, NULL);
}
