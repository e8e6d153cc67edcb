/* SPDX-License-Identifier: MIT
 * The aggregator: one record per detection episode with its start, duration, highest
 * confidence and level; debouncing; splitting long episodes; batching up to 8 records per
 * frame; the queue limit; health and anomaly summaries on their periods; the two-phase
 * peek/commit that lets a refused frame lose nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/aggregator.h"

/* Windows of 1 s every 1 s, like the elephant profile's 1024-sample steps at 1 kHz. */
static void win(struct aggregator *a, uint64_t t_s, uint8_t cls, uint8_t conf, uint8_t lvl)
{
    struct agg_window w;

    memset(&w, 0, sizeof(w));
    w.start_ms = t_s * 1000u;
    w.end_ms = t_s * 1000u + 1000u;
    w.class_id = cls;
    w.confidence = conf;
    w.level_db = lvl;
    aggregator_window(a, &w);
}

static void cfg_test(struct agg_config *c)
{
    aggregator_default_config(c);
    c->on_conf = 128;
    c->min_windows = 2;
    c->hangover_ms = 5000;
    c->max_episode_ms = 60000;
    c->batch_wait_ms = 0;
    c->health_period_ms = 0;
    c->anomaly_period_ms = 0;
}

static void test_aggregator_window_one_episode(void **state)
{
    struct agg_config cfg;
    struct aggregator a;
    struct proto_tfp_msg m;
    uint64_t t;

    (void)state;
    cfg_test(&cfg);
    aggregator_init(&a, &cfg, 0);
    for (t = 0; t < 10; t++) {
        win(&a, t, 0, 0, 0);
    }
    /* Elephant from t = 10 s to 17 s (windows 10..16), best 230, loudest 21 dB; a weak
     * window (below on_conf) and one silent window inside do not break the episode. */
    win(&a, 10, 1, 150, 8);
    win(&a, 11, 1, 200, 12);
    win(&a, 12, 1, 100, 30); /* below on_conf: not counted, level ignored */
    win(&a, 13, 0, 0, 0);
    win(&a, 14, 1, 230, 21);
    win(&a, 15, 1, 180, 9);
    win(&a, 16, 1, 140, 3);
    for (t = 17; t < 21; t++) {
        win(&a, t, 0, 0, 0);
        assert_false(aggregator_peek(&a, t * 1000u + 1000u, &m)); /* hangover not over */
    }
    win(&a, 22, 0, 0, 0); /* 22 s >= 17 s + 5 s: closed */
    assert_int_equal(a.episodes, 1);
    assert_true(aggregator_peek(&a, 30000, &m));
    assert_int_equal(m.port, PROTO_TFP_PORT_DETECTIONS);
    assert_int_equal(m.u.det.count, 1);
    assert_int_equal(m.u.det.rec[0].class_id, 1);
    assert_int_equal(m.u.det.rec[0].confidence, 230);
    assert_int_equal(m.u.det.rec[0].level_db, 21);
    assert_int_equal(m.u.det.rec[0].duration_s, 7);
    assert_int_equal(m.u.det.rec[0].age_s, 20); /* 30 s - 10 s */
    /* Not committed: still due, and older now. */
    assert_true(aggregator_peek(&a, 40000, &m));
    assert_int_equal(m.u.det.rec[0].age_s, 30);
    aggregator_commit(&a, 40000, &m);
    assert_false(aggregator_peek(&a, 50000, &m));
}

/* A single loud window, or windows broken by misses, never reach min_windows. */
static void test_aggregator_window_debounce(void **state)
{
    struct agg_config cfg;
    struct aggregator a;
    struct proto_tfp_msg m;
    uint64_t t;

    (void)state;
    cfg_test(&cfg);
    cfg.min_windows = 3;
    aggregator_init(&a, &cfg, 0);
    for (t = 0; t < 40; t += 3) {
        win(&a, t, 2, 255, 40);
        win(&a, t + 1, 2, 255, 40);
        win(&a, t + 2, 0, 0, 0);
    }
    win(&a, 100, 0, 0, 0);
    assert_int_equal(a.episodes, 0);
    assert_false(aggregator_peek(&a, 200000, &m));
    /* Three in a row do. */
    win(&a, 101, 2, 200, 1);
    win(&a, 102, 2, 200, 1);
    win(&a, 103, 2, 200, 1);
    win(&a, 120, 0, 0, 0);
    assert_int_equal(a.episodes, 1);
}

/* Two classes at once are two episodes; a class id outside the table is ignored. */
static void test_aggregator_window_two_classes(void **state)
{
    struct agg_config cfg;
    struct aggregator a;
    struct proto_tfp_msg m;
    uint64_t t;

    (void)state;
    cfg_test(&cfg);
    aggregator_init(&a, &cfg, 0);
    for (t = 0; t < 6; t++) {
        win(&a, 2 * t, 1, 200, 10);     /* elephant on even seconds */
        win(&a, 2 * t + 1, 4, 160, 5);  /* human on odd ones */
        win(&a, 2 * t + 1, 99, 255, 5); /* garbage class id */
    }
    /* min_windows 2 in a row per class: alternating windows never open. */
    win(&a, 30, 0, 0, 0);
    assert_int_equal(a.episodes, 0);
    cfg.min_windows = 1;
    aggregator_init(&a, &cfg, 0);
    for (t = 0; t < 6; t++) {
        win(&a, 2 * t, 1, 200, 10);
        win(&a, 2 * t + 1, 4, 160, 5);
    }
    win(&a, 30, 0, 0, 0);
    assert_int_equal(a.episodes, 2);
    assert_true(aggregator_peek(&a, 31000, &m));
    assert_int_equal(m.u.det.count, 2);
    assert_int_equal(m.u.det.rec[0].class_id + m.u.det.rec[1].class_id, 5);
}

/* A presence longer than max_episode_ms is reported every max_episode_ms. */
static void test_aggregator_window_long_presence_split(void **state)
{
    struct agg_config cfg;
    struct aggregator a;
    uint64_t t;

    (void)state;
    cfg_test(&cfg);
    cfg.max_episode_ms = 20000;
    aggregator_init(&a, &cfg, 0);
    for (t = 0; t < 100; t++) {
        win(&a, t, 1, 200, 10);
    }
    /* 0..20 s, then a new episode each 20 s: the fifth closes with the window ending at
     * 100 s. */
    assert_int_equal(a.episodes, 5);
    assert_int_equal(a.queue[0].start_ms, 0);
    assert_int_equal(a.queue[0].end_ms, 20000);
    assert_int_equal(a.queue[1].start_ms, 20000);
    assert_int_equal(a.queue[4].end_ms, 100000);
}

/* Records wait batch_wait_ms for company; 8 make a frame at once; the 9th waits. */
static void test_aggregator_peek_batching(void **state)
{
    struct agg_config cfg;
    struct aggregator a;
    struct proto_tfp_msg m;
    uint64_t t = 0;
    int e;

    (void)state;
    cfg_test(&cfg);
    cfg.min_windows = 1;
    cfg.hangover_ms = 2000;
    cfg.batch_wait_ms = 30000;
    aggregator_init(&a, &cfg, 0);
    win(&a, 0, 1, 200, 10);
    win(&a, 3, 0, 0, 0); /* closed at 3 s */
    assert_false(aggregator_peek(&a, 32999, &m));
    assert_true(aggregator_peek(&a, 33000, &m));
    assert_int_equal(m.u.det.count, 1);
    aggregator_commit(&a, 33000, &m);

    /* Nine short episodes within 27 s. */
    t = 100;
    for (e = 0; e < 9; e++) {
        win(&a, t, 1, (uint8_t)(150 + e), (uint8_t)e);
        win(&a, t + 3, 0, 0, 0);
        t += 3;
    }
    assert_int_equal(a.queued, 9);
    assert_true(aggregator_peek(&a, t * 1000u, &m));
    assert_int_equal(m.u.det.count, 8);
    assert_int_equal(m.u.det.rec[0].confidence, 150); /* oldest first */
    assert_int_equal(m.u.det.rec[7].confidence, 157);
    aggregator_commit(&a, t * 1000u, &m);
    assert_int_equal(a.queued, 1);
    /* The ninth waits for its own batch time. */
    assert_false(aggregator_peek(&a, t * 1000u, &m));
    assert_true(aggregator_peek(&a, a.queue[0].closed_ms + 30000u, &m));
    assert_int_equal(m.u.det.count, 1);
    assert_int_equal(m.u.det.rec[0].confidence, 158);
    assert_int_equal(proto_tfp_encode(&m, (uint8_t[PROTO_TFP_MAX_LEN]){0}, PROTO_TFP_MAX_LEN), 7);
}

/* A full queue keeps the most confident records. */
static void test_aggregator_window_queue_full(void **state)
{
    struct agg_config cfg;
    struct aggregator a;
    uint64_t t = 0;
    int e;
    size_t i;

    (void)state;
    cfg_test(&cfg);
    cfg.min_windows = 1;
    cfg.hangover_ms = 1000;
    cfg.batch_wait_ms = 1000000;
    aggregator_init(&a, &cfg, 0);
    for (e = 0; e < (int)AGG_QUEUE + 4; e++) {
        /* confidences 200, 130, 201, 131, ...: the weak ones go first */
        win(&a, t, 1, (uint8_t)(e % 2 ? 130 + e : 200 + e), 1);
        win(&a, t + 2, 0, 0, 0);
        t += 2;
    }
    assert_int_equal(a.queued, AGG_QUEUE);
    assert_int_equal(a.dropped, 4);
    for (i = 0; i < AGG_QUEUE; i++) {
        assert_true(a.queue[i].confidence != 131 && a.queue[i].confidence != 133);
    }
    /* Order is kept. */
    for (i = 1; i < AGG_QUEUE; i++) {
        assert_true(a.queue[i].start_ms > a.queue[i - 1].start_ms);
    }
}

static void test_aggregator_peek_health(void **state)
{
    struct agg_config cfg;
    struct aggregator a;
    struct proto_tfp_msg m;
    uint64_t t;

    (void)state;
    cfg_test(&cfg);
    cfg.health_period_ms = 60000;
    cfg.min_windows = 1;
    aggregator_init(&a, &cfg, 5000);
    for (t = 5; t < 65; t++) {
        win(&a, t, t == 20 ? 1 : 0, 200, 3);
    }
    aggregator_tx_failure(&a);
    assert_false(aggregator_peek(&a, 64999, &m) && m.port == PROTO_TFP_PORT_HEALTH);
    /* At 65 s the detection is due too: detections go first. */
    assert_true(aggregator_peek(&a, 65000, &m));
    assert_int_equal(m.port, PROTO_TFP_PORT_DETECTIONS);
    aggregator_commit(&a, 65000, &m);
    assert_true(aggregator_peek(&a, 65000, &m));
    assert_int_equal(m.port, PROTO_TFP_PORT_HEALTH);
    assert_int_equal(m.u.health.inferences, 60);
    assert_int_equal(m.u.health.detections, 1);
    assert_int_equal(m.u.health.tx_failures, 1);
    aggregator_commit(&a, 66000, &m);
    /* Counts restart; the next one is a period after the commit. */
    win(&a, 70, 0, 0, 0);
    assert_false(aggregator_peek(&a, 125999, &m));
    assert_true(aggregator_peek(&a, 126000, &m));
    assert_int_equal(m.u.health.inferences, 1);
    assert_int_equal(m.u.health.detections, 0);
    assert_int_equal(m.u.health.tx_failures, 0);
}

static void test_aggregator_peek_anomaly_summary(void **state)
{
    struct agg_config cfg;
    struct aggregator a;
    struct proto_tfp_msg m;
    struct agg_window w;
    uint32_t i;

    (void)state;
    cfg_test(&cfg);
    cfg.anomaly_period_ms = 600000;
    aggregator_init(&a, &cfg, 0);
    memset(&w, 0, sizeof(w));
    w.scored = true;
    /* 100 windows: scores 0..99 (none anomalous), then 20 windows of 150 with band 9, one
     * of 250 with band 17. */
    for (i = 0; i < 121; i++) {
        w.start_ms = i * 256u;
        w.end_ms = w.start_ms + 544u;
        w.score = (uint8_t)(i < 100 ? i : i < 120 ? 150 : 250);
        w.anomalous = w.score >= 100; /* the model's threshold */
        w.peak_band = (uint8_t)(i < 120 ? 9 : 17);
        aggregator_window(&a, &w);
    }
    assert_false(aggregator_peek(&a, 599999, &m));
    assert_true(aggregator_peek(&a, 600000, &m));
    assert_int_equal(m.port, PROTO_TFP_PORT_ANOMALY);
    assert_int_equal(m.u.anomaly.windows, 121);
    assert_int_equal(m.u.anomaly.anomalous, 21);
    /* (4950 + 3000 + 250) / 121 = 67.8 -> 68 */
    assert_int_equal(m.u.anomaly.score_mean, 68);
    assert_int_equal(m.u.anomaly.score_max, 250);
    assert_int_equal(m.u.anomaly.peak_band, 17);
    assert_int_equal(m.u.anomaly.period_s, 600);
    aggregator_commit(&a, 600000, &m);
    /* A period without scored windows sends nothing. */
    assert_false(aggregator_peek(&a, 1200000, &m));
    /* 1000 windows, 3 anomalous: scaled to 255 windows keeping the ratio, rounding up. */
    for (i = 0; i < 1000; i++) {
        w.score = (uint8_t)(i < 3 ? 200 : 10);
        w.anomalous = i < 3;
        aggregator_window(&a, &w);
    }
    assert_true(aggregator_peek(&a, 1800000, &m));
    assert_int_equal(m.u.anomaly.windows, 255);
    assert_int_equal(m.u.anomaly.anomalous, 1);
    assert_int_equal(m.u.anomaly.period_s, 1200);
}

/* End of input: open episodes close, everything is due at once, one last health message. */
static void test_aggregator_flush(void **state)
{
    struct agg_config cfg;
    struct aggregator a;
    struct proto_tfp_msg m;

    (void)state;
    cfg_test(&cfg);
    cfg.batch_wait_ms = 600000;
    cfg.health_period_ms = 3600000;
    aggregator_init(&a, &cfg, 0);
    win(&a, 0, 1, 200, 10);
    win(&a, 1, 1, 220, 12);
    win(&a, 2, 1, 210, 11); /* still open */
    assert_false(aggregator_peek(&a, 3000, &m));
    aggregator_flush(&a, 3000);
    assert_true(aggregator_peek(&a, 3000, &m));
    assert_int_equal(m.port, PROTO_TFP_PORT_DETECTIONS);
    assert_int_equal(m.u.det.rec[0].duration_s, 3);
    assert_int_equal(m.u.det.rec[0].confidence, 220);
    aggregator_commit(&a, 3000, &m);
    assert_true(aggregator_peek(&a, 3000, &m));
    assert_int_equal(m.port, PROTO_TFP_PORT_HEALTH);
    assert_int_equal(m.u.health.inferences, 3);
    aggregator_commit(&a, 3000, &m);
    assert_false(aggregator_peek(&a, 3000, &m));
}

/* Episode rules: one very confident window opens alone; an episode of middling windows and
 * one with a run longer than any call of the class are dropped and counted, never sent. */
static void test_aggregator_window_episode_rules(void **state)
{
    struct agg_config cfg;
    struct aggregator a;
    struct proto_tfp_msg m;
    uint64_t t;

    (void)state;
    cfg_test(&cfg);
    cfg.strong_conf = 250;
    aggregator_init(&a, &cfg, 0);
    win(&a, 0, 1, 249, 5); /* confident, but not enough to open alone */
    win(&a, 1, 0, 0, 0);
    win(&a, 10, 1, 252, 5); /* a short call that fills one window */
    win(&a, 11, 0, 0, 0);
    win(&a, 30, 0, 0, 0);
    assert_int_equal(a.episodes, 1);
    assert_true(aggregator_peek(&a, 40000, &m));
    assert_int_equal(m.u.det.rec[0].confidence, 252);

    cfg_test(&cfg);
    cfg.peak_conf = 240;
    cfg.max_run = 4;
    aggregator_init(&a, &cfg, 0);
    win(&a, 0, 1, 200, 5); /* two middling windows: below the peak rule */
    win(&a, 1, 1, 239, 5);
    for (t = 20; t < 25; t++) {
        win(&a, t, 1, 255, 5); /* five in a row: longer than max_run */
    }
    for (t = 40; t < 44; t++) {
        win(&a, t, 1, 245, 5); /* four in a row, a break, four more: a call's shape */
    }
    win(&a, 44, 0, 0, 0);
    for (t = 45; t < 49; t++) {
        win(&a, t, 1, 245, 5);
    }
    win(&a, 80, 0, 0, 0);
    assert_int_equal(a.rejected, 2);
    assert_int_equal(a.episodes, 1);
    assert_true(aggregator_peek(&a, 90000, &m));
    assert_int_equal(m.u.det.count, 1);
    assert_int_equal(m.u.det.rec[0].duration_s, 9); /* 40 s .. 49 s */
}

/* The profiles' rules: on for the call classifiers, off for the turbine. */
static void test_aggregator_profile_config(void **state)
{
    struct agg_config cfg;

    (void)state;
    aggregator_profile_config(&cfg, DSP_PROFILE_ELEPHANT);
    assert_true(cfg.strong_conf > 0u && cfg.max_run > 0u);
    assert_int_equal(cfg.min_windows, 2);
    aggregator_profile_config(&cfg, DSP_PROFILE_WHALE);
    assert_true(cfg.strong_conf > 0u);
    aggregator_profile_config(&cfg, DSP_PROFILE_TURBINE);
    assert_int_equal(cfg.strong_conf, 0);
    assert_int_equal(cfg.peak_conf, 0);
    assert_int_equal(cfg.max_run, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregator_window_one_episode),
        cmocka_unit_test(test_aggregator_window_debounce),
        cmocka_unit_test(test_aggregator_window_two_classes),
        cmocka_unit_test(test_aggregator_window_long_presence_split),
        cmocka_unit_test(test_aggregator_peek_batching),
        cmocka_unit_test(test_aggregator_window_queue_full),
        cmocka_unit_test(test_aggregator_peek_health),
        cmocka_unit_test(test_aggregator_peek_anomaly_summary),
        cmocka_unit_test(test_aggregator_flush),
        cmocka_unit_test(test_aggregator_window_episode_rules),
        cmocka_unit_test(test_aggregator_profile_config),
    };

    return cmocka_run_group_tests_name("test_aggregator", tests, NULL, NULL);
}
