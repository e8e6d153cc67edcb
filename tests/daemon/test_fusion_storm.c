/* SPDX-License-Identifier: MIT
 * Cluster rules' storm veto (storm_zones, storm_window_s; fusion_storm.c): more zones than
 * storm_zones firing within storm_window_s hold new alerts of the class until the span
 * passes without; open alerts go on; 0 leaves every zone to open as before.
 */
#include "fusion_fixture.h"

/* The elephant rule (window 120 s) with storm_zones @zones over @window_s. */
static struct fixture *setup_storm(unsigned zones, unsigned window_s)
{
    struct fixture *fx = setup();

    fx->cfg.rules[0].storm_zones = zones;
    fx->cfg.rules[0].storm_window_s = window_s;
    assert_int_equal(fusion_set_config(fx->f, &fx->cfg, T0 - SEC), 0);
    return fx;
}

/* One detection in each of @n zones "z1".."zN", a second apart from @t. */
static void sweep(struct fixture *fx, unsigned n, uint32_t devaddr0, int64_t t)
{
    char zone[16];
    unsigned i;

    for (i = 0; i < n; i++) {
        (void)snprintf(zone, sizeof(zone), "z%u", i + 1);
        assert_int_equal(detect(fx, devaddr0 + i, zone, 1, P090, t + (int64_t)i * SEC), 0);
    }
}

static void test_storm_off_every_zone_opens(void **state)
{
    struct fixture *fx = setup_storm(0, 60);

    (void)state;
    sweep(fx, 4, 1, T0);
    assert_int_equal(active_count(fx), 4);
    teardown(fx);
}

static void test_storm_holds_zones_beyond_n(void **state)
{
    struct fixture *fx = setup_storm(2, 60);

    (void)state;
    /* z1 and z2 open before anything says storm; the third zone is one too many. */
    sweep(fx, 4, 1, T0);
    assert_int_equal(active_count(fx), 2);
    (void)active(fx, "elephant", "z1");
    (void)active(fx, "elephant", "z2");
    /* More from a held zone, a second node in it: still nothing opens there. */
    assert_int_equal(detect(fx, 100, "z3", 1, P090, T0 + 10 * SEC), 0);
    assert_int_equal(active_count(fx), 2);
    /* An open alert goes on: z1 escalates with a second node. */
    assert_int_equal(detect(fx, 101, "z1", 1, P090, T0 + 11 * SEC), 0);
    assert_int_equal(last(&fx->rec)->state, FUSION_ESCALATE);
    assert_string_equal(last(&fx->rec)->zone, "z1");
    teardown(fx);
}

static void test_storm_exactly_n_zones_is_no_storm(void **state)
{
    struct fixture *fx = setup_storm(3, 60);

    (void)state;
    sweep(fx, 3, 1, T0);
    assert_int_equal(active_count(fx), 3);
    teardown(fx);
}

static void test_storm_zone_outside_span_not_counted(void **state)
{
    struct fixture *fx = setup_storm(2, 60);

    (void)state;
    assert_int_equal(detect(fx, 1, "z1", 1, P090, T0), 0);
    assert_int_equal(detect(fx, 2, "z2", 1, P090, T0 + 30 * SEC), 0);
    /* z1's detection is exactly storm_window_s old: out of the span, two zones in it. */
    assert_int_equal(detect(fx, 3, "z3", 1, P090, T0 + 60 * SEC), 0);
    assert_int_equal(active_count(fx), 3);
    teardown(fx);
}

static void test_storm_passes_then_a_zone_opens_fresh(void **state)
{
    struct fixture *fx = setup_storm(2, 60);
    struct fusion_alert a;

    (void)state;
    /* The storm is seen at T0 + 2 s (three zones), and again at T0 + 3 s (four): held
     * until T0 + 63 s. */
    sweep(fx, 4, 1, T0);
    assert_int_equal(tick(fx, T0 + 61 * SEC), 0);
    /* Still held one second before the end (z3 and z4 alone are no storm, so this does not
     * extend it): a herd in z4 waits. */
    assert_int_equal(detect(fx, 50, "z4", 1, P090, T0 + 62 * SEC), 0);
    assert_int_equal(active_count(fx), 2);
    /* At the end of the hold the next detection opens, from itself alone: what the zone
     * heard during the storm (inside the 120 s window still) was dropped. */
    assert_int_equal(detect(fx, 51, "z4", 1, P090, T0 + 63 * SEC), 0);
    a = active(fx, "elephant", "z4");
    assert_int_equal(a.state, FUSION_OPEN);
    assert_int_equal(a.detections, 1);
    assert_int_equal(a.node_count, 1);
    assert_int_equal(a.nodes[0], 51);
    teardown(fx);
}

static void test_storm_zones_survive_ticks(void **state)
{
    struct fixture *fx = setup_storm(2, 60);

    (void)state;
    /* z1 and z2 open, z3 is held (its window emptied) until T0 + 62 s. A tick frees groups
     * without window or alert, but z3 must be kept while it counts, or the storm would be
     * forgotten: z1's detection at T0 + 50 s sees three zones and extends the hold. */
    sweep(fx, 3, 1, T0);
    assert_int_equal(tick(fx, T0 + 3 * SEC), 0);
    assert_int_equal(detect(fx, 10, "z1", 1, P090, T0 + 50 * SEC), 0);
    /* At T0 + 100 s only z1 and z4 are within the span: no new storm, but the extended hold
     * (until T0 + 110 s) still holds z4. */
    assert_int_equal(detect(fx, 40, "z4", 1, P090, T0 + 100 * SEC), 0);
    assert_int_equal(active_count(fx), 2);
    teardown(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_storm_off_every_zone_opens),
        cmocka_unit_test(test_storm_holds_zones_beyond_n),
        cmocka_unit_test(test_storm_exactly_n_zones_is_no_storm),
        cmocka_unit_test(test_storm_zone_outside_span_not_counted),
        cmocka_unit_test(test_storm_passes_then_a_zone_opens_fresh),
        cmocka_unit_test(test_storm_zones_survive_ticks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
