/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/alert/fusion_persistence.c, through fusion.h: k of the last n anomaly
 * summaries, the critical score and anomalous_ratio, on a fake clock (fusion_fixture.h).
 */
#include "daemon/fusion_fixture.h"

static void test_fusion_turbine_k_of_n_and_critical_score(void **state)
{
    struct fixture *fx = setup();
    const struct fusion_alert *a;
    int64_t t = T0;
    static const uint8_t pattern[] = {1, 0, 0, 0, 0, 1, 1}; /* last 5: 0 0 0 1 1 */
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(pattern); i++) {
        assert_int_equal(anomaly(fx, 0x0A1B2C3D, pattern[i], 100, t), 0);
        t += 600 * SEC;
    }
    assert_int_equal(fx->rec.len, 0);
    /* Third anomalous one among the last 5 (0 0 1 1 1): warning. */
    assert_int_equal(anomaly(fx, 0x0A1B2C3D, 2, 120, t), 0);
    assert_int_equal(fx->rec.len, 1);
    a = last(&fx->rec);
    assert_int_equal(a->state, FUSION_OPEN);
    assert_int_equal(a->level, FUSION_WARNING);
    assert_int_equal(a->kind, FUSION_KIND_PERSISTENCE);
    assert_string_equal(a->class_name, "machine_anomaly");
    assert_string_equal(a->key, "0A1B2C3D");
    assert_string_equal(a->zone, "plant");
    assert_string_equal(a->rule, "turbine");
    assert_int_equal(a->node_count, 1);
    assert_int_equal(a->nodes[0], 0x0A1B2C3D);
    assert_int_equal(a->detections, 3);
    near(a->confidence, 120.0 / 255.0);
    assert_string_equal(a->message, "Machine anomaly on node 0A1B2C3D in zone plant: 3 of the "
                                    "last 5 summaries anomalous, peak score 0.47 (warning)");
    /* score_max 230/255 = 0.902 > 0.9: critical at once. */
    t += 600 * SEC;
    assert_int_equal(anomaly(fx, 0x0A1B2C3D, 1, 230, t), 0);
    a = last(&fx->rec);
    assert_int_equal(a->state, FUSION_ESCALATE);
    assert_int_equal(a->level, FUSION_CRITICAL);
    assert_int_equal(a->seq, 2);
    assert_int_equal(a->detections, 4);
    /* Another node: a single summary over the critical score opens critical; exactly 0.9
     * (229.5 is not a byte: 229 = 0.898) does not. */
    assert_int_equal(anomaly(fx, 0x00000002, 1, 229, t), 0);
    assert_int_equal(fx->rec.len, 2);
    assert_int_equal(anomaly(fx, 0x00000003, 1, 240, t), 0);
    assert_int_equal(last(&fx->rec)->level, FUSION_CRITICAL);
    assert_string_equal(last(&fx->rec)->key, "00000003");
    /* Quiet (no anomalous summary) for clear_after_s = 3600 s clears; normal ones do not
     * count as input. */
    assert_int_equal(anomaly(fx, 0x0A1B2C3D, 0, 10, t + 1800 * SEC), 0);
    assert_int_equal(tick(fx, t + 3599 * SEC), 0);
    assert_int_equal(last(&fx->rec)->state, FUSION_OPEN);
    assert_int_equal(tick(fx, t + 3600 * SEC), 0);
    assert_int_equal(active_count(fx), 0);
    assert_int_equal(last(&fx->rec)->state, FUSION_CLEARED);
    /* The ring was emptied: one anomalous summary now opens nothing. */
    assert_int_equal(anomaly(fx, 0x0A1B2C3D, 1, 100, t + 3700 * SEC), 0);
    assert_int_equal(active_count(fx), 0);
    teardown(fx);
}

/* [rule.*] anomalous_ratio: a summary counts only when more than that share of its windows
 * were anomalous (2 of 10 is not above 0.2; 3 of 10 is). */
static void test_fusion_turbine_anomalous_ratio(void **state)
{
    struct fixture *fx = setup();
    int i;

    (void)state;
    fx->cfg.rules[2].anomalous_ratio = 0.2;
    assert_int_equal(fusion_set_config(fx->f, &fx->cfg, T0), 0);
    for (i = 0; i < 3; i++) {
        assert_int_equal(anomaly(fx, 0x0B000001, 2, 100, T0 + i * 600 * SEC), 0);
    }
    assert_int_equal(fx->rec.len, 0);
    for (i = 3; i < 5; i++) {
        assert_int_equal(anomaly(fx, 0x0B000001, 3, 100, T0 + i * 600 * SEC), 0);
    }
    assert_int_equal(fx->rec.len, 0);
    assert_int_equal(anomaly(fx, 0x0B000001, 3, 100, T0 + 5 * 600 * SEC), 0);
    assert_int_equal(fx->rec.len, 1);
    assert_int_equal(last(&fx->rec)->level, FUSION_WARNING);
    assert_int_equal(last(&fx->rec)->detections, 3);
    teardown(fx);
}

/* A node still learning its machine (health version 2) raises no machine_anomaly alert, even
 * from summaries that would open a critical one, and they do not count later; once it says it
 * is ready it is judged; learning again forgets what was counted. */
static void test_fusion_turbine_learning_node_raises_nothing(void **state)
{
    struct fixture *fx = setup();
    struct fusion_node n = node_in(0x0C000001, "plant");
    int64_t t = T0;
    int i;

    (void)state;
    assert_int_equal(fusion_learning(fx->f, &n, true, t), 0);
    for (i = 0; i < 6; i++) {
        assert_int_equal(anomaly(fx, 0x0C000001, 10, 250, t), 0);
        t += 600 * SEC;
    }
    assert_int_equal(fx->rec.len, 0);
    assert_int_equal(active_count(fx), 0);
    /* Ready: two anomalous summaries are not yet 3 of 5 (the learning ones did not count). */
    assert_int_equal(fusion_learning(fx->f, &n, false, t), 0);
    assert_int_equal(anomaly(fx, 0x0C000001, 3, 100, t), 0);
    assert_int_equal(anomaly(fx, 0x0C000001, 3, 100, t + 600 * SEC), 0);
    assert_int_equal(fx->rec.len, 0);
    /* Learning again (a relearn) forgets those two: two more still open nothing. */
    assert_int_equal(fusion_learning(fx->f, &n, true, t + 700 * SEC), 0);
    assert_int_equal(fusion_learning(fx->f, &n, false, t + 800 * SEC), 0);
    assert_int_equal(anomaly(fx, 0x0C000001, 3, 100, t + 1200 * SEC), 0);
    assert_int_equal(anomaly(fx, 0x0C000001, 3, 100, t + 1800 * SEC), 0);
    assert_int_equal(fx->rec.len, 0);
    /* The third after it opens the warning as for any node. */
    assert_int_equal(anomaly(fx, 0x0C000001, 3, 100, t + 2400 * SEC), 0);
    assert_int_equal(fx->rec.len, 1);
    assert_int_equal(last(&fx->rec)->level, FUSION_WARNING);
    assert_int_equal(fusion_learning(NULL, &n, true, t), -EINVAL);
    teardown(fx);
}

/* At a restart the registry hands back who was learning (fusion_node_learning_known()): such
 * a node's summaries open nothing until a health message says it is ready; an unknown node
 * is refused. */
static void test_fusion_turbine_learning_known_at_start(void **state)
{
    struct fixture *fx = setup();
    struct fusion_node n = node_in(0x0C000002, "plant");
    int i;

    (void)state;
    assert_int_equal(fusion_node_learning_known(fx->f, 0x0C000002, true), -ENOENT);
    assert_int_equal(fusion_node_known(fx->f, &n, T0 - 60 * SEC, T0), 0);
    assert_int_equal(fusion_node_learning_known(fx->f, 0x0C000002, true), 0);
    for (i = 0; i < 6; i++) {
        assert_int_equal(anomaly(fx, 0x0C000002, 10, 250, T0 + (int64_t)i * 600 * SEC), 0);
    }
    assert_int_equal(fx->rec.len, 0);
    assert_int_equal(fusion_learning(fx->f, &n, false, T0 + 3700 * SEC), 0);
    assert_int_equal(anomaly(fx, 0x0C000002, 10, 250, T0 + 3800 * SEC), 0);
    assert_int_equal(fx->rec.len, 1);
    assert_int_equal(last(&fx->rec)->level, FUSION_CRITICAL);
    assert_int_equal(fusion_node_learning_known(NULL, 0x0C000002, true), -EINVAL);
    teardown(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fusion_turbine_k_of_n_and_critical_score),
        cmocka_unit_test(test_fusion_turbine_anomalous_ratio),
        cmocka_unit_test(test_fusion_turbine_learning_node_raises_nothing),
        cmocka_unit_test(test_fusion_turbine_learning_known_at_start),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
