/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/alert/fusion.c: whole scenarios on a fake clock (every time is a number the
 * test picks), with an emit callback that records each transition and can be told to refuse.
 * Cluster levels, zones, the lifecycle (escalate, rate-limited update, quiet clearing, no
 * de-escalation, seq without gaps), persistence k-of-n, node health, restore after a restart,
 * refused transitions, a SIGHUP reload and every bound.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "alert/fusion.h"

#define T0        1764000000000LL /* 2025-11-24, Unix ms: any fixed start will do */
#define SEC       1000LL
#define MAX_EMITS 2048

/* Confidence bytes: p = v / 255. */
#define P060 153 /* 0.600 */
#define P030 77  /* 0.302 */
#define P020 51  /* 0.200 */
#define P090 230 /* 0.902 */
#define P078 200 /* 0.78431...: published as 0.7843, below the exact value */
#define P098 250 /* 0.980 */

struct recorder {
    size_t len;
    struct fusion_alert a[MAX_EMITS];
    int fail; /* refuse this many of the next transitions with -EIO */
    size_t refused;
};

static int record(const struct fusion_alert *a, void *arg)
{
    struct recorder *r = arg;

    if (r->fail > 0) {
        r->fail--;
        r->refused++;
        return -EIO;
    }
    assert_true(r->len < MAX_EMITS);
    r->a[r->len++] = *a;
    return 0;
}

static const struct fusion_alert *last(const struct recorder *r)
{
    assert_true(r->len > 0);
    return &r->a[r->len - 1];
}

static struct config_rule cluster_rule(const char *name, uint8_t class_id, unsigned window_s,
                                       unsigned min_nodes, double watch, double warning,
                                       double critical, unsigned clear_s, unsigned update_s)
{
    struct config_rule r;

    memset(&r, 0, sizeof(r));
    (void)snprintf(r.name, sizeof(r.name), "%s", name);
    r.type = CONFIG_RULE_CLUSTER;
    r.class_id = class_id;
    r.window_s = window_s;
    r.min_nodes = min_nodes;
    r.watch_confidence = watch;
    r.warning_confidence = warning;
    r.critical_confidence = critical;
    r.clear_after_s = clear_s;
    r.update_interval_s = update_s;
    r.k = 3;
    r.n = 5;
    return r;
}

/* The example config's zones and rules (config/tinyfleetd.conf), [health] 3600 s, 3300 mV. */
static void make_config(struct config *c)
{
    struct config_zone *z;
    struct config_rule *r;

    config_defaults(c);
    c->health.offline_after_s = 3600;
    c->health.battery_low_mv = 3300;
    c->zone_count = 3;
    z = &c->zones[0];
    memset(z, 0, sizeof(*z));
    strcpy(z->name, "village");
    z->critical = true;
    z->has_circle = true;
    z->lat = -2.6530;
    z->lon = 37.2600;
    z->radius_m = 1500;
    z = &c->zones[1];
    memset(z, 0, sizeof(*z));
    strcpy(z->name, "railway");
    z->critical = true;
    z->polygon_len = 4;
    z->polygon[0][0] = -2.640;
    z->polygon[0][1] = 37.200;
    z->polygon[1][0] = -2.640;
    z->polygon[1][1] = 37.320;
    z->polygon[2][0] = -2.648;
    z->polygon[2][1] = 37.320;
    z->polygon[3][0] = -2.648;
    z->polygon[3][1] = 37.200;
    z = &c->zones[2];
    memset(z, 0, sizeof(*z));
    strcpy(z->name, "reserve");
    z->has_circle = true;
    z->lat = -2.7000;
    z->lon = 37.2500;
    z->radius_m = 12000;
    c->rule_count = 3;
    c->rules[0] = cluster_rule("elephant", 1, 120, 2, 0.5, 0.75, 0.95, 600, 30);
    c->rules[1] = cluster_rule("whale", 2, 300, 1, 0.4, 0.6, 0.9, 1800, 60);
    r = &c->rules[2];
    memset(r, 0, sizeof(*r));
    strcpy(r->name, "turbine");
    r->type = CONFIG_RULE_PERSISTENCE;
    r->class_id = 3;
    r->k = 3;
    r->n = 5;
    r->watch_confidence = 0.5;
    r->warning_confidence = 0.7;
    r->critical_confidence = 0.9;
    r->clear_after_s = 3600;
    r->update_interval_s = 300;
}

struct fixture {
    struct config cfg;
    struct recorder rec;
    struct fusion *f;
};

static struct fixture *setup_with(size_t max_alerts, size_t max_nodes)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct fusion_opts o;

    assert_non_null(fx);
    make_config(&fx->cfg);
    memset(&o, 0, sizeof(o));
    o.emit = record;
    o.arg = &fx->rec;
    o.max_alerts = max_alerts;
    o.max_nodes = max_nodes;
    assert_int_equal(fusion_new(&fx->cfg, &o, &fx->f), 0);
    return fx;
}

static struct fixture *setup(void)
{
    return setup_with(0, 0);
}

static void teardown(struct fixture *fx)
{
    fusion_free(fx->f);
    free(fx);
}

/* A node the registry puts in @zone (NULL: none), without a position. */
static struct fusion_node node_in(uint32_t devaddr, const char *zone)
{
    struct fusion_node n = {devaddr, false, 0.0, 0.0, zone};

    return n;
}

static struct fusion_node node_at(uint32_t devaddr, double lat, double lon)
{
    struct fusion_node n = {devaddr, true, lat, lon, NULL};

    return n;
}

static int detect(struct fixture *fx, uint32_t devaddr, const char *zone, uint8_t class_id,
                  uint8_t conf, int64_t now)
{
    struct fusion_node n = node_in(devaddr, zone);

    return fusion_detection(fx->f, &n, class_id, conf, now, now);
}

static int tick(struct fixture *fx, int64_t now)
{
    return fusion_tick(fx->f, now);
}

struct find_ctx {
    const char *class_name;
    const char *key;
    struct fusion_alert out;
    unsigned hits;
    unsigned total;
};

static int find_cb(const struct fusion_alert *a, void *arg)
{
    struct find_ctx *c = arg;

    c->total++;
    if ((c->class_name == NULL || strcmp(a->class_name, c->class_name) == 0) &&
        (c->key == NULL || strcmp(a->key, c->key) == 0)) {
        c->hits++;
        c->out = *a;
    }
    return 0;
}

/* The active alert of @class_name and @key; fails the test when there is not exactly one. */
static struct fusion_alert active(struct fixture *fx, const char *class_name, const char *key)
{
    struct find_ctx c = {class_name, key, {0}, 0, 0};

    assert_int_equal(fusion_foreach_active(fx->f, find_cb, &c), 0);
    assert_int_equal(c.hits, 1);
    return c.out;
}

static unsigned active_count(struct fixture *fx)
{
    struct find_ctx c = {NULL, NULL, {0}, 0, 0};

    assert_int_equal(fusion_foreach_active(fx->f, find_cb, &c), 0);
    return c.total;
}

static void near(double got, double want)
{
    if (got < want - 1e-9 || got > want + 1e-9) {
        fail_msg("got %.12f, want %.12f", got, want);
    }
}

static double p(uint8_t v)
{
    return (double)v / 255.0;
}

/* ---- cluster rules ---- */

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

/* ---- persistence ---- */

static int anomaly(struct fixture *fx, uint32_t devaddr, uint8_t anomalous, uint8_t score_max,
                   int64_t now)
{
    struct fusion_node n = node_in(devaddr, "plant");
    struct proto_tfp_anomaly a = {10, anomalous, 40, score_max, 3, 600};

    return fusion_anomaly(fx->f, &n, &a, now);
}

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

/* ---- node health ---- */

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

/* ---- restart ---- */

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
    assert_int_equal(fusion_replay_detection(fx2->f, &a, 1, P078, T0, T0 + 41 * SEC), 0);
    assert_int_equal(fusion_replay_detection(fx2->f, &a, 1, P078, T0 - SEC, T0 + 41 * SEC), 0);
    assert_int_equal(fusion_replay_detection(fx2->f, &other, 1, P060, T0, T0 + 41 * SEC), 0);
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

/* ---- refused transitions ---- */

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
    struct config c2;
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
        cmocka_unit_test(test_fusion_turbine_k_of_n_and_critical_score),
        cmocka_unit_test(test_fusion_turbine_anomalous_ratio),
        cmocka_unit_test(test_fusion_offline_and_heard_again),
        cmocka_unit_test(test_fusion_battery_low),
        cmocka_unit_test(test_fusion_node_forget_clears_its_alerts),
        cmocka_unit_test(test_fusion_restore_continues),
        cmocka_unit_test(test_fusion_replay_refills_the_window),
        cmocka_unit_test(test_fusion_restore_persistence_and_gone_rule),
        cmocka_unit_test(test_fusion_restore_offline_before_node_known),
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
