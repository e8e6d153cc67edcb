/* SPDX-License-Identifier: MIT
 * Unit tests for the outbox's size bound (daemon/store/store_outbox.c, store_outbox_trim(),
 * migrations/0004_outbox_bound.sql) on a real SQLite file: a transition at the bound costs
 * the same SQLite work with 1,000 rows as with 10,000 (counted in VM steps and full-scan
 * steps of the store's own statements, not in time), a lowered bound is reached in steps of
 * bounded size, and a database of schema 3 keeps its count and superseded rows. The policy
 * (superseded retained rows first, then the oldest) is in test_alert_record.c.
 */
#include "store_fixture.h"

#define TRANSITION_TRIM 16  /* rows a transition may drop (alert_record.c) */
#define STEP_ROWS       500 /* rows a step of a lowered bound drops (poststore.c) */

/* The sum of statement counter @op over every statement of the store's connection, each
 * reset to 0: what the store ran since the last call. */
static int64_t stmt_counter(struct store *s, int op)
{
    sqlite3_stmt *st = NULL;
    int64_t n = 0;

    while ((st = sqlite3_next_stmt(s->db, st)) != NULL) {
        n += sqlite3_stmt_status(st, op, 1);
    }
    return n;
}

/* The two rows of one alert transition of key @key, as alert_record.c writes them. */
static void transition_rows(struct store *s, int key)
{
    char alert[64];
    char state[64];

    (void)snprintf(alert, sizeof(alert), "tf/site/alert/elephant/zone%d", key);
    (void)snprintf(state, sizeof(state), "tf/site/state/alert/elephant/zone%d", key);
    assert_int_equal(store_outbox_add(s, alert, "{\"seq\":1}", false, 1000), 0);
    assert_int_equal(store_outbox_add(s, state, "{\"seq\":1}", true, 1000), 0);
}

/* Transitions @from .. @to - 1, each of key k % @keys (0: its own key), committed. */
static void fill(struct store *s, int from, int to, int keys)
{
    int k;

    for (k = from; k < to; k++) {
        transition_rows(s, keys > 0 ? k % keys : k);
    }
    assert_int_equal(store_flush(s), 0);
}

/* One transition of key @key at the bound @max_rows: its rows and its trim, as
 * alert_record.c does them; the VM steps the store ran, and its full-scan steps in
 * *@fullscan. */
static int64_t transition_at_bound(struct store *s, int key, int64_t max_rows, int64_t *fullscan)
{
    int64_t dropped = 0;
    int64_t steps;

    (void)stmt_counter(s, SQLITE_STMTSTATUS_VM_STEP);
    (void)stmt_counter(s, SQLITE_STMTSTATUS_FULLSCAN_STEP);
    transition_rows(s, key);
    assert_int_equal(store_outbox_trim(s, max_rows, TRANSITION_TRIM, &dropped), 0);
    assert_int_equal(dropped, 2);
    steps = stmt_counter(s, SQLITE_STMTSTATUS_VM_STEP);
    *fullscan = stmt_counter(s, SQLITE_STMTSTATUS_FULLSCAN_STEP);
    assert_int_equal(store_flush(s), 0);
    return steps;
}

/* A full outbox: each transition's trim costs the same at 1,000 and at 10,000 rows, with no
 * superseded row to find (every alert its own state topic) and with one (the transition's
 * key already has its state in the outbox). A count(*) or a walk of the retained rows at
 * each transition made it grow with the outbox. */
static void test_outbox_transition_at_the_bound_is_bounded(void **state)
{
    struct fixture *fx = *state;
    int64_t small_fresh;
    int64_t small_repeat;
    int64_t large_fresh;
    int64_t large_repeat;
    int64_t fullscan = -1;

    open_ok(fx);
    fill(fx->s, 0, 500, 0);
    small_fresh = transition_at_bound(fx->s, 100000, 1000, &fullscan);
    assert_true(fullscan <= 2);
    small_repeat = transition_at_bound(fx->s, 400, 1000, &fullscan);
    assert_true(fullscan <= 2);

    fill(fx->s, 500, 5000, 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM outbox"), 10000);
    large_fresh = transition_at_bound(fx->s, 100001, 10000, &fullscan);
    assert_true(fullscan <= 2);
    large_repeat = transition_at_bound(fx->s, 4000, 10000, &fullscan);
    assert_true(fullscan <= 2);
    print_message("VM steps per transition at the bound: %lld and %lld at 1,000 rows, "
                  "%lld and %lld at 10,000\n",
                  (long long)small_fresh, (long long)small_repeat, (long long)large_fresh,
                  (long long)large_repeat);
    /* Ten times the rows, the same work: a B-tree descent is one VM step at any depth (a
     * walk of the rows would be thousands more). */
    assert_true(large_fresh <= small_fresh + small_fresh / 4);
    assert_true(large_repeat <= small_repeat + small_repeat / 4);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM outbox"), 10000);
    assert_int_equal(sql_int(fx->path, "SELECT rows FROM outbox_size"), 10000);
}

/* A bound lowered from 3,000 rows to 100 is reached in steps of at most STEP_ROWS rows, each
 * doing work in proportion to its step: superseded retained rows go first, then the oldest,
 * and every row is counted. */
static void test_outbox_lowered_bound_trims_in_steps(void **state)
{
    struct fixture *fx = *state;
    int64_t dropped = 0;
    int64_t total = 0;
    int64_t fullscan;
    uint64_t counted = 0;
    int calls = 0;
    int rc;

    open_ok(fx);
    /* 1,500 transitions of 10 alerts: 1,490 retained rows superseded. */
    fill(fx->s, 0, 1500, 10);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM outbox WHERE superseded = 1"), 1490);
    (void)stmt_counter(fx->s, SQLITE_STMTSTATUS_FULLSCAN_STEP);
    do {
        (void)stmt_counter(fx->s, SQLITE_STMTSTATUS_VM_STEP);
        rc = store_outbox_trim(fx->s, 100, STEP_ROWS, &dropped);
        assert_true(rc == 0 || rc == 1);
        assert_true(dropped > 0 && dropped <= STEP_ROWS);
        /* A few dozen VM steps per row deleted (triggers and indexes included). */
        assert_true(stmt_counter(fx->s, SQLITE_STMTSTATUS_VM_STEP) <= 100 * dropped + 200);
        assert_int_equal(store_flush(fx->s), 0);
        total += dropped;
        calls++;
        if (total <= 1490) {
            /* Superseded rows first: no alert message is lost while one is left. */
            assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM outbox WHERE retain = 0"),
                             1500);
        }
    } while (rc == 1 && calls < 100);
    fullscan = stmt_counter(fx->s, SQLITE_STMTSTATUS_FULLSCAN_STEP);
    assert_int_equal(rc, 0);
    assert_int_equal(calls, 6); /* 5 steps of 500, one of 400 */
    assert_int_equal(total, 2900);
    /* Oldest rows went by id order, not by a scan of the table. */
    assert_true(fullscan <= total);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM outbox"), 100);
    assert_int_equal(sql_int(fx->path, "SELECT rows FROM outbox_size"), 100);
    /* The newest 100: the 10 alerts' current states (ids 2982 .. 3000, even) and the 90
     * newest alert messages (ids 2821 .. 2999, odd). */
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM outbox WHERE retain = 1"), 10);
    assert_int_equal(sql_int(fx->path, "SELECT min(id) FROM outbox"), 2821);
    assert_int_equal(store_outbox_trim(fx->s, 100, STEP_ROWS, &dropped), 0);
    assert_int_equal(dropped, 0);
    assert_int_equal(store_outbox_dropped(fx->s, &counted), 0);
    assert_int_equal(counted, 2900);
}

/* A database of schema 3 with an outbox: 0004 counts its rows and marks what is superseded. */
static void test_outbox_migrates_schema_3(void **state)
{
    struct fixture *fx = *state;
    int64_t dropped = 0;
    size_t i;

    for (i = 0; i < 3; i++) {
        assert_int_equal(store__migrations[i].version, (int)i + 1);
        sql_exec(fx->path, store__migrations[i].sql);
    }
    sql_exec(fx->path, "PRAGMA user_version = 3;"
                       "INSERT INTO outbox (topic, payload, retain, created_ms) VALUES"
                       " ('s/x', x'31', 1, 1), ('a/x', x'32', 0, 1), ('s/x', x'33', 1, 2),"
                       " ('s/y', x'34', 1, 3), ('s/x', x'35', 1, 4);");
    open_ok(fx);
    assert_int_equal(sql_int(fx->path, "SELECT rows FROM outbox_size"), 5);
    /* Rows 1 and 3, older states of s/x. */
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM outbox WHERE superseded = 1"), 2);
    assert_int_equal(sql_int(fx->path, "SELECT sum(id) FROM outbox WHERE superseded = 1"), 4);
    assert_int_equal(store_outbox_trim(fx->s, 3, STEP_ROWS, &dropped), 0);
    assert_int_equal(dropped, 2);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(sql_int(fx->path, "SELECT sum(id) FROM outbox"), 2 + 4 + 5);
    assert_int_equal(sql_int(fx->path, "SELECT rows FROM outbox_size"), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_outbox_transition_at_the_bound_is_bounded),
        T(test_outbox_lowered_bound_trims_in_steps),
        T(test_outbox_migrates_schema_3),
    };

    return cmocka_run_group_tests_name("store_outbox", tests, NULL, NULL);
}
