/* SPDX-License-Identifier: MIT
 * A minimal CoAP client (RFC 7252) for one job: POST a LoRaWAN frame to coap://gw/up as a
 * confirmable message and learn whether the gateway committed it. One request at a time
 * (NSTART = 1, section 4.7), so the state is one message buffer and a few timers.
 *
 * Reliability (section 4.2): the first timeout is random in [ACK_TIMEOUT, ACK_TIMEOUT *
 * ACK_RANDOM_FACTOR] = [2 s, 3 s], doubled after each of up to MAX_RETRANSMIT = 4
 * retransmissions; the request fails once the timeout after the 4th retransmission passes
 * (at most MAX_TRANSMIT_WAIT = 93 s after the first transmission). The response may come
 * piggybacked in the ACK or separately after an empty ACK (section 5.2.2); a confirmable
 * separate response is acknowledged.
 *
 * Outcomes: 2.xx (the gateway answers 2.04) delivered; 4.xx rejected, dropped and counted
 * (the frame can never succeed: unknown node, bad MIC, replay); 5.03 retried as a new
 * request after Max-Age seconds (default 60, section 5.10.5) up to COAP_CLIENT_MAX_503
 * times; any other 5.xx and a Reset are failures.
 *
 * Non-blocking: coap_client_post() sends the first transmission; coap_client_poll() reads
 * waiting datagrams through the HAL and retransmits when a timer is due, and reports the
 * outcome once. Driven by the node's main loop with its clock.
 */
#ifndef PROJ_NODEFW_COAP_CLIENT_H
#define PROJ_NODEFW_COAP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "nodefw/hal.h"

#define COAP_CLIENT_ACK_TIMEOUT_MS       2000u /* RFC 7252 section 4.8 */
#define COAP_CLIENT_RANDOM_PERMILLE      1500u /* ACK_RANDOM_FACTOR 1.5 */
#define COAP_CLIENT_MAX_RETRANSMIT       4u
#define COAP_CLIENT_MAX_TRANSMIT_WAIT_MS 93000u /* also the wait for a separate response */
#define COAP_CLIENT_MAX_503              3u     /* new attempts after "5.03 retry later" */
#define COAP_CLIENT_MAX_AGE_DEF_S        60u    /* Max-Age when the 5.03 carries none */
#define COAP_CLIENT_MAX_AGE_CAP_S        3600u  /* a longer Max-Age is not waited out */
#define COAP_CLIENT_MAX_PAYLOAD          255u   /* a LoRaWAN PHYPayload */
#define COAP_CLIENT_TOKEN_LEN            4u
#define COAP_CLIENT_CF_LORAWAN           42u /* Content-Format: application/octet-stream */

enum coap_client_err {
    COAP_CLIENT_EBUSY = -40,  /* a request is already in flight */
    COAP_CLIENT_EINVAL = -41, /* payload empty or over COAP_CLIENT_MAX_PAYLOAD */
    COAP_CLIENT_EIO = -42,    /* the first datagram could not be sent */
};

/* What coap_client_poll() reports, once per request. */
enum coap_client_result {
    COAP_CLIENT_PENDING = 0,     /* nothing finished */
    COAP_CLIENT_DELIVERED = 1,   /* 2.xx: the gateway has the frame */
    COAP_CLIENT_REJECTED = 2,    /* 4.xx or a Reset: dropped, never retried */
    COAP_CLIENT_TIMEOUT = 3,     /* no answer after MAX_RETRANSMIT retransmissions */
    COAP_CLIENT_UNAVAILABLE = 4, /* still 5.03 (or another 5.xx) after the retries */
};

enum coap_client_state {
    COAP_CLIENT_IDLE = 0,
    COAP_CLIENT_WAIT_ACK = 1,      /* CON sent, waiting for ACK or response */
    COAP_CLIENT_WAIT_SEPARATE = 2, /* empty ACK came, waiting for the response */
    COAP_CLIENT_WAIT_RETRY = 3,    /* 5.03: waiting out Max-Age before a new request */
};

struct coap_client {
    const struct hal *hal;
    uint8_t state;                            /* enum coap_client_state */
    uint16_t mid;                             /* message id of the request in flight */
    uint8_t token[COAP_CLIENT_TOKEN_LEN];     /* its token */
    uint8_t payload[COAP_CLIENT_MAX_PAYLOAD]; /* kept for a new request after 5.03 */
    size_t payload_len;
    uint8_t msg[HAL_DGRAM_MAX]; /* the request as sent, for retransmission */
    size_t msg_len;
    uint64_t deadline_ms; /* when the current wait ends */
    uint32_t timeout_ms;  /* current retransmission timeout */
    uint8_t retransmits;  /* retransmissions of this message */
    uint8_t tries_503;    /* new requests made after 5.03 */
    uint8_t last_code;    /* last response code, class << 5 | detail */
    /* lifetime counters */
    uint32_t requests;
    uint32_t transmissions; /* datagrams carrying a request, retransmissions included */
    uint32_t retransmissions;
    uint32_t delivered;
    uint32_t rejected;
    uint32_t timeouts;
    uint32_t unavailable;
    uint32_t unexpected;                 /* datagrams that matched nothing or did not parse */
    uint32_t send_errors;                /* datagrams the HAL failed to send */
    uint8_t dl[COAP_CLIENT_MAX_PAYLOAD]; /* the payload of the last 2.xx: a downlink */
    size_t dl_len;                       /* 0: none waiting */
};

/* coap_client_init() - an idle client sending through @hal; message ids start at random. */
void coap_client_init(struct coap_client *c, const struct hal *hal);

/*
 * coap_client_post() - POST @payload (copied) to /up with Content-Format 42 as a CON
 * message and send it.
 * Return: 0; COAP_CLIENT_EBUSY; COAP_CLIENT_EINVAL; COAP_CLIENT_EIO (nothing in flight:
 * the caller counts a failure).
 */
HAL_MUST_CHECK int coap_client_post(struct coap_client *c, uint64_t now_ms, const uint8_t *payload,
                                    size_t len);

/*
 * coap_client_poll() - read every waiting datagram, act on timers due at @now_ms.
 * Return: enum coap_client_result; a value other than PENDING is reported once, and the
 * client is idle again.
 */
int coap_client_poll(struct coap_client *c, uint64_t now_ms);

/* coap_client_busy() - 1 while a request is in flight (or waiting to be retried). */
int coap_client_busy(const struct coap_client *c);

/*
 * coap_client_encode_post() - the request bytes (exposed for tests): header with @mid and
 * @token, Uri-Path "up", Content-Format 42, payload marker, @payload.
 * Return: the length, or COAP_CLIENT_EINVAL when it does not fit @cap.
 */
int coap_client_encode_post(uint8_t *buf, size_t cap, uint16_t mid,
                            const uint8_t token[COAP_CLIENT_TOKEN_LEN], const uint8_t *payload,
                            size_t len);

/*
 * coap_client_take_downlink() - the payload of the 2.04 that delivered the last frame: the
 * gateway's downlink PHYPayload (proto/SPEC.md section 1.5), handed out once.
 * Return: its length into @buf, 0 when there is none (or it does not fit @cap: dropped).
 */
size_t coap_client_take_downlink(struct coap_client *c, uint8_t *buf, size_t cap);

#endif
