/*
 * pipeline: teacher -> distilled student -> pruned -> int8, per profile, with the evaluation
 * REPORT.md shows (host only, C11). One call runs one profile from a seed (or from a user's
 * WAV folders) and leaves the int8 model, the report section and the sparsity sweep behind.
 */
#ifndef PROJ_HOST_TRAIN_PIPELINE_H
#define PROJ_HOST_TRAIN_PIPELINE_H

#include <stdio.h>

#include "nodefw/profile.h"
#include "quant.h"

#define PIPE_SWEEP 7

struct pipe_opts {
    enum dsp_profile profile;
    unsigned long long seed;
    const char *data_dir; /* NULL: synthesise; else dir/<class>/ *.wav */
    double scale;         /* dataset and epoch scale: 1.0 for `make models`, less for tests */
    int verbose;
};

struct pipe_result {
    struct qmodel qm; /* the int8 model (owned; quant_free) */
    double sweep_sparsity[PIPE_SWEEP];
    double sweep_nonzero[PIPE_SWEEP];  /* nonzero int8 weights */
    double sweep_metric[PIPE_SWEEP];   /* float accuracy (classifiers) or AUC (turbine) */
    double sweep_metric_q[PIPE_SWEEP]; /* the same, int8 */
    int sweep_n;
    double teacher_loss_first; /* the teacher's mean training loss in its first epoch */
    double teacher_loss_last;  /* ... and in its last */
};

/* Run the pipeline; the report section (markdown) goes to `report`. 0 or -1. */
int pipe_run(const struct pipe_opts *o, struct pipe_result *res, FILE *report);

#endif /* PROJ_HOST_TRAIN_PIPELINE_H */
