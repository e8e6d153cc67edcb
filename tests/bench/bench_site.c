/* SPDX-License-Identifier: MIT
 * A site of several gateways under load, driven by tools/bench-site.sh:
 *   bench_site sql GW BG ZONES PROBES  SQL registering gateway GW's BG background nodes (in
 *                                      ZONES zones g<GW>z0, g<GW>z1, ...) and, when PROBES > 0,
 *                                      PROBES probe nodes (zones p0, p1, ...)
 *   bench_site run BROKER_PORT SITE_PREFIX SOLO_PREFIX BG PROBES RATE SOLO_PORT PORT...
 * `run` sends RATE background frames per second to each gateway (the site's, on PORT..., and
 * the single one on SOLO_PORT), each a detection below the watch confidence from one of that
 * gateway's own BG nodes, so every gateway stores, fuses and (in a site) publishes every one
 * but none opens an alert. Every 100 ms it sends one probe frame, a confident detection in a
 * zone of its own, at the same instant to the site's second gateway gw-1 (PORT #2) and to
 * the single gateway ([fusion] scope = gateway, the same probe nodes). Before the run gw-0
 * and the single gateway hear one quiet frame of each probe node: the site's gateways learn
 * the zone from gw-0's input and claim it, and whoever holds it then publishes the probe's
 * alert. Held by another gateway than gw-1, the alert crosses the broker twice (gw-1's
 * input, the owner's alert): a cross-gateway probe; held by gw-1, a local one, reported
 * apart. One subscriber (QoS 1, TCP_NODELAY, its own thread) takes
 * the alerts of both and every site input: a probe's latency is from sending its datagram to
 * receiving its alert, cross-gateway and single-gateway side by side under the same load in
 * the same run; the site inputs received, per second, are the site's events. Output is
 * `key=value` lines.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <mosquitto.h>

#include "bench/bench_frames.h"
#include "lib/fwd.h"

#define BG_BASE        0x27000000u /* gateway g's background nodes: BG_BASE + g * BG_STRIDE */
#define BG_STRIDE      0x00100000u
#define PROBE_BASE     0x28000000u
#define PROBES_MAX     10000u
#define GATEWAYS_MAX   16u
#define PROBE_GAP_NS   100000000LL /* one probe per 100 ms */
#define WARMUP_NS      1000000000LL
#define DRAIN_NS       3000000000LL
#define CLAIM_NS       5000000000LL /* SITE_OWNER_SETTLE_MS, with a margin */
#define CLASS_ELEPHANT 1u
#define DGRAM_MAX      512u

struct run {
    const char *site;
    const char *solo;
    uint32_t probes;
    int64_t *sent;      /* per probe, ns; 0 = not sent */
    int64_t *cross;     /* per probe, its site alert's arrival, published by another than gw-1 */
    int64_t *local;     /* the same, published by gw-1 (it held the zone) */
    int64_t *single;    /* the same, from the single gateway */
    atomic_uint inputs; /* site inputs received */
    atomic_int subscribed;
};

static struct run R;

/* "<head><j>": the probe index j, or -1. */
static long index_of(const char *topic, const char *head)
{
    size_t n = strlen(head);
    char *end;
    long j;

    if (strncmp(topic, head, n) != 0) {
        return -1;
    }
    j = strtol(topic + n, &end, 10);
    return *end == '\0' && j >= 0 && (uint32_t)j < R.probes ? j : -1;
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
    char head[160];
    int64_t now = bench_now_ns();
    long j;

    (void)m;
    (void)arg;
    (void)snprintf(head, sizeof(head), "%s/site/input/", R.site);
    if (strncmp(msg->topic, head, strlen(head)) == 0) {
        R.inputs++;
        return;
    }
    (void)snprintf(head, sizeof(head), "%s/alert/elephant/p", R.site);
    j = index_of(msg->topic, head);
    if (j >= 0 && R.cross[j] == 0 && R.local[j] == 0) {
        /* published by gw-1, which heard the frame: its own zone, not a crossing */
        bool local = msg->payload != NULL && strstr(msg->payload, "\"gateway\":\"gw-1\"") != NULL;

        (local ? R.local : R.cross)[j] = now;
        return;
    }
    (void)snprintf(head, sizeof(head), "%s/alert/elephant/p", R.solo);
    j = index_of(msg->topic, head);
    if (j >= 0 && R.single[j] == 0) {
        R.single[j] = now;
    }
}

static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *qos)
{
    (void)m;
    (void)arg;
    (void)mid;
    (void)n;
    (void)qos;
    R.subscribed++;
}

/* One rxpk PUSH_DATA carrying @phy to @fd. */
static int send_frame(int fd, uint16_t token, uint32_t devaddr, uint32_t fcnt, uint8_t conf)
{
    static const uint8_t gw[FWD_EUI_LEN] = {0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x0C, 0x02};
    uint8_t phy[32];
    uint8_t dgram[DGRAM_MAX];
    int n = bench_detection_frame(devaddr, fcnt, CLASS_ELEPHANT, conf, 0, phy, sizeof(phy));
    struct fwd_rxpk pk = {.tmst = (uint32_t)token * 1000u,
                          .freq_hz = 868100000u,
                          .sf = 7,
                          .bw_khz = 125,
                          .cr = 1,
                          .rssi_dbm = -50,
                          .lsnr_x10 = 95};

    if (n < 0) {
        fprintf(stderr, "bench_site: building a frame: %s\n", proto_strerror(n));
        return -1;
    }
    pk.phy = phy;
    pk.len = (size_t)n;
    n = fwd_push_data(dgram, DGRAM_MAX, token, gw, &pk, 1);
    return n < 0 || send(fd, dgram, (size_t)n, 0) < 0 ? -1 : 0;
}

static int udp_to(uint16_t port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("bench_site: socket");
        return -1;
    }
    return fd;
}

static uint64_t drain_acks(int fd)
{
    uint8_t buf[64];
    uint64_t n = 0;

    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
        n++;
    }
    return n;
}

static void sleep_until(int64_t t_ns)
{
    struct timespec ts = {(time_t)(t_ns / 1000000000LL), (long)(t_ns % 1000000000LL)};

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Latencies of the probes answered in @recv; prints their count, p50, p99, max (ms). */
static void report(const char *name, const int64_t *recv, int64_t *lat)
{
    uint32_t got = 0;
    uint32_t i;

    for (i = 0; i < R.probes; i++) {
        if (R.sent[i] != 0 && recv[i] != 0) {
            lat[got++] = recv[i] - R.sent[i];
        }
    }
    printf("%s_received=%" PRIu32 "\n", name, got);
    if (got == 0) {
        return;
    }
    qsort(lat, got, sizeof(*lat), cmp_i64);
    printf("%s_p50_ms=%.3f\n%s_p99_ms=%.3f\n%s_max_ms=%.3f\n", name, lat[got / 2] / 1e6, name,
           lat[(got * 99u) / 100u] / 1e6, name, lat[got - 1] / 1e6);
}

static struct mosquitto *subscriber(int port)
{
    struct mosquitto *m = mosquitto_new("bench-site-sub", true, NULL);
    char t[3][160];
    int i;

    if (m == NULL) {
        return NULL;
    }
    (void)mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_message_callback_set(m, on_message);
    mosquitto_subscribe_callback_set(m, on_subscribe);
    if (mosquitto_connect(m, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "bench_site: cannot connect to the broker on port %d\n", port);
        mosquitto_destroy(m);
        return NULL;
    }
    (void)snprintf(t[0], sizeof(t[0]), "%s/alert/elephant/+", R.site);
    (void)snprintf(t[1], sizeof(t[1]), "%s/alert/elephant/+", R.solo);
    (void)snprintf(t[2], sizeof(t[2]), "%s/site/input/+", R.site);
    for (i = 0; i < 3; i++) {
        if (mosquitto_subscribe(m, NULL, t[i], 1) != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "bench_site: subscribe failed\n");
            mosquitto_destroy(m);
            return NULL;
        }
    }
    while (R.subscribed < 3) {
        usleep(1000);
    }
    return m;
}

struct load {
    int fd[GATEWAYS_MAX + 1]; /* the site's gateways, then the single one */
    unsigned n_fd;
    uint32_t bg;
    uint32_t rate;
    uint64_t bg_sent;
    uint64_t acks;
    unsigned lost;
};

/* The run: background to every gateway in turn at RATE each, probes every PROBE_GAP_NS. */
static void drive(struct load *L)
{
    int64_t t0 = bench_now_ns();
    int64_t gap = 1000000000LL / ((int64_t)L->rate * L->n_fd);
    int64_t end = t0 + WARMUP_NS + (int64_t)R.probes * PROBE_GAP_NS;
    int64_t next_bg = t0;
    uint32_t next_probe = 0;
    uint16_t token = 0;
    unsigned k;

    while (next_bg < end || next_probe < R.probes) {
        int64_t probe_at = t0 + WARMUP_NS + (int64_t)next_probe * PROBE_GAP_NS;

        if (next_probe < R.probes && probe_at <= next_bg) {
            sleep_until(probe_at);
            R.sent[next_probe] = bench_now_ns();
            /* the single gateway first one probe, the site's the next: neither always waits */
            for (k = 0; k < 2; k++) {
                int fd = (next_probe + k) % 2 == 0 ? L->fd[L->n_fd - 1] : L->fd[1];

                if (send_frame(fd, ++token, PROBE_BASE + next_probe, 2, 230) < 0) {
                    R.sent[next_probe] = 0;
                }
            }
            next_probe++;
            continue;
        }
        sleep_until(next_bg);
        {
            unsigned g = (unsigned)(L->bg_sent % L->n_fd);
            uint64_t i = L->bg_sent / L->n_fd;
            uint32_t node = BG_BASE + g * BG_STRIDE + (uint32_t)(i % L->bg);

            if (send_frame(L->fd[g], ++token, node, 1u + (uint32_t)(i / L->bg), 60) < 0) {
                fprintf(stderr, "bench_site: send failed\n");
            }
        }
        L->bg_sent++;
        next_bg += gap;
        for (k = 0; k < L->n_fd; k++) {
            L->acks += drain_acks(L->fd[k]);
        }
    }
    printf("duration_s=%.3f\n", (double)(bench_now_ns() - t0) / 1e9);
}

static int run(int broker_port, uint32_t bg, uint32_t rate, char **ports, unsigned n_ports)
{
    struct load L = {.n_fd = n_ports, .bg = bg, .rate = rate};
    struct mosquitto *sub;
    unsigned inputs0;
    int64_t *lat;
    unsigned k;

    (void)mosquitto_lib_init();
    sub = subscriber(broker_port);
    if (sub == NULL) {
        return 1;
    }
    for (k = 0; k < n_ports; k++) {
        char *e;
        unsigned long p = strtoul(ports[k], &e, 10);

        L.fd[k] = *e == '\0' && p > 0 && p < 65536 ? udp_to((uint16_t)p) : -1;
        if (L.fd[k] < 0) {
            fprintf(stderr, "bench_site: bad port '%s'\n", ports[k]);
            return 1;
        }
    }
    /* A registry zone is claimed when its first frame is heard: gw-0 hears one quiet frame
     * of each probe node (the single gateway too) and the claims settle before the run. */
    for (k = 0; k < R.probes; k++) {
        if (send_frame(L.fd[0], (uint16_t)k, PROBE_BASE + k, 1, 60) < 0 ||
            send_frame(L.fd[n_ports - 1], (uint16_t)k, PROBE_BASE + k, 1, 60) < 0) {
            fprintf(stderr, "bench_site: send failed\n");
            return 1;
        }
        usleep(2000);
    }
    sleep_until(bench_now_ns() + CLAIM_NS);
    inputs0 = R.inputs;
    drive(&L);
    sleep_until(bench_now_ns() + DRAIN_NS);
    for (k = 0; k < n_ports; k++) {
        L.acks += drain_acks(L.fd[k]);
    }
    (void)mosquitto_disconnect(sub);
    (void)mosquitto_loop_stop(sub, false);

    /* the site's gateways store their background and the probes at the second one */
    printf("background_sent=%" PRIu64 "\npush_acks=%" PRIu64 "\n", L.bg_sent, L.acks);
    printf("site_inputs_expected=%" PRIu64 "\nsite_inputs=%u\n",
           L.bg_sent / n_ports * (n_ports - 1) + R.probes, R.inputs - inputs0);
    lat = calloc(R.probes, sizeof(*lat));
    if (lat == NULL) {
        return 1;
    }
    report("cross", R.cross, lat);
    report("local", R.local, lat);
    report("single", R.single, lat);
    for (k = 0; k < R.probes; k++) {
        L.lost += R.sent[k] == 0 || (R.cross[k] == 0 && R.local[k] == 0);
    }
    printf("site_lost=%u\n", L.lost);
    free(lat);
    mosquitto_destroy(sub);
    (void)mosquitto_lib_cleanup();
    return fflush(stdout) == 0 ? 0 : 1;
}

static uint32_t number(const char *s, uint32_t lo, uint32_t hi)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "bench_site: '%s' is not a number %" PRIu32 "..%" PRIu32 "\n", s, lo, hi);
        exit(2);
    }
    return (uint32_t)v;
}

/* SQL for @count nodes from @first; zone "<head><i % zones>" (one zone each when @zones is 0). */
static void sql_nodes(uint32_t first, uint32_t count, const char *head, uint32_t zones)
{
    uint8_t nwk[PROTO_AES_KEY];
    uint8_t app[PROTO_AES_KEY];
    uint32_t i;

    printf("BEGIN;\n");
    for (i = 0; i < count; i++) {
        bench_node_keys(first + i, nwk, app);
        printf(
            "INSERT INTO nodes (devaddr, name, zone, nwkskey, appskey, created_ms) VALUES (%" PRIu32
            ", 'bench-%" PRIu32 "', '%s%" PRIu32 "', X'",
            first + i, first + i, head, zones != 0 ? i % zones : i);
        bench_put_hex(nwk, sizeof(nwk));
        printf("', X'");
        bench_put_hex(app, sizeof(app));
        printf("', 0);\n");
    }
    printf("COMMIT;\n");
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "sql") == 0) {
        uint32_t g = number(argv[2], 0, GATEWAYS_MAX);
        uint32_t probes = number(argv[5], 0, PROBES_MAX);
        char head[32];

        (void)snprintf(head, sizeof(head), "g%" PRIu32 "z", g);
        sql_nodes(BG_BASE + g * BG_STRIDE, number(argv[3], 1, 100000), head,
                  number(argv[4], 1, 1000));
        if (probes > 0) {
            sql_nodes(PROBE_BASE, probes, "p", 0);
        }
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (argc >= 11 && argc <= 9 + (int)GATEWAYS_MAX && strcmp(argv[1], "run") == 0) {
        int broker_port = (int)number(argv[2], 1, 65535);
        uint32_t bg = number(argv[5], 1, 100000);
        uint32_t rate = number(argv[7], 1, 100000);
        char *ports[GATEWAYS_MAX + 1];
        int i;

        R.site = argv[3];
        R.solo = argv[4];
        R.probes = number(argv[6], 1, PROBES_MAX);
        R.sent = calloc(R.probes, sizeof(int64_t));
        R.cross = calloc(R.probes, sizeof(int64_t));
        R.single = calloc(R.probes, sizeof(int64_t));
        R.local = calloc(R.probes, sizeof(int64_t));
        if (R.sent == NULL || R.cross == NULL || R.single == NULL || R.local == NULL) {
            return 1;
        }
        for (i = 9; i < argc; i++) {
            ports[i - 9] = argv[i];
        }
        ports[argc - 9] = argv[8]; /* the single gateway last */
        return run(broker_port, bg, rate, ports, (unsigned)(argc - 8));
    }
    fprintf(stderr, "usage: bench_site sql GW BG ZONES PROBES\n"
                    "       bench_site run BROKER_PORT SITE_PREFIX SOLO_PREFIX BG PROBES RATE "
                    "SOLO_PORT PORT0 PORT1 [PORT...]\n");
    return 2;
}
