/* SPDX-License-Identifier: MIT
 * The fixture of the fusion unit tests (test_fusion*.c): the example config's zones and rules,
 * a fusion engine whose emit callback records each transition and can be told to refuse,
 * a fake clock (every time is a number the test picks) and helpers that feed inputs and find
 * active alerts. Each test file is its own program, so everything here is static.
 */
#ifndef PROJ_TESTS_DAEMON_FUSION_FIXTURE_H
#define PROJ_TESTS_DAEMON_FUSION_FIXTURE_H

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

static inline int record(const struct fusion_alert *a, void *arg)
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

static inline const struct fusion_alert *last(const struct recorder *r)
{
    assert_true(r->len > 0);
    return &r->a[r->len - 1];
}

static inline struct config_rule cluster_rule(const char *name, uint8_t class_id, unsigned window_s,
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
static inline void make_config(struct config_fusion *c)
{
    struct config *all = calloc(1, sizeof(*all)); /* for the default class table */
    struct config_zone *z;
    struct config_rule *r;

    assert_non_null(all);
    config_defaults(all);
    *c = all->fusion;
    free(all);
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
    struct config_fusion cfg;
    struct recorder rec;
    struct fusion *f;
};

static inline struct fixture *setup_with(size_t max_alerts, size_t max_nodes)
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

static inline struct fixture *setup(void)
{
    return setup_with(0, 0);
}

static inline void teardown(struct fixture *fx)
{
    fusion_free(fx->f);
    free(fx);
}

/* A node the registry puts in @zone (NULL: none), without a position. */
static inline struct fusion_node node_in(uint32_t devaddr, const char *zone)
{
    struct fusion_node n = {devaddr, false, 0.0, 0.0, zone};

    return n;
}

static inline struct fusion_node node_at(uint32_t devaddr, double lat, double lon)
{
    struct fusion_node n = {devaddr, true, lat, lon, NULL};

    return n;
}

static inline int detect(struct fixture *fx, uint32_t devaddr, const char *zone, uint8_t class_id,
                         uint8_t conf, int64_t now)
{
    struct fusion_node n = node_in(devaddr, zone);

    return fusion_detection(fx->f, &n, class_id, conf, now, now);
}

static inline int tick(struct fixture *fx, int64_t now)
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

static inline int find_cb(const struct fusion_alert *a, void *arg)
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
static inline struct fusion_alert active(struct fixture *fx, const char *class_name,
                                         const char *key)
{
    struct find_ctx c = {class_name, key, {0}, 0, 0};

    assert_int_equal(fusion_foreach_active(fx->f, find_cb, &c), 0);
    assert_int_equal(c.hits, 1);
    return c.out;
}

static inline unsigned active_count(struct fixture *fx)
{
    struct find_ctx c = {NULL, NULL, {0}, 0, 0};

    assert_int_equal(fusion_foreach_active(fx->f, find_cb, &c), 0);
    return c.total;
}

static inline void near(double got, double want)
{
    if (got < want - 1e-9 || got > want + 1e-9) {
        fail_msg("got %.12f, want %.12f", got, want);
    }
}

static inline double p(uint8_t v)
{
    return (double)v / 255.0;
}

static inline int anomaly(struct fixture *fx, uint32_t devaddr, uint8_t anomalous,
                          uint8_t score_max, int64_t now)
{
    struct fusion_node n = node_in(devaddr, "plant");
    struct proto_tfp_anomaly a = {10, anomalous, 40, score_max, 3, 600};

    return fusion_anomaly(fx->f, &n, &a, now);
}

#endif
