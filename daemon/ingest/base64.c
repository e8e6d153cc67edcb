/* SPDX-License-Identifier: MIT
 * Strict RFC 4648 base64 for forwarder payloads (see base64.h for what is accepted). The
 * decoder checks the whole shape (length, padding, output room) before writing a byte, so
 * a refusal never leaves a half-decoded buffer behind, and it reads exactly @len bytes of
 * the input: the text comes out of a datagram and is not trusted to be terminated.
 */
#include "ingest/base64.h"

#include <errno.h>
#include <limits.h>

static const char alphabet[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of one character of the RFC 4648 table 1 alphabet, or -1. */
static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

int base64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    size_t pad = 0;
    size_t chars;
    size_t rem;
    size_t need;
    size_t i;
    size_t o = 0;
    uint32_t acc = 0;

    if ((in == NULL && len > 0) || (out == NULL && cap > 0)) {
        return -EINVAL;
    }
    if (len == 0) {
        return 0;
    }
    /* RFC 4648 section 3.2: at most two '=' and only at the very end of a group of four. */
    while (pad < 2 && pad < len && in[len - 1 - pad] == '=') {
        pad++;
    }
    if (pad > 0 && len % 4 != 0) {
        return -EILSEQ;
    }
    chars = len - pad;
    rem = chars % 4;
    /* One character carries 6 bits: a final group of one cannot make a byte. */
    if (rem == 1) {
        return -EILSEQ;
    }
    need = chars / 4 * 3 + (rem == 0 ? 0 : rem - 1);
    if (need > INT_MAX) {
        return -EMSGSIZE;
    }
    for (i = 0; i < chars; i++) {
        if (sextet((unsigned char)in[i]) < 0) {
            return -EILSEQ;
        }
    }
    /* RFC 4648 section 3.5: the bits below the last whole byte must be zero, otherwise two
     * texts would decode to the same bytes. */
    if (rem == 2 && (sextet((unsigned char)in[chars - 1]) & 0x0F) != 0) {
        return -EILSEQ;
    }
    if (rem == 3 && (sextet((unsigned char)in[chars - 1]) & 0x03) != 0) {
        return -EILSEQ;
    }
    if (need > cap) {
        return -EMSGSIZE;
    }
    /* Here need <= cap, so a NULL @out (allowed with cap 0) has nothing to receive. */
    if (need == 0 || out == NULL) {
        return 0;
    }
    for (i = 0; i < chars; i++) {
        acc = acc << 6 | (uint32_t)sextet((unsigned char)in[i]);
        if (i % 4 == 3) {
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            acc = 0;
        }
    }
    if (rem == 2) {
        out[o++] = (uint8_t)(acc >> 4);
    } else if (rem == 3) {
        out[o++] = (uint8_t)(acc >> 10);
        out[o++] = (uint8_t)(acc >> 2);
    }
    return (int)o;
}

int base64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t need;
    size_t i;
    size_t o = 0;
    uint32_t acc;

    if (out == NULL || (in == NULL && len > 0)) {
        return -EINVAL;
    }
    if (len > (size_t)INT_MAX / 4 * 3 - 3) {
        return -EINVAL;
    }
    need = BASE64_ENCODED_LEN(len);
    if (need + 1 > cap) {
        if (cap > 0) {
            out[0] = '\0';
        }
        return -ENOSPC;
    }
    for (i = 0; i + 3 <= len; i += 3) {
        acc = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[acc >> 18 & 0x3F];
        out[o++] = alphabet[acc >> 12 & 0x3F];
        out[o++] = alphabet[acc >> 6 & 0x3F];
        out[o++] = alphabet[acc & 0x3F];
    }
    if (len - i == 1) {
        acc = (uint32_t)in[i] << 16;
        out[o++] = alphabet[acc >> 18 & 0x3F];
        out[o++] = alphabet[acc >> 12 & 0x3F];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        acc = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[acc >> 18 & 0x3F];
        out[o++] = alphabet[acc >> 12 & 0x3F];
        out[o++] = alphabet[acc >> 6 & 0x3F];
        out[o++] = '=';
    }
    out[o] = '\0';
    return (int)o;
}
