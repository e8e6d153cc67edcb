/* SPDX-License-Identifier: MIT
 * CRC-32 (IEEE 802.3) against the catalogue's check value and zlib's results, including
 * zlib-style continuation over split input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/crc32.h"

/* IEEE CRC-32 check value (e.g. the CRC RevEng catalogue, "CRC-32/ISO-HDLC"): "123456789". */
static void test_proto_crc32_check_value(void **state)
{
    (void)state;
    assert_int_equal(proto_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    assert_int_equal(proto_crc32(0, NULL, 0), 0);
}

/* zlib: crc32(0, "a", 1) = 0xE8B7BE43; crc32 of 32 zero bytes = 0x190A55AD. */
static void test_proto_crc32_zlib_values(void **state)
{
    uint8_t z[32];

    (void)state;
    assert_int_equal(proto_crc32(0, (const uint8_t *)"a", 1), 0xE8B7BE43u);
    memset(z, 0, sizeof(z));
    assert_int_equal(proto_crc32(0, z, sizeof(z)), 0x190A55ADu);
    /* PNG's IEND chunk: the CRC over its type alone, as every PNG file ends with it. */
    assert_int_equal(proto_crc32(0, (const uint8_t *)"IEND", 4), 0xAE426082u);
}

/* Continuation as zlib does it: crc32(crc32(0, a), b) == crc32(0, a || b). */
static void test_proto_crc32_continuation(void **state)
{
    (void)state;
    assert_int_equal(
        proto_crc32(proto_crc32(0, (const uint8_t *)"1234", 4), (const uint8_t *)"56789", 5),
        0xCBF43926u);
    assert_int_equal(proto_crc32(proto_crc32(0, (const uint8_t *)"123456789", 9), NULL, 0),
                     0xCBF43926u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_crc32_check_value),
        cmocka_unit_test(test_proto_crc32_zlib_values),
        cmocka_unit_test(test_proto_crc32_continuation),
    };

    return cmocka_run_group_tests_name("test_crc32", tests, NULL, NULL);
}
