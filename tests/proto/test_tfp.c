/* SPDX-License-Identifier: MIT
 * TFP v1 codec: each layout checked byte by byte against ARCHITECTURE.md, every decode
 * error path, encoder bounds, and a round trip over random messages with a fixed seed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/tfp.h"

static void test_proto_tfp_decode_detections_fields(void **state)
{
    const uint8_t wire[] = {
        0x22,       /* version 1 (001), count 2 (00010) */
        0x01,       /* class 1: elephant */
        0xcc,       /* confidence 204/255 = 0.8 */
        0x2c, 0x01, /* age_s 300, little-endian */
        0x05,       /* duration_s 5 */
        0x12,       /* level_db 18 */
        0x07,       /* class 7: ship */
        0xff,       /* confidence 1.0 */
        0x00, 0x00, /* age_s 0 */
        0xff,       /* duration_s saturated */
        0x03,       /* level_db 3 */
    };
    struct proto_tfp_msg m;

    (void)state;
    assert_int_equal(proto_tfp_decode(1, wire, sizeof(wire), &m), PROTO_OK);
    assert_int_equal(m.port, PROTO_TFP_PORT_DETECTIONS);
    assert_int_equal(m.u.det.count, 2);
    assert_int_equal(m.u.det.rec[0].class_id, PROTO_TFP_CLASS_ELEPHANT);
    assert_int_equal(m.u.det.rec[0].confidence, 204);
    assert_int_equal(m.u.det.rec[0].age_s, 300);
    assert_int_equal(m.u.det.rec[0].duration_s, 5);
    assert_int_equal(m.u.det.rec[0].level_db, 18);
    assert_int_equal(m.u.det.rec[1].class_id, PROTO_TFP_CLASS_SHIP);
    assert_int_equal(m.u.det.rec[1].confidence, 255);
    assert_int_equal(m.u.det.rec[1].age_s, 0);
    assert_int_equal(m.u.det.rec[1].duration_s, 255);
    assert_int_equal(m.u.det.rec[1].level_db, 3);
}

static void test_proto_tfp_decode_health_fields(void **state)
{
    const uint8_t wire[] = {
        0x01,                   /* version 1 */
        0x74, 0x0e,             /* battery_mv 3700 */
        0xf6,                   /* temp_c -10 */
        0x80, 0x51, 0x01, 0x00, /* uptime_s 86400 */
        0x01, 0x00,             /* model_id 1 */
        0x03,                   /* model_ver 3 */
        0x10, 0x0e,             /* inferences 3600 */
        0x02, 0x00,             /* detections 2 */
        0x01,                   /* tx_failures 1 */
    };
    struct proto_tfp_msg m;

    (void)state;
    assert_int_equal(proto_tfp_decode(2, wire, sizeof(wire), &m), PROTO_OK);
    assert_int_equal(m.port, PROTO_TFP_PORT_HEALTH);
    assert_int_equal(m.u.health.battery_mv, 3700);
    assert_int_equal(m.u.health.temp_c, -10);
    assert_int_equal(m.u.health.uptime_s, 86400);
    assert_int_equal(m.u.health.model_id, 1);
    assert_int_equal(m.u.health.model_ver, 3);
    assert_int_equal(m.u.health.inferences, 3600);
    assert_int_equal(m.u.health.detections, 2);
    assert_int_equal(m.u.health.tx_failures, 1);
}

/* Version 2: a learning node's state after version 1's fields; version 1 still decodes
 * (above) with the learning state NONE, and a node that does not learn still sends it. */
static void test_proto_tfp_health_learning(void **state)
{
    const uint8_t wire[] = {
        0x02,                   /* version 2 */
        0x74, 0x0e,             /* battery_mv 3700 */
        0xf6,                   /* temp_c -10 */
        0x80, 0x51, 0x01, 0x00, /* uptime_s 86400 */
        0x03, 0x00,             /* model_id 3 */
        0x01,                   /* model_ver 1 */
        0x10, 0x0e,             /* inferences 3600 */
        0x00, 0x00,             /* detections 0 */
        0x00,                   /* tx_failures 0 */
        0x01,                   /* learn: learning */
        0x2a,                   /* progress 42 % */
        0x00,                   /* threshold: none yet */
    };
    struct proto_tfp_msg m;
    uint8_t buf[PROTO_TFP_MAX_LEN];

    (void)state;
    assert_int_equal(proto_tfp_decode(2, wire, sizeof(wire), &m), PROTO_OK);
    assert_int_equal(m.u.health.battery_mv, 3700);
    assert_int_equal(m.u.health.tx_failures, 0);
    assert_int_equal(m.u.health.learn, PROTO_TFP_LEARN_LEARNING);
    assert_int_equal(m.u.health.learn_progress, 42);
    assert_int_equal(m.u.health.learn_threshold, 0);
    assert_int_equal(proto_tfp_encode(&m, buf, sizeof(buf)), (int)sizeof(wire));
    assert_memory_equal(buf, wire, sizeof(wire));
    /* Ready, with its threshold. */
    m.u.health.learn = PROTO_TFP_LEARN_READY;
    m.u.health.learn_progress = 100;
    m.u.health.learn_threshold = 166;
    assert_int_equal(proto_tfp_encode(&m, buf, sizeof(buf)), PROTO_TFP_HEALTH_LEARN_LEN);
    assert_int_equal(buf[0], 2);
    assert_int_equal(buf[16], 2);
    assert_int_equal(buf[18], 166);
    assert_int_equal(proto_tfp_encode(&m, buf, PROTO_TFP_HEALTH_LEARN_LEN - 1), PROTO_ENOSPC);
    /* Not learning: the 16 bytes of version 1, which old gateways read. */
    m.u.health.learn = PROTO_TFP_LEARN_NONE;
    m.u.health.learn_progress = 0;
    m.u.health.learn_threshold = 0;
    assert_int_equal(proto_tfp_encode(&m, buf, sizeof(buf)), PROTO_TFP_HEALTH_LEN);
    assert_int_equal(buf[0], 1);
    assert_memory_equal(buf + 1, wire + 1, 15);
    /* Values the message does not allow are refused. */
    m.u.health.learn = 3;
    assert_int_equal(proto_tfp_encode(&m, buf, sizeof(buf)), PROTO_ERANGE);
    m.u.health.learn = PROTO_TFP_LEARN_LEARNING;
    m.u.health.learn_progress = 101;
    assert_int_equal(proto_tfp_encode(&m, buf, sizeof(buf)), PROTO_ERANGE);
    assert_string_not_equal(proto_strerror(PROTO_ERANGE), "unknown error");
}

static void test_proto_tfp_decode_anomaly_fields(void **state)
{
    const uint8_t wire[] = {
        0x01,       /* version 1 */
        0x3c,       /* windows 60 */
        0x2d,       /* anomalous 45 */
        0x80,       /* score_mean 128 */
        0xf0,       /* score_max 240 */
        0x0b,       /* peak_band 11 */
        0x10, 0x0e, /* period_s 3600 */
    };
    struct proto_tfp_msg m;

    (void)state;
    assert_int_equal(proto_tfp_decode(3, wire, sizeof(wire), &m), PROTO_OK);
    assert_int_equal(m.port, PROTO_TFP_PORT_ANOMALY);
    assert_int_equal(m.u.anomaly.windows, 60);
    assert_int_equal(m.u.anomaly.anomalous, 45);
    assert_int_equal(m.u.anomaly.score_mean, 128);
    assert_int_equal(m.u.anomaly.score_max, 240);
    assert_int_equal(m.u.anomaly.peak_band, 11);
    assert_int_equal(m.u.anomaly.period_s, 3600);
}

struct decode_error_case {
    const char *name;
    uint8_t port;
    uint8_t len;
    uint8_t bytes[52];
    int want;
};

/* One row per way a payload can be wrong; bytes not listed are zero. */
static const struct decode_error_case decode_errors[] = {
    {"port 0 (MAC commands)", 0, 1, {0x21}, PROTO_EPORT},
    {"port 4 unknown", 4, 1, {0x21}, PROTO_EPORT},
    {"port 224 (test port)", 224, 1, {0x21}, PROTO_EPORT},
    {"detections empty", 1, 0, {0}, PROTO_ETOOSHORT},
    {"detections header only", 1, 1, {0x21}, PROTO_ETOOSHORT},
    {"detections record cut", 1, 6, {0x21, 1, 2, 3, 4, 5}, PROTO_ETOOSHORT},
    {"detections 2 announced, 1 sent", 1, 7, {0x22, 1, 2, 3, 4, 5, 6}, PROTO_ETOOSHORT},
    {"detections 50 bytes", 1, 50, {0x28}, PROTO_ETOOLONG},
    {"detections version 0", 1, 7, {0x01}, PROTO_EVERSION},
    {"detections version 2", 1, 7, {0x41}, PROTO_EVERSION},
    {"detections version 7", 1, 7, {0xe1}, PROTO_EVERSION},
    {"detections count 0", 1, 7, {0x20}, PROTO_ECOUNT},
    {"detections count 9", 1, 49, {0x29}, PROTO_ECOUNT},
    {"detections count 31", 1, 49, {0x3f}, PROTO_ECOUNT},
    {"detections one byte extra", 1, 8, {0x21}, PROTO_ETRAILING},
    {"detections 1 announced, 2 sent", 1, 13, {0x21}, PROTO_ETRAILING},
    {"health empty", 2, 0, {0}, PROTO_ETOOSHORT},
    {"health 15 bytes", 2, 15, {0x01}, PROTO_ETOOSHORT},
    {"health 17 bytes", 2, 17, {0x01}, PROTO_ETOOLONG},
    {"health version 2, 16 bytes", 2, 16, {0x02}, PROTO_ETOOSHORT},
    {"health version 2, 18 bytes", 2, 18, {0x02}, PROTO_ETOOSHORT},
    {"health version 2, 20 bytes", 2, 20, {0x02}, PROTO_ETOOLONG},
    {"health version 1, 19 bytes", 2, 19, {0x01}, PROTO_ETOOLONG},
    {"health version 3", 2, 19, {0x03}, PROTO_EVERSION},
    {"health version 2, learn 3", 2, 19, {0x02, [16] = 3}, PROTO_ERANGE},
    {"health version 2, learn 0 (version 1's)", 2, 19, {0x02}, PROTO_ERANGE},
    {"health version 2, progress 101", 2, 19, {0x02, [16] = 1, [17] = 101}, PROTO_ERANGE},
    {"anomaly empty", 3, 0, {0}, PROTO_ETOOSHORT},
    {"anomaly 7 bytes", 3, 7, {0x01}, PROTO_ETOOSHORT},
    {"anomaly 9 bytes", 3, 9, {0x01}, PROTO_ETOOLONG},
    {"anomaly version 0", 3, 8, {0x00}, PROTO_EVERSION},
};

static void test_proto_tfp_decode_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(decode_errors) / sizeof(decode_errors[0]); i++) {
        const struct decode_error_case *c = &decode_errors[i];
        struct proto_tfp_msg m;

        print_message("%s\n", c->name);
        assert_int_equal(proto_tfp_decode(c->port, c->bytes, c->len, &m), c->want);
    }
}

static void test_proto_tfp_decode_errors_are_distinct(void **state)
{
    const int codes[] = {PROTO_ETOOSHORT, PROTO_ETOOLONG,  PROTO_EVERSION,
                         PROTO_ECOUNT,    PROTO_ETRAILING, PROTO_EPORT};

    (void)state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_true(codes[i] < 0);
        assert_string_not_equal(proto_strerror(codes[i]), "unknown error");
        for (size_t j = 0; j < i; j++) {
            assert_int_not_equal(codes[i], codes[j]);
            assert_string_not_equal(proto_strerror(codes[i]), proto_strerror(codes[j]));
        }
    }
}

static void test_proto_tfp_encode_errors(void **state)
{
    struct proto_tfp_msg m;
    uint8_t buf[PROTO_TFP_MAX_LEN + 1];

    (void)state;
    memset(&m, 0, sizeof(m));
    m.port = PROTO_TFP_PORT_DETECTIONS;
    m.u.det.count = 0;
    assert_int_equal(proto_tfp_encode(&m, buf, sizeof(buf)), PROTO_ECOUNT);
    m.u.det.count = 9;
    assert_int_equal(proto_tfp_encode(&m, buf, sizeof(buf)), PROTO_ECOUNT);
    m.port = 5;
    assert_int_equal(proto_tfp_encode(&m, buf, sizeof(buf)), PROTO_EPORT);
    assert_int_equal(proto_tfp_encode(NULL, buf, sizeof(buf)), PROTO_EINVAL);
}

/* A buffer one byte too small is refused and left untouched. */
static void test_proto_tfp_encode_enospc(void **state)
{
    static const uint8_t ports[] = {1, 2, 3};
    static const size_t need[] = {PROTO_TFP_DET_MAX_LEN, PROTO_TFP_HEALTH_LEN,
                                  PROTO_TFP_ANOMALY_LEN};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        struct proto_tfp_msg m;
        uint8_t buf[PROTO_TFP_MAX_LEN];

        memset(&m, 0, sizeof(m));
        m.port = ports[i];
        m.u.det.count = PROTO_TFP_MAX_RECORDS;
        memset(buf, 0xa5, sizeof(buf));
        assert_int_equal(proto_tfp_encode(&m, buf, need[i] - 1), PROTO_ENOSPC);
        for (size_t b = 0; b < sizeof(buf); b++) {
            assert_int_equal(buf[b], 0xa5);
        }
        assert_int_equal(proto_tfp_encode(&m, buf, need[i]), (int)need[i]);
    }
}

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void random_msg(uint32_t *seed, struct proto_tfp_msg *m)
{
    uint8_t raw[sizeof(m->u)];

    memset(m, 0, sizeof(*m));
    for (size_t i = 0; i < sizeof(raw); i++) {
        raw[i] = (uint8_t)xorshift32(seed);
    }
    m->port = (uint8_t)(1 + xorshift32(seed) % 3);
    if (m->port == PROTO_TFP_PORT_DETECTIONS) {
        m->u.det.count = (uint8_t)(1 + xorshift32(seed) % PROTO_TFP_MAX_RECORDS);
        for (unsigned r = 0; r < m->u.det.count; r++) {
            m->u.det.rec[r].class_id = raw[6 * r];
            m->u.det.rec[r].confidence = raw[6 * r + 1];
            m->u.det.rec[r].age_s = (uint16_t)(raw[6 * r + 2] | raw[6 * r + 3] << 8);
            m->u.det.rec[r].duration_s = raw[6 * r + 4];
            m->u.det.rec[r].level_db = raw[6 * r + 5];
        }
    } else if (m->port == PROTO_TFP_PORT_HEALTH) {
        m->u.health.battery_mv = (uint16_t)xorshift32(seed);
        m->u.health.temp_c = (int8_t)(xorshift32(seed) & 0xff);
        m->u.health.uptime_s = xorshift32(seed);
        m->u.health.model_id = (uint16_t)xorshift32(seed);
        m->u.health.model_ver = raw[0];
        m->u.health.inferences = (uint16_t)xorshift32(seed);
        m->u.health.detections = (uint16_t)xorshift32(seed);
        m->u.health.tx_failures = raw[1];
        m->u.health.learn = (uint8_t)(xorshift32(seed) % 3u);
        if (m->u.health.learn != PROTO_TFP_LEARN_NONE) {
            m->u.health.learn_progress = (uint8_t)(xorshift32(seed) % 101u);
            m->u.health.learn_threshold = raw[2];
        }
    } else {
        m->u.anomaly.windows = raw[0];
        m->u.anomaly.anomalous = raw[1];
        m->u.anomaly.score_mean = raw[2];
        m->u.anomaly.score_max = raw[3];
        m->u.anomaly.peak_band = raw[4];
        m->u.anomaly.period_s = (uint16_t)(raw[5] | raw[6] << 8);
    }
}

static void test_proto_tfp_round_trip_random(void **state)
{
    uint32_t seed = 0x7f4a7c15u;

    (void)state;
    for (int i = 0; i < 10000; i++) {
        struct proto_tfp_msg in;
        struct proto_tfp_msg out;
        uint8_t buf[PROTO_TFP_MAX_LEN];
        uint8_t again[PROTO_TFP_MAX_LEN];
        int len;

        random_msg(&seed, &in);
        len = proto_tfp_encode(&in, buf, sizeof(buf));
        assert_true(len > 0);
        assert_int_equal(proto_tfp_decode(in.port, buf, (size_t)len, &out), PROTO_OK);
        assert_memory_equal(&in, &out, sizeof(in));
        assert_int_equal(proto_tfp_encode(&out, again, sizeof(again)), len);
        assert_memory_equal(buf, again, (size_t)len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_tfp_decode_detections_fields),
        cmocka_unit_test(test_proto_tfp_decode_health_fields),
        cmocka_unit_test(test_proto_tfp_health_learning),
        cmocka_unit_test(test_proto_tfp_decode_anomaly_fields),
        cmocka_unit_test(test_proto_tfp_decode_errors),
        cmocka_unit_test(test_proto_tfp_decode_errors_are_distinct),
        cmocka_unit_test(test_proto_tfp_encode_errors),
        cmocka_unit_test(test_proto_tfp_encode_enospc),
        cmocka_unit_test(test_proto_tfp_round_trip_random),
    };
    return cmocka_run_group_tests_name("tfp", tests, NULL, NULL);
}
