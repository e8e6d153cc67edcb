/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/util/tfp_json.c: every field of each TFP message kind with its value,
 * the confidence scale, class names from the default table, from a caller's lookup and for
 * ids without a name, refusal of ports and counts that are no TFP message, and the exact
 * text of one message as the CLI and MQTT payloads print it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "proto/tfp.h"
#include "util/tfp_json.h"

/* cJSON prints 15 significant digits when they read back within DBL_EPSILON. */
#define CONF_TOLERANCE 1e-12

static double number_of(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!cJSON_IsNumber(item)) {
        fail_msg("\"%s\" missing or not a number", key);
    }
    return item->valuedouble;
}

static const char *string_of(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!cJSON_IsString(item)) {
        fail_msg("\"%s\" missing or not a string", key);
    }
    return item->valuestring;
}

/* cmocka 1.1 compares only floats; confidence needs a double's precision. */
static void assert_near(double got, double want, const char *what)
{
    if (!(got - want <= CONF_TOLERANCE && want - got <= CONF_TOLERANCE)) {
        fail_msg("%s: %.17g, want %.17g", what, got, want);
    }
}

static int count_fields(const cJSON *obj)
{
    return cJSON_GetArraySize(obj);
}

static struct proto_tfp_msg detections(unsigned count)
{
    struct proto_tfp_msg m;

    memset(&m, 0, sizeof(m));
    m.port = PROTO_TFP_PORT_DETECTIONS;
    m.u.det.count = (uint8_t)count;
    return m;
}

static void test_tfp_json_msg_detection_fields(void **state)
{
    struct proto_tfp_msg m = detections(2);
    const cJSON *records;
    const cJSON *r;
    cJSON *j;

    (void)state;
    m.u.det.rec[0] = (struct proto_tfp_detection){.class_id = PROTO_TFP_CLASS_ELEPHANT,
                                                  .confidence = 200,
                                                  .age_s = 65535,
                                                  .duration_s = 17,
                                                  .level_db = 23};
    m.u.det.rec[1] = (struct proto_tfp_detection){.class_id = PROTO_TFP_CLASS_SHIP,
                                                  .confidence = 255,
                                                  .age_s = 0,
                                                  .duration_s = 255,
                                                  .level_db = 0};
    j = tfp_json_msg(&m, NULL, NULL);
    assert_non_null(j);
    assert_int_equal(count_fields(j), 2);
    assert_string_equal(string_of(j, "kind"), "detection");
    records = cJSON_GetObjectItemCaseSensitive(j, "records");
    assert_true(cJSON_IsArray(records));
    assert_int_equal(cJSON_GetArraySize(records), 2);

    r = cJSON_GetArrayItem(records, 0);
    assert_int_equal(count_fields(r), 6);
    assert_string_equal(string_of(r, "class"), "elephant");
    assert_true(number_of(r, "class_id") == 1.0);
    assert_near(number_of(r, "confidence"), 200.0 / 255.0, "confidence 200");
    assert_true(number_of(r, "age_s") == 65535.0);
    assert_true(number_of(r, "duration_s") == 17.0);
    assert_true(number_of(r, "level_db") == 23.0);

    r = cJSON_GetArrayItem(records, 1);
    assert_string_equal(string_of(r, "class"), "ship");
    assert_true(number_of(r, "class_id") == 7.0);
    assert_true(number_of(r, "confidence") == 1.0);
    assert_true(number_of(r, "age_s") == 0.0);
    assert_true(number_of(r, "duration_s") == 255.0);
    assert_true(number_of(r, "level_db") == 0.0);
    cJSON_Delete(j);
}

/* Confidence is byte / 255 at both ends and in between, and the byte can be read back. */
static void test_tfp_json_add_detection_confidence_scale(void **state)
{
    unsigned v;

    (void)state;
    for (v = 0; v <= 255; v++) {
        struct proto_tfp_detection d = {.class_id = 1, .confidence = (uint8_t)v};
        cJSON *o = cJSON_CreateObject();
        double p;

        assert_non_null(o);
        assert_int_equal(tfp_json_add_detection(o, &d, NULL, NULL), 0);
        p = number_of(o, "confidence");
        assert_true(p >= 0.0 && p <= 1.0);
        assert_near(p, (double)v / 255.0, "confidence");
        assert_int_equal((int)(p * 255.0 + 0.5), (int)v);
        cJSON_Delete(o);
    }
}

static void test_tfp_json_add_detection_confidence_ends_print(void **state)
{
    struct proto_tfp_detection d = {.class_id = 0, .confidence = 255};
    cJSON *o = cJSON_CreateObject();
    char *text;

    (void)state;
    assert_non_null(o);
    assert_int_equal(tfp_json_add_detection(o, &d, NULL, NULL), 0);
    d.confidence = 0;
    assert_int_equal(tfp_json_add_detection(cJSON_AddObjectToObject(o, "zero"), &d, NULL, NULL), 0);
    text = cJSON_PrintUnformatted(o);
    assert_non_null(text);
    assert_string_equal(text, "{\"class\":\"unknown\",\"class_id\":0,\"confidence\":1,\"age_s\":0,"
                              "\"duration_s\":0,\"level_db\":0,\"zero\":{\"class\":\"unknown\","
                              "\"class_id\":0,\"confidence\":0,\"age_s\":0,\"duration_s\":0,"
                              "\"level_db\":0}}");
    cJSON_free(text);
    cJSON_Delete(o);
}

static void test_tfp_json_default_class_name_table(void **state)
{
    static const char *const want[] = {"unknown", "elephant", "whale",   "machine_anomaly",
                                       "human",   "vehicle",  "gunshot", "ship"};
    unsigned i;

    (void)state;
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_string_equal(tfp_json_default_class_name(NULL, (uint8_t)i), want[i]);
    }
    for (i = 8; i <= 255; i++) {
        assert_null(tfp_json_default_class_name(NULL, (uint8_t)i));
    }
}

/* An id without a name shows its number: "class_<id>", never the name of class 0. */
static void test_tfp_json_add_detection_unnamed_class(void **state)
{
    static const uint8_t ids[] = {8, 42, 255};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ids); i++) {
        struct proto_tfp_detection d = {.class_id = ids[i], .confidence = 10};
        char want[16];
        cJSON *o = cJSON_CreateObject();

        assert_non_null(o);
        assert_int_equal(tfp_json_add_detection(o, &d, NULL, NULL), 0);
        (void)snprintf(want, sizeof(want), "class_%u", (unsigned)ids[i]);
        assert_string_equal(string_of(o, "class"), want);
        assert_true(number_of(o, "class_id") == (double)ids[i]);
        cJSON_Delete(o);
    }
}

/* A config-provided lookup: renames one class, names a new one, leaves the rest unnamed. */
struct site_names {
    int calls;
};

static const char *site_class_name(void *arg, uint8_t class_id)
{
    struct site_names *s = arg;

    s->calls++;
    switch (class_id) {
    case 1:
        return "loxodonta";
    case 9:
        return "chainsaw";
    default:
        return NULL;
    }
}

static void test_tfp_json_msg_custom_class_names(void **state)
{
    struct proto_tfp_msg m = detections(3);
    struct site_names names = {0};
    const cJSON *records;
    cJSON *j;

    (void)state;
    m.u.det.rec[0].class_id = 1;
    m.u.det.rec[1].class_id = 9;
    m.u.det.rec[2].class_id = 2; /* named in the default table, not in this one */
    j = tfp_json_msg(&m, site_class_name, &names);
    assert_non_null(j);
    assert_int_equal(names.calls, 3);
    records = cJSON_GetObjectItemCaseSensitive(j, "records");
    assert_string_equal(string_of(cJSON_GetArrayItem(records, 0), "class"), "loxodonta");
    assert_string_equal(string_of(cJSON_GetArrayItem(records, 1), "class"), "chainsaw");
    assert_string_equal(string_of(cJSON_GetArrayItem(records, 2), "class"), "class_2");
    cJSON_Delete(j);
}

static void test_tfp_json_msg_detection_max_records(void **state)
{
    struct proto_tfp_msg m = detections(PROTO_TFP_MAX_RECORDS);
    const cJSON *records;
    unsigned i;
    cJSON *j;

    (void)state;
    for (i = 0; i < PROTO_TFP_MAX_RECORDS; i++) {
        m.u.det.rec[i].class_id = (uint8_t)i;
        m.u.det.rec[i].age_s = (uint16_t)(1000u * i);
    }
    j = tfp_json_msg(&m, NULL, NULL);
    assert_non_null(j);
    records = cJSON_GetObjectItemCaseSensitive(j, "records");
    assert_int_equal(cJSON_GetArraySize(records), PROTO_TFP_MAX_RECORDS);
    for (i = 0; i < PROTO_TFP_MAX_RECORDS; i++) {
        const cJSON *r = cJSON_GetArrayItem(records, (int)i);

        assert_true(number_of(r, "class_id") == (double)i);
        assert_true(number_of(r, "age_s") == 1000.0 * i);
        assert_string_equal(string_of(r, "class"), tfp_json_default_class_name(NULL, (uint8_t)i));
    }
    cJSON_Delete(j);
}

static void test_tfp_json_msg_detection_bad_count(void **state)
{
    struct proto_tfp_msg m = detections(0);

    (void)state;
    assert_null(tfp_json_msg(&m, NULL, NULL));
    m.u.det.count = PROTO_TFP_MAX_RECORDS + 1;
    assert_null(tfp_json_msg(&m, NULL, NULL));
}

static void test_tfp_json_msg_health_fields(void **state)
{
    struct proto_tfp_msg m;
    cJSON *j;

    (void)state;
    memset(&m, 0, sizeof(m));
    m.port = PROTO_TFP_PORT_HEALTH;
    m.u.health = (struct proto_tfp_health){.battery_mv = 3700,
                                           .temp_c = -12,
                                           .uptime_s = 4294967295u,
                                           .model_id = 513,
                                           .model_ver = 3,
                                           .inferences = 65535,
                                           .detections = 7,
                                           .tx_failures = 255};
    j = tfp_json_msg(&m, NULL, NULL);
    assert_non_null(j);
    assert_int_equal(count_fields(j), 9);
    assert_string_equal(string_of(j, "kind"), "health");
    assert_true(number_of(j, "battery_mv") == 3700.0);
    assert_true(number_of(j, "temp_c") == -12.0);
    assert_true(number_of(j, "uptime_s") == 4294967295.0);
    assert_true(number_of(j, "model_id") == 513.0);
    assert_true(number_of(j, "model_ver") == 3.0);
    assert_true(number_of(j, "inferences") == 65535.0);
    assert_true(number_of(j, "detections") == 7.0);
    assert_true(number_of(j, "tx_failures") == 255.0);
    cJSON_Delete(j);
}

/* The printed form, as `frame decode` and the MQTT health topic carry it. */
static void test_tfp_json_msg_health_text(void **state)
{
    struct proto_tfp_msg m;
    cJSON *j;
    char *text;

    (void)state;
    memset(&m, 0, sizeof(m));
    m.port = PROTO_TFP_PORT_HEALTH;
    m.u.health = (struct proto_tfp_health){.battery_mv = 3300,
                                           .temp_c = -128,
                                           .uptime_s = 86400,
                                           .model_id = 1,
                                           .model_ver = 2,
                                           .inferences = 1000,
                                           .detections = 0,
                                           .tx_failures = 1};
    j = tfp_json_msg(&m, NULL, NULL);
    assert_non_null(j);
    text = cJSON_PrintUnformatted(j);
    assert_non_null(text);
    assert_string_equal(text, "{\"kind\":\"health\",\"battery_mv\":3300,\"temp_c\":-128,"
                              "\"uptime_s\":86400,\"model_id\":1,\"model_ver\":2,"
                              "\"inferences\":1000,\"detections\":0,\"tx_failures\":1}");
    cJSON_free(text);
    cJSON_Delete(j);
}

/* A learning node's health (version 2) adds its learning state; version 1's has none. */
static void test_tfp_json_msg_health_learning(void **state)
{
    struct proto_tfp_msg m;
    cJSON *j;

    (void)state;
    memset(&m, 0, sizeof(m));
    m.port = PROTO_TFP_PORT_HEALTH;
    m.u.health.battery_mv = 3600;
    m.u.health.learn = PROTO_TFP_LEARN_LEARNING;
    m.u.health.learn_progress = 42;
    j = tfp_json_msg(&m, NULL, NULL);
    assert_non_null(j);
    assert_int_equal(count_fields(j), 12);
    assert_string_equal(string_of(j, "learn"), "learning");
    assert_true(number_of(j, "learn_progress") == 42.0);
    assert_true(number_of(j, "learn_threshold") == 0.0);
    cJSON_Delete(j);
    m.u.health.learn = PROTO_TFP_LEARN_READY;
    m.u.health.learn_progress = 100;
    m.u.health.learn_threshold = 166;
    j = tfp_json_msg(&m, NULL, NULL);
    assert_non_null(j);
    assert_string_equal(string_of(j, "learn"), "ready");
    assert_true(number_of(j, "learn_threshold") == 166.0);
    cJSON_Delete(j);
}

static void test_tfp_json_msg_anomaly_fields(void **state)
{
    struct proto_tfp_msg m;
    cJSON *j;

    (void)state;
    memset(&m, 0, sizeof(m));
    m.port = PROTO_TFP_PORT_ANOMALY;
    m.u.anomaly = (struct proto_tfp_anomaly){.windows = 60,
                                             .anomalous = 5,
                                             .score_mean = 40,
                                             .score_max = 255,
                                             .peak_band = 7,
                                             .period_s = 65535};
    j = tfp_json_msg(&m, NULL, NULL);
    assert_non_null(j);
    assert_int_equal(count_fields(j), 7);
    assert_string_equal(string_of(j, "kind"), "anomaly");
    assert_true(number_of(j, "windows") == 60.0);
    assert_true(number_of(j, "anomalous") == 5.0);
    assert_true(number_of(j, "score_mean") == 40.0);
    assert_true(number_of(j, "score_max") == 255.0);
    assert_true(number_of(j, "peak_band") == 7.0);
    assert_true(number_of(j, "period_s") == 65535.0);
    cJSON_Delete(j);
}

static void test_tfp_json_msg_unknown_port(void **state)
{
    static const uint8_t ports[] = {0, 4, 223, 255};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ports); i++) {
        struct proto_tfp_msg m = detections(1);

        m.port = ports[i];
        assert_null(tfp_json_msg(&m, NULL, NULL));
    }
    assert_null(tfp_json_msg(NULL, NULL, NULL));
}

static void test_tfp_json_kind_ports(void **state)
{
    (void)state;
    assert_string_equal(tfp_json_kind(1), "detection");
    assert_string_equal(tfp_json_kind(2), "health");
    assert_string_equal(tfp_json_kind(3), "anomaly");
    assert_null(tfp_json_kind(0));
    assert_null(tfp_json_kind(4));
    assert_null(tfp_json_kind(224));
}

/* The flat helpers append to an object the caller already started (events --json). */
static void test_tfp_json_add_fields_append(void **state)
{
    struct proto_tfp_health h = {.battery_mv = 1};
    struct proto_tfp_anomaly a = {.windows = 2};
    cJSON *o = cJSON_CreateObject();

    (void)state;
    assert_non_null(o);
    assert_non_null(cJSON_AddStringToObject(o, "devaddr", "26011F00"));
    assert_int_equal(tfp_json_add_health(o, &h), 0);
    assert_int_equal(count_fields(o), 9);
    assert_string_equal(string_of(o, "devaddr"), "26011F00");
    cJSON_Delete(o);

    o = cJSON_CreateObject();
    assert_non_null(o);
    assert_int_equal(tfp_json_add_anomaly(o, &a), 0);
    assert_int_equal(count_fields(o), 6);
    assert_true(number_of(o, "windows") == 2.0);
    cJSON_Delete(o);

    assert_int_not_equal(tfp_json_add_health(NULL, &h), 0);
    assert_int_not_equal(tfp_json_add_anomaly(NULL, &a), 0);
}

/* A message decoded by proto/ comes out with the values of its bytes. */
static void test_tfp_json_msg_from_decoded_bytes(void **state)
{
    static const uint8_t anomaly[PROTO_TFP_ANOMALY_LEN] = {
        0x01,       /* version 1 */
        0x3C,       /* windows 60 */
        0x05,       /* anomalous 5 */
        0x28,       /* score_mean 40 */
        0xC8,       /* score_max 200 */
        0x07,       /* peak_band 7 */
        0x58, 0x02, /* period_s 600, little-endian */
    };
    struct proto_tfp_msg m;
    cJSON *j;

    (void)state;
    assert_int_equal(proto_tfp_decode(PROTO_TFP_PORT_ANOMALY, anomaly, sizeof(anomaly), &m),
                     PROTO_OK);
    j = tfp_json_msg(&m, NULL, NULL);
    assert_non_null(j);
    assert_true(number_of(j, "windows") == 60.0);
    assert_true(number_of(j, "score_max") == 200.0);
    assert_true(number_of(j, "period_s") == 600.0);
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tfp_json_msg_detection_fields),
        cmocka_unit_test(test_tfp_json_add_detection_confidence_scale),
        cmocka_unit_test(test_tfp_json_add_detection_confidence_ends_print),
        cmocka_unit_test(test_tfp_json_default_class_name_table),
        cmocka_unit_test(test_tfp_json_add_detection_unnamed_class),
        cmocka_unit_test(test_tfp_json_msg_custom_class_names),
        cmocka_unit_test(test_tfp_json_msg_detection_max_records),
        cmocka_unit_test(test_tfp_json_msg_detection_bad_count),
        cmocka_unit_test(test_tfp_json_msg_health_fields),
        cmocka_unit_test(test_tfp_json_msg_health_text),
        cmocka_unit_test(test_tfp_json_msg_health_learning),
        cmocka_unit_test(test_tfp_json_msg_anomaly_fields),
        cmocka_unit_test(test_tfp_json_msg_unknown_port),
        cmocka_unit_test(test_tfp_json_kind_ports),
        cmocka_unit_test(test_tfp_json_add_fields_append),
        cmocka_unit_test(test_tfp_json_msg_from_decoded_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
