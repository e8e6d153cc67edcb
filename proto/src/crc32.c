/* SPDX-License-Identifier: MIT
 * CRC-32 (see crc32.h), one bit at a time.
 */
#include "proto/crc32.h"

uint32_t proto_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    size_t i;

    crc = ~crc;
    for (i = 0; i < n; i++) {
        unsigned bit;

        crc ^= p[i];
        for (bit = 0; bit < 8u; bit++) {
            /* Reflected polynomial: shift right, XOR when the bit shifted out was 1. */
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}
