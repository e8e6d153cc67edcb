/* SPDX-License-Identifier: MIT
 * AES-128, encrypt direction only (FIPS-197). LoRaWAN needs no AES decryption: FRMPayload
 * is a CTR-like keystream and the MIC is a CMAC, both built from the forward cipher.
 * The key schedule is expanded once into a caller-owned context so a gateway can keep it
 * per node and a node can keep it in static RAM.
 */
#ifndef PROJ_PROTO_AES_H
#define PROJ_PROTO_AES_H

#include <stdint.h>

#define PROTO_AES_BLOCK 16
#define PROTO_AES_KEY   16

struct proto_aes128 {
    uint32_t rk[44]; /* expanded round keys, FIPS-197 section 5.2, big-endian words */
};

/*
 * proto_aes128_init() - expand a 128-bit key.
 * @ctx: out, the context to fill; caller owns it.
 * @key: in, 16 key bytes.
 * Any context; no failure.
 */
void proto_aes128_init(struct proto_aes128 *ctx, const uint8_t key[PROTO_AES_KEY]);

/*
 * proto_aes128_encrypt() - encrypt one 16-byte block.
 * @ctx: in, an initialised context.
 * @in:  in, plaintext block.
 * @out: out, ciphertext block; may be the same buffer as @in.
 * Any context; no failure. Table lookups are on the S-box only (256 bytes); on a
 * Cortex-M without data cache they take constant time.
 */
void proto_aes128_encrypt(const struct proto_aes128 *ctx, const uint8_t in[PROTO_AES_BLOCK],
                          uint8_t out[PROTO_AES_BLOCK]);

/*
 * proto_aes128_decrypt() - the inverse cipher of one block (FIPS-197 section 5.3), with the
 * round keys proto_aes128_init() made. Only the gateway needs it: it "encrypts" a
 * JoinAccept this way (proto/join.h). @in and @out may be the same buffer.
 */
void proto_aes128_decrypt(const struct proto_aes128 *ctx, const uint8_t in[PROTO_AES_BLOCK],
                          uint8_t out[PROTO_AES_BLOCK]);

#endif
