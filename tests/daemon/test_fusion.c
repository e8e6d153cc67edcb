/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/alert/fusion.c, through fusion.h: what every rule shares. Refused
 * transitions leave the alert as it was, a SIGHUP reload keeps and clears alerts, every bound
 * holds, and the level and state names (fusion_fixture.h has the fake clock and recorder).
 */
#include "daemon/fusion_fixture.h"

static void test_fusion_emit_failure_leaves_state(void **state)
{
    struct fixture *fx = setup();
    struct fusion_stats st;
    struct fusion_alert a;

    (void)state;
    /* The opening is refused: no alert, no id used; the detection stays in the window. */
    fx->rec.fail = 1;
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0), -EIO);
    assert_int_equal(active_count(fx), 0);
    assert_int_equal(fusion_next_id(fx->f), 1);
    assert_int_equal(tick(fx, T0 + SEC), 0);
    assert_int_equal(fx->rec.len, 1);
    assert_int_equal(fx->rec.a[0].state, FUSION_OPEN);
    assert_int_equal(fx->rec.a[0].id, 1);
    assert_int_equal(fx->rec.a[0].seq, 1);
    assert_int_equal(fx->rec.a[0].first_seen_ms, T0);
    /* The escalation is refused twice: the alert stays watch at seq 1 ... */
    fx->rec.fail = 2;
    assert_int_equal(detect(fx, 2, "reserve", 1, P060, T0 + 2 * SEC), -EIO);
    a = active(fx, "elephant", "reserve");
    assert_int_equal(a.level, FUSION_WATCH);
    assert_int_equal(a.seq, 1);
    assert_int_equal(a.node_count, 1);
    assert_int_equal(tick(fx, T0 + 3 * SEC), -EIO);
    /* ... and is published with seq 2, not 3, when it goes through. */
    assert_int_equal(tick(fx, T0 + 4 * SEC), 0);
    assert_int_equal(fx->rec.len, 2);
    assert_int_equal(last(&fx->rec)->state, FUSION_ESCALATE);
    assert_int_equal(last(&fx->rec)->seq, 2);
    assert_int_equal(last(&fx->rec)->level, FUSION_WARNING);
    assert_int_equal(last(&fx->rec)->node_count, 2);
    /* The clearing is refused: still active; the next tick clears with seq 3. */
    fx->rec.fail = 1;
    assert_int_equal(tick(fx, T0 + 602 * SEC), -EIO);
    assert_int_equal(active_count(fx), 1);
    assert_int_equal(tick(fx, T0 + 603 * SEC), 0);
    assert_int_equal(last(&fx->rec)->state, FUSION_CLEARED);
    assert_int_equal(last(&fx->rec)->seq, 3);
    assert_int_equal(active_count(fx), 0);
    fusion_get_stats(fx->f, &st);
    assert_int_equal(st.emit_failures, 4);
    assert_int_equal(st.transitions, 3);
    assert_int_equal(fx->rec.refused, 4);
    teardown(fx);
}

static void test_fusion_emit_failure_health(void **state)
{
    struct fixture *fx = setup();
    struct fusion_node n = node_in(5, "village");

    (void)state;
    fx->rec.fail = 1;
    assert_int_equal(fusion_health(fx->f, &n, 3000, T0), -EIO);
    assert_int_equal(active_count(fx), 0);
    assert_int_equal(tick(fx, T0 + SEC), 0);
    assert_int_equal(active_count(fx), 1);
    fx->rec.fail = 1;
    assert_int_equal(fusion_health(fx->f, &n, 3500, T0 + 2 * SEC), -EIO);
    assert_int_equal(active_count(fx), 1);
    assert_int_equal(tick(fx, T0 + 3 * SEC), 0);
    assert_int_equal(active_count(fx), 0);
    assert_int_equal(last(&fx->rec)->seq, 2);
    teardown(fx);
}

/* ---- reload ---- */

static void test_fusion_set_config_keeps_and_clears(void **state)
{
    struct fixture *fx = setup();
    struct fusion_node n = node_in(0x11, "village");
    struct config_fusion c2;
    const struct fusion_alert *a;

    (void)state;
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0), 0); /* elephant: id 1 */
    assert_int_equal(detect(fx, 2, "reserve", 2, P060, T0), 0); /* whale: id 2 */
    assert_int_equal(fusion_node_known(fx->f, &n, T0 - 3600 * SEC, T0), 0);
    assert_int_equal(tick(fx, T0 + SEC), 0); /* offline: id 3 */
    assert_int_equal(active_count(fx), 3);
    assert_int_equal(fx->rec.len, 3);
    /* The reload renames the elephant rule and turns the offline check off. */
    c2 = fx->cfg;
    strcpy(c2.rules[0].name, "elephant2");
    c2.health.offline_after_s = 0;
    assert_int_equal(fusion_set_config(fx->f, &c2, T0 + 2 * SEC), 0);
    assert_int_equal(fx->rec.len, 5);
    assert_int_equal(active_count(fx), 1);
    a = &fx->rec.a[3];
    assert_int_equal(a->id, 1);
    assert_int_equal(a->state, FUSION_CLEARED);
    assert_string_equal(a->message, "Elephant alert in zone reserve cleared: its rule was "
                                    "removed from the configuration");
    a = &fx->rec.a[4];
    assert_int_equal(a->id, 3);
    assert_int_equal(a->state, FUSION_CLEARED);
    /* The whale alert is kept and goes on with its seq; the renamed rule opens anew. */
    assert_int_equal(detect(fx, 3, "reserve", 2, P090 + 1, T0 + 3 * SEC), 0);
    a = last(&fx->rec);
    assert_int_equal(a->id, 2);
    assert_int_equal(a->seq, 2);
    assert_int_equal(a->state, FUSION_ESCALATE);
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0 + 4 * SEC), 0);
    a = last(&fx->rec);
    assert_int_equal(a->id, 4);
    assert_int_equal(a->seq, 1);
    assert_string_equal(a->rule, "elephant2");
    teardown(fx);
}

/* ---- bounds ---- */

static void test_fusion_cap_on_active_alerts(void **state)
{
    struct fixture *fx = setup_with(2, 0);
    struct fusion_stats st;
    struct fusion_alert a;

    (void)state;
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0), 0);
    assert_int_equal(detect(fx, 2, "village", 1, P060, T0 + 550 * SEC), 0);
    /* A third alert is refused at the cap; its detection waits in the window. */
    assert_int_equal(detect(fx, 3, "railway", 1, P060, T0 + 560 * SEC), 0);
    assert_int_equal(active_count(fx), 2);
    fusion_get_stats(fx->f, &st);
    assert_int_equal(st.refused_cap, 1);
    assert_int_equal(st.active, 2);
    /* The first clears at +600 s: the waiting one opens in the same tick. */
    assert_int_equal(tick(fx, T0 + 600 * SEC), 0);
    assert_int_equal(active_count(fx), 2);
    a = active(fx, "elephant", "railway");
    assert_int_equal(a.first_seen_ms, T0 + 560 * SEC);
    assert_int_equal(a.id, 3);
    /* Windows: at most 2 * 2 (the cleared one's is gone); a fifth pair is dropped. */
    assert_int_equal(detect(fx, 4, "z4", 1, P030, T0 + 601 * SEC), 0);
    assert_int_equal(detect(fx, 5, "z5", 1, P030, T0 + 601 * SEC), 0);
    fusion_get_stats(fx->f, &st);
    assert_int_equal(st.dropped_windows, 0);
    assert_int_equal(detect(fx, 6, "z6", 1, P030, T0 + 601 * SEC), 0);
    fusion_get_stats(fx->f, &st);
    assert_int_equal(st.dropped_windows, 1);
    teardown(fx);
}

static void test_fusion_cap_on_nodes(void **state)
{
    struct fixture *fx = setup_with(0, 2);
    struct fusion_node a = node_in(1, "village");
    struct fusion_node b = node_in(2, "village");
    struct fusion_node c = node_in(3, "village");
    struct fusion_stats st;

    (void)state;
    assert_int_equal(fusion_node_known(fx->f, &a, T0, T0), 0);
    assert_int_equal(fusion_node_known(fx->f, &b, T0, T0), 0);
    assert_int_equal(fusion_node_known(fx->f, &c, T0, T0), -ENOSPC);
    /* The third node gets no health alert, but its detections still count. */
    assert_int_equal(fusion_health(fx->f, &c, 3000, T0), 0);
    assert_int_equal(active_count(fx), 0);
    assert_int_equal(fusion_detection(fx->f, &c, 2, P090, T0, T0), 0);
    assert_int_equal(active_count(fx), 1);
    fusion_get_stats(fx->f, &st);
    assert_int_equal(st.untracked_nodes, 3);
    teardown(fx);
}

static void test_fusion_cap_on_nodes_per_alert_and_window(void **state)
{
    struct fixture *fx = setup();
    struct fusion_alert a;
    struct fusion_stats st;
    uint32_t dev;
    unsigned i;

    (void)state;
    /* 40 nodes: 32 listed, all counted. */
    for (dev = 1; dev <= 40; dev++) {
        assert_int_equal(detect(fx, dev, "reserve", 1, P030, T0), 0);
    }
    assert_int_equal(tick(fx, T0 + 30 * SEC), 0);
    a = active(fx, "elephant", "reserve");
    assert_int_equal(a.node_count, FUSION_ALERT_NODES);
    assert_true(a.nodes_truncated);
    assert_int_equal(a.detections, 40);
    for (i = 0; i < FUSION_ALERT_NODES; i++) {
        assert_int_equal(a.nodes[i], i + 1);
    }
    assert_string_equal(a.message, "Elephant detected by 32+ nodes in zone reserve (critical, "
                                   "confidence 1.00)");
    /* A full window drops its oldest detections. */
    for (i = 0; i < FUSION_WINDOW_MAX + 10; i++) {
        assert_int_equal(detect(fx, 1000, "railway", 1, P030, T0 + 40 * SEC), 0);
    }
    fusion_get_stats(fx->f, &st);
    assert_int_equal(st.window_overflow, 10);
    teardown(fx);
}

static void test_fusion_names(void **state)
{
    (void)state;
    assert_string_equal(fusion_level_name(FUSION_CRITICAL), "critical");
    assert_string_equal(fusion_state_name(FUSION_ESCALATE), "escalate");
    assert_int_equal(fusion_level_parse("watch"), FUSION_WATCH);
    assert_int_equal(fusion_state_parse("cleared"), FUSION_CLEARED);
    assert_int_equal(fusion_level_parse("loud"), -1);
    assert_int_equal(fusion_state_parse(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fusion_emit_failure_leaves_state),
        cmocka_unit_test(test_fusion_emit_failure_health),
        cmocka_unit_test(test_fusion_set_config_keeps_and_clears),
        cmocka_unit_test(test_fusion_cap_on_active_alerts),
        cmocka_unit_test(test_fusion_cap_on_nodes),
        cmocka_unit_test(test_fusion_cap_on_nodes_per_alert_and_window),
        cmocka_unit_test(test_fusion_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
