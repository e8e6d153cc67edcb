/* SPDX-License-Identifier: MIT
 * The alert transition the alert tests (test_alert_json.c, test_alert_record.c) store and
 * read back, at a fixed "now". Each test file is its own program, so everything here is static.
 */
#ifndef PROJ_TESTS_DAEMON_ALERT_SAMPLE_H
#define PROJ_TESTS_DAEMON_ALERT_SAMPLE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alert/fusion.h"

#define T0 1795600000000LL /* 2026-11-25T09:46:40Z: a fixed "now" */

/* A warning of two elephant nodes in zone village, as fusion would hand it over. */
static inline struct fusion_alert sample(int64_t id, uint32_t seq, enum fusion_state st)
{
    struct fusion_alert a;

    memset(&a, 0, sizeof(a));
    a.id = id;
    a.seq = seq;
    a.kind = FUSION_KIND_CLUSTER;
    (void)snprintf(a.class_name, sizeof(a.class_name), "elephant");
    (void)snprintf(a.zone, sizeof(a.zone), "village");
    (void)snprintf(a.key, sizeof(a.key), "village");
    (void)snprintf(a.rule, sizeof(a.rule), "elephant");
    a.level = FUSION_WARNING;
    a.state = st;
    a.confidence = 0.97890625;
    a.node_count = 2;
    a.nodes[0] = 0x26011F00u;
    a.nodes[1] = 0xAB0000FFu;
    a.detections = 3;
    a.has_position = true;
    a.lat = -2.6535351234;
    a.lon = 37.2600700009;
    a.first_seen_ms = T0 - 5123;
    a.last_seen_ms = T0 - 17;
    a.time_ms = T0 + (int64_t)seq;
    (void)snprintf(a.message, sizeof(a.message), "Elephants detected by 2 nodes in zone village");
    return a;
}

#endif
