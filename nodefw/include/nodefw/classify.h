/* SPDX-License-Identifier: MIT
 * What a node runs per window: streaming features, the profile's int8 model and its head,
 * folded into one result the aggregator turns into TFP records. The per-node state is a
 * caller-owned struct (a simulated fleet runs hundreds); the inference arena and the window
 * matrix are static scratch shared by all states, so calls must not run concurrently
 * (single thread, never from an ISR).
 */
#ifndef PROJ_NODEFW_CLASSIFY_H
#define PROJ_NODEFW_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "nodefw/features.h"
#include "nodefw/nn.h"
#include "nodefw/profile.h"

enum node_classify_err {
    NODE_CLASSIFY_OK = 0,
    NODE_CLASSIFY_EINVAL = -1, /* NULL pointer, invalid profile or wrong sample count */
    NODE_CLASSIFY_EMODEL = -2, /* the profile's model fails nn_model_check() or the arena */
};

/* Per-node classification state; fields are private to classify.c. */
struct node_classify {
    uint8_t profile;              /* enum dsp_profile */
    const struct nn_model *model; /* the profile's model (static const) */
    uint32_t windows;             /* windows classified since init (wraps) */
    struct dsp_features feat;     /* feature ring and noise floor */
};

/* One window's verdict. */
struct node_classify_result {
    uint8_t class_id;      /* wire class id (enum proto_tfp_class): the classifier's winner, or
                            * 3 (machine_anomaly) for an anomalous turbine window; 0 = none */
    uint8_t confidence;    /* 0..255 (p = v / 255): softmax of the winner; for the turbine the
                            * anomaly score */
    uint8_t detected;      /* 1: report it (class_id != 0 and confidence >= the model's
                            * minimum, or anomalous) */
    uint8_t level_db;      /* loudest frame above the noise floor, dB, saturating (TFP level_db) */
    uint8_t anomaly_score; /* turbine: 0..255 of the model's scale; 0 for classifiers */
    uint8_t anomalous;     /* turbine: score >= model threshold */
    uint8_t peak_band;     /* turbine: band with the largest reconstruction error; others:
                            * band with the most energy in the window (0..FEAT_BANDS-1) */
    uint8_t is_anomaly_model; /* 1 if the profile runs an autoencoder (turbine) */
};

/*
 * node_classify_init() - set up a node's state for a profile.
 * @st: out, state (caller owned, ~1.3 KB). @p: profile.
 * Return: NODE_CLASSIFY_OK, NODE_CLASSIFY_EINVAL (bad argument), NODE_CLASSIFY_EMODEL (the
 *         linked model for @p is invalid or needs more than the static arena).
 * Context: thread, not ISR.
 */
int node_classify_init(struct node_classify *st, enum dsp_profile p);

/*
 * node_classify_step() - feed one step of FEAT_STEP_SAMPLES samples and classify the window
 * of the last FEAT_WINDOW_SAMPLES samples.
 * @st:      in/out, state.
 * @samples: in, exactly FEAT_STEP_SAMPLES samples at the profile's rate (@n must equal it).
 * @res:     out, the window's result (written only when 1 is returned).
 * Return: 1 result written; 0 still filling the first window (the first result comes with the
 *         third step: 3072 samples); NODE_CLASSIFY_EINVAL.
 * Context: single thread (static scratch); not ISR.
 */
int node_classify_step(struct node_classify *st, const int16_t *samples, size_t n,
                       struct node_classify_result *res);

/*
 * node_classify_lead() - feed samples into the feature history without classifying: the
 * part of a window that is not a whole number of steps (FEAT_WINDOW_SAMPLES %
 * FEAT_STEP_SAMPLES), fed first after a restart so that the first window is complete with
 * the second step instead of the third (sensing.h).
 * @st: in/out, state. @samples: in, @n samples. Return: NODE_CLASSIFY_OK or _EINVAL.
 * Context: single thread; not ISR.
 */
int node_classify_lead(struct node_classify *st, const int16_t *samples, size_t n);

/*
 * node_classify_window() - classify a ready-made feature matrix (used by the step above and
 * by tools that compute features themselves).
 * @p: profile (selects the model).
 * @feat: in, FEAT_FRAMES * FEAT_BANDS values, time major (a flat int8_t[FEAT_FRAMES][FEAT_BANDS];
 *        a flat pointer because C refuses const pointers to non-const arrays).
 * @info: in, level/peak band of the window, or NULL (then level_db = 0, peak_band = 0).
 * @res: out.
 * Return: NODE_CLASSIFY_OK, NODE_CLASSIFY_EINVAL, NODE_CLASSIFY_EMODEL.
 * Context: single thread (static scratch).
 */
int node_classify_window(enum dsp_profile p, const int8_t *feat, const struct dsp_window_info *info,
                         struct node_classify_result *res);

/*
 * node_classify_model_info() - model id and version for the TFP health message.
 * @p: profile. @id, @ver: out (0 if @p is invalid); either may be NULL.
 * Return: the model (static const) or NULL for an invalid profile.
 */
const struct nn_model *node_classify_model_info(enum dsp_profile p, uint16_t *id, uint8_t *ver);

#endif /* PROJ_NODEFW_CLASSIFY_H */
