/* SPDX-License-Identifier: MIT
 * The uplink counter in non-volatile storage, written once every K frames (see fcnt.h).
 * The invariant: every counter handed out is below the limit stored in the record, and the
 * record is written before a counter at or past the old limit is handed out.
 */
#include "nodefw/fcnt.h"

#include <stddef.h>
#include <string.h>

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): detects a torn or erased record. */
static uint16_t crc16(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFu; /* 16 bits used; 32 so the shifts need no casts */
    size_t i;
    int b;

    for (i = 0; i < n; i++) {
        crc ^= (uint32_t)p[i] << 8;
        for (b = 0; b < 8; b++) {
            crc = (crc & 0x8000u) != 0u ? (crc << 1) ^ 0x1021u : crc << 1;
            crc &= 0xFFFFu;
        }
    }
    return (uint16_t)crc;
}

static int store_with(const struct hal *hal, uint32_t limit, const uint8_t *tail, size_t tail_len)
{
    uint8_t rec[HAL_NV_MAX];
    uint16_t crc;

    rec[0] = 'T';
    rec[1] = 'F';
    rec[2] = 1;
    rec[3] = 0;
    rec[4] = (uint8_t)limit;
    rec[5] = (uint8_t)(limit >> 8);
    rec[6] = (uint8_t)(limit >> 16);
    rec[7] = (uint8_t)(limit >> 24);
    crc = crc16(rec, 8);
    rec[8] = (uint8_t)crc;
    rec[9] = (uint8_t)(crc >> 8);
    if (tail_len > 0u) {
        memcpy(&rec[FCNT_RECORD_LEN], tail, tail_len);
    }
    return hal_nv_write(hal, rec, FCNT_RECORD_LEN + tail_len) == HAL_OK ? FCNT_OK : FCNT_EIO;
}

static int store(const struct hal *hal, uint32_t limit)
{
    return store_with(hal, limit, NULL, 0);
}

int fcnt_set_tail(struct fcnt *f, const uint8_t *tail, size_t len)
{
    if (len > FCNT_TAIL_MAX) {
        return FCNT_EINVAL;
    }
    if (store_with(f->hal, f->limit, tail, len) != FCNT_OK) {
        return FCNT_EIO;
    }
    if (len > 0u) {
        memcpy(f->tail, tail, len);
    }
    f->tail_len = (uint8_t)len;
    f->writes++;
    return FCNT_OK;
}

int fcnt_provision(const struct hal *hal, uint32_t start)
{
    return store(hal, start);
}

int fcnt_init(struct fcnt *f, const struct hal *hal, uint16_t k)
{
    uint8_t rec[HAL_NV_MAX];
    int n;

    if (k == 0u || k > FCNT_MAX_K) {
        return FCNT_EINVAL;
    }
    f->hal = hal;
    f->k = k;
    f->writes = 0;
    f->tail_len = 0;
    n = hal_nv_read(hal, rec, sizeof(rec));
    if (n < 0) {
        return FCNT_EIO;
    }
    if (n == 0) {
        /* A blank board: nothing was ever sent under these keys. */
        f->next = 0;
        f->limit = 0;
        return FCNT_OK;
    }
    if (n < (int)FCNT_RECORD_LEN || rec[0] != 'T' || rec[1] != 'F' || rec[2] != 1u ||
        crc16(rec, 8) != (uint16_t)(rec[8] | (rec[9] << 8))) {
        return FCNT_ECORRUPT;
    }
    f->limit = (uint32_t)rec[4] | ((uint32_t)rec[5] << 8) | ((uint32_t)rec[6] << 16) |
               ((uint32_t)rec[7] << 24);
    /* Counters from the last one used up to limit - 1 may or may not have gone out:
     * skipping them all is what keeps every counter unique. */
    f->next = f->limit;
    f->tail_len = (uint8_t)((size_t)n - FCNT_RECORD_LEN);
    if (f->tail_len > 0u) {
        memcpy(f->tail, &rec[FCNT_RECORD_LEN], f->tail_len);
    }
    return FCNT_OK;
}

int fcnt_take(struct fcnt *f, uint32_t *out)
{
    uint32_t limit;

    if (f->next == UINT32_MAX) {
        return FCNT_EXHAUSTED;
    }
    if (f->next >= f->limit) {
        limit = UINT32_MAX - f->next < f->k ? UINT32_MAX : f->next + f->k;
        if (store_with(f->hal, limit, f->tail, f->tail_len) != FCNT_OK) {
            return FCNT_EIO;
        }
        f->limit = limit;
        f->writes++;
    }
    *out = f->next++;
    return FCNT_OK;
}
