/* SPDX-License-Identifier: MIT
 * The LoRaWAN uplink frame counter, kept in non-volatile storage so that no counter value is
 * ever used twice under the same session keys (a reused counter reuses the AES keystream and
 * is refused by the gateway as a replay). Flash wears out, so the counter is not written per
 * frame: the record holds a limit that no used counter reaches; when the counter meets the
 * limit, limit + K is written first. After a reboot the node continues at the stored limit,
 * skipping at most K values. K must stay below LoRaWAN's MAX_FCNT_GAP (16384), or the gateway
 * would refuse the first frame after a reboot.
 *
 * Record (10 bytes): 'T' 'F', version 1, K's log (unused, 0), limit u32 LE, CRC-16/CCITT of
 * the first 8 bytes, LE. The storage holds one record (hal.h), so another module's record
 * (the settings, downlink.h) rides behind it as a tail of up to FCNT_TAIL_MAX bytes: kept
 * byte for byte when the counter is written, and written with the counter's record.
 * An OTAA node's session (join.h) rides between the two: version 2 of the record has the
 * session's length in byte 3 and its bytes right after the 10, the tail after them. The
 * session and the counter it starts from 0 are written in one write (fcnt_restart()), so a
 * power cut can never pair new keys with an old counter or old keys with a counter reused.
 */
#ifndef PROJ_NODEFW_FCNT_H
#define PROJ_NODEFW_FCNT_H

#include <stdint.h>

#include "nodefw/hal.h"

#define FCNT_RECORD_LEN  10u
#define FCNT_MAX_K       16383u /* below PROTO_FCNT_MAX_GAP */
#define FCNT_SESSION_MAX 48u    /* bytes of the session record at most (join.h) */
#define FCNT_TAIL_MAX    (HAL_NV_MAX - FCNT_RECORD_LEN - FCNT_SESSION_MAX)

enum fcnt_err {
    FCNT_OK = 0,
    FCNT_EINVAL = -30,    /* K is 0 or above FCNT_MAX_K */
    FCNT_ECORRUPT = -31,  /* the stored record fails its check: the counter is unknown */
    FCNT_EIO = -32,       /* the storage failed; nothing may be sent */
    FCNT_EXHAUSTED = -33, /* the 32-bit counter is used up: new session keys are needed */
};

struct fcnt {
    const struct hal *hal;       /* where the record lives */
    uint32_t next;               /* the counter the next frame gets */
    uint32_t limit;              /* stored: every counter used is below it */
    uint16_t k;                  /* counters per storage write */
    uint32_t writes;             /* storage writes since init */
    uint8_t tail[FCNT_TAIL_MAX]; /* the record stored behind the counter's, as read */
    uint8_t tail_len;
    uint8_t sess[FCNT_SESSION_MAX]; /* the OTAA session record, as read; 0 bytes for ABP */
    uint8_t sess_len;
};

/*
 * fcnt_init() - load the counter: a blank storage starts at 0; otherwise at the stored
 * limit (counters between the last used one and the limit are skipped).
 * @hal: the board; must outlive @f. @k: counters per write, 1..FCNT_MAX_K.
 * Return: FCNT_OK; FCNT_EINVAL; FCNT_ECORRUPT (a record that fails its CRC: the node must
 * not guess, it stays silent until provisioned again); FCNT_EIO.
 */
HAL_MUST_CHECK int fcnt_init(struct fcnt *f, const struct hal *hal, uint16_t k);

/*
 * fcnt_take() - the counter for the next frame, persisting a new limit first when needed.
 * @out: out, the counter to use; never handed out twice, across reboots too.
 * Return: FCNT_OK; FCNT_EIO (the new limit could not be stored: no counter is handed out);
 * FCNT_EXHAUSTED.
 */
HAL_MUST_CHECK int fcnt_take(struct fcnt *f, uint32_t *out);

/*
 * fcnt_set_tail() - store @len bytes (at most FCNT_TAIL_MAX) behind the counter's record,
 * with the current limit, in one write. Return: FCNT_OK; FCNT_EINVAL (too long); FCNT_EIO
 * (nothing changed, in storage or in @f).
 */
HAL_MUST_CHECK int fcnt_set_tail(struct fcnt *f, const uint8_t *tail, size_t len);

/*
 * fcnt_set_session() - store @len bytes (at most FCNT_SESSION_MAX) as the session record,
 * with the current limit and tail, in one write (a JoinRequest's DevNonce is stored so
 * before it is sent). Return: FCNT_OK; FCNT_EINVAL; FCNT_EIO (nothing changed).
 */
HAL_MUST_CHECK int fcnt_set_session(struct fcnt *f, const uint8_t *sess, size_t len);

/*
 * fcnt_restart() - a new session: @sess as the session record, @tail as the tail (NULL: kept)
 * and the counter from 0, all in one write. Return: FCNT_OK; FCNT_EINVAL; FCNT_EIO (nothing
 * changed, in storage or in @f).
 */
HAL_MUST_CHECK int fcnt_restart(struct fcnt *f, const uint8_t *sess, size_t sess_len,
                                const uint8_t *tail, size_t tail_len);

/*
 * fcnt_provision() - write a fresh record starting at @start (factory or re-provisioning
 * after new session keys). Return: FCNT_OK, FCNT_EIO.
 */
HAL_MUST_CHECK int fcnt_provision(const struct hal *hal, uint32_t start);

#endif
