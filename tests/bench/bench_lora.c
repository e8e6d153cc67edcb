/* SPDX-License-Identifier: MIT
 * Load generator for tinyfleetd's packet-forwarder ingest, driven by tools/bench-ingest.sh.
 *   bench_lora sql NODES           SQL that registers NODES nodes (keys derived from the
 *                                  DevAddr by node_keys()), for `sqlite3 DB`
 *   bench_lora load [OPTIONS] PORT PUSH_DATA to 127.0.0.1:PORT, see usage()
 * Every frame is built before the clock starts (proto_frame_build, proto_tfp_encode); the
 * datagrams around them are written as they are sent (lib/fwd.h). Loopback
 * only, bounded in frames and seconds; the daemon acks a PUSH_DATA only after the commit that
 * holds it, so a window of outstanding datagrams is what keeps it busy.
 * Output is `key=value` lines for the script to lay out.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "proto/err.h"
#include "proto/frame.h"
#include "proto/tfp.h"

#include "bench/bench_frames.h"
#include "lib/fwd.h"

#define DEVADDR_BASE   0x26200000u
#define NODES_MAX      1000000u
#define FRAMES_MAX     10000000u
#define EUI_MAX        4u
#define PER_MAX        32u /* rxpk per PUSH_DATA */
#define WINDOW_MAX     4096u
#define FRAME_MAX      32u  /* a one-record detection frame is 20 bytes */
#define RXPK_MAX       320u /* one rxpk object of a FRAME_MAX frame, as fwd_push_data() writes it */
#define DGRAM_MAX      (FWD_HDR_LEN + 16u + PER_MAX * RXPK_MAX)
#define NO_DGRAM       UINT32_MAX
#define ACK_TIMEOUT_NS 5000000000LL

/* ---- sql ------------------------------------------------------------------------------------ */

static int cmd_sql(uint32_t nodes)
{
    bench_sql_nodes(DEVADDR_BASE, nodes, NULL, false);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- load ----------------------------------------------------------------------------------- */

struct load {
    uint32_t nodes;              /* distinct DevAddrs */
    uint32_t frames;             /* frames to send, in datagrams of @per */
    uint32_t per;                /* rxpk per PUSH_DATA */
    uint32_t window;             /* PUSH_DATA outstanding at most, all EUIs together */
    uint32_t euis;               /* forwarders, one socket each, datagrams dealt round-robin */
    double max_s;                /* stop sending after this long */
    uint8_t *phy;                /* frames * FRAME_MAX: each frame's PHYPayload */
    uint8_t *phy_len;            /* per frame: PHYPayload bytes (the rxpk `size`) */
    uint32_t ndgram;             /* datagrams the frames make */
    int64_t *sent_ns;            /* per datagram: when sent, 0 = not yet */
    uint8_t *done;               /* per datagram: acked or given up */
    uint32_t *by_token[EUI_MAX]; /* per EUI: token -> datagram, NO_DGRAM when free */
    int fd[EUI_MAX];             /* per EUI: a UDP socket connected to the daemon, or -1 */
    uint16_t token[EUI_MAX];     /* per EUI: the last token used */
    uint64_t acked;              /* PUSH_ACKs matched to a datagram */
    uint64_t lost;               /* datagrams without an ack after ACK_TIMEOUT_NS */
    uint64_t stray;              /* datagrams received that were not a PUSH_ACK we wait for */
    uint64_t frames_acked;       /* frames in the acknowledged datagrams */
    uint64_t bytes_sent;         /* UDP payload bytes */
    uint64_t lat_sum_ns;         /* send to ack, summed over acknowledged datagrams, ns */
    int64_t lat_max_ns;          /* the longest of them, ns */
};

/* Frame k: node k % nodes, counter 1 + k / nodes, so one node's frames are `nodes` frames
 * apart and a window of fewer frames than nodes can never reorder one node's counters. The
 * payload is a one-record detection (one event per frame). */
static int build_frames(struct load *ld)
{
    uint32_t k;
    int n;

    for (k = 0; k < ld->frames; k++) {
        n = bench_detection_frame(DEVADDR_BASE + k % ld->nodes, 1u + k / ld->nodes,
                                  (uint8_t)(1u + k % 7u), (uint8_t)(128u + k % 128u),
                                  (uint16_t)(k % 30u), ld->phy + (size_t)k * FRAME_MAX, FRAME_MAX);
        if (n < 0) {
            fprintf(stderr, "bench_lora: building frame %" PRIu32 ": %s\n", k, proto_strerror(n));
            return -1;
        }
        ld->phy_len[k] = (uint8_t)n;
    }
    return 0;
}

/* One rxpk as the reference forwarder writes it (PROTOCOL.TXT section 4), frame @k. */
static void rxpk_of(const struct load *ld, uint32_t k, uint32_t eui, struct fwd_rxpk *pk)
{
    static const uint32_t freqs[3] = {868100000u, 868300000u, 868500000u};

    *pk = (struct fwd_rxpk){.time = "2024-05-01T12:00:00.000000Z",
                            .tmst = (uint32_t)((uint64_t)k * 1000u % 4294967296u),
                            .chan = k % 8u,
                            .freq_hz = freqs[k % 3u],
                            .sf = 7,
                            .bw_khz = 125,
                            .cr = 1,
                            .rssi_dbm = -(int)(40u + 9u * eui + k % 3u),
                            .lsnr_x10 = 95,
                            .phy = ld->phy + (size_t)k * FRAME_MAX,
                            .len = ld->phy_len[k]};
}

/* PUSH_DATA @d (frames d * per ...) into @buf (DGRAM_MAX bytes); returns its length. */
static size_t build_push(const struct load *ld, uint32_t d, uint32_t eui, uint16_t token,
                         uint8_t *buf)
{
    struct fwd_rxpk pk[PER_MAX];
    const uint8_t gw[FWD_EUI_LEN] = {0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x0B, (uint8_t)(eui + 1u)};
    uint32_t first = d * ld->per;
    uint32_t n = 0;
    int len;

    while (n < ld->per && first + n < ld->frames) {
        rxpk_of(ld, first + n, eui, &pk[n]);
        n++;
    }
    /* DGRAM_MAX holds PER_MAX rxpk of FRAME_MAX frames: it cannot fail. */
    len = fwd_push_data(buf, DGRAM_MAX, token, gw, pk, n);
    return len > 0 ? (size_t)len : 0;
}

/* Reads every PUSH_ACK waiting on @e's socket. */
static void read_acks(struct load *ld, uint32_t e, int64_t now)
{
    uint8_t buf[64];
    ssize_t n;

    for (;;) {
        n = recv(ld->fd[e], buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) {
            return; /* EAGAIN; ECONNREFUSED shows as lost datagrams */
        }
        if (fwd_push_ack_token(buf, (size_t)n) >= 0) {
            uint16_t token = (uint16_t)fwd_push_ack_token(buf, (size_t)n);
            uint32_t d = ld->by_token[e][token];

            if (d != NO_DGRAM && !ld->done[d]) {
                int64_t lat = now - ld->sent_ns[d];

                ld->done[d] = 1;
                ld->by_token[e][token] = NO_DGRAM;
                ld->acked++;
                ld->frames_acked += d == ld->ndgram - 1 ? ld->frames - d * ld->per : ld->per;
                ld->lat_sum_ns += (uint64_t)lat;
                if (lat > ld->lat_max_ns) {
                    ld->lat_max_ns = lat;
                }
                continue;
            }
        }
        ld->stray++;
    }
}

static int open_sockets(struct load *ld, uint16_t port)
{
    struct sockaddr_in sa;
    uint32_t e;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (e = 0; e < ld->euis; e++) {
        ld->fd[e] = socket(AF_INET, SOCK_DGRAM, 0);
        if (ld->fd[e] < 0 || connect(ld->fd[e], (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            perror("bench_lora: socket");
            return -1;
        }
        ld->by_token[e] = malloc(65536u * sizeof(uint32_t));
        if (ld->by_token[e] == NULL) {
            return -1;
        }
        memset(ld->by_token[e], 0xFF, 65536u * sizeof(uint32_t));
    }
    return 0;
}

static int run_load(struct load *ld)
{
    static uint8_t dgram[DGRAM_MAX];
    struct pollfd pfd[EUI_MAX];
    const int64_t t0 = bench_now_ns();
    const int64_t stop_sending = t0 + (int64_t)(ld->max_s * 1e9);
    int64_t t_end = t0;
    uint32_t next = 0;   /* next datagram to send */
    uint32_t oldest = 0; /* first datagram neither acked nor given up */
    uint32_t outstanding = 0;
    uint32_t e;

    if (ld->euis == 0 || ld->euis > EUI_MAX || ld->per == 0) {
        return -1; /* cmd_load() checked; here for the analyser */
    }
    for (e = 0; e < ld->euis; e++) {
        pfd[e].fd = ld->fd[e];
        pfd[e].events = POLLIN;
    }
    while (oldest < next || (next < ld->ndgram && bench_now_ns() < stop_sending)) {
        int64_t now = bench_now_ns();

        while (outstanding < ld->window && next < ld->ndgram && now < stop_sending) {
            uint32_t eui = next % ld->euis;
            uint16_t token = ++ld->token[eui];
            size_t len = build_push(ld, next, eui, token, dgram);

            if (ld->by_token[eui][token] != NO_DGRAM) {
                ld->token[eui]--; /* its previous datagram still waits: let it time out */
                break;
            }
            if (send(ld->fd[eui], dgram, len, 0) != (ssize_t)len) {
                if (errno == EAGAIN || errno == ENOBUFS || errno == ECONNREFUSED) {
                    ld->token[eui]--;
                    break;
                }
                perror("bench_lora: send");
                return -1;
            }
            ld->bytes_sent += len;
            ld->sent_ns[next] = now;
            ld->by_token[eui][token] = next;
            outstanding++;
            next++;
        }
        if (poll(pfd, ld->euis, 20) < 0 && errno != EINTR) {
            perror("bench_lora: poll");
            return -1;
        }
        now = bench_now_ns();
        for (e = 0; e < ld->euis; e++) {
            read_acks(ld, e, now);
        }
        /* Retire from the oldest end: acked ones, and any older than the ack timeout. */
        while (oldest < next && (ld->done[oldest] || now - ld->sent_ns[oldest] > ACK_TIMEOUT_NS)) {
            if (!ld->done[oldest]) {
                ld->done[oldest] = 1;
                ld->lost++;
            }
            oldest++;
        }
        outstanding = 0;
        for (e = oldest; e < next; e++) {
            outstanding += ld->done[e] ? 0u : 1u;
        }
        if (ld->acked > 0) {
            t_end = now;
        }
    }
    printf("datagrams_sent=%" PRIu32 "\n", next);
    printf("frames_sent=%" PRIu64 "\n",
           next == ld->ndgram ? (uint64_t)ld->frames : (uint64_t)next * ld->per);
    printf("acks=%" PRIu64 "\n", ld->acked);
    printf("frames_acked=%" PRIu64 "\n", ld->frames_acked);
    printf("lost=%" PRIu64 "\n", ld->lost);
    printf("stray=%" PRIu64 "\n", ld->stray);
    printf("bytes_sent=%" PRIu64 "\n", ld->bytes_sent);
    printf("elapsed_s=%.3f\n", (double)(t_end - t0) / 1e9);
    printf("frames_per_s=%.0f\n",
           t_end > t0 ? (double)ld->frames_acked / ((double)(t_end - t0) / 1e9) : 0.0);
    printf("ack_latency_mean_ms=%.2f\n",
           ld->acked > 0 ? (double)ld->lat_sum_ns / (double)ld->acked / 1e6 : 0.0);
    printf("ack_latency_max_ms=%.2f\n", (double)ld->lat_max_ns / 1e6);
    return ld->lost == 0 && ld->acked == next ? 0 : 1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_lora sql NODES\n"
            "       bench_lora load [-n NODES] [-f FRAMES] [-p PER] [-w WINDOW] [-e EUIS]\n"
            "                       [-t SECONDS] PORT\n"
            "  -n  distinct nodes (default 1000); register them with `bench_lora sql`\n"
            "  -f  frames to send (default 100000), one detection event each\n"
            "  -p  rxpk per PUSH_DATA (default 8, at most %u)\n"
            "  -w  PUSH_DATA awaiting their PUSH_ACK, all forwarders together (default 64)\n"
            "  -e  forwarder EUIs, one socket each, datagrams dealt in turn (default 1)\n"
            "  -t  stop sending after SECONDS (default 60); the acks are still awaited\n"
            "Exit 0 when every datagram sent was acknowledged.\n",
            PER_MAX);
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end = NULL;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "bench_lora: '%s' is not a number in %" PRIu32 "..%" PRIu32 "\n", s, lo,
                hi);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int cmd_load(int argc, char **argv)
{
    struct load ld;
    uint32_t port = 0;
    uint32_t secs = 60;
    int64_t t0;
    int opt;
    int rc = 1;

    memset(&ld, 0, sizeof(ld));
    for (uint32_t e = 0; e < EUI_MAX; e++) {
        ld.fd[e] = -1;
    }
    ld.nodes = 1000;
    ld.frames = 100000;
    ld.per = 8;
    ld.window = 64;
    ld.euis = 1;
    while ((opt = getopt(argc, argv, "n:f:p:w:e:t:")) != -1) {
        int bad;

        switch (opt) {
        case 'n':
            bad = parse_u32(optarg, 1, NODES_MAX, &ld.nodes);
            break;
        case 'f':
            bad = parse_u32(optarg, 1, FRAMES_MAX, &ld.frames);
            break;
        case 'p':
            bad = parse_u32(optarg, 1, PER_MAX, &ld.per);
            break;
        case 'w':
            bad = parse_u32(optarg, 1, WINDOW_MAX, &ld.window);
            break;
        case 'e':
            bad = parse_u32(optarg, 1, EUI_MAX, &ld.euis);
            break;
        case 't':
            bad = parse_u32(optarg, 1, 3600, &secs);
            break;
        default:
            bad = 1;
            break;
        }
        if (bad != 0) {
            usage();
            return 2;
        }
    }
    if (optind + 1 != argc || parse_u32(argv[optind], 1, 65535, &port) != 0) {
        usage();
        return 2;
    }
    if ((uint64_t)ld.window * ld.per > ld.nodes) {
        fprintf(stderr,
                "bench_lora: window x per (%" PRIu32 ") must not exceed the nodes (%" PRIu32
                "): a node's frames could overtake each other\n",
                ld.window * ld.per, ld.nodes);
        return 2;
    }
    ld.max_s = secs;
    ld.ndgram = (ld.frames + ld.per - 1) / ld.per;
    ld.phy = malloc((size_t)ld.frames * FRAME_MAX);
    ld.phy_len = malloc(ld.frames);
    ld.sent_ns = calloc(ld.ndgram, sizeof(*ld.sent_ns));
    ld.done = calloc(ld.ndgram, 1);
    if (ld.phy == NULL || ld.phy_len == NULL || ld.sent_ns == NULL || ld.done == NULL) {
        fprintf(stderr, "bench_lora: out of memory\n");
        goto out;
    }
    t0 = bench_now_ns();
    if (build_frames(&ld) != 0 || open_sockets(&ld, (uint16_t)port) != 0) {
        goto out;
    }
    printf("build_s=%.3f\n", (double)(bench_now_ns() - t0) / 1e9);
    rc = run_load(&ld);
out:
    for (uint32_t e = 0; e < ld.euis; e++) {
        if (ld.fd[e] >= 0) {
            close(ld.fd[e]);
        }
        free(ld.by_token[e]);
    }
    free(ld.phy);
    free(ld.phy_len);
    free(ld.sent_ns);
    free(ld.done);
    return rc;
}

int main(int argc, char **argv)
{
    uint32_t nodes;

    if (argc == 3 && strcmp(argv[1], "sql") == 0) {
        if (parse_u32(argv[2], 0, NODES_MAX, &nodes) != 0) {
            return 2;
        }
        return cmd_sql(nodes);
    }
    if (argc >= 2 && strcmp(argv[1], "load") == 0) {
        return cmd_load(argc - 1, argv + 1);
    }
    usage();
    return 2;
}
