/*
 * pipe_data: the data splits of one pipeline run, and the normalisation the float networks
 * see (see pipe_int.h).
 *
 * Splits never mix: seeds differ per split, so no rendered scene appears in two; a user's
 * recordings are split by file, so windows of one recording never straddle splits.
 */
#include "pipe_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nodefw/features.h"

#define FEAT_SCALE ((double)FEAT_SCALE_LOG2_Q8 / 256.0)

const double pipe__snrs[PIPE_N_SNR] = {0.0, 10.0, 20.0};

void pipe__to_float(const struct qnorm *nrm, const int8_t *q, int dim, float *x)
{
    if (!nrm->ae) {
        for (int i = 0; i < dim; i++) {
            x[i] = (float)(((double)(q[i] - nrm->in_zp) * nrm->in_scale - (double)nrm->mean[i]) /
                           (double)nrm->sd);
        }
        return;
    }
    for (int b = 0; b < FEAT_BANDS; b++) {
        double s = 0.0;
        for (int t = 0; t < FEAT_FRAMES; t++) {
            s += (double)(q[t * FEAT_BANDS + b] - nrm->in_zp);
        }
        x[b] = (float)((s / FEAT_FRAMES * nrm->in_scale - (double)nrm->mean[b]) / (double)nrm->sd);
    }
}

void pipe__free_sets(struct pipe_sets *s)
{
    dset_free(&s->train);
    dset_free(&s->val);
    dset_free(&s->test);
    dset_free(&s->val_stream);
    dset_free(&s->val_events);
    dset_free(&s->test_faults);
    for (int i = 0; i < PIPE_N_SNR; i++) {
        dset_free(&s->pos[i]);
        dset_free(&s->stream[i]);
        dset_free(&s->events[i]);
    }
}

static size_t sz(double base, double scale)
{
    size_t n = (size_t)(base * scale);
    return n < 16 ? 16 : n;
}

/* Split a user's windows by recording (segment): 3 of 5 files train, 1 validation, 1 test,
 * so windows of one recording never straddle splits. Negative test windows double as the
 * false-alarm stream. */
static int split_user(struct pipe_sets *s, const struct dset *all, int ae)
{
    for (size_t i = 0; i < all->n; i++) {
        uint32_t m = all->seg[i] % 5;
        int y = all->y[i];
        struct dset *d = m == 3 ? &s->val : m == 4 ? &s->test : &s->train;
        if (ae && y == 1) {
            d = &s->test_faults; /* faults never train an autoencoder */
        }
        struct dset one = {1,           1, all->x + i * DATA_DIM, &y, all->kind + i, all->snr + i,
                           all->seg + i};
        /* Append through the generator-independent path: copy fields one by one. */
        size_t n = d->n;
        if (n == d->cap) {
            size_t cap = d->cap ? 2 * d->cap : 256;
            int8_t *nx = realloc(d->x, cap * DATA_DIM);
            int *ny = nx ? realloc(d->y, cap * sizeof(int)) : NULL;
            uint8_t *nk = ny ? realloc(d->kind, cap) : NULL;
            float *ns = nk ? realloc(d->snr, cap * sizeof(float)) : NULL;
            uint32_t *sg = ns ? realloc(d->seg, cap * sizeof(uint32_t)) : NULL;
            d->x = nx ? nx : d->x;
            d->y = ny ? ny : d->y;
            d->kind = nk ? nk : d->kind;
            d->snr = ns ? ns : d->snr;
            d->seg = sg ? sg : d->seg;
            if (!sg) {
                return -1;
            }
            d->cap = cap;
        }
        memcpy(d->x + n * DATA_DIM, one.x, DATA_DIM);
        d->y[n] = y;
        d->kind[n] = one.kind[0];
        d->snr[n] = one.snr[0];
        d->seg[n] = one.seg[0];
        d->n++;
    }
    if (s->train.n == 0 || s->val.n == 0) {
        fprintf(stderr, "tinyfleet-train: need at least 4 recordings (3 of every 5 train, 1 "
                        "validates, 1 tests)\n");
        return -1;
    }
    return 0;
}

int pipe__make_sets(const struct pipe_opts *o, struct pipe_sets *s)
{
    enum dsp_profile p = o->profile;
    uint64_t sd = o->seed * 1000;
    double k = o->scale;
    memset(s, 0, sizeof(*s));
    if (o->data_dir) {
        struct dset all = {0};
        int rc = data_load_dir(&all, p, o->data_dir);
        if (rc == 0) {
            rc = split_user(s, &all, p == DSP_PROFILE_TURBINE);
        }
        dset_free(&all);
        s->user = 1;
        return rc;
    }
    if (p == DSP_PROFILE_TURBINE) {
        if (data_generate(&s->train, p, DATA_MIX_HEALTHY, sz(1500, k), 0, sd + 1) ||
            data_generate(&s->val, p, DATA_MIX_HEALTHY, sz(500, k), 0, sd + 2) ||
            data_generate(&s->test, p, DATA_MIX_HEALTHY, sz(600, k), 0, sd + 3) ||
            data_generate(&s->test_faults, p, DATA_MIX_FAULTS, sz(800, k), 0, sd + 4)) {
            return -1;
        }
        return 0;
    }
    if (data_generate(&s->train, p, DATA_MIX_TRAIN, sz(9000, k), 0, sd + 1) ||
        data_generate(&s->val, p, DATA_MIX_TRAIN, sz(800, k), 0, sd + 2) ||
        data_generate(&s->test, p, DATA_MIX_TRAIN, sz(1000, k), 0, sd + 3) ||
        data_stream(&s->val_stream, p, 1800.0 * k, 10.0, sd + 4) ||
        data_event_stream(&s->val_events, p, sz(200, k), 10.0, sd + 5)) {
        return -1;
    }
    for (int i = 0; i < PIPE_N_SNR; i++) {
        if (data_generate(&s->pos[i], p, DATA_MIX_POS_AT, sz(300, k), pipe__snrs[i], sd + 10 + i) ||
            data_stream(&s->stream[i], p, 7200.0 * k, pipe__snrs[i], sd + 20 + i) ||
            data_event_stream(&s->events[i], p, sz(150, k), pipe__snrs[i], sd + 30 + i)) {
            return -1;
        }
    }
    return 0;
}

/* Per-input mean and one global standard deviation over the training windows. A
 * convolution shares its weights across time, so its inputs get one mean per band
 * (replicated over the frames) and the normalisation folds into a single bias. */
int pipe__normalise(struct qnorm *nrm, float **mean_out, const struct dset *tr, int ae, int conv)
{
    int dim = ae ? FEAT_BANDS : DATA_DIM;
    float *mean = calloc((size_t)dim, sizeof(float));
    double *acc = calloc((size_t)dim, sizeof(double));
    float *x = malloc((size_t)dim * sizeof(float));
    if (!mean || !acc || !x) {
        free(mean);
        free(acc);
        free(x);
        return -1;
    }
    struct qnorm id = {mean, 1.0f, FEAT_SCALE, FEAT_ZERO_POINT, ae};
    for (size_t i = 0; i < tr->n; i++) {
        pipe__to_float(&id, tr->x + i * DATA_DIM, dim, x);
        for (int j = 0; j < dim; j++) {
            acc[j] += (double)x[j];
        }
    }
    double n = (double)(tr->n ? tr->n : 1);
    for (int j = 0; j < dim; j++) {
        if (conv) {
            double s = 0.0;
            for (int t = 0; t < FEAT_FRAMES; t++) {
                s += acc[t * FEAT_BANDS + j % FEAT_BANDS];
            }
            mean[j] = (float)(s / n / FEAT_FRAMES);
        } else {
            mean[j] = (float)(acc[j] / n);
        }
    }
    double var = 0.0;
    for (size_t i = 0; i < tr->n; i++) {
        pipe__to_float(&id, tr->x + i * DATA_DIM, dim, x);
        for (int j = 0; j < dim; j++) {
            var += (double)x[j] * (double)x[j];
        }
    }
    var /= n * dim;
    *nrm = id;
    nrm->sd = (float)(var > 1e-6 ? sqrt(var) : 1.0);
    *mean_out = mean;
    free(acc);
    free(x);
    return 0;
}

float *pipe__features_of(const struct qnorm *nrm, const struct dset *ds, int dim)
{
    float *x = malloc((ds->n ? ds->n : 1) * (size_t)dim * sizeof(float));
    if (!x) {
        return NULL;
    }
    for (size_t i = 0; i < ds->n; i++) {
        pipe__to_float(nrm, ds->x + i * DATA_DIM, dim, x + i * (size_t)dim);
    }
    return x;
}
