/*
 * evaluate: `tinyfleet-train --eval`, the field evaluation of the elephant and whale models
 * (host only, C11): trains the old recipe's model, the new one and one model without each
 * distractor family, scores them on evalset's streams and recall sets, and writes EVAL.md and
 * eval.png (recall against false events per hour, old beside new) into `out`.
 */
#ifndef PROJ_HOST_TRAIN_EVALUATE_H
#define PROJ_HOST_TRAIN_EVALUATE_H

#include <stddef.h>

struct eval_opts {
    unsigned long long seed; /* the training seed (the evaluation data derive other seeds) */
    double scale;            /* training scale of the old and new models (1 = make models) */
    double lofo_scale;       /* extra scale of each leave-one-family-out model */
    double stream_s;         /* seconds of stream per family (>= 1800 in make models) */
    size_t recall_events;    /* calls per SNR, noise and profile, over its call types */
    const char *out;
    int verbose;
};

/* 0, or -1 after a message. */
int eval_run(const struct eval_opts *o);

#endif /* PROJ_HOST_TRAIN_EVALUATE_H */
