/* SPDX-License-Identifier: MIT
 * One window from samples to verdict: streaming features, the profile's model, its head. The
 * window matrix and the inference arena are static scratch shared by every node state (a
 * simulated fleet runs hundreds of states in one thread); only the feature ring and noise
 * floor are per node.
 */
#include "nodefw/classify.h"

#include <string.h>

#include "model.h"
#include "proto/tfp.h"

/* Window matrix handed to the model; static so a node's stack stays small. */
static int8_t window_feat[FEAT_FRAMES][FEAT_BANDS];

/* A model usable by this build: valid, fed our feature geometry, fits the static arena. */
static int model_usable(const struct nn_model *m, enum dsp_profile p)
{
    return m != NULL && nn_model_check(m) == NN_OK && m->in_len == FEAT_FRAMES &&
           m->in_ch == FEAT_BANDS && m->profile == (uint8_t)p &&
           m->arena_bytes <= nn_model_arena_max && nn_arena_size(m) <= nn_model_arena_max;
}

static int run_model(const struct nn_model *m, const int8_t *feat,
                     const struct dsp_window_info *info, struct node_classify_result *res)
{
    struct nn_result r;
    if (nn_infer(m, feat, nn_model_arena(), nn_model_arena_max, &r) != NN_OK) {
        return NODE_CLASSIFY_EMODEL;
    }
    memset(res, 0, sizeof(*res));
    res->level_db = info != NULL ? info->level_db : 0;
    if (m->kind == NN_KIND_AUTOENCODER) {
        res->is_anomaly_model = 1;
        res->anomaly_score = r.score;
        res->anomalous = r.anomalous;
        res->confidence = r.score;
        res->detected = r.anomalous;
        res->class_id = r.anomalous ? (uint8_t)PROTO_TFP_CLASS_MACHINE_ANOMALY : 0;
        res->peak_band = r.peak_band;
    } else {
        res->class_id = r.class_id;
        res->confidence = r.confidence;
        res->detected = r.detected;
        res->peak_band = info != NULL ? info->peak_band : 0;
    }
    return NODE_CLASSIFY_OK;
}

int node_classify_init(struct node_classify *st, enum dsp_profile p)
{
    const struct nn_model *m = nn_model_for_profile(p);
    if (st == NULL || m == NULL) {
        return NODE_CLASSIFY_EINVAL;
    }
    if (!model_usable(m, p)) {
        return NODE_CLASSIFY_EMODEL;
    }
    memset(st, 0, sizeof(*st));
    st->profile = (uint8_t)p;
    st->model = m;
    if (dsp_features_init(&st->feat, p) != DSP_OK) {
        return NODE_CLASSIFY_EINVAL;
    }
    return NODE_CLASSIFY_OK;
}

int node_classify_step(struct node_classify *st, const int16_t *samples, size_t n,
                       struct node_classify_result *res)
{
    if (st == NULL || st->model == NULL || samples == NULL || res == NULL ||
        n != FEAT_STEP_SAMPLES) {
        return NODE_CLASSIFY_EINVAL;
    }
    if (dsp_features_push(&st->feat, samples, n) < 0) {
        return NODE_CLASSIFY_EINVAL;
    }
    struct dsp_window_info info;
    int rc = dsp_features_window(&st->feat, window_feat, &info);
    if (rc == DSP_EAGAIN) {
        return 0;
    }
    if (rc != DSP_OK) {
        return NODE_CLASSIFY_EINVAL;
    }
    rc = run_model(st->model, &window_feat[0][0], &info, res);
    if (rc != NODE_CLASSIFY_OK) {
        return rc;
    }
    st->windows++;
    return 1;
}

int node_classify_lead(struct node_classify *st, const int16_t *samples, size_t n)
{
    if (st == NULL || st->model == NULL || samples == NULL || n >= FEAT_STEP_SAMPLES) {
        return NODE_CLASSIFY_EINVAL;
    }
    return dsp_features_push(&st->feat, samples, n) < 0 ? NODE_CLASSIFY_EINVAL : NODE_CLASSIFY_OK;
}

int node_classify_window(enum dsp_profile p, const int8_t *feat, const struct dsp_window_info *info,
                         struct node_classify_result *res)
{
    const struct nn_model *m = nn_model_for_profile(p);
    if (m == NULL || feat == NULL || res == NULL) {
        return NODE_CLASSIFY_EINVAL;
    }
    if (!model_usable(m, p)) {
        return NODE_CLASSIFY_EMODEL;
    }
    return run_model(m, feat, info, res);
}

const struct nn_model *node_classify_model_info(enum dsp_profile p, uint16_t *id, uint8_t *ver)
{
    const struct nn_model *m = nn_model_for_profile(p);
    if (id != NULL) {
        *id = m != NULL ? m->id : 0;
    }
    if (ver != NULL) {
        *ver = m != NULL ? m->version : 0;
    }
    return m;
}
