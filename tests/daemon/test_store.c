/* SPDX-License-Identifier: MIT
 * Unit tests for the store (daemon/store/store.c, store_node.c, store_read.c) on a real
 * SQLite file in a fresh /tmp directory per test: migrations, the newer-schema refusal,
 * opening, the node registry, closing, pruning and names. The batch is in
 * test_store_uplink.c. Results are also checked through a second, plain sqlite3 connection.
 */
#include "store_fixture.h"

/* ---- migrations and opening ---- */

static void test_store_open_migrates_empty_and_reopens(void **state)
{
    struct fixture *fx = *state;
    struct store_node n;

    open_ok(fx);
    assert_true(store_schema_latest() >= 1);
    assert_int_equal(store_schema_version(fx->s), store_schema_latest());
    assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), store_schema_latest());
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                                       " AND name IN ('nodes', 'frames', 'later_receptions',"
                                       " 'events', 'gateway_stats', 'counters')"),
                     6);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'view'"
                                       " AND name = 'receptions'"),
                     1);
    add_node(fx->s, DEV_A, "north");
    store_close(fx->s);
    fx->s = NULL;

    /* Again: nothing to apply, the data is still there. */
    open_ok(fx);
    assert_int_equal(store_schema_version(fx->s), store_schema_latest());
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_string_equal(n.zone, "north");
}

/* A database of schema 2 with frames heard once and twice: 0003 moves each frame's first
 * reception into its row, keeps the later ones, and the view shows all of them. */
static void test_store_migrates_receptions_of_schema_2(void **state)
{
    struct fixture *fx = *state;
    size_t i;

    for (i = 0; i < 2; i++) {
        assert_int_equal(store__migrations[i].version, (int)i + 1);
        sql_exec(fx->path, store__migrations[i].sql);
    }
    sql_exec(fx->path,
             "PRAGMA user_version = 2;"
             "INSERT INTO nodes (devaddr, nwkskey, appskey, has_fcnt, last_fcnt, created_ms)"
             " VALUES (1, zeroblob(16), zeroblob(16), 1, 2, 0);"
             "INSERT INTO frames (id, devaddr, fcnt, fport, confirmed, received_ms, payload)"
             " VALUES (1, 1, 1, 1, 0, 1000, x''), (2, 1, 2, 1, 0, 2000, x'');"
             "INSERT INTO receptions (frame_id, bearer, gateway, time_ms, rssi, snr, freq_hz,"
             " datr) VALUES (1, 'coap', '10.0.0.1:5683', 1000, NULL, NULL, NULL, NULL),"
             " (2, 'lora', 'AA555A0000000001', 2000, -97, 7.5, 868100000, 'SF7BW125'),"
             " (2, 'lora', 'AA555A0000000002', 2030, -110, -2.5, 868100000, 'SF7BW125');");
    open_ok(fx);
    assert_int_equal(store_schema_version(fx->s), store_schema_latest());
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames WHERE id = 1 AND"
                                       " bearer = 'coap' AND gateway = '10.0.0.1:5683'"
                                       " AND rssi IS NULL"),
                     1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames WHERE id = 2 AND"
                                       " gateway = 'AA555A0000000001' AND rssi = -97"),
                     1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM later_receptions WHERE frame_id = 2"
                                       " AND gateway = 'AA555A0000000002' AND time_ms = 2030"),
                     1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM later_receptions"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 3);
    assert_int_equal(sql_int(fx->path, "SELECT sum(time_ms) FROM receptions"), 5030);
}

static void test_store_open_wal_and_foreign_keys(void **state)
{
    struct fixture *fx = *state;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    open_ok(fx);
    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* Foreign keys are on in the store's connection: a frame of an unknown node is refused
     * by the database itself. */
    assert_int_equal(uplink(fx->s, DEV_B, 1, 9, NULL, 5000), -ENOENT);
    assert_int_equal(store_flush(fx->s), 0);
}

/* The daemon's connection: foreign keys off, integrity held by the store itself. */
static void test_store_daemon_mode_keeps_integrity(void **state)
{
    struct fixture *fx = *state;
    struct store_node n;
    struct store_rx rx = rx_at(6000);
    int64_t frame_id = 0;

    open_ok(fx);
    add_node(fx->s, DEV_A, "north");
    assert_int_equal(store_daemon_mode(fx->s), 0);
    assert_int_equal(store_node_auth(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.devaddr, DEV_A);
    assert_int_equal(n.nwkskey[0], 0x11);
    assert_int_equal(n.appskey[15], 0x22);
    assert_false(n.has_fcnt);
    assert_string_equal(n.zone, "");
    assert_int_equal(store_node_auth(fx->s, DEV_B, &n), -ENOENT);
    /* A frame of a node that is not there is refused (the node's UPDATE finds no row) and
     * leaves nothing behind. */
    assert_int_not_equal(uplink(fx->s, DEV_B, 1, 9, NULL, 5000), 0);
    assert_int_equal(uplink(fx->s, DEV_A, 1, 9, NULL, 5000), 0);
    /* A later copy of a frame that is gone. */
    assert_int_equal(store_reception(fx->s, 999999, &rx), -ENOENT);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_node_auth(fx->s, DEV_A, &n), 0);
    assert_true(n.has_fcnt);
    assert_int_equal(n.last_fcnt, 1);
    frame_id = sql_int(fx->path, "SELECT id FROM frames WHERE devaddr = 637607680");
    assert_int_equal(store_reception(fx->s, frame_id, &rx), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 2);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions r WHERE NOT EXISTS"
                                       " (SELECT 1 FROM frames f WHERE f.id = r.frame_id)"),
                     0);
}

static void test_store_open_refuses_newer_schema(void **state)
{
    struct fixture *fx = *state;
    char want[64];
    char sql[64];
    char err[256] = "";
    struct store *s = NULL;

    open_ok(fx);
    store_close(fx->s);
    fx->s = NULL;
    (void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_schema_latest() + 1);
    sql_exec(fx->path, sql);

    assert_int_equal(store_open(fx->path, 1, &s, err, sizeof(err)), -EPROTO);
    assert_null(s);
    (void)snprintf(want, sizeof(want), "version %d", store_schema_latest() + 1);
    assert_non_null(strstr(err, want));
    (void)snprintf(want, sizeof(want), "(%d)", store_schema_latest());
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "newer"));
    /* Refused without touching it. */
    assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), store_schema_latest() + 1);
}

static void test_store_open_existing_missing(void **state)
{
    struct fixture *fx = *state;
    char err[256] = "";
    struct store *s = NULL;

    assert_int_equal(store_open_existing(fx->path, 2, &s, err, sizeof(err)), -ENOENT);
    assert_null(s);
    assert_non_null(strstr(err, fx->path));
    assert_int_equal(access(fx->path, F_OK), -1); /* not created */

    open_ok(fx);
    store_close(fx->s);
    fx->s = NULL;
    assert_int_equal(store_open_existing(fx->path, 2, &fx->s, err, sizeof(err)), 0);
}

static void test_store_open_not_a_database(void **state)
{
    struct fixture *fx = *state;
    char path[128];
    char err[256] = "";
    struct store *s = NULL;
    FILE *f;

    (void)snprintf(path, sizeof(path), "%s/garbage", fx->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++) {
        (void)fputs("this is not an SQLite database\n", f);
    }
    assert_int_equal(fclose(f), 0);
    assert_int_equal(store_open(path, 1, &s, err, sizeof(err)), -EIO);
    assert_null(s);
    assert_non_null(strstr(err, "not a database"));
    assert_int_equal(store_open(fx->path, 3, &s, err, sizeof(err)), -EINVAL);
}

/* ---- node registry ---- */

static int count_nodes(const struct store_node *n, void *arg)
{
    uint32_t *order = arg;

    order[order[0] + 1] = n->devaddr;
    order[0]++;
    return n->devaddr == DEV_A + 7 ? 42 : 0;
}

static void test_store_node_add_get_remove(void **state)
{
    struct fixture *fx = *state;
    struct store_node n;
    struct store_node got;
    uint32_t order[8] = {0};

    open_ok(fx);
    memset(&n, 0, sizeof(n));
    n.devaddr = DEV_B;
    (void)snprintf(n.name, sizeof(n.name), "waterhole east");
    (void)snprintf(n.profile, sizeof(n.profile), "elephant");
    n.has_position = true;
    n.lat = -1.2921;
    n.lon = 36.8219;
    (void)snprintf(n.zone, sizeof(n.zone), "village");
    for (unsigned i = 0; i < PROTO_AES_KEY; i++) {
        n.nwkskey[i] = (uint8_t)i;
        n.appskey[i] = (uint8_t)(0xF0 + i);
    }
    n.battery_mv = -1;
    n.created_ms = 1764100000123;
    assert_int_equal(store_node_add(fx->s, &n), 0);
    assert_int_equal(store_node_add(fx->s, &n), -EEXIST);

    assert_int_equal(store_node_get(fx->s, DEV_B, &got), 0);
    assert_int_equal(got.devaddr, DEV_B);
    assert_string_equal(got.name, "waterhole east");
    assert_string_equal(got.profile, "elephant");
    assert_string_equal(got.zone, "village");
    assert_true(got.has_position);
    assert_true(got.lat == n.lat && got.lon == n.lon);
    assert_memory_equal(got.nwkskey, n.nwkskey, PROTO_AES_KEY);
    assert_memory_equal(got.appskey, n.appskey, PROTO_AES_KEY);
    assert_false(got.has_fcnt);
    assert_int_equal(got.battery_mv, -1);
    assert_int_equal(got.last_seen_ms, 0);
    assert_int_equal(got.created_ms, 1764100000123);
    assert_int_equal(store_node_get(fx->s, DEV_A, &got), -ENOENT);

    /* The schema refuses a latitude beyond the pole. */
    n.devaddr = DEV_A + 9;
    n.lat = 91.0;
    assert_int_equal(store_node_add(fx->s, &n), -EINVAL);

    /* DevAddr order, and the callback's non-zero value stops the walk. */
    add_node(fx->s, DEV_A + 7, "");
    add_node(fx->s, DEV_A, "");
    add_node(fx->s, 0xFFFFFFFFu, "");
    assert_int_equal(store_node_foreach(fx->s, count_nodes, order), 42);
    assert_int_equal(order[0], 3);
    assert_int_equal(order[1], DEV_A);
    assert_int_equal(order[2], DEV_B);
    assert_int_equal(order[3], DEV_A + 7);
    assert_int_equal(store_node_get(fx->s, 0xFFFFFFFFu, &got), 0);

    assert_int_equal(store_node_remove(fx->s, DEV_B), 0);
    assert_int_equal(store_node_remove(fx->s, DEV_B), -ENOENT);
    assert_int_equal(store_node_get(fx->s, DEV_B, &got), -ENOENT);
}

static void test_store_node_remove_deletes_history(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg m = detections(1, 4);
    struct seen sn;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    add_node(fx->s, DEV_B, "");
    assert_int_equal(uplink(fx->s, DEV_A, 1, 0, &m, 100000), 0);
    assert_int_equal(uplink(fx->s, DEV_B, 1, 0, &m, 100000), 0);
    /* Registry writes wait for the batch: they are not part of it. */
    assert_int_equal(store_node_remove(fx->s, DEV_A), -EBUSY);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_node_remove(fx->s, DEV_A), 0);
    assert_int_equal(events(fx->s, ALL, &sn), 0);
    assert_int_equal(sn.n, 2);
    assert_int_equal(sn.ev[0].devaddr, DEV_B);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 1);
}

static void test_store_close_commits_pending(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg a = anomaly();
    uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT];
    struct seen sn;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(uplink(fx->s, DEV_A, 1, 0, &a, 1000), 0);
    store_count(fx->s, STORE_BEARER_COAP, STORE_ACCEPTED);
    store_close(fx->s);
    fx->s = NULL;
    open_ok(fx);
    assert_int_equal(events(fx->s, ALL, &sn), 0);
    assert_int_equal(sn.n, 1);
    assert_int_equal(store_stats(fx->s, counts), 0);
    assert_int_equal(counts[STORE_BEARER_COAP][STORE_ACCEPTED], 1);
}

static void test_store_prune_batches(void **state)
{
    struct fixture *fx = *state;
    struct proto_tfp_msg det = detections(1, 2);
    struct store_node n;
    struct seen sn;
    int total = 0;
    int calls = 0;
    int rc;
    uint32_t i;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    /* 25 old frames of 4 rows each (frame with its first reception, a later reception, two
     * events), 3 old forwarder stats, then 5 recent frames. */
    for (i = 1; i <= 25; i++) {
        struct store_rx later = rx_at(1000 + i);

        assert_int_equal(uplink(fx->s, DEV_A, i, 0, &det, 1000 + i), 0);
        assert_int_equal(store_reception(fx->s, i, &later), 0);
    }
    for (i = 0; i < 3; i++) {
        assert_int_equal(store_gateway_stat(fx->s, "AA555A0000000001", 2000 + i, "{}"), 0);
    }
    for (i = 26; i <= 30; i++) {
        assert_int_equal(uplink(fx->s, DEV_A, i, 0, &det, 1000000 + i), 0);
    }
    /* Not while a batch is open: only store_flush() commits one. */
    assert_int_equal(store_prune(fx->s, 500000, 7), -EBUSY);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_prune(fx->s, 500000, 0), -EINVAL);

    do {
        rc = store_prune(fx->s, 500000, 7);
        assert_true(rc >= 0 && rc <= 7);
        total += rc;
        calls++;
    } while (rc > 0 && calls < 100);
    assert_int_equal(rc, 0);
    assert_int_equal(total, 25 * 4 + 3);
    assert_int_equal(calls, 103 / 7 + 1 + 1); /* 14 full steps, one of 5, the final 0 */

    assert_int_equal(events(fx->s, ALL, &sn), 0);
    assert_int_equal(sn.n, 10);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames"), 5);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 5);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM gateway_stats"), 0);
    assert_int_equal(store_node_get(fx->s, DEV_A, &n), 0);
    assert_int_equal(n.last_fcnt, 30);
    assert_int_equal(store_prune(fx->s, 500000, 7), 0);
}

/* [storage] retention_days = 30: a frame received 31 days ago goes, one of 29 days and one of
 * two hours stay (a cutoff taken in seconds, or days counted short, would say otherwise). */
static void test_store_prune_retention_cutoff(void **state)
{
    static const int64_t hour_ms = 3600LL * 1000;
    struct fixture *fx = *state;
    struct proto_tfp_msg h = health(3600);
    int64_t now = (int64_t)time(NULL) * 1000;
    struct seen sn;
    int total = 0;
    int rc;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(uplink(fx->s, DEV_A, 1, 0, &h, now - 31 * 24 * hour_ms), 0);
    assert_int_equal(uplink(fx->s, DEV_A, 2, 0, &h, now - 29 * 24 * hour_ms), 0);
    assert_int_equal(uplink(fx->s, DEV_A, 3, 0, &h, now - 2 * hour_ms), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(store_prune_retention(fx->s, now, 0, 500), 0); /* 0 keeps everything */
    do {
        rc = store_prune_retention(fx->s, now, 30, 500);
        assert_true(rc >= 0);
        total += rc;
    } while (rc > 0);
    assert_int_equal(total, 2); /* the frame (with its first reception) and its event */
    assert_int_equal(events(fx->s, ALL, &sn), 0);
    assert_int_equal(sn.n, 2);
    assert_int_equal(sn.ev[0].fcnt, 3);
    assert_int_equal(sn.ev[1].fcnt, 2);
}

static void test_store_names(void **state)
{
    (void)state;
    assert_string_equal(store_bearer_name(STORE_BEARER_COAP), "coap");
    assert_string_equal(store_bearer_name(STORE_BEARER_LORA), "lora");
    assert_string_equal(store_bearer_name(STORE_BEARER_COUNT), "unknown");
    assert_string_equal(store_reason_name(STORE_ACCEPTED), "accepted");
    assert_string_equal(store_reason_name(STORE_UNKNOWN_NODE), "unknown_node");
    assert_string_equal(store_reason_name(STORE_STORAGE_FAILED), "storage_failed");
    assert_string_equal(store_reason_name(STORE_REASON_COUNT), "unknown");
    for (int r = 0; r < STORE_REASON_COUNT; r++) {
        assert_string_not_equal(store_reason_name((enum store_reason)r), "unknown");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_store_open_migrates_empty_and_reopens),
        T(test_store_migrates_receptions_of_schema_2),
        T(test_store_open_wal_and_foreign_keys),
        T(test_store_daemon_mode_keeps_integrity),
        T(test_store_open_refuses_newer_schema),
        T(test_store_open_existing_missing),
        T(test_store_open_not_a_database),
        T(test_store_node_add_get_remove),
        T(test_store_node_remove_deletes_history),
        T(test_store_close_commits_pending),
        T(test_store_prune_batches),
        T(test_store_prune_retention_cutoff),
        cmocka_unit_test(test_store_names),
    };

    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
