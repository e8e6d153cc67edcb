/* SPDX-License-Identifier: MIT
 * AES-128 against FIPS-197 (Appendix A.1 key expansion, Appendix B and C.1 ciphers) and
 * the ECB-AES128 vectors of NIST SP 800-38A, F.1.1, each through proto_aes128_encrypt()
 * (AES-NI where the CPU has it) and through the C cipher a node runs; and the two agreeing
 * on a chain of blocks and keys each made from the last.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/aes.h"
#include "proto/aes_int.h"
#include "unhex.h"

struct aes_vector {
    const char *name;
    const char *key;
    const char *plain;
    const char *cipher;
};

static const struct aes_vector vectors[] = {
    {"FIPS-197 B", "2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734",
     "3925841d02dc09fbdc118597196a0b32"},
    {"FIPS-197 C.1", "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
     "69c4e0d86a7b0430d8cdb78070b4c55a"},
    {"SP800-38A F.1.1 #1", "2b7e151628aed2a6abf7158809cf4f3c", "6bc1bee22e409f96e93d7e117393172a",
     "3ad77bb40d7a3660a89ecaf32466ef97"},
    {"SP800-38A F.1.1 #2", "2b7e151628aed2a6abf7158809cf4f3c", "ae2d8a571e03ac9c9eb76fac45af8e51",
     "f5d3d58503b9699de785895a96fdbaaf"},
    {"SP800-38A F.1.1 #3", "2b7e151628aed2a6abf7158809cf4f3c", "30c81c46a35ce411e5fbc1191a0a52ef",
     "43b1cd7f598ece23881b00e3ed030688"},
    {"SP800-38A F.1.1 #4", "2b7e151628aed2a6abf7158809cf4f3c", "f69f2445df4f9b17ad2b417be66c3710",
     "7b0c785e27e8ad3f8223207104725dd4"},
};

static void test_proto_aes128_encrypt_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        struct proto_aes128 ctx;
        uint8_t key[16];
        uint8_t in[16];
        uint8_t want[16];
        uint8_t got[16];

        print_message("%s\n", vectors[i].name);
        assert_int_equal(unhex(vectors[i].key, key, sizeof(key)), 16);
        assert_int_equal(unhex(vectors[i].plain, in, sizeof(in)), 16);
        assert_int_equal(unhex(vectors[i].cipher, want, sizeof(want)), 16);
        proto_aes128_init(&ctx, key);
        proto_aes128_encrypt(&ctx, in, got);
        assert_memory_equal(got, want, 16);
        proto__aes128_encrypt_c(&ctx, in, got);
        assert_memory_equal(got, want, 16);
    }
}

static void test_proto_aes128_both_ciphers_agree(void **state)
{
    uint8_t key[16] = {0};
    uint8_t block[16] = {0};
    uint8_t c_out[16];

    (void)state;
    for (int i = 0; i < 1000; i++) {
        struct proto_aes128 ctx;

        proto_aes128_init(&ctx, key);
        proto__aes128_encrypt_c(&ctx, block, c_out);
        proto_aes128_encrypt(&ctx, block, block);
        assert_memory_equal(block, c_out, 16);
        for (int j = 0; j < 16; j++) {
            key[j] ^= (uint8_t)(block[j] + i);
        }
    }
}

/* The inverse cipher takes every vector's ciphertext back to its plaintext, in place too, and
 * undoes the forward cipher on a chain of blocks and keys. */
static void test_proto_aes128_decrypt_vectors(void **state)
{
    uint8_t key[16] = {0};
    uint8_t block[16] = {0};

    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        struct proto_aes128 ctx;
        uint8_t in[16];
        uint8_t want[16];
        uint8_t got[16];

        print_message("%s\n", vectors[i].name);
        assert_int_equal(unhex(vectors[i].key, key, sizeof(key)), 16);
        assert_int_equal(unhex(vectors[i].cipher, in, sizeof(in)), 16);
        assert_int_equal(unhex(vectors[i].plain, want, sizeof(want)), 16);
        proto_aes128_init(&ctx, key);
        proto_aes128_decrypt(&ctx, in, got);
        assert_memory_equal(got, want, 16);
        proto_aes128_decrypt(&ctx, in, in);
        assert_memory_equal(in, want, 16);
    }
    for (unsigned i = 0; i < 200; i++) {
        struct proto_aes128 ctx;
        uint8_t enc[16];
        uint8_t back[16];

        proto_aes128_init(&ctx, key);
        proto_aes128_encrypt(&ctx, block, enc);
        proto_aes128_decrypt(&ctx, enc, back);
        assert_memory_equal(back, block, 16);
        memcpy(key, block, 16);
        memcpy(block, enc, 16);
    }
}

static void test_proto_aes128_encrypt_in_place(void **state)
{
    struct proto_aes128 ctx;
    uint8_t key[16];
    uint8_t buf[16];
    uint8_t want[16];

    (void)state;
    assert_int_equal(unhex(vectors[1].key, key, sizeof(key)), 16);
    assert_int_equal(unhex(vectors[1].plain, buf, sizeof(buf)), 16);
    assert_int_equal(unhex(vectors[1].cipher, want, sizeof(want)), 16);
    proto_aes128_init(&ctx, key);
    proto_aes128_encrypt(&ctx, buf, buf);
    assert_memory_equal(buf, want, 16);
}

/* FIPS-197 A.1: the expansion of 2b7e1516... ends with w[40..43] as below. */
static void test_proto_aes128_init_key_expansion(void **state)
{
    struct proto_aes128 ctx;
    uint8_t key[16];

    (void)state;
    assert_int_equal(unhex("2b7e151628aed2a6abf7158809cf4f3c", key, sizeof(key)), 16);
    proto_aes128_init(&ctx, key);
    assert_int_equal(ctx.rk[0], 0x2b7e1516u);
    assert_int_equal(ctx.rk[4], 0xa0fafe17u);
    assert_int_equal(ctx.rk[40], 0xd014f9a8u);
    assert_int_equal(ctx.rk[41], 0xc9ee2589u);
    assert_int_equal(ctx.rk[42], 0xe13f0cc8u);
    assert_int_equal(ctx.rk[43], 0xb6630ca6u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_aes128_encrypt_vectors),
        cmocka_unit_test(test_proto_aes128_encrypt_in_place),
        cmocka_unit_test(test_proto_aes128_decrypt_vectors),
        cmocka_unit_test(test_proto_aes128_both_ciphers_agree),
        cmocka_unit_test(test_proto_aes128_init_key_expansion),
    };
    return cmocka_run_group_tests_name("aes", tests, NULL, NULL);
}
