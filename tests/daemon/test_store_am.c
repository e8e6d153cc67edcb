/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/store/store_am.c and its part of alert_record.c, on a real SQLite
 * file: a transition's Alertmanager row goes in the transition's batch (and only with a
 * poster), a newer transition of the same alert replaces the older row, rows are read in
 * order and deleted, a lost batch takes its row with it, the poster's status, and
 * acknowledgements (an unknown alert refused, a second ack replacing the first, gone with
 * the alert).
 */
#include "daemon/store_fixture.h"

#include <uv.h>

#include "alert/alert_record.h"
#include "alertmanager/alertmanager.h"
#include "config/config.h"
#include "daemon/alert_sample.h"

struct am_seen {
    int n;
    int64_t ids[8];
    int64_t alert_ids[8];
    uint32_t seqs[8];
};

static int collect_am(const struct store_am_msg *m, void *arg)
{
    struct am_seen *s = arg;

    assert_true(s->n < 8);
    assert_non_null(strstr(m->json, "\"class\":\"elephant\""));
    s->ids[s->n] = m->id;
    s->alert_ids[s->n] = m->alert_id;
    s->seqs[s->n] = m->seq;
    s->n++;
    return 0;
}

/* A poster that posts nowhere: alert_record() only needs it to exist (its loop never runs;
 * the URL is never reached). */
static struct alertmanager *poster(uv_loop_t *loop, struct store *s)
{
    struct config cfg;
    struct alertmanager *am = NULL;

    config_defaults(&cfg);
    cfg.alertmanager.url_count = 1;
    (void)snprintf(cfg.alertmanager.urls[0], CONFIG_AM_URL_LEN, "http://127.0.0.1:9");
    assert_int_equal(uv_loop_init(loop), 0);
    assert_int_equal(alertmanager_start(loop, &cfg.alertmanager, "park", NULL, s, &am), 0);
    return am;
}

static void poster_stop(uv_loop_t *loop, struct alertmanager *am)
{
    alertmanager_stop(am);
    assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(loop), 0);
}

static void test_store_am_rows_with_the_transition(void **state)
{
    struct fixture *fx = *state;
    struct config cfg;
    struct fusion_alert a;
    struct am_seen seen = {0};
    uv_loop_t loop;
    struct alertmanager *am;
    struct store *s = open_ok(fx);

    config_defaults(&cfg);
    am = poster(&loop, s);
    /* without a poster: no row */
    a = sample(1, 1, FUSION_OPEN);
    assert_int_equal(alert_record(s, NULL, NULL, &cfg.mqtt, "gw", &a), 0);
    a = sample(2, 1, FUSION_OPEN);
    assert_int_equal(alert_record(s, NULL, am, &cfg.mqtt, "gw", &a), 0);
    a = sample(3, 1, FUSION_OPEN);
    assert_int_equal(alert_record(s, NULL, am, &cfg.mqtt, "gw", &a), 0);
    a = sample(2, 2, FUSION_ESCALATE); /* replaces alert 2's row */
    assert_int_equal(alert_record(s, NULL, am, &cfg.mqtt, "gw", &a), 0);
    assert_int_equal(store_flush(s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM am_outbox"), 2);
    assert_int_equal(store_am_foreach(s, 0, 0, collect_am, &seen), 0);
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.alert_ids[0], 3);
    assert_int_equal(seen.alert_ids[1], 2);
    assert_int_equal(seen.seqs[1], 2);
    /* after_id and limit */
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_am_foreach(s, 0, 1, collect_am, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_int_equal(store_am_foreach(s, seen.ids[0], 0, collect_am, &seen), 0);
    assert_int_equal(seen.n, 2);
    /* deleted on acceptance, in the batch; a row gone already is no error */
    assert_int_equal(store_am_delete(s, seen.ids[0]), 0);
    assert_int_equal(store_am_delete(s, seen.ids[0]), 0);
    assert_int_equal(store_flush(s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM am_outbox"), 1);
    poster_stop(&loop, am);
}

/* A batch that is rolled back takes the transition's row with it. */
static void test_store_am_row_lost_with_its_batch(void **state)
{
    struct fixture *fx = *state;
    struct config cfg;
    struct fusion_alert a = sample(9, 1, FUSION_OPEN);
    uv_loop_t loop;
    struct alertmanager *am;
    struct store *s = open_ok(fx);

    config_defaults(&cfg);
    am = poster(&loop, s);
    assert_int_equal(alert_record(s, NULL, am, &cfg.mqtt, "gw", &a), 0);
    assert_int_equal(sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    s->in_batch = false;
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM am_outbox"), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM alerts"), 0);
    poster_stop(&loop, am);
}

static void test_store_am_status(void **state)
{
    struct fixture *fx = *state;
    struct store_am_status st;
    struct store *s = open_ok(fx);

    assert_int_equal(store_am_status(s, &st), 0);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.last_ok_ms, 0);
    assert_int_equal(st.last_error_ms, 0);
    assert_string_equal(st.last_error, "");
    assert_int_equal(store_am_add(s, 4, 1, "{}", T0), 0);
    assert_int_equal(store_am_note(s, T0 + 1, "http://am:9093: HTTP 500"), 0);
    assert_int_equal(store_am_note(s, T0 + 2, NULL), 0);
    assert_int_equal(store_flush(s), 0);
    assert_int_equal(store_am_status(s, &st), 0);
    assert_int_equal(st.queued, 1);
    assert_int_equal(st.oldest_ms, T0);
    assert_int_equal(st.last_ok_ms, T0 + 2);
    assert_int_equal(st.last_error_ms, T0 + 1);
    assert_string_equal(st.last_error, "http://am:9093: HTTP 500");
}

static void test_store_ack_put_get(void **state)
{
    struct fixture *fx = *state;
    struct config cfg;
    struct fusion_alert a = sample(5, 1, FUSION_OPEN);
    struct store_ack ack = {5, "amina", "on our way", T0 + 10, "sil-1"};
    struct store_ack got;
    struct store *s = open_ok(fx);

    config_defaults(&cfg);
    ack.alert_id = 6;
    assert_int_equal(store_ack_put(s, &ack), -ENOENT); /* no alert 6 */
    assert_int_equal(alert_record(s, NULL, NULL, &cfg.mqtt, "gw", &a), 0);
    ack.alert_id = 5;
    assert_int_equal(store_ack_put(s, &ack), -EBUSY); /* a batch is open */
    assert_int_equal(store_flush(s), 0);
    assert_int_equal(store_ack_get(s, 5, &got), -ENOENT);
    assert_int_equal(store_ack_put(s, &ack), 0);
    assert_int_equal(store_ack_get(s, 5, &got), 0);
    assert_string_equal(got.by, "amina");
    assert_string_equal(got.note, "on our way");
    assert_int_equal(got.time_ms, T0 + 10);
    assert_string_equal(got.silence_id, "sil-1");
    (void)snprintf(ack.by, sizeof(ack.by), "joseph");
    assert_int_equal(store_ack_put(s, &ack), 0);
    assert_int_equal(store_ack_get(s, 5, &got), 0);
    assert_string_equal(got.by, "joseph");
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM alert_acks"), 1);
    /* the alert's next transition carries it */
    a = sample(5, 2, FUSION_UPDATE);
    assert_int_equal(alert_record(s, NULL, NULL, &cfg.mqtt, "gw", &a), 0);
    assert_int_equal(store_flush(s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT json_extract(json, '$.ack.by') = 'joseph'"
                                       " AND json_extract(json, '$.ack.note') = 'on our way'"
                                       " AND json_extract(json, '$.ack.silence') = 'sil-1'"
                                       " AND json_extract(json, '$.ack.time') LIKE '2026-%'"
                                       " FROM alerts WHERE id = 5"),
                     1);
    assert_int_equal(sql_int(fx->path, "SELECT json_extract(json, '$.ack') IS NULL"
                                       " FROM alert_transitions WHERE alert_id = 5 AND seq = 1"),
                     1);
    /* goes with its alert, even with foreign keys off (the daemon's connection) */
    sql_exec(fx->path, "PRAGMA foreign_keys = OFF; DELETE FROM alerts WHERE id = 5");
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM alert_acks"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_am_rows_with_the_transition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_am_row_lost_with_its_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_am_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_ack_put_get, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
