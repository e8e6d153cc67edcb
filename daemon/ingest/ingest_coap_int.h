/* SPDX-License-Identifier: MIT
 * Internals of the CoAP ingest shared between ingest_coap.c, ingest_coap_rules.c (which
 * defines them), its fuzz target, the benchmark and tests: how a request to /up is judged
 * before and after uplink_process(), the retransmission signature of a frame, and the DTLS
 * pre-shared key rule. Nothing here is for other modules.
 */
#ifndef PROJ_DAEMON_INGEST_INGEST_COAP_INT_H
#define PROJ_DAEMON_INGEST_INGEST_COAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <coap3/coap.h>

#include "proto/aes.h"
#include "store/store.h"

/*
 * The DTLS-PSK rule. Identity: the node's DevAddr as 8 hex digits ("26011F00"; either case
 * is accepted). Key: the 32 upper-case hex digits (ASCII) of the 16-byte tag
 * AES-CMAC(AppSKey, "tinyfleet dtls psk") (RFC 4493; the label is 18 ASCII bytes, no NUL).
 * Derived, so nothing more has to be provisioned, and a one-way function of the AppSKey,
 * so the LoRaWAN session key itself never enters a DTLS stack. The key is the hex text and
 * not the 16 raw bytes because libcoap's coap-client takes -k as text only (measured with
 * 4.3.1: "-k 0x4142" is the 6-byte key "0x4142"), and 16 random bytes contain a NUL with a
 * probability of 6 %; any DTLS stack accepts a 32-byte key.
 */
#define INGEST_COAP_PSK_LABEL "tinyfleet dtls psk"
#define INGEST_COAP_PSK_LEN   32u /* characters, without the NUL */

/* ingest_coap__psk() - the PSK of a node with @appskey into @out (33 bytes, NUL-terminated).
 * Any thread. */
void ingest_coap__psk(const uint8_t appskey[PROTO_AES_KEY], char out[INGEST_COAP_PSK_LEN + 1]);

/* What the handler takes from one request to /up. */
struct ingest_coap__req {
    const uint8_t *payload; /* the body; NULL when there is none */
    size_t len;             /* its length, bytes */
    int content_format;     /* Content-Format option value, -1 when absent */
    bool block1;            /* a Block1 option is present (RFC 7959) */
    bool dtls;              /* received over DTLS: the fields below apply */
    bool identity_ok;       /* the session's PSK identity is a DevAddr */
    uint32_t identity;      /* that DevAddr */
};

/* ingest_coap__req_from_pdu() - fill @out from a parsed request (payload aliases @pdu).
 * The DTLS fields are left false; the caller sets them from the session. */
void ingest_coap__req_from_pdu(const coap_pdu_t *pdu, struct ingest_coap__req *out);

/*
 * ingest_coap__check() - the checks made before the frame check: one frame in one
 * datagram, the content format, and for DTLS that the frame comes from the session's node.
 * @why: out, the reason to count when the request is refused.
 * Return: 0 to go on to uplink_process(), else the CoAP response code to send.
 */
coap_pdu_code_t ingest_coap__check(const struct ingest_coap__req *req, enum store_reason *why);

/* ingest_coap__sockaddr_name() - @sa as "a.b.c.d:port", "[v6]:port" or "(family N)" into
 * @out (@cap bytes, cut to fit). Loop thread (once per frame stored: no inet_ntop() for IPv4). */
void ingest_coap__sockaddr_name(const struct sockaddr *sa, char *out, size_t cap);

/* ingest_coap__join_code() - the CoAP response code for join_process()'s return @rc: 2.04
 * (sent once committed, with the JoinAccept) for 0, 4.00 malformed, 4.01 unknown DevEUI or
 * bad MIC, 4.03 DevNonce reused or JoinNonces used up, 5.03 storage. */
coap_pdu_code_t ingest_coap__join_code(int rc);

/* ingest_coap__code() - the CoAP response code for a verdict (ARCHITECTURE.md table;
 * STORE_ACCEPTED and STORE_DUPLICATE map to 2.04, sent only once committed). */
coap_pdu_code_t ingest_coap__code(enum store_reason r);

/*
 * A frame's signature: what a byte-identical copy has in common with it. The MIC is an
 * AES-CMAC over every byte, and the hash covers the bytes once more, so two different
 * frames of one node and one length share a signature with a probability far below 2^-32.
 * Used only to answer a copy of a frame that is stored (or being stored) without storing
 * it again; a collision could at worst earn a copy a 2.04 while storing nothing.
 */
struct ingest_coap__sig {
    uint64_t hash;    /* over all bytes; 0 with len 0 = no signature */
    uint32_t devaddr; /* bytes 1..4, little-endian on air */
    uint16_t len;     /* bytes */
    uint8_t mic[4];   /* the last four bytes */
};

/* ingest_coap__sig() - the signature of @phy. Return: false when @len is outside
 * PROTO_FRAME_MIN_LEN..PROTO_FRAME_MAX_LEN (no signature). */
bool ingest_coap__sig(const uint8_t *phy, size_t len, struct ingest_coap__sig *out);

/* ingest_coap__sig_equal() - same frame, as far as a signature tells. Inline: the list of
 * waiting requests is searched with it for every request. */
static inline bool ingest_coap__sig_equal(const struct ingest_coap__sig *a,
                                          const struct ingest_coap__sig *b)
{
    return a->len != 0 && a->hash == b->hash && a->devaddr == b->devaddr && a->len == b->len &&
           memcmp(a->mic, b->mic, sizeof(a->mic)) == 0;
}

#endif
