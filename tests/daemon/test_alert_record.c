/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/alert/alert_record.c, daemon/alert/alert_restore.c and the alert and
 * outbox functions of daemon/store/store_outbox.c, on a real SQLite file: a transition's rows,
 * the seq guard, the outbox order, deletion and size bound (superseded retained rows first, then
 * the oldest, counted), alerts read back by the CLI and by a restart, and pruning.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "alert/alert_record.h"
#include "alert/alert_restore.h"
#include "alert/fusion.h"
#include "store/store.h"
#include "daemon/alert_sample.h"

struct fixture {
    char dir[64];
    char path[96];
    struct store *s;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256] = "";

    if (fx == NULL) {
        return -1;
    }
    (void)snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_alert_record.XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    (void)snprintf(fx->path, sizeof(fx->path), "%s/tinyfleet.db", fx->dir);
    if (store_open(fx->path, 1, &fx->s, err, sizeof(err)) != 0 || store_daemon_mode(fx->s) != 0) {
        print_error("store_open: %s\n", err);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[128];
    size_t i;

    store_close(fx->s);
    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        (void)snprintf(p, sizeof(p), "%s%s", fx->path, suffix[i]);
        (void)unlink(p);
    }
    (void)rmdir(fx->dir);
    free(fx);
    return 0;
}

static int64_t count_rows(struct fixture *fx, const char *table)
{
    char sql[96];
    sqlite3_int64 n = -1;
    sqlite3_stmt *st = NULL;
    sqlite3 *db = NULL;

    (void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* ---- a transition's rows ---- */

static void test_alert_record_rows_and_seq_guard(void **state)
{
    struct fixture *fx = *state;
    struct config cfg;
    struct fusion_alert a = sample(3, 1, FUSION_OPEN);

    config_defaults(&cfg);
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    a.seq = 2;
    a.state = FUSION_ESCALATE;
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    /* A seq not above the stored one is refused and writes nothing. */
    a.seq = 2;
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), -EEXIST);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(count_rows(fx, "alerts"), 1);
    assert_int_equal(count_rows(fx, "alert_transitions"), 2);
    /* Without a publisher nothing goes to the outbox (it would only grow). */
    assert_int_equal(count_rows(fx, "outbox"), 0);
}

struct seen {
    int n;
    int64_t ids[8];
    char states[8][16];
};

static int collect_alert(const struct store_alert *a, void *arg)
{
    struct seen *s = arg;

    s->ids[s->n] = a->id;
    (void)snprintf(s->states[s->n], sizeof(s->states[0]), "%s", a->state);
    s->n++;
    return 0;
}

static void test_alerts_foreach_active_and_recent(void **state)
{
    struct fixture *fx = *state;
    struct config cfg;
    struct fusion_alert a;
    struct seen seen = {0};
    int64_t max_id = -1;

    config_defaults(&cfg);
    a = sample(1, 1, FUSION_OPEN);
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    a = sample(2, 1, FUSION_OPEN);
    (void)snprintf(a.key, sizeof(a.key), "railway");
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    a = sample(1, 2, FUSION_CLEARED);
    a.time_ms = T0 + 100;
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    assert_int_equal(store_flush(fx->s), 0);

    assert_int_equal(store_alerts_foreach(fx->s, true, 0, collect_alert, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ids[0], 2);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_alerts_foreach(fx->s, false, 0, collect_alert, &seen), 0);
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.ids[0], 1); /* changed last */
    assert_string_equal(seen.states[0], "cleared");
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_alerts_foreach(fx->s, false, 1, collect_alert, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_int_equal(store_alert_max_id(fx->s, &max_id), 0);
    assert_int_equal(max_id, 2);
}

static int no_emit(const struct fusion_alert *a, void *arg)
{
    (void)a;
    (void)arg;
    return 0;
}

static int count_active(const struct fusion_alert *a, void *arg)
{
    int *n = arg;

    assert_int_equal(a->id, 5);
    assert_int_equal(a->seq, 2);
    (*n)++;
    return 0;
}

static void test_alert_restore_continues(void **state)
{
    struct fixture *fx = *state;
    struct fusion_opts opts = {no_emit, NULL, 0, 0};
    struct config cfg;
    struct fusion *f = NULL;
    struct fusion_alert a;
    int active = 0;

    config_defaults(&cfg);
    cfg.fusion.rule_count = 1;
    (void)snprintf(cfg.fusion.rules[0].name, sizeof(cfg.fusion.rules[0].name), "elephant");
    cfg.fusion.rules[0].type = CONFIG_RULE_CLUSTER;
    cfg.fusion.rules[0].class_id = 1;
    cfg.fusion.rules[0].window_s = 60;
    cfg.fusion.rules[0].min_nodes = 2;
    cfg.fusion.rules[0].watch_confidence = 0.5;
    cfg.fusion.rules[0].warning_confidence = 0.7;
    cfg.fusion.rules[0].critical_confidence = 0.9;
    cfg.fusion.rules[0].clear_after_s = 300;
    cfg.fusion.rules[0].update_interval_s = 30;
    a = sample(5, 1, FUSION_OPEN);
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    a = sample(5, 2, FUSION_ESCALATE);
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    a = sample(9, 1, FUSION_OPEN); /* cleared: not continued, but its id is used */
    (void)snprintf(a.key, sizeof(a.key), "railway");
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    a = sample(9, 2, FUSION_CLEARED);
    (void)snprintf(a.key, sizeof(a.key), "railway");
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    assert_int_equal(store_flush(fx->s), 0);

    assert_int_equal(fusion_new(&cfg.fusion, &opts, &f), 0);
    assert_int_equal(alert_restore(fx->s, f), 1);
    assert_int_equal(fusion_next_id(f), 10);
    assert_int_equal(fusion_foreach_active(f, count_active, &active), 0);
    assert_int_equal(active, 1);
    fusion_free(f);
}

/* ---- the outbox ---- */

struct rows {
    int n;
    int64_t id[16];
    char topic[16][32];
    size_t len[16];
    bool retain[16];
};

static int collect_row(const struct store_outbox_msg *m, void *arg)
{
    struct rows *r = arg;

    r->id[r->n] = m->id;
    (void)snprintf(r->topic[r->n], sizeof(r->topic[0]), "%s", m->topic);
    r->len[r->n] = m->payload_len;
    r->retain[r->n] = m->retain;
    r->n++;
    return 0;
}

static void test_outbox_order_delete_depth(void **state)
{
    struct fixture *fx = *state;
    struct rows r = {0};
    int64_t depth = -1;
    int64_t oldest = -1;

    assert_int_equal(store_outbox_add(fx->s, "t/a", "{\"n\":1}", false, T0 + 1), 0);
    assert_int_equal(store_outbox_add(fx->s, "t/s", "", true, T0 + 2), 0);
    assert_int_equal(store_outbox_add(fx->s, "t/a", "{\"n\":3}", false, T0 + 3), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_outbox_foreach(fx->s, 0, 0, collect_row, &r), 0);
    assert_int_equal(r.n, 3);
    assert_true(r.id[0] < r.id[1] && r.id[1] < r.id[2]);
    assert_string_equal(r.topic[1], "t/s");
    assert_int_equal(r.len[1], 0); /* an empty payload clears a retained topic */
    assert_true(r.retain[1] && !r.retain[0]);

    /* After the first: the rest; with a limit: that many. */
    memset(&r, 0, sizeof(r));
    assert_int_equal(store_outbox_foreach(fx->s, 1, 1, collect_row, &r), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.id[0], 2);

    assert_int_equal(store_outbox_delete(fx->s, 2), 0);
    assert_int_equal(store_outbox_delete(fx->s, 2), 0); /* gone already: no error */
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_outbox_depth(fx->s, &depth, &oldest), 0);
    assert_int_equal(depth, 2);
    assert_int_equal(oldest, T0 + 1);

    /* Ids never go back, even after the outbox was emptied (AUTOINCREMENT). */
    assert_int_equal(store_outbox_delete(fx->s, 1), 0);
    assert_int_equal(store_outbox_delete(fx->s, 3), 0);
    assert_int_equal(store_outbox_add(fx->s, "t/a", "x", false, T0 + 4), 0);
    assert_int_equal(store_flush(fx->s), 0);
    memset(&r, 0, sizeof(r));
    assert_int_equal(store_outbox_foreach(fx->s, 0, 0, collect_row, &r), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.id[0], 4);
}

static void test_outbox_trim_policy(void **state)
{
    struct fixture *fx = *state;
    struct rows r = {0};
    int64_t dropped = -1;
    uint64_t total = 0;

    /* 1 alert/x, 2 state/x (superseded by 4), 3 alert/y, 4 state/x, 5 state/y, 6 alert/z */
    assert_int_equal(store_outbox_add(fx->s, "alert/x", "1", false, T0), 0);
    assert_int_equal(store_outbox_add(fx->s, "state/x", "2", true, T0), 0);
    assert_int_equal(store_outbox_add(fx->s, "alert/y", "3", false, T0), 0);
    assert_int_equal(store_outbox_add(fx->s, "state/x", "4", true, T0), 0);
    assert_int_equal(store_outbox_add(fx->s, "state/y", "5", true, T0), 0);
    assert_int_equal(store_outbox_add(fx->s, "alert/z", "6", false, T0), 0);

    /* Within the bound: nothing happens. */
    assert_int_equal(store_outbox_trim(fx->s, 6, 100, &dropped), 0);
    assert_int_equal(dropped, 0);

    /* One over: the superseded retained row goes, no message is lost to a subscriber. */
    assert_int_equal(store_outbox_trim(fx->s, 5, 100, &dropped), 0);
    assert_int_equal(dropped, 1);
    assert_int_equal(store_outbox_foreach(fx->s, 0, 0, collect_row, &r), 0);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.id[1], 3);

    /* Three over: nothing superseded is left, so the oldest go. */
    assert_int_equal(store_outbox_trim(fx->s, 2, 100, &dropped), 0);
    assert_int_equal(dropped, 3);
    memset(&r, 0, sizeof(r));
    assert_int_equal(store_outbox_foreach(fx->s, 0, 0, collect_row, &r), 0);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.id[0], 5);
    assert_int_equal(r.id[1], 6);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_outbox_dropped(fx->s, &total), 0);
    assert_int_equal(total, 4);
}

static void test_prune_alerts(void **state)
{
    struct fixture *fx = *state;
    struct config cfg;
    struct fusion_alert a;

    config_defaults(&cfg);
    a = sample(1, 1, FUSION_OPEN);
    a.time_ms = T0 - 1000;
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    a = sample(1, 2, FUSION_CLEARED);
    a.time_ms = T0 - 900;
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    a = sample(2, 1, FUSION_OPEN); /* old but active: stays */
    (void)snprintf(a.key, sizeof(a.key), "railway");
    a.time_ms = T0 - 800;
    assert_int_equal(alert_record(fx->s, NULL, NULL, &cfg.mqtt, cfg.gateway.id, &a), 0);
    assert_int_equal(store_flush(fx->s), 0);

    assert_int_equal(store_prune(fx->s, T0, 100), 4);
    assert_int_equal(count_rows(fx, "alerts"), 1);
    assert_int_equal(count_rows(fx, "alert_transitions"), 0);
    assert_int_equal(store_prune(fx->s, T0, 100), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alert_record_rows_and_seq_guard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts_foreach_active_and_recent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_restore_continues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_order_delete_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_trim_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_alerts, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
