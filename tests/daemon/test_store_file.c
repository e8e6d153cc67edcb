/* SPDX-License-Identifier: MIT
 * Unit tests for the daemon's hold on its database file (daemon/store/store_file.c, through
 * store_daemon_mode() and store_flush()): one daemon per database, naming the holder, with
 * the CLI's connections still welcome; and a file deleted or replaced under the daemon makes
 * every later commit fail with -ESTALE, so nothing written to it is acknowledged.
 */
#include "store_fixture.h"

/* A second daemon-mode store on the same file is refused and told who holds it; a plain
 * (CLI) connection opens and writes; once the first closes, the file is free again. */
static void test_store_daemon_mode_is_exclusive(void **state)
{
    struct fixture *fx = *state;
    struct store *second = NULL;
    struct store *cli = NULL;
    char err[256] = "";
    char want[64];

    open_ok(fx);
    assert_int_equal(store_daemon_mode(fx->s), 0);
    assert_int_equal(store_open(fx->path, 1, &second, err, sizeof(err)), 0);
    assert_int_equal(store_daemon_mode(second), -EAGAIN);
    (void)snprintf(want, sizeof(want), "pid %d (", (int)getpid());
    if (strstr(store_errmsg(second), want) == NULL) {
        fail_msg("\"%s\" does not name %s", store_errmsg(second), want);
    }
    assert_non_null(strstr(store_errmsg(second), "in use by another daemon"));
    /* The CLI: opens, writes, reads, while the daemon holds the file. */
    assert_int_equal(store_open_existing(fx->path, 1, &cli, err, sizeof(err)), 0);
    add_node(cli, DEV_A, "north");
    store_close(cli);
    /* The first one still works. */
    assert_int_equal(uplink(fx->s, DEV_A, 1, 9, NULL, 5000), 0);
    assert_int_equal(store_flush(fx->s), 0);
    store_close(fx->s);
    fx->s = NULL;
    assert_int_equal(store_daemon_mode(second), 0);
    store_close(second);
}

/* Deleting the database files under the daemon: the commit that follows, and every later
 * one, says -ESTALE (nothing of them may be acknowledged); before, commits succeed. */
static void test_store_flush_sees_the_file_deleted(void **state)
{
    struct fixture *fx = *state;
    char wal[128];

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(store_daemon_mode(fx->s), 0);
    assert_int_equal(uplink(fx->s, DEV_A, 1, 9, NULL, 5000), 0);
    assert_int_equal(store_flush(fx->s), 0);
    assert_int_equal(unlink(fx->path), 0);
    (void)snprintf(wal, sizeof(wal), "%s-wal", fx->path);
    assert_int_equal(unlink(wal), 0);
    assert_int_equal(uplink(fx->s, DEV_A, 2, 9, NULL, 6000), 0);
    assert_int_equal(store_flush(fx->s), -ESTALE);
    assert_non_null(strstr(store_errmsg(fx->s), "was deleted or replaced"));
    assert_non_null(strstr(store_errmsg(fx->s), fx->path));
    assert_int_equal(uplink(fx->s, DEV_A, 3, 9, NULL, 7000), 0);
    assert_int_equal(store_flush(fx->s), -ESTALE);
}

/* Only the -wal replaced (the database file stays): the same. */
static void test_store_flush_sees_the_wal_replaced(void **state)
{
    struct fixture *fx = *state;
    char wal[128];
    char moved[128];
    FILE *f;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(store_daemon_mode(fx->s), 0);
    assert_int_equal(uplink(fx->s, DEV_A, 1, 9, NULL, 5000), 0);
    assert_int_equal(store_flush(fx->s), 0);
    (void)snprintf(wal, sizeof(wal), "%s-wal", fx->path);
    (void)snprintf(moved, sizeof(moved), "%s/garbage", fx->dir);
    assert_int_equal(rename(wal, moved), 0);
    f = fopen(wal, "w");
    assert_non_null(f);
    (void)fclose(f);
    assert_int_equal(uplink(fx->s, DEV_A, 2, 9, NULL, 6000), 0);
    assert_int_equal(store_flush(fx->s), -ESTALE);
}

/* Without daemon mode (the CLI) nothing is checked: the CLI's files are its own business. */
static void test_store_flush_unchecked_without_daemon_mode(void **state)
{
    struct fixture *fx = *state;

    open_ok(fx);
    add_node(fx->s, DEV_A, "");
    assert_int_equal(unlink(fx->path), 0);
    add_node(fx->s, DEV_B, "");
    assert_int_equal(store_flush(fx->s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_store_daemon_mode_is_exclusive),
        T(test_store_flush_sees_the_file_deleted),
        T(test_store_flush_sees_the_wal_replaced),
        T(test_store_flush_unchecked_without_daemon_mode),
    };

    return cmocka_run_group_tests_name("store_file", tests, NULL, NULL);
}
