/* SPDX-License-Identifier: MIT
 * TFP v1, the tinyfleet application payload carried in FRMPayload. The FPort names the
 * message: 1 detections, 2 health, 3 anomaly summary. Layouts are fixed in
 * ARCHITECTURE.md and spelt out byte by byte in proto/SPEC.md. All integers little-endian.
 */
#ifndef PROJ_PROTO_TFP_H
#define PROJ_PROTO_TFP_H

#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"

#define PROTO_TFP_VERSION     1u
#define PROTO_TFP_MAX_RECORDS 8u
#define PROTO_TFP_RECORD_LEN  6u
#define PROTO_TFP_DET_MAX_LEN (1u + PROTO_TFP_MAX_RECORDS * PROTO_TFP_RECORD_LEN) /* 49 */
#define PROTO_TFP_HEALTH_LEN  16u
/* Health version 2: version 1's fields, then a learning node's state (3 bytes). */
#define PROTO_TFP_HEALTH_LEARN_VERSION 2u
#define PROTO_TFP_HEALTH_LEARN_LEN     19u
#define PROTO_TFP_ANOMALY_LEN          8u
#define PROTO_TFP_MAX_LEN              PROTO_TFP_DET_MAX_LEN

/* FPort of each message kind. */
enum proto_tfp_port {
    PROTO_TFP_PORT_DETECTIONS = 1,
    PROTO_TFP_PORT_HEALTH = 2,
    PROTO_TFP_PORT_ANOMALY = 3,
};

/* Class ids on the wire; their built-in names are in classes.h, the gateway config may
 * rename them. */
enum proto_tfp_class {
    PROTO_TFP_CLASS_UNKNOWN = 0,
    PROTO_TFP_CLASS_ELEPHANT = 1,
    PROTO_TFP_CLASS_WHALE = 2,
    PROTO_TFP_CLASS_MACHINE_ANOMALY = 3,
    PROTO_TFP_CLASS_HUMAN = 4,
    PROTO_TFP_CLASS_VEHICLE = 5,
    PROTO_TFP_CLASS_GUNSHOT = 6,
    PROTO_TFP_CLASS_SHIP = 7,
};

struct proto_tfp_detection {
    uint8_t class_id;   /* enum proto_tfp_class */
    uint8_t confidence; /* p = confidence / 255 */
    uint16_t age_s;     /* seconds from the detection's start to sending */
    uint8_t duration_s; /* seconds, saturating at 255 */
    uint8_t level_db;   /* dB above the noise floor, saturating at 255 */
};

/* A node's learning of its machine (health version 2). Values go on the wire. */
enum proto_tfp_learn {
    PROTO_TFP_LEARN_NONE = 0,     /* the node does not learn (sent as version 1) */
    PROTO_TFP_LEARN_LEARNING = 1, /* learning: it flags nothing yet; progress 0..100 % */
    PROTO_TFP_LEARN_READY = 2,    /* learned: judging, with threshold */
};

struct proto_tfp_health {
    uint16_t battery_mv;
    int8_t temp_c;
    uint32_t uptime_s;
    uint16_t model_id;
    uint8_t model_ver;
    uint16_t inferences;     /* since the previous health message, saturating */
    uint16_t detections;     /* since the previous health message, saturating */
    uint8_t tx_failures;     /* since the previous health message, saturating */
    uint8_t learn;           /* enum proto_tfp_learn; not NONE: encoded as version 2 */
    uint8_t learn_progress;  /* 0..100 % of the learning period (100 when ready) */
    uint8_t learn_threshold; /* READY: the learned score threshold, 0..255; else 0 */
};

struct proto_tfp_anomaly {
    uint8_t windows;    /* windows scored in the period */
    uint8_t anomalous;  /* of which over the node's threshold */
    uint8_t score_mean; /* 0..255 of the model's scale */
    uint8_t score_max;  /* 0..255 of the model's scale */
    uint8_t peak_band;  /* feature band with the largest error */
    uint16_t period_s;  /* seconds covered, ending at sending */
};

/* One decoded message; @port says which member of the union is valid. */
struct proto_tfp_msg {
    uint8_t port; /* enum proto_tfp_port */
    union {
        struct {
            uint8_t count; /* 1..8 */
            struct proto_tfp_detection rec[PROTO_TFP_MAX_RECORDS];
        } det;
        struct proto_tfp_health health;
        struct proto_tfp_anomaly anomaly;
    } u;
};

/*
 * proto_tfp_encode() - serialise @msg (its port picks the layout) into @buf.
 * Return: bytes written; PROTO_ENOSPC when @cap is too small; PROTO_ECOUNT for a detection
 * count of 0 or above 8; PROTO_EPORT for an unknown port; PROTO_EINVAL for NULL.
 */
PROTO_MUST_CHECK int proto_tfp_encode(const struct proto_tfp_msg *msg, uint8_t *buf, size_t cap);

/*
 * proto_tfp_decode() - parse the decrypted FRMPayload of @port.
 * @out: out, filled on success (no pointers into @buf).
 * Return: PROTO_OK, or the first fault found: PROTO_EPORT (unknown FPort), PROTO_ETOOSHORT,
 * PROTO_ETOOLONG (longer than any message of that port, or than its version's), PROTO_EVERSION,
 * PROTO_ECOUNT (record count 0 or above 8), PROTO_ETRAILING (bytes after the announced
 * records), PROTO_ERANGE (health version 2: learning state not 1 or 2, progress over 100).
 */
PROTO_MUST_CHECK int proto_tfp_decode(uint8_t port, const uint8_t *buf, size_t len,
                                      struct proto_tfp_msg *out);

#endif
