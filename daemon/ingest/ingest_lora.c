/* SPDX-License-Identifier: MIT
 * LoRa ingest over the Semtech UDP protocol v2: one UDP socket, one receive buffer, one
 * parse target, all inside struct ingest_lora, so a datagram costs no allocation here.
 * PROTOCOL.TXT section 3.1 acknowledges at once; here a PUSH_ACK waits until the group commit
 * holding its frames is durable (nothing is acknowledged before it is stored), which only delays it
 * by the commit interval and a disk sync: forwarders use acks only for statistics and never resend
 * (PROTOCOL.TXT section 1).
 */
#include "ingest/ingest_lora.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "ingest/dedup.h"
#include "ingest/join.h"
#include "ingest/lora_tx.h"
#include "ingest/region.h"
#include "util/hex.h"
#include "util/log.h"
#include "ingest/pfwd.h"
#include "ingest/uplink.h"

/* PUSH_ACKs held until durable. When full, receiving pauses until they leave (the kernel's
 * socket buffer holds the datagrams meanwhile) rather than losing an ack or a frame. */
#define ACK_MAX 2048u
/* Forwarders remembered by EUI for downlinks; the least recently heard one makes room. */
#define FWD_MAX 256u
/* Frames inside one dedup window; see dedup_new() for what happens beyond. */
#define DEDUP_CAPACITY 16384u
/* Asked of the kernel for bursts from many forwarders; it caps this at net.core.rmem_max. */
#define RCVBUF_BYTES  (4 * 1024 * 1024)
#define PEER_NAME_LEN 96u /* "[ffff:...:ffff]:65535", or lora_listen as configured */

union peer {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

struct held_ack {
    union peer addr; /* where the PUSH_DATA came from */
    uint16_t token;  /* its token, echoed */
    uint64_t gen;    /* the commit holding what it brought; set by ingest_lora_committed() */
};

struct forwarder {
    uint8_t eui[PFWD_EUI_LEN];
    union peer addr;  /* source of its last PULL_DATA: the downlink route (section 5.2) */
    uint64_t last_ms; /* loop time of that PULL_DATA, ms */
};

struct ingest_lora {
    uv_udp_t udp;             /* udp.data points back here */
    struct store *store;      /* not owned */
    struct poststore *after;  /* not owned; NULL: nothing follows a stored frame */
    struct dedup *dedup;      /* owned */
    struct lora_tx *tx;       /* owned: the downlinks (lora_tx.h) */
    uint64_t batch_mark;      /* dedup_mark() after the last commit */
    bool receiving;           /* uv_udp_recv_start() in effect */
    bool closing;             /* ingest_lora_stop() was called */
    size_t ack_count;         /* entries in acks[] */
    size_t committed_count;   /* of which the first ones, committed and waiting for durability */
    size_t fwd_count;         /* entries in fwd[] */
    uint64_t datagrams;       /* received, any kind */
    uint64_t frames;          /* rxpk entries with stat 1 */
    uint64_t crc_ignored;     /* rxpk entries with stat != 1 */
    uint64_t bad;             /* datagrams dropped as malformed */
    uint64_t bad_entries;     /* rxpk or stat entries dropped from datagrams otherwise kept */
    uint64_t acks_sent;       /* PUSH_ACK and PULL_ACK */
    uint64_t acks_withheld;   /* PUSH_ACKs not sent because a commit failed or at stop */
    struct log_limit lim_bad; /* malformed datagrams */
    struct log_limit lim_io;  /* send, receive and store failures */
    struct held_ack acks[ACK_MAX];
    struct forwarder fwd[FWD_MAX];
    struct pfwd_msg msg;                 /* parse target of the current datagram */
    uint8_t rbuf[PFWD_MAX_DATAGRAM + 1]; /* receive buffer; one byte more than accepted,
                                            so an oversized datagram shows as such */
};

static int64_t wall_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void peer_name(const struct sockaddr *sa, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

        (void)uv_ip4_name(in, host, sizeof(host));
        snprintf(out, cap, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

        (void)uv_ip6_name(in6, host, sizeof(host));
        snprintf(out, cap, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(out, cap, "(family %d)", (int)sa->sa_family);
    }
}

static void peer_copy(union peer *dst, const struct sockaddr *src)
{
    memset(dst, 0, sizeof(*dst));
    if (src->sa_family == AF_INET6) {
        memcpy(&dst->in6, src, sizeof(dst->in6));
    } else {
        memcpy(&dst->in, src, sizeof(dst->in));
    }
}

static void send_ack(struct ingest_lora *l, const struct sockaddr *to, uint16_t token, bool push)
{
    uint8_t pkt[PFWD_ACK_LEN];
    char name[PEER_NAME_LEN];
    uv_buf_t b;
    int rc;

    rc = push ? pfwd_build_push_ack(pkt, sizeof(pkt), token)
              : pfwd_build_pull_ack(pkt, sizeof(pkt), token);
    if (rc < 0) {
        return;
    }
    b = uv_buf_init((char *)pkt, (unsigned)rc);
    /* try_send: no request to allocate and no buffer to keep alive. It fails only when the
     * socket's send buffer is full; the ack is then lost like any UDP datagram, and the
     * forwarder counts it in its `ackr` statistic (PROTOCOL.TXT section 4). */
    rc = uv_udp_try_send(&l->udp, &b, 1, to);
    if (rc < 0) {
        peer_name(to, name, sizeof(name));
        log_limited_at(&l->lim_io, uv_now(l->udp.loop), LOG_WARNING,
                       "lora: cannot send %s to %s: %s", push ? "PUSH_ACK" : "PULL_ACK", name,
                       uv_strerror(rc));
        return;
    }
    l->acks_sent++;
}

/* @cut: the kernel truncated the datagram to @len bytes (it was longer). */
static void drop_datagram(struct ingest_lora *l, const struct sockaddr *from, size_t len, bool cut,
                          const char *why)
{
    char name[PEER_NAME_LEN];

    l->bad++;
    store_count(l->store, STORE_BEARER_LORA, STORE_BAD_DATAGRAM);
    peer_name(from, name, sizeof(name));
    log_limited_at(&l->lim_bad, uv_now(l->udp.loop), LOG_WARNING,
                   "lora: dropped datagram from %s (%s%zu bytes): %s", name, cut ? "over " : "",
                   cut ? (size_t)PFWD_MAX_DATAGRAM : len, why);
}

/* Hold the PUSH_ACK for @token until the commit: also for a PUSH_DATA whose frames were all
 * refused or that carried none, since its counters are committed in the same batch. */
static void hold_ack(struct ingest_lora *l, const struct sockaddr *from, uint16_t token)
{
    char name[PEER_NAME_LEN];

    if (l->ack_count >= ACK_MAX) {
        /* Not reached: receiving pauses when the table fills (below). */
        l->acks_withheld++;
        peer_name(from, name, sizeof(name));
        log_limited_at(&l->lim_io, uv_now(l->udp.loop), LOG_WARNING,
                       "lora: PUSH_ACK to %s dropped, %u acks already wait for the commit", name,
                       ACK_MAX);
        return;
    }
    peer_copy(&l->acks[l->ack_count].addr, from);
    l->acks[l->ack_count].token = token;
    l->ack_count++;
    if (l->ack_count == ACK_MAX && l->receiving) {
        (void)uv_udp_recv_stop(&l->udp);
        l->receiving = false;
    }
}

/* How well a forwarder heard a copy, to pick the one that answers: SNR first (LoRa gives it
 * always), RSSI only between copies without one. */
static int32_t quality_of(const struct pfwd_rxpk *p)
{
    if (p->has_snr && p->snr_db > -100.0 && p->snr_db < 100.0) {
        return (int32_t)(p->snr_db * 100.0);
    }
    return p->has_rssi && p->rssi_dbm > -1000 && p->rssi_dbm < 1000 ? p->rssi_dbm - 100000
                                                                    : -200000;
}

/* A first copy that was stored, or a confirmed frame repeated: it may get a downlink. */
static void offer_downlink(struct ingest_lora *l, const struct pfwd_rxpk *p, const uint8_t *eui,
                           const struct uplink_result *res, uint64_t now_ms)
{
    struct lora_tx_up up;

    if ((res->reason != STORE_ACCEPTED && !res->retransmission) || !p->has_tmst || !p->has_freq) {
        return;
    }
    memset(&up, 0, sizeof(up));
    up.devaddr = res->devaddr;
    up.confirmed = res->confirmed;
    up.retransmission = res->retransmission;
    up.frame_id = res->reason == STORE_ACCEPTED ? res->frame_id : 0;
    up.fcnt = res->fcnt;
    up.tmst = p->tmst;
    up.freq_hz = p->freq_hz;
    memcpy(up.datr, p->datr, sizeof(up.datr));
    memcpy(up.eui, eui, PFWD_EUI_LEN);
    up.quality = quality_of(p);
    lora_tx_uplink(l->tx, &up, now_ms);
}

/* The first copy of a JoinRequest: checked, and if it passes its JoinAccept goes in the join
 * windows of the forwarder that heard this copy. */
static void handle_join(struct ingest_lora *l, const struct pfwd_rxpk *p, int64_t time_ms,
                        uint64_t now_ms, uint64_t ticket)
{
    struct join_answer ans;
    struct lora_tx_up up;
    int rc = join_process(l->store, STORE_BEARER_LORA, p->phy, p->len, time_ms, &ans);

    dedup_set_outcome(l->dedup, ticket, false, 0);
    if (rc != 0 || !p->has_tmst || !p->has_freq) {
        return;
    }
    memset(&up, 0, sizeof(up));
    up.devaddr = ans.devaddr;
    up.tmst = p->tmst;
    up.freq_hz = p->freq_hz;
    memcpy(up.datr, p->datr, sizeof(up.datr));
    memcpy(up.eui, l->msg.eui, PFWD_EUI_LEN);
    up.quality = quality_of(p);
    lora_tx_join(l->tx, &up, ans.phy, ans.len, now_ms);
}

/* One stat-1 packet: the first copy of a frame is judged by uplink_process(); a later copy
 * inside the window only adds where and how well it was heard. */
static void handle_rxpk(struct ingest_lora *l, const struct pfwd_rxpk *p, const char *gateway,
                        int64_t time_ms, uint64_t now_ms)
{
    struct store_rx rx;
    struct uplink_result res;
    struct dedup_outcome first;
    uint64_t ticket;
    int rc;

    memset(&rx, 0, sizeof(rx));
    rx.bearer = STORE_BEARER_LORA;
    memcpy(rx.gateway, gateway, strlen(gateway) + 1);
    rx.time_ms = time_ms;
    rx.has_radio = p->has_rssi || p->has_snr || p->has_freq || p->datr[0] != '\0';
    rx.rssi_dbm = p->rssi_dbm;
    rx.snr_db = p->snr_db;
    rx.freq_hz = p->freq_hz;
    memcpy(rx.datr, p->datr, sizeof(rx.datr));
    l->frames++;

    if (dedup_lookup(l->dedup, p->phy, p->len, now_ms, &first, &ticket) == DEDUP_FIRST) {
        if (p->len > 0 && (p->phy[0] & 0xE0u) == PROTO_MHDR_JOIN_REQUEST) {
            handle_join(l, p, time_ms, now_ms, ticket);
            return;
        }
        (void)uplink_process(l->store, l->after, p->phy, p->len, &rx, &res);
        dedup_set_outcome(l->dedup, ticket, res.reason == STORE_ACCEPTED, res.frame_id);
        offer_downlink(l, p, l->msg.eui, &res, now_ms);
        return;
    }
    store_count(l->store, STORE_BEARER_LORA, STORE_DUPLICATE);
    if (!first.accepted) {
        return;
    }
    lora_tx_copy(l->tx, first.frame_id, l->msg.eui, quality_of(p));
    rc = store_reception(l->store, first.frame_id, &rx);
    if (rc != 0) {
        log_limited_at(&l->lim_io, now_ms, LOG_ERR,
                       "lora: cannot store a reception from %s for frame %lld: %s", gateway,
                       (long long)first.frame_id, store_errmsg(l->store));
    }
}

static void handle_push_data(struct ingest_lora *l, const struct sockaddr *from)
{
    const struct pfwd_msg *m = &l->msg;
    char gateway[2 * PFWD_EUI_LEN + 1];
    char name[PEER_NAME_LEN];
    const uint64_t now_ms = uv_now(l->udp.loop);
    const int64_t time_ms = wall_ms();
    size_t i;
    int rc;

    if (hex_encode(m->eui, sizeof(m->eui), gateway, sizeof(gateway)) < 0) {
        return;
    }
    for (i = 0; i < m->rxpk_count; i++) {
        handle_rxpk(l, &m->rxpk[i], gateway, time_ms, now_ms);
    }
    l->crc_ignored += m->ignored_count;
    /* Entries left out by pfwd_parse(): each counted, the rest of the datagram stored and
     * acknowledged as usual. */
    if (m->bad_count > 0) {
        peer_name(from, name, sizeof(name));
        log_limited_at(&l->lim_bad, now_ms, LOG_WARNING,
                       "lora: %zu bad rxpk or stat entries from %s (forwarder %s) dropped, %zu "
                       "frames kept: %s",
                       m->bad_count, name, gateway, m->rxpk_count, pfwd_strerror(m->first_bad));
        for (i = 0; i < m->bad_count; i++) {
            l->bad_entries++;
            store_count(l->store, STORE_BEARER_LORA, STORE_BAD_DATAGRAM);
        }
    }
    if (m->has_stat) {
        rc = store_gateway_stat(l->store, gateway, time_ms, m->stat_json);
        if (rc != 0) {
            log_limited_at(&l->lim_io, now_ms, LOG_ERR,
                           "lora: cannot store the status of forwarder %s: %s", gateway,
                           store_errmsg(l->store));
        }
    }
    hold_ack(l, from, m->token);
}

/* PULL_DATA: the keepalive that opens the downlink route (section 5.2). Answered at once:
 * it asks for nothing to be stored. */
static void handle_pull_data(struct ingest_lora *l, const struct sockaddr *from)
{
    const uint64_t now_ms = uv_now(l->udp.loop);
    struct forwarder *f = NULL;
    char gateway[2 * PFWD_EUI_LEN + 1];
    char name[PEER_NAME_LEN];
    size_t i;

    send_ack(l, from, l->msg.token, false);
    for (i = 0; i < l->fwd_count; i++) {
        if (memcmp(l->fwd[i].eui, l->msg.eui, PFWD_EUI_LEN) == 0) {
            f = &l->fwd[i];
            break;
        }
    }
    if (f == NULL) {
        if (l->fwd_count < FWD_MAX) {
            f = &l->fwd[l->fwd_count++];
        } else {
            f = &l->fwd[0];
            for (i = 1; i < FWD_MAX; i++) {
                if (l->fwd[i].last_ms < f->last_ms) {
                    f = &l->fwd[i];
                }
            }
        }
        memcpy(f->eui, l->msg.eui, PFWD_EUI_LEN);
        if (hex_encode(l->msg.eui, PFWD_EUI_LEN, gateway, sizeof(gateway)) >= 0) {
            peer_name(from, name, sizeof(name));
            log_info("lora: forwarder %s at %s", gateway, name);
        }
    }
    peer_copy(&f->addr, from);
    f->last_ms = now_ms;
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct ingest_lora *l = handle->data;

    (void)suggested;
    *buf = uv_buf_init((char *)l->rbuf, (unsigned)sizeof(l->rbuf));
}

static void on_recv(uv_udp_t *handle, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *from, unsigned flags)
{
    struct ingest_lora *l = handle->data;
    int rc;

    (void)buf;
    if (nread < 0) {
        log_limited_at(&l->lim_io, uv_now(handle->loop), LOG_WARNING, "lora: receive: %s",
                       uv_strerror((int)nread));
        return;
    }
    if (from == NULL) {
        return; /* libuv: nothing more to read this time */
    }
    l->datagrams++;
    /* MSG_TRUNC: the datagram was longer than the buffer, hence than PFWD_MAX_DATAGRAM. */
    if ((flags & UV_UDP_PARTIAL) != 0) {
        rc = PFWD_EOVERSIZE;
    } else {
        rc = pfwd_parse(l->rbuf, (size_t)nread, &l->msg);
    }
    if (rc != 0) {
        drop_datagram(l, from, (size_t)nread, (flags & UV_UDP_PARTIAL) != 0, pfwd_strerror(rc));
        return;
    }
    switch (l->msg.ident) {
    case PFWD_PUSH_DATA:
        handle_push_data(l, from);
        break;
    case PFWD_PULL_DATA:
        handle_pull_data(l, from);
        break;
    case PFWD_TX_ACK:
        lora_tx_tx_ack(l->tx, l->msg.eui, l->msg.token, l->msg.txack, uv_now(handle->loop));
        break;
    case PFWD_PUSH_ACK:
    case PFWD_PULL_ACK:
    case PFWD_PULL_RESP:
        /* Server-to-gateway identifiers: well-formed, but not something a server gets. */
        drop_datagram(l, from, (size_t)nread, false, "server-to-gateway identifier");
        break;
    }
}

/* lora_tx's way out: the forwarder's PULL_DATA address (PROTOCOL.TXT section 5.2). */
static int send_to_forwarder(void *arg, const uint8_t eui[PFWD_EUI_LEN], const uint8_t *buf,
                             size_t len)
{
    struct ingest_lora *l = arg;
    uv_buf_t b = uv_buf_init((char *)(uintptr_t)buf, (unsigned)len);

    for (size_t i = 0; i < l->fwd_count; i++) {
        if (memcmp(l->fwd[i].eui, eui, PFWD_EUI_LEN) == 0) {
            int rc = uv_udp_try_send(&l->udp, &b, 1, &l->fwd[i].addr.sa);

            return rc < 0 ? rc : 0;
        }
    }
    return -ENOENT;
}

static void on_close(uv_handle_t *handle)
{
    struct ingest_lora *l = handle->data;

    dedup_free(l->dedup);
    free(l);
}

int ingest_lora_start(uv_loop_t *loop, struct store *store, struct poststore *after,
                      const struct config_lora *cfg, struct ingest_lora **out)
{
    struct ingest_lora *l = NULL;
    const struct region *region;
    struct sockaddr_storage ss;
    uint8_t key[DEDUP_KEY_LEN];
    char name[PEER_NAME_LEN];
    int namelen = (int)sizeof(ss);
    int size = RCVBUF_BYTES;
    bool on_loop = false;
    int rc;

    *out = NULL;
    if (cfg->listen[0] == '\0') {
        return 0;
    }
    rc = config_parse_addr(cfg->listen, &ss);
    if (rc != 0) {
        log_error("lora: listen address '%s' does not parse", cfg->listen);
        return rc;
    }
    /* The dedup key only has to be unknown to senders; getrandom(2) without flags waits
     * for the pool once at boot, never afterwards. */
    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
        rc = -errno;
        log_error("lora: getrandom: %s", strerror(errno));
        return rc;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    log_limit_init(&l->lim_bad, "malformed forwarder datagrams", 10, 10000);
    log_limit_init(&l->lim_io, "forwarder I/O errors", 10, 10000);
    l->store = store;
    l->after = after;
    rc = dedup_new(DEDUP_CAPACITY, cfg->dedup_window_ms, key, &l->dedup);
    if (rc != 0) {
        goto fail;
    }
    /* [lora] region, which the config accepts only for a region in the table (region.h);
     * an empty one (a config built in code) is the default. */
    region = region_find(cfg->region[0] != '\0' ? cfg->region : "EU868");
    if (region == NULL) {
        rc = -EINVAL;
        goto fail;
    }
    rc =
        lora_tx_new(loop, store, after, region, cfg->dedup_window_ms, send_to_forwarder, l, &l->tx);
    if (rc == 0 && cfg->adr) {
        rc = lora_tx_adr(l->tx, (uint64_t)cfg->adr_interval_s * 1000u);
    }
    if (rc != 0) {
        goto fail;
    }
    rc = uv_udp_init(loop, &l->udp);
    if (rc != 0) {
        goto fail;
    }
    on_loop = true;
    l->udp.data = l;
    /* No UV_UDP_REUSEADDR: a second daemon on the port must fail here, not share traffic. */
    rc = uv_udp_bind(&l->udp, (const struct sockaddr *)&ss, 0);
    if (rc == 0) {
        rc = uv_udp_recv_start(&l->udp, on_alloc, on_recv);
    }
    if (rc != 0) {
        log_error("lora: cannot listen on %s: %s", cfg->listen, uv_strerror(rc));
        goto fail;
    }
    l->receiving = true;
    /* Best effort: a small buffer only means drops under bursts, which the counters show. */
    (void)uv_recv_buffer_size((uv_handle_t *)&l->udp, &size);
    if (uv_udp_getsockname(&l->udp, (struct sockaddr *)&ss, &namelen) == 0) {
        peer_name((const struct sockaddr *)&ss, name, sizeof(name));
    } else {
        snprintf(name, sizeof(name), "%s", cfg->listen);
    }
    log_info("lora: packet forwarders on udp %s, dedup window %u ms", name, cfg->dedup_window_ms);
    memset(key, 0, sizeof(key));
    *out = l;
    return 0;

fail:
    memset(key, 0, sizeof(key));
    if (on_loop) {
        /* The handle is on the loop: only its close callback may free it. */
        l->closing = true;
        lora_tx_close(l->tx);
        uv_close((uv_handle_t *)&l->udp, on_close);
    } else if (l != NULL) {
        lora_tx_close(l->tx);
        dedup_free(l->dedup);
        free(l);
    }
    return rc;
}

void ingest_lora_committed(struct ingest_lora *l, int flush_rc, uint64_t gen)
{
    size_t i;

    if (l == NULL || l->closing) {
        return;
    }
    if (flush_rc == 0) {
        for (i = l->committed_count; i < l->ack_count; i++) {
            l->acks[i].gen = gen;
        }
        l->committed_count = l->ack_count;
    } else {
        /* Rolled back: the batch's frames are not stored, so their ids are void and a copy
         * still to come from another forwarder must be judged as a first. */
        l->acks_withheld += l->ack_count - l->committed_count;
        (void)dedup_rollback(l->dedup, l->batch_mark);
        if (l->ack_count > l->committed_count) {
            log_limited_at(&l->lim_io, uv_now(l->udp.loop), LOG_WARNING,
                           "lora: commit failed (%d), %zu PUSH_ACKs withheld", flush_rc,
                           l->ack_count - l->committed_count);
        }
        l->ack_count = l->committed_count;
    }
    l->batch_mark = dedup_mark(l->dedup);
    lora_tx_committed(l->tx, flush_rc, gen);
}

void ingest_lora_durable(struct ingest_lora *l, uint64_t gen)
{
    size_t n = 0;

    if (l == NULL || l->closing) {
        return;
    }
    /* Commits are numbered in order, so the durable acks are a prefix. */
    while (n < l->committed_count && l->acks[n].gen <= gen) {
        send_ack(l, &l->acks[n].addr.sa, l->acks[n].token, true);
        n++;
    }
    if (n > 0) {
        memmove(l->acks, l->acks + n, (l->ack_count - n) * sizeof(l->acks[0]));
        l->ack_count -= n;
        l->committed_count -= n;
    }
    lora_tx_durable(l->tx, gen);
    if (!l->receiving && l->ack_count < ACK_MAX) {
        if (uv_udp_recv_start(&l->udp, on_alloc, on_recv) == 0) {
            l->receiving = true;
        }
    }
}

void ingest_lora_stop(struct ingest_lora *l)
{
    if (l == NULL || l->closing) {
        return;
    }
    l->closing = true;
    l->acks_withheld += l->ack_count;
    log_info("lora: stopped: %llu datagrams, %llu packets (%llu with a bad or no CRC ignored), "
             "%llu malformed, %llu bad entries, %llu acks sent, %llu withheld",
             (unsigned long long)l->datagrams, (unsigned long long)l->frames,
             (unsigned long long)l->crc_ignored, (unsigned long long)l->bad,
             (unsigned long long)l->bad_entries, (unsigned long long)l->acks_sent,
             (unsigned long long)l->acks_withheld);
    (void)log_limit_flush(&l->lim_bad, uv_now(l->udp.loop), true);
    (void)log_limit_flush(&l->lim_io, uv_now(l->udp.loop), true);
    (void)uv_udp_recv_stop(&l->udp);
    lora_tx_close(l->tx);
    uv_close((uv_handle_t *)&l->udp, on_close);
}
