/*
 * test_train: the model pipeline (host/train).
 *  - the trainer's loss falls (cross-entropy on feature windows, MSE for an autoencoder);
 *  - the firmware's int8 engine (nn.h, libnodefw.a) produces the trainer's integer simulation
 *    bit for bit: for models trained here and for the committed model headers, on windows the
 *    firmware feature code computed from synthesised scenes;
 *  - retraining from a folder of WAV files per class works, and bad WAVs are refused.
 */
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "train/data.h"
#include "model.h"
#include "train/net.h"
#include "nodefw/features.h"
#include "nodefw/nn.h"
#include "train/pipeline.h"
#include "train/quant.h"
#include "synth/synth.h"

/* Cross-entropy on centred feature windows falls. */
static void check_xent_falls(const struct dset *ds, const float *x)
{
    struct net net;
    const int dim[3] = {DATA_DIM, 8, 2};
    assert_int_equal(net_init(&net, 2, dim, 3), 0);
    double curve[12];
    struct net_task t = {x,  ds->n, NET_LOSS_XENT, ds->y, NULL, 1.0f, 0.0f, NULL,
                         12, 16,    1e-3f,         0.0f};
    net_train(&net, &t, 1, curve);
    print_message("  cross-entropy %.4f -> %.4f\n", curve[0], curve[11]);
    assert_true(curve[11] < 0.7 * curve[0]);
    net_free(&net);
}

/* An autoencoder on band means: MSE falls; pruning keeps its mask through fine-tuning. */
static void check_mse_falls_and_mask_kept(const struct dset *ds, const float *x)
{
    struct net net;
    const int adim[4] = {FEAT_BANDS, 8, 4, FEAT_BANDS};
    double curve[12];
    float *m = calloc(ds->n * FEAT_BANDS, sizeof(float));
    assert_non_null(m);
    for (size_t i = 0; i < ds->n; i++) {
        for (int t2 = 0; t2 < FEAT_FRAMES; t2++) {
            for (int b = 0; b < FEAT_BANDS; b++) {
                m[i * FEAT_BANDS + b] +=
                    x[i * DATA_DIM + (size_t)t2 * FEAT_BANDS + b] / FEAT_FRAMES;
            }
        }
    }
    assert_int_equal(net_init(&net, 3, adim, 4), 0);
    struct net_task ta = {m, ds->n, NET_LOSS_MSE, NULL, NULL, 1.0f, 0.0f, m, 12, 16, 3e-3f, 0.0f};
    net_train(&net, &ta, 2, curve);
    print_message("  MSE %.4f -> %.4f\n", curve[0], curve[11]);
    assert_true(curve[11] < 0.7 * curve[0]);

    net_prune(&net, 0.5);
    size_t alive = net_macs(&net);
    net_train(&net, &ta, 3, NULL);
    assert_int_equal(net_macs(&net), alive); /* the mask is kept */
    size_t zeros = 0;
    for (int i = 0; i < FEAT_BANDS * 8; i++) {
        zeros += net.w[0][i] == 0.0f;
    }
    assert_int_equal(zeros, FEAT_BANDS * 8 / 2); /* layer 0 half zero */
    net_free(&net);
    free(m);
}

static void test_net_train_loss_falls(void **state)
{
    struct dset ds = {0};

    (void)state;
    assert_int_equal(data_generate(&ds, DSP_PROFILE_ELEPHANT, DATA_MIX_TRAIN, 96, 0.0, 5), 0);
    float *x = malloc(ds.n * DATA_DIM * sizeof(float));
    assert_non_null(x);
    /* Centre each input on its mean (the pipeline's normalisation, simplified). */
    for (size_t j = 0; j < DATA_DIM; j++) {
        double mean = 0.0;
        for (size_t i = 0; i < ds.n; i++) {
            mean += ds.x[i * DATA_DIM + j];
        }
        mean /= (double)ds.n;
        for (size_t i = 0; i < ds.n; i++) {
            x[i * DATA_DIM + j] = (float)((ds.x[i * DATA_DIM + j] - mean) / 16.0);
        }
    }
    check_xent_falls(&ds, x);
    check_mse_falls_and_mask_kept(&ds, x);
    free(x);
    dset_free(&ds);
}

/* An nn_model view of a trainer model (the engine reads the trainer's arrays). */
struct view {
    struct nn_layer layers[QM_MAX_LAYERS];
    struct nn_model m;
};

static void make_view(struct view *v, const struct qmodel *qm)
{
    memset(v, 0, sizeof(*v));
    for (int l = 0; l < qm->n_layers; l++) {
        const struct qlayer *p = &qm->l[l];
        struct nn_layer *d = &v->layers[l];
        d->op = (uint8_t)p->op;
        d->act = (uint8_t)p->act;
        d->in_len = (uint16_t)p->in_len;
        d->in_ch = (uint16_t)p->in_ch;
        d->out_len = (uint16_t)p->out_len;
        d->out_ch = (uint16_t)p->out_ch;
        d->kernel = (uint16_t)p->kernel;
        d->stride = (uint16_t)p->stride;
        d->in_zp = p->in_zp;
        d->out_zp = p->out_zp;
        d->weights = p->w;
        d->bias = p->bias;
        d->mult = p->mult;
        d->shift = p->shift;
    }
    v->m.name = "test";
    v->m.kind = (uint8_t)qm->kind;
    v->m.profile = (uint8_t)qm->profile;
    v->m.in_len = FEAT_FRAMES;
    v->m.in_ch = FEAT_BANDS;
    v->m.out_count = (uint16_t)qm->out_count;
    v->m.n_layers = (uint16_t)qm->n_layers;
    v->m.layers = v->layers;
    v->m.macs = (uint32_t)quant_macs(qm);
    v->m.weight_bytes = (uint32_t)quant_weight_bytes(qm);
    v->m.arena_bytes = (uint32_t)quant_arena_bytes(qm);
    if (qm->kind == NN_KIND_CLASSIFIER) {
        v->m.exp_table = qm->exp_table;
        v->m.class_ids = qm->class_ids;
        v->m.detect_min_conf = (uint8_t)qm->detect_min_conf;
    } else {
        v->m.ae_threshold = (uint8_t)qm->ae_threshold;
        v->m.ae_score_shift = (uint8_t)qm->ae_score_shift;
        v->m.ae_ref_layer = (uint16_t)qm->ae_ref_layer;
        v->m.ae_bands = (uint16_t)qm->ae_bands;
        v->m.ae_score_mult = qm->ae_score_mult;
    }
}

/* The reverse: a trainer model over a linked (committed) model's arrays. */
static void from_model(struct qmodel *qm, const struct nn_model *m)
{
    memset(qm, 0, sizeof(*qm));
    qm->kind = m->kind;
    qm->profile = m->profile;
    qm->n_layers = m->n_layers;
    qm->out_count = m->out_count;
    for (int l = 0; l < m->n_layers; l++) {
        const struct nn_layer *d = &m->layers[l];
        struct qlayer *p = &qm->l[l];
        p->op = d->op;
        p->act = d->act;
        p->in_len = d->in_len;
        p->in_ch = d->in_ch;
        p->out_len = d->out_len;
        p->out_ch = d->out_ch;
        p->kernel = d->kernel;
        p->stride = d->stride;
        p->in_zp = d->in_zp;
        p->out_zp = d->out_zp;
        p->w = (int8_t *)(uintptr_t)d->weights;
        p->bias = (int32_t *)(uintptr_t)d->bias;
        p->mult = (int32_t *)(uintptr_t)d->mult;
        p->shift = (int8_t *)(uintptr_t)d->shift;
    }
    if (m->kind == NN_KIND_CLASSIFIER) {
        memcpy(qm->exp_table, m->exp_table, sizeof(qm->exp_table));
        memcpy(qm->class_ids, m->class_ids, m->out_count);
        qm->detect_min_conf = m->detect_min_conf;
    } else {
        qm->ae_threshold = m->ae_threshold;
        qm->ae_score_shift = m->ae_score_shift;
        qm->ae_ref_layer = m->ae_ref_layer;
        qm->ae_bands = m->ae_bands;
        qm->ae_score_mult = m->ae_score_mult;
    }
}

/* Compare engine and simulation on windows; returns mismatching windows. */
static int compare(const struct qmodel *qm, const struct nn_model *m, const struct dset *ds)
{
    static int8_t arena[8192];
    int8_t out_e[512];
    int8_t out_s[512];
    int8_t ref[512];
    int bad = 0;
    for (size_t i = 0; i < ds->n; i++) {
        const int8_t *x = ds->x + i * DATA_DIM;
        if (nn_run(m, x, arena, sizeof(arena), out_e) != NN_OK) {
            return -1;
        }
        quant_run(qm, x, out_s, ref);
        int diff = memcmp(out_e, out_s, (size_t)qm->out_count) != 0;
        struct nn_result r;
        nn_infer(m, x, arena, sizeof(arena), &r);
        if (qm->kind == NN_KIND_CLASSIFIER) {
            int c1 = 0;
            int best = quant_classify(qm, x, &c1);
            int conf = best == 1 ? c1 : 255 - c1;
            diff |= r.index != best || r.confidence != conf ||
                    r.detected != (qm->class_ids[best] != 0 && conf >= qm->detect_min_conf);
        } else {
            int sc = quant_ae_score(qm, quant_ae_sse(qm, x));
            diff |= r.score != sc || r.anomalous != (sc >= qm->ae_threshold);
        }
        bad += diff;
    }
    return bad;
}

static void scene_windows(struct dset *ds, enum dsp_profile p, uint64_t seed)
{
    if (p == DSP_PROFILE_TURBINE) {
        data_generate(ds, p, DATA_MIX_HEALTHY, 40, 0.0, seed);
        data_generate(ds, p, DATA_MIX_FAULTS, 40, 0.0, seed + 1);
    } else {
        data_generate(ds, p, DATA_MIX_TRAIN, 60, 0.0, seed);
        data_stream(ds, p, 40.0, 10.0, seed + 1);
    }
}

/* Models trained here (a small scale): the engine gives the trainer's simulation bit for bit. */
static void test_pipe_run_bit_exact_trained(void **state)
{
    (void)state;
    for (int p = 0; p < DSP_PROFILE_COUNT; p++) {
        struct pipe_opts o = {(enum dsp_profile)p, 7, NULL, 0.02, 0};
        struct pipe_result r;
        assert_int_equal(pipe_run(&o, &r, NULL), 0);
        struct view v;
        make_view(&v, &r.qm);
        assert_int_equal(nn_model_check(&v.m), NN_OK);
        struct dset ds = {0};
        scene_windows(&ds, (enum dsp_profile)p, 900 + (uint64_t)p);
        int bad = compare(&r.qm, &v.m, &ds);
        print_message("  %s: %d of %zu windows differ engine vs simulation\n",
                      dsp_profile_name((enum dsp_profile)p), bad, ds.n);
        assert_int_equal(bad, 0);
        dset_free(&ds);
        quant_free(&r.qm);
    }
}

/* The committed model headers: the same agreement. */
static void test_nn_run_bit_exact_committed(void **state)
{
    (void)state;
    for (int p = 0; p < DSP_PROFILE_COUNT; p++) {
        const struct nn_model *m = nn_model_for_profile((enum dsp_profile)p);
        assert_non_null(m);
        assert_int_equal(nn_model_check(m), NN_OK);
        if (m->layers[m->n_layers - 1].op != NN_OP_DENSE) {
            continue;
        }
        struct qmodel qm;
        from_model(&qm, m);
        struct dset ds = {0};
        scene_windows(&ds, (enum dsp_profile)p, 700 + (uint64_t)p);
        int bad = compare(&qm, m, &ds);
        print_message("  committed %s: %d of %zu windows differ\n", m->name, bad, ds.n);
        assert_int_equal(bad, 0);
        dset_free(&ds);
    }
}

/* A temporary folder of WAV files per class, removed with whatever a test left in it. */
static int make_tmpdir(void **state)
{
    static char dir[] = "/tmp/tinyfleet-train-XXXXXX";
    memcpy(dir + sizeof(dir) - 7, "XXXXXX", 6); /* mkdtemp filled it in the last time */
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    *state = dir;
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int remove_tmpdir(void **state)
{
    return nftw(*state, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void test_pipe_run_from_wavs(void **state)
{
    const char *dir = *state;
    const char *classes[2] = {"none", "elephant"};
    const size_t n = 12000; /* 12 s at 1000 Hz: 9 windows per file */
    int16_t *pcm = malloc(n * sizeof(int16_t));
    char path[512];
    assert_non_null(pcm);
    for (int c = 0; c < 2; c++) {
        snprintf(path, sizeof(path), "%s/%s", dir, classes[c]);
        mkdir(path, 0700);
        for (int f = 0; f < 10; f++) {
            assert_int_equal(
                data_render_clip(DSP_PROFILE_ELEPHANT, c, 15.0, (uint64_t)(c * 100 + f), pcm, n),
                0);
            snprintf(path, sizeof(path), "%s/%s/rec%02d.wav", dir, classes[c], f);
            assert_int_equal(data_write_wav(path, pcm, n, 1000), 0);
        }
    }
    struct pipe_opts o = {DSP_PROFILE_ELEPHANT, 3, dir, 0.02, 0};
    struct pipe_result r;
    FILE *rep = tmpfile();
    assert_int_equal(pipe_run(&o, &r, rep), 0);
    struct view v;
    make_view(&v, &r.qm);
    assert_int_equal(nn_model_check(&v.m), NN_OK);
    assert_int_equal(r.qm.class_ids[1], 1); /* the target's class id */
    if (rep) {
        assert_true(ftell(rep) > 100); /* the report is written */
        fclose(rep);
    }
    quant_free(&r.qm);

    /* A file at the wrong rate is refused with an error, not trained on. */
    snprintf(path, sizeof(path), "%s/none/wrong.wav", dir);
    assert_int_equal(data_write_wav(path, pcm, n, 2000), 0);
    struct dset ds = {0};
    assert_int_equal(data_load_dir(&ds, DSP_PROFILE_ELEPHANT, dir), -1);
    dset_free(&ds);
    free(pcm);
}

/* Hand-checked values of the TFLite rescale (nn.h): 0.5 = 2^30 / 2^31. */
static void test_quant_requant_hand_checked(void **state)
{
    static const struct {
        int32_t x;
        int shift;
        int32_t want;
    } cases[] = {
        {100, 0, 50},   /* 100 * 0.5 */
        {101, 0, 51},   /* 50.5 rounds away from zero */
        {-101, 0, -50}, /* SRDHM's nudge is 1 - 2^30 below zero: a negative tie truncates */
        {1000, -3, 63}, /* 1000 * 0.5 / 8 = 62.5 -> 63 */
        {3, 2, 6},      /* 3 * 0.5 * 4 */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(quant_requant(cases[i].x, 1 << 30, cases[i].shift), cases[i].want);
    }
}

/* The trainer's re-implementation against the engine's, over a grid of inputs and shifts. */
static void test_quant_requant_matches_engine(void **state)
{
    (void)state;
    for (int32_t x = -5000; x <= 5000; x += 37) {
        for (int s = -8; s <= 4; s++) {
            int32_t m = 1518500250; /* 1/sqrt(2) in Q31 */
            assert_int_equal(quant_requant(x, m, s), nn_requant(x, m, s));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quant_requant_hand_checked),
        cmocka_unit_test(test_quant_requant_matches_engine),
        cmocka_unit_test(test_net_train_loss_falls),
        cmocka_unit_test(test_pipe_run_bit_exact_trained),
        cmocka_unit_test(test_nn_run_bit_exact_committed),
        cmocka_unit_test_setup_teardown(test_pipe_run_from_wavs, make_tmpdir, remove_tmpdir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
