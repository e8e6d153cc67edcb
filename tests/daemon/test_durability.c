/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/store/durability.c on a real SQLite file and a real loop: which
 * commit generation each [storage] synchronous lets go and when (full: once the WAL sync
 * beside the loop covers it; normal and off: at the commit), the sync every 256 WAL pages
 * with normal, the loop's own sync at shutdown, and a stop with a sync in flight.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "store/durability.h"
#include "store/store.h"

struct fixture {
    char path[64];
    uv_loop_t loop;
    struct store *store;
    struct durability *d;
    unsigned released; /* calls of on_released() */
    uint64_t gen;      /* the last generation it was given */
    unsigned failed;   /* calls of on_failed() */
};

static void on_released(void *arg, uint64_t gen)
{
    struct fixture *fx = arg;

    fx->released++;
    fx->gen = gen;
}

static void on_failed(void *arg)
{
    struct fixture *fx = arg;

    fx->failed++;
}

/* The WAL's page count is reported by the WAL hook, which the daemon's checkpointer sets. */
static void on_wal(void *arg, int pages)
{
    (void)arg;
    (void)pages;
}

static void open_at(struct fixture *fx, int synchronous)
{
    char err[256];

    assert_int_equal(store_open(fx->path, durability_store_synchronous(synchronous), &fx->store,
                                err, sizeof(err)),
                     0);
    assert_int_equal(store_daemon_mode(fx->store), 0);
    store_set_wal_hook(fx->store, on_wal, NULL);
    assert_int_equal(
        durability_start(&fx->loop, fx->store, synchronous, on_released, on_failed, fx, &fx->d), 0);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    int fd;

    assert_non_null(fx);
    strcpy(fx->path, "/tmp/test_durability_XXXXXX");
    fd = mkstemp(fx->path);
    assert_true(fd >= 0);
    close(fd);
    unlink(fx->path);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char side[80];

    durability_stop(fx->d);
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    store_close(fx->store);
    unlink(fx->path);
    snprintf(side, sizeof(side), "%s-wal", fx->path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", fx->path);
    unlink(side);
    free(fx);
    return 0;
}

/* One group commit with a counter pending, as the daemon's check handle runs it. */
static uint64_t group_commit(struct fixture *fx)
{
    uint64_t gen = 0;

    store_count(fx->store, STORE_BEARER_COAP, STORE_ACCEPTED);
    assert_int_equal(durability_commit(fx->d, &gen), 0);
    durability_release(fx->d);
    return gen;
}

static void test_durability_store_synchronous(void **state)
{
    (void)state;
    assert_int_equal(durability_store_synchronous(0), 0);
    assert_int_equal(durability_store_synchronous(1), 1);
    assert_int_equal(durability_store_synchronous(2), 1); /* full is the sync beside the loop */
}

static void test_durability_commit_counts_only_commits(void **state)
{
    struct fixture *fx = *state;
    uint64_t gen = 99;

    open_at(fx, 1);
    assert_int_equal(durability_commit(fx->d, &gen), 0); /* nothing pending */
    assert_int_equal(gen, 0);
    assert_int_equal(group_commit(fx), 1);
    assert_int_equal(group_commit(fx), 2);
    assert_int_equal(durability_commit(fx->d, &gen), 0);
    assert_int_equal(gen, 2);
}

static void test_durability_full_waits_for_the_sync(void **state)
{
    struct fixture *fx = *state;

    open_at(fx, 2);
    assert_int_equal(group_commit(fx), 1);
    assert_int_equal(fx->released, 1);
    assert_int_equal(fx->gen, 0); /* committed, not yet synced */
    assert_true(uv_loop_alive(&fx->loop));
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx->released, 2);
    assert_int_equal(fx->gen, 1);
    assert_int_equal(fx->failed, 0);
}

static void test_durability_normal_releases_at_commit(void **state)
{
    struct fixture *fx = *state;
    int first;
    int before = 0;
    char json[600];
    int i;

    open_at(fx, 1);
    assert_int_equal(group_commit(fx), 1);
    assert_int_equal(fx->gen, 1);
    assert_false(uv_loop_alive(&fx->loop)); /* a few pages: no sync yet */
    first = store_wal_pages(fx->store);
    /* Pages of a row each: a sync starts at the first commit that takes the WAL 256 pages
     * past where it was at the last one (here: at the start). */
    for (i = 0; i < 1000 && !uv_loop_alive(&fx->loop); i++) {
        before = store_wal_pages(fx->store);
        snprintf(json, sizeof(json), "{\"n\":%d,\"pad\":\"%0500d\"}", i, i);
        assert_int_equal(store_gateway_stat(fx->store, "0102030405060708", 1000 + i, json), 0);
        (void)group_commit(fx);
        assert_int_equal(fx->gen, (uint64_t)i + 2); /* released at once all the same */
    }
    assert_true(uv_loop_alive(&fx->loop));
    assert_true(before < 256);
    assert_true(store_wal_pages(fx->store) >= 256);
    assert_true(first < 256);
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx->failed, 0);
}

static void test_durability_off_never_syncs(void **state)
{
    struct fixture *fx = *state;

    open_at(fx, 0);
    assert_int_equal(group_commit(fx), 1);
    assert_int_equal(fx->gen, 1);
    assert_false(uv_loop_alive(&fx->loop));
    assert_int_equal(durability_sync_now(fx->d), 0);
}

static void test_durability_sync_now_at_shutdown(void **state)
{
    struct fixture *fx = *state;
    uint64_t gen = 0;

    open_at(fx, 2);
    store_count(fx->store, STORE_BEARER_LORA, STORE_ACCEPTED);
    assert_int_equal(durability_commit(fx->d, &gen), 0);
    assert_int_equal(fx->released, 0);
    assert_int_equal(durability_sync_now(fx->d), 0);
    assert_int_equal(fx->released, 1);
    assert_int_equal(fx->gen, 1);
    assert_int_equal(durability_sync_now(fx->d), 0); /* covered already: nothing to do */
    assert_int_equal(fx->released, 1);
}

static void test_durability_stop_with_sync_in_flight(void **state)
{
    struct fixture *fx = *state;

    open_at(fx, 2);
    assert_int_equal(group_commit(fx), 1);
    assert_true(uv_loop_alive(&fx->loop));
    durability_stop(fx->d); /* freed once the sync is back (ASan checks) */
    fx->d = NULL;
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx->released, 1); /* nothing released after the stop */
    durability_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durability_store_synchronous),
        cmocka_unit_test_setup_teardown(test_durability_commit_counts_only_commits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_durability_full_waits_for_the_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durability_normal_releases_at_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durability_off_never_syncs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durability_sync_now_at_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durability_stop_with_sync_in_flight, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
