/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/alert/fusion_health.c, through fusion.h: node_offline and battery_low
 * alerts, and a removed node's alerts, on a fake clock (fusion_fixture.h).
 */
#include "daemon/fusion_fixture.h"

static void test_fusion_offline_and_heard_again(void **state)
{
    struct fixture *fx = setup();
    struct fusion_node n = node_in(0x0A1B2C3D, "village");
    struct fusion_node never = node_in(0x00000009, NULL);
    const struct fusion_alert *a;

    (void)state;
    assert_int_equal(fusion_node_known(fx->f, &n, T0, T0 + 100 * SEC), 0);
    assert_int_equal(fusion_node_known(fx->f, &never, 0, T0 + 100 * SEC), 0);
    assert_int_equal(tick(fx, T0 + 3600 * SEC), 0);
    assert_int_equal(fx->rec.len, 0);
    assert_int_equal(tick(fx, T0 + 3600 * SEC + 1), 0);
    assert_int_equal(fx->rec.len, 1);
    a = last(&fx->rec);
    assert_int_equal(a->state, FUSION_OPEN);
    assert_int_equal(a->kind, FUSION_KIND_OFFLINE);
    assert_string_equal(a->class_name, "node_offline");
    assert_string_equal(a->key, "0A1B2C3D");
    assert_string_equal(a->zone, "village");
    assert_string_equal(a->rule, "health");
    assert_int_equal(a->level, FUSION_WARNING);
    assert_int_equal(a->last_seen_ms, T0);
    assert_string_equal(a->message, "Node 0A1B2C3D in zone village is offline: not heard for "
                                    "60 min");
    /* The never-seen node counts from when it was made known (T0 + 100 s). */
    assert_int_equal(tick(fx, T0 + 3700 * SEC), 0);
    assert_int_equal(fx->rec.len, 1);
    assert_int_equal(tick(fx, T0 + 3700 * SEC + 1), 0);
    assert_int_equal(fx->rec.len, 2);
    assert_string_equal(last(&fx->rec)->key, "00000009");
    assert_string_equal(last(&fx->rec)->zone, FUSION_UNZONED);
    /* Ticks while they stay silent change nothing. */
    assert_int_equal(tick(fx, T0 + 5000 * SEC), 0);
    assert_int_equal(fx->rec.len, 2);
    /* Any frame from it clears, inside that call. */
    assert_int_equal(fusion_seen(fx->f, &n, T0 + 6000 * SEC), 0);
    a = last(&fx->rec);
    assert_int_equal(a->state, FUSION_CLEARED);
    assert_int_equal(a->seq, 2);
    assert_string_equal(a->key, "0A1B2C3D");
    assert_string_equal(a->message, "Node 0A1B2C3D in zone village is heard again");
    assert_int_equal(active_count(fx), 1);
    teardown(fx);
}

static void test_fusion_battery_low(void **state)
{
    struct fixture *fx = setup();
    struct fusion_node n = node_in(0x0A1B2C3D, "village");
    const struct fusion_alert *a;

    (void)state;
    assert_int_equal(fusion_health(fx->f, &n, 3301, T0), 0);
    assert_int_equal(fx->rec.len, 0);
    assert_int_equal(fusion_health(fx->f, &n, 3300, T0 + 3600 * SEC), 0);
    assert_int_equal(fx->rec.len, 1);
    a = last(&fx->rec);
    assert_int_equal(a->kind, FUSION_KIND_BATTERY);
    assert_string_equal(a->class_name, "battery_low");
    assert_int_equal(a->level, FUSION_WATCH);
    assert_string_equal(a->key, "0A1B2C3D");
    assert_string_equal(a->message, "Battery low on node 0A1B2C3D in zone village: 3300 mV "
                                    "(threshold 3300 mV)");
    assert_int_equal(fusion_health(fx->f, &n, 3200, T0 + 7200 * SEC), 0);
    assert_int_equal(fx->rec.len, 1);
    assert_int_equal(fusion_health(fx->f, &n, 3650, T0 + 10800 * SEC), 0);
    assert_int_equal(fx->rec.len, 2);
    a = last(&fx->rec);
    assert_int_equal(a->state, FUSION_CLEARED);
    assert_int_equal(a->seq, 2);
    assert_int_equal(a->detections, 2);
    assert_string_equal(a->message, "Battery of node 0A1B2C3D in zone village is back to 3650 mV");
    teardown(fx);
}

static void test_fusion_node_forget_clears_its_alerts(void **state)
{
    struct fixture *fx = setup();
    struct fusion_node n = node_in(7, "village");

    (void)state;
    assert_int_equal(fusion_health(fx->f, &n, 3000, T0), 0);
    assert_int_equal(active_count(fx), 1);
    assert_int_equal(fusion_node_forget(fx->f, 7, T0 + SEC), 0);
    assert_int_equal(last(&fx->rec)->state, FUSION_CLEARED);
    assert_int_equal(active_count(fx), 0);
    assert_int_equal(fusion_node_forget(fx->f, 7, T0 + SEC), -ENOENT);
    /* Forgotten: no offline alert for it later. */
    assert_int_equal(tick(fx, T0 + 10000 * SEC), 0);
    assert_int_equal(active_count(fx), 0);
    teardown(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fusion_offline_and_heard_again),
        cmocka_unit_test(test_fusion_battery_low),
        cmocka_unit_test(test_fusion_node_forget_clears_its_alerts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
