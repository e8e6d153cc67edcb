/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/poststore/poststore.c on a real SQLite file and a loaded config: a
 * restarted gateway (a new poststore on the same database) still knows which turbine nodes
 * were learning their machine, so their anomaly summaries open no machine_anomaly alert
 * before their next health message, while a node that said it was ready is judged at once.
 */
#include "daemon/store_fixture.h"

#include <uv.h>

#include "config/config.h"
#include "poststore/poststore.h"
#include "util/rfc3339.h"

#define DEV_LEARNING DEV_A
#define DEV_READY    DEV_B
#define SEC          INT64_C(1000)

static const char conf_text[] = "[gateway]\n"
                                "id = test\n"
                                "[rule.turbine]\n"
                                "type = persistence\n"
                                "class = machine_anomaly\n"
                                "k = 3\n"
                                "n = 5\n"
                                "critical_confidence = 0.9\n"
                                "clear_after_s = 3600\n"
                                "update_interval_s = 300\n";

struct gateway {
    struct config cfg;
    uv_loop_t loop;
    struct poststore *p;
};

static void load_config(struct fixture *fx, struct config *cfg)
{
    char path[128];
    char err[CONFIG_ERR_LEN] = "";
    FILE *fp;

    (void)snprintf(path, sizeof(path), "%s/tinyfleetd.conf", fx->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_true(fputs(conf_text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
    if (config_load(path, cfg, err, sizeof(err)) != 0) {
        print_error("config_load: %s\n", err);
        fail();
    }
    (void)unlink(path);
}

/* tinyfleetd's start on the database as it is: the store in daemon mode, then poststore. */
static void gateway_start(struct fixture *fx, struct gateway *g)
{
    char err[256] = "";

    assert_int_equal(store_open(fx->path, 1, &fx->s, err, sizeof(err)), 0);
    assert_int_equal(store_daemon_mode(fx->s), 0);
    load_config(fx, &g->cfg);
    assert_int_equal(uv_loop_init(&g->loop), 0);
    assert_int_equal(poststore_start(&g->loop, &g->cfg.fusion, &g->cfg.mqtt, &g->cfg.alertmanager,
                                     &g->cfg.web, &g->cfg.gateway, fx->s, &g->p),
                     0);
}

static void gateway_stop(struct fixture *fx, struct gateway *g)
{
    poststore_stop(g->p);
    assert_int_equal(uv_run(&g->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&g->loop), 0);
    store_close(fx->s);
    fx->s = NULL;
}

/* One frame through the daemon's path: stored in the batch, then handed to poststore. */
static void frame(struct fixture *fx, struct gateway *g, uint32_t devaddr, uint32_t fcnt,
                  const struct proto_tfp_msg *m, int64_t time_ms)
{
    struct store_rx rx = rx_at(time_ms);
    struct store_uplink up;

    assert_int_equal(uplink(fx->s, devaddr, fcnt, 0, m, time_ms), 0);
    memset(&up, 0, sizeof(up));
    up.devaddr = devaddr;
    up.fcnt = fcnt;
    up.fport = m->port;
    up.msg = m;
    up.rx = &rx;
    poststore_frame(g->p, &up);
    assert_int_equal(store_flush(fx->s), 0);
}

static struct proto_tfp_msg learn_health(enum proto_tfp_learn learn)
{
    struct proto_tfp_msg m = health(3600);

    m.u.health.learn = (uint8_t)learn;
    m.u.health.learn_progress = learn == PROTO_TFP_LEARN_LEARNING ? 40 : 0;
    m.u.health.learn_threshold = learn == PROTO_TFP_LEARN_READY ? 160 : 0;
    return m;
}

/* A summary that alone opens a critical machine_anomaly (250/255 > 0.9) from a judged node. */
static struct proto_tfp_msg bad_summary(void)
{
    struct proto_tfp_msg m;

    memset(&m, 0, sizeof(m));
    m.port = PROTO_TFP_PORT_ANOMALY;
    m.u.anomaly.windows = 200;
    m.u.anomaly.anomalous = 150;
    m.u.anomaly.score_mean = 200;
    m.u.anomaly.score_max = 250;
    m.u.anomaly.period_s = 600;
    return m;
}

static int64_t alerts_of(struct fixture *fx, uint32_t devaddr)
{
    char sql[128];

    (void)snprintf(sql, sizeof(sql),
                   "SELECT count(*) FROM alerts WHERE class = 'machine_anomaly' "
                   "AND topic_key = '%08X'",
                   (unsigned)devaddr);
    return sql_int(fx->path, sql);
}

static int64_t learn_of(struct fixture *fx, uint32_t devaddr)
{
    char sql[96];

    (void)snprintf(sql, sizeof(sql), "SELECT learn FROM nodes WHERE devaddr = %u",
                   (unsigned)devaddr);
    return sql_int(fx->path, sql);
}

static void test_poststore_learning_survives_restart(void **state)
{
    struct fixture *fx = *state;
    struct gateway g1, g2;
    struct proto_tfp_msg learning = learn_health(PROTO_TFP_LEARN_LEARNING);
    struct proto_tfp_msg ready = learn_health(PROTO_TFP_LEARN_READY);
    struct proto_tfp_msg bad = bad_summary();
    int64_t t = rfc3339_now_ms() - 7200 * SEC;
    uint32_t fcnt;

    /* Before the restart: one node says it is learning, the other that it is ready. */
    (void)open_ok(fx);
    add_node(fx->s, DEV_LEARNING, "plant");
    add_node(fx->s, DEV_READY, "plant");
    store_close(fx->s);
    fx->s = NULL;
    gateway_start(fx, &g1);
    frame(fx, &g1, DEV_LEARNING, 1, &learning, t);
    frame(fx, &g1, DEV_READY, 1, &ready, t);
    frame(fx, &g1, DEV_LEARNING, 2, &bad, t + SEC);
    assert_int_equal(alerts_of(fx, DEV_LEARNING), 0);
    gateway_stop(fx, &g1);
    assert_int_equal(learn_of(fx, DEV_LEARNING), PROTO_TFP_LEARN_LEARNING);

    /* After it, before any health message: the learner's summaries open nothing, the ready
     * node's first one opens its alert (the test can see an alert when there is one). */
    gateway_start(fx, &g2);
    for (fcnt = 3; fcnt < 9; fcnt++) {
        frame(fx, &g2, DEV_LEARNING, fcnt, &bad, t + (int64_t)fcnt * 600 * SEC);
    }
    assert_int_equal(alerts_of(fx, DEV_LEARNING), 0);
    frame(fx, &g2, DEV_READY, 2, &bad, t + 600 * SEC);
    assert_int_equal(alerts_of(fx, DEV_READY), 1);
    /* Its next health message says it is ready: now it is judged like any node. */
    frame(fx, &g2, DEV_LEARNING, 9, &ready, t + 5500 * SEC);
    frame(fx, &g2, DEV_LEARNING, 10, &bad, t + 5600 * SEC);
    assert_int_equal(alerts_of(fx, DEV_LEARNING), 1);
    gateway_stop(fx, &g2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_poststore_learning_survives_restart, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
