/* SPDX-License-Identifier: MIT
 * CoAP ingest load, driven by tools/bench-coap.sh (`make bench-coap`).
 *   bench_coap setup DB NODES        register NODES nodes (keys derived from the index)
 *   bench_coap bare PORT             a bare libcoap server: POST /up answered 2.04 without
 *                                    work, piggybacked
 *   bench_coap load PORT SECONDS WINDOW NODES
 *                                    the load generator: WINDOW UDP sockets, one CON POST
 *                                    outstanding on each (each socket is one client, as
 *                                    nodes are), frames of NODES nodes with increasing
 *                                    counters built before the clock starts
 *   bench_coap count PORT N WINDOW NODES   the same for exactly N requests (for callgrind)
 * Output is `key=value` lines for the script to lay out.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <coap3/coap.h>

#include "proto/frame.h"
#include "store/store.h"

#define DEVADDR_BASE  0x26100000u
#define WINDOW_MAX    1024u
#define REQ_MAX       64u /* header, token, options, payload marker: 14; frame: 20 */
#define RETRANSMIT_NS 2000000000ll
#define GIVE_UP_NS    10000000000ll

/* A detection, one record: class 1, confidence 200, age 5 s, 3 s, 20 dB. */
static const uint8_t tfp_det[] = {0x21, 0x01, 0xC8, 0x05, 0x00, 0x03, 0x14};

static void node_keys(uint32_t i, uint8_t nwk[PROTO_AES_KEY], uint8_t app[PROTO_AES_KEY])
{
    uint32_t j;

    for (j = 0; j < PROTO_AES_KEY; j++) {
        nwk[j] = (uint8_t)(i * 131u + j * 7u + 1u);
        app[j] = (uint8_t)(i * 29u + j * 13u + 5u);
    }
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ---- setup ---------------------------------------------------------------------------- */

static int cmd_setup(const char *path, uint32_t nodes)
{
    struct store *s;
    struct store_node n;
    char err[256];
    uint32_t i;

    if (store_open(path, 1, &s, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_coap: %s\n", err);
        return 1;
    }
    for (i = 0; i < nodes; i++) {
        memset(&n, 0, sizeof(n));
        n.devaddr = DEVADDR_BASE + i;
        n.battery_mv = -1;
        node_keys(i, n.nwkskey, n.appskey);
        if (store_node_add(s, &n) != 0) {
            fprintf(stderr, "bench_coap: node %u: %s\n", i, store_errmsg(s));
            store_close(s);
            return 1;
        }
    }
    store_close(s);
    printf("nodes=%u\n", nodes);
    return 0;
}

/* ---- the bare server ------------------------------------------------------------------ */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void bare_post(coap_resource_t *r, coap_session_t *session, const coap_pdu_t *request,
                      const coap_string_t *query, coap_pdu_t *response)
{
    (void)r;
    (void)session;
    (void)request;
    (void)query;
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
}

static int cmd_bare(unsigned port)
{
    coap_context_t *ctx;
    coap_resource_t *r;
    coap_address_t addr;

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    coap_startup();
    coap_set_log_level(LOG_ERR);
    ctx = coap_new_context(NULL);
    coap_address_init(&addr);
    addr.addr.sin.sin_family = AF_INET;
    addr.addr.sin.sin_port = htons((uint16_t)port);
    addr.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.size = sizeof(addr.addr.sin);
    if (ctx == NULL || coap_new_endpoint(ctx, &addr, COAP_PROTO_UDP) == NULL) {
        fprintf(stderr, "bench_coap: bare server cannot listen on %u\n", port);
        return 1;
    }
    r = coap_resource_init(coap_make_str_const("up"), 0);
    coap_register_handler(r, COAP_REQUEST_POST, bare_post);
    coap_add_resource(ctx, r);
    printf("listening=%u\n", port);
    fflush(stdout);
    while (!stop) {
        if (coap_io_process(ctx, 200) < 0) {
            break;
        }
    }
    coap_free_context(ctx);
    coap_cleanup();
    return 0;
}

/* ---- the load generator --------------------------------------------------------------- */

struct client {
    int fd;
    uint16_t mid;
    uint32_t token;
    size_t frame;     /* index of the frame outstanding */
    int64_t sent_ns;  /* last transmission */
    int64_t first_ns; /* first transmission */
    int retries;      /* retransmissions of this request */
    int acked;        /* an empty ACK came: the response follows separately */
    int busy;         /* a request is outstanding */
    uint8_t req[REQ_MAX];
    size_t req_len;
};

struct load {
    struct client c[WINDOW_MAX];
    unsigned window;
    uint8_t (*frames)[PROTO_FRAME_MAX_LEN];
    uint8_t *frame_len;
    size_t frame_count;
    size_t next;
    uint64_t codes[256];   /* completed requests by response code */
    uint64_t rx_datagrams; /* datagrams received */
    uint64_t tx_datagrams; /* datagrams sent, ACKs of separate responses included */
    uint64_t retransmits;
    uint64_t lost; /* given up */
    uint64_t latency_sum_ns;
    int64_t latency_max_ns;
};

static int build_frames(struct load *l, size_t count, uint32_t nodes)
{
    size_t k;

    l->frames = malloc(count * sizeof(*l->frames));
    l->frame_len = malloc(count);
    if (l->frames == NULL || l->frame_len == NULL) {
        return -1;
    }
    for (k = 0; k < count; k++) {
        struct proto_uplink up;
        uint8_t nwk[PROTO_AES_KEY];
        uint8_t app[PROTO_AES_KEY];
        uint32_t node = (uint32_t)(k % nodes);
        int n;

        node_keys(node, nwk, app);
        memset(&up, 0, sizeof(up));
        up.devaddr = DEVADDR_BASE + node;
        up.fcnt = (uint32_t)(k / nodes) + 1;
        up.has_fport = true;
        up.fport = 1;
        up.payload = tfp_det;
        up.payload_len = sizeof(tfp_det);
        n = proto_frame_build(&up, nwk, app, l->frames[k], PROTO_FRAME_MAX_LEN);
        if (n <= 0) {
            return -1;
        }
        l->frame_len[k] = (uint8_t)n;
    }
    l->frame_count = count;
    return 0;
}

/* A CON POST /up, Content-Format 42, 4-byte token (RFC 7252 section 3). */
static void build_request(struct client *c, const uint8_t *frame, size_t len)
{
    uint8_t *p = c->req;

    *p++ = 0x44; /* version 1, CON, TKL 4 */
    *p++ = COAP_REQUEST_CODE_POST;
    *p++ = (uint8_t)(c->mid >> 8);
    *p++ = (uint8_t)c->mid;
    memcpy(p, &c->token, 4);
    p += 4;
    *p++ = 0xB2; /* Uri-Path (11), 2 bytes */
    *p++ = 'u';
    *p++ = 'p';
    *p++ = 0x11; /* Content-Format (12), 1 byte */
    *p++ = COAP_MEDIATYPE_APPLICATION_OCTET_STREAM;
    *p++ = 0xFF;
    memcpy(p, frame, len);
    p += len;
    c->req_len = (size_t)(p - c->req);
}

static int send_next(struct load *l, struct client *c, int64_t now)
{
    if (l->next >= l->frame_count) {
        c->busy = 0;
        return 0;
    }
    c->frame = l->next++;
    c->mid++;
    c->token++;
    build_request(c, l->frames[c->frame], l->frame_len[c->frame]);
    c->busy = 1;
    c->acked = 0;
    c->retries = 0;
    c->sent_ns = now;
    c->first_ns = now;
    l->tx_datagrams++;
    return send(c->fd, c->req, c->req_len, 0) < 0 && errno != EAGAIN ? -1 : 0;
}

static void complete(struct load *l, struct client *c, uint8_t code, int64_t now)
{
    int64_t lat = now - c->first_ns;

    l->codes[code]++;
    l->latency_sum_ns += lat;
    if (lat > l->latency_max_ns) {
        l->latency_max_ns = lat;
    }
    c->busy = 0;
}

static void on_datagram(struct load *l, struct client *c, const uint8_t *d, size_t n, int64_t now)
{
    unsigned type;
    unsigned tkl;
    uint16_t mid;

    l->rx_datagrams++;
    if (n < 4 || (d[0] >> 6) != 1) {
        return;
    }
    type = (d[0] >> 4) & 3u;
    tkl = d[0] & 15u;
    mid = (uint16_t)(d[2] << 8 | d[3]);
    if (!c->busy) {
        if (type == COAP_MESSAGE_CON) { /* a retransmitted separate response: ACK it again */
            uint8_t ack[4] = {0x60, 0, d[2], d[3]};

            l->tx_datagrams++;
            (void)send(c->fd, ack, sizeof(ack), 0);
        }
        return;
    }
    if (type == COAP_MESSAGE_ACK && mid == c->mid) {
        if (d[1] == 0) {
            c->acked = 1; /* empty ACK: separate response to come (section 5.2.2) */
            return;
        }
        complete(l, c, d[1], now);
        return;
    }
    if ((type == COAP_MESSAGE_CON || type == COAP_MESSAGE_NON) && tkl == 4 && n >= 8 &&
        memcmp(d + 4, &c->token, 4) == 0) {
        if (type == COAP_MESSAGE_CON) {
            uint8_t ack[4] = {0x60, 0, d[2], d[3]};

            l->tx_datagrams++;
            (void)send(c->fd, ack, sizeof(ack), 0);
        }
        complete(l, c, d[1], now);
    }
}

/* One connected non-blocking socket per client of the window, all in one epoll set.
 * Return: the epoll descriptor, or -1. */
static int open_clients(struct load *l, unsigned port, unsigned window)
{
    struct sockaddr_in to;
    struct epoll_event ev;
    unsigned i;
    int ep;

    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ep = epoll_create1(0);
    for (i = 0; i < window; i++) {
        struct client *c = &l->c[i];

        c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
            perror("bench_coap: socket");
            return -1;
        }
        c->mid = (uint16_t)(i * 977u);
        c->token = i << 20;
        ev.events = EPOLLIN;
        ev.data.u32 = i;
        (void)epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    return ep;
}

/* Reads every reply waiting on the clients of @evs; a client whose request completed sends
 * the next one until @deadline. @t_last: out, when the last request completed. */
static void read_replies(struct load *l, const struct epoll_event *evs, int n, int64_t now,
                         int64_t deadline, int64_t *t_last)
{
    int k;

    for (k = 0; k < n; k++) {
        struct client *c = &l->c[evs[k].data.u32];
        uint8_t buf[512];
        ssize_t r;

        while ((r = recv(c->fd, buf, sizeof(buf), 0)) >= 0) {
            int was_busy = c->busy;

            on_datagram(l, c, buf, (size_t)r, now);
            if (was_busy && !c->busy) {
                *t_last = now;
                if (now < deadline) {
                    (void)send_next(l, c, now);
                }
            }
        }
    }
}

/* Gives up on requests older than GIVE_UP_NS and retransmits unacknowledged ones after
 * RETRANSMIT_NS. Return: the clients still waiting. */
static unsigned tick_clients(struct load *l, int64_t now, int64_t deadline)
{
    unsigned busy = 0;
    unsigned i;

    for (i = 0; i < l->window; i++) {
        struct client *c = &l->c[i];

        if (!c->busy) {
            continue;
        }
        busy++;
        if (now - c->first_ns > GIVE_UP_NS) {
            l->lost++;
            c->busy = 0;
            if (now < deadline) {
                (void)send_next(l, c, now);
            }
        } else if (!c->acked && now - c->sent_ns > RETRANSMIT_NS) {
            c->sent_ns = now;
            c->retries++;
            l->retransmits++;
            l->tx_datagrams++;
            (void)send(c->fd, c->req, c->req_len, 0);
        }
    }
    return busy;
}

static void print_results(const struct load *l, int64_t t0, int64_t t_end)
{
    uint64_t done = 0;
    unsigned i;

    for (i = 0; i < 256; i++) {
        done += l->codes[i];
    }
    printf("requests=%llu\n", (unsigned long long)done);
    printf("ok_204=%llu\n", (unsigned long long)l->codes[COAP_RESPONSE_CODE_CHANGED]);
    printf("other=%llu\n", (unsigned long long)(done - l->codes[COAP_RESPONSE_CODE_CHANGED]));
    printf("lost=%llu\n", (unsigned long long)l->lost);
    printf("retransmits=%llu\n", (unsigned long long)l->retransmits);
    printf("seconds=%.3f\n", (double)(t_end - t0) / 1e9);
    printf("rate=%.0f\n",
           (double)l->codes[COAP_RESPONSE_CODE_CHANGED] / ((double)(t_end - t0) / 1e9));
    printf("rx_per_req=%.2f\n", done ? (double)l->rx_datagrams / (double)done : 0.0);
    printf("tx_per_req=%.2f\n", done ? (double)l->tx_datagrams / (double)done : 0.0);
    printf("latency_mean_us=%.0f\n", done ? (double)l->latency_sum_ns / (double)done / 1e3 : 0.0);
    printf("latency_max_us=%.0f\n", (double)l->latency_max_ns / 1e3);
}

static int cmd_load(unsigned port, double seconds, size_t count, unsigned window, uint32_t nodes)
{
    static struct load l;
    struct epoll_event evs[64];
    int64_t t0;
    int64_t t_last = 0;
    int64_t deadline;
    unsigned i;
    int ep;

    if (window == 0 || window > WINDOW_MAX || nodes == 0) {
        fprintf(stderr, "bench_coap: window 1..%u, nodes > 0\n", WINDOW_MAX);
        return 2;
    }
    l.window = window;
    if (build_frames(&l, count, nodes) != 0) {
        fprintf(stderr, "bench_coap: cannot build %zu frames\n", count);
        return 1;
    }
    ep = open_clients(&l, port, window);
    if (ep < 0) {
        return 1;
    }
    t0 = now_ns();
    deadline = seconds > 0 ? t0 + (int64_t)(seconds * 1e9) : INT64_MAX;
    for (i = 0; i < window; i++) {
        (void)send_next(&l, &l.c[i], t0);
    }
    for (;;) {
        int n = epoll_wait(ep, evs, 64, 5);
        int64_t now = now_ns();

        read_replies(&l, evs, n, now, deadline, &t_last);
        if (tick_clients(&l, now, deadline) == 0 && (now >= deadline || l.next >= l.frame_count)) {
            break;
        }
    }
    print_results(&l, t0, t_last > t0 ? t_last : now_ns());
    for (i = 0; i < window; i++) {
        close(l.c[i].fd);
    }
    close(ep);
    free(l.frames);
    free(l.frame_len);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "setup") == 0) {
        return cmd_setup(argv[2], (uint32_t)strtoul(argv[3], NULL, 10));
    }
    if (argc == 3 && strcmp(argv[1], "bare") == 0) {
        return cmd_bare((unsigned)strtoul(argv[2], NULL, 10));
    }
    if (argc == 6 && strcmp(argv[1], "load") == 0) {
        double secs = strtod(argv[3], NULL);
        unsigned window = (unsigned)strtoul(argv[4], NULL, 10);
        uint32_t nodes = (uint32_t)strtoul(argv[5], NULL, 10);

        /* Frames for up to 150 k requests a second, built before the clock starts. */
        return cmd_load((unsigned)strtoul(argv[2], NULL, 10), secs,
                        (size_t)(secs * 150000.0) + window, window, nodes);
    }
    if (argc == 6 && strcmp(argv[1], "count") == 0) {
        return cmd_load((unsigned)strtoul(argv[2], NULL, 10), 0, (size_t)strtoul(argv[3], NULL, 10),
                        (unsigned)strtoul(argv[4], NULL, 10), (uint32_t)strtoul(argv[5], NULL, 10));
    }
    fprintf(stderr, "usage: bench_coap setup DB NODES | bare PORT |\n"
                    "       load PORT SECONDS WINDOW NODES | count PORT N WINDOW NODES\n");
    return 2;
}
