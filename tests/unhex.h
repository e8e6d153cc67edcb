/* SPDX-License-Identifier: MIT
 * Test helper: published vectors are written in hex, as their documents print them.
 * Spaces are skipped so vectors can be grouped in words as RFC 4493 does; the digits are
 * read by proto/hex.h.
 */
#ifndef PROJ_TESTS_UNHEX_H
#define PROJ_TESTS_UNHEX_H

#include <stddef.h>
#include <stdint.h>

#include "proto/hex.h"

/* Returns the number of bytes written, or (size_t)-1 for bad input or too small a buffer. */
static inline size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    for (; *hex != '\0'; hex++) {
        int d;
        if (*hex == ' ') {
            continue;
        }
        d = proto_hex_digit(*hex);
        if (d < 0) {
            return (size_t)-1;
        }
        if (hi < 0) {
            hi = d;
            continue;
        }
        if (n == cap) {
            return (size_t)-1;
        }
        out[n++] = (uint8_t)(hi << 4 | d);
        hi = -1;
    }
    return hi < 0 ? n : (size_t)-1;
}

#endif
