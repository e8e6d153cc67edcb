/* SPDX-License-Identifier: MIT
 * Joins in the store (store_join.c, migrations/0008_otaa.sql and 0011_frame_session.sql): a
 * node that joined again counts its frames from 0 and they are stored, each session's frames
 * stay unique within it, the newest reception is the new session's, and the migration that
 * added the session to the frames' key keeps every frame, event and later reception.
 */
#include "store_fixture.h"

/* A frame of @devaddr stored as the frame check does: in the session store_node_auth() says. */
static int frame_in_session(struct store *s, uint32_t devaddr, uint32_t fcnt, int64_t time_ms)
{
    static const uint8_t payload[] = {0xDE, 0xAD};
    struct store_rx rx = rx_at(time_ms);
    struct store_uplink up;
    struct store_node n;
    int64_t id = -1;

    assert_int_equal(store_node_auth(s, devaddr, &n), 0);
    memset(&up, 0, sizeof(up));
    up.devaddr = devaddr;
    up.session = n.session;
    up.fcnt = fcnt;
    up.fport = 9;
    up.payload = payload;
    up.payload_len = sizeof(payload);
    up.rx = &rx;
    return store_uplink(s, &up, &id);
}

static void join_again(struct fixture *fx, uint32_t devaddr, uint16_t devnonce, uint32_t join_nonce)
{
    uint8_t nwk[PROTO_AES_KEY];
    uint8_t app[PROTO_AES_KEY];

    memset(nwk, 0x33, sizeof(nwk));
    memset(app, 0x44, sizeof(app));
    assert_int_equal(store_join_accept(fx->s, devaddr, devnonce, join_nonce, nwk, app, 7000), 0);
    assert_int_equal(store_join_activate(fx->s, devaddr), 0);
}

static void test_store_join_rejoined_node_frames_stored(void **state)
{
    struct fixture *fx = *state;
    struct store_node n;
    struct store_rx rx;
    uint32_t f;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(store_daemon_mode(fx->s), 0);
    for (f = 0; f < 5; f++) {
        assert_int_equal(frame_in_session(fx->s, DEV_A, f, 5000 + f), 0);
    }
    assert_int_equal(store_flush(fx->s), 0);

    /* The new session starts at 0: its first frames are stored, not refused by the old
     * session's counters. */
    join_again(fx, DEV_A, 1, 1);
    assert_int_equal(store_node_auth(fx->s, DEV_A, &n), 0);
    assert_false(n.has_fcnt);
    assert_int_equal(n.nwkskey[0], 0x33);
    assert_int_equal(frame_in_session(fx->s, DEV_A, 0, 8000), 0);
    assert_int_equal(frame_in_session(fx->s, DEV_A, 1, 8001), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames WHERE session = 0"), 5);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames WHERE session = 1"), 2);
    assert_int_equal(sql_int(fx->path, "SELECT session FROM nodes"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 7);
    /* The newest reception is the new session's, though its counter is lower. */
    assert_int_equal(store_node_last_rx(fx->s, DEV_A, &rx), 0);
    assert_int_equal(rx.time_ms, 8001);

    /* Within a session a counter is still stored once. */
    assert_int_not_equal(frame_in_session(fx->s, DEV_A, 1, 8002), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames WHERE session = 1"), 2);

    /* A third session: again from 0. */
    join_again(fx, DEV_A, 2, 2);
    assert_int_equal(frame_in_session(fx->s, DEV_A, 0, 9000), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames WHERE session = 2"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames"), 8);
}

/* The index of a migration by its name, so the test does not depend on its number. */
static size_t migration_index(const char *name)
{
    size_t i;

    for (i = 0; i < store__migration_count; i++) {
        if (strcmp(store__migrations[i].name, name) == 0) {
            return i;
        }
    }
    fail_msg("no migration %s", name);
    return 0;
}

/* A database from before the session was in the frames' key, with frames, their events and
 * a later reception: the table is built again without losing a row (foreign keys on would
 * have deleted the events with the old table). */
static void test_store_join_migration_keeps_rows(void **state)
{
    struct fixture *fx = *state;
    size_t upto = migration_index("frame_session");
    char pragma[48];
    size_t i;

    for (i = 0; i < upto; i++) {
        sql_exec(fx->path, store__migrations[i].sql);
    }
    (void)snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
                   store__migrations[upto - 1].version);
    sql_exec(fx->path, pragma);
    sql_exec(fx->path,
             "INSERT INTO nodes (devaddr, nwkskey, appskey, has_fcnt, last_fcnt, created_ms)"
             " VALUES (1, zeroblob(16), zeroblob(16), 1, 2, 0);"
             "INSERT INTO frames (id, devaddr, fcnt, fport, confirmed, received_ms, payload,"
             " bearer, gateway) VALUES (1, 1, 1, 9, 0, 1000, x'01', 'coap', 'a'),"
             " (2, 1, 2, 9, 1, 2000, x'02', 'lora', 'b');"
             "INSERT INTO events (frame_id, devaddr, kind, received_ms, time_ms)"
             " VALUES (1, 1, 'raw', 1000, 1000), (2, 1, 'raw', 2000, 2000);"
             "INSERT INTO later_receptions (frame_id, bearer, gateway, time_ms)"
             " VALUES (2, 'lora', 'c', 2030);");
    open_ok(fx);
    assert_int_equal(store_schema_version(fx->s), store_schema_latest());
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM frames WHERE session = 0"), 2);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 2);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 3);
    assert_int_equal(sql_int(fx->path, "SELECT confirmed FROM frames WHERE fcnt = 2"), 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM sqlite_schema"
                                       " WHERE name = 'frames_new'"),
                     0);
    /* The cascade still works on the rebuilt table (the CLI's connection has it on). */
    assert_int_equal(store_node_remove(fx->s, 1), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM receptions"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_join_rejoined_node_frames_stored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_join_migration_keeps_rows, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
