/* SPDX-License-Identifier: MIT
 * Hex text <-> bytes (see hex.h). Every character is checked before a byte is written, so a
 * refused input leaves the output as it was.
 */
#include "proto/hex.h"

#include <limits.h>

int proto_hex_digit(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int proto_hex_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
    size_t i;

    if ((s == NULL && len > 0) || (out == NULL && (cap > 0 || len > 0)) || len % 2u != 0) {
        return PROTO_EINVAL;
    }
    for (i = 0; i < len; i++) {
        if (proto_hex_digit(s[i]) < 0) {
            return PROTO_EINVAL;
        }
    }
    if (len / 2u > cap || len / 2u > (size_t)INT_MAX) {
        return PROTO_ENOSPC;
    }
    for (i = 0; i < len; i += 2u) {
        /* Both are 0..15: checked above. */
        unsigned hi = (unsigned)proto_hex_digit(s[i]);
        unsigned lo = (unsigned)proto_hex_digit(s[i + 1u]);

        out[i / 2u] = (uint8_t)((hi << 4) | lo);
    }
    return (int)(len / 2u);
}

int proto_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i;

    if (out == NULL || (in == NULL && len > 0)) {
        return PROTO_EINVAL;
    }
    if (len > (size_t)INT_MAX / 2u || cap < 2u * len + 1u) {
        if (cap > 0) {
            out[0] = '\0';
        }
        return PROTO_ENOSPC;
    }
    for (i = 0; i < len; i++) {
        out[2u * i] = digits[in[i] >> 4];
        out[2u * i + 1u] = digits[in[i] & 0x0Fu];
    }
    out[2u * len] = '\0';
    return (int)(2u * len);
}
