/* SPDX-License-Identifier: MIT
 * AES-CMAC, RFC 4493. The last block of the message is held back in ctx->buf until
 * proto_cmac_final(), because only then is it known whether it is complete (XOR K1) or
 * must be padded (XOR K2).
 */
#include "proto/cmac.h"

#include <string.h>

/* RFC 4493 section 2.3: shift left by one bit; if the top bit fell off, XOR Rb = 0x87. */
static void double_block(const uint8_t in[PROTO_AES_BLOCK], uint8_t out[PROTO_AES_BLOCK])
{
    uint8_t carry = (uint8_t)(in[0] >> 7);

    for (unsigned i = 0; i < PROTO_AES_BLOCK - 1; i++) {
        out[i] = (uint8_t)(in[i] << 1 | in[i + 1] >> 7);
    }
    out[PROTO_AES_BLOCK - 1] = (uint8_t)(in[PROTO_AES_BLOCK - 1] << 1 ^ (carry * 0x87u));
}

static void xor_block(uint8_t *dst, const uint8_t *src, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        dst[i] ^= src[i];
    }
}

void proto_cmac_init(struct proto_cmac *ctx, const uint8_t key[PROTO_AES_KEY])
{
    uint8_t l[PROTO_AES_BLOCK] = {0};

    proto_aes128_init(&ctx->aes, key);
    proto_aes128_encrypt(&ctx->aes, l, l);
    double_block(l, ctx->k1);
    double_block(ctx->k1, ctx->k2);
    memset(ctx->x, 0, sizeof(ctx->x));
    ctx->buf_len = 0;
}

void proto_cmac_update(struct proto_cmac *ctx, const uint8_t *msg, size_t len)
{
    while (len > 0) {
        size_t n;

        if (ctx->buf_len == PROTO_AES_BLOCK) {
            xor_block(ctx->x, ctx->buf, PROTO_AES_BLOCK);
            proto_aes128_encrypt(&ctx->aes, ctx->x, ctx->x);
            ctx->buf_len = 0;
        }
        n = PROTO_AES_BLOCK - ctx->buf_len;
        if (n > len) {
            n = len;
        }
        memcpy(ctx->buf + ctx->buf_len, msg, n);
        ctx->buf_len = (uint8_t)(ctx->buf_len + n);
        msg += n;
        len -= n;
    }
}

void proto_cmac_final(struct proto_cmac *ctx, uint8_t tag[PROTO_AES_BLOCK])
{
    if (ctx->buf_len == PROTO_AES_BLOCK) {
        xor_block(ctx->x, ctx->k1, PROTO_AES_BLOCK);
    } else {
        /* Pad with 10...0 (RFC 4493 section 2.4, step 4); this also covers the empty message. */
        memset(ctx->buf + ctx->buf_len, 0, PROTO_AES_BLOCK - ctx->buf_len);
        ctx->buf[ctx->buf_len] = 0x80;
        xor_block(ctx->x, ctx->k2, PROTO_AES_BLOCK);
    }
    xor_block(ctx->x, ctx->buf, PROTO_AES_BLOCK);
    proto_aes128_encrypt(&ctx->aes, ctx->x, tag);
}

void proto_cmac(const uint8_t key[PROTO_AES_KEY], const uint8_t *msg, size_t len,
                uint8_t tag[PROTO_AES_BLOCK])
{
    struct proto_cmac ctx;

    proto_cmac_init(&ctx, key);
    proto_cmac_update(&ctx, msg, len);
    proto_cmac_final(&ctx, tag);
}

int proto_ct_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint32_t diff = 0;

    for (size_t i = 0; i < len; i++) {
        diff |= (uint32_t)(a[i] ^ b[i]);
    }
    /* diff is 0..255: (diff - 1) has its top bit set only when diff is 0. */
    return (int)((diff - 1u) >> 31);
}
