/* SPDX-License-Identifier: MIT
 * The rules of POST /up that need neither the loop nor a session (ingest_coap_int.h): what a
 * request must be before the frame check, the answer to each verdict, a frame's
 * retransmission signature, a node's DTLS key, and a peer's address as text. Functions of
 * their arguments alone, so that the unit tests and the fuzz target check them without a
 * server.
 */
#include "ingest/ingest_coap_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "util/hex.h"
#include "proto/cmac.h"
#include "proto/frame.h"
#include "proto/join.h"

void ingest_coap__psk(const uint8_t appskey[PROTO_AES_KEY], char out[INGEST_COAP_PSK_LEN + 1])
{
    static const char label[] = INGEST_COAP_PSK_LABEL;
    uint8_t tag[PROTO_AES_BLOCK];

    proto_cmac(appskey, (const uint8_t *)label, sizeof(label) - 1, tag);
    if (hex_encode(tag, sizeof(tag), out, INGEST_COAP_PSK_LEN + 1) < 0) {
        out[0] = '\0';
    }
    explicit_bzero(tag, sizeof(tag));
}

void ingest_coap__req_from_pdu(const coap_pdu_t *pdu, struct ingest_coap__req *out)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    size_t len = 0;
    const uint8_t *data = NULL;

    memset(out, 0, sizeof(*out));
    if (coap_get_data(pdu, &len, &data)) {
        out->payload = data;
        out->len = len;
    }
    out->content_format = -1;
    opt = coap_check_option(pdu, COAP_OPTION_CONTENT_FORMAT, &it);
    if (opt != NULL) {
        /* uint, 0..2 bytes (RFC 7252 section 5.10.3); a longer one cannot be 42 */
        out->content_format =
            coap_opt_length(opt) <= 2
                ? (int)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt))
                : 65536;
    }
    out->block1 = coap_check_option(pdu, COAP_OPTION_BLOCK1, &it) != NULL;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

coap_pdu_code_t ingest_coap__check(const struct ingest_coap__req *req, enum store_reason *why)
{
    *why = STORE_MALFORMED;
    /* A PHYPayload is at most 255 bytes and always fits one datagram; a body spread over
     * blocks (RFC 7959) is not a frame we take. */
    if (req->block1) {
        return COAP_RESPONSE_CODE_BAD_REQUEST;
    }
    /* Content-Format 42 (application/octet-stream) or none; anything else announces a
     * body that is not a frame (RFC 7252 section 5.9.2.10). */
    if (req->content_format >= 0 &&
        req->content_format != COAP_MEDIATYPE_APPLICATION_OCTET_STREAM) {
        return COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT;
    }
    if (req->len == 0 || req->len > PROTO_FRAME_MAX_LEN || req->payload == NULL) {
        return COAP_RESPONSE_CODE_BAD_REQUEST;
    }
    /* Over DTLS the session's identity names one node, and only its frames are taken:
     * otherwise a node holding one key could post in another's name (its MIC still binds
     * the frame to the NwkSKey, but the PSK would no longer authenticate the sender). A
     * frame too short to carry a DevAddr is refused by uplink_process() as malformed. */
    if (req->dtls) {
        *why = STORE_UNKNOWN_NODE;
        /* A DTLS node's key derives from its AppSKey, which a join replaces: an OTAA node
         * joins over plain CoAP, where the AppKey's MIC authenticates the JoinRequest and
         * the JoinAccept travels encrypted (proto/SPEC.md section 1.5). */
        if ((req->payload[0] & 0xE0u) == PROTO_MHDR_JOIN_REQUEST) {
            return COAP_RESPONSE_CODE_UNAUTHORIZED;
        }
        if (!req->identity_ok) {
            return COAP_RESPONSE_CODE_UNAUTHORIZED;
        }
        if (req->len >= 5 && le32(req->payload + 1) != req->identity) {
            return COAP_RESPONSE_CODE_UNAUTHORIZED;
        }
    }
    return 0;
}

coap_pdu_code_t ingest_coap__join_code(int rc)
{
    switch (rc) {
    case 0:
        return COAP_RESPONSE_CODE_CHANGED;
    case -EINVAL:
        return COAP_RESPONSE_CODE_BAD_REQUEST;
    case -ENOENT:
    case -EBADMSG:
        return COAP_RESPONSE_CODE_UNAUTHORIZED;
    case -EEXIST:
    case -ERANGE:
        return COAP_RESPONSE_CODE_FORBIDDEN;
    default:
        return COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE;
    }
}

coap_pdu_code_t ingest_coap__code(enum store_reason r)
{
    switch (r) {
    case STORE_ACCEPTED:
    case STORE_DUPLICATE:
        return COAP_RESPONSE_CODE_CHANGED;
    case STORE_UNKNOWN_NODE:
    case STORE_BAD_MIC:
        return COAP_RESPONSE_CODE_UNAUTHORIZED;
    case STORE_REPLAY:
        return COAP_RESPONSE_CODE_FORBIDDEN;
    case STORE_STORAGE_FAILED:
        return COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE;
    case STORE_MALFORMED:
    case STORE_BAD_PAYLOAD:
    case STORE_BAD_DATAGRAM:
    case STORE_REASON_COUNT:
    default:
        return COAP_RESPONSE_CODE_BAD_REQUEST;
    }
}

bool ingest_coap__sig(const uint8_t *phy, size_t len, struct ingest_coap__sig *out)
{
    /* 64-bit multiply-xorshift over 8-byte words: cheap, and only compared between frames
     * whose DevAddr, length and CMAC already agree. */
    uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t)len;
    size_t i = 0;

    memset(out, 0, sizeof(*out));
    if (phy == NULL || len < PROTO_FRAME_MIN_LEN || len > PROTO_FRAME_MAX_LEN) {
        return false;
    }
    for (; i + 8 <= len; i += 8) {
        uint64_t w;

        memcpy(&w, phy + i, sizeof(w));
        h = (h ^ w) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 29;
    }
    for (; i < len; i++) {
        h = (h ^ phy[i]) * 0xC4CEB9FE1A85EC53u;
    }
    h ^= h >> 32;
    out->hash = h | 1u; /* never 0, so an empty slot never matches */
    out->devaddr = le32(phy + 1);
    out->len = (uint16_t)len;
    memcpy(out->mic, phy + len - PROTO_FRAME_MIC_LEN, PROTO_FRAME_MIC_LEN);
    return true;
}

/* Writes @v in decimal at @p; returns the end. */
static char *put_dec(char *p, unsigned v)
{
    char tmp[10];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0) {
        *p++ = tmp[--n];
    }
    return p;
}

/*
 * "a.b.c.d:port" by hand, the form inet_ntop() and "%s:%u" give: once per frame stored
 * (the reception's gateway), where inet_ntop() and two snprintf() calls cost 2.5 k
 * instructions per CoAP frame (callgrind). "255.255.255.255:65535" is 21 bytes plus NUL.
 */
static bool ipv4_name(const struct sockaddr_in *in, char *out, size_t cap)
{
    const uint8_t *a = (const uint8_t *)&in->sin_addr;
    char buf[24];
    char *p = buf;
    int i;

    for (i = 0; i < 4; i++) {
        p = put_dec(p, a[i]);
        *p++ = i < 3 ? '.' : ':';
    }
    p = put_dec(p, ntohs(in->sin_port));
    if ((size_t)(p - buf) >= cap) {
        return false;
    }
    memcpy(out, buf, (size_t)(p - buf));
    out[p - buf] = '\0';
    return true;
}

void ingest_coap__sockaddr_name(const struct sockaddr *sa, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (sa->sa_family == AF_INET &&
        ipv4_name((const struct sockaddr_in *)(const void *)sa, out, cap)) {
        return;
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

        (void)inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        snprintf(out, cap, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

        (void)inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(out, cap, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(out, cap, "(family %d)", (int)sa->sa_family);
    }
}
