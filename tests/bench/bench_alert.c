/* SPDX-License-Identifier: MIT
 * Alert latency, driven by tools/bench-alert.sh:
 *   bench_alert sql BG PROBES   SQL registering BG background nodes (zones bg0, bg1, ...) and
 *                               PROBES probe nodes (zones p0, p1, ...)
 *   bench_alert run LORA_PORT BROKER_PORT PREFIX BG PROBES RATE
 * `run` sends RATE background frames per second through one emulated packet forwarder: each
 * a detection below the watch confidence, alone in its zone, so fusion works on every one but
 * none opens an alert. Every 100 ms it sends one probe frame, a confident detection in a zone
 * of its own, so each probe opens exactly one alert, and 50 ms later publishes a message of
 * the same size straight to the broker. One subscriber (QoS 1, TCP_NODELAY, its own thread)
 * takes both: the probe's latency is from sending its datagram to receiving its alert (the
 * daemon's whole path: forwarder protocol, frame check, SQLite commit, fusion, outbox,
 * publish, broker), the direct message's is the broker's own publish-to-subscriber latency,
 * measured under the same load in the same run. Output is `key=value` lines. With
 * BENCH_SENT_FILE set, each probe's send time is also written there as "INDEX UNIX_NS" (wall
 * clock), for a receiver in another process (the Alertmanager webhook of tools/bench-alert.sh).
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

#define BG_BASE        0x26300000u /* background nodes */
#define PROBE_BASE     0x26400000u /* probe nodes */
#define PROBES_MAX     10000u
#define PROBE_GAP_NS   100000000LL /* one probe per 100 ms */
#define BASE_LAG_NS    50000000LL  /* the direct publish, half-way between two probes */
#define DRAIN_NS       3000000000LL
#define CLASS_ELEPHANT 1u
#define BASE_PAYLOAD   480u /* about the size of an alert's JSON */
#define DGRAM_MAX      512u

struct run {
    const char *prefix;
    uint32_t bg;
    uint32_t probes;
    uint32_t rate;
    int64_t *probe_sent; /* per probe, ns; 0 = not sent */
    int64_t *probe_recv; /* per probe, the first arrival of its alert; 0 = none */
    int64_t *base_sent;
    int64_t *base_recv;
    atomic_int subscribed; /* SUBACKs seen by the subscriber's thread */
};

static struct run R;

/* "<prefix>/alert/elephant/p<j>" or "bench-baseline/<j>": the probe index, or -1. */
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
    (void)snprintf(head, sizeof(head), "%s/alert/elephant/p", R.prefix);
    j = index_of(msg->topic, head);
    if (j >= 0 && R.probe_recv[j] == 0) {
        R.probe_recv[j] = now;
        return;
    }
    j = index_of(msg->topic, "bench-baseline/");
    if (j >= 0 && R.base_recv[j] == 0) {
        R.base_recv[j] = now;
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

static struct mosquitto *client(const char *id, int port)
{
    struct mosquitto *m = mosquitto_new(id, true, NULL);

    if (m == NULL) {
        return NULL;
    }
    (void)mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    if (mosquitto_connect(m, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "bench_alert: cannot connect %s to the broker on port %d\n", id, port);
        mosquitto_destroy(m);
        return NULL;
    }
    return m;
}

/* One rxpk PUSH_DATA carrying @phy; its length, or -1. */
static int push_data(uint8_t *buf, uint16_t token, const uint8_t *phy, int len)
{
    static const uint8_t gw[FWD_EUI_LEN] = {0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x0C, 0x01};
    const struct fwd_rxpk pk = {.tmst = (uint32_t)token * 1000u,
                                .chan = 0,
                                .freq_hz = 868100000u,
                                .sf = 7,
                                .bw_khz = 125,
                                .cr = 1,
                                .rssi_dbm = -50,
                                .lsnr_x10 = 95,
                                .phy = phy,
                                .len = (size_t)len};

    return fwd_push_data(buf, DGRAM_MAX, token, gw, &pk, 1);
}

static int send_frame(int fd, uint16_t token, uint32_t devaddr, uint32_t fcnt, uint8_t conf)
{
    uint8_t phy[32];
    uint8_t dgram[DGRAM_MAX];
    int n = bench_detection_frame(devaddr, fcnt, CLASS_ELEPHANT, conf, 0, phy, sizeof(phy));

    if (n < 0) {
        fprintf(stderr, "bench_alert: building a frame: %s\n", proto_strerror(n));
        return -1;
    }
    n = push_data(dgram, token, phy, n);
    return n < 0 || send(fd, dgram, (size_t)n, 0) < 0 ? -1 : 0;
}

static void drain_acks(int fd, uint64_t *acks)
{
    uint8_t buf[64];

    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
        (*acks)++;
    }
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

/* Latencies of the answered ones into @lat; prints count, lost, p50, p99, max (ms). */
static double report(const char *name, const int64_t *sent, const int64_t *recv, uint32_t n,
                     int64_t *lat)
{
    uint32_t got = 0;
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (sent[i] != 0 && recv[i] != 0) {
            lat[got++] = recv[i] - sent[i];
        }
    }
    printf("%s_received=%" PRIu32 "\n%s_lost=%" PRIu32 "\n", name, got, name, n - got);
    if (got == 0) {
        return 0;
    }
    qsort(lat, got, sizeof(*lat), cmp_i64);
    printf("%s_p50_ms=%.3f\n%s_p99_ms=%.3f\n%s_max_ms=%.3f\n", name, lat[got / 2] / 1e6, name,
           lat[(got * 99u) / 100u] / 1e6, name, lat[got - 1] / 1e6);
    return lat[(got * 99u) / 100u] / 1e6;
}

/* The probes' send times on the wall clock into the file BENCH_SENT_FILE names, if any. */
static int write_sent(void)
{
    const char *path = getenv("BENCH_SENT_FILE");
    struct timespec real;
    int64_t offset;
    FILE *f;
    uint32_t i;

    if (path == NULL || path[0] == '\0') {
        return 0;
    }
    clock_gettime(CLOCK_REALTIME, &real);
    offset = (int64_t)real.tv_sec * 1000000000LL + real.tv_nsec - bench_now_ns();
    f = fopen(path, "w");
    if (f == NULL) {
        perror("bench_alert: BENCH_SENT_FILE");
        return 1;
    }
    for (i = 0; i < R.probes; i++) {
        if (R.probe_sent[i] != 0) {
            fprintf(f, "%" PRIu32 " %" PRId64 "\n", i, R.probe_sent[i] + offset);
        }
    }
    return fclose(f) == 0 ? 0 : 1;
}

static int run(uint16_t lora_port, int broker_port)
{
    char payload[BASE_PAYLOAD];
    char topic[160];
    struct sockaddr_in sa;
    struct mosquitto *sub;
    struct mosquitto *pub;
    uint64_t bg_sent = 0;
    uint64_t acks = 0;
    uint16_t token = 0;
    int64_t t0;
    int64_t next_bg;
    int64_t bg_gap = 1000000000LL / R.rate;
    int64_t end;
    uint32_t next_probe = 0;
    uint32_t next_base = 0;
    int64_t *lat;
    double p99_alert;
    double p99_base;
    int fd;

    (void)mosquitto_lib_init();
    sub = client("bench-alert-sub", broker_port);
    pub = client("bench-alert-pub", broker_port);
    if (sub == NULL || pub == NULL) {
        return 1;
    }
    mosquitto_message_callback_set(sub, on_message);
    mosquitto_subscribe_callback_set(sub, on_subscribe);
    (void)snprintf(topic, sizeof(topic), "%s/alert/elephant/+", R.prefix);
    if (mosquitto_subscribe(sub, NULL, topic, 1) != MOSQ_ERR_SUCCESS ||
        mosquitto_subscribe(sub, NULL, "bench-baseline/+", 1) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "bench_alert: subscribe failed\n");
        return 1;
    }
    while (R.subscribed < 2) {
        usleep(1000);
    }
    memset(payload, 'x', sizeof(payload) - 1);
    payload[sizeof(payload) - 1] = '\0';

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(lora_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("bench_alert: socket");
        return 1;
    }

    /* Background first for half a second, so the probes meet a loop that is already busy. */
    t0 = bench_now_ns();
    next_bg = t0;
    end = t0 + 500000000LL + (int64_t)R.probes * PROBE_GAP_NS;
    for (;;) {
        int64_t probe_at = t0 + 500000000LL + (int64_t)next_probe * PROBE_GAP_NS;
        int64_t base_at = t0 + 500000000LL + (int64_t)next_base * PROBE_GAP_NS + BASE_LAG_NS;
        int64_t at = next_bg;

        if (next_probe < R.probes && probe_at < at) {
            at = probe_at;
        }
        if (next_base < R.probes && base_at < at) {
            at = base_at;
        }
        if (at >= end && next_probe >= R.probes && next_base >= R.probes) {
            break;
        }
        sleep_until(at);
        if (at == next_bg) {
            uint32_t node = (uint32_t)(bg_sent % R.bg);

            if (send_frame(fd, ++token, BG_BASE + node, 1u + (uint32_t)(bg_sent / R.bg), 60) == 0) {
                bg_sent++;
            }
            next_bg += bg_gap;
        } else if (next_probe < R.probes && at == probe_at) {
            R.probe_sent[next_probe] = bench_now_ns();
            if (send_frame(fd, ++token, PROBE_BASE + next_probe, 1, 230) < 0) {
                R.probe_sent[next_probe] = 0;
            }
            next_probe++;
        } else {
            (void)snprintf(topic, sizeof(topic), "bench-baseline/%" PRIu32, next_base);
            R.base_sent[next_base] = bench_now_ns();
            if (mosquitto_publish(pub, NULL, topic, (int)strlen(payload), payload, 1, false) !=
                MOSQ_ERR_SUCCESS) {
                R.base_sent[next_base] = 0;
            }
            next_base++;
        }
        drain_acks(fd, &acks);
    }
    sleep_until(bench_now_ns() + DRAIN_NS);
    drain_acks(fd, &acks);
    (void)mosquitto_disconnect(sub);
    (void)mosquitto_disconnect(pub);
    (void)mosquitto_loop_stop(sub, false);
    (void)mosquitto_loop_stop(pub, false);

    printf("background_sent=%" PRIu64 "\nbackground_rate=%.0f\npush_acks=%" PRIu64 "\n", bg_sent,
           (double)bg_sent / ((double)(end - t0) / 1e9), acks);
    lat = calloc(R.probes, sizeof(*lat));
    if (lat == NULL) {
        return 1;
    }
    if (write_sent() != 0) {
        free(lat);
        return 1;
    }
    p99_alert = report("alert", R.probe_sent, R.probe_recv, R.probes, lat);
    p99_base = report("broker", R.base_sent, R.base_recv, R.probes, lat);
    if (p99_base > 0) {
        printf("ratio_p99=%.2f\n", p99_alert / p99_base);
    }
    free(lat);
    mosquitto_destroy(sub);
    mosquitto_destroy(pub);
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
        fprintf(stderr, "bench_alert: '%s' is not a number %" PRIu32 "..%" PRIu32 "\n", s, lo, hi);
        exit(2);
    }
    return (uint32_t)v;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "sql") == 0) {
        bench_sql_nodes(BG_BASE, number(argv[2], 1, 100000), "bg", true);
        bench_sql_nodes(PROBE_BASE, number(argv[3], 1, PROBES_MAX), "p", true);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (argc == 8 && strcmp(argv[1], "run") == 0) {
        uint16_t lora_port = (uint16_t)number(argv[2], 1, 65535);
        int broker_port = (int)number(argv[3], 1, 65535);

        R.prefix = argv[4];
        R.bg = number(argv[5], 1, 100000);
        R.probes = number(argv[6], 1, PROBES_MAX);
        R.rate = number(argv[7], 1, 100000);
        R.probe_sent = calloc(R.probes, sizeof(int64_t));
        R.probe_recv = calloc(R.probes, sizeof(int64_t));
        R.base_sent = calloc(R.probes, sizeof(int64_t));
        R.base_recv = calloc(R.probes, sizeof(int64_t));
        if (R.probe_sent == NULL || R.probe_recv == NULL || R.base_sent == NULL ||
            R.base_recv == NULL) {
            return 1;
        }
        return run(lora_port, broker_port);
    }
    fprintf(stderr, "usage: bench_alert sql BG PROBES\n"
                    "       bench_alert run LORA_PORT BROKER_PORT PREFIX BG PROBES RATE\n");
    return 2;
}
