/*
 * evaluate: `tinyfleet-train --eval` (see evaluate.h). Trains the models it compares (the
 * first recipe's, the full recipe's, one without each family) and scores them on evalset's
 * streams and recall sets, which are drawn from other seeds and generator settings than
 * anything the pipeline trains, calibrates or picks a threshold on.
 */
#include "evaluate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evalset.h"
#include "pipeline.h"
#include "png.h"

#define N_SNR   4
#define N_SWEEP 12
static const double snrs[N_SNR] = {20.0, 10.0, 5.0, 0.0};
static const int sweep_thr[N_SWEEP] = {0, 140, 160, 180, 200, 215, 228, 238, 245, 250, 253, 255};
#define MAX_FAM 12

/* What one profile's evaluation holds: the data, and per model its figures. */
struct prof_eval {
    enum dsp_profile p;
    unsigned rate;
    int n_fam;
    const struct eval_family *fam;
    struct dset streams[MAX_FAM];
    struct dset recall[N_SNR][2];       /* per SNR and noise, every call type of the profile */
    struct dset types[EVAL_CALL_COUNT]; /* per call type at 10 dB, white and pink */
    /* per model: 0 old, 1 new */
    int thr[2];
    double fa[2][MAX_FAM];
    double rec[2][N_SNR][2];
    double rec_type[2][EVAL_CALL_COUNT];
    double curve_fa[2][N_SWEEP];
    double curve_rec[2][N_SWEEP];
    double lofo[MAX_FAM];
    int lofo_thr[MAX_FAM];
};

static int train(const struct eval_opts *o, enum dsp_profile p, enum data_recipe r,
                 const enum synth_kind *drop, int n_drop, double scale, struct qmodel *qm)
{
    struct pipe_opts po = {p, o->seed, NULL, scale, 0};
    struct pipe_result res;
    FILE *devnull = fopen("/dev/null", "w");
    int rc = devnull && data_use_recipe(r, drop, n_drop) == 0 ? pipe_run(&po, &res, devnull) : -1;
    if (devnull) {
        fclose(devnull);
    }
    data_use_recipe(DATA_RECIPE_DEFAULT, NULL, 0);
    if (rc == 0) {
        *qm = res.qm;
    }
    return rc;
}

static int make_data(const struct eval_opts *o, struct prof_eval *pe)
{
    uint64_t sd = o->seed * 1000003ULL + 90001ULL + (uint64_t)pe->p * 7919ULL;
    int n_types = 0;
    for (int c = 0; c < EVAL_CALL_COUNT; c++) {
        n_types += eval_call_of(pe->p, (enum eval_call)c);
    }
    size_t per_type = o->recall_events / (size_t)n_types + 1;
    for (int f = 0; f < pe->n_fam; f++) {
        if (eval_family_stream(&pe->streams[f], pe->p, &pe->fam[f], o->stream_s, sd + 10 + f)) {
            return -1;
        }
    }
    for (int c = 0; c < EVAL_CALL_COUNT; c++) {
        if (!eval_call_of(pe->p, (enum eval_call)c)) {
            continue;
        }
        for (int k = 0; k < N_SNR; k++) {
            for (int nz = 0; nz < 2; nz++) {
                struct dset *d = snrs[k] == 10.0 ? &pe->types[c] : &pe->recall[k][nz];
                if (eval_recall_set(d, pe->p, (enum eval_call)c, (enum eval_noise)nz, snrs[k],
                                    per_type, sd + 100 + (uint64_t)(k * 10 + nz))) {
                    return -1;
                }
            }
        }
    }
    return 0;
}

/* Segments of a recall set, found by the node at threshold thr, as a share. */
static double recall_of(const uint8_t *conf, int thr, const struct dset *d, unsigned rate)
{
    size_t hits = 0;
    size_t segs = d->n ? (size_t)d->seg[d->n - 1] + 1 : 0;
    eval_node_events_conf(conf, thr, d, rate, &hits);
    return segs ? (double)hits / (double)segs : 0.0;
}

/* Every figure of one model; thr < 0: the model's own threshold. */
static int score_model(struct prof_eval *pe, int m, const struct qmodel *qm)
{
    uint8_t *sconf[MAX_FAM] = {0};
    uint8_t *tconf[EVAL_CALL_COUNT] = {0};
    uint8_t *rconf[N_SNR][2] = {{0}};
    int rc = 0;
    pe->thr[m] = qm->detect_min_conf;
    for (int f = 0; f < pe->n_fam && rc == 0; f++) {
        sconf[f] = eval_confidences(qm, &pe->streams[f]);
        rc = sconf[f] ? 0 : -1;
    }
    for (int c = 0; c < EVAL_CALL_COUNT && rc == 0; c++) {
        tconf[c] = pe->types[c].n ? eval_confidences(qm, &pe->types[c]) : NULL;
    }
    for (int k = 0; k < N_SNR && rc == 0; k++) {
        for (int nz = 0; nz < 2; nz++) {
            rconf[k][nz] = pe->recall[k][nz].n ? eval_confidences(qm, &pe->recall[k][nz]) : NULL;
        }
    }
    for (int s = 0; s < N_SWEEP && rc == 0; s++) {
        int thr = s == 0 ? pe->thr[m] : sweep_thr[s];
        double fa = 0.0;
        for (int f = 0; f < pe->n_fam; f++) {
            double v = eval_node_events_conf(sconf[f], thr, &pe->streams[f], pe->rate, NULL);
            fa += v / pe->n_fam;
            if (s == 0) {
                pe->fa[m][f] = v;
            }
        }
        double rec = 0.0;
        int nt = 0;
        for (int c = 0; c < EVAL_CALL_COUNT; c++) {
            if (tconf[c]) {
                double r = recall_of(tconf[c], thr, &pe->types[c], pe->rate);
                rec += r;
                nt++;
                if (s == 0) {
                    pe->rec_type[m][c] = r;
                }
            }
        }
        pe->curve_fa[m][s] = fa;
        pe->curve_rec[m][s] = nt ? rec / nt : 0.0;
    }
    for (int k = 0; k < N_SNR && rc == 0; k++) {
        for (int nz = 0; nz < 2; nz++) {
            if (snrs[k] == 10.0) {
                pe->rec[m][k][nz] = -1.0; /* filled from the per-type sets below */
            } else if (rconf[k][nz]) {
                pe->rec[m][k][nz] =
                    recall_of(rconf[k][nz], pe->thr[m], &pe->recall[k][nz], pe->rate);
            }
        }
    }
    for (int f = 0; f < MAX_FAM; f++) {
        free(sconf[f]);
    }
    for (int c = 0; c < EVAL_CALL_COUNT; c++) {
        free(tconf[c]);
    }
    for (int k = 0; k < N_SNR; k++) {
        free(rconf[k][0]);
        free(rconf[k][1]);
    }
    return rc;
}

/* The 10 dB row: the per-call-type sets hold white and pink noise together, so that row is
 * their pooled recall, shown in both columns. */
static void fill_10db(struct prof_eval *pe, int m)
{
    double rec = 0.0;
    int nt = 0;
    for (int c = 0; c < EVAL_CALL_COUNT; c++) {
        if (pe->types[c].n) {
            rec += pe->rec_type[m][c];
            nt++;
        }
    }
    for (int k = 0; k < N_SNR; k++) {
        if (snrs[k] == 10.0) {
            pe->rec[m][k][0] = pe->rec[m][k][1] = nt ? rec / nt : 0.0;
        }
    }
}

static void write_profile(FILE *f, const struct eval_opts *o, const struct prof_eval *pe)
{
    double worst_new = 0.0;
    double worst_lofo = 0.0;
    fprintf(f, "## %s\n\n", dsp_profile_name(pe->p));
    fprintf(f,
            "Thresholds (confidence / 255, chosen on validation data): old %d, new %d.\n\n"
            "False node events per hour, %.0f min of each family (old: first recipe; new: "
            "the committed model; left out: a model trained at scale %.2f without that "
            "family):\n\n| family | old | new | left out |\n|---|---:|---:|---:|\n",
            pe->thr[0], pe->thr[1], o->stream_s / 60.0, o->scale * o->lofo_scale);
    for (int i = 0; i < pe->n_fam; i++) {
        fprintf(f, "| %s | %.1f | %.1f | %.1f |\n", pe->fam[i].name, pe->fa[0][i], pe->fa[1][i],
                pe->lofo[i]);
        worst_new = pe->fa[1][i] > worst_new ? pe->fa[1][i] : worst_new;
        worst_lofo = pe->lofo[i] > worst_lofo ? pe->lofo[i] : worst_lofo;
    }
    fprintf(f,
            "\nRecall (share of calls the node reports), every call type pooled:\n\n"
            "| SNR | white old | white new | pink old | pink new |\n|---|---:|---:|---:|---:|\n");
    for (int k = 0; k < N_SNR; k++) {
        fprintf(f, "| %.0f dB%s | %.3f | %.3f | %.3f | %.3f |\n", snrs[k],
                snrs[k] == 10.0 ? " (white and pink pooled)" : "", pe->rec[0][k][0],
                pe->rec[1][k][0], pe->rec[0][k][1], pe->rec[1][k][1]);
    }
    fprintf(f, "\nRecall per call type at 10 dB (white and pink):\n\n| call | old | new |\n"
               "|---|---:|---:|\n");
    double worst_rec = 1.0;
    for (int c = 0; c < EVAL_CALL_COUNT; c++) {
        if (pe->types[c].n) {
            fprintf(f, "| %s | %.3f | %.3f |\n", eval_call_name((enum eval_call)c),
                    pe->rec_type[0][c], pe->rec_type[1][c]);
            worst_rec = pe->rec_type[1][c] < worst_rec ? pe->rec_type[1][c] : worst_rec;
        }
    }
    double rec10 = pe->curve_rec[1][0];
    fprintf(f, "\nTargets (new model):\n\n");
    fprintf(f, "- recall >= 0.95 at 10 dB: %s (%.3f pooled; worst call type %.3f)\n",
            rec10 >= 0.95 ? "met" : "MISSED", rec10, worst_rec);
    fprintf(f, "- <= 1 false node event per hour on every family: %s (worst %.1f/h)\n",
            worst_new <= 1.0 ? "met" : "MISSED", worst_new);
    fprintf(f, "- leave-one-family-out <= 3 per hour: %s (worst %.1f/h)\n\n",
            worst_lofo <= 3.0 ? "met" : "MISSED", worst_lofo);
}

static void panel_of(struct png_panel *pp, const struct prof_eval *pe, unsigned color)
{
    memset(pp, 0, sizeof(*pp));
    pp->n_series = 2;
    double xmax = 1.0;
    for (int m = 0; m < 2; m++) {
        struct png_series *s = &pp->s[m];
        s->color = m ? color : 0x808080;
        s->dashed = m == 0;
        int n = 0;
        for (int k = 1; k < N_SWEEP; k++) {
            s->x[n] = pe->curve_fa[m][k];
            s->y[n++] = pe->curve_rec[m][k];
        }
        s->n = n;
        for (int k = 0; k < n; k++) {
            xmax = s->x[k] > xmax ? s->x[k] : xmax;
        }
    }
    pp->x_lo = 0.0;
    pp->x_hi = xmax * 1.05;
    pp->y_lo = 0.0;
    pp->y_hi = 1.0;
}

static void free_prof(struct prof_eval *pe)
{
    for (int f = 0; f < MAX_FAM; f++) {
        dset_free(&pe->streams[f]);
    }
    for (int k = 0; k < N_SNR; k++) {
        dset_free(&pe->recall[k][0]);
        dset_free(&pe->recall[k][1]);
    }
    for (int c = 0; c < EVAL_CALL_COUNT; c++) {
        dset_free(&pe->types[c]);
    }
}

/* Old and new models and the leave-one-family-out column of one profile. */
static int eval_profile(const struct eval_opts *o, struct prof_eval *pe)
{
    static const enum data_recipe recipes[2] = {DATA_RECIPE_V1, DATA_RECIPE_DEFAULT};
    struct qmodel qm;
    int rc = make_data(o, pe);
    for (int m = 0; m < 2 && rc == 0; m++) {
        if (o->verbose) {
            fprintf(stderr, "tinyfleet-train: eval %s: training the %s model\n",
                    dsp_profile_name(pe->p), m ? "new" : "old");
        }
        rc = train(o, pe->p, recipes[m], NULL, 0, o->scale, &qm);
        if (rc == 0) {
            rc = score_model(pe, m, &qm);
            fill_10db(pe, m);
            quant_free(&qm);
        }
    }
    for (int f = 0; f < pe->n_fam && rc == 0; f++) {
        if (o->verbose) {
            fprintf(stderr, "tinyfleet-train: eval %s: without %s\n", dsp_profile_name(pe->p),
                    pe->fam[f].name);
        }
        rc = train(o, pe->p, DATA_RECIPE_FULL, pe->fam[f].kinds, pe->fam[f].n_kinds,
                   o->scale * o->lofo_scale, &qm);
        if (rc == 0) {
            pe->lofo_thr[f] = qm.detect_min_conf;
            pe->lofo[f] =
                eval_node_events(&qm, qm.detect_min_conf, &pe->streams[f], pe->rate, NULL);
            quant_free(&qm);
        }
    }
    return rc;
}

int eval_run(const struct eval_opts *o)
{
    static struct prof_eval pes[2];
    static const unsigned colors[2] = {0xC0392B, 0x2471A3};
    struct png_panel panels[2];
    char path[4096];
    int rc = 0;
    memset(pes, 0, sizeof(pes));
    for (int i = 0; i < 2 && rc == 0; i++) {
        struct prof_eval *pe = &pes[i];
        pe->p = i ? DSP_PROFILE_WHALE : DSP_PROFILE_ELEPHANT;
        pe->rate = dsp_profile_get(pe->p)->sample_rate_hz;
        pe->n_fam = eval_families(pe->p, &pe->fam);
        rc = eval_profile(o, pe);
        panel_of(&panels[i], pe, colors[i]);
    }
    snprintf(path, sizeof(path), "%s/EVAL.md", o->out);
    FILE *f = rc == 0 ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f,
                "# Field evaluation of the node models\n\nGenerated by `make models` "
                "(`tinyfleet-train --eval --seed %llu --scale %.2f`): do not edit. What each "
                "figure means and how the data differ from training: host/train/README.md, "
                "\"Evaluation\".\n\n![recall vs false events](eval.png)\n\n`eval.png`: one panel "
                "per profile (elephant, whale); x = false node events per hour (mean over the "
                "families), y = recall at 10 dB (mean over call types); grey dashed = old "
                "model (first recipe), coloured = new; one point per detection threshold "
                "(140..255).\n\n",
                o->seed, o->scale);
        write_profile(f, o, &pes[0]);
        write_profile(f, o, &pes[1]);
        rc = fclose(f) == 0 ? 0 : -1;
    } else {
        rc = -1;
    }
    snprintf(path, sizeof(path), "%s/eval.png", o->out);
    if (rc == 0 && png_plot(path, panels, 2) != 0) {
        rc = -1;
    }
    free_prof(&pes[0]);
    free_prof(&pes[1]);
    return rc;
}
