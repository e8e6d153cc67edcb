/* SPDX-License-Identifier: MIT
 * libFuzzer target for the TFP v1 codec. Input: first byte = FPort, the rest = the
 * decrypted FRMPayload. The decoder is checked against a model written from proto/SPEC.md
 * section 2 (not from tfp.c): the exact code of section 2.4 for every input, the decoded
 * fields where the tables put them, and a byte-exact re-encode. The same bytes then drive
 * the encoder as a message. Output buffers are heap blocks of exactly the allowed size, so
 * ASan sees any overrun.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/tfp.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The one code proto/SPEC.md section 2.4 gives @port/@buf: it fixes the order of the checks
 * so that each malformed payload has exactly one reason. PROTO_OK for a well-formed one.
 */
static int spec_code(uint8_t port, const uint8_t *buf, size_t len)
{
    size_t max;
    size_t n = 0;

    if (port < PROTO_TFP_PORT_DETECTIONS || port > PROTO_TFP_PORT_ANOMALY) {
        return PROTO_EPORT;
    }
    if (len == 0) {
        return PROTO_ETOOSHORT;
    }
    max = port == PROTO_TFP_PORT_DETECTIONS ? PROTO_TFP_DET_MAX_LEN
          : port == PROTO_TFP_PORT_HEALTH   ? PROTO_TFP_HEALTH_LEARN_LEN
                                            : PROTO_TFP_ANOMALY_LEN;
    if (len > max) {
        return PROTO_ETOOLONG;
    }
    if (port == PROTO_TFP_PORT_DETECTIONS) {
        n = buf[0] & 0x1Fu;
        if (buf[0] >> 5 != PROTO_TFP_VERSION) {
            return PROTO_EVERSION;
        }
        if (n == 0 || n > PROTO_TFP_MAX_RECORDS) {
            return PROTO_ECOUNT;
        }
        if (len < 1 + n * PROTO_TFP_RECORD_LEN) {
            return PROTO_ETOOSHORT;
        }
        if (len > 1 + n * PROTO_TFP_RECORD_LEN) {
            return PROTO_ETRAILING;
        }
        return PROTO_OK;
    }
    if (port == PROTO_TFP_PORT_HEALTH && buf[0] == 2) {
        if (len < PROTO_TFP_HEALTH_LEARN_LEN) {
            return PROTO_ETOOSHORT;
        }
        return buf[16] == 0 || buf[16] > 2 || buf[17] > 100 ? PROTO_ERANGE : PROTO_OK;
    }
    if (buf[0] != PROTO_TFP_VERSION) {
        return PROTO_EVERSION;
    }
    if (port == PROTO_TFP_PORT_HEALTH) {
        max = PROTO_TFP_HEALTH_LEN;
    }
    if (len < max) {
        return PROTO_ETOOSHORT;
    }
    if (len > max) {
        return PROTO_ETOOLONG;
    }
    return PROTO_OK;
}

/* @m must hold the bytes @b where the SPEC.md tables put them. */
static void check_fields(uint8_t port, const uint8_t *b, size_t len, const struct proto_tfp_msg *m)
{
    CHECK(m->port == port);
    if (port == PROTO_TFP_PORT_DETECTIONS) {
        CHECK(m->u.det.count == (b[0] & 0x1Fu));
        CHECK(len == 1u + m->u.det.count * PROTO_TFP_RECORD_LEN);
        for (size_t i = 0; i < m->u.det.count; i++) {
            const uint8_t *r = b + 1 + i * PROTO_TFP_RECORD_LEN;
            const struct proto_tfp_detection *d = &m->u.det.rec[i];

            CHECK(d->class_id == r[0] && d->confidence == r[1] && d->age_s == le16(r + 2) &&
                  d->duration_s == r[4] && d->level_db == r[5]);
        }
    } else if (port == PROTO_TFP_PORT_HEALTH) {
        const struct proto_tfp_health *h = &m->u.health;

        CHECK(len == (b[0] == 2 ? PROTO_TFP_HEALTH_LEARN_LEN : PROTO_TFP_HEALTH_LEN));
        CHECK(b[0] != 2 ||
              (h->learn == b[16] && h->learn_progress == b[17] && h->learn_threshold == b[18]));
        CHECK(h->battery_mv == le16(b + 1) && h->temp_c == (int8_t)b[3] &&
              h->uptime_s == le32(b + 4) && h->model_id == le16(b + 8) && h->model_ver == b[10] &&
              h->inferences == le16(b + 11) && h->detections == le16(b + 13) &&
              h->tx_failures == b[15]);
    } else {
        const struct proto_tfp_anomaly *a = &m->u.anomaly;

        CHECK(len == PROTO_TFP_ANOMALY_LEN);
        CHECK(a->windows == b[1] && a->anomalous == b[2] && a->score_mean == b[3] &&
              a->score_max == b[4] && a->peak_band == b[5] && a->period_s == le16(b + 6));
    }
}

/* Encode @m into a heap block of exactly @cap bytes (ASan sees a write past it); return the
 * encoder's result and, on success, copy the bytes to @copy (PROTO_TFP_MAX_LEN bytes). */
static int encode_exact(const struct proto_tfp_msg *m, size_t cap, uint8_t *copy)
{
    uint8_t *buf = malloc(cap > 0 ? cap : 1);
    int rc;

    CHECK(buf != NULL);
    rc = proto_tfp_encode(m, buf, cap);
    if (rc > 0) {
        CHECK((size_t)rc <= cap && (size_t)rc <= PROTO_TFP_MAX_LEN);
        memcpy(copy, buf, (size_t)rc);
    }
    free(buf);
    return rc;
}

static void decode_side(uint8_t port, const uint8_t *buf, size_t len)
{
    struct proto_tfp_msg msg;
    uint8_t again[PROTO_TFP_MAX_LEN];
    int rc;

    rc = proto_tfp_decode(port, buf, len, &msg);
    CHECK(rc == spec_code(port, buf, len));
    if (rc != PROTO_OK) {
        return;
    }
    check_fields(port, buf, len, &msg);

    /* Round trip: the encoder gives back exactly the bytes, and only with enough room. */
    CHECK(encode_exact(&msg, len, again) == (int)len);
    CHECK(memcmp(again, buf, len) == 0);
    CHECK(encode_exact(&msg, len - 1, again) == PROTO_ENOSPC);
}

/* A byte source that yields zeros once the input is used up. */
struct cursor {
    const uint8_t *p;
    size_t n;
};

static uint8_t take8(struct cursor *c)
{
    uint8_t v = 0;

    if (c->n > 0) {
        v = *c->p++;
        c->n--;
    }
    return v;
}

static uint16_t take16(struct cursor *c)
{
    uint16_t lo = take8(c);
    uint16_t hi = take8(c);

    return (uint16_t)(lo | hi << 8);
}

/*
 * The encoder side: the same bytes read as a message (port, a record count up to 255 so
 * counts past the record array are tried, the fields) and an output capacity. A successful
 * encode must be a well-formed payload carrying those fields, and decode back to them.
 */
static void encode_side(const uint8_t *data, size_t size)
{
    struct cursor c = {data, size};
    struct proto_tfp_msg msg;
    struct proto_tfp_msg back;
    uint8_t out[PROTO_TFP_MAX_LEN];
    size_t cap;
    size_t need = 0;
    unsigned set = 0;
    int rc;

    memset(&msg, 0, sizeof(msg));
    msg.port = take8(&c);
    cap = take8(&c) % (PROTO_TFP_MAX_LEN + 8);
    if (msg.port == PROTO_TFP_PORT_DETECTIONS) {
        msg.u.det.count = take8(&c);
        for (size_t i = 0; i < PROTO_TFP_MAX_RECORDS; i++) {
            struct proto_tfp_detection *d = &msg.u.det.rec[i];

            d->class_id = take8(&c);
            d->confidence = take8(&c);
            d->age_s = take16(&c);
            d->duration_s = take8(&c);
            d->level_db = take8(&c);
        }
        need = 1u + msg.u.det.count * PROTO_TFP_RECORD_LEN;
        if (msg.u.det.count == 0 || msg.u.det.count > PROTO_TFP_MAX_RECORDS) {
            set |= ERRBIT(PROTO_ECOUNT);
        }
    } else if (msg.port == PROTO_TFP_PORT_HEALTH) {
        struct proto_tfp_health *h = &msg.u.health;

        h->battery_mv = take16(&c);
        h->temp_c = (int8_t)take8(&c);
        h->uptime_s = take16(&c);
        h->uptime_s |= (uint32_t)take16(&c) << 16;
        h->model_id = take16(&c);
        h->model_ver = take8(&c);
        h->inferences = take16(&c);
        h->detections = take16(&c);
        h->tx_failures = take8(&c);
        h->learn = take8(&c);
        h->learn_progress = take8(&c);
        h->learn_threshold = take8(&c);
        need = h->learn != 0 ? PROTO_TFP_HEALTH_LEARN_LEN : PROTO_TFP_HEALTH_LEN;
        if (h->learn > 2 || h->learn_progress > 100) {
            set |= ERRBIT(PROTO_ERANGE);
        }
    } else if (msg.port == PROTO_TFP_PORT_ANOMALY) {
        struct proto_tfp_anomaly *a = &msg.u.anomaly;

        a->windows = take8(&c);
        a->anomalous = take8(&c);
        a->score_mean = take8(&c);
        a->score_max = take8(&c);
        a->peak_band = take8(&c);
        a->period_s = take16(&c);
        need = PROTO_TFP_ANOMALY_LEN;
    } else {
        set |= ERRBIT(PROTO_EPORT);
    }
    if (set == 0 && cap < need) {
        set |= ERRBIT(PROTO_ENOSPC);
    }

    rc = encode_exact(&msg, cap, out);
    if (rc < 0) {
        CHECK(rc >= -31 && (set & ERRBIT(rc)) != 0);
        return;
    }
    CHECK(set == 0 && (size_t)rc == need);
    CHECK(spec_code(msg.port, out, (size_t)rc) == PROTO_OK);
    check_fields(msg.port, out, (size_t)rc, &msg);
    CHECK(proto_tfp_decode(msg.port, out, (size_t)rc, &back) == PROTO_OK);
    check_fields(msg.port, out, (size_t)rc, &back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *payload;

    if (size == 0) {
        return 0;
    }
    /* A copy of exactly size - 1 bytes, so a read past the payload is an ASan report
     * rather than a quiet read of the next input byte. */
    payload = malloc(size > 1 ? size - 1 : 1);
    CHECK(payload != NULL);
    memcpy(payload, data + 1, size - 1);
    decode_side(data[0], payload, size - 1);
    free(payload);

    encode_side(data, size);
    return 0;
}
