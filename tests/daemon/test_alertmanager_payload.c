/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/alertmanager/alertmanager_payload.c: an alert transition's JSON (as
 * alert_json() makes it) to Alertmanager API v2 alerts: every label and annotation of the
 * contract, startsAt and endsAt for a firing, an escalated and a cleared alert, the lower
 * levels resolved, generatorURL with and without a base URL, and text that is not an alert.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "alert/alert_json.h"
#include "alertmanager/alertmanager_int.h"
#include "daemon/alert_sample.h"

#define NOW_MS 1795600100000LL /* 2026-11-25T09:48:20Z */

static const char *label(const cJSON *alert, const char *name)
{
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(alert, "labels"), name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *annotation(const cJSON *alert, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(alert, "annotations"), name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *field(const cJSON *alert, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(alert, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The payload of transition @a (alert_json()), built with @resolve_lower and @base_url. */
static cJSON *payload(const struct fusion_alert *a, bool resolve_lower, const char *base_url)
{
    struct alertmanager__ctx ctx = {"park", base_url, NOW_MS, 240000};
    char *json = alert_json(a, "gw-1");
    cJSON *arr = cJSON_CreateArray();

    assert_non_null(json);
    assert_non_null(arr);
    assert_int_equal(alertmanager__payload_add(arr, json, resolve_lower, &ctx), 0);
    cJSON_free(json);
    return arr;
}

static void test_alertmanager_payload_labels_and_annotations(void **state)
{
    struct fusion_alert a = sample(42, 3, FUSION_UPDATE);
    cJSON *arr;
    const cJSON *x;

    (void)state;
    arr = payload(&a, false, NULL);
    assert_int_equal(cJSON_GetArraySize(arr), 1);
    x = cJSON_GetArrayItem(arr, 0);
    assert_string_equal(label(x, "alertname"), "elephant");
    assert_string_equal(label(x, "zone"), "village");
    assert_string_equal(label(x, "key"), "village");
    assert_string_equal(label(x, "severity"), "warning");
    assert_string_equal(label(x, "rule"), "elephant");
    assert_string_equal(label(x, "gateway"), "gw-1");
    assert_string_equal(label(x, "site"), "park");
    assert_string_equal(label(x, "alert_id"), "42");
    assert_string_equal(annotation(x, "summary"), "Elephants detected by 2 nodes in zone village");
    assert_string_equal(annotation(x, "nodes"), "26011F00,AB0000FF");
    assert_string_equal(annotation(x, "confidence"), "0.9789");
    assert_string_equal(annotation(x, "seq"), "3");
    assert_string_equal(annotation(x, "lat"), "-2.653535");
    assert_string_equal(annotation(x, "lon"), "37.26007");
    assert_string_equal(annotation(x, "description"),
                        "first seen 2026-11-25T09:46:34.877Z, last seen 2026-11-25T09:46:39.983Z");
    assert_null(annotation(x, "ack"));
    assert_string_equal(field(x, "startsAt"), "2026-11-25T09:46:34.877Z");
    /* firing: endsAt the post's time plus ahead_ms (4 min) */
    assert_string_equal(field(x, "endsAt"), "2026-11-25T09:52:20.000Z");
    assert_null(field(x, "generatorURL"));
    cJSON_Delete(arr);
}

static void test_alertmanager_payload_no_position(void **state)
{
    struct fusion_alert a = sample(7, 1, FUSION_OPEN);
    cJSON *arr;

    (void)state;
    a.has_position = false;
    arr = payload(&a, false, NULL);
    assert_null(annotation(cJSON_GetArrayItem(arr, 0), "lat"));
    assert_null(annotation(cJSON_GetArrayItem(arr, 0), "lon"));
    cJSON_Delete(arr);
}

static void test_alertmanager_payload_generator_url(void **state)
{
    struct fusion_alert a = sample(42, 1, FUSION_OPEN);
    cJSON *arr;

    (void)state;
    arr = payload(&a, false, "http://gw.example:8080/");
    assert_string_equal(field(cJSON_GetArrayItem(arr, 0), "generatorURL"),
                        "http://gw.example:8080/#alert=42");
    cJSON_Delete(arr);
}

/* An escalation to critical: watch and warning resolved now, critical firing. */
static void test_alertmanager_payload_resolves_lower_levels(void **state)
{
    struct fusion_alert a = sample(5, 2, FUSION_ESCALATE);
    cJSON *arr;
    int i;

    (void)state;
    a.level = FUSION_CRITICAL;
    arr = payload(&a, true, NULL);
    assert_int_equal(cJSON_GetArraySize(arr), 3);
    for (i = 0; i < 2; i++) {
        const cJSON *x = cJSON_GetArrayItem(arr, i);

        assert_string_equal(label(x, "severity"), i == 0 ? "watch" : "warning");
        assert_string_equal(field(x, "endsAt"), "2026-11-25T09:48:20.000Z");
    }
    assert_string_equal(label(cJSON_GetArrayItem(arr, 2), "severity"), "critical");
    assert_string_equal(field(cJSON_GetArrayItem(arr, 2), "endsAt"), "2026-11-25T09:52:20.000Z");
    cJSON_Delete(arr);
    /* a resend carries only the alert itself */
    arr = payload(&a, false, NULL);
    assert_int_equal(cJSON_GetArraySize(arr), 1);
    cJSON_Delete(arr);
}

/* Cleared: resolved at the time it cleared, not at the post's. */
static void test_alertmanager_payload_cleared(void **state)
{
    struct fusion_alert a = sample(5, 4, FUSION_CLEARED);
    cJSON *arr;
    const cJSON *x;

    (void)state;
    arr = payload(&a, true, NULL);
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    x = cJSON_GetArrayItem(arr, 1);
    assert_string_equal(label(x, "severity"), "warning");
    assert_string_equal(field(x, "endsAt"), "2026-11-25T09:46:40.004Z");
    cJSON_Delete(arr);
}

static void test_alertmanager_payload_ack(void **state)
{
    struct fusion_alert a = sample(5, 2, FUSION_UPDATE);
    struct alertmanager__ctx ctx = {"park", NULL, NOW_MS, 240000};
    char *json = alert_json(&a, "gw-1");
    cJSON *j = cJSON_Parse(json);
    cJSON *ack = cJSON_AddObjectToObject(j, "ack");
    cJSON *arr = cJSON_CreateArray();
    char *text;

    (void)state;
    assert_non_null(cJSON_AddStringToObject(ack, "by", "amina"));
    assert_non_null(cJSON_AddStringToObject(ack, "time", "2026-11-25T09:47:00.000Z"));
    text = cJSON_PrintUnformatted(j);
    assert_int_equal(alertmanager__payload_add(arr, text, false, &ctx), 0);
    assert_string_equal(annotation(cJSON_GetArrayItem(arr, 0), "ack"),
                        "acknowledged by amina at 2026-11-25T09:47:00.000Z");
    cJSON_free(text);
    cJSON_free(json);
    cJSON_Delete(j);
    cJSON_Delete(arr);
}

static void test_alertmanager_payload_not_an_alert(void **state)
{
    static const char *const bad[] = {
        "",
        "not json",
        "[]",
        "{}",
        "{\"id\":1,\"class\":\"elephant\"}",
        /* a level Alertmanager would not know */
        "{\"id\":1,\"class\":\"e\",\"zone\":\"z\",\"key\":\"z\",\"rule\":\"r\",\"level\":\"loud\","
        "\"state\":\"open\",\"message\":\"m\",\"gateway\":\"g\",\"time\":\"2026-11-25T09:46:40Z\","
        "\"last_seen\":\"2026-11-25T09:46:40Z\",\"first_seen\":\"2026-11-25T09:46:40Z\"}",
        /* first_seen not a time */
        "{\"id\":1,\"class\":\"e\",\"zone\":\"z\",\"key\":\"z\",\"rule\":\"r\",\"level\":\"watch\","
        "\"state\":\"open\",\"message\":\"m\",\"gateway\":\"g\",\"time\":\"2026-11-25T09:46:40Z\","
        "\"last_seen\":\"2026-11-25T09:46:40Z\",\"first_seen\":\"yesterday\"}",
    };
    struct alertmanager__ctx ctx = {"park", NULL, NOW_MS, 240000};
    cJSON *arr = cJSON_CreateArray();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(alertmanager__payload_add(arr, bad[i], true, &ctx), -EINVAL);
        assert_int_equal(cJSON_GetArraySize(arr), 0);
    }
    cJSON_Delete(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alertmanager_payload_labels_and_annotations),
        cmocka_unit_test(test_alertmanager_payload_no_position),
        cmocka_unit_test(test_alertmanager_payload_generator_url),
        cmocka_unit_test(test_alertmanager_payload_resolves_lower_levels),
        cmocka_unit_test(test_alertmanager_payload_cleared),
        cmocka_unit_test(test_alertmanager_payload_ack),
        cmocka_unit_test(test_alertmanager_payload_not_an_alert),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
