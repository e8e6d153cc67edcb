/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/store/checkpoint.c against a real SQLite file: under a stream of commits
 * the WAL keeps being restarted, so the file stays far below what was written (the worker's
 * checkpoints alone never get the WAL back to its start, as one commit always lands while
 * they run), every row stays readable, and a stop with a checkpoint in flight frees it all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <uv.h>

#include "store/checkpoint.h"
#include "store/store.h"

#define COMMITS    3000
#define WAL_PAGES  32 /* checkpoint threshold here: small, so that many cycles run */
#define PAGE_BYTES 4096
#define LANDING    5 /* commits that land while a checkpoint runs */

struct fixture {
    char path[64];
    char wal[80];
    uv_loop_t loop;
    struct store *store;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256];
    int fd;

    assert_non_null(fx);
    strcpy(fx->path, "/tmp/test_checkpoint_XXXXXX");
    fd = mkstemp(fx->path);
    assert_true(fd >= 0);
    close(fd);
    unlink(fx->path);
    snprintf(fx->wal, sizeof(fx->wal), "%s-wal", fx->path);
    assert_int_equal(store_open(fx->path, 1, &fx->store, err, sizeof(err)), 0);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char side[80];

    assert_int_equal(uv_loop_close(&fx->loop), 0);
    store_close(fx->store);
    unlink(fx->path);
    unlink(fx->wal);
    snprintf(side, sizeof(side), "%s-shm", fx->path);
    unlink(side);
    free(fx);
    return 0;
}

static long file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void commit_one(struct fixture *fx, int i)
{
    char json[600];

    /* About a page and a half of row per commit, so the WAL fills quickly. */
    snprintf(json, sizeof(json), "{\"n\":%d,\"pad\":\"%0500d\"}", i, i);
    assert_int_equal(store_gateway_stat(fx->store, "0102030405060708", 1000 + i, json), 0);
    assert_int_equal(store_flush(fx->store), 0);
}

static void test_checkpoint_wal_stays_bounded(void **state)
{
    struct fixture *fx = *state;
    struct checkpointer *c = NULL;
    long largest = 0;
    int during = 0;
    int cycles = 0;
    sqlite3 *db;
    sqlite3_stmt *st;
    int i;

    assert_int_equal(checkpointer_start(&fx->loop, fx->store, WAL_PAGES, &c), 0);
    for (i = 0; i < COMMITS; i++) {
        long size;

        commit_one(fx, i);
        /* The loop has work pending only while a checkpoint runs: then commit a few more,
         * as the daemon would, and wait for it, so the race is there on any machine. */
        if (uv_loop_alive(&fx->loop) && ++during % LANDING == 0) {
            assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
            cycles++;
        }
        size = file_size(fx->wal);
        largest = size > largest ? size : largest;
    }
    checkpointer_stop(c);
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    /* Never restarted, the WAL would hold every page of every commit, more than two each;
     * restarted, about the threshold and the commits that landed during one checkpoint. */
    print_message("largest WAL: %ld pages after %d commits, %d checkpoints\n", largest / PAGE_BYTES,
                  COMMITS, cycles);
    assert_true(cycles > 10);
    assert_true(largest > 0 && largest < 10 * WAL_PAGES * PAGE_BYTES);

    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*), sum(json_extract(json, '$.n'))"
                                        " FROM gateway_stats",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), COMMITS);
    assert_int_equal(sqlite3_column_int64(st, 1), (int64_t)COMMITS * (COMMITS - 1) / 2);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_checkpoint_stop_while_running(void **state)
{
    struct fixture *fx = *state;
    struct checkpointer *c = NULL;
    int i;

    assert_int_equal(checkpointer_start(&fx->loop, fx->store, 1, &c), 0);
    for (i = 0; i < 3; i++) {
        commit_one(fx, i); /* the first already starts a checkpoint */
    }
    checkpointer_stop(c); /* freed once the work is back (ASan checks) */
    commit_one(fx, 3);    /* no hook any more */
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    checkpointer_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checkpoint_wal_stays_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_stop_while_running, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
