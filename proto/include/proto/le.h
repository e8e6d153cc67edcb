/* SPDX-License-Identifier: MIT */
/*
 * le.h - little-endian fields in byte buffers: LoRaWAN (DevAddr, FCnt, nonces), TFP, the
 * node commands and the node's stored records all lay out their integers this way. One
 * copy, inline, for proto/ and the firmware alike (freestanding, no alignment assumed).
 */
#ifndef PROJ_PROTO_LE_H
#define PROJ_PROTO_LE_H

#include <stdint.h>

static inline uint16_t proto_le16_get(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t proto_le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void proto_le16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void proto_le32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif /* PROJ_PROTO_LE_H */
