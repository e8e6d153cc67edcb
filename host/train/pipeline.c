/*
 * pipeline: one profile from data to int8 model and report (see pipeline.h).
 *
 * Data splits never mix: training windows fit the weights; validation windows (and a
 * validation stream of distractors) calibrate the int8 activation ranges and choose every
 * operating threshold; the test windows and test streams are only ever scored. Seeds of the
 * splits differ, so no rendered scene appears in two splits.
 *
 * Detection threshold (classifiers): the highest confidence c in 128..255 at which the node
 * (model plus aggregator) still reports 97 % of the validation target events at 10 dB: the
 * fewest false alarms that keep the recall target with a margin.
 * Anomaly threshold (turbine): the 99th percentile of the validation healthy windows' scores.
 */
#include "pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "net.h"
#include "nodefw/features.h"
#include "nodefw/nn.h"
#include "synth/synth.h"

#define FEAT_SCALE ((double)FEAT_SCALE_LOG2_Q8 / 256.0)
#define N_SNR      3

static const double snrs[N_SNR] = {0.0, 10.0, 20.0};
static const double sweep_levels[PIPE_SWEEP] = {0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95};

struct cfg {
    int teacher_layers;
    int teacher_dim[NET_MAX_LAYERS + 1];
    int student_layers;
    int student_dim[NET_MAX_LAYERS + 1];
    int conv_k, conv_stride; /* classifiers: layer 0 is a conv1d over time (0: dense) */
    int conv_flat;           /* 1: no pool, the next layer sees every position */
    double sparsity;         /* the pruned model's target */
    int target_class;        /* wire class id of output 1 */
    const char *target_name;
    const char *arch; /* for the report */
};

/* Classifiers: conv1d over time (kernel 4 frames = 0.64 s at 1 kHz, stride 2) + ReLU, then
 * dense layers; the teacher is about 3x the student. The whale's upcall is one short sweep
 * anywhere in the window, so a global average pool follows the convolution; a rumble is
 * told from an engine by how it changes over the window (onset, decay, pitch contour), so
 * the elephant's dense layer sees all 7 positions. The turbine autoencoder reconstructs the
 * window's mean band energies (the engine's average pool computes them). */
static const struct cfg cfgs[DSP_PROFILE_COUNT] = {
    [DSP_PROFILE_ELEPHANT] =
        {
            .teacher_layers = 3,
            .teacher_dim = {512, 7 * 32, 32, 2},
            .student_layers = 3,
            .student_dim = {512, 7 * 16, 16, 2},
            .conv_k = 4,
            .conv_stride = 2,
            .conv_flat = 1,
            .sparsity = 0.5,
            .target_class = 1,
            .target_name = "elephant",
            .arch = "teacher conv1d(32->32, k4 s2)-flatten(7x32)-32-2, student "
                    "conv1d(32->16, k4 s2)-flatten(7x16)-16-2",
        },
    [DSP_PROFILE_WHALE] =
        {
            .teacher_layers = 3,
            .teacher_dim = {512, 48, 32, 2},
            .student_layers = 3,
            .student_dim = {512, 16, 16, 2},
            .conv_k = 4,
            .conv_stride = 2,
            .sparsity = 0.5,
            .target_class = 2,
            .target_name = "whale",
            .arch = "teacher conv1d(32->48, k4 s2)-pool-32-2, student conv1d(32->16, k4 "
                    "s2)-pool-16-2",
        },
    [DSP_PROFILE_TURBINE] =
        {
            .teacher_layers = 4,
            .teacher_dim = {32, 32, 8, 32, 32},
            .student_layers = 4,
            .student_dim = {32, 16, 6, 16, 32},
            .sparsity = 0.3,
            .target_class = 3,
            .target_name = "fault",
            .arch = "teacher autoencoder pool-32-32-8-32-32, student pool-32-16-6-16-32",
        },
};

/* A model under evaluation: a float net, or the int8 model. */
struct scorer {
    const struct net *net;
    const struct qmodel *qm;
    const struct qnorm *nrm;
};

static void to_float(const struct qnorm *nrm, const int8_t *q, int dim, float *x)
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

/* Classifier: the target's confidence on 0..255. Autoencoder: the anomaly score before any
 * saturation (float: MSE in normalised units; int8: the engine's integer sse). */
static double score(const struct scorer *s, const int8_t *q)
{
    if (s->qm) {
        if (s->qm->kind == NN_KIND_AUTOENCODER) {
            return (double)quant_ae_sse(s->qm, q);
        }
        int c1 = 0;
        quant_classify(s->qm, q, &c1);
        return (double)c1;
    }
    float x[DATA_DIM];
    float out[NET_MAX_WIDTH];
    to_float(s->nrm, q, s->net->dim[0], x);
    net_forward(s->net, x, out);
    if (s->nrm->ae) {
        double e = 0.0;
        for (int i = 0; i < s->net->dim[0]; i++) {
            double d = (double)out[i] - (double)x[i];
            e += d * d;
        }
        return e / s->net->dim[0];
    }
    /* The same tempered softmax as the int8 head (quant.h). */
    return 255.0 / (1.0 + exp(((double)out[0] - (double)out[1]) / QUANT_HEAD_T));
}

static double *score_all(const struct scorer *s, const struct dset *ds)
{
    double *v = malloc((ds->n ? ds->n : 1) * sizeof(double));
    if (!v) {
        return NULL;
    }
    for (size_t i = 0; i < ds->n; i++) {
        v[i] = score(s, ds->x + i * DATA_DIM);
    }
    return v;
}

/* False-alarm episodes per hour: runs of consecutive detections within one segment. */
static double fa_per_hour(const struct dset *st, const double *sc, double thr, unsigned rate)
{
    size_t episodes = 0;
    for (size_t i = 0; i < st->n; i++) {
        int det = sc[i] >= thr;
        int prev = i > 0 && st->seg[i - 1] == st->seg[i] && sc[i - 1] >= thr;
        if (det && !prev) {
            episodes++;
        }
    }
    double hours = (double)st->n * FEAT_STEP_SAMPLES / (double)rate / 3600.0;
    return hours > 0.0 ? (double)episodes / hours : 0.0;
}

/*
 * The node's aggregator (nodefw/app/aggregator.c defaults): AGG_RUN detecting windows in a
 * row open an episode; AGG_HANGOVER_S without one closes it; an episode is re-reported every
 * AGG_MAX_S. Counts the episodes a node would send over a stream (one segment at a time), and,
 * if hits is set, the segments in which an episode opens on a window overlapping the event
 * (y = 1).
 */
#define AGG_RUN        2
#define AGG_HANGOVER_S 10.0
#define AGG_MAX_S      120.0

static size_t node_episodes(const struct dset *st, const double *sc, double thr, unsigned rate,
                            size_t *hits)
{
    double step = (double)FEAT_STEP_SAMPLES / (double)rate;
    size_t episodes = 0;
    size_t hit = 0;
    int open = 0;
    int run = 0;
    int seg_hit = 0;
    double t_open = 0.0;
    double t_last = 0.0;
    for (size_t i = 0; i < st->n; i++) {
        if (i == 0 || st->seg[i] != st->seg[i - 1]) {
            hit += (size_t)seg_hit;
            open = 0;
            run = 0;
            seg_hit = 0;
        }
        double t = (double)i * step;
        if (sc[i] >= thr) {
            run++;
            t_last = t;
            if (!open && run >= AGG_RUN) {
                open = 1;
                t_open = t;
                episodes++;
                /* The run that opened it: this window or the one before overlaps the event. */
                seg_hit |= st->y[i] || (i > 0 && st->seg[i - 1] == st->seg[i] && st->y[i - 1]);
            } else if (open && t - t_open >= AGG_MAX_S) {
                t_open = t;
                episodes++;
            }
        } else {
            run = 0;
            if (open && t - t_last > AGG_HANGOVER_S) {
                open = 0;
            }
        }
    }
    hit += (size_t)seg_hit;
    if (hits) {
        *hits = hit;
    }
    return episodes;
}

static double events_per_hour(const struct dset *st, const double *sc, double thr, unsigned rate)
{
    double hours = (double)st->n * FEAT_STEP_SAMPLES / (double)rate / 3600.0;
    return hours > 0.0 ? (double)node_episodes(st, sc, thr, rate, NULL) / hours : 0.0;
}

static double recall_at(const double *sc, size_t n, double thr)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += sc[i] >= thr;
    }
    return n ? (double)k / (double)n : 0.0;
}

static int cmp_pair(const void *a, const void *b)
{
    const double *x = a;
    const double *y = b;
    if (x[0] != y[0]) {
        return x[0] < y[0] ? -1 : 1;
    }
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Area under the ROC curve (Mann-Whitney U, ties counted half). */
static double auc(const double *neg, size_t nn, const double *pos, size_t np)
{
    if (nn == 0 || np == 0) {
        return 0.0;
    }
    size_t n = nn + np;
    double *v = malloc(n * 2 * sizeof(double));
    if (!v) {
        return 0.0;
    }
    for (size_t i = 0; i < nn; i++) {
        v[2 * i] = neg[i];
        v[2 * i + 1] = 0.0;
    }
    for (size_t i = 0; i < np; i++) {
        v[2 * (nn + i)] = pos[i];
        v[2 * (nn + i) + 1] = 1.0;
    }
    qsort(v, n, 2 * sizeof(double), cmp_pair);
    double rank_sum = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[2 * j] == v[2 * i]) {
            j++;
        }
        double r = 0.5 * (double)(i + 1 + j); /* mean rank of the tie group, 1-based */
        for (size_t k = i; k < j; k++) {
            if (v[2 * k + 1] == 1.0) {
                rank_sum += r;
            }
        }
        i = j;
    }
    free(v);
    return (rank_sum - (double)np * ((double)np + 1.0) / 2.0) / ((double)np * (double)nn);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(const double *v, size_t n, double q)
{
    double *c = malloc((n ? n : 1) * sizeof(double));
    if (!c || n == 0) {
        free(c);
        return 0.0;
    }
    memcpy(c, v, n * sizeof(double));
    qsort(c, n, sizeof(double), cmp_double);
    size_t k = (size_t)ceil(q * (double)n);
    double r = c[k > 0 ? k - 1 : 0];
    free(c);
    return r;
}

/* ---- data --------------------------------------------------------------------------------- */

struct sets {
    struct dset train, val, test;
    struct dset val_stream, val_events;
    struct dset pos[N_SNR], stream[N_SNR]; /* classifiers: targets and streams at each SNR */
    struct dset events[N_SNR];             /* classifiers: one target event per segment */
    struct dset test_faults;               /* turbine */
    int user;                              /* from --data */
};

static void free_sets(struct sets *s)
{
    dset_free(&s->train);
    dset_free(&s->val);
    dset_free(&s->test);
    dset_free(&s->val_stream);
    dset_free(&s->val_events);
    dset_free(&s->test_faults);
    for (int i = 0; i < N_SNR; i++) {
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
static int split_user(struct sets *s, const struct dset *all, int ae)
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

static int make_sets(const struct pipe_opts *o, struct sets *s)
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
    for (int i = 0; i < N_SNR; i++) {
        if (data_generate(&s->pos[i], p, DATA_MIX_POS_AT, sz(300, k), snrs[i], sd + 10 + i) ||
            data_stream(&s->stream[i], p, 7200.0 * k, snrs[i], sd + 20 + i) ||
            data_event_stream(&s->events[i], p, sz(150, k), snrs[i], sd + 30 + i)) {
            return -1;
        }
    }
    return 0;
}

/* Per-input mean and one global standard deviation over the training windows. A
 * convolution shares its weights across time, so its inputs get one mean per band
 * (replicated over the frames) and the normalisation folds into a single bias. */
static int normalise(struct qnorm *nrm, float **mean_out, const struct dset *tr, int ae, int conv)
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
        to_float(&id, tr->x + i * DATA_DIM, dim, x);
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
        to_float(&id, tr->x + i * DATA_DIM, dim, x);
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

static float *features_of(const struct qnorm *nrm, const struct dset *ds, int dim)
{
    float *x = malloc((ds->n ? ds->n : 1) * (size_t)dim * sizeof(float));
    if (!x) {
        return NULL;
    }
    for (size_t i = 0; i < ds->n; i++) {
        to_float(nrm, ds->x + i * DATA_DIM, dim, x + i * (size_t)dim);
    }
    return x;
}

/* ---- evaluation ----------------------------------------------------------------------------- */

struct eval {
    const char *name;
    size_t params, nonzero, bytes, macs, macs_nz;
    double threshold;
    /* classifiers */
    double acc, prec[2], rec[2];
    double det_recall[N_SNR], det_fa[N_SNR]; /* per window: recall, false-alarm runs/h */
    double ev_recall[N_SNR], ev_fa[N_SNR];   /* as the node reports: events found, events/h */
    double test_recall; /* user data: recall on test targets at the threshold */
    double test_fa;     /* user data: false alarms per hour on negative test windows */
    /* turbine */
    double auc, tpr, fpr, tpr_kind[4];
};

static void eval_classifier(const struct scorer *s, const struct sets *st, unsigned rate,
                            struct eval *e)
{
    /* Threshold from validation only. */
    e->threshold = 128.0;
    if (!st->user) {
        /* The most conservative threshold that still finds 97 % of the validation events
         * at 10 dB: every confidence step above what recall needs buys fewer false alarms. */
        double *ve = score_all(s, &st->val_events);
        size_t nev = st->val_events.n ? (size_t)st->val_events.seg[st->val_events.n - 1] + 1 : 1;
        for (int c = 255; c >= 128 && ve; c--) {
            size_t hits = 0;
            node_episodes(&st->val_events, ve, (double)c, rate, &hits);
            if ((double)hits >= 0.97 * (double)nev) {
                e->threshold = (double)c;
                break;
            }
        }
        free(ve);
    } else {
        double *vs = score_all(s, &st->val);
        for (int c = 128; c <= 255 && vs; c++) {
            size_t fp = 0;
            for (size_t i = 0; i < st->val.n; i++) {
                fp += st->val.y[i] == 0 && vs[i] >= (double)c;
            }
            if (fp == 0) {
                e->threshold = (double)c;
                break;
            }
        }
        free(vs);
    }
    double *ts = score_all(s, &st->test);
    if (!ts) {
        return;
    }
    size_t tp = 0;
    size_t fp = 0;
    size_t tn = 0;
    size_t fn = 0;
    for (size_t i = 0; i < st->test.n; i++) {
        int pred = ts[i] > 127.5;
        int y = st->test.y[i];
        tp += pred && y;
        fp += pred && !y;
        tn += !pred && !y;
        fn += !pred && y;
    }
    size_t n = st->test.n ? st->test.n : 1;
    e->acc = (double)(tp + tn) / (double)n;
    e->prec[1] = tp + fp ? (double)tp / (double)(tp + fp) : 0.0;
    e->rec[1] = tp + fn ? (double)tp / (double)(tp + fn) : 0.0;
    e->prec[0] = tn + fn ? (double)tn / (double)(tn + fn) : 0.0;
    e->rec[0] = tn + fp ? (double)tn / (double)(tn + fp) : 0.0;
    if (st->user) {
        size_t det = 0;
        size_t pos = 0;
        struct dset negs = st->test;
        (void)negs;
        size_t episodes = 0;
        size_t neg_windows = 0;
        for (size_t i = 0; i < st->test.n; i++) {
            if (st->test.y[i]) {
                pos++;
                det += ts[i] >= e->threshold;
            } else {
                neg_windows++;
                int prev =
                    i > 0 && st->test.seg[i - 1] == st->test.seg[i] && ts[i - 1] >= e->threshold;
                episodes += ts[i] >= e->threshold && !prev;
            }
        }
        e->test_recall = pos ? (double)det / (double)pos : 0.0;
        double hours = (double)neg_windows * FEAT_STEP_SAMPLES / (double)rate / 3600.0;
        e->test_fa = hours > 0.0 ? (double)episodes / hours : 0.0;
    }
    free(ts);
    if (st->user) {
        return;
    }
    for (int k = 0; k < N_SNR; k++) {
        double *ps = score_all(s, &st->pos[k]);
        double *ss = score_all(s, &st->stream[k]);
        if (ps && ss && getenv("TRAIN_DEBUG")) {
            for (int kind = 0; kind < 256; kind++) {
                size_t nk = 0;
                size_t d = 0;
                for (size_t i = 0; i < st->stream[k].n; i++) {
                    if (st->stream[k].kind[i] == kind) {
                        nk++;
                        d += ss[i] >= e->threshold;
                    }
                }
                if (nk) {
                    fprintf(stderr, "debug %s snr %g kind %s: %zu/%zu windows detected\n", e->name,
                            snrs[k], synth_kind_name((enum synth_kind)kind), d, nk);
                }
            }
        }
        double *es = score_all(s, &st->events[k]);
        if (ps && ss && es) {
            e->det_recall[k] = recall_at(ps, st->pos[k].n, e->threshold);
            e->det_fa[k] = fa_per_hour(&st->stream[k], ss, e->threshold, rate);
            size_t hits = 0;
            node_episodes(&st->events[k], es, e->threshold, rate, &hits);
            size_t nev = st->events[k].n ? (size_t)st->events[k].seg[st->events[k].n - 1] + 1 : 1;
            e->ev_recall[k] = (double)hits / (double)nev;
            e->ev_fa[k] = events_per_hour(&st->stream[k], ss, e->threshold, rate);
        }
        free(ps);
        free(ss);
        free(es);
    }
}

static void eval_ae(const struct scorer *s, const struct sets *st, struct eval *e)
{
    double *vs = score_all(s, &st->val);
    double *hs = score_all(s, &st->test);
    double *fs = score_all(s, &st->test_faults);
    if (vs && hs && fs) {
        e->threshold = quantile(vs, st->val.n, 0.99);
        e->auc = auc(hs, st->test.n, fs, st->test_faults.n);
        e->fpr = recall_at(hs, st->test.n, e->threshold);
        e->tpr = recall_at(fs, st->test_faults.n, e->threshold);
        for (int k = 0; k < 4; k++) {
            size_t n = 0;
            size_t d = 0;
            for (size_t i = 0; i < st->test_faults.n; i++) {
                if (st->test_faults.kind[i] == SYNTH_FAULT_OUTER + k) {
                    n++;
                    d += fs[i] >= e->threshold;
                }
            }
            e->tpr_kind[k] = n ? (double)d / (double)n : 0.0;
        }
    }
    free(vs);
    free(hs);
    free(fs);
}

static void size_float(const struct net *net, struct eval *e)
{
    e->params = net_params(net, 0);
    e->nonzero = net_params(net, 1);
    e->bytes = 4 * e->params;
    e->macs = 0;
    for (int l = 0; l < net->layers; l++) {
        e->macs += (size_t)net->dim[l] * (size_t)net->dim[l + 1];
    }
    if (net->conv_len) {
        e->macs += (size_t)net_conv_out_len(net) * (size_t)net->conv_k * (size_t)net->conv_ch *
                       (size_t)net_conv_channels(net) -
                   (size_t)net->dim[0] * (size_t)net->dim[1];
    }
    e->macs_nz = net_macs(net);
}

static size_t qm_nonzero(const struct qmodel *qm)
{
    size_t n = 0;
    for (int l = 0; l < qm->n_layers; l++) {
        const struct qlayer *p = &qm->l[l];
        if (p->op != NN_OP_DENSE && p->op != NN_OP_CONV1D) {
            continue;
        }
        size_t nw = (size_t)(p->op == NN_OP_CONV1D ? p->kernel : p->in_len) * (size_t)p->in_ch *
                    (size_t)p->out_ch;
        for (size_t i = 0; i < nw; i++) {
            n += p->w[i] != 0;
        }
        n += (size_t)p->out_ch;
    }
    return n;
}

/* ---- report ------------------------------------------------------------------------------- */

static void report_classifier(FILE *f, const struct eval *ev, int n, const struct sets *st,
                              const struct cfg *c)
{
    fprintf(f,
            "| model | params | nonzero | weight bytes | MACs/window | accuracy | P none | "
            "R none | P %s | R %s | threshold |",
            c->target_name, c->target_name);
    if (st->user) {
        fprintf(f, " test recall | test FA/h |");
    }
    fprintf(f, "\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|%s\n",
            st->user ? "---:|---:|" : "");
    for (int i = 0; i < n; i++) {
        const struct eval *e = &ev[i];
        fprintf(f, "| %s | %zu | %zu | %zu | %zu | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |",
                e->name, e->params, e->nonzero, e->bytes, e->macs, e->acc, e->prec[0], e->rec[0],
                e->prec[1], e->rec[1], e->threshold / 255.0);
        if (st->user) {
            fprintf(f, " %.3f | %.2f |", e->test_recall, e->test_fa);
        }
        fprintf(f, "\n");
    }
    if (!st->user) {
        fprintf(f, "\nDetection at the threshold, per SNR: window recall / event recall / "
                   "false-alarm runs per hour / node events per hour.\n\n"
                   "| model | 0 dB | 10 dB | 20 dB |\n|---|---|---|---|\n");
        for (int i = 0; i < n; i++) {
            fprintf(f, "| %s |", ev[i].name);
            for (int k = 0; k < N_SNR; k++) {
                fprintf(f, " %.3f / %.3f / %.2f / %.2f |", ev[i].det_recall[k], ev[i].ev_recall[k],
                        ev[i].det_fa[k], ev[i].ev_fa[k]);
            }
            fprintf(f, "\n");
        }
    }
    const struct eval *stu = &ev[1];
    const struct eval *q8 = &ev[3];
    fprintf(f, "\nTargets (int8 model):\n\n");
    double gap = (stu->acc - q8->acc) * 100.0;
    fprintf(f,
            "- int8 within 1 point of the float student: %s (student %.1f %%, int8 %.1f %%, "
            "%+.1f points).\n",
            fabs(gap) <= 1.0 ? "met" : "MISSED", stu->acc * 100.0, q8->acc * 100.0, -gap);
    fprintf(f,
            "- (for reference: the pruned float model it was quantised from: %.1f %%, "
            "%+.1f points.)\n",
            ev[2].acc * 100.0, (q8->acc - ev[2].acc) * 100.0);
    fprintf(f, "- <= 16 KB of weights: %s (%zu bytes).\n", q8->bytes <= 16384 ? "met" : "MISSED",
            q8->bytes);
    if (!st->user) {
        int ok = q8->ev_recall[1] >= 0.95 && q8->ev_fa[1] <= 1.0;
        fprintf(f,
                "- recall >= 0.95 at <= 1 false alarm per hour at 10 dB SNR, as the node "
                "reports (events): %s (event recall %.3f, %.2f false events/h",
                ok ? "met" : "MISSED", q8->ev_recall[1], q8->ev_fa[1]);
        if (!ok) {
            fprintf(f, "; short by %.3f recall and %.2f events/h",
                    q8->ev_recall[1] < 0.95 ? 0.95 - q8->ev_recall[1] : 0.0,
                    q8->ev_fa[1] > 1.0 ? q8->ev_fa[1] - 1.0 : 0.0);
        }
        fprintf(f, ").\n");
        ok = q8->det_recall[1] >= 0.95 && q8->det_fa[1] <= 1.0;
        fprintf(f,
                "- the same per window (stricter: every target window must be detected, "
                "every run of detecting distractor windows counts): %s (recall %.3f, %.2f "
                "false-alarm runs/h).\n",
                ok ? "met" : "MISSED", q8->det_recall[1], q8->det_fa[1]);
    }
}

static void report_ae(FILE *f, const struct eval *ev, int n)
{
    fprintf(f, "| model | params | nonzero | weight bytes | MACs/window | AUC | detected "
               "(TPR) | false positive rate | outer race | inner race | imbalance | "
               "misalignment |\n");
    fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++) {
        const struct eval *e = &ev[i];
        fprintf(f,
                "| %s | %zu | %zu | %zu | %zu | %.4f | %.3f | %.3f | %.3f | %.3f | %.3f | "
                "%.3f |\n",
                e->name, e->params, e->nonzero, e->bytes, e->macs, e->auc, e->tpr, e->fpr,
                e->tpr_kind[0], e->tpr_kind[1], e->tpr_kind[2], e->tpr_kind[3]);
    }
    const struct eval *stu = &ev[1];
    const struct eval *q8 = &ev[3];
    fprintf(f, "\nTargets (int8 model):\n\n");
    double gap = stu->auc - q8->auc;
    fprintf(f, "- int8 within 0.005 AUC of the float student: %s (student %.4f, int8 %.4f).\n",
            fabs(gap) <= 0.005 ? "met" : "MISSED", stu->auc, q8->auc);
    fprintf(f, "- (for reference: the pruned float model it was quantised from: %.4f.)\n",
            ev[2].auc);
    fprintf(f, "- <= 16 KB of weights: %s (%zu bytes).\n", q8->bytes <= 16384 ? "met" : "MISSED",
            q8->bytes);
    fprintf(f, "- AUC >= 0.95: %s (%.4f%s).\n", q8->auc >= 0.95 ? "met" : "MISSED", q8->auc,
            q8->auc >= 0.95 ? "" : ", short of the target");
}

/* ---- the pipeline ------------------------------------------------------------------------- */

static void say(const struct pipe_opts *o, const char *msg)
{
    if (o->verbose) {
        fprintf(stderr, "tinyfleet-train: %s: %s\n", dsp_profile_name(o->profile), msg);
    }
}

int pipe_run(const struct pipe_opts *o, struct pipe_result *res, FILE *report)
{
    enum dsp_profile p = o->profile;
    const struct cfg *c = &cfgs[p];
    int ae = p == DSP_PROFILE_TURBINE;
    unsigned rate = dsp_profile_get(p)->sample_rate_hz;
    memset(res, 0, sizeof(*res));
    struct sets st;
    say(o, "synthesising data");
    if (make_sets(o, &st) != 0) {
        free_sets(&st);
        return -1;
    }
    struct qnorm nrm;
    float *mean = NULL;
    struct net teacher = {0};
    struct net student = {0};
    struct net pruned = {0};
    float *xtr = NULL;
    float *tlog = NULL;
    float *target = NULL;
    int *labels = NULL;
    int rc = -1;
    int dim = ae ? FEAT_BANDS : DATA_DIM;
    int ep = o->scale >= 1.0 ? 1 : 0; /* full epochs only for the real run */
    if (normalise(&nrm, &mean, &st.train, ae, c->conv_k != 0) != 0) {
        goto out;
    }
    xtr = features_of(&nrm, &st.train, dim);
    labels = st.train.y;
    int clen = c->conv_k ? FEAT_FRAMES : 0;
    if (!xtr ||
        net_init_conv(&teacher, c->teacher_layers, c->teacher_dim, clen, FEAT_BANDS, c->conv_k,
                      c->conv_stride, c->conv_flat, o->seed + 1) != 0 ||
        net_init_conv(&student, c->student_layers, c->student_dim, clen, FEAT_BANDS, c->conv_k,
                      c->conv_stride, c->conv_flat, o->seed + 2) != 0) {
        goto out;
    }

    /* Teacher: hard labels (or reconstruct the input). */
    say(o, "training the teacher");
    struct net_task tt = {xtr,    st.train.n, ae ? NET_LOSS_MSE : NET_LOSS_XENT,
                          labels, NULL,       1.0f,
                          0.0f,   xtr,        ep ? 30 : 6,
                          32,     1e-3f,      1e-4f};
    double *curve = calloc((size_t)tt.epochs, sizeof(double));
    if (!curve) {
        goto out;
    }
    net_train(&teacher, &tt, o->seed + 3, curve);
    res->teacher_loss_first = curve[0];
    res->teacher_loss_last = curve[tt.epochs - 1];
    free(curve);

    /* Student: distilled from the teacher. Classifiers learn the teacher's soft targets at
     * T = 4 with weight 0.7 beside the labels; the autoencoder regresses halfway between the
     * input and the teacher's reconstruction (the teacher's smoother manifold). */
    say(o, "distilling the student");
    size_t nout = (size_t)c->teacher_dim[c->teacher_layers];
    tlog = malloc(st.train.n * nout * sizeof(float));
    if (!tlog) {
        goto out;
    }
    for (size_t i = 0; i < st.train.n; i++) {
        net_forward(&teacher, xtr + i * (size_t)dim, tlog + i * nout);
    }
    struct net_task ts = tt;
    ts.epochs = ep ? 30 : 8;
    ts.lr = 2e-3f;
    if (ae) {
        target = malloc(st.train.n * nout * sizeof(float));
        if (!target) {
            goto out;
        }
        for (size_t i = 0; i < st.train.n * nout; i++) {
            target[i] = 0.5f * xtr[i] + 0.5f * tlog[i];
        }
        ts.target = target;
    } else {
        ts.teacher_logits = tlog;
        ts.temperature = 4.0f;
        ts.alpha = 0.7f;
    }
    net_train(&student, &ts, o->seed + 4, NULL);

    /* Pruning sweep: prune the student by magnitude, fine-tune with the mask, quantise. The
     * configured level becomes the pruned model; the others feed the trade-off plot. */
    say(o, "pruning sweep");
    struct net_task tf = ts;
    tf.epochs = ep ? 6 : 2;
    tf.lr = 5e-4f;
    tf.weight_decay = 0.0f;
    const int8_t *calib = st.val.x;
    size_t ncalib = st.val.n;
    if (ae) {
        /* The autoencoder's activation ranges come from validation healthy windows too. */
        calib = st.val.x;
    }
    for (int k = 0; k < PIPE_SWEEP; k++) {
        struct net pk;
        if (net_copy(&pk, &student) != 0) {
            goto out;
        }
        if (sweep_levels[k] > 0.0) {
            net_prune(&pk, sweep_levels[k]);
            net_train(&pk, &tf, o->seed + 10 + (uint64_t)k, NULL);
        }
        struct qmodel qk;
        if (quant_build(&qk, &pk, &nrm, calib, ncalib, p) != 0) {
            net_free(&pk);
            goto out;
        }
        struct eval ef = {0};
        struct eval eq = {0};
        struct scorer sf = {&pk, NULL, &nrm};
        struct scorer sq = {NULL, &qk, &nrm};
        if (ae) {
            eval_ae(&sf, &st, &ef);
            eval_ae(&sq, &st, &eq);
            res->sweep_metric[k] = ef.auc;
            res->sweep_metric_q[k] = eq.auc;
        } else {
            /* Accuracy only: cheap enough for every level. */
            struct sets lite = st;
            lite.user = 1;
            eval_classifier(&sf, &lite, rate, &ef);
            eval_classifier(&sq, &lite, rate, &eq);
            res->sweep_metric[k] = ef.acc;
            res->sweep_metric_q[k] = eq.acc;
        }
        res->sweep_sparsity[k] = sweep_levels[k];
        res->sweep_nonzero[k] = (double)qm_nonzero(&qk);
        res->sweep_n = k + 1;
        quant_free(&qk);
        if (fabs(sweep_levels[k] - c->sparsity) < 1e-9) {
            pruned = pk;
        } else {
            net_free(&pk);
        }
    }

    say(o, "quantising and evaluating");
    if (quant_build(&res->qm, &pruned, &nrm, calib, ncalib, p) != 0) {
        goto out;
    }
    struct eval ev[4];
    memset(ev, 0, sizeof(ev));
    const char *names[4] = {"teacher (float)", "student (float, distilled)", "pruned (float)",
                            "int8"};
    const struct net *nets[3] = {&teacher, &student, &pruned};
    for (int i = 0; i < 4; i++) {
        struct scorer s = {i < 3 ? nets[i] : NULL, i == 3 ? &res->qm : NULL, &nrm};
        ev[i].name = names[i];
        if (i < 3) {
            size_float(nets[i], &ev[i]);
        } else {
            ev[i].params = ev[2].params;
            ev[i].nonzero = qm_nonzero(&res->qm);
            ev[i].bytes = quant_weight_bytes(&res->qm);
            ev[i].macs = quant_macs(&res->qm);
        }
        if (ae) {
            eval_ae(&s, &st, &ev[i]);
        } else {
            eval_classifier(&s, &st, rate, &ev[i]);
        }
    }
    if (ae) {
        /* The node's threshold: 99th percentile of validation healthy sse (int8). */
        quant_set_ae_threshold(&res->qm, (uint64_t)llround(ev[3].threshold));
    } else {
        res->qm.class_ids[1] = (uint8_t)c->target_class;
        res->qm.detect_min_conf = (int)ev[3].threshold;
    }

    if (report) {
        fprintf(report, "## %s\n\n", dsp_profile_name(p));
        if (st.user) {
            fprintf(report,
                    "Trained on recordings from `%s`: %zu training, %zu validation and "
                    "%zu test windows (plus %zu fault windows kept for testing).\n\n",
                    o->data_dir, st.train.n, st.val.n, st.test.n, st.test_faults.n);
        } else if (ae) {
            fprintf(report,
                    "Data (seed %llu): %zu healthy training windows, %zu validation "
                    "(activation ranges, threshold), %zu healthy and %zu fault test "
                    "windows; machine at -30..-20 dBFS, 20-35 dB over the plant floor; fault "
                    "severity 0.2-1; "
                    "faults never used for training.\n\n",
                    o->seed, st.train.n, st.val.n, st.test.n, st.test_faults.n);
        } else {
            fprintf(report,
                    "Data (seed %llu): %zu training, %zu validation, %zu test windows "
                    "(half targets; distances give SNRs from -6 dB up). Per SNR for "
                    "detection: %zu target windows, %zu target events alone in 20 s of "
                    "background, %.1f h of distractor streams. Thresholds from %zu "
                    "validation events at 10 dB.\n\n",
                    o->seed, st.train.n, st.val.n, st.test.n, st.pos[0].n,
                    st.events[0].n ? (size_t)st.events[0].seg[st.events[0].n - 1] + 1 : 0,
                    (double)st.stream[0].n * FEAT_STEP_SAMPLES / rate / 3600.0,
                    st.val_events.n ? (size_t)st.val_events.seg[st.val_events.n - 1] + 1 : 0);
        }
        fprintf(report,
                "Models: %s; pruned model = student with %.0f %% of its weights removed "
                "by magnitude and fine-tuned; int8 = the pruned model quantised "
                "per channel.\n\n",
                c->arch, c->sparsity * 100.0);
        if (ae) {
            report_ae(report, ev, 4);
        } else {
            report_classifier(report, ev, 4, &st, c);
        }
        fprintf(report,
                "\nSparsity sweep (student pruned and fine-tuned at each level):\n\n"
                "| sparsity | nonzero int8 params | %s float | %s int8 |\n"
                "|---:|---:|---:|---:|\n",
                ae ? "AUC" : "accuracy", ae ? "AUC" : "accuracy");
        for (int k = 0; k < res->sweep_n; k++) {
            fprintf(report, "| %.0f %% | %.0f | %.4f | %.4f |\n", res->sweep_sparsity[k] * 100.0,
                    res->sweep_nonzero[k], res->sweep_metric[k], res->sweep_metric_q[k]);
        }
        fprintf(report, "\n");
    }
    rc = 0;
out:
    net_free(&teacher);
    net_free(&student);
    net_free(&pruned);
    free(mean);
    free(xtr);
    free(tlog);
    free(target);
    free_sets(&st);
    return rc;
}
