/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/alert/fusion_restore.c and fusion_replay_detection(), through
 * fusion.h: stored alerts continue after a restart, their windows are refilled, and alerts
 * whose rule is gone are cleared (fusion_fixture.h).
 */
#include "daemon/fusion_fixture.h"

static void test_fusion_restore_continues(void **state)
{
    struct fixture *fx = setup();
    struct fixture *fx2;
    struct fusion_alert stored;
    struct fusion_alert off;
    struct fusion_node n = node_in(0x0A1B2C3D, "village");
    const struct fusion_alert *a;

    (void)state;
    assert_int_equal(detect(fx, 1, "railway", 1, P060, T0), 0);
    assert_int_equal(detect(fx, 2, "railway", 1, P060, T0 + SEC), 0);
    stored = fx->rec.a[1];
    assert_int_equal(stored.seq, 2);
    assert_int_equal(stored.level, FUSION_CRITICAL);
    teardown(fx);

    /* The restarted daemon: the stored alert continues. */
    fx2 = setup();
    assert_int_equal(fusion_node_known(fx2->f, &n, T0, T0 + 400 * SEC), 0);
    assert_int_equal(fusion_restore(fx2->f, &stored), 0);
    assert_int_equal(fusion_restore(fx2->f, &stored), -EEXIST);
    assert_int_equal(fusion_next_id(fx2->f), 2);
    fusion_set_next_id(fx2->f, 1); /* never below an id in use */
    assert_int_equal(fusion_next_id(fx2->f), 2);
    assert_int_equal(active_count(fx2), 1);
    /* A weaker detection joins it: no new alert, no de-escalation, a new node -> update. */
    assert_int_equal(detect(fx2, 3, "railway", 1, P030, T0 + 400 * SEC), 0);
    assert_int_equal(active_count(fx2), 1);
    assert_int_equal(fx2->rec.len, 1);
    a = last(&fx2->rec);
    assert_int_equal(a->id, 1);
    assert_int_equal(a->seq, 3);
    assert_int_equal(a->state, FUSION_UPDATE);
    assert_int_equal(a->level, FUSION_CRITICAL);
    assert_int_equal(a->node_count, 3);
    assert_int_equal(a->detections, 3);
    /* A new alert elsewhere gets the next id. */
    assert_int_equal(detect(fx2, 4, "reserve", 1, P060, T0 + 401 * SEC), 0);
    assert_int_equal(last(&fx2->rec)->id, 2);
    /* Quiet after the last input: cleared with the next seq. */
    assert_int_equal(tick(fx2, T0 + 1000 * SEC), 0);
    a = &fx2->rec.a[2];
    assert_int_equal(a->id, 1);
    assert_int_equal(a->seq, 4);
    assert_int_equal(a->state, FUSION_CLEARED);

    /* An offline alert survives too, and clears when the node is heard. */
    memset(&off, 0, sizeof(off));
    off.id = 9;
    off.seq = 1;
    strcpy(off.class_name, "node_offline");
    strcpy(off.zone, "village");
    strcpy(off.key, "0A1B2C3D");
    strcpy(off.rule, "health");
    off.level = FUSION_WARNING;
    off.state = FUSION_OPEN;
    off.confidence = 1.0;
    off.node_count = 1;
    off.nodes[0] = 0x0A1B2C3D;
    off.first_seen_ms = T0;
    off.last_seen_ms = T0;
    off.time_ms = T0 + 3601 * SEC;
    assert_int_equal(fusion_restore(fx2->f, &off), 0);
    assert_int_equal(fusion_next_id(fx2->f), 10);
    /* Still silent at a tick: it stays (the tick clears the quiet reserve alert, and nodes
     * 3 and 4, silent since T0 + 400 s, go offline). */
    assert_int_equal(tick(fx2, T0 + 5000 * SEC), 0);
    assert_int_equal(active_count(fx2), 3);
    assert_int_equal(active(fx2, "node_offline", "0A1B2C3D").seq, 1);
    (void)active(fx2, "node_offline", "00000003");
    assert_int_equal(fusion_seen(fx2->f, &n, T0 + 5001 * SEC), 0);
    a = last(&fx2->rec);
    assert_int_equal(a->id, 9);
    assert_int_equal(a->seq, 2);
    assert_int_equal(a->state, FUSION_CLEARED);
    /* Bad input. */
    off.state = FUSION_CLEARED;
    assert_int_equal(fusion_restore(fx2->f, &off), -EINVAL);
    off.state = FUSION_OPEN;
    strcpy(off.key, "village");
    assert_int_equal(fusion_restore(fx2->f, &off), -EINVAL);
    teardown(fx2);
}

/* After a restart the restored alert's window is filled again from the stored detections:
 * one node before the restart and a second one after it make a warning, as without the
 * restart. A detection from before the alert opened, or of another zone, is not taken. */
static void test_fusion_replay_refills_the_window(void **state)
{
    struct fixture *fx = setup();
    struct fixture *fx2;
    struct fusion_node a = node_in(1, "reserve");
    struct fusion_node other = node_in(7, "railway");
    struct fusion_alert stored;
    const struct fusion_alert *last_a;

    (void)state;
    assert_int_equal(detect(fx, 1, "reserve", 1, P078, T0), 0);
    stored = fx->rec.a[0];
    assert_int_equal(stored.level, FUSION_WATCH);
    /* As read back from the published JSON: the confidence rounded to its step. */
    stored.confidence = round(stored.confidence / FUSION_CONFIDENCE_STEP) * FUSION_CONFIDENCE_STEP;
    teardown(fx);

    fx2 = setup();
    assert_int_equal(fusion_restore(fx2->f, &stored), 0);
    assert_int_equal(fusion_replay_detection(fx2->f, &a, 1, P078, T0, T0, T0 + 41 * SEC), 0);
    assert_int_equal(
        fusion_replay_detection(fx2->f, &a, 1, P078, T0 - SEC, T0 - SEC, T0 + 41 * SEC), 0);
    assert_int_equal(fusion_replay_detection(fx2->f, &other, 1, P060, T0, T0, T0 + 41 * SEC), 0);
    assert_int_equal(fx2->rec.len, 0); /* replay emits nothing */
    assert_int_equal(active_count(fx2), 1);
    /* Nor does a tick past update_interval_s: the window's confidence is the stored one but
     * for its rounding. */
    assert_int_equal(tick(fx2, T0 + 40 * SEC), 0);
    assert_int_equal(fx2->rec.len, 0);
    assert_int_equal(detect(fx2, 2, "reserve", 1, P030, T0 + 41 * SEC), 0);
    last_a = last(&fx2->rec);
    assert_int_equal(last_a->id, stored.id);
    assert_int_equal(last_a->seq, 2);
    assert_int_equal(last_a->state, FUSION_ESCALATE);
    assert_int_equal(last_a->level, FUSION_WARNING);
    near(last_a->confidence, 1.0 - (1.0 - p(P078)) * (1.0 - p(P030)));
    /* Nothing was opened for railway by the replayed detection of node 7. */
    assert_int_equal(active_count(fx2), 1);
    teardown(fx2);
}

/* The elephant rule with a 5 s window, clearing after 20 s of quiet, and updates at most
 * every 30 s: a second detection 12 s after the first changes no published transition. */
static struct fixture *setup_short_window(void)
{
    struct fixture *fx = setup();

    fx->cfg.rules[0].window_s = 5;
    fx->cfg.rules[0].clear_after_s = 20;
    fx->cfg.rules[0].update_interval_s = 30;
    assert_int_equal(fusion_set_config(fx->f, &fx->cfg, T0), 0);
    return fx;
}

/* Tick each second from @from to @to (seconds after T0); the second of the first clearing,
 * or -1. */
static int64_t cleared_at(struct fixture *fx, int64_t from, int64_t to)
{
    int64_t t;

    for (t = from; t <= to; t++) {
        size_t before = fx->rec.len;

        assert_int_equal(tick(fx, T0 + t * SEC), 0);
        if (fx->rec.len > before && last(&fx->rec)->state == FUSION_CLEARED) {
            return t;
        }
    }
    return -1;
}

/* Detections at t = 0 and t = 12, a restart at t = 25: the alert clears at t = 32, 20 s after
 * its last input, as it does without the restart, not at once because its last published
 * transition (the opening at t = 0) is 25 s old; the detection at t = 12, older than the
 * window at the restart, still counts as the last input. */
static void test_fusion_replay_keeps_the_quiet_time(void **state)
{
    struct fixture *fx = setup_short_window();
    struct fixture *fx2;
    struct fusion_node n = node_in(1, "reserve");
    struct fusion_alert stored;

    (void)state;
    /* Without a restart. */
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0), 0);
    assert_int_equal(detect(fx, 1, "reserve", 1, P060, T0 + 12 * SEC), 0);
    assert_int_equal(fx->rec.len, 1);
    stored = fx->rec.a[0];
    assert_int_equal(stored.state, FUSION_OPEN);
    assert_int_equal(cleared_at(fx, 13, 60), 32);
    assert_int_equal(last(&fx->rec)->id, stored.id);
    teardown(fx);

    /* With one at t = 25: the stored alert and the stored detections come back. */
    fx2 = setup_short_window();
    assert_int_equal(fusion_restore(fx2->f, &stored), 0);
    assert_true(fusion_replay_since(fx2->f, T0 + 25 * SEC) <= T0);
    assert_int_equal(fusion_replay_detection(fx2->f, &n, 1, P060, T0, T0, T0 + 25 * SEC), 0);
    assert_int_equal(
        fusion_replay_detection(fx2->f, &n, 1, P060, T0 + 12 * SEC, T0 + 12 * SEC, T0 + 25 * SEC),
        0);
    assert_int_equal(cleared_at(fx2, 25, 60), 32);
    assert_int_equal(fx2->rec.len, 1);
    assert_int_equal(last(&fx2->rec)->id, stored.id);
    assert_int_equal(last(&fx2->rec)->seq, stored.seq + 1);
    teardown(fx2);
}

static struct fusion_alert stored_alert(int64_t id, uint32_t seq, const char *class_name,
                                        const char *zone, const char *key, const char *rule,
                                        enum fusion_level level)
{
    struct fusion_alert a;

    memset(&a, 0, sizeof(a));
    a.id = id;
    a.seq = seq;
    (void)snprintf(a.class_name, sizeof(a.class_name), "%s", class_name);
    (void)snprintf(a.zone, sizeof(a.zone), "%s", zone);
    (void)snprintf(a.key, sizeof(a.key), "%s", key);
    (void)snprintf(a.rule, sizeof(a.rule), "%s", rule);
    a.level = level;
    a.state = FUSION_UPDATE;
    a.confidence = 0.5;
    a.node_count = 1;
    a.nodes[0] = 0x0A1B2C3D;
    a.detections = 7;
    a.first_seen_ms = T0 - 3000 * SEC;
    a.last_seen_ms = T0 - 100 * SEC;
    a.time_ms = T0 - 100 * SEC;
    return a;
}

static void test_fusion_restore_persistence_and_gone_rule(void **state)
{
    struct fixture *fx = setup();
    struct fusion_alert pers =
        stored_alert(41, 5, "machine_anomaly", "plant", "0A1B2C3D", "turbine", FUSION_WARNING);
    struct fusion_alert gone =
        stored_alert(42, 2, "human", "village", "village", "poachers", FUSION_WATCH);
    const struct fusion_alert *a;

    (void)state;
    assert_int_equal(fusion_restore(fx->f, &pers), 0);
    assert_int_equal(fusion_restore(fx->f, &gone), 0);
    assert_int_equal(fusion_restore(fx->f, &pers), -EEXIST);
    assert_int_equal(active_count(fx), 2);
    assert_int_equal(active(fx, "machine_anomaly", "0A1B2C3D").kind, FUSION_KIND_PERSISTENCE);
    assert_int_equal(fusion_next_id(fx->f), 43);
    /* The tick clears the alert whose rule is gone; the turbine one is not quiet yet. */
    assert_int_equal(tick(fx, T0), 0);
    assert_int_equal(fx->rec.len, 1);
    a = last(&fx->rec);
    assert_int_equal(a->id, 42);
    assert_int_equal(a->seq, 3);
    assert_int_equal(a->state, FUSION_CLEARED);
    /* One anomalous summary over the critical score joins the restored turbine alert. */
    assert_int_equal(anomaly(fx, 0x0A1B2C3D, 1, 240, T0 + SEC), 0);
    a = last(&fx->rec);
    assert_int_equal(a->id, 41);
    assert_int_equal(a->seq, 6);
    assert_int_equal(a->state, FUSION_ESCALATE);
    assert_int_equal(a->level, FUSION_CRITICAL);
    assert_int_equal(a->detections, 8);
    near(a->confidence, 240.0 / 255.0);
    assert_int_equal(active_count(fx), 1);
    teardown(fx);
}

static void test_fusion_restore_offline_before_node_known(void **state)
{
    struct fixture *fx = setup();
    struct fusion_alert off =
        stored_alert(7, 1, "node_offline", "village", "0000000B", "health", FUSION_WARNING);
    struct fusion_node n = node_in(0x0B, "village");

    (void)state;
    /* The daemon's order: restore, then the registry's nodes with their last_seen. */
    off.state = FUSION_OPEN;
    off.last_seen_ms = T0 - 4000 * SEC;
    off.time_ms = T0 - 300 * SEC;
    assert_int_equal(fusion_restore(fx->f, &off), 0);
    assert_int_equal(fusion_node_known(fx->f, &n, T0 - 4000 * SEC, T0), 0);
    assert_int_equal(tick(fx, T0 + SEC), 0);
    assert_int_equal(fx->rec.len, 0);
    assert_int_equal(active(fx, "node_offline", "0000000B").seq, 1);
    assert_int_equal(fusion_seen(fx->f, &n, T0 + 2 * SEC), 0);
    assert_int_equal(last(&fx->rec)->seq, 2);
    assert_int_equal(last(&fx->rec)->state, FUSION_CLEARED);
    teardown(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fusion_restore_continues),
        cmocka_unit_test(test_fusion_replay_refills_the_window),
        cmocka_unit_test(test_fusion_replay_keeps_the_quiet_time),
        cmocka_unit_test(test_fusion_restore_persistence_and_gone_rule),
        cmocka_unit_test(test_fusion_restore_offline_before_node_known),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
