/* SPDX-License-Identifier: MIT
 * CoAP CON client for POST /up (RFC 7252). Section numbers below refer to RFC 7252.
 * Parsing is bounds-checked byte by byte: any datagram from the network may be garbage.
 */
#include "nodefw/coap_client.h"

#include <string.h>

enum {
    TYPE_CON = 0,
    TYPE_NON = 1,
    TYPE_ACK = 2,
    TYPE_RST = 3,
    CODE_POST = 0x02,
    OPT_URI_PATH = 11,
    OPT_CONTENT_FORMAT = 12,
    OPT_MAX_AGE = 14,
};

int coap_client_encode_post(uint8_t *buf, size_t cap, uint16_t mid,
                            const uint8_t token[COAP_CLIENT_TOKEN_LEN], const uint8_t *payload,
                            size_t len)
{
    /* 4 header + token + Uri-Path "up" (3) + Content-Format 42 (2) + marker (1) */
    size_t need = 4u + COAP_CLIENT_TOKEN_LEN + 3u + 2u + 1u + len;
    size_t i = 0;

    if (need > cap || len == 0u) {
        return COAP_CLIENT_EINVAL;
    }
    buf[i++] = (uint8_t)(0x40u | (TYPE_CON << 4) | COAP_CLIENT_TOKEN_LEN); /* Ver 1 (3) */
    buf[i++] = CODE_POST;
    buf[i++] = (uint8_t)(mid >> 8);
    buf[i++] = (uint8_t)mid;
    memcpy(&buf[i], token, COAP_CLIENT_TOKEN_LEN);
    i += COAP_CLIENT_TOKEN_LEN;
    buf[i++] = (uint8_t)((OPT_URI_PATH << 4) | 2u); /* delta 11, length 2 (3.1) */
    buf[i++] = 'u';
    buf[i++] = 'p';
    buf[i++] = (uint8_t)(((OPT_CONTENT_FORMAT - OPT_URI_PATH) << 4) | 1u); /* delta 1, length 1 */
    buf[i++] = COAP_CLIENT_CF_LORAWAN;
    buf[i++] = 0xFF; /* payload marker */
    memcpy(&buf[i], payload, len);
    return (int)(i + len);
}

void coap_client_init(struct coap_client *c, const struct hal *hal)
{
    memset(c, 0, sizeof(*c));
    c->hal = hal;
    /* A random start keeps ids unique across reboots within EXCHANGE_LIFETIME (4.4). */
    c->mid = (uint16_t)hal_random_u32(hal);
}

int coap_client_busy(const struct coap_client *c)
{
    return c->state != COAP_CLIENT_IDLE;
}

/* A new request (new message id and token) for the stored payload, first transmission. */
static int start_request(struct coap_client *c, uint64_t now_ms)
{
    uint32_t r = hal_random_u32(c->hal);
    int n;

    c->mid++;
    c->token[0] = (uint8_t)r;
    c->token[1] = (uint8_t)(r >> 8);
    c->token[2] = (uint8_t)(r >> 16);
    c->token[3] = (uint8_t)(r >> 24);
    n = coap_client_encode_post(c->msg, sizeof(c->msg), c->mid, c->token, c->payload,
                                c->payload_len);
    if (n < 0) {
        return COAP_CLIENT_EINVAL;
    }
    c->msg_len = (size_t)n;
    /* Initial timeout uniformly in [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR] (4.8). */
    c->timeout_ms =
        COAP_CLIENT_ACK_TIMEOUT_MS +
        hal_random_u32(c->hal) %
            (COAP_CLIENT_ACK_TIMEOUT_MS * (COAP_CLIENT_RANDOM_PERMILLE - 1000u) / 1000u + 1u);
    c->retransmits = 0;
    c->deadline_ms = now_ms + c->timeout_ms;
    c->state = COAP_CLIENT_WAIT_ACK;
    c->transmissions++;
    if (hal_dgram_send(c->hal, c->msg, c->msg_len) != HAL_OK) {
        c->send_errors++;
        return COAP_CLIENT_EIO;
    }
    return 0;
}

int coap_client_post(struct coap_client *c, uint64_t now_ms, const uint8_t *payload, size_t len)
{
    if (c->state != COAP_CLIENT_IDLE) {
        return COAP_CLIENT_EBUSY;
    }
    if (len == 0u || len > COAP_CLIENT_MAX_PAYLOAD) {
        return COAP_CLIENT_EINVAL;
    }
    memcpy(c->payload, payload, len);
    c->payload_len = len;
    c->tries_503 = 0;
    c->requests++;
    if (start_request(c, now_ms) == COAP_CLIENT_EIO) {
        c->state = COAP_CLIENT_IDLE;
        return COAP_CLIENT_EIO;
    }
    return 0;
}

/* A parsed datagram: the header fields we use and the Max-Age option. */
struct resp {
    uint8_t type;
    uint8_t code;
    uint16_t mid;
    const uint8_t *token;
    uint8_t tkl;
    uint32_t max_age;       /* seconds; COAP_CLIENT_MAX_AGE_DEF_S when absent */
    const uint8_t *payload; /* after the 0xFF marker; NULL when none */
    size_t payload_len;
};

/* Read an option's extended delta or length (3.1): 13 -> +1 byte, 14 -> +2 bytes. */
static int ext_value(uint32_t nib, const uint8_t *p, size_t len, size_t *i, uint32_t *out)
{
    if (nib < 13u) {
        *out = nib;
    } else if (nib == 13u) {
        if (*i + 1u > len) {
            return -1;
        }
        *out = 13u + p[*i];
        *i += 1u;
    } else if (nib == 14u) {
        if (*i + 2u > len) {
            return -1;
        }
        *out = 269u + ((uint32_t)p[*i] << 8) + p[*i + 1u];
        *i += 2u;
    } else {
        return -1; /* 15 is reserved except in the payload marker */
    }
    return 0;
}

static int parse(const uint8_t *p, size_t len, struct resp *r)
{
    size_t i;
    uint32_t opt = 0;

    if (len < 4u || (p[0] >> 6) != 1u) {
        return -1;
    }
    r->type = (uint8_t)((p[0] >> 4) & 3u);
    r->tkl = (uint8_t)(p[0] & 0x0Fu);
    r->code = p[1];
    r->mid = (uint16_t)((p[2] << 8) | p[3]);
    r->max_age = COAP_CLIENT_MAX_AGE_DEF_S;
    r->payload = NULL;
    r->payload_len = 0;
    if (r->tkl > 8u || len < 4u + r->tkl) {
        return -1;
    }
    r->token = &p[4];
    i = 4u + r->tkl;
    while (i < len && p[i] != 0xFFu) {
        uint32_t delta;
        uint32_t olen;
        size_t k;

        k = i++;
        if (ext_value(p[k] >> 4, p, len, &i, &delta) != 0 ||
            ext_value(p[k] & 0x0Fu, p, len, &i, &olen) != 0 || olen > len - i) {
            return -1;
        }
        opt += delta;
        if (opt == OPT_MAX_AGE && olen <= 4u) {
            uint32_t v = 0;
            uint32_t b;

            for (b = 0; b < olen; b++) {
                v = (v << 8) | p[i + b];
            }
            r->max_age = v;
        }
        i += olen;
    }
    /* RFC 7252 section 3: a marker followed by nothing is a format error. */
    if (i < len) {
        if (i + 1u == len) {
            return -1;
        }
        r->payload = &p[i + 1u];
        r->payload_len = len - i - 1u;
    }
    return 0;
}

static void send_empty(struct coap_client *c, uint8_t type, uint16_t mid)
{
    uint8_t m[4];

    m[0] = (uint8_t)(0x40u | (uint32_t)(type << 4));
    m[1] = 0;
    m[2] = (uint8_t)(mid >> 8);
    m[3] = (uint8_t)mid;
    /* A lost ACK makes the gateway repeat its CON response, which is answered again. */
    if (hal_dgram_send(c->hal, m, sizeof(m)) != HAL_OK) {
        c->send_errors++;
    }
}

static int finish(struct coap_client *c, int result)
{
    c->state = COAP_CLIENT_IDLE;
    switch (result) {
    case COAP_CLIENT_DELIVERED:
        c->delivered++;
        break;
    case COAP_CLIENT_REJECTED:
        c->rejected++;
        break;
    case COAP_CLIENT_TIMEOUT:
        c->timeouts++;
        break;
    default:
        c->unavailable++;
        break;
    }
    return result;
}

/* The response code of our request: decide the outcome (see the header). */
static int on_response(struct coap_client *c, const struct resp *r, uint64_t now_ms)
{
    uint8_t cls = (uint8_t)(r->code >> 5);
    uint32_t wait_s;

    c->last_code = r->code;
    if (cls == 2u) {
        /* What the gateway had for this node rides in the 2.04 (SPEC section 1.5). */
        c->dl_len = r->payload_len <= sizeof(c->dl) ? r->payload_len : 0u;
        if (c->dl_len > 0u) {
            memcpy(c->dl, r->payload, c->dl_len);
        }
        return finish(c, COAP_CLIENT_DELIVERED);
    }
    if (cls == 4u) {
        return finish(c, COAP_CLIENT_REJECTED);
    }
    if (r->code == ((5u << 5) | 3u) && c->tries_503 < COAP_CLIENT_MAX_503) {
        /* 5.03 Service Unavailable: try again after Max-Age (5.9.3.4). */
        wait_s = r->max_age < COAP_CLIENT_MAX_AGE_CAP_S ? r->max_age : COAP_CLIENT_MAX_AGE_CAP_S;
        c->tries_503++;
        c->state = COAP_CLIENT_WAIT_RETRY;
        c->deadline_ms = now_ms + (uint64_t)wait_s * 1000u;
        return COAP_CLIENT_PENDING;
    }
    return finish(c, COAP_CLIENT_UNAVAILABLE);
}

static int on_datagram(struct coap_client *c, const uint8_t *p, size_t len, uint64_t now_ms)
{
    struct resp r;
    int ours;

    if (parse(p, len, &r) != 0) {
        c->unexpected++;
        return COAP_CLIENT_PENDING;
    }
    ours = r.tkl == COAP_CLIENT_TOKEN_LEN && memcmp(r.token, c->token, r.tkl) == 0;

    if (r.type == TYPE_ACK || r.type == TYPE_RST) {
        if (c->state != COAP_CLIENT_WAIT_ACK || r.mid != c->mid) {
            c->unexpected++; /* a late or duplicate ACK (4.5) */
            return COAP_CLIENT_PENDING;
        }
        if (r.type == TYPE_RST) {
            return finish(c, COAP_CLIENT_REJECTED);
        }
        if (r.code == 0u) {
            /* Empty ACK: a separate response follows (5.2.2). */
            c->state = COAP_CLIENT_WAIT_SEPARATE;
            c->deadline_ms = now_ms + COAP_CLIENT_MAX_TRANSMIT_WAIT_MS;
            return COAP_CLIENT_PENDING;
        }
        if (!ours) {
            c->unexpected++;
            return COAP_CLIENT_PENDING;
        }
        return on_response(c, &r, now_ms);
    }
    /* CON or NON: a separate response if the token is ours (it may overtake the ACK). */
    if (r.code == 0u || r.code < (2u << 5)) {
        if (r.type == TYPE_CON) {
            send_empty(c, TYPE_RST, r.mid); /* a request or ping to a client: reject (4.2) */
        }
        c->unexpected++;
        return COAP_CLIENT_PENDING;
    }
    if (r.type == TYPE_CON) {
        send_empty(c, TYPE_ACK, r.mid);
    }
    if (!ours || (c->state != COAP_CLIENT_WAIT_ACK && c->state != COAP_CLIENT_WAIT_SEPARATE)) {
        c->unexpected++;
        return COAP_CLIENT_PENDING;
    }
    return on_response(c, &r, now_ms);
}

static int on_timer(struct coap_client *c, uint64_t now_ms)
{
    switch (c->state) {
    case COAP_CLIENT_WAIT_ACK:
        if (c->retransmits >= COAP_CLIENT_MAX_RETRANSMIT) {
            return finish(c, COAP_CLIENT_TIMEOUT);
        }
        c->retransmits++;
        c->retransmissions++;
        c->transmissions++;
        c->timeout_ms *= 2u; /* exponential back-off (4.2) */
        c->deadline_ms = now_ms + c->timeout_ms;
        if (hal_dgram_send(c->hal, c->msg, c->msg_len) != HAL_OK) {
            c->send_errors++; /* as good as lost: the next timeout covers it */
        }
        return COAP_CLIENT_PENDING;
    case COAP_CLIENT_WAIT_SEPARATE:
        return finish(c, COAP_CLIENT_TIMEOUT);
    case COAP_CLIENT_WAIT_RETRY:
        /* A send error here is a lost first transmission: the timer retransmits it. */
        (void)start_request(c, now_ms);
        return COAP_CLIENT_PENDING;
    default:
        return COAP_CLIENT_PENDING;
    }
}

int coap_client_poll(struct coap_client *c, uint64_t now_ms)
{
    uint8_t buf[HAL_DGRAM_MAX];
    int n;
    int res;

    /* Drain the socket even when idle, so stale answers do not pile up. */
    while ((n = hal_dgram_recv(c->hal, buf, sizeof(buf))) > 0) {
        res = on_datagram(c, buf, (size_t)n, now_ms);
        if (res != COAP_CLIENT_PENDING) {
            return res;
        }
    }
    if (c->state != COAP_CLIENT_IDLE && now_ms >= c->deadline_ms) {
        return on_timer(c, now_ms);
    }
    return COAP_CLIENT_PENDING;
}

size_t coap_client_take_downlink(struct coap_client *c, uint8_t *buf, size_t cap)
{
    size_t n = c->dl_len;

    c->dl_len = 0;
    if (n == 0u || n > cap) {
        return 0;
    }
    memcpy(buf, c->dl, n);
    return n;
}
