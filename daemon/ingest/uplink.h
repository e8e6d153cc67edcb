/* SPDX-License-Identifier: MIT
 * The frame check both bearers share: parse, registry lookup, 32-bit counter, MIC, replay,
 * decrypt, TFP decode, then store, then what follows a stored frame (poststore.h). One
 * function, so a frame is judged the same way whether it came over CoAP or through a packet
 * forwarder. Loop thread only.
 */
#ifndef PROJ_DAEMON_INGEST_UPLINK_H
#define PROJ_DAEMON_INGEST_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct poststore;

struct uplink_result {
    enum store_reason reason; /* STORE_ACCEPTED or why the frame was refused */
    int detail;               /* the proto_err or -errno behind the reason, 0 if none */
    uint32_t devaddr;         /* valid when the frame parsed */
    uint32_t fcnt;            /* reconstructed counter, valid from STORE_BAD_MIC on */
    int64_t frame_id;         /* valid when accepted: for store_reception() of later copies */
    bool confirmed;           /* a confirmed data up (MType 100): it wants an ACK */
    bool retransmission;      /* STORE_REPLAY of the last stored frame, confirmed and with a
                                 good MIC: the node missed its ACK and sent it again; it is
                                 not stored again, but acknowledged again */
};

/*
 * uplink_process() - judge one PHYPayload and, when it passes, store it in the open batch
 * and hand it to @after, in the same batch.
 * @s: the store (its node registry gives keys and the last counter).
 * @after: what follows a stored frame (fusion, event messages); NULL: nothing.
 * @phy, @len: the frame as received.
 * @rx: reception metadata of this copy.
 * @out: what happened; also counted with store_count() and logged (rate-limited) on refusal.
 * Refusals change nothing in the store but the counters. A payload with an FPort or TFP
 * version we do not know is accepted and stored raw (ARCHITECTURE.md: never guessed at).
 * Return: out->reason.
 */
enum store_reason uplink_process(struct store *s, struct poststore *after, const uint8_t *phy,
                                 size_t len, const struct store_rx *rx, struct uplink_result *out);

#endif
