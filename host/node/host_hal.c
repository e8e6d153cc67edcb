/* SPDX-License-Identifier: MIT
 * The POSIX host HAL (see host_hal.h). The forwarder speaks the Semtech UDP protocol v2
 * through the host library's client side (lib/fwd.h): one PUSH_DATA per frame, then the
 * PUSH_ACK with the same token awaited.
 */
#include "host_hal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/fwd.h"
#include "nodefw/dutycycle.h"

void host_clock_init(struct host_clock *c, double speed, bool manual)
{
    memset(c, 0, sizeof(*c));
    c->speed = speed > 0 ? speed : 1.0;
    c->manual = manual;
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
}

uint64_t host_clock_now(const struct host_clock *c)
{
    struct timespec t;
    double real_ms;

    if (c->manual) {
        return c->manual_ms;
    }
    clock_gettime(CLOCK_MONOTONIC, &t);
    real_ms = (double)(t.tv_sec - c->t0.tv_sec) * 1e3 + (double)(t.tv_nsec - c->t0.tv_nsec) / 1e6;
    return c->sim0_ms + (uint64_t)(real_ms * c->speed);
}

static struct host_node *node_of(void *ctx)
{
    return ctx;
}

static uint64_t h_now(void *ctx)
{
    return host_clock_now(node_of(ctx)->clock);
}

static void h_sleep(void *ctx, uint32_t ms)
{
    struct host_node *hn = node_of(ctx);
    struct pollfd p;
    int real_ms;

    if (hn->clock->manual) {
        return;
    }
    real_ms = (int)((double)ms / hn->clock->speed);
    if (real_ms < 1) {
        real_ms = 1;
    }
    /* Wake early for a datagram, as an MCU wakes from WFI on the network interrupt. */
    p.fd = hn->coap_fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, hn->coap_fd >= 0 ? 1 : 0, real_ms) < 0 && errno != EINTR) {
        usleep((useconds_t)real_ms * 1000u);
    }
}

static int h_sensor_start(void *ctx, uint32_t rate_hz)
{
    struct host_node *hn = node_of(ctx);

    if (hn->rate_hz != 0u && hn->rate_hz != rate_hz) {
        return HAL_EINVAL; /* the source was made for another rate */
    }
    hn->rate_hz = rate_hz;
    if (!hn->sensor_started) {
        hn->sensor_start_ms = host_clock_now(hn->clock);
        hn->delivered = 0;
        hn->sensor_started = true;
        wakecmp_init(&hn->wake, rate_hz, hn->wake_level, hn->wake_margin_db);
    } else if (hn->sensor_off) {
        (void)host_power_skip(hn); /* the input while off is gone */
    }
    hn->sensor_off = false;
    host_power_sensor(hn, true);
    return HAL_OK;
}

static int h_sensor_read(void *ctx, int16_t *buf, size_t n)
{
    struct host_node *hn = node_of(ctx);
    uint64_t now = host_clock_now(hn->clock);
    uint64_t due;
    size_t k;
    size_t got;

    if (hn->source == NULL || hn->rate_hz == 0u) {
        return HAL_EIO;
    }
    if (hn->source_eof) {
        return HAL_EEOF;
    }
    if (hn->sensor_off) {
        return host_power_skip(hn) ? 0 : HAL_EEOF;
    }
    /* Samples become available as the clock passes their time. */
    due = (now - hn->sensor_start_ms) * hn->rate_hz / 1000u;
    if (due <= hn->delivered) {
        return 0;
    }
    k = due - hn->delivered < n ? (size_t)(due - hn->delivered) : n;
    got = hn->source(hn->source_arg, buf, k);
    host_power_listen(hn, buf, got);
    host_power_samples(hn, hn->delivered, hn->delivered + got);
    hn->delivered += got;
    if (got < k) {
        hn->source_eof = true;
        return got > 0 ? (int)got : HAL_EEOF;
    }
    return (int)got;
}

static void h_log(void *ctx, const char *line)
{
    struct host_node *hn = node_of(ctx);

    if (hn->verbose) {
        fprintf(stderr, "%s: %s\n", hn->name, line);
    }
}

/* The simulated forwarder: one PUSH_DATA with one rxpk, then wait for its PUSH_ACK. */
static int h_radio_send(void *ctx, const struct hal_lora_tx *tx, const uint8_t *phy, size_t len)
{
    struct host_node *hn = node_of(ctx);
    struct host_fwd *fw = hn->fwd;
    struct fwd_rxpk pk;
    uint8_t dgram[FWD_HDR_LEN + FWD_RXPK_MAX + 16u];
    uint8_t ack[1024]; /* PUSH_ACK, or a PULL_RESP for some node */
    char tbuf[40];
    char when[64];
    struct timeval tv;
    struct tm tm;
    uint16_t token;
    int n;
    int waited = 0;

    if (fw == NULL || fw->fd < 0) {
        return HAL_ENOTSUP;
    }
    if (len > FWD_PHY_MAX) {
        return HAL_EINVAL;
    }
    energy_tx(&hn->energy, dutycycle_toa_us(tx, len), tx->power_dbm);
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
    (void)snprintf(when, sizeof(when), "%s.%06ldZ", tbuf, (long)tv.tv_usec);
    /* tmst is the concentrator's microsecond clock at the end of reception: real time here,
     * so a PULL_RESP's tmst says when, in real time, the node's window opens (host_rx.c). */
    fw->tmst = host_rx_tmst_now();
    hn->rx_tmst = fw->tmst;
    hn->rx1_us = (tx->rx1_delay_s != 0u ? tx->rx1_delay_s : 1u) * 1000000u;
    hn->rx_open = hn->rx_enabled;
    pk = (struct fwd_rxpk){.time = when,
                           .tmst = fw->tmst,
                           .chan = 0,
                           .freq_hz = tx->freq_hz,
                           .sf = tx->sf,
                           .bw_khz = tx->bw_khz,
                           .cr = tx->cr,
                           .rssi_dbm = hn->rssi,
                           .lsnr_x10 = hn->lsnr_x10,
                           .phy = phy,
                           .len = len};
    token = (uint16_t)(hn->rng >> 16);
    hn->rng = hn->rng * 6364136223846793005ull + 1442695040888963407ull;
    n = fwd_push_data(dgram, sizeof(dgram), token, fw->eui, &pk, 1);
    if (n < 0) {
        return HAL_EINVAL;
    }
    if (send(fw->fd, dgram, (size_t)n, 0) < 0) {
        return HAL_EIO;
    }
    /* The gateway acknowledges after its commit: a few milliseconds. Other datagrams (a
     * late ACK of an earlier PUSH_DATA) are skipped. */
    while (waited < fw->ack_timeout_ms) {
        struct pollfd p = {.fd = fw->fd, .events = POLLIN, .revents = 0};
        ssize_t got;

        if (poll(&p, 1, 10) <= 0) {
            waited += 10;
            continue;
        }
        got = recv(fw->fd, ack, sizeof(ack), 0);
        if (got > 0 && fwd_push_ack_token(ack, (size_t)got) == (int)token) {
            fw->acks++;
            hn->push_acks++;
            return HAL_OK;
        }
        if (got > 0) {
            host_fwd_datagram(fw, ack, (size_t)got); /* a downlink for some node */
        }
        if (got < 0 && errno != EAGAIN && errno != EINTR) {
            break;
        }
    }
    fw->timeouts++;
    hn->push_timeouts++;
    return HAL_ETIMEDOUT;
}

static int h_dgram_send(void *ctx, const uint8_t *buf, size_t len)
{
    struct host_node *hn = node_of(ctx);

    if (hn->coap_fd < 0) {
        return HAL_ENOTSUP;
    }
    if (len > HAL_DGRAM_MAX) {
        return HAL_ENOSPC;
    }
    return send(hn->coap_fd, buf, len, 0) < 0 ? HAL_EIO : HAL_OK;
}

static int h_dgram_recv(void *ctx, uint8_t *buf, size_t cap)
{
    struct host_node *hn = node_of(ctx);
    uint8_t tmp[2048];
    ssize_t n;

    if (hn->coap_fd < 0) {
        return HAL_ENOTSUP;
    }
    n = recv(hn->coap_fd, tmp, sizeof(tmp), MSG_DONTWAIT);
    if (n < 0) {
        /* ECONNREFUSED: an ICMP port unreachable from an earlier send; a lost datagram. */
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED ? 0 : HAL_EIO;
    }
    if ((size_t)n > cap) {
        return 0;
    }
    memcpy(buf, tmp, (size_t)n);
    return (int)n;
}

/* One persistent record: the file @path, or @mem (@len bytes) when @path is empty. */
static int store_read(const char *path, const uint8_t *mem, int len, uint8_t *buf, size_t cap)
{
    FILE *f;
    size_t n;

    if (path[0] == 0) {
        if ((size_t)len > cap) {
            return HAL_ENOSPC;
        }
        memcpy(buf, mem, (size_t)len);
        return len;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        return errno == ENOENT ? 0 : HAL_EIO;
    }
    n = fread(buf, 1, cap, f);
    if (ferror(f)) {
        fclose(f);
        return HAL_EIO;
    }
    fclose(f);
    return (int)n;
}

/* Write to a temporary file, fsync, rename: a crash leaves the old or the new record. */
static int store_write(const char *path, uint8_t *mem, int *mem_len, size_t max, const uint8_t *buf,
                       size_t len)
{
    char tmp[300];
    int fd;
    int ok;

    if (len > max) {
        return HAL_ENOSPC;
    }
    if (path[0] == 0) {
        memcpy(mem, buf, len);
        *mem_len = (int)len;
        return HAL_OK;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return HAL_EIO;
    }
    ok = write(fd, buf, len) == (ssize_t)len && fsync(fd) == 0;
    if (close(fd) != 0 || !ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return HAL_EIO;
    }
    return HAL_OK;
}

static int h_nv_read(void *ctx, uint8_t *buf, size_t cap)
{
    struct host_node *hn = node_of(ctx);

    return store_read(hn->nv_path, hn->nv_mem, hn->nv_len, buf, cap);
}

static int h_nv_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct host_node *hn = node_of(ctx);

    return store_write(hn->nv_path, hn->nv_mem, &hn->nv_len, HAL_NV_MAX, buf, len);
}

static int h_learn_read(void *ctx, uint8_t *buf, size_t cap)
{
    struct host_node *hn = node_of(ctx);

    return store_read(hn->learn_path, hn->learn_mem, hn->learn_len, buf, cap);
}

static int h_learn_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct host_node *hn = node_of(ctx);

    return store_write(hn->learn_path, hn->learn_mem, &hn->learn_len, HAL_LEARN_MAX, buf, len);
}

static uint32_t h_random(void *ctx)
{
    struct host_node *hn = node_of(ctx);

    /* xorshift64* */
    hn->rng ^= hn->rng >> 12;
    hn->rng ^= hn->rng << 25;
    hn->rng ^= hn->rng >> 27;
    return (uint32_t)((hn->rng * 2685821657736338717ull) >> 32);
}

static uint16_t h_battery(void *ctx)
{
    return node_of(ctx)->battery_mv;
}

static int8_t h_temp(void *ctx)
{
    return node_of(ctx)->temp_c;
}

static const struct hal_ops host_ops = {
    .now_ms = h_now,
    .sleep_ms = h_sleep,
    .sensor_start = h_sensor_start,
    .sensor_read = h_sensor_read,
    .radio_send = h_radio_send,
    .radio_recv = host_rx_recv,
    .dgram_send = h_dgram_send,
    .dgram_recv = h_dgram_recv,
    .nv_read = h_nv_read,
    .nv_write = h_nv_write,
    .learn_read = h_learn_read,
    .learn_write = h_learn_write,
    .random_u32 = h_random,
    .battery_mv = h_battery,
    .temp_c = h_temp,
    .log = h_log,
    .sensor_stop = host_power_sensor_stop,
    .energy = host_power_energy,
};

/* The same with a wake-on-sound line (host_node_set_wake()). */
static const struct hal_ops host_ops_wake = {
    .now_ms = h_now,
    .sleep_ms = h_sleep,
    .sensor_start = h_sensor_start,
    .sensor_read = h_sensor_read,
    .radio_send = h_radio_send,
    .dgram_send = h_dgram_send,
    .dgram_recv = h_dgram_recv,
    .nv_read = h_nv_read,
    .nv_write = h_nv_write,
    .learn_read = h_learn_read,
    .learn_write = h_learn_write,
    .random_u32 = h_random,
    .battery_mv = h_battery,
    .temp_c = h_temp,
    .log = h_log,
    .sensor_stop = host_power_sensor_stop,
    .energy = host_power_energy,
    .wake_pending = host_power_wake_pending,
    .radio_recv = host_rx_recv,
    .wake_config = host_power_wake_config,
};

void host_node_set_wake(struct host_node *hn, double level)
{
    hn->wake_level = level;
    hn->hal.ops = level > 0 ? &host_ops_wake : &host_ops;
}

void host_node_set_wake_margin(struct host_node *hn, double margin_db)
{
    hn->wake_margin_db = margin_db;
}

void host_node_init(struct host_node *hn, struct host_clock *clock, const char *name, uint64_t seed)
{
    memset(hn, 0, sizeof(*hn));
    hn->hal.ops = &host_ops;
    hn->hal.ctx = hn;
    hn->clock = clock;
    hn->name = name;
    hn->coap_fd = -1;
    hn->rng = seed != 0u ? seed : 0x9E3779B97F4A7C15ull;
    hn->battery_mv = 3600;
    hn->temp_c = 25;
    hn->rssi = -95;
    hn->lsnr_x10 = 55;
    host_power_init(hn);
}

int host_node_set_store(struct host_node *hn, const char *nv, const char *learn)
{
    int a = snprintf(hn->nv_path, sizeof(hn->nv_path), "%s", nv);
    int b = snprintf(hn->learn_path, sizeof(hn->learn_path), "%s", learn);

    return a < 0 || b < 0 || (size_t)a >= sizeof(hn->nv_path) || (size_t)b >= sizeof(hn->learn_path)
               ? -1
               : 0;
}

int host_udp_connect(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    struct addrinfo *ai;
    int fd = -1;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "%s:%s: %s", host, port, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "%s:%s: %s", host, port, strerror(errno));
    }
    return fd;
}

int host_split_hostport(const char *s, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *colon;
    size_t hl;

    if (s[0] == '[') {
        const char *end = strchr(s, ']');

        if (end == NULL || end[1] != ':') {
            return -1;
        }
        hl = (size_t)(end - s - 1);
        s++;
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL) {
            return -1;
        }
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hostlen || strlen(colon + 1) == 0 || strlen(colon + 1) >= portlen) {
        return -1;
    }
    memcpy(host, s, hl);
    host[hl] = 0;
    snprintf(port, portlen, "%s", colon + 1);
    return 0;
}

int host_parse_coap_uri(const char *uri, char *host, size_t hostlen, char *port, size_t portlen)
{
    char hp[300];
    const char *p;
    const char *slash;
    size_t n;

    if (strncmp(uri, "coap://", 7) != 0) {
        return -1;
    }
    p = uri + 7;
    slash = strchr(p, '/');
    if (slash != NULL && strcmp(slash, "/up") != 0) {
        return -1;
    }
    n = slash != NULL ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || n >= sizeof(hp)) {
        return -1;
    }
    memcpy(hp, p, n);
    hp[n] = 0;
    if (host_split_hostport(hp, host, hostlen, port, portlen) == 0) {
        return 0;
    }
    /* No port: the CoAP default. */
    if (strchr(hp, ':') != NULL && hp[0] != '[') {
        return -1;
    }
    if (hp[0] == '[') {
        if (hp[n - 1] != ']' || n - 2 >= hostlen) {
            return -1;
        }
        memcpy(host, hp + 1, n - 2);
        host[n - 2] = 0;
    } else {
        if (n >= hostlen) {
            return -1;
        }
        snprintf(host, hostlen, "%s", hp);
    }
    snprintf(port, portlen, "5683");
    return 0;
}
