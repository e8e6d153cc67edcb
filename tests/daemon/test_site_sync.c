/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/site/site_sync.c: the rule that keeps a returning gateway's
 * superseded transitions from going out, alone (site_sync_superseded()), the retained state
 * it reads (site_retained_parse() on alert_json()'s text), and site_sync_drop() on a real
 * SQLite outbox: only the superseded rows go, inputs and other alerts stay.
 */
#include "store_fixture.h"

#include <cjson/cJSON.h>

#include "alert/alert_json.h"
#include "alert_sample.h"
#include "site/site_sync.h"

#define ME    "gw-a"
#define OTHER "gw-b"

/* elsewhere(): @arg names the zone another gateway holds, or is NULL. */
static bool held_by_other(void *arg, const char *zone)
{
    return arg != NULL && strcmp(arg, zone) == 0;
}

/* A retained state of alert @id, seq @seq, by @gw, active or cleared, of sample()'s zone. */
static struct site_retained retained(int64_t id, uint32_t seq, const char *gw, bool active)
{
    struct site_retained r;

    memset(&r, 0, sizeof(r));
    r.id = id;
    r.seq = seq;
    (void)snprintf(r.gateway, sizeof(r.gateway), "%s", gw);
    (void)snprintf(r.zone, sizeof(r.zone), "village");
    (void)snprintf(r.class_name, sizeof(r.class_name), "elephant");
    (void)snprintf(r.key, sizeof(r.key), "village");
    r.active = active;
    return r;
}

static const char *rule(const struct site_retained *r, unsigned n, const struct fusion_alert *a,
                        const char *held, const struct site_retained **by)
{
    *by = NULL;
    return site_sync_superseded(ME, r, n, a, held_by_other, (void *)held, by);
}

static void test_same_alert_continued_elsewhere(void **state)
{
    struct fusion_alert a = sample(7, 5, FUSION_UPDATE);
    struct site_retained r = retained(7, 5, OTHER, true);
    const struct site_retained *by;

    (void)state;
    assert_string_equal(rule(&r, 1, &a, NULL, &by), "published that seq already");
    assert_ptr_equal(by, &r);
    r.seq = 6; /* a later seq: the same */
    assert_non_null(rule(&r, 1, &a, NULL, &by));
    r.seq = 4; /* behind ours: sent, unless the other gateway holds the zone now */
    assert_null(rule(&r, 1, &a, NULL, &by));
    assert_string_equal(rule(&r, 1, &a, "village", &by), "continues it and holds the zone");
    r = retained(7, 9, ME, true); /* our own retained state: never a reason */
    assert_null(rule(&r, 1, &a, "village", &by));
    assert_null(rule(NULL, 0, &a, "village", &by)); /* nothing retained */
}

static void test_unpublished_alert_merged_into_owners(void **state)
{
    struct fusion_alert a = sample(100, 2, FUSION_ESCALATE); /* ours, opened while cut off */
    struct site_retained r[2] = {retained(55, 3, "gw-c", false), retained(42, 3, OTHER, true)};
    const struct site_retained *by;

    (void)state;
    assert_string_equal(rule(r, 2, &a, "village", &by),
                        "holds the zone, merged into its active alert");
    assert_ptr_equal(by, &r[1]);            /* the active one, not the cleared one */
    assert_null(rule(r, 2, &a, NULL, &by)); /* the zone is ours again: it goes out */
    r[1].active = false;                    /* the owner's alert cleared: ours is news */
    assert_null(rule(r, 2, &a, "village", &by));
    r[1] = retained(42, 3, OTHER, true);
    (void)snprintf(r[1].class_name, sizeof(r[1].class_name), "lion");
    assert_null(rule(r, 2, &a, "village", &by));
    r[1] = retained(42, 3, OTHER, true);
    (void)snprintf(r[1].key, sizeof(r[1].key), "26011F00"); /* another node's alert */
    assert_null(rule(r, 2, &a, "village", &by));
    r[1] = retained(42, 3, ME, true); /* our own other alert is no owner's */
    assert_null(rule(r, 2, &a, "village", &by));
    /* published before (a retained state names its id): never merged, as before */
    r[0] = retained(100, 1, ME, true);
    r[1] = retained(42, 3, OTHER, true);
    assert_null(rule(r, 2, &a, "village", &by));
}

static void test_retained_parse(void **state)
{
    struct fusion_alert a = sample(42, 3, FUSION_ESCALATE);
    struct site_retained r;
    char *json = alert_json(&a, OTHER);

    (void)state;
    assert_non_null(json);
    assert_int_equal(site_retained_parse(json, &r), 0);
    assert_true(r.id == 42);
    assert_int_equal(r.seq, 3);
    assert_string_equal(r.gateway, OTHER);
    assert_string_equal(r.zone, "village");
    assert_string_equal(r.class_name, "elephant");
    assert_string_equal(r.key, "village");
    assert_true(r.active);
    cJSON_free(json);
    a.state = FUSION_CLEARED;
    json = alert_json(&a, OTHER);
    assert_non_null(json);
    assert_int_equal(site_retained_parse(json, &r), 0);
    assert_false(r.active);
    cJSON_free(json);
    assert_int_equal(site_retained_parse("{\"id\":1,\"seq\":1}", &r), -EINVAL);
    assert_int_equal(site_retained_parse("{\"id\":1,\"seq\":-1,\"gateway\":\"x\"}", &r), -EINVAL);
    assert_int_equal(site_retained_parse("not json", &r), -EINVAL);
    assert_int_equal(site_retained_parse("{\"id\":1,\"seq\":1,\"gateway\":\"x\"}", &r), 0);
    assert_false(r.active); /* no zone, class or state: never taken for an active alert */
}

static void add_transition(struct store *s, const struct fusion_alert *a)
{
    char topic[256];
    char *json = alert_json(a, ME);

    assert_non_null(json);
    (void)snprintf(topic, sizeof(topic), "tf/s/alert/%s/%s", a->class_name, a->key);
    assert_int_equal(store_outbox_add(s, topic, json, false, T0), 0);
    (void)snprintf(topic, sizeof(topic), "tf/s/state/alert/%s/%s", a->class_name, a->key);
    assert_int_equal(store_outbox_add(s, topic, json, true, T0), 0);
    cJSON_free(json);
}

static int count_row(const struct store_outbox_msg *m, void *arg)
{
    (void)m;
    (*(int *)arg)++;
    return 0;
}

static void test_drop_on_a_real_outbox(void **state)
{
    struct fixture *fx = *state;
    struct store *s = open_ok(fx);
    struct fusion_alert mine = sample(100, 1, FUSION_OPEN);
    struct fusion_alert other_zone = sample(101, 1, FUSION_OPEN);
    struct site_retained r = retained(42, 3, OTHER, true);
    unsigned dropped = 99;
    int rows = 0;

    (void)snprintf(other_zone.zone, sizeof(other_zone.zone), "river");
    (void)snprintf(other_zone.key, sizeof(other_zone.key), "river");
    add_transition(s, &mine);
    mine.seq = 2;
    mine.state = FUSION_ESCALATE;
    add_transition(s, &mine);
    add_transition(s, &other_zone);
    assert_int_equal(store_outbox_add(s, "tf/s/site/input/gw-a", "{\"kind\":\"seen\"}", false, T0),
                     0);
    assert_int_equal(store_flush(s), 0);

    assert_int_equal(site_sync_drop(s, "tf/s", ME, &r, 0, held_by_other, "village", &dropped), 0);
    assert_int_equal(dropped, 0); /* nothing retained: nothing dropped */
    assert_int_equal(site_sync_drop(s, "tf/s", ME, &r, 1, held_by_other, "village", &dropped), 0);
    assert_int_equal(dropped, 4); /* alert 100's two transitions, each alert and state */
    assert_int_equal(store_flush(s), 0);
    assert_int_equal(store_outbox_foreach(s, 0, 0, count_row, &rows), 0);
    assert_int_equal(rows, 3); /* river's two rows and the input */
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM outbox WHERE topic LIKE '%village'"),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_alert_continued_elsewhere),
        cmocka_unit_test(test_unpublished_alert_merged_into_owners),
        cmocka_unit_test(test_retained_parse),
        cmocka_unit_test_setup_teardown(test_drop_on_a_real_outbox, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
