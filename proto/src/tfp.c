/* SPDX-License-Identifier: MIT
 * TFP v1 codec (layouts in proto/SPEC.md). Decoding checks in a fixed order, so each
 * malformed payload maps to exactly one error: length bounds of the port first, then the
 * version, then the record count, then the exact length.
 */
#include "proto/tfp.h"
#include "proto/le.h"

#include <string.h>

#define DET_COUNT_MASK 0x1Fu
#define VERSION_SHIFT  5u

static size_t message_len(const struct proto_tfp_msg *msg)
{
    switch (msg->port) {
    case PROTO_TFP_PORT_DETECTIONS:
        return 1u + (size_t)msg->u.det.count * PROTO_TFP_RECORD_LEN;
    case PROTO_TFP_PORT_HEALTH:
        return msg->u.health.learn != PROTO_TFP_LEARN_NONE ? PROTO_TFP_HEALTH_LEARN_LEN
                                                           : PROTO_TFP_HEALTH_LEN;
    case PROTO_TFP_PORT_ANOMALY:
        return PROTO_TFP_ANOMALY_LEN;
    default:
        return 0;
    }
}

int proto_tfp_encode(const struct proto_tfp_msg *msg, uint8_t *buf, size_t cap)
{
    size_t len;

    if (msg == NULL || buf == NULL) {
        return PROTO_EINVAL;
    }
    len = message_len(msg);
    if (len == 0) {
        return PROTO_EPORT;
    }
    if (msg->port == PROTO_TFP_PORT_DETECTIONS &&
        (msg->u.det.count == 0 || msg->u.det.count > PROTO_TFP_MAX_RECORDS)) {
        return PROTO_ECOUNT;
    }
    if (msg->port == PROTO_TFP_PORT_HEALTH &&
        (msg->u.health.learn > PROTO_TFP_LEARN_READY || msg->u.health.learn_progress > 100u)) {
        return PROTO_ERANGE;
    }
    if (len > cap) {
        return PROTO_ENOSPC;
    }

    if (msg->port == PROTO_TFP_PORT_DETECTIONS) {
        buf[0] = (uint8_t)(PROTO_TFP_VERSION << VERSION_SHIFT | msg->u.det.count);
        for (size_t i = 0; i < msg->u.det.count; i++) {
            const struct proto_tfp_detection *r = &msg->u.det.rec[i];
            uint8_t *p = buf + 1 + i * PROTO_TFP_RECORD_LEN;

            p[0] = r->class_id;
            p[1] = r->confidence;
            proto_le16_put(p + 2, r->age_s);
            p[4] = r->duration_s;
            p[5] = r->level_db;
        }
    } else if (msg->port == PROTO_TFP_PORT_HEALTH) {
        const struct proto_tfp_health *h = &msg->u.health;

        buf[0] = PROTO_TFP_VERSION;
        proto_le16_put(buf + 1, h->battery_mv);
        buf[3] = (uint8_t)h->temp_c;
        proto_le32_put(buf + 4, h->uptime_s);
        proto_le16_put(buf + 8, h->model_id);
        buf[10] = h->model_ver;
        proto_le16_put(buf + 11, h->inferences);
        proto_le16_put(buf + 13, h->detections);
        buf[15] = h->tx_failures;
        if (len == PROTO_TFP_HEALTH_LEARN_LEN) {
            buf[0] = PROTO_TFP_HEALTH_LEARN_VERSION;
            buf[16] = h->learn;
            buf[17] = h->learn_progress;
            buf[18] = h->learn_threshold;
        }
    } else {
        const struct proto_tfp_anomaly *a = &msg->u.anomaly;

        buf[0] = PROTO_TFP_VERSION;
        buf[1] = a->windows;
        buf[2] = a->anomalous;
        buf[3] = a->score_mean;
        buf[4] = a->score_max;
        buf[5] = a->peak_band;
        proto_le16_put(buf + 6, a->period_s);
    }
    return (int)len;
}

static int decode_detections(const uint8_t *buf, size_t len, struct proto_tfp_msg *out)
{
    size_t count;

    if (len > PROTO_TFP_DET_MAX_LEN) {
        return PROTO_ETOOLONG;
    }
    if (buf[0] >> VERSION_SHIFT != PROTO_TFP_VERSION) {
        return PROTO_EVERSION;
    }
    count = buf[0] & DET_COUNT_MASK;
    if (count == 0 || count > PROTO_TFP_MAX_RECORDS) {
        return PROTO_ECOUNT;
    }
    if (len < 1 + count * PROTO_TFP_RECORD_LEN) {
        return PROTO_ETOOSHORT;
    }
    if (len > 1 + count * PROTO_TFP_RECORD_LEN) {
        return PROTO_ETRAILING;
    }
    out->u.det.count = (uint8_t)count;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *p = buf + 1 + i * PROTO_TFP_RECORD_LEN;
        struct proto_tfp_detection *r = &out->u.det.rec[i];

        r->class_id = p[0];
        r->confidence = p[1];
        r->age_s = proto_le16_get(p + 2);
        r->duration_s = p[4];
        r->level_db = p[5];
    }
    return PROTO_OK;
}

/* Health and anomaly messages have one fixed length each. */
static int check_fixed(const uint8_t *buf, size_t len, size_t want)
{
    if (len > want) {
        return PROTO_ETOOLONG;
    }
    if (buf[0] != PROTO_TFP_VERSION) {
        return PROTO_EVERSION;
    }
    if (len < want) {
        return PROTO_ETOOSHORT;
    }
    return PROTO_OK;
}

/* Health: version 1 (16 bytes) or 2 (19, with the learning state), each exactly. */
static int check_health(const uint8_t *buf, size_t len)
{
    size_t want;

    if (len > PROTO_TFP_HEALTH_LEARN_LEN) {
        return PROTO_ETOOLONG;
    }
    if (buf[0] == PROTO_TFP_VERSION) {
        want = PROTO_TFP_HEALTH_LEN;
    } else if (buf[0] == PROTO_TFP_HEALTH_LEARN_VERSION) {
        want = PROTO_TFP_HEALTH_LEARN_LEN;
    } else {
        return PROTO_EVERSION;
    }
    if (len < want) {
        return PROTO_ETOOSHORT;
    }
    if (len > want) {
        return PROTO_ETOOLONG;
    }
    /* Learn 0 is no learning state: such a node sends version 1 (one encoding a message). */
    if (want == PROTO_TFP_HEALTH_LEARN_LEN &&
        (buf[16] == PROTO_TFP_LEARN_NONE || buf[16] > PROTO_TFP_LEARN_READY || buf[17] > 100u)) {
        return PROTO_ERANGE;
    }
    return PROTO_OK;
}

int proto_tfp_decode(uint8_t port, const uint8_t *buf, size_t len, struct proto_tfp_msg *out)
{
    int rc;

    if (out == NULL || (buf == NULL && len > 0)) {
        return PROTO_EINVAL;
    }
    if (port < PROTO_TFP_PORT_DETECTIONS || port > PROTO_TFP_PORT_ANOMALY) {
        return PROTO_EPORT;
    }
    if (len == 0) {
        return PROTO_ETOOSHORT;
    }
    memset(out, 0, sizeof(*out));
    out->port = port;

    if (port == PROTO_TFP_PORT_DETECTIONS) {
        return decode_detections(buf, len, out);
    }
    if (port == PROTO_TFP_PORT_HEALTH) {
        struct proto_tfp_health *h = &out->u.health;

        rc = check_health(buf, len);
        if (rc != PROTO_OK) {
            return rc;
        }
        h->battery_mv = proto_le16_get(buf + 1);
        h->temp_c = (int8_t)buf[3];
        h->uptime_s = proto_le32_get(buf + 4);
        h->model_id = proto_le16_get(buf + 8);
        h->model_ver = buf[10];
        h->inferences = proto_le16_get(buf + 11);
        h->detections = proto_le16_get(buf + 13);
        h->tx_failures = buf[15];
        if (buf[0] == PROTO_TFP_HEALTH_LEARN_VERSION) {
            h->learn = buf[16];
            h->learn_progress = buf[17];
            h->learn_threshold = buf[18];
        }
        return PROTO_OK;
    }
    rc = check_fixed(buf, len, PROTO_TFP_ANOMALY_LEN);
    if (rc != PROTO_OK) {
        return rc;
    }
    out->u.anomaly.windows = buf[1];
    out->u.anomaly.anomalous = buf[2];
    out->u.anomaly.score_mean = buf[3];
    out->u.anomaly.score_max = buf[4];
    out->u.anomaly.peak_band = buf[5];
    out->u.anomaly.period_s = proto_le16_get(buf + 6);
    return PROTO_OK;
}
