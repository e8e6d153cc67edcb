/* SPDX-License-Identifier: MIT
 * AES-CMAC (RFC 4493) with an incremental interface, so the LoRaWAN MIC can be computed
 * over B0 followed by the frame without copying them into one buffer, and a constant-time
 * comparison for checking tags.
 */
#ifndef PROJ_PROTO_CMAC_H
#define PROJ_PROTO_CMAC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/aes.h"

struct proto_cmac {
    struct proto_aes128 aes;
    uint8_t k1[PROTO_AES_BLOCK];  /* subkey for a complete last block */
    uint8_t k2[PROTO_AES_BLOCK];  /* subkey for a padded last block */
    uint8_t x[PROTO_AES_BLOCK];   /* running CBC state */
    uint8_t buf[PROTO_AES_BLOCK]; /* bytes not yet absorbed; the last block waits here */
    uint8_t buf_len;              /* 0..16 */
};

/*
 * proto_cmac_init() - start a MAC with @key (derives K1 and K2, RFC 4493 section 2.3).
 * @ctx: out, caller-owned context.  @key: in, 16 bytes.
 */
void proto_cmac_init(struct proto_cmac *ctx, const uint8_t key[PROTO_AES_KEY]);

/*
 * proto_cmac_update() - absorb @len bytes of @msg; may be called any number of times.
 * @msg may be NULL when @len is 0.
 */
void proto_cmac_update(struct proto_cmac *ctx, const uint8_t *msg, size_t len);

/*
 * proto_cmac_final() - finish and write the 16-byte tag. @ctx must be re-initialised
 * before it is used again.
 */
void proto_cmac_final(struct proto_cmac *ctx, uint8_t tag[PROTO_AES_BLOCK]);

/*
 * proto_cmac() - one-shot AES-CMAC of @msg under @key into @tag (16 bytes).
 */
void proto_cmac(const uint8_t key[PROTO_AES_KEY], const uint8_t *msg, size_t len,
                uint8_t tag[PROTO_AES_BLOCK]);

/*
 * proto_ct_equal() - compare @len bytes in time that depends only on @len.
 * Return: 1 when equal, 0 otherwise.
 */
int proto_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);

#endif
