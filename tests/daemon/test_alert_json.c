/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/alert/alert_json.c: the fields of an alert transition's JSON, their
 * rounding, and the way back from a stored message, which refuses what it did not write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "alert/alert_json.h"
#include "alert/fusion.h"
#include "daemon/alert_sample.h"

static void test_alert_json_fields(void **state)
{
    struct fusion_alert a = sample(7, 2, FUSION_ESCALATE);
    char *text = alert_json(&a, "gw-01");
    cJSON *o;
    const cJSON *nodes;

    (void)state;
    assert_non_null(text);
    o = cJSON_Parse(text);
    assert_non_null(o);
    assert_int_equal(cJSON_GetObjectItem(o, "id")->valuedouble, 7);
    assert_int_equal(cJSON_GetObjectItem(o, "seq")->valuedouble, 2);
    assert_string_equal(cJSON_GetObjectItem(o, "class")->valuestring, "elephant");
    assert_string_equal(cJSON_GetObjectItem(o, "zone")->valuestring, "village");
    assert_string_equal(cJSON_GetObjectItem(o, "level")->valuestring, "warning");
    assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring, "escalate");
    /* Rounded to 4 digits: subscribers read 0.9789, not 0.97890625. */
    assert_true(cJSON_GetObjectItem(o, "confidence")->valuedouble == 0.9789);
    nodes = cJSON_GetObjectItem(o, "nodes");
    assert_int_equal(cJSON_GetArraySize(nodes), 2);
    assert_string_equal(cJSON_GetArrayItem(nodes, 0)->valuestring, "26011F00");
    assert_string_equal(cJSON_GetArrayItem(nodes, 1)->valuestring, "AB0000FF");
    assert_int_equal(cJSON_GetObjectItem(o, "detections")->valuedouble, 3);
    assert_true(cJSON_GetObjectItem(o, "lat")->valuedouble == -2.653535);
    assert_true(cJSON_GetObjectItem(o, "lon")->valuedouble == 37.26007);
    assert_string_equal(cJSON_GetObjectItem(o, "first_seen")->valuestring,
                        "2026-11-25T09:46:34.877Z");
    assert_string_equal(cJSON_GetObjectItem(o, "gateway")->valuestring, "gw-01");
    assert_string_equal(cJSON_GetObjectItem(o, "message")->valuestring,
                        "Elephants detected by 2 nodes in zone village");
    cJSON_Delete(o);
    cJSON_free(text);

    /* Without a position, lat and lon are null, not 0 (0, 0 is a place in the sea). */
    a.has_position = false;
    text = alert_json(&a, "gw-01");
    o = cJSON_Parse(text);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "lat")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "lon")));
    cJSON_Delete(o);
    cJSON_free(text);
}

static void test_alert_json_round_trip(void **state)
{
    struct fusion_alert a = sample(42, 5, FUSION_UPDATE);
    struct fusion_alert b;
    char *text = alert_json(&a, "gw");

    (void)state;
    assert_int_equal(alert_json_parse(text, &b), 0);
    assert_int_equal(b.id, 42);
    assert_int_equal(b.seq, 5);
    assert_string_equal(b.class_name, "elephant");
    assert_string_equal(b.zone, "village");
    assert_string_equal(b.key, "village");
    assert_string_equal(b.rule, "elephant");
    assert_int_equal(b.level, FUSION_WARNING);
    assert_int_equal(b.state, FUSION_UPDATE);
    assert_true(fabs(b.confidence - a.confidence) < 1e-4);
    assert_int_equal(b.node_count, 2);
    assert_int_equal(b.nodes[1], 0xAB0000FFu);
    assert_int_equal(b.detections, 3);
    assert_true(b.has_position && fabs(b.lat - a.lat) < 1e-6 && fabs(b.lon - a.lon) < 1e-6);
    assert_int_equal(b.first_seen_ms, a.first_seen_ms);
    assert_int_equal(b.last_seen_ms, a.last_seen_ms);
    assert_int_equal(b.time_ms, a.time_ms);
    assert_string_equal(b.message, a.message);
    cJSON_free(text);
}

static void test_alert_json_parse_refuses(void **state)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"id\":1}",
        /* a level that does not exist */
        "{\"id\":1,\"seq\":1,\"class\":\"c\",\"zone\":\"z\",\"key\":\"z\",\"rule\":\"r\","
        "\"level\":\"panic\",\"state\":\"open\",\"confidence\":0.5,\"nodes\":[],\"detections\":1,"
        "\"lat\":null,\"lon\":null,\"first_seen\":\"2026-11-25T20:26:34.877Z\","
        "\"last_seen\":\"2026-11-25T20:26:34.877Z\",\"time\":\"2026-11-25T20:26:34.877Z\","
        "\"message\":\"m\"}",
        /* a time that is not RFC 3339 UTC */
        "{\"id\":1,\"seq\":1,\"class\":\"c\",\"zone\":\"z\",\"key\":\"z\",\"rule\":\"r\","
        "\"level\":\"watch\",\"state\":\"open\",\"confidence\":0.5,\"nodes\":[],\"detections\":1,"
        "\"lat\":null,\"lon\":null,\"first_seen\":\"yesterday\","
        "\"last_seen\":\"2026-11-25T20:26:34.877Z\",\"time\":\"2026-11-25T20:26:34.877Z\","
        "\"message\":\"m\"}",
        /* a node that is not 8 hex digits */
        "{\"id\":1,\"seq\":1,\"class\":\"c\",\"zone\":\"z\",\"key\":\"z\",\"rule\":\"r\","
        "\"level\":\"watch\",\"state\":\"open\",\"confidence\":0.5,\"nodes\":[\"26011G00\"],"
        "\"detections\":1,\"lat\":null,\"lon\":null,\"first_seen\":\"2026-11-25T20:26:34.877Z\","
        "\"last_seen\":\"2026-11-25T20:26:34.877Z\",\"time\":\"2026-11-25T20:26:34.877Z\","
        "\"message\":\"m\"}",
        /* confidence above 1 */
        "{\"id\":1,\"seq\":1,\"class\":\"c\",\"zone\":\"z\",\"key\":\"z\",\"rule\":\"r\","
        "\"level\":\"watch\",\"state\":\"open\",\"confidence\":1.5,\"nodes\":[],\"detections\":1,"
        "\"lat\":null,\"lon\":null,\"first_seen\":\"2026-11-25T20:26:34.877Z\","
        "\"last_seen\":\"2026-11-25T20:26:34.877Z\",\"time\":\"2026-11-25T20:26:34.877Z\","
        "\"message\":\"m\"}",
    };
    struct fusion_alert a;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(alert_json_parse(bad[i], &a), -EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alert_json_fields),
        cmocka_unit_test(test_alert_json_round_trip),
        cmocka_unit_test(test_alert_json_parse_refuses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
