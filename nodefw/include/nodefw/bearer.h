/* SPDX-License-Identifier: MIT
 * The two ways a frame leaves the node, behind one interface. LoRa hands the PHYPayload to
 * the radio HAL, after the regional duty-cycle budget has granted its time on air; CoAP posts
 * it to the gateway's /up with the CON client, one request at a time. Both carry exactly the
 * same LoRaWAN bytes (ARCHITECTURE.md), so the node above does not care which one it has.
 *
 * Sending is two steps so that a refusal costs nothing: bearer_admit() asks whether a frame
 * of a given length may go now (and, for LoRa, charges its time on air to the budget);
 * only then does the node take a frame counter and build the frame for bearer_send().
 */
#ifndef PROJ_NODEFW_BEARER_H
#define PROJ_NODEFW_BEARER_H

#include <stddef.h>
#include <stdint.h>

#include "nodefw/coap_client.h"
#include "nodefw/dutycycle.h"
#include "nodefw/hal.h"

enum bearer_kind {
    BEARER_LORA = 0,
    BEARER_COAP = 1,
};

enum bearer_err {
    BEARER_EBUSY = -50,   /* CoAP: the previous frame is still in flight */
    BEARER_EBUDGET = -51, /* LoRa: the duty-cycle budget has no room now (counted) */
    BEARER_EIO = -52,     /* the radio or the datagram send failed */
    BEARER_EINVAL = -53,  /* frame empty or too long, or bad modulation parameters */
};

/* What bearer_poll() reports about a frame sent earlier (CoAP only; LoRa is fire and forget). */
enum bearer_event {
    BEARER_NONE = 0,      /* nothing new */
    BEARER_DELIVERED = 1, /* the gateway confirmed it */
    BEARER_FAILED = 2,    /* rejected, timed out or unavailable: counted, dropped */
};

struct bearer {
    uint8_t kind; /* enum bearer_kind */
    const struct hal *hal;
    struct hal_lora_tx tx;   /* LoRa modulation of every uplink */
    struct dutycycle dc;     /* LoRa budget */
    struct coap_client coap; /* CoAP client */
    uint32_t sent;           /* frames handed to the radio or posted */
    uint32_t failed;         /* frames the radio or the gateway did not take */
    uint8_t rx_pending;      /* LoRa: the receive windows of the last uplink are open */
};

/*
 * bearer_init() - a bearer of @kind; @tx gives the LoRa modulation (ignored for CoAP),
 * @region the duty-cycle budget.
 */
void bearer_init(struct bearer *b, enum bearer_kind kind, const struct hal *hal,
                 const struct hal_lora_tx *tx, enum dutycycle_region region);

/*
 * bearer_admit() - may a frame of @len bytes go at @now_ms?
 * @wait_ms: out, on BEARER_EBUDGET how long until it would fit (UINT32_MAX: never); else 0.
 * Return: 0 (LoRa: its time on air is now charged to the budget); BEARER_EBUSY;
 * BEARER_EBUDGET (counted in b->dc.refused); BEARER_EINVAL.
 */
HAL_MUST_CHECK int bearer_admit(struct bearer *b, uint64_t now_ms, size_t len, uint32_t *wait_ms);

/*
 * bearer_send() - send an admitted frame. LoRa blocks until the radio is done; CoAP returns
 * after the first transmission and reports later through bearer_poll().
 * Return: 0, BEARER_EIO (counted in b->failed), BEARER_EINVAL.
 */
HAL_MUST_CHECK int bearer_send(struct bearer *b, uint64_t now_ms, const uint8_t *phy, size_t len);

/* bearer_poll() - drive the CoAP client; Return: enum bearer_event. */
int bearer_poll(struct bearer *b, uint64_t now_ms);

/* bearer_busy() - 1 while a CoAP request is in flight. */
int bearer_busy(const struct bearer *b);

/*
 * bearer_downlink() - a downlink for this node, if one came: LoRa, from the receive windows
 * after the last uplink (the bearer is busy while they are open); CoAP, the 2.04's payload.
 * Return: its length into @buf (@cap bytes), or 0.
 */
size_t bearer_downlink(struct bearer *b, uint8_t *buf, size_t cap);

#endif
