/*
 * pipeline: one profile from data to int8 model and report (see pipeline.h).
 *
 * The stages, in order: the data splits (pipe_data.c), the teacher, the distilled student,
 * the pruning sweep, and the int8 model with every model's figures (pipe_eval.c) and the
 * report section (pipe_report.c). Each stage is seeded from the run's seed alone, so a run
 * is reproducible byte for byte.
 */
#include "pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "net.h"
#include "nodefw/features.h"
#include "nodefw/nn.h"
#include "pipe_int.h"

static const double sweep_levels[PIPE_SWEEP] = {0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95};

/* Classifiers: conv1d over time (kernel 4 frames = 0.64 s at 1 kHz, stride 2) + ReLU, then
 * dense layers; the teacher is about 3x the student. The whale's upcall is one short sweep
 * anywhere in the window, so a global average pool follows the convolution; a rumble is
 * told from an engine by how it changes over the window (onset, decay, pitch contour), so
 * the elephant's dense layer sees all 7 positions. The turbine autoencoder reconstructs the
 * window's mean band energies (the engine's average pool computes them). */
static const struct pipe_cfg cfgs[DSP_PROFILE_COUNT] = {
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

/* One run: what the stages hand each other. run_free releases everything it owns. */
struct run {
    const struct pipe_opts *o;
    const struct pipe_cfg *c;
    struct pipe_result *res;
    int ae;        /* turbine: an autoencoder */
    unsigned rate; /* sample rate, Hz */
    int dim;       /* inputs of the float nets */
    int full;      /* full epochs: only for the real run (scale 1) */
    struct pipe_sets st;
    struct qnorm nrm;
    float *mean;   /* the normalisation's means (nrm.mean) */
    float *xtr;    /* the training windows normalised, st.train.n x dim */
    float *tlog;   /* the teacher's outputs on xtr */
    float *target; /* the autoencoder student's regression target */
    struct net teacher;
    struct net student;
    struct net pruned;
    struct net_task task; /* the student's task; fine-tuning starts from it */
};

static void run_free(struct run *r)
{
    net_free(&r->teacher);
    net_free(&r->student);
    net_free(&r->pruned);
    free(r->mean);
    free(r->xtr);
    free(r->tlog);
    free(r->target);
    pipe__free_sets(&r->st);
}

static void say(const struct pipe_opts *o, const char *msg)
{
    if (o->verbose) {
        fprintf(stderr, "tinyfleet-train: %s: %s\n", dsp_profile_name(o->profile), msg);
    }
}

/* The normalised training inputs and both networks, initialised. */
static int prepare(struct run *r)
{
    const struct pipe_cfg *c = r->c;
    if (pipe__normalise(&r->nrm, &r->mean, &r->st.train, r->ae, c->conv_k != 0) != 0) {
        return -1;
    }
    r->xtr = pipe__features_of(&r->nrm, &r->st.train, r->dim);
    int clen = c->conv_k ? FEAT_FRAMES : 0;
    if (!r->xtr ||
        net_init_conv(&r->teacher, c->teacher_layers, c->teacher_dim, clen, FEAT_BANDS, c->conv_k,
                      c->conv_stride, c->conv_flat, r->o->seed + 1) != 0 ||
        net_init_conv(&r->student, c->student_layers, c->student_dim, clen, FEAT_BANDS, c->conv_k,
                      c->conv_stride, c->conv_flat, r->o->seed + 2) != 0) {
        return -1;
    }
    return 0;
}

/* Teacher: hard labels (or reconstruct the input). */
static int train_teacher(struct run *r)
{
    say(r->o, "training the teacher");
    struct net_task tt = {r->xtr,
                          r->st.train.n,
                          r->ae ? NET_LOSS_MSE : NET_LOSS_XENT,
                          r->st.train.y,
                          NULL,
                          1.0f,
                          0.0f,
                          r->xtr,
                          r->full ? 30 : 6,
                          32,
                          1e-3f,
                          1e-4f};
    double *curve = calloc((size_t)tt.epochs, sizeof(double));
    if (!curve) {
        return -1;
    }
    net_train(&r->teacher, &tt, r->o->seed + 3, curve);
    r->res->teacher_loss_first = curve[0];
    r->res->teacher_loss_last = curve[tt.epochs - 1];
    free(curve);
    r->task = tt;
    return 0;
}

/* Student: distilled from the teacher. Classifiers learn the teacher's soft targets at
 * T = 4 with weight 0.7 beside the labels; the autoencoder regresses halfway between the
 * input and the teacher's reconstruction (the teacher's smoother manifold). */
static int distil_student(struct run *r)
{
    say(r->o, "distilling the student");
    size_t n = r->st.train.n;
    size_t nout = (size_t)r->c->teacher_dim[r->c->teacher_layers];
    r->tlog = malloc(n * nout * sizeof(float));
    if (!r->tlog) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        net_forward(&r->teacher, r->xtr + i * (size_t)r->dim, r->tlog + i * nout);
    }
    struct net_task *ts = &r->task;
    ts->epochs = r->full ? 30 : 8;
    ts->lr = 2e-3f;
    if (r->ae) {
        r->target = malloc(n * nout * sizeof(float));
        if (!r->target) {
            return -1;
        }
        for (size_t i = 0; i < n * nout; i++) {
            r->target[i] = 0.5f * r->xtr[i] + 0.5f * r->tlog[i];
        }
        ts->target = r->target;
    } else {
        ts->teacher_logits = r->tlog;
        ts->temperature = 4.0f;
        ts->alpha = 0.7f;
    }
    net_train(&r->student, ts, r->o->seed + 4, NULL);
    return 0;
}

/* Sweep level k: the float and int8 metric of pk on the test data. The activation ranges
 * come from the validation windows (for the autoencoder: healthy ones). */
static int sweep_point(struct run *r, int k, const struct net *pk)
{
    struct qmodel qk;
    if (quant_build(&qk, pk, &r->nrm, r->st.val.x, r->st.val.n, r->o->profile) != 0) {
        return -1;
    }
    struct pipe_eval ef = {0};
    struct pipe_eval eq = {0};
    struct pipe_scorer sf = {pk, NULL, &r->nrm};
    struct pipe_scorer sq = {NULL, &qk, &r->nrm};
    struct pipe_result *res = r->res;
    if (r->ae) {
        pipe__eval_ae(&sf, &r->st, &ef);
        pipe__eval_ae(&sq, &r->st, &eq);
        res->sweep_metric[k] = ef.auc;
        res->sweep_metric_q[k] = eq.auc;
    } else {
        /* Accuracy only: cheap enough for every level. */
        struct pipe_sets lite = r->st;
        lite.user = 1;
        pipe__eval_classifier(&sf, &lite, r->rate, &ef);
        pipe__eval_classifier(&sq, &lite, r->rate, &eq);
        res->sweep_metric[k] = ef.acc;
        res->sweep_metric_q[k] = eq.acc;
    }
    res->sweep_sparsity[k] = sweep_levels[k];
    res->sweep_nonzero[k] = (double)pipe__qm_nonzero(&qk);
    res->sweep_n = k + 1;
    quant_free(&qk);
    return 0;
}

/* Pruning sweep: prune the student by magnitude, fine-tune with the mask, quantise. The
 * configured level becomes the pruned model; the others feed the trade-off plot. */
static int prune_sweep(struct run *r)
{
    say(r->o, "pruning sweep");
    struct net_task tf = r->task;
    tf.epochs = r->full ? 6 : 2;
    tf.lr = 5e-4f;
    tf.weight_decay = 0.0f;
    for (int k = 0; k < PIPE_SWEEP; k++) {
        struct net pk;
        if (net_copy(&pk, &r->student) != 0) {
            return -1;
        }
        if (sweep_levels[k] > 0.0) {
            net_prune(&pk, sweep_levels[k]);
            net_train(&pk, &tf, r->o->seed + 10 + (uint64_t)k, NULL);
        }
        if (sweep_point(r, k, &pk) != 0) {
            net_free(&pk);
            return -1;
        }
        if (fabs(sweep_levels[k] - r->c->sparsity) < 1e-9) {
            r->pruned = pk;
        } else {
            net_free(&pk);
        }
    }
    return 0;
}

/* The int8 model from the pruned one, every model's figures (teacher, student, pruned,
 * int8), and the node's thresholds. */
static int quantise_and_evaluate(struct run *r, struct pipe_eval ev[4])
{
    say(r->o, "quantising and evaluating");
    struct qmodel *qm = &r->res->qm;
    if (quant_build(qm, &r->pruned, &r->nrm, r->st.val.x, r->st.val.n, r->o->profile) != 0) {
        return -1;
    }
    memset(ev, 0, 4 * sizeof(ev[0]));
    const char *names[4] = {"teacher (float)", "student (float, distilled)", "pruned (float)",
                            "int8"};
    const struct net *nets[3] = {&r->teacher, &r->student, &r->pruned};
    for (int i = 0; i < 4; i++) {
        struct pipe_scorer s = {i < 3 ? nets[i] : NULL, i == 3 ? qm : NULL, &r->nrm};
        ev[i].name = names[i];
        if (i < 3) {
            pipe__size_float(nets[i], &ev[i]);
        } else {
            ev[i].params = ev[2].params;
            ev[i].nonzero = pipe__qm_nonzero(qm);
            ev[i].bytes = quant_weight_bytes(qm);
            ev[i].macs = quant_macs(qm);
        }
        if (r->ae) {
            pipe__eval_ae(&s, &r->st, &ev[i]);
        } else {
            pipe__eval_classifier(&s, &r->st, r->rate, &ev[i]);
        }
    }
    if (r->ae) {
        /* The node's threshold: 99th percentile of validation healthy sse (int8). */
        quant_set_ae_threshold(qm, (uint64_t)llround(ev[3].threshold));
    } else {
        qm->class_ids[1] = (uint8_t)r->c->target_class;
        qm->detect_min_conf = (int)ev[3].threshold;
    }
    return 0;
}

int pipe_run(const struct pipe_opts *o, struct pipe_result *res, FILE *report)
{
    struct run r;
    struct pipe_eval ev[4];
    int rc = -1;

    memset(&r, 0, sizeof(r));
    memset(res, 0, sizeof(*res));
    r.o = o;
    r.c = &cfgs[o->profile];
    r.res = res;
    r.ae = o->profile == DSP_PROFILE_TURBINE;
    r.rate = dsp_profile_get(o->profile)->sample_rate_hz;
    r.dim = r.ae ? FEAT_BANDS : DATA_DIM;
    r.full = o->scale >= 1.0;
    say(o, o->data_dir != NULL ? "reading the recordings" : "synthesising data");
    if (pipe__make_sets(o, &r.st) != 0 || prepare(&r) != 0 || train_teacher(&r) != 0 ||
        distil_student(&r) != 0 || prune_sweep(&r) != 0 || quantise_and_evaluate(&r, ev) != 0) {
        goto out;
    }
    if (report) {
        pipe__report(report, o, r.c, &r.st, ev, res);
    }
    rc = 0;
out:
    run_free(&r);
    return rc;
}
