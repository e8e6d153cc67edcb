/* SPDX-License-Identifier: MIT
 * Hex text <-> bytes: every digit of both cases, refusals (bad digit, odd length, no room,
 * NULL) that leave the output untouched, and a round trip over all byte values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/hex.h"

static void test_proto_hex_digit_values(void **state)
{
    static const char digits[] = "0123456789abcdef";
    int c;
    int i;

    (void)state;
    for (i = 0; i < 16; i++) {
        assert_int_equal(proto_hex_digit(digits[i]), i);
        assert_int_equal(proto_hex_digit(digits[i] >= 'a' ? digits[i] - 'a' + 'A' : digits[i]), i);
    }
    for (c = -128; c < 256; c++) {
        int want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

        assert_int_equal(proto_hex_digit(c) >= 0, want);
    }
}

static void test_proto_hex_decode_bytes(void **state)
{
    uint8_t out[4];

    (void)state;
    assert_int_equal(proto_hex_decode("26011f00", 8, out, sizeof(out)), 4);
    assert_int_equal(out[0], 0x26); /* most significant first, as written */
    assert_int_equal(out[1], 0x01);
    assert_int_equal(out[2], 0x1F);
    assert_int_equal(out[3], 0x00);
    /* @len, not the NUL, ends the input. */
    assert_int_equal(proto_hex_decode("ABCDxx", 4, out, sizeof(out)), 2);
    assert_int_equal(out[0], 0xAB);
    assert_int_equal(out[1], 0xCD);
    assert_int_equal(proto_hex_decode(NULL, 0, NULL, 0), 0);
}

static void test_proto_hex_decode_refused(void **state)
{
    static const struct {
        const char *s;
        size_t cap;
        int want;
    } cases[] = {
        {"0g", 4, PROTO_EINVAL},         /* not a digit */
        {"0 12", 4, PROTO_EINVAL},       /* no spaces */
        {"0x12", 4, PROTO_EINVAL},       /* no prefix */
        {"123", 4, PROTO_EINVAL},        /* odd number of digits */
        {"0102030405", 4, PROTO_ENOSPC}, /* five bytes, room for four */
    };
    uint8_t out[4];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(out, 0xEE, sizeof(out));
        assert_int_equal(proto_hex_decode(cases[i].s, strlen(cases[i].s), out, cases[i].cap),
                         cases[i].want);
        assert_int_equal(out[0], 0xEE); /* untouched */
    }
    assert_int_equal(proto_hex_decode(NULL, 2, out, sizeof(out)), PROTO_EINVAL);
    assert_int_equal(proto_hex_decode("00", 2, NULL, 1), PROTO_EINVAL);
}

static void test_proto_hex_encode_round_trip(void **state)
{
    uint8_t in[256];
    uint8_t back[256];
    char text[2 * 256 + 1];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(in); i++) {
        in[i] = (uint8_t)i;
    }
    assert_int_equal(proto_hex_encode(in, sizeof(in), text, sizeof(text)), 512);
    assert_int_equal(strlen(text), 512);
    assert_memory_equal(text, "000102", 6);
    assert_string_equal(text + 500, "FAFBFCFDFEFF"); /* upper case */
    assert_int_equal(proto_hex_decode(text, 512, back, sizeof(back)), 256);
    assert_memory_equal(back, in, sizeof(in));
}

static void test_proto_hex_encode_refused(void **state)
{
    static const uint8_t in[2] = {0x12, 0x34};
    char text[5];

    (void)state;
    memset(text, 'x', sizeof(text));
    assert_int_equal(proto_hex_encode(in, 2, text, 4), PROTO_ENOSPC); /* no room for the NUL */
    assert_string_equal(text, "");
    assert_int_equal(proto_hex_encode(in, 2, text, 5), 4);
    assert_string_equal(text, "1234");
    assert_int_equal(proto_hex_encode(NULL, 1, text, sizeof(text)), PROTO_EINVAL);
    assert_int_equal(proto_hex_encode(in, 1, NULL, 0), PROTO_EINVAL);
    assert_int_equal(proto_hex_encode(NULL, 0, text, 1), 0);
    assert_string_equal(text, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_hex_digit_values),
        cmocka_unit_test(test_proto_hex_decode_bytes),
        cmocka_unit_test(test_proto_hex_decode_refused),
        cmocka_unit_test(test_proto_hex_encode_round_trip),
        cmocka_unit_test(test_proto_hex_encode_refused),
    };

    return cmocka_run_group_tests_name("test_hex", tests, NULL, NULL);
}
