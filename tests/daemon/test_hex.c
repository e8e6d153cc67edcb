/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/util/hex.c: byte strings, 16-byte keys and DevAddrs, good and bad, each
 * refusal checked for its return code and for the words of its message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "util/hex.h"

#define NO_ERR ""

struct decode_case {
    const char *in;
    size_t cap;
    int want_rc; /* byte count or negative errno */
    uint8_t want[8];
    const char *want_err; /* substring of the message, NO_ERR on success */
};

static const struct decode_case decode_cases[] = {
    {"", 8, 0, {0}, NO_ERR},
    {"00", 8, 1, {0x00}, NO_ERR},
    {"ff", 8, 1, {0xFF}, NO_ERR},
    {"aBcD", 8, 2, {0xAB, 0xCD}, NO_ERR},
    {"0123456789abcdef", 8, 8, {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF}, NO_ERR},
    {"0123456789ABCDEF", 8, 8, {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF}, NO_ERR},
    {"", 0, 0, {0}, NO_ERR},
    {"0", 8, -EINVAL, {0}, "odd number of hex digits (1)"},
    {"abc", 8, -EINVAL, {0}, "odd number of hex digits (3)"},
    {"0g", 8, -EILSEQ, {0}, "invalid hex digit 'g' at position 2"},
    {"zz", 8, -EILSEQ, {0}, "invalid hex digit 'z' at position 1"},
    {"0x12", 8, -EILSEQ, {0}, "invalid hex digit 'x' at position 2"},
    {"12 34", 8, -EILSEQ, {0}, "invalid hex digit ' ' at position 3"},
    {"12\t4", 8, -EILSEQ, {0}, "invalid byte 0x09 at position 3"},
    {"12\xc3\xa9", 8, -EILSEQ, {0}, "invalid byte 0xC3 at position 3"},
    {"abc!", 8, -EILSEQ, {0}, "'!' at position 4"}, /* a bad digit is reported before odd */
    {"001122", 2, -EMSGSIZE, {0}, "too long: 3 bytes, at most 2"},
    {"00", 0, -EMSGSIZE, {0}, "too long: 1 bytes, at most 0"},
};

static void test_hex_decode_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
        const struct decode_case *tc = &decode_cases[i];
        uint8_t out[8];
        char err[HEX_ERR_LEN] = "";
        int rc;

        memset(out, 0xA5, sizeof(out));
        rc = hex_decode(tc->in, tc->cap > 0 ? out : NULL, tc->cap, err, sizeof(err));
        if (rc != tc->want_rc || strstr(err, tc->want_err) == NULL) {
            fail_msg("case %zu \"%s\": rc %d (want %d), message \"%s\" (want \"%s\")", i, tc->in,
                     rc, tc->want_rc, err, tc->want_err);
        }
        if (rc >= 0) {
            assert_memory_equal(out, tc->want, (size_t)rc);
            assert_string_equal(err, "");
        }
    }
}

static void test_hex_decode_no_err_buffer(void **state)
{
    uint8_t out[2];

    (void)state;
    assert_int_equal(hex_decode("0", out, sizeof(out), NULL, 0), -EINVAL);
    assert_int_equal(hex_decode("q0", out, sizeof(out), NULL, 0), -EILSEQ);
    assert_int_equal(hex_decode("beef", out, sizeof(out), NULL, 0), 2);
    assert_int_equal(hex_decode(NULL, out, sizeof(out), NULL, 0), -EINVAL);
}

static void test_hex_decode_err_truncated(void **state)
{
    uint8_t out[2];
    char err[8];

    (void)state;
    memset(err, 'x', sizeof(err));
    assert_int_equal(hex_decode("abc", out, sizeof(out), err, sizeof(err)), -EINVAL);
    assert_int_equal(strlen(err), sizeof(err) - 1);
}

struct key_case {
    const char *in;
    int want_rc;
    const char *want_err;
};

static const struct key_case key_cases[] = {
    {"000102030405060708090a0b0c0d0e0f", 0, NO_ERR},
    {"000102030405060708090A0B0C0D0E0F", 0, NO_ERR},
    {"", -EINVAL, "must be 32 hex digits (16 bytes), got 0"},
    {"000102030405060708090a0b0c0d0e", -EINVAL, "must be 32 hex digits (16 bytes), got 30"},
    {"000102030405060708090a0b0c0d0e0", -EINVAL, "got 31"},
    {"000102030405060708090a0b0c0d0e0f00", -EINVAL, "got 34"},
    {"000102030405060708090a0b0c0d0e0g", -EILSEQ, "invalid hex digit 'g' at position 32"},
    {"0x0102030405060708090a0b0c0d0e0f", -EILSEQ, "'x' at position 2"},
};

static void test_hex_decode_key_table(void **state)
{
    static const uint8_t want[HEX_KEY_LEN] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                              0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
        const struct key_case *tc = &key_cases[i];
        uint8_t key[HEX_KEY_LEN];
        char err[HEX_ERR_LEN] = "";
        int rc;

        rc = hex_decode_key(tc->in, key, err, sizeof(err));
        if (rc != tc->want_rc || strstr(err, tc->want_err) == NULL) {
            fail_msg("case %zu \"%s\": rc %d (want %d), message \"%s\" (want \"%s\")", i, tc->in,
                     rc, tc->want_rc, err, tc->want_err);
        }
        if (rc == 0) {
            assert_memory_equal(key, want, sizeof(want));
        }
    }
}

/* A refusal must not repeat the key, which may be nearly right and is secret. */
static void test_hex_decode_key_err_hides_key(void **state)
{
    static const char nearly[] = "2B7E151628AED2A6ABF7158809CF4F3";
    uint8_t key[HEX_KEY_LEN];
    char err[HEX_ERR_LEN] = "";

    (void)state;
    assert_int_equal(hex_decode_key(nearly, key, err, sizeof(err)), -EINVAL);
    assert_null(strstr(err, "2B7E"));
    assert_null(strstr(err, "4F3"));
}

struct devaddr_case {
    const char *in;
    int want_rc;
    uint32_t want;
    const char *want_err;
};

static const struct devaddr_case devaddr_cases[] = {
    {"26011F00", 0, 0x26011F00u, NO_ERR},
    {"26011f00", 0, 0x26011F00u, NO_ERR},
    {"00000000", 0, 0x00000000u, NO_ERR},
    {"FFFFFFFF", 0, 0xFFFFFFFFu, NO_ERR},
    {"", -EINVAL, 0, "must be exactly 8 hex digits, got 0"},
    {"26011F0", -EINVAL, 0, "must be exactly 8 hex digits, got 7"},
    {"26011F000", -EINVAL, 0, "got 9"},
    {"2601", -EINVAL, 0, "got 4"},
    {"0x26011F00", -EILSEQ, 0, "invalid hex digit 'x' at position 2"},
    {"26011G00", -EILSEQ, 0, "invalid hex digit 'G' at position 6"},
};

static void test_hex_decode_devaddr_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(devaddr_cases) / sizeof(devaddr_cases[0]); i++) {
        const struct devaddr_case *tc = &devaddr_cases[i];
        uint32_t got = 0xDEADBEEFu;
        char err[HEX_ERR_LEN] = "";
        int rc;

        rc = hex_decode_devaddr(tc->in, &got, err, sizeof(err));
        if (rc != tc->want_rc || strstr(err, tc->want_err) == NULL) {
            fail_msg("case %zu \"%s\": rc %d (want %d), message \"%s\" (want \"%s\")", i, tc->in,
                     rc, tc->want_rc, err, tc->want_err);
        }
        if (rc == 0) {
            assert_int_equal(got, tc->want);
        } else {
            assert_int_equal(got, 0xDEADBEEFu); /* unchanged on failure */
        }
    }
}

static void test_hex_encode_upper(void **state)
{
    static const uint8_t in[] = {0x00, 0x01, 0xAB, 0xCD, 0xEF, 0x7F, 0x80, 0xFF};
    char out[2 * sizeof(in) + 1];

    (void)state;
    assert_int_equal(hex_encode(in, sizeof(in), out, sizeof(out)), 16);
    assert_string_equal(out, "0001ABCDEF7F80FF");
}

static void test_hex_encode_empty(void **state)
{
    char out[1] = {'x'};

    (void)state;
    assert_int_equal(hex_encode(NULL, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

static void test_hex_encode_no_room(void **state)
{
    static const uint8_t in[] = {0x12, 0x34};
    char out[4] = {'x', 'x', 'x', 'x'}; /* needs 5: no room for the NUL */

    (void)state;
    assert_int_equal(hex_encode(in, sizeof(in), out, sizeof(out)), -ENOSPC);
    assert_string_equal(out, "");
    assert_int_equal(hex_encode(in, sizeof(in), out, 0), -ENOSPC);
}

/* Text -> bytes -> text gives the upper-case form of the input for every byte value. */
static void test_hex_round_trip_all_bytes(void **state)
{
    uint8_t bytes[256];
    uint8_t back[256];
    char text[2 * sizeof(bytes) + 1];
    unsigned i;

    (void)state;
    for (i = 0; i < sizeof(bytes); i++) {
        bytes[i] = (uint8_t)i;
    }
    assert_int_equal(hex_encode(bytes, sizeof(bytes), text, sizeof(text)), 512);
    assert_int_equal(hex_decode(text, back, sizeof(back), NULL, 0), 256);
    assert_memory_equal(bytes, back, sizeof(bytes));
}

static void test_hex_format_devaddr(void **state)
{
    char out[HEX_DEVADDR_STR_LEN];

    (void)state;
    hex_format_devaddr(0x26011F00u, out);
    assert_string_equal(out, "26011F00");
    hex_format_devaddr(0x0000000Au, out);
    assert_string_equal(out, "0000000A");
    hex_format_devaddr(0xFFFFFFFFu, out);
    assert_string_equal(out, "FFFFFFFF");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_decode_table),
        cmocka_unit_test(test_hex_decode_no_err_buffer),
        cmocka_unit_test(test_hex_decode_err_truncated),
        cmocka_unit_test(test_hex_decode_key_table),
        cmocka_unit_test(test_hex_decode_key_err_hides_key),
        cmocka_unit_test(test_hex_decode_devaddr_table),
        cmocka_unit_test(test_hex_encode_upper),
        cmocka_unit_test(test_hex_encode_empty),
        cmocka_unit_test(test_hex_encode_no_room),
        cmocka_unit_test(test_hex_round_trip_all_bytes),
        cmocka_unit_test(test_hex_format_devaddr),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
