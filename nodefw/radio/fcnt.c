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

/* One write of the whole record: version 1 without a session (what ABP nodes always had),
 * version 2 with one. */
static int store_all(const struct hal *hal, uint32_t limit, const uint8_t *sess, size_t sess_len,
                     const uint8_t *tail, size_t tail_len)
{
    uint8_t rec[HAL_NV_MAX];
    uint16_t crc;

    rec[0] = 'T';
    rec[1] = 'F';
    rec[2] = sess_len > 0u ? 2u : 1u;
    rec[3] = (uint8_t)sess_len;
    rec[4] = (uint8_t)limit;
    rec[5] = (uint8_t)(limit >> 8);
    rec[6] = (uint8_t)(limit >> 16);
    rec[7] = (uint8_t)(limit >> 24);
    crc = crc16(rec, 8);
    rec[8] = (uint8_t)crc;
    rec[9] = (uint8_t)(crc >> 8);
    if (sess_len > 0u) {
        memcpy(&rec[FCNT_RECORD_LEN], sess, sess_len);
    }
    if (tail_len > 0u) {
        memcpy(&rec[FCNT_RECORD_LEN + sess_len], tail, tail_len);
    }
    return hal_nv_write(hal, rec, FCNT_RECORD_LEN + sess_len + tail_len) == HAL_OK ? FCNT_OK
                                                                                   : FCNT_EIO;
}

static int store_with(const struct fcnt *f, uint32_t limit, const uint8_t *tail, size_t tail_len)
{
    return store_all(f->hal, limit, f->sess, f->sess_len, tail, tail_len);
}

int fcnt_set_tail(struct fcnt *f, const uint8_t *tail, size_t len)
{
    if (len > FCNT_TAIL_MAX) {
        return FCNT_EINVAL;
    }
    if (store_with(f, f->limit, tail, len) != FCNT_OK) {
        return FCNT_EIO;
    }
    if (len > 0u) {
        memcpy(f->tail, tail, len);
    }
    f->tail_len = (uint8_t)len;
    f->writes++;
    return FCNT_OK;
}

int fcnt_set_session(struct fcnt *f, const uint8_t *sess, size_t len)
{
    if (len == 0u || len > FCNT_SESSION_MAX) {
        return FCNT_EINVAL;
    }
    if (store_all(f->hal, f->limit, sess, len, f->tail, f->tail_len) != FCNT_OK) {
        return FCNT_EIO;
    }
    memcpy(f->sess, sess, len);
    f->sess_len = (uint8_t)len;
    f->writes++;
    return FCNT_OK;
}

int fcnt_restart(struct fcnt *f, const uint8_t *sess, size_t sess_len, const uint8_t *tail,
                 size_t tail_len)
{
    if (sess_len == 0u || sess_len > FCNT_SESSION_MAX || tail_len > FCNT_TAIL_MAX) {
        return FCNT_EINVAL;
    }
    if (tail == NULL) {
        tail = f->tail;
        tail_len = f->tail_len;
    }
    /* The first K counters of the new session are reserved by this same write. */
    if (store_all(f->hal, f->k, sess, sess_len, tail, tail_len) != FCNT_OK) {
        return FCNT_EIO;
    }
    memmove(f->tail, tail, tail_len);
    f->tail_len = (uint8_t)tail_len;
    memcpy(f->sess, sess, sess_len);
    f->sess_len = (uint8_t)sess_len;
    f->next = 0;
    f->limit = f->k;
    f->writes++;
    return FCNT_OK;
}

int fcnt_provision(const struct hal *hal, uint32_t start)
{
    return store_all(hal, start, NULL, 0, NULL, 0);
}

int fcnt_init(struct fcnt *f, const struct hal *hal, uint16_t k)
{
    uint8_t rec[HAL_NV_MAX];
    size_t sess;
    int n;

    if (k == 0u || k > FCNT_MAX_K) {
        return FCNT_EINVAL;
    }
    f->hal = hal;
    f->k = k;
    f->writes = 0;
    f->tail_len = 0;
    f->sess_len = 0;
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
    if (n < (int)FCNT_RECORD_LEN || rec[0] != 'T' || rec[1] != 'F' ||
        (rec[2] != 1u && rec[2] != 2u) || crc16(rec, 8) != (uint16_t)(rec[8] | (rec[9] << 8))) {
        return FCNT_ECORRUPT;
    }
    /* Version 1: no session (byte 3 was always 0). */
    sess = rec[2] == 2u ? rec[3] : 0u;
    if (sess > FCNT_SESSION_MAX || (size_t)n < FCNT_RECORD_LEN + sess ||
        (size_t)n - FCNT_RECORD_LEN - sess > FCNT_TAIL_MAX) {
        return FCNT_ECORRUPT;
    }
    f->limit = (uint32_t)rec[4] | ((uint32_t)rec[5] << 8) | ((uint32_t)rec[6] << 16) |
               ((uint32_t)rec[7] << 24);
    /* Counters from the last one used up to limit - 1 may or may not have gone out:
     * skipping them all is what keeps every counter unique. */
    f->next = f->limit;
    f->sess_len = (uint8_t)sess;
    memcpy(f->sess, &rec[FCNT_RECORD_LEN], sess);
    f->tail_len = (uint8_t)((size_t)n - FCNT_RECORD_LEN - sess);
    if (f->tail_len > 0u) {
        memcpy(f->tail, &rec[FCNT_RECORD_LEN + sess], f->tail_len);
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
        if (store_with(f, limit, f->tail, f->tail_len) != FCNT_OK) {
            return FCNT_EIO;
        }
        f->limit = limit;
        f->writes++;
    }
    *out = f->next++;
    return FCNT_OK;
}
