/* SPDX-License-Identifier: MIT
 * LoRa (radio HAL behind the duty-cycle budget) and CoAP (the CON client) behind one
 * admit/send/poll interface; see bearer.h.
 */
#include "nodefw/bearer.h"

#include <string.h>

#include "proto/frame.h"

void bearer_init(struct bearer *b, enum bearer_kind kind, const struct hal *hal,
                 const struct hal_lora_tx *tx, enum dutycycle_region region)
{
    memset(b, 0, sizeof(*b));
    b->kind = (uint8_t)kind;
    b->hal = hal;
    b->tx = *tx;
    dutycycle_init(&b->dc, region);
    coap_client_init(&b->coap, hal);
}

int bearer_admit(struct bearer *b, uint64_t now_ms, size_t len, uint32_t *wait_ms)
{
    uint32_t toa;

    *wait_ms = 0;
    if (len == 0u || len > PROTO_FRAME_MAX_LEN) {
        return BEARER_EINVAL;
    }
    if (b->kind == BEARER_COAP) {
        return coap_client_busy(&b->coap) ? BEARER_EBUSY : 0;
    }
    toa = dutycycle_toa_us(&b->tx, len);
    if (toa == 0u) {
        return BEARER_EINVAL;
    }
    if (dutycycle_reserve(&b->dc, now_ms, toa) != DUTYCYCLE_OK) {
        *wait_ms = dutycycle_wait_ms(&b->dc, now_ms, toa);
        return BEARER_EBUDGET;
    }
    return 0;
}

int bearer_send(struct bearer *b, uint64_t now_ms, const uint8_t *phy, size_t len)
{
    int rc;

    if (len == 0u || len > PROTO_FRAME_MAX_LEN) {
        return BEARER_EINVAL;
    }
    if (b->kind == BEARER_COAP) {
        rc = coap_client_post(&b->coap, now_ms, phy, len);
    } else {
        rc = hal_radio_send(b->hal, &b->tx, phy, len);
        b->rx_pending = rc == 0 ? 1u : 0u;
    }
    if (rc != 0) {
        b->failed++;
        return BEARER_EIO;
    }
    b->sent++;
    return 0;
}

int bearer_poll(struct bearer *b, uint64_t now_ms)
{
    int res;

    if (b->kind != BEARER_COAP) {
        return BEARER_NONE;
    }
    res = coap_client_poll(&b->coap, now_ms);
    if (res == COAP_CLIENT_PENDING) {
        return BEARER_NONE;
    }
    if (res == COAP_CLIENT_DELIVERED) {
        return BEARER_DELIVERED;
    }
    b->failed++;
    return BEARER_FAILED;
}

int bearer_busy(const struct bearer *b)
{
    return (b->kind == BEARER_COAP && coap_client_busy(&b->coap)) || b->rx_pending != 0u;
}

size_t bearer_downlink(struct bearer *b, uint8_t *buf, size_t cap)
{
    int n;

    if (b->kind == BEARER_COAP) {
        return coap_client_take_downlink(&b->coap, buf, cap);
    }
    if (b->rx_pending == 0u) {
        return 0;
    }
    /* Class A: nothing is sent until RX2 has closed or brought something. */
    n = hal_radio_recv(b->hal, buf, cap);
    if (n == 0) {
        return 0;
    }
    b->rx_pending = 0;
    return n > 0 ? (size_t)n : 0u;
}
