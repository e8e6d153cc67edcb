/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/alert/fusion_cluster.c, through fusion.h: cluster rules on a fake
 * clock (fusion_fixture.h). Levels from the window's nodes and zones, the lifecycle of a
 * cluster alert (escalate, rate-limited update, quiet clearing, no de-escalation, seq
 * without gaps) and its position.
 */
#include "daemon/fusion_fixture.h"

static void test_fusion_two_nodes_in_zone_warning(void **state)
{
    struct fixture *fx = setup();
    const struct fusion_alert *a;
    double fused = 1.0 - (1.0 - p(P060)) * (1.0 - p(P060));

    (void)state;
    assert_int_equal(detect(fx, 0x0A000001, "reserve", 1, P060, T0), 0);
    assert_int_equal(fx->rec.len, 1);
    a = last(&fx->rec);
    assert_int_equal(a->state, FUSION_OPEN);
    assert_int_equal(a->level, FUSION_WATCH);
    assert_int_equal(a->id, 1);
    assert_int_equal(a->seq, 1);
    assert_int_equal(a->kind, FUSION_KIND_CLUSTER);
    assert_string_equal(a->class_name, "elephant");
    assert_string_equal(a->zone, "reserve");
    assert_string_equal(a->key, "reserve");
    assert_string_equal(a->rule, "elephant");
    assert_int_equal(a->time_ms, T0);
    assert_string_equal(a->message, "Elephant detected by 1 node in zone reserve (watch, "
                                    "confidence 0.60)");
    /* A second node 10 s later, inside the 120 s window: 2 nodes, fused 0.84 >= 0.75. */
    assert_int_equal(detect(fx, 0x0A000002, "reserve", 1, P060, T0 + 10 * SEC), 0);
    assert_int_equal(fx->rec.len, 2);
    a = last(&fx->rec);
    assert_int_equal(a->state, FUSION_ESCALATE);
    assert_int_equal(a->level, FUSION_WARNING);
    assert_int_equal(a->id, 1);
    assert_int_equal(a->seq, 2);
    near(a->confidence, fused);
    assert_int_equal(a->node_count, 2);
    assert_int_equal(a->nodes[0], 0x0A000001);
    assert_int_equal(a->nodes[1], 0x0A000002);
    assert_int_equal(a->detections, 2);
    assert_int_equal(a->first_seen_ms, T0);
    assert_int_equal(a->last_seen_ms, T0 + 10 * SEC);
    assert_false(a->has_position);
    assert_string_equal(a->message, "Elephant detected by 2 nodes in zone reserve (warning, "
                                    "confidence 0.84)");
    teardown(fx);
}

static void test_fusion_two_nodes_outside_window_stay_watch(void **state)
{
    struct fixture *fx = setup();

    (void)state;
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0), 0);
    /* 120 s later the first detection has left the window: one node in it, still watch. */
    assert_int_equal(detect(fx, 2, "reserve", 1, P060, T0 + 120 * SEC), 0);
    assert_int_equal(active(fx, "elephant", "reserve").level, FUSION_WATCH);
    assert_int_equal(fx->rec.a[0].state, FUSION_OPEN);
    teardown(fx);
}

static void test_fusion_same_node_twice_still_watch(void **state)
{
    struct fixture *fx = setup();
    struct fusion_alert a;

    (void)state;
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0), 0);
    assert_int_equal(detect(fx, 1, "reserve", 1, P090, T0 + 5 * SEC), 0);
    assert_int_equal(detect(fx, 1, "reserve", 1, P090, T0 + 50 * SEC), 0);
    a = active(fx, "elephant", "reserve");
    assert_int_equal(a.level, FUSION_WATCH);
    assert_int_equal(a.node_count, 1);
    /* Only its confidence rose (0.60 -> 0.90): one update once 30 s had passed. */
    assert_int_equal(fx->rec.len, 2);
    assert_int_equal(fx->rec.a[1].state, FUSION_UPDATE);
    assert_int_equal(fx->rec.a[1].level, FUSION_WATCH);
    near(fx->rec.a[1].confidence, p(P090));
    assert_int_equal(fx->rec.a[1].detections, 3);
    teardown(fx);
}

static void test_fusion_two_zones_two_alerts(void **state)
{
    struct fixture *fx = setup();
    struct fusion_alert a;
    struct fusion_alert b;

    (void)state;
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0), 0);
    assert_int_equal(detect(fx, 2, "railway", 1, P060, T0 + SEC), 0);
    assert_int_equal(active_count(fx), 2);
    a = active(fx, "elephant", "reserve");
    b = active(fx, "elephant", "railway");
    assert_int_not_equal(a.id, b.id);
    assert_int_equal(a.level, FUSION_WATCH);
    assert_int_equal(b.level, FUSION_WATCH);
    assert_int_equal(a.node_count, 1);
    assert_int_equal(b.node_count, 1);
    teardown(fx);
}

static void test_fusion_quiet_clears_then_new_id(void **state)
{
    struct fixture *fx = setup();
    const struct fusion_alert *a;

    (void)state;
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0), 0);
    assert_int_equal(detect(fx, 2, "reserve", 1, P060, T0 + 100 * SEC), 0);
    assert_int_equal(fx->rec.len, 2);
    /* Quiet is counted from the last detection: 600 s after T0 + 100 s. */
    assert_int_equal(tick(fx, T0 + 699 * SEC), 0);
    assert_int_equal(fx->rec.len, 2);
    assert_int_equal(tick(fx, T0 + 700 * SEC), 0);
    assert_int_equal(fx->rec.len, 3);
    a = last(&fx->rec);
    assert_int_equal(a->state, FUSION_CLEARED);
    assert_int_equal(a->id, 1);
    assert_int_equal(a->seq, 3);
    assert_int_equal(a->level, FUSION_WARNING); /* the level it reached */
    assert_string_equal(a->message, "Elephant alert in zone reserve cleared: no detection for "
                                    "600 s (was warning, confidence 0.84)");
    assert_int_equal(active_count(fx), 0);
    /* A new detection opens a new alert. */
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0 + 701 * SEC), 0);
    a = last(&fx->rec);
    assert_int_equal(a->state, FUSION_OPEN);
    assert_int_equal(a->id, 2);
    assert_int_equal(a->seq, 1);
    assert_int_equal(a->level, FUSION_WATCH);
    assert_int_equal(a->node_count, 1);
    teardown(fx);
}

static void test_fusion_critical_zone_is_critical(void **state)
{
    struct fixture *fx = setup();

    (void)state;
    /* village is critical: a warning there is critical. */
    assert_int_equal(detect(fx, 1, "village", 1, P060, T0), 0);
    assert_int_equal(last(&fx->rec)->level, FUSION_WATCH);
    assert_int_equal(detect(fx, 2, "village", 1, P060, T0 + SEC), 0);
    assert_int_equal(last(&fx->rec)->state, FUSION_ESCALATE);
    assert_int_equal(last(&fx->rec)->level, FUSION_CRITICAL);
    /* The same in the non-critical reserve is a warning. */
    assert_int_equal(detect(fx, 3, "reserve", 1, P060, T0), 0);
    assert_int_equal(detect(fx, 4, "reserve", 1, P060, T0 + SEC), 0);
    assert_int_equal(last(&fx->rec)->level, FUSION_WARNING);
    teardown(fx);
}

static void test_fusion_fused_over_critical_is_critical(void **state)
{
    struct fixture *fx = setup();

    (void)state;
    /* One node at 0.98 is only watch: critical needs min_nodes (2) nodes like warning. */
    assert_int_equal(detect(fx, 1, "reserve", 1, P098, T0), 0);
    assert_int_equal(last(&fx->rec)->level, FUSION_WATCH);
    /* 0.98 and 0.90: fused 0.998 >= 0.95. */
    assert_int_equal(detect(fx, 2, "reserve", 1, P090, T0 + SEC), 0);
    assert_int_equal(last(&fx->rec)->state, FUSION_ESCALATE);
    assert_int_equal(last(&fx->rec)->level, FUSION_CRITICAL);
    near(last(&fx->rec)->confidence, 1.0 - (1.0 - p(P098)) * (1.0 - p(P090)));
    /* whale has min_nodes 1: one node at 0.90 >= its critical 0.9 opens critical. */
    assert_int_equal(detect(fx, 3, "reserve", 2, P090 + 1, T0), 0);
    assert_int_equal(last(&fx->rec)->state, FUSION_OPEN);
    assert_int_equal(last(&fx->rec)->level, FUSION_CRITICAL);
    assert_string_equal(last(&fx->rec)->class_name, "whale");
    teardown(fx);
}

static void test_fusion_below_watch_opens_nothing(void **state)
{
    struct fixture *fx = setup();

    (void)state;
    /* 0.30 < watch 0.5; unknown class 5 has no rule. */
    assert_int_equal(detect(fx, 1, "reserve", 1, P030, T0), 0);
    assert_int_equal(detect(fx, 2, "reserve", 5, P090, T0), 0);
    assert_int_equal(fx->rec.len, 0);
    /* Two nodes at 0.30 + 0.60: fused 0.72 < 0.75 -> watch (from the 0.60 one). */
    assert_int_equal(detect(fx, 3, "reserve", 1, P060, T0 + SEC), 0);
    assert_int_equal(last(&fx->rec)->level, FUSION_WATCH);
    assert_int_equal(last(&fx->rec)->node_count, 2);
    teardown(fx);
}

static void test_fusion_stale_detection_ignored(void **state)
{
    struct fixture *fx = setup();
    struct fusion_node n = node_in(1, "reserve");
    struct fusion_stats st;

    (void)state;
    /* Detected 120 s before it arrived: outside the 120 s window. */
    assert_int_equal(fusion_detection(fx->f, &n, 1, P090, T0 - 120 * SEC, T0), 0);
    assert_int_equal(fx->rec.len, 0);
    fusion_get_stats(fx->f, &st);
    assert_int_equal(st.stale, 1);
    /* 119 s old: inside. Its time is the alert's first_seen. */
    assert_int_equal(fusion_detection(fx->f, &n, 1, P090, T0 - 119 * SEC, T0), 0);
    assert_int_equal(fx->rec.len, 1);
    assert_int_equal(last(&fx->rec)->first_seen_ms, T0 - 119 * SEC);
    teardown(fx);
}

static void test_fusion_no_deescalation(void **state)
{
    struct fixture *fx = setup();
    struct fusion_alert a;

    (void)state;
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0), 0);
    assert_int_equal(detect(fx, 2, "reserve", 1, P060, T0 + SEC), 0);
    assert_int_equal(last(&fx->rec)->level, FUSION_WARNING);
    /* The window empties; one weak node alone would only be watch. */
    assert_int_equal(tick(fx, T0 + 200 * SEC), 0);
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0 + 300 * SEC), 0);
    assert_int_equal(fx->rec.len, 2);
    a = active(fx, "elephant", "reserve");
    assert_int_equal(a.level, FUSION_WARNING);
    /* A third node: an update, still warning. */
    assert_int_equal(detect(fx, 3, "reserve", 1, P030, T0 + 301 * SEC), 0);
    assert_int_equal(fx->rec.len, 3);
    assert_int_equal(last(&fx->rec)->state, FUSION_UPDATE);
    assert_int_equal(last(&fx->rec)->level, FUSION_WARNING);
    assert_int_equal(last(&fx->rec)->node_count, 3);
    teardown(fx);
}

static void test_fusion_update_rate_limited(void **state)
{
    struct fixture *fx = setup();

    (void)state;
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0), 0);
    /* A second, weak node 5 s later: 0.68 < 0.75, no escalation, a change to publish. */
    assert_int_equal(detect(fx, 2, "reserve", 1, P020, T0 + 5 * SEC), 0);
    assert_int_equal(fx->rec.len, 1);
    assert_int_equal(tick(fx, T0 + 29 * SEC), 0);
    assert_int_equal(fx->rec.len, 1);
    assert_int_equal(tick(fx, T0 + 30 * SEC), 0);
    assert_int_equal(fx->rec.len, 2);
    assert_int_equal(last(&fx->rec)->state, FUSION_UPDATE);
    assert_int_equal(last(&fx->rec)->node_count, 2);
    assert_int_equal(last(&fx->rec)->time_ms, T0 + 30 * SEC);
    /* The interval counts from that update: a change at +31 s (fused 0.744, still watch)
     * waits until +60 s. */
    assert_int_equal(detect(fx, 3, "reserve", 1, P020, T0 + 31 * SEC), 0);
    assert_int_equal(fx->rec.len, 2);
    assert_int_equal(tick(fx, T0 + 59 * SEC), 0);
    assert_int_equal(fx->rec.len, 2);
    assert_int_equal(detect(fx, 3, "reserve", 1, P020, T0 + 60 * SEC), 0);
    assert_int_equal(fx->rec.len, 3);
    assert_int_equal(last(&fx->rec)->state, FUSION_UPDATE);
    assert_int_equal(last(&fx->rec)->level, FUSION_WATCH);
    assert_int_equal(last(&fx->rec)->node_count, 3);
    assert_int_equal(last(&fx->rec)->detections, 4);
    /* Nothing changed since: ticks publish nothing more. */
    assert_int_equal(tick(fx, T0 + 200 * SEC), 0);
    assert_int_equal(fx->rec.len, 3);
    teardown(fx);
}

static void test_fusion_seq_without_gaps(void **state)
{
    struct fixture *fx = setup();
    size_t i;
    int64_t t = T0;
    uint32_t dev;

    (void)state;
    /* Many nodes trickle in over 10 minutes in a critical zone, then quiet. */
    for (dev = 1; dev <= 20; dev++) {
        assert_int_equal(detect(fx, dev, "railway", 1, dev % 3 == 0 ? P060 : P030, t), 0);
        t += 29 * SEC;
        assert_int_equal(tick(fx, t), 0);
    }
    assert_int_equal(tick(fx, t + 601 * SEC), 0);
    assert_true(fx->rec.len >= 5);
    assert_int_equal(fx->rec.a[0].state, FUSION_OPEN);
    assert_int_equal(last(&fx->rec)->state, FUSION_CLEARED);
    for (i = 0; i < fx->rec.len; i++) {
        assert_int_equal(fx->rec.a[i].id, 1);
        assert_int_equal(fx->rec.a[i].seq, i + 1);
        if (i > 0) {
            assert_true(fx->rec.a[i].level >= fx->rec.a[i - 1].level);
            assert_true(fx->rec.a[i].time_ms >= fx->rec.a[i - 1].time_ms);
        }
    }
    teardown(fx);
}

static void test_fusion_position_centroid_and_zone_lookup(void **state)
{
    struct fixture *fx = setup();
    struct fusion_node a = node_at(1, -2.70, 37.20); /* both in the reserve circle */
    struct fusion_node b = node_at(2, -2.72, 37.26);
    struct fusion_node c = node_at(3, 10.0, 10.0);           /* in no zone */
    struct fusion_node d = node_at(4, -2.6530, 37.2600);     /* village centre, inside reserve */
    struct fusion_node e = {5, true, 10.0, 10.0, "reserve"}; /* registry wins */
    const struct fusion_alert *al;
    double wa = p(P090);
    double wb = p(P060);

    (void)state;
    assert_int_equal(fusion_detection(fx->f, &a, 1, P090, T0, T0), 0);
    assert_int_equal(fusion_detection(fx->f, &b, 1, P060, T0, T0), 0);
    al = last(&fx->rec);
    assert_string_equal(al->zone, "reserve");
    assert_true(al->has_position);
    near(al->lat, (wa * -2.70 + wb * -2.72) / (wa + wb));
    near(al->lon, (wa * 37.20 + wb * 37.26) / (wa + wb));
    assert_int_equal(fusion_detection(fx->f, &c, 2, P090, T0, T0), 0);
    assert_string_equal(last(&fx->rec)->zone, FUSION_UNZONED);
    assert_string_equal(last(&fx->rec)->key, "unzoned");
    /* The first zone in config order: village is listed before reserve. */
    assert_int_equal(fusion_detection(fx->f, &d, 2, P090, T0, T0), 0);
    assert_string_equal(last(&fx->rec)->zone, "village");
    assert_int_equal(fusion_detection(fx->f, &e, 2, P090, T0, T0), 0);
    assert_string_equal(last(&fx->rec)->zone, "reserve");
    near(last(&fx->rec)->lat, 10.0);
    teardown(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fusion_two_nodes_in_zone_warning),
        cmocka_unit_test(test_fusion_two_nodes_outside_window_stay_watch),
        cmocka_unit_test(test_fusion_same_node_twice_still_watch),
        cmocka_unit_test(test_fusion_two_zones_two_alerts),
        cmocka_unit_test(test_fusion_quiet_clears_then_new_id),
        cmocka_unit_test(test_fusion_critical_zone_is_critical),
        cmocka_unit_test(test_fusion_fused_over_critical_is_critical),
        cmocka_unit_test(test_fusion_below_watch_opens_nothing),
        cmocka_unit_test(test_fusion_stale_detection_ignored),
        cmocka_unit_test(test_fusion_no_deescalation),
        cmocka_unit_test(test_fusion_update_rate_limited),
        cmocka_unit_test(test_fusion_seq_without_gaps),
        cmocka_unit_test(test_fusion_position_centroid_and_zone_lookup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
