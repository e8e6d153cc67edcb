/* SPDX-License-Identifier: MIT
 * A gateway's fusion input as the site's other gateways receive it, on
 * <prefix>/site/input/<gateway> (QoS 1, through the outbox), one JSON message per stored frame:
 *   {"gateway":"gw-a","devaddr":"26011F00","fcnt":12,"received_ms":1700000000000,
 *    "lat":-2.65,"lon":37.26,"zone":"village",       (the registry's; absent when none)
 *    "kind":"detection","det":[[class_id,confidence,time_ms],...]}
 * kind "health" carries "battery_mv", "anomaly" carries "anomaly":[windows,anomalous,
 * score_mean,score_max,peak_band,period_s], "seen" nothing more (a raw frame: the node is
 * alive). What fusion needs and no more; a peer's input is never stored as a local frame.
 * And the frames already fed to fusion, by DevAddr and 32-bit FCnt, so that a frame heard by
 * two gateways counts once. Loop thread only.
 */
#ifndef PROJ_DAEMON_SITE_SITE_INPUT_H
#define PROJ_DAEMON_SITE_SITE_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "alert/fusion.h"
#include "proto/tfp.h"
#include "store/store.h"

#define SITE_INPUT_DET_MAX 16u

struct site_input {
    char gateway[64];
    uint32_t devaddr;
    uint32_t fcnt;
    int64_t received_ms;
    bool has_position;
    double lat;
    double lon;
    char zone[64]; /* "" = none */
    uint8_t port;  /* enum proto_tfp_port, or 0 for "seen" */
    unsigned n_det;
    uint8_t det_class[SITE_INPUT_DET_MAX];
    uint8_t det_conf[SITE_INPUT_DET_MAX];
    int64_t det_time_ms[SITE_INPUT_DET_MAX];
    uint16_t battery_mv;
    struct proto_tfp_anomaly anomaly;
};

/* site_input_json() - the message of frame @up from @gateway, with node @n (its position
 * and registry zone, as fusion got them). Return: a string to free with cJSON_free(), or NULL
 * without memory. */
char *site_input_json(const char *gateway, const struct store_uplink *up,
                      const struct fusion_node *n);

/* site_input_parse() - @len bytes of @json into @out. Return: 0 or -EINVAL (not one of ours). */
int site_input_parse(const char *json, int len, struct site_input *out);

/* Frames fed to fusion, the last SITE_SEEN_MAX of them. */
#define SITE_SEEN_MAX 65536u
struct site_seen;
int site_seen_new(struct site_seen **out);
void site_seen_free(struct site_seen *s);
/* site_seen_add() - true the first time (@devaddr, @fcnt) is added, false for a copy. */
bool site_seen_add(struct site_seen *s, uint32_t devaddr, uint32_t fcnt);

#endif
