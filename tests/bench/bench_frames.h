/* SPDX-License-Identifier: MIT
 * What the load generators of tools/bench-*.sh share: node keys derived from the DevAddr (so
 * a script can register, as SQL, exactly the nodes a generator sends for), one-record
 * detection frames and a monotonic clock. Header-only: each generator is one C file linked
 * with libproto.a (and the host library's forwarder client, lib/fwd.h, where it needs one).
 */
#ifndef PROJ_TESTS_BENCH_BENCH_FRAMES_H
#define PROJ_TESTS_BENCH_BENCH_FRAMES_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proto/err.h"
#include "proto/frame.h"
#include "proto/tfp.h"

/* splitmix64 (Steele, Lea, Flood 2014): any fixed function of the DevAddr would do; this one
 * gives every node distinct, unremarkable keys. */
static inline uint64_t bench_mix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void bench_node_keys(uint32_t devaddr, uint8_t nwk[PROTO_AES_KEY],
                                   uint8_t app[PROTO_AES_KEY])
{
    uint64_t x = devaddr;
    uint64_t v = 0;
    unsigned j;

    for (j = 0; j < 2u * PROTO_AES_KEY; j++) {
        if (j % 8u == 0) {
            v = bench_mix(&x);
        }
        if (j < PROTO_AES_KEY) {
            nwk[j] = (uint8_t)(v >> (j % 8u * 8u));
        } else {
            app[j - PROTO_AES_KEY] = (uint8_t)(v >> (j % 8u * 8u));
        }
    }
}

static inline int64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void bench_put_hex(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        printf("%02X", p[i]);
    }
}

/*
 * bench_sql_nodes() - SQL on stdout that registers @count nodes from DevAddr @first with the
 * keys of bench_node_keys(), in zone @zone (NULL: none), followed by the node's index when
 * @numbered (zone "p" gives p0, p1, ...). One multi-row INSERT per 500 nodes inside one
 * transaction: 10,000 nodes in well under a second, against minutes through `tinyfleet node add` (a
 * process each).
 */
static inline void bench_sql_nodes(uint32_t first, uint32_t count, const char *zone, bool numbered)
{
    uint8_t nwk[PROTO_AES_KEY];
    uint8_t app[PROTO_AES_KEY];
    char z[64];
    uint32_t i;

    printf("BEGIN;\n");
    for (i = 0; i < count; i++) {
        bench_node_keys(first + i, nwk, app);
        if (i % 500u == 0) {
            printf("%sINSERT INTO nodes (devaddr, name, zone, nwkskey, appskey, created_ms)"
                   " VALUES\n",
                   i > 0 ? ";\n" : "");
        } else {
            printf(",\n");
        }
        if (numbered) {
            (void)snprintf(z, sizeof(z), "%s%" PRIu32, zone != NULL ? zone : "", i);
        } else {
            (void)snprintf(z, sizeof(z), "%s", zone != NULL ? zone : "");
        }
        printf("(%" PRIu32 ", 'bench-%" PRIu32 "', '%s', X'", first + i, i, z);
        bench_put_hex(nwk, sizeof(nwk));
        printf("', X'");
        bench_put_hex(app, sizeof(app));
        printf("', 0)");
    }
    printf("%sCOMMIT;\n", count > 0 ? ";\n" : "");
}

/*
 * bench_detection_frame() - a LoRaWAN data-up frame from node @devaddr (keys of
 * bench_node_keys()) with counter @fcnt carrying one detection record.
 * Return: the frame's length in @phy (at most @cap), or a negative proto_err.
 */
static inline int bench_detection_frame(uint32_t devaddr, uint32_t fcnt, uint8_t class_id,
                                        uint8_t confidence, uint16_t age_s, uint8_t *phy,
                                        size_t cap)
{
    struct proto_tfp_msg msg;
    struct proto_uplink up;
    uint8_t nwk[PROTO_AES_KEY];
    uint8_t app[PROTO_AES_KEY];
    uint8_t payload[PROTO_TFP_MAX_LEN];
    int plen;

    memset(&msg, 0, sizeof(msg));
    msg.port = PROTO_TFP_PORT_DETECTIONS;
    msg.u.det.count = 1;
    msg.u.det.rec[0].class_id = class_id;
    msg.u.det.rec[0].confidence = confidence;
    msg.u.det.rec[0].age_s = age_s;
    msg.u.det.rec[0].duration_s = 3;
    msg.u.det.rec[0].level_db = 20;
    plen = proto_tfp_encode(&msg, payload, sizeof(payload));
    if (plen < 0) {
        return plen;
    }
    memset(&up, 0, sizeof(up));
    up.devaddr = devaddr;
    up.fcnt = fcnt;
    up.has_fport = true;
    up.fport = PROTO_TFP_PORT_DETECTIONS;
    up.payload = payload;
    up.payload_len = (size_t)plen;
    bench_node_keys(devaddr, nwk, app);
    return proto_frame_build(&up, nwk, app, phy, cap);
}

#endif
