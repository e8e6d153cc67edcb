/* SPDX-License-Identifier: MIT
 * CoAP ingest: POST /up (RFC 7252) on libcoap 4.3, inside the libuv loop. libcoap's epoll
 * descriptor is a uv_poll; its own timerfd sits in that epoll set, and a uv_timer armed
 * from coap_io_prepare_epoll() backs it up. Group commit decides the shape of a reply:
 * a refusal changes nothing and is piggybacked at once (RFC 7252 section 5.2.1), but an
 * accepted frame sits in the open batch, so its 2.04 waits in a fixed-size list until
 * ingest_coap_committed() learns how the store_flush() holding it went and
 * ingest_coap_durable() that the commit is on disk.
 */
#include "ingest/ingest_coap.h"
#include "ingest/ingest_coap_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "util/hex.h"
#include "util/log.h"
#include "ingest/downlink.h"
#include "ingest/join.h"
#include "ingest/uplink.h"

/* Accepted frames (and copies of them) waiting for their commit. One loop iteration reads
 * at most DRAIN_MAX datagrams before the daemon flushes, so the list fills only when the
 * daemon stops flushing; the next request is then answered 5.03 rather than queued. */
#define PEND_MAX 1024u
/* epoll_wait() rounds per wake-up: each reads about one datagram, and bounding them bounds
 * the batch and the time before the flush that answers it. */
#define DRAIN_MAX    256u
#define EPOLL_EVENTS 16 /* per epoll_wait(): the endpoints and libcoap's timerfd */
/* Last committed frame per node, direct-mapped by DevAddr (24 bytes a slot). */
#define CACHE_SLOTS 16384u
/* Idle server sessions libcoap keeps (least recently used go first); a session costs about
 * a kilobyte, and a node that comes back after its session went simply gets a new one. */
#define MAX_IDLE_SESSIONS 2048u
#define TOKEN_MAX         8u  /* RFC 7252 section 3: TKL 0..8 */
#define PEER_NAME_LEN     64u /* "[ffff:...:ffff]:65535" */

enum pend_state {
    PEND_FREE = 0,
    PEND_WAITING,  /* in the open batch (or a copy of a frame that is) */
    PEND_COMMITTED /* committed, not yet durable */
};

/*
 * How a waiting request gets its answer: nothing leaves now; once the commit is durable the
 * answer goes out as the ACK of the CON request, piggybacked (RFC 7252 section 5.2.1), or as
 * a NON response to a NON request (5.2.3). That is microseconds to a few milliseconds later,
 * far inside the client's ACK_TIMEOUT (2 s, section 4.8); should it take longer, the client
 * retransmits and the copy joins the waiting entry by signature.
 * Not libcoap's separate responses (5.2.2, coap_register_async()), which the daemon offered
 * as a measurement switch until 2026-11 (measured with libcoap 4.3.1, make bench-coap, then
 * 0.25 of a bare server against 0.43 for piggybacked answers):
 * - a client matches the ACK to its request by message id (section 4.2), but a separate
 *   response only by token (5.3.2), and libcoap answers any request that reuses the token
 *   of a registered async with an empty ACK without calling the handler. A node that
 *   restarts on the same port with the same first token while its predecessor's frame
 *   waits would take the predecessor's 2.04 for its own, never stored, frame;
 * - two datagrams each way instead of one, and about twice libcoap's instructions (the
 *   async list is searched linearly, the CON response is queued and retransmitted).
 */
struct pend {
    coap_session_t *session;      /* referenced while the entry is in use */
    struct ingest_coap__sig sig;  /* of the frame, to join copies and fill the cache */
    uint64_t gen;                 /* PEND_COMMITTED: the commit holding the frame */
    coap_mid_t mid;               /* the request's message id, the ACK's */
    uint16_t slot;                /* index of this entry in pend[] */
    uint16_t pos;                 /* index in active[] while in use */
    uint8_t token[TOKEN_MAX];     /* the request's token, echoed (section 5.3.1) */
    uint8_t token_len;            /* 0..8 */
    uint8_t state;                /* enum pend_state */
    uint8_t con;                  /* the request was confirmable */
    uint8_t join;                 /* a JoinRequest: answered, it is not remembered (cache) */
    uint8_t dl_len;               /* bytes in dl; 0: a 2.04 without payload */
    uint8_t dl[DOWNLINK_PHY_MAX]; /* the downlink the 2.04 carries (proto/SPEC.md 1.5) */
};

struct ingest_coap {
    uv_poll_t poll;              /* on libcoap's epoll descriptor; poll.data = this */
    uv_timer_t timer;            /* libcoap's next timeout (retransmission, session expiry) */
    uv_idle_t idle;              /* active while frames wait: the loop must not block */
    int open_handles;            /* handles not yet closed; the last close frees this */
    bool closing;                /* ingest_coap_stop() was called */
    bool coap_started;           /* coap_startup() was called */
    struct store *store;         /* not owned */
    struct poststore *after;     /* not owned; NULL: nothing follows a stored frame */
    coap_context_t *ctx;         /* owned; its resource /up points back here */
    int fd;                      /* libcoap's epoll descriptor (owned by ctx) */
    size_t active_count;         /* entries of pend[] in use, listed in active[] */
    size_t waiting;              /* of which PEND_WAITING */
    size_t committed;            /* of which PEND_COMMITTED */
    uint64_t withheld;           /* waiting entries dropped (session gone, stop) */
    struct log_limit lim_refuse; /* refusals decided here */
    struct log_limit lim_io;     /* libcoap and send failures, full list */
    struct log_limit lim_dtls;   /* PSK identities refused */
    coap_bin_const_t psk;        /* points into psk_text for libcoap to copy */
    char psk_text[INGEST_COAP_PSK_LEN + 1];
    uint16_t free_list[PEND_MAX]; /* unused slots of pend[], a stack */
    size_t free_count;
    uint16_t active[PEND_MAX];
    struct pend pend[PEND_MAX];
    struct ingest_coap__sig cache[CACHE_SLOTS];
};

/* libcoap's log handler has no argument: one limit for all its lines. */
static struct log_limit coap_lim = LOG_LIMIT_INIT("libcoap messages", 20, 10000);
/* Datagrams libcoap refused before any handler saw them: a PDU that does not parse, or one
 * longer than the 1,152 bytes libcoap 4.3.1 accepts, gets an RST (RFC 7252 section 4.2)
 * and the warning "discard malformed PDU", which is its only sign (no callback, no event
 * before libcoap 4.3.2's COAP_EVENT_BAD_PACKET). Read in drain(), around the only calls
 * into libcoap's receive path, and counted there. Loop thread only. */
static const char coap_discard_msg[] = "discard malformed PDU";
static unsigned long coap_discarded;
/* Ingests between coap_startup() and coap_cleanup(), which are process-wide: a failed
 * second start must not shut libcoap down under a running first one. Loop thread only. */
static unsigned coap_users;

/* ---- helpers ------------------------------------------------------------------------------ */

static int64_t wall_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t now_ms(const struct ingest_coap *c)
{
    return uv_now(c->poll.loop);
}

static void session_peer(const coap_session_t *session, char *out, size_t cap)
{
    const coap_address_t *a = coap_session_get_addr_remote(session);

    if (a == NULL) {
        snprintf(out, cap, "?");
        return;
    }
    ingest_coap__sockaddr_name(&a->addr.sa, out, cap);
}

static size_t cache_slot(uint32_t devaddr)
{
    /* Fibonacci hashing: DevAddrs of one network share their high bits. */
    return (size_t)((devaddr * 2654435769u) >> 18) & (CACHE_SLOTS - 1);
}

static bool cache_has(const struct ingest_coap *c, const struct ingest_coap__sig *sig)
{
    return ingest_coap__sig_equal(&c->cache[cache_slot(sig->devaddr)], sig);
}

static void cache_put(struct ingest_coap *c, const struct ingest_coap__sig *sig)
{
    if (sig->len != 0) {
        c->cache[cache_slot(sig->devaddr)] = *sig;
    }
}

/* ---- the list of waiting requests ---------------------------------------------------------- */

static struct pend *pend_alloc(struct ingest_coap *c)
{
    struct pend *p;

    if (c->free_count == 0) {
        return NULL;
    }
    p = &c->pend[c->free_list[--c->free_count]];
    p->pos = (uint16_t)c->active_count;
    c->active[c->active_count++] = p->slot;
    return p;
}

static void pend_free(struct ingest_coap *c, struct pend *p)
{
    uint16_t last = c->active[--c->active_count];

    c->active[p->pos] = last;
    c->pend[last].pos = p->pos;
    if (p->state == PEND_WAITING) {
        c->waiting--;
    } else if (p->state == PEND_COMMITTED) {
        c->committed--;
    }
    if (p->session != NULL) {
        coap_session_release(p->session);
    }
    p->session = NULL;
    p->state = PEND_FREE;
    c->free_list[c->free_count++] = p->slot;
}

/* An entry for @sig whose answer is still to come: a copy then gets the same answer. */
static struct pend *pend_find_waiting(struct ingest_coap *c, const struct ingest_coap__sig *sig)
{
    size_t i;

    for (i = 0; i < c->active_count; i++) {
        struct pend *p = &c->pend[c->active[i]];

        if (ingest_coap__sig_equal(&p->sig, sig)) {
            return p;
        }
    }
    return NULL;
}

/* The downlink as the 2.04's payload, Content-Format 42 (application/octet-stream). */
static bool add_downlink(coap_pdu_t *pdu, const struct pend *p)
{
    uint8_t cf[2];
    size_t n = coap_encode_var_safe(cf, sizeof(cf), COAP_MEDIATYPE_APPLICATION_OCTET_STREAM);

    return coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT, n, cf) != 0 &&
           coap_add_data(pdu, p->dl_len, p->dl) != 0;
}

/* The answer: the ACK of a CON request, carrying the code (piggybacked, RFC 7252
 * section 5.2.1), or a NON response with a fresh message id to a NON request (5.2.3). */
static void reply_direct(struct ingest_coap *c, struct pend *p, coap_pdu_code_t code)
{
    coap_pdu_t *pdu;
    coap_mid_t mid = p->con ? p->mid : coap_new_message_id(p->session);

    pdu = coap_pdu_init(p->con ? COAP_MESSAGE_ACK : COAP_MESSAGE_NON, code, mid,
                        coap_session_max_pdu_size(p->session));
    if (pdu == NULL || !coap_add_token(pdu, p->token_len, p->token) ||
        (code == COAP_RESPONSE_CODE_CHANGED && p->dl_len > 0 && !add_downlink(pdu, p))) {
        coap_delete_pdu(pdu);
        log_limited_at(&c->lim_io, now_ms(c), LOG_ERR, "coap: no memory for a reply");
        return;
    }
    /* coap_send() owns the PDU from here, sent or not. */
    if (coap_send(p->session, pdu) == COAP_INVALID_MID) {
        char peer[PEER_NAME_LEN];

        session_peer(p->session, peer, sizeof(peer));
        log_limited_at(&c->lim_io, now_ms(c), LOG_WARNING, "coap: cannot send the reply to %s",
                       peer);
    }
}

/*
 * Keep the request until the commit is durable. On return the handler leaves the response
 * code 0 and the response made a NON, for which libcoap 4.3.1 sends nothing at all
 * (measured: not even the empty ACK it sends for a CON left without code), so the ACK can
 * carry the answer.
 * Return: false when the list is full (the caller answers 5.03 at once).
 */
static bool defer(struct ingest_coap *c, coap_session_t *session, const coap_pdu_t *request,
                  coap_pdu_t *response, const struct ingest_coap__sig *sig)
{
    coap_bin_const_t token = coap_pdu_get_token(request);
    struct pend *p;

    if (token.length > TOKEN_MAX) {
        return false;
    }
    p = pend_alloc(c);
    if (p == NULL) {
        return false;
    }
    p->session = coap_session_reference(session);
    p->sig = *sig;
    p->mid = coap_pdu_get_mid(request);
    p->con = coap_pdu_get_type(request) == COAP_MESSAGE_CON;
    p->token_len = (uint8_t)token.length;
    if (token.length > 0) {
        memcpy(p->token, token.s, token.length);
    }
    p->state = PEND_WAITING;
    p->dl_len = 0;
    p->join = 0;
    c->waiting++;
    coap_pdu_set_type(response, COAP_MESSAGE_NON);
    return true;
}

/* ---- the resource /up ------------------------------------------------------------------- */

static void refuse(struct ingest_coap *c, coap_session_t *session, coap_pdu_t *response,
                   coap_pdu_code_t code, enum store_reason why, const char *what)
{
    char peer[PEER_NAME_LEN];

    store_count(c->store, STORE_BEARER_COAP, why);
    coap_pdu_set_code(response, code);
    if (log_enabled(LOG_INFO)) {
        session_peer(session, peer, sizeof(peer));
        log_limited_at(&c->lim_refuse, now_ms(c), LOG_INFO, "coap: %s from %s: %d.%02d (%s)", what,
                       peer, COAP_RESPONSE_CLASS(code), code & 0x1f, store_reason_name(why));
    }
}

/* Over DTLS: the DevAddr the session's PSK identity names (the key matched, or the
 * handshake would have failed). */
static void req_identity(coap_session_t *session, struct ingest_coap__req *req)
{
    const coap_bin_const_t *id;
    char text[HEX_DEVADDR_STR_LEN];

    if (coap_session_get_proto(session) != COAP_PROTO_DTLS) {
        return;
    }
    req->dtls = true;
    id = coap_session_get_psk_identity(session);
    if (id == NULL || id->length != HEX_DEVADDR_STR_LEN - 1) {
        return;
    }
    memcpy(text, id->s, id->length);
    text[id->length] = '\0';
    req->identity_ok = hex_decode_devaddr(text, &req->identity, NULL, 0) == 0;
}

/* What is pending for the node travels in the 2.04 (the exchange is its receive window),
 * built in the frame's batch, so it leaves only once that batch is durable. */
static void coap_downlink(struct ingest_coap *c, struct pend *p, const struct uplink_result *res,
                          int64_t wall)
{
    struct downlink_frame fr;
    int rc = downlink_for(c->store, c->after, res->devaddr, res->confirmed, wall, &fr);

    if (rc > 0) {
        memcpy(p->dl, fr.phy, fr.len);
        p->dl_len = (uint8_t)fr.len;
        store_count_downlink(c->store, STORE_DL_COAP);
    } else if (rc < 0) {
        log_limited_at(&c->lim_io, now_ms(c), LOG_ERR, "coap: no downlink for %08X: %s",
                       (unsigned)res->devaddr, strerror(-rc));
    }
}

_Static_assert(PROTO_JOIN_ACCEPT_LEN <= DOWNLINK_PHY_MAX, "a JoinAccept fits a pending reply");

/* A JoinRequest (proto/SPEC.md section 1.5): checked as over the radio, and its JoinAccept
 * is the payload of the 2.04, sent once the batch holding the session it opens is durable. */
static void coap_join(struct ingest_coap *c, coap_session_t *session, const coap_pdu_t *request,
                      coap_pdu_t *response, const struct ingest_coap__req *req,
                      const struct ingest_coap__sig *sig)
{
    struct join_answer ans;
    struct pend *p;
    int rc = join_process(c->store, STORE_BEARER_COAP, req->payload, req->len, wall_ms(), &ans);

    if (rc != 0) {
        coap_pdu_set_code(response, ingest_coap__join_code(rc));
        return;
    }
    /* The free slot was checked by the caller; as for a frame, 5.03 if an invariant broke
     * (the node joins again with its next DevNonce). */
    if (!defer(c, session, request, response, sig)) {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE);
        return;
    }
    p = &c->pend[c->active[c->active_count - 1]];
    memcpy(p->dl, ans.phy, ans.len);
    p->dl_len = (uint8_t)ans.len;
    p->join = 1;
    store_count_downlink(c->store, STORE_DL_JOIN_ACCEPT);
    explicit_bzero(&ans, sizeof(ans));
}

static void hnd_post_up(coap_resource_t *resource, coap_session_t *session,
                        const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response)
{
    struct ingest_coap *c = coap_resource_get_userdata(resource);
    struct ingest_coap__req req;
    struct ingest_coap__sig sig;
    struct uplink_result res;
    struct store_rx rx;
    enum store_reason why;
    coap_pdu_code_t code;
    bool has_sig;

    (void)query;
    ingest_coap__req_from_pdu(request, &req);
    has_sig = ingest_coap__sig(req.payload, req.len, &sig);

    req_identity(session, &req);
    code = ingest_coap__check(&req, &why);
    if (code != 0) {
        refuse(c, session, response, code, why,
               why == STORE_UNKNOWN_NODE ? "frame not from the DTLS identity's node"
                                         : "request that is not one frame");
        return;
    }

    /*
     * A copy of a frame already taken (a CON retransmitted because our answer was slow or
     * lost, RFC 7252 section 4.5, or the node posting again with a new message id after
     * losing the reply) is answered like the original and stored once. Counter-wise it is a
     * replay, and ARCHITECTURE.md answers replays 4.03; but a node that gets 4.03 for a
     * frame whose 2.04 it missed cannot tell whether the frame was stored. So a copy of
     * the node's last durable frame gets 2.04 now, a copy of a frame still waiting gets
     * whatever that frame gets, and both are counted as duplicates. Only an older
     * frame, or the same counter with other bytes, is a replay (4.03). After a restart the
     * memory is empty and a copy gets 4.03: nodes treat 4.03 for a frame they already sent
     * as delivered (a replay is refused only once the counter was accepted).
     */
    if (has_sig && pend_find_waiting(c, &sig) != NULL) {
        if (!defer(c, session, request, response, &sig)) {
            refuse(c, session, response, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE,
                   STORE_STORAGE_FAILED, "copy of a waiting frame, list full,");
            return;
        }
        store_count(c->store, STORE_BEARER_COAP, STORE_DUPLICATE);
        return;
    }
    if (has_sig && cache_has(c, &sig)) {
        store_count(c->store, STORE_BEARER_COAP, STORE_DUPLICATE);
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
        return;
    }
    if (c->free_count == 0 || coap_pdu_get_token(request).length > TOKEN_MAX) {
        refuse(c, session, response, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE, STORE_STORAGE_FAILED,
               "frame while the reply list is full");
        return;
    }

    if ((req.payload[0] & 0xE0u) == PROTO_MHDR_JOIN_REQUEST) {
        coap_join(c, session, request, response, &req, &sig);
        return;
    }

    memset(&rx, 0, sizeof(rx));
    rx.bearer = STORE_BEARER_COAP;
    rx.time_ms = wall_ms();
    /* sizeof(rx.gateway) holds any IPv4 peer; a long IPv6 one is cut (snprintf() in
     * ingest_coap__sockaddr_name()), still readable. Written there directly, without a copy. */
    session_peer(session, rx.gateway, sizeof(rx.gateway));

    (void)uplink_process(c->store, c->after, req.payload, req.len, &rx, &res);
    if (res.reason != STORE_ACCEPTED) {
        coap_pdu_set_code(response, ingest_coap__code(res.reason));
        return;
    }
    /* The free slot was checked above, so defer() cannot fail here but for an invariant
     * broken; the frame is in the batch then, and 5.03 makes the node send it again. */
    if (!defer(c, session, request, response, &sig)) {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE);
        return;
    }
    coap_downlink(c, &c->pend[c->active[c->active_count - 1]], &res, rx.time_ms);
}

/* Methods other than POST: libcoap would answer 4.05 by itself, but then the request
 * would not be counted, and every refusal must be. */
static void hnd_not_allowed(coap_resource_t *resource, coap_session_t *session,
                            const coap_pdu_t *request, const coap_string_t *query,
                            coap_pdu_t *response)
{
    struct ingest_coap *c = coap_resource_get_userdata(resource);

    (void)request;
    (void)query;
    refuse(c, session, response, COAP_RESPONSE_CODE_NOT_ALLOWED, STORE_MALFORMED,
           "method other than POST");
}

/* Any path but /up: libcoap would answer 4.04 by itself (and 2.02 to a DELETE, RFC 7252
 * section 5.8.4), uncounted. Method codes beyond iPATCH (0.08 to 0.31) have no handler slot
 * in libcoap 4.3.1 and are still answered by it alone: 4.05 on /up, 4.04 elsewhere. */
static void hnd_unknown_path(coap_resource_t *resource, coap_session_t *session,
                             const coap_pdu_t *request, const coap_string_t *query,
                             coap_pdu_t *response)
{
    struct ingest_coap *c = coap_resource_get_userdata(resource);

    (void)request;
    (void)query;
    refuse(c, session, response, COAP_RESPONSE_CODE_NOT_FOUND, STORE_MALFORMED,
           "request for a path other than /up");
}

/* ---- DTLS-PSK ----------------------------------------------------------------------------- */

static const coap_bin_const_t *psk_for_identity(coap_bin_const_t *identity, coap_session_t *session,
                                                void *arg)
{
    struct ingest_coap *c = arg;
    struct store_node node;
    char text[HEX_DEVADDR_STR_LEN];
    char peer[PEER_NAME_LEN];
    uint32_t devaddr = 0;
    int rc = -EINVAL;

    if (identity != NULL && identity->length == HEX_DEVADDR_STR_LEN - 1) {
        memcpy(text, identity->s, identity->length);
        text[identity->length] = '\0';
        rc = hex_decode_devaddr(text, &devaddr, NULL, 0);
    }
    if (rc == 0) {
        rc = store_node_get(c->store, devaddr, &node);
    }
    if (rc != 0) {
        session_peer(session, peer, sizeof(peer));
        log_limited_at(&c->lim_dtls, now_ms(c), LOG_NOTICE,
                       "coap: DTLS handshake from %s refused: %s", peer,
                       rc == -ENOENT   ? "identity is no registered DevAddr"
                       : rc == -EINVAL ? "identity is not 8 hex digits"
                                       : "registry unavailable");
        return NULL;
    }
    ingest_coap__psk(node.appskey, c->psk_text);
    explicit_bzero(&node, sizeof(node));
    c->psk.s = (const uint8_t *)c->psk_text;
    c->psk.length = INGEST_COAP_PSK_LEN;
    return &c->psk; /* libcoap copies it at once (coap_dtls_id_callback_t) */
}

/* ---- driving libcoap from the loop --------------------------------------------------------- */

static void on_timer(uv_timer_t *t);
static void on_idle(uv_idle_t *h);

/* No blocking in the loop while frames wait for the commit (see on_idle()). */
static void keep_awake(struct ingest_coap *c)
{
    if (c->waiting > 0) {
        (void)uv_idle_start(&c->idle, on_idle);
    } else {
        (void)uv_idle_stop(&c->idle);
    }
}

/* After libcoap read: its next timeout on the timer. Answers need no call into libcoap
 * afterwards: coap_send() puts an ACK or a NON on the wire at once, and neither is
 * retransmitted, so there is no timer to move. */
static void after_io(struct ingest_coap *c)
{
    coap_tick_t now;
    unsigned int ms;

    coap_ticks(&now);
    ms = coap_io_prepare_epoll(c->ctx, now);
    if (ms > 0) {
        (void)uv_timer_start(&c->timer, on_timer, ms, 0);
    } else {
        (void)uv_timer_stop(&c->timer);
    }
    keep_awake(c);
}

/*
 * Read what has arrived: epoll_wait() on libcoap's descriptor and coap_io_do_epoll() for
 * what it returns (each endpoint gives one datagram per call), again while anything is
 * ready, up to DRAIN_MAX, so that one loop iteration gathers a batch for one commit and
 * still yields to the rest of the daemon. libcoap's timers are seen to once, in after_io().
 * coap_io_process() would do both halves every time: it re-armed libcoap's timerfd twice a
 * datagram, and asking whether more waited took a poll() more: 6.7 system calls a request
 * instead of 4.8 (strace -c, 20,000 requests), 52 k instead of 58 k requests/s (make
 * bench-coap).
 */
static void drain(struct ingest_coap *c)
{
    struct epoll_event events[EPOLL_EVENTS];
    const unsigned long discarded = coap_discarded;
    unsigned long k;
    unsigned i;
    int n;

    for (i = 0; i < DRAIN_MAX; i++) {
        n = epoll_wait(c->fd, events, EPOLL_EVENTS, 0);
        if (n < 0 && errno != EINTR) {
            log_limited_at(&c->lim_io, now_ms(c), LOG_ERR, "coap: epoll_wait: %s", strerror(errno));
        }
        if (n <= 0) {
            break;
        }
        coap_io_do_epoll(c->ctx, events, (size_t)n);
    }
    /* Refusals too: counted under malformed, like any request that is not one frame. */
    for (k = discarded; k != coap_discarded; k++) {
        store_count(c->store, STORE_BEARER_COAP, STORE_MALFORMED);
    }
    if (coap_discarded != discarded) {
        log_limited_at(
            &c->lim_refuse, now_ms(c), LOG_INFO,
            "coap: %lu malformed or oversized (over %u bytes) datagrams: RST (malformed)",
            coap_discarded - discarded, (unsigned)COAP_DEFAULT_MTU);
    }
    after_io(c);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct ingest_coap *c = h->data;

    (void)events;
    if (c->closing) {
        return;
    }
    if (status < 0) {
        log_limited_at(&c->lim_io, now_ms(c), LOG_ERR, "coap: poll: %s", uv_strerror(status));
    }
    drain(c);
}

static void on_timer(uv_timer_t *t)
{
    struct ingest_coap *c = t->data;

    if (!c->closing) {
        drain(c);
    }
}

static void on_idle(uv_idle_t *h)
{
    /* Nothing to do: being active makes uv_run() poll without blocking, so the check
     * phase that flushes comes round at once for frames taken outside the poll phase. */
    (void)h;
}

/* Answers @p now, 2.04 when @ok, else 5.03, and frees it. */
static void answer(struct ingest_coap *c, struct pend *p, bool ok)
{
    /* A JoinRequest posted again after its answer is judged again: its DevNonce is used
     * (4.03, counted), where a remembered copy would get a 2.04 without its JoinAccept. */
    if (ok && !p->join) {
        cache_put(c, &p->sig);
    }
    reply_direct(c, p, ok ? COAP_RESPONSE_CODE_CHANGED : COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE);
    pend_free(c, p);
}

void ingest_coap_committed(struct ingest_coap *c, int flush_rc, uint64_t gen)
{
    size_t i;

    if (c == NULL || c->closing || c->waiting == 0) {
        return;
    }
    /* Everything waiting was written before this flush, and nothing below reads a
     * datagram. Walk backwards: pend_free() moves the last active entry into the freed
     * place. */
    for (i = c->active_count; i-- > 0;) {
        struct pend *p = &c->pend[c->active[i]];

        if (p->state != PEND_WAITING) {
            continue;
        }
        if (flush_rc == 0) {
            p->state = PEND_COMMITTED;
            p->gen = gen;
            c->waiting--;
            c->committed++;
        } else {
            answer(c, p, false);
        }
    }
    keep_awake(c);
}

void ingest_coap_durable(struct ingest_coap *c, uint64_t gen)
{
    size_t i;

    if (c == NULL || c->closing || c->committed == 0) {
        return;
    }
    for (i = c->active_count; i-- > 0;) {
        struct pend *p = &c->pend[c->active[i]];

        if (p->state == PEND_COMMITTED && p->gen <= gen) {
            answer(c, p, true);
        }
    }
}

/* ---- start and stop ------------------------------------------------------------------------ */

static void coap_log_to_ours(coap_log_t level, const char *message)
{
    int n = (int)strcspn(message, "\n");

    if (strncmp(message, coap_discard_msg, sizeof(coap_discard_msg) - 1) == 0) {
        coap_discarded++; /* drain() counts and logs it */
        return;
    }

    log_limited(&coap_lim, level <= LOG_ERR ? LOG_ERR : level, "coap: libcoap: %.*s", n, message);
}

static void destroy(struct ingest_coap *c)
{
    size_t i;

    for (i = c->active_count; i-- > 0;) {
        struct pend *p = &c->pend[c->active[i]];

        c->withheld++;
        pend_free(c, p);
    }
    if (c->withheld > 0) {
        log_notice("coap: %llu accepted frames were not answered (no commit reported)",
                   (unsigned long long)c->withheld);
    }
    if (c->ctx != NULL) {
        coap_free_context(c->ctx);
    }
    if (c->coap_started && --coap_users == 0) {
        coap_cleanup();
    }
    explicit_bzero(c->psk_text, sizeof(c->psk_text));
    free(c);
}

static void on_close(uv_handle_t *h)
{
    struct ingest_coap *c = h->data;

    if (--c->open_handles == 0) {
        destroy(c);
    }
}

static void close_handles(struct ingest_coap *c, bool poll_open)
{
    c->closing = true;
    c->open_handles = poll_open ? 3 : 2;
    if (poll_open) {
        uv_close((uv_handle_t *)&c->poll, on_close);
    }
    uv_close((uv_handle_t *)&c->timer, on_close);
    uv_close((uv_handle_t *)&c->idle, on_close);
}

/*
 * libcoap binds with SO_REUSEADDR, so a second server on a busy address binds without error
 * and the kernel splits the datagrams between the two (ARCHITECTURE.md, platform facts).
 * A bind without that option first finds out whether anyone holds the address.
 */
static int probe_free(const struct sockaddr_storage *ss, socklen_t len)
{
    int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rc = 0;

    if (fd < 0) {
        return -errno;
    }
    if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
        rc = -errno;
    }
    close(fd);
    return rc;
}

static int add_endpoint(struct ingest_coap *c, const char *hostport, coap_proto_t proto)
{
    struct sockaddr_storage ss;
    coap_address_t addr;
    socklen_t len;
    const char *what = proto == COAP_PROTO_DTLS ? "dtls_listen" : "listen";
    int rc;

    rc = config_parse_addr(hostport, &ss);
    if (rc != 0) {
        log_error("coap: %s '%s': not host:port", what, hostport);
        return -EINVAL;
    }
    len = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    rc = probe_free(&ss, len);
    if (rc != 0) {
        log_error("coap: %s %s: %s%s", what, hostport, strerror(-rc),
                  rc == -EADDRINUSE ? " (another server listens there)" : "");
        return rc;
    }
    coap_address_init(&addr);
    memcpy(&addr.addr, &ss, len);
    addr.size = len;
    if (coap_new_endpoint(c->ctx, &addr, proto) == NULL) {
        log_error("coap: %s %s: libcoap cannot open the endpoint", what, hostport);
        return -EIO;
    }
    log_info("coap: listening on %s %s", proto == COAP_PROTO_DTLS ? "coaps (DTLS-PSK)" : "coap",
             hostport);
    return 0;
}

static int setup_dtls(struct ingest_coap *c)
{
    coap_dtls_spsk_t spsk;

    if (!coap_dtls_is_supported()) {
        log_error("coap: dtls_listen is set but this libcoap has no DTLS (use the gnutls build)");
        return -ENOTSUP;
    }
    memset(&spsk, 0, sizeof(spsk));
    spsk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    spsk.validate_id_call_back = psk_for_identity;
    spsk.id_call_back_arg = c;
    /* No default key: an identity the callback refuses fails the handshake. */
    if (!coap_context_set_psk2(c->ctx, &spsk)) {
        log_error("coap: cannot set up DTLS-PSK");
        return -EIO;
    }
    return 0;
}

static int setup_resource(struct ingest_coap *c)
{
    static const coap_request_t others[] = {COAP_REQUEST_GET,    COAP_REQUEST_PUT,
                                            COAP_REQUEST_DELETE, COAP_REQUEST_FETCH,
                                            COAP_REQUEST_PATCH,  COAP_REQUEST_IPATCH};
    coap_resource_t *r = coap_resource_init(coap_make_str_const("up"), 0);
    coap_resource_t *u;
    size_t i;

    if (r == NULL) {
        return -ENOMEM;
    }
    coap_register_handler(r, COAP_REQUEST_POST, hnd_post_up);
    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        coap_register_handler(r, others[i], hnd_not_allowed);
    }
    coap_resource_set_userdata(r, c);
    coap_add_resource(c->ctx, r); /* the context owns it from here */
    /* Every other path, every method: 4.04, counted. PUT is registered by the init. */
    u = coap_resource_unknown_init2(hnd_unknown_path, 0);
    if (u == NULL) {
        return -ENOMEM;
    }
    coap_register_handler(u, COAP_REQUEST_POST, hnd_unknown_path);
    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        coap_register_handler(u, others[i], hnd_unknown_path);
    }
    coap_resource_set_userdata(u, c);
    coap_add_resource(c->ctx, u);
    return 0;
}

int ingest_coap_start(uv_loop_t *loop, struct store *store, struct poststore *after,
                      const struct config_coap *cfg, struct ingest_coap **out)
{
    struct ingest_coap *c;
    size_t i;
    int rc;

    *out = NULL;
    if (cfg->listen[0] == '\0' && cfg->dtls_listen[0] == '\0') {
        return 0;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return -ENOMEM;
    }
    c->store = store;
    c->after = after;
    c->fd = -1;
    for (i = 0; i < PEND_MAX; i++) {
        c->pend[i].slot = (uint16_t)i;
        c->free_list[PEND_MAX - 1 - i] = (uint16_t)i;
    }
    c->free_count = PEND_MAX;
    log_limit_init(&c->lim_refuse, "CoAP refusals", 10, 10000);
    log_limit_init(&c->lim_io, "CoAP I/O errors", 10, 10000);
    log_limit_init(&c->lim_dtls, "refused DTLS handshakes", 10, 10000);

    if (coap_users++ == 0) {
        coap_startup();
    }
    c->coap_started = true;
    coap_set_log_handler(coap_log_to_ours);
    coap_set_log_level(log_enabled(LOG_DEBUG) ? LOG_DEBUG : LOG_WARNING);
    c->ctx = coap_new_context(NULL);
    if (c->ctx == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    coap_context_set_max_idle_sessions(c->ctx, MAX_IDLE_SESSIONS);
    rc = setup_resource(c);
    if (rc != 0) {
        goto fail;
    }
    if (cfg->listen[0] != '\0') {
        rc = add_endpoint(c, cfg->listen, COAP_PROTO_UDP);
        if (rc != 0) {
            goto fail;
        }
    }
    if (cfg->dtls_listen[0] != '\0') {
        rc = setup_dtls(c);
        if (rc == 0) {
            rc = add_endpoint(c, cfg->dtls_listen, COAP_PROTO_DTLS);
        }
        if (rc != 0) {
            goto fail;
        }
    }
    c->fd = coap_context_get_coap_fd(c->ctx);
    if (c->fd < 0) {
        log_error("coap: this libcoap was built without epoll; the loop cannot drive it");
        rc = -ENOTSUP;
        goto fail;
    }

    /* Timer and idle handles cannot fail to initialise; from here on @c is freed by the
     * last close callback. */
    (void)uv_timer_init(loop, &c->timer);
    (void)uv_idle_init(loop, &c->idle);
    c->timer.data = c;
    c->idle.data = c;
    c->poll.data = c;
    rc = uv_poll_init(loop, &c->poll, c->fd);
    if (rc == 0) {
        rc = uv_poll_start(&c->poll, UV_READABLE, on_poll);
        if (rc != 0) {
            close_handles(c, true);
        }
    } else {
        close_handles(c, false);
    }
    if (rc != 0) {
        log_error("coap: cannot poll libcoap's descriptor: %s", uv_strerror(rc));
        return rc;
    }
    c->open_handles = 3;
    log_info("coap: POST /up, piggybacked responses");
    after_io(c);
    *out = c;
    return 0;

fail:
    destroy(c);
    return rc;
}

void ingest_coap_stop(struct ingest_coap *c)
{
    if (c == NULL || c->closing) {
        return;
    }
    /* Answers already handed to libcoap went out then; whatever still waits
     * for a commit cannot be answered honestly and gets nothing (see destroy()). */
    (void)log_limit_flush(&c->lim_refuse, now_ms(c), true);
    (void)log_limit_flush(&c->lim_io, now_ms(c), true);
    (void)log_limit_flush(&c->lim_dtls, now_ms(c), true);
    close_handles(c, true);
}
