/* SPDX-License-Identifier: MIT
 * Class A downlinks through the packet forwarders (Semtech UDP v2, PULL_RESP and TX_ACK):
 * which uplinks get one, when it is built, through which forwarder, in which receive window,
 * and what a TX_ACK error changes. The steps, each after the one before has happened:
 *   1. an uplink is stored (or a confirmed one repeated) in the open batch: a candidate;
 *   2. that batch committed and the dedup window passed (every forwarder's copy is in, so
 *      the best one is known): the downlink is planned, its window picked (RX1 if it can
 *      still reach the forwarder in time, else RX2), the forwarder's duty cycle in that
 *      sub-band checked, and FCntDown taken and the command marked sent in the open batch;
 *   3. that batch durable: PULL_RESP to the forwarder's PULL_DATA address;
 *   4. TX_ACK: done, or on an error, the same bytes again for RX2 if it is still ahead.
 * No step waits: a timer drives 2 and the end of 4 (a forwarder that never answers only
 * costs its own entry). Loop thread only.
 */
#ifndef PROJ_DAEMON_INGEST_LORA_TX_H
#define PROJ_DAEMON_INGEST_LORA_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "ingest/pfwd.h"
#include "ingest/region.h"
#include "store/store.h"

struct lora_tx;
struct poststore;

/* Sends @len bytes to the forwarder @eui's downlink route. Return: 0, -ENOENT (no route:
 * it never sent PULL_DATA), or another negative errno. */
typedef int (*lora_tx_send_cb)(void *arg, const uint8_t eui[PFWD_EUI_LEN], const uint8_t *buf,
                               size_t len);

/* How early a PULL_RESP must leave before its window opens: the network to the forwarder and
 * its just-in-time queue (lora_pkt_fwd refuses what comes later than about 30 ms before). */
#define LORA_TX_MARGIN_MS 150u

/* A quality at or below this is not an SNR (ingest_lora.c's quality_of(): RSSI - 100000 dB
 * without one, or -200000 without either). */
#define LORA_TX_NO_SNR (-10001)

/* One received copy of an uplink that may get a downlink. */
struct lora_tx_up {
    uint32_t devaddr;
    bool confirmed;      /* wants an ACK */
    bool retransmission; /* confirmed and already stored: the ACK again */
    int64_t frame_id;    /* the stored frame, for later copies; 0 for a retransmission */
    uint32_t fcnt;       /* the uplink's counter (retransmissions are counted per counter) */
    uint32_t tmst;       /* concentrator time at the end of reception, us */
    uint32_t freq_hz;
    char datr[PFWD_DATR_MAX];
    uint8_t eui[PFWD_EUI_LEN]; /* the forwarder that heard this copy */
    int32_t quality;           /* higher is better: SNR in 0.01 dB, or below LORA_TX_NO_SNR */
    bool join;                 /* a JoinRequest: answered in the join windows (lora_tx_join()) */
};

/*
 * lora_tx_new() - the scheduler, with its timer on @loop. @store, @post (may be NULL),
 * @region and @send's @arg must outlive it. @window_ms: the dedup window (step 2 waits it).
 * Return: 0 and *@out; -ENOMEM; a libuv error.
 */
int lora_tx_new(uv_loop_t *loop, struct store *store, struct poststore *post,
                const struct region *region, uint32_t window_ms, lora_tx_send_cb send, void *arg,
                struct lora_tx **out);

/* lora_tx_adr() - [lora] adr on: each stored LoRa uplink's best SNR goes to adr_uplink()
 * (adr.h), at most one change per node every @interval_ms. Return: 0 or -ENOMEM (then off). */
int lora_tx_adr(struct lora_tx *t, uint64_t interval_ms);

/* lora_tx_close() - stop; memory goes in the timer's close callback. NULL: no-op. */
void lora_tx_close(struct lora_tx *t);

/* A node repeats a confirmed frame whose ACK it missed a few times (LoRaWAN NbTrans, at most
 * 15); a recorded frame replayed more often than this is someone spending the gateway's
 * airtime, and gets no more ACKs (counted as retransmission_refused). */
#define LORA_TX_RETRANS_MAX 8u

/* lora_tx_uplink() - step 1 for the first copy of an uplink (accepted, or a
 * retransmission): a candidate when it is confirmed or its node has a pending command.
 * @now_ms: loop time of its arrival. */
void lora_tx_uplink(struct lora_tx *t, const struct lora_tx_up *up, uint64_t now_ms);

/* lora_tx_join() - step 1 for a JoinRequest whose JoinAccept (@phy, @len bytes, at most
 * DOWNLINK_PHY_MAX) was written into the open batch by join_process(): once that batch is
 * committed and durable, it goes in JOIN_ACCEPT_DELAY1 or 2 (region.h), airtime allowing. */
void lora_tx_join(struct lora_tx *t, const struct lora_tx_up *up, const uint8_t *phy, size_t len,
                  uint64_t now_ms);

/* lora_tx_copy() - a later copy of stored frame @frame_id heard by @eui with @quality: it
 * becomes the route if it heard the frame better. */
void lora_tx_copy(struct lora_tx *t, int64_t frame_id, const uint8_t eui[PFWD_EUI_LEN],
                  int32_t quality);

/* lora_tx_committed(), lora_tx_durable() - the group commit's result and durability, as
 * ingest_lora_committed() and ingest_lora_durable() get them. */
void lora_tx_committed(struct lora_tx *t, int flush_rc, uint64_t gen);
void lora_tx_durable(struct lora_tx *t, uint64_t gen);

/* lora_tx_tx_ack() - a TX_ACK from @eui for PULL_RESP @token with outcome @e. */
void lora_tx_tx_ack(struct lora_tx *t, const uint8_t eui[PFWD_EUI_LEN], uint16_t token,
                    enum pfwd_txack e, uint64_t now_ms);

#endif
