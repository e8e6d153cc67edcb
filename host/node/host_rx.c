/* SPDX-License-Identifier: MIT
 * The simulated forwarder's downlink side (host_hal.h): PULL_DATA opens the route, each
 * PULL_RESP is checked as a concentrator would (its tmst still ahead, or TX_ACK TOO_LATE;
 * a txpk that does not parse gets an error too) and held until its tmst, when the
 * concentrator would transmit it: the node whose receive window that is (its uplink's tmst
 * + 1 s or + 2 s, a JoinRequest's + 5 s or + 6 s) hears it then. The concentrator clock is real
 * monotonic time, so the gateway's timing is tested for real, whatever the simulation speed.
 */
#include "host_hal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>

#define RX2_US    1000000u /* RX2 opens this long after RX1 (RECEIVE_DELAY2 - RECEIVE_DELAY1) */
#define RX_END_US 1300000u /* after RX1: RX2 is over, nothing more for this uplink */
#define LATE_US   10000    /* a concentrator needs a packet this far ahead of its tmst */
#define EARLY_US  7000000  /* and refuses one further ahead than this (a JoinAccept in RX2: 6 s) */
#define PULL_RESP 0x03u
#define TX_ACK    0x05u
#define PULL_DATA 0x02u

uint32_t host_rx_tmst_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

int host_fwd_pull(struct host_fwd *fw)
{
    uint8_t m[12];

    fw->pull_token++;
    m[0] = 2;
    m[1] = (uint8_t)(fw->pull_token >> 8);
    m[2] = (uint8_t)fw->pull_token;
    m[3] = PULL_DATA;
    memcpy(m + 4, fw->eui, 8);
    return send(fw->fd, m, sizeof(m), 0) == (ssize_t)sizeof(m) ? 0 : -1;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Padded base64 into @out. Return: bytes, or -1. */
static int unbase64(const char *in, uint8_t *out, size_t cap)
{
    size_t n = strlen(in);
    size_t o = 0;

    if (n % 4u != 0u) {
        return -1;
    }
    for (size_t i = 0; i < n; i += 4) {
        int v[4];

        for (int k = 0; k < 4; k++) {
            v[k] =
                in[i + (size_t)k] == '=' && i + 4u == n && k >= 2 ? 0 : b64val(in[i + (size_t)k]);
            if (v[k] < 0) {
                return -1;
            }
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        size_t take = in[i + 2] == '=' ? 1u : in[i + 3] == '=' ? 2u : 3u;

        if (o + take > cap) {
            return -1;
        }
        for (size_t k = 0; k < take; k++) {
            out[o++] = (uint8_t)(w >> (16u - 8u * k));
        }
    }
    return (int)o;
}

static void tx_ack(struct host_fwd *fw, const uint8_t *req, const char *error)
{
    char m[96];
    int n;

    m[0] = 2;
    m[1] = (char)req[1];
    m[2] = (char)req[2];
    m[3] = TX_ACK;
    memcpy(m + 4, fw->eui, 8);
    n = snprintf(m + 12, sizeof(m) - 12, "{\"txpk_ack\":{\"error\":\"%s\"}}", error);
    (void)send(fw->fd, m, 12u + (size_t)n, 0);
}

void host_fwd_datagram(struct host_fwd *fw, const uint8_t *buf, size_t len)
{
    struct host_rx_pkt p;
    const cJSON *tx;
    const cJSON *tmst;
    const cJSON *data;
    cJSON *root;
    int32_t ahead;
    int n;

    if (len < 4u || buf[0] != 2u || buf[3] != PULL_RESP) {
        return; /* PULL_ACK, or a PUSH_ACK too late to matter */
    }
    fw->pull_resps++;
    root = cJSON_ParseWithLength((const char *)buf + 4, len - 4u);
    tx = cJSON_GetObjectItemCaseSensitive(root, "txpk");
    tmst = cJSON_GetObjectItemCaseSensitive(tx, "tmst");
    data = cJSON_GetObjectItemCaseSensitive(tx, "data");
    n = cJSON_IsNumber(tmst) && cJSON_IsString(data) && tmst->valuedouble >= 0 &&
                tmst->valuedouble < 4294967296.0
            ? unbase64(data->valuestring, p.phy, sizeof(p.phy))
            : -1;
    if (n <= 0 || fw->nrx >= HOST_RX_MAX) {
        fw->bad_resps++;
        tx_ack(fw, buf, "TX_FREQ"); /* what lora_pkt_fwd answers a txpk it cannot use */
        cJSON_Delete(root);
        return;
    }
    p.tmst = (uint32_t)tmst->valuedouble;
    p.len = (size_t)n;
    cJSON_Delete(root);
    ahead = (int32_t)(p.tmst - host_rx_tmst_now());
    if (ahead < LATE_US) {
        fw->too_late++;
        tx_ack(fw, buf, "TOO_LATE");
        return;
    }
    if (ahead > EARLY_US) {
        tx_ack(fw, buf, "TOO_EARLY");
        return;
    }
    fw->rx[fw->nrx++] = p;
    tx_ack(fw, buf, "NONE");
}

int host_rx_recv(void *ctx, uint8_t *buf, size_t cap)
{
    struct host_node *hn = ctx;
    struct host_fwd *fw = hn->fwd;
    uint8_t d[1024];
    uint32_t now;
    ssize_t got;

    if (!hn->rx_enabled || fw == NULL || fw->fd < 0) {
        return HAL_ENOTSUP;
    }
    if (!hn->rx_open) {
        return HAL_ETIMEDOUT;
    }
    while ((got = recv(fw->fd, d, sizeof(d), MSG_DONTWAIT)) > 0) {
        host_fwd_datagram(fw, d, (size_t)got);
    }
    now = host_rx_tmst_now();
    for (int i = 0; i < fw->nrx; i++) {
        struct host_rx_pkt *p = &fw->rx[i];

        if ((int32_t)(now - p->tmst) > EARLY_US) {
            fw->rx[i--] = fw->rx[--fw->nrx]; /* sent long ago, its node no longer listening */
            continue;
        }
        if (p->tmst != hn->rx_tmst + hn->rx1_us && p->tmst != hn->rx_tmst + hn->rx1_us + RX2_US) {
            continue; /* another node's window */
        }
        if ((int32_t)(now - p->tmst) < 0) {
            return 0; /* on its way: the window opens at its tmst */
        }
        if (p->len > cap) {
            return HAL_EIO;
        }
        memcpy(buf, p->phy, p->len);
        got = (ssize_t)p->len;
        fw->rx[i] = fw->rx[--fw->nrx];
        hn->rx_open = false;
        hn->downlinks++;
        return (int)got;
    }
    if ((int32_t)(now - (hn->rx_tmst + hn->rx1_us + RX_END_US)) >= 0) {
        hn->rx_open = false;
        return HAL_ETIMEDOUT;
    }
    return 0;
}
