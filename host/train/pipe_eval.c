/*
 * pipe_eval: a model's figures on the data splits (see pipe_int.h): thresholds from
 * validation data only, then accuracy, detection per window and per node event, false alarms
 * per hour, AUC, and the model's size.
 *
 * Detection threshold (classifiers): the highest confidence c in 128..255 at which the node
 * (model plus aggregator) still reports 97 % of the validation target events at 10 dB: the
 * fewest false alarms that keep the recall target with a margin.
 * Anomaly threshold (turbine): the 99th percentile of the validation healthy windows' scores.
 */
#include "pipe_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nodefw/aggregator.h"
#include "nodefw/features.h"
#include "nodefw/nn.h"
#include "synth/synth.h"

/* Classifier: the target's confidence on 0..255. Autoencoder: the anomaly score before any
 * saturation (float: MSE in normalised units; int8: the engine's integer sse). */
static double score(const struct pipe_scorer *s, const int8_t *q)
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
    pipe__to_float(s->nrm, q, s->net->dim[0], x);
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

static double *score_all(const struct pipe_scorer *s, const struct dset *ds)
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

/* The profile whose sample rate is `rate` (each profile has its own). */
static enum dsp_profile profile_of_rate(unsigned rate)
{
    for (int p = 0; p < DSP_PROFILE_COUNT; p++) {
        if (dsp_profile_get((enum dsp_profile)p)->sample_rate_hz == rate) {
            return (enum dsp_profile)p;
        }
    }
    return DSP_PROFILE_ELEPHANT;
}

/* Whether a queued record overlaps [lo, hi) ms (the windows labelled as the event). */
static int records_hit(const struct aggregator *agg, uint64_t lo, uint64_t hi)
{
    for (unsigned q = 0; q < agg->queued; q++) {
        if (agg->queue[q].start_ms < hi && agg->queue[q].end_ms > lo) {
            return 1;
        }
    }
    return 0;
}

/*
 * The node's own aggregator (nodefw/app/aggregator.c) with the profile's settings, episode
 * rules included: windows scoring thr or more count. Counts the episodes a node would send
 * over a stream (one segment at a time, each through a fresh aggregator), and, if hits is
 * set, the segments in which a sent episode overlaps the event's windows (y = 1).
 */
static size_t node_episodes(const struct dset *st, const double *sc, double thr, unsigned rate,
                            size_t *hits)
{
    const uint64_t step_ms = (uint64_t)FEAT_STEP_SAMPLES * 1000u / rate;
    const uint64_t win_ms = (uint64_t)FEAT_WINDOW_SAMPLES * 1000u / rate;
    struct agg_config cfg;
    struct aggregator agg;
    size_t episodes = 0;
    size_t hit = 0;
    aggregator_profile_config(&cfg, profile_of_rate(rate));
    cfg.on_conf = 0; /* as node.c: the model's threshold decides what counts */
    cfg.health_period_ms = 0;
    for (size_t i = 0; i < st->n;) {
        size_t j = i;
        int seg_hit = 0;
        uint64_t lo = UINT64_MAX;
        uint64_t hi = 0;
        aggregator_init(&agg, &cfg, 0);
        for (; j < st->n && st->seg[j] == st->seg[i]; j++) {
            struct agg_window w;
            memset(&w, 0, sizeof(w));
            w.start_ms = (uint64_t)(j - i) * step_ms;
            w.end_ms = w.start_ms + win_ms;
            w.confidence = (uint8_t)(sc[j] >= 255.0 ? 255 : sc[j] <= 0.0 ? 0 : lround(sc[j]));
            w.class_id = sc[j] >= thr ? 1 : 0;
            aggregator_window(&agg, &w);
            if (st->y[j]) {
                lo = w.start_ms < lo ? w.start_ms : lo;
                hi = w.end_ms;
            }
            if (agg.queued == AGG_QUEUE) {
                seg_hit |= hi > 0 && records_hit(&agg, lo, hi);
                agg.queued = 0; /* counted; make room as a node's radio would */
            }
        }
        aggregator_flush(&agg, (uint64_t)(j - i) * step_ms + win_ms + cfg.hangover_ms);
        seg_hit |= hi > 0 && records_hit(&agg, lo, hi);
        hit += (size_t)seg_hit;
        episodes += agg.episodes;
        i = j;
    }
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

/* A classifier's threshold, from validation data only. */
static double threshold_of(const struct pipe_scorer *s, const struct pipe_sets *st, unsigned rate)
{
    double thr = 128.0;
    if (!st->user) {
        /* The most conservative threshold that still finds 97 % of the validation events
         * at 10 dB: every confidence step above what recall needs buys fewer false alarms. */
        double *ve = score_all(s, &st->val_events);
        size_t nev = st->val_events.n ? (size_t)st->val_events.seg[st->val_events.n - 1] + 1 : 1;
        for (int c = 255; c >= 128 && ve; c--) {
            size_t hits = 0;
            node_episodes(&st->val_events, ve, (double)c, rate, &hits);
            if ((double)hits >= 0.97 * (double)nev) {
                thr = (double)c;
                break;
            }
        }
        free(ve);
        return thr;
    }
    /* A user's data: the lowest confidence with no false positive on validation negatives. */
    double *vs = score_all(s, &st->val);
    for (int c = 128; c <= 255 && vs; c++) {
        size_t fp = 0;
        for (size_t i = 0; i < st->val.n; i++) {
            fp += st->val.y[i] == 0 && vs[i] >= (double)c;
        }
        if (fp == 0) {
            thr = (double)c;
            break;
        }
    }
    free(vs);
    return thr;
}

/* Per-window figures on the test windows (scores ts): accuracy and per-class precision and
 * recall at the arg-max; for a user's data also recall and false alarms at the threshold. */
static void window_figures(struct pipe_eval *e, const double *ts, const struct dset *test, int user,
                           unsigned rate)
{
    size_t tp = 0;
    size_t fp = 0;
    size_t tn = 0;
    size_t fn = 0;
    for (size_t i = 0; i < test->n; i++) {
        int pred = ts[i] > 127.5;
        int y = test->y[i];
        tp += pred && y;
        fp += pred && !y;
        tn += !pred && !y;
        fn += !pred && y;
    }
    size_t n = test->n ? test->n : 1;
    e->acc = (double)(tp + tn) / (double)n;
    e->prec[1] = tp + fp ? (double)tp / (double)(tp + fp) : 0.0;
    e->rec[1] = tp + fn ? (double)tp / (double)(tp + fn) : 0.0;
    e->prec[0] = tn + fn ? (double)tn / (double)(tn + fn) : 0.0;
    e->rec[0] = tn + fp ? (double)tn / (double)(tn + fp) : 0.0;
    if (!user) {
        return;
    }
    size_t det = 0;
    size_t pos = 0;
    size_t episodes = 0;
    size_t neg_windows = 0;
    for (size_t i = 0; i < test->n; i++) {
        if (test->y[i]) {
            pos++;
            det += ts[i] >= e->threshold;
        } else {
            neg_windows++;
            int prev = i > 0 && test->seg[i - 1] == test->seg[i] && ts[i - 1] >= e->threshold;
            episodes += ts[i] >= e->threshold && !prev;
        }
    }
    e->test_recall = pos ? (double)det / (double)pos : 0.0;
    double hours = (double)neg_windows * FEAT_STEP_SAMPLES / (double)rate / 3600.0;
    e->test_fa = hours > 0.0 ? (double)episodes / hours : 0.0;
}

/* TRAIN_DEBUG: how many windows of each distractor kind of a stream were detected. */
static void debug_kinds(const struct pipe_eval *e, const struct dset *stream, const double *ss,
                        double snr)
{
    for (int kind = 0; kind < 256; kind++) {
        size_t nk = 0;
        size_t d = 0;
        for (size_t i = 0; i < stream->n; i++) {
            if (stream->kind[i] == kind) {
                nk++;
                d += ss[i] >= e->threshold;
            }
        }
        if (nk) {
            fprintf(stderr, "debug %s snr %g kind %s: %zu/%zu windows detected\n", e->name, snr,
                    synth_kind_name((enum synth_kind)kind), d, nk);
        }
    }
}

/* Detection at the threshold at SNR k: per window and per event, and false alarms. */
static void detection_at(const struct pipe_scorer *s, const struct pipe_sets *st, int k,
                         unsigned rate, struct pipe_eval *e)
{
    double *ps = score_all(s, &st->pos[k]);
    double *ss = score_all(s, &st->stream[k]);
    if (ps && ss && getenv("TRAIN_DEBUG")) {
        debug_kinds(e, &st->stream[k], ss, pipe__snrs[k]);
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

void pipe__eval_classifier(const struct pipe_scorer *s, const struct pipe_sets *st, unsigned rate,
                           struct pipe_eval *e)
{
    e->threshold = threshold_of(s, st, rate);
    double *ts = score_all(s, &st->test);
    if (!ts) {
        return;
    }
    window_figures(e, ts, &st->test, st->user, rate);
    free(ts);
    if (st->user) {
        return;
    }
    for (int k = 0; k < PIPE_N_SNR; k++) {
        detection_at(s, st, k, rate, e);
    }
}

void pipe__eval_ae(const struct pipe_scorer *s, const struct pipe_sets *st, struct pipe_eval *e)
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

void pipe__size_float(const struct net *net, struct pipe_eval *e)
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

size_t pipe__qm_nonzero(const struct qmodel *qm)
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
