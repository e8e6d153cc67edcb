/*
 * test_train_eval: the field evaluation (host/train/evalset.c) counts what a node sends
 * (debounce, hangover, one event per episode), labels the calls it hides in noise where they
 * are, and renders its streams deterministically at the length asked for.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nodefw/features.h"
#include "train/evalset.h"

/* A one-segment "stream" of n windows with no labels (only seg and y matter for scoring). */
static void blank_set(struct dset *ds, size_t n)
{
    memset(ds, 0, sizeof(*ds));
    ds->n = n;
    ds->seg = calloc(n, sizeof(uint32_t));
    ds->y = calloc(n, sizeof(int));
    assert_non_null(ds->seg);
    assert_non_null(ds->y);
}

static void free_blank(struct dset *ds)
{
    free(ds->seg);
    free(ds->y);
}

/* Events per hour -> events, for a stream of n windows at the elephant rate. */
static long events_of(double per_h, size_t n)
{
    double hours = (double)n * FEAT_STEP_SAMPLES / 1000.0 / 3600.0;
    return lround(per_h * hours);
}

static void test_eval_node_events_debounce_and_hangover(void **state)
{
    (void)state;
    enum { N = 600 }; /* ~10 minutes of elephant windows (1.024 s apart) */
    struct dset ds;
    static uint8_t conf[N];
    blank_set(&ds, N);

    memset(conf, 0, sizeof(conf));
    assert_int_equal(events_of(eval_node_events_conf(conf, 200, &ds, 1000, NULL), N), 0);

    conf[10] = 240; /* one stray window: debounced */
    assert_int_equal(events_of(eval_node_events_conf(conf, 200, &ds, 1000, NULL), N), 0);

    conf[11] = 240; /* two in a row: an episode */
    assert_int_equal(events_of(eval_node_events_conf(conf, 200, &ds, 1000, NULL), N), 1);
    /* below the threshold, the same windows are nothing */
    assert_int_equal(events_of(eval_node_events_conf(conf, 256, &ds, 1000, NULL), N), 0);

    conf[16] = conf[17] = 240; /* 5 s later: within the 10 s hangover, the same episode */
    assert_int_equal(events_of(eval_node_events_conf(conf, 200, &ds, 1000, NULL), N), 1);

    conf[40] = conf[41] = 240; /* 23 s later: a second episode */
    assert_int_equal(events_of(eval_node_events_conf(conf, 200, &ds, 1000, NULL), N), 2);

    /* The node's episode rules for the elephant (aggregator_profile_config): one window the
     * model is sure of opens alone (a short rumble)... */
    conf[70] = 255;
    assert_int_equal(events_of(eval_node_events_conf(conf, 200, &ds, 1000, NULL), N), 3);
    /* ...and a run of counting windows longer than a rumble lasts is an engine: dropped. */
    memset(conf + 200, 240, 40);
    assert_int_equal(events_of(eval_node_events_conf(conf, 200, &ds, 1000, NULL), N), 3);
    free_blank(&ds);
}

static void test_eval_node_events_hits(void **state)
{
    (void)state;
    enum { N = 60 };
    struct dset ds;
    static uint8_t conf[N];
    blank_set(&ds, N);
    for (size_t i = 0; i < N; i++) {
        ds.seg[i] = (uint32_t)(i / 20); /* three segments of 20 windows */
    }
    ds.y[5] = ds.y[6] = 1;   /* a call in segment 0 */
    ds.y[25] = ds.y[26] = 1; /* and in segment 1 */
    ds.y[45] = ds.y[46] = 1; /* and in segment 2 */
    memset(conf, 0, sizeof(conf));
    conf[5] = conf[6] = 255;   /* found */
    conf[30] = conf[31] = 255; /* an episode elsewhere in segment 1: not a hit */
    conf[45] = 240;            /* one window only: debounced, missed */
    size_t hits = 99;
    eval_node_events_conf(conf, 200, &ds, 1000, &hits);
    assert_int_equal(hits, 1);
    conf[46] = 240;
    eval_node_events_conf(conf, 200, &ds, 1000, &hits);
    assert_int_equal(hits, 2);
    free_blank(&ds);
}

/* A recall set: calls labelled where they are, segments numbered on across sets, and an
 * oracle that detects exactly the labelled windows finds every call. */
static void test_eval_recall_set_labels(void **state)
{
    (void)state;
    struct dset ds;
    memset(&ds, 0, sizeof(ds));
    assert_int_equal(
        eval_recall_set(&ds, DSP_PROFILE_WHALE, EVAL_UPCALL_SHORT, EVAL_PINK, 10.0, 4, 5), 0);
    assert_int_equal(eval_recall_set(&ds, DSP_PROFILE_WHALE, EVAL_HUMPBACK, EVAL_WHITE, 10.0, 3, 5),
                     0);
    assert_int_equal(ds.seg[ds.n - 1], 6);
    uint8_t *conf = malloc(ds.n);
    assert_non_null(conf);
    size_t labelled = 0;
    for (size_t i = 0; i < ds.n; i++) {
        conf[i] = ds.y[i] ? 255 : 0;
        labelled += (size_t)ds.y[i];
    }
    /* an upcall of <= 0.8 s in 1.09 s windows every 0.51 s: 2-3 windows each */
    assert_true(labelled >= 8);
    size_t hits = 0;
    eval_node_events_conf(conf, 200, &ds, 2000, &hits);
    assert_int_equal(hits, 7);
    memset(conf, 0, ds.n);
    eval_node_events_conf(conf, 200, &ds, 2000, &hits);
    assert_int_equal(hits, 0);
    /* a call type of the other profile is refused */
    assert_int_equal(
        eval_recall_set(&ds, DSP_PROFILE_WHALE, EVAL_RUMBLE_MID, EVAL_PINK, 10.0, 1, 5), -1);
    free(conf);
    dset_free(&ds);
}

/* Streams: the length asked for (in whole minutes), and the same seed the same windows. */
static void test_eval_family_stream_deterministic(void **state)
{
    (void)state;
    const struct eval_family *fam = NULL;
    int nf = eval_families(DSP_PROFILE_ELEPHANT, &fam);
    assert_true(nf >= 9);
    struct dset a;
    struct dset b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    assert_int_equal(eval_family_stream(&a, DSP_PROFILE_ELEPHANT, &fam[0], 60.0, 3), 0);
    assert_int_equal(eval_family_stream(&b, DSP_PROFILE_ELEPHANT, &fam[0], 60.0, 3), 0);
    assert_int_equal(a.n, (60000 - 3072) / 1024 + 1);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.x, b.x, a.n * DATA_DIM);
    dset_free(&b);
    assert_int_equal(eval_family_stream(&b, DSP_PROFILE_ELEPHANT, &fam[0], 60.0, 4), 0);
    assert_true(memcmp(a.x, b.x, a.n * DATA_DIM) != 0);
    dset_free(&a);
    dset_free(&b);
    assert_int_equal(eval_families(DSP_PROFILE_TURBINE, &fam), 0);
}

/* Recipes: the first one's distractors, the full set, and a family left out of it. */
static void test_data_use_recipe(void **state)
{
    (void)state;
    enum synth_kind k[32];
    assert_int_equal(data_use_recipe(DATA_RECIPE_V1, NULL, 0), 0);
    assert_int_equal(data_distractors(DSP_PROFILE_ELEPHANT, k, 32), 5);
    assert_int_equal(data_distractors(DSP_PROFILE_WHALE, k, 32), 3);
    assert_int_equal(data_use_recipe(DATA_RECIPE_FULL, NULL, 0), 0);
    int full = data_distractors(DSP_PROFILE_ELEPHANT, k, 32);
    assert_true(full >= 16);
    static const enum synth_kind thunder[] = {SYNTH_THUNDER, SYNTH_THUNDER_FAR};
    assert_int_equal(data_use_recipe(DATA_RECIPE_FULL, thunder, 2), 0);
    int n = data_distractors(DSP_PROFILE_ELEPHANT, k, 32);
    assert_int_equal(n, full - 2);
    for (int i = 0; i < n; i++) {
        assert_true(k[i] != SYNTH_THUNDER && k[i] != SYNTH_THUNDER_FAR);
    }
    static const enum synth_kind v1_whale[] = {SYNTH_SHIP, SYNTH_SHRIMP, SYNTH_RAIN};
    assert_int_equal(data_use_recipe(DATA_RECIPE_V1, v1_whale, 3), -1); /* nothing left */
    assert_int_equal(data_use_recipe(DATA_RECIPE_DEFAULT, NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_node_events_debounce_and_hangover),
        cmocka_unit_test(test_eval_node_events_hits),
        cmocka_unit_test(test_eval_recall_set_labels),
        cmocka_unit_test(test_eval_family_stream_deterministic),
        cmocka_unit_test(test_data_use_recipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
