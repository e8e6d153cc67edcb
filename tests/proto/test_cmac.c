/* SPDX-License-Identifier: MIT
 * AES-CMAC against RFC 4493 section 4 (subkeys and the four examples), the incremental
 * interface split at every point, and the constant-time comparison.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/cmac.h"
#include "unhex.h"

static const char rfc_key[] = "2b7e1516 28aed2a6 abf71588 09cf4f3c";
static const char rfc_msg[] = "6bc1bee2 2e409f96 e93d7e11 7393172a"
                              "ae2d8a57 1e03ac9c 9eb76fac 45af8e51"
                              "30c81c46 a35ce411 e5fbc119 1a0a52ef"
                              "f69f2445 df4f9b17 ad2b417b e66c3710";

struct cmac_vector {
    size_t len;
    const char *tag;
};

static const struct cmac_vector examples[] = {
    {0, "bb1d6929 e9593728 7fa37d12 9b756746"},
    {16, "070a16b4 6b4d4144 f79bdd9d d04a287c"},
    {40, "dfa66747 de9ae630 30ca3261 1497c827"},
    {64, "51f0bebf 7e3b9d92 fc497417 79363cfe"},
};

static void test_proto_cmac_init_subkeys(void **state)
{
    struct proto_cmac ctx;
    uint8_t key[16];
    uint8_t k1[16];
    uint8_t k2[16];

    (void)state;
    assert_int_equal(unhex(rfc_key, key, sizeof(key)), 16);
    assert_int_equal(unhex("fbeed618 35713366 7c85e08f 7236a8de", k1, sizeof(k1)), 16);
    assert_int_equal(unhex("f7ddac30 6ae266cc f90bc11e e46d513b", k2, sizeof(k2)), 16);
    proto_cmac_init(&ctx, key);
    assert_memory_equal(ctx.k1, k1, 16);
    assert_memory_equal(ctx.k2, k2, 16);
}

static void test_proto_cmac_rfc4493_examples(void **state)
{
    uint8_t key[16];
    uint8_t msg[64];

    (void)state;
    assert_int_equal(unhex(rfc_key, key, sizeof(key)), 16);
    assert_int_equal(unhex(rfc_msg, msg, sizeof(msg)), 64);
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
        uint8_t want[16];
        uint8_t got[16];

        print_message("example %zu: %zu bytes\n", i + 1, examples[i].len);
        assert_int_equal(unhex(examples[i].tag, want, sizeof(want)), 16);
        proto_cmac(key, msg, examples[i].len, got);
        assert_memory_equal(got, want, 16);
    }
}

/* Any split of the message over two updates, and byte-at-a-time feeding, give the same tag. */
static void test_proto_cmac_update_any_split(void **state)
{
    uint8_t key[16];
    uint8_t msg[64];

    (void)state;
    assert_int_equal(unhex(rfc_key, key, sizeof(key)), 16);
    assert_int_equal(unhex(rfc_msg, msg, sizeof(msg)), 64);
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
        size_t len = examples[i].len;
        uint8_t want[16];

        assert_int_equal(unhex(examples[i].tag, want, sizeof(want)), 16);
        for (size_t cut = 0; cut <= len; cut++) {
            struct proto_cmac ctx;
            uint8_t got[16];

            proto_cmac_init(&ctx, key);
            proto_cmac_update(&ctx, msg, cut);
            proto_cmac_update(&ctx, msg + cut, len - cut);
            proto_cmac_final(&ctx, got);
            assert_memory_equal(got, want, 16);
        }
        {
            struct proto_cmac ctx;
            uint8_t got[16];

            proto_cmac_init(&ctx, key);
            for (size_t b = 0; b < len; b++) {
                proto_cmac_update(&ctx, msg + b, 1);
            }
            proto_cmac_final(&ctx, got);
            assert_memory_equal(got, want, 16);
        }
    }
}

static void test_proto_ct_equal_cases(void **state)
{
    const uint8_t a[4] = {1, 2, 3, 4};
    uint8_t b[4] = {1, 2, 3, 4};

    (void)state;
    assert_int_equal(proto_ct_equal(a, b, 4), 1);
    assert_int_equal(proto_ct_equal(a, b, 0), 1);
    for (size_t i = 0; i < 4; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(proto_ct_equal(a, b, 4), 0);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_cmac_init_subkeys),
        cmocka_unit_test(test_proto_cmac_rfc4493_examples),
        cmocka_unit_test(test_proto_cmac_update_any_split),
        cmocka_unit_test(test_proto_ct_equal_cases),
    };
    return cmocka_run_group_tests_name("cmac", tests, NULL, NULL);
}
