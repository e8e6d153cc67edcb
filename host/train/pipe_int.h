/*
 * pipe_int: what the files of the pipeline share (pipeline.c runs the stages; pipe_data.c
 * builds the data splits; pipe_eval.c scores models on them; pipe_report.c writes the
 * REPORT.md section). Not a public interface: only pipeline.h is.
 */
#ifndef PROJ_HOST_TRAIN_PIPE_INT_H
#define PROJ_HOST_TRAIN_PIPE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "data.h"
#include "net.h"
#include "pipeline.h"
#include "quant.h"

/* The SNRs (dB over the background) at which detection is measured. */
#define PIPE_N_SNR 3
extern const double pipe__snrs[PIPE_N_SNR];

/* One profile's architecture and targets. */
struct pipe_cfg {
    int teacher_layers;
    int teacher_dim[NET_MAX_LAYERS + 1];
    int student_layers;
    int student_dim[NET_MAX_LAYERS + 1];
    int conv_k;       /* classifiers: layer 0 is a conv1d over time (0: dense) */
    int conv_stride;  /* its stride, frames */
    int conv_flat;    /* 1: no pool, the next layer sees every position */
    double sparsity;  /* the pruned model's target */
    int target_class; /* wire class id of output 1 */
    const char *target_name;
    const char *arch; /* for the report */
};

/* The data splits of one run. Training fits the weights; validation calibrates and chooses
 * thresholds; test data are only ever scored. */
struct pipe_sets {
    struct dset train;
    struct dset val;
    struct dset test;
    struct dset val_stream;
    struct dset val_events;
    struct dset pos[PIPE_N_SNR];    /* classifiers: targets at each SNR */
    struct dset stream[PIPE_N_SNR]; /* classifiers: distractor streams at each SNR */
    struct dset events[PIPE_N_SNR]; /* classifiers: one target event per segment */
    struct dset test_faults;        /* turbine */
    int user;                       /* from --data */
};

/* A model under evaluation: a float net, or the int8 model. */
struct pipe_scorer {
    const struct net *net;
    const struct qmodel *qm;
    const struct qnorm *nrm;
};

/* One model's row of the report. */
struct pipe_eval {
    const char *name;
    size_t params;
    size_t nonzero;
    size_t bytes;
    size_t macs;
    size_t macs_nz;
    double threshold;
    /* classifiers */
    double acc;
    double prec[2];
    double rec[2];
    double det_recall[PIPE_N_SNR]; /* per window: recall */
    double det_fa[PIPE_N_SNR];     /* per window: false-alarm runs per hour */
    double ev_recall[PIPE_N_SNR];  /* as the node reports: share of events found */
    double ev_fa[PIPE_N_SNR];      /* as the node reports: events per hour */
    double test_recall;            /* user data: recall on test targets at the threshold */
    double test_fa;                /* user data: false alarms per hour on negative test windows */
    /* turbine */
    double auc;
    double tpr;
    double fpr;
    double tpr_kind[4]; /* per fault kind, from SYNTH_FAULT_OUTER on */
};

/* pipe_data.c */
int pipe__make_sets(const struct pipe_opts *o, struct pipe_sets *s);
void pipe__free_sets(struct pipe_sets *s);
/* Feature integers to the float net's normalised inputs (band means for an autoencoder). */
void pipe__to_float(const struct qnorm *nrm, const int8_t *q, int dim, float *x);
/* The normalisation from the training windows; *mean_out is allocated (caller frees). */
int pipe__normalise(struct qnorm *nrm, float **mean_out, const struct dset *tr, int ae, int conv);
/* Every window of ds normalised: ds->n x dim floats (caller frees), or NULL. */
float *pipe__features_of(const struct qnorm *nrm, const struct dset *ds, int dim);

/* pipe_eval.c */
void pipe__eval_classifier(const struct pipe_scorer *s, const struct pipe_sets *st, unsigned rate,
                           struct pipe_eval *e);
void pipe__eval_ae(const struct pipe_scorer *s, const struct pipe_sets *st, struct pipe_eval *e);
/* Sizes of a float net: parameters, nonzero, bytes, MACs. */
void pipe__size_float(const struct net *net, struct pipe_eval *e);
/* Nonzero int8 weights plus biases. */
size_t pipe__qm_nonzero(const struct qmodel *qm);

/* pipe_report.c: the profile's REPORT.md section; ev holds teacher, student, pruned, int8. */
void pipe__report(FILE *f, const struct pipe_opts *o, const struct pipe_cfg *c,
                  const struct pipe_sets *st, const struct pipe_eval *ev,
                  const struct pipe_result *res);

#endif /* PROJ_HOST_TRAIN_PIPE_INT_H */
