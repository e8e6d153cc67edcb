/*
 * pipe_report: one profile's section of REPORT.md (see pipe_int.h): the data, the models, a
 * table of every model's figures, the targets met or missed, and the sparsity sweep.
 */
#include "pipe_int.h"

#include <math.h>

#include "nodefw/features.h"
#include "nodefw/profile.h"

static void report_classifier(FILE *f, const struct pipe_eval *ev, int n,
                              const struct pipe_sets *st, const struct pipe_cfg *c)
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
        const struct pipe_eval *e = &ev[i];
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
            for (int k = 0; k < PIPE_N_SNR; k++) {
                fprintf(f, " %.3f / %.3f / %.2f / %.2f |", ev[i].det_recall[k], ev[i].ev_recall[k],
                        ev[i].det_fa[k], ev[i].ev_fa[k]);
            }
            fprintf(f, "\n");
        }
    }
    const struct pipe_eval *stu = &ev[1];
    const struct pipe_eval *q8 = &ev[3];
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

static void report_ae(FILE *f, const struct pipe_eval *ev, int n)
{
    fprintf(f, "| model | params | nonzero | weight bytes | MACs/window | AUC | detected "
               "(TPR) | false positive rate | outer race | inner race | imbalance | "
               "misalignment |\n");
    fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++) {
        const struct pipe_eval *e = &ev[i];
        fprintf(f,
                "| %s | %zu | %zu | %zu | %zu | %.4f | %.3f | %.3f | %.3f | %.3f | %.3f | "
                "%.3f |\n",
                e->name, e->params, e->nonzero, e->bytes, e->macs, e->auc, e->tpr, e->fpr,
                e->tpr_kind[0], e->tpr_kind[1], e->tpr_kind[2], e->tpr_kind[3]);
    }
    const struct pipe_eval *stu = &ev[1];
    const struct pipe_eval *q8 = &ev[3];
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

/* What the models were trained and tested on. */
static void report_data(FILE *f, const struct pipe_opts *o, const struct pipe_sets *st)
{
    unsigned rate = dsp_profile_get(o->profile)->sample_rate_hz;
    if (st->user) {
        fprintf(f,
                "Trained on recordings from `%s`: %zu training, %zu validation and "
                "%zu test windows (plus %zu fault windows kept for testing).\n\n",
                o->data_dir, st->train.n, st->val.n, st->test.n, st->test_faults.n);
    } else if (o->profile == DSP_PROFILE_TURBINE) {
        fprintf(f,
                "Data (seed %llu): %zu healthy training windows, %zu validation "
                "(activation ranges, threshold), %zu healthy and %zu fault test "
                "windows; machine at -30..-20 dBFS, 20-35 dB over the plant floor; fault "
                "severity 0.2-1; "
                "faults never used for training.\n\n",
                o->seed, st->train.n, st->val.n, st->test.n, st->test_faults.n);
    } else {
        fprintf(f,
                "Data (seed %llu): %zu training, %zu validation, %zu test windows "
                "(half targets; distances give SNRs from -6 dB up). Per SNR for "
                "detection: %zu target windows, %zu target events alone in 20 s of "
                "background, %.1f h of distractor streams. Thresholds from %zu "
                "validation events at 10 dB.\n\n",
                o->seed, st->train.n, st->val.n, st->test.n, st->pos[0].n,
                st->events[0].n ? (size_t)st->events[0].seg[st->events[0].n - 1] + 1 : 0,
                (double)st->stream[0].n * FEAT_STEP_SAMPLES / rate / 3600.0,
                st->val_events.n ? (size_t)st->val_events.seg[st->val_events.n - 1] + 1 : 0);
    }
}

void pipe__report(FILE *f, const struct pipe_opts *o, const struct pipe_cfg *c,
                  const struct pipe_sets *st, const struct pipe_eval *ev,
                  const struct pipe_result *res)
{
    int ae = o->profile == DSP_PROFILE_TURBINE;
    fprintf(f, "## %s\n\n", dsp_profile_name(o->profile));
    report_data(f, o, st);
    fprintf(f,
            "Models: %s; pruned model = student with %.0f %% of its weights removed "
            "by magnitude and fine-tuned; int8 = the pruned model quantised "
            "per channel.\n\n",
            c->arch, c->sparsity * 100.0);
    if (ae) {
        report_ae(f, ev, 4);
        /* The sweep over unseen machines has its own generator and file (make turbine-eval):
         * named here, without its figures, so that this file stays a training run's output. */
        fprintf(f, "\nOn a node the turbine does not judge with this frozen model as it is: "
                   "it first learns its own machine (nodefw/learn.h). How that does on "
                   "machines nothing was trained on (AUC, false alarms, a simulated week, "
                   "the learning curve) is in TURBINE_LEARNING.md (`make turbine-eval`).\n");
    } else {
        report_classifier(f, ev, 4, st, c);
    }
    fprintf(f,
            "\nSparsity sweep (student pruned and fine-tuned at each level):\n\n"
            "| sparsity | nonzero int8 params | %s float | %s int8 |\n"
            "|---:|---:|---:|---:|\n",
            ae ? "AUC" : "accuracy", ae ? "AUC" : "accuracy");
    for (int k = 0; k < res->sweep_n; k++) {
        fprintf(f, "| %.0f %% | %.0f | %.4f | %.4f |\n", res->sweep_sparsity[k] * 100.0,
                res->sweep_nonzero[k], res->sweep_metric[k], res->sweep_metric_q[k]);
    }
    fprintf(f, "\n");
}
