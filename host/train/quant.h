/*
 * quant: int8 quantisation of a trained float network into the engine's format (nodefw/nn.h),
 * the trainer's own integer simulation of that format, and the generated model header.
 *
 * The simulation is written from the arithmetic spelled out in nn.h, independently of
 * nodefw/nn/nn.c; tests/host/test_train.c checks that the two agree bit for bit.
 */
#ifndef PROJ_HOST_TRAIN_QUANT_H
#define PROJ_HOST_TRAIN_QUANT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net.h"

#define QM_MAX_LAYERS (NET_MAX_LAYERS + 1)
/* Largest tensor the simulation handles (elements); the engine's arena bound is similar. */
#define QUANT_MAX_TENSOR 8192
/* Temperature of the classifier head's softmax (nn.h exp_table). A network trained to
 * separate classes drives its logits far apart, and at T = 1 the 0..255 confidence of almost
 * every window would be 255: no threshold between "sure" and "very sure" would be left to
 * trade recall against false alarms. T = 4 spreads them over the scale. */
#define QUANT_HEAD_T 4.0

struct qlayer {
    int op, act;
    int in_len, in_ch, out_len, out_ch, kernel, stride;
    int in_zp, out_zp;
    double in_scale, out_scale; /* real value per integer step */
    int8_t *w;                  /* out_ch x (in_len * in_ch), NULL for pooling */
    int32_t *bias;
    int32_t *mult;
    int8_t *shift;
};

struct qmodel {
    int kind; /* NN_KIND_CLASSIFIER or NN_KIND_AUTOENCODER */
    int profile;
    int n_layers;
    struct qlayer l[QM_MAX_LAYERS];
    int out_count;
    /* classifier head */
    uint16_t exp_table[256];
    uint8_t class_ids[NET_MAX_WIDTH];
    int detect_min_conf;
    /* autoencoder head */
    int ae_threshold, ae_score_shift, ae_ref_layer, ae_bands;
    uint32_t ae_score_mult;
};

/*
 * How the float network's input relates to the feature integers q (input zero point zp):
 * x_float[i] = ((q - zp) * in_scale - mean[i]) / sd. The quantiser folds this into layer 0.
 * For an autoencoder (`ae`), the net's outputs are in the same normalised units, and the
 * model starts with a global average pool over time (the net's inputs are band means).
 */
struct qnorm {
    const float *mean; /* net->dim[0] values */
    float sd;
    double in_scale;
    int in_zp;
    int ae;
};

/*
 * Quantise `net` (already pruned or not). calib: n feature windows (int8, FEAT_FRAMES x
 * FEAT_BANDS) used to calibrate the activation ranges. Returns 0 or -1.
 */
int quant_build(struct qmodel *qm, const struct net *net, const struct qnorm *nrm,
                const int8_t *calib, size_t n, int profile);
void quant_free(struct qmodel *qm);

/* Integer simulation: the last layer's output (out_count int8) and, for an autoencoder, the
 * reference it is compared with. */
void quant_run(const struct qmodel *qm, const int8_t *in, int8_t *out, int8_t *ref);

/* Classifier: the integer softmax confidence (0..255) of output `index`, as the engine's head
 * computes it for the winner; and the winning index. */
int quant_classify(const struct qmodel *qm, const int8_t *in, int *conf_of_1);

/* Autoencoder: sum of squared differences and the 0..255 score. */
uint64_t quant_ae_sse(const struct qmodel *qm, const int8_t *in);
int quant_ae_score(const struct qmodel *qm, uint64_t sse);

/* Fill the classifier exp table for a temperature and set the autoencoder's score scale so
 * that sse_threshold maps to score 64 (the threshold) and 4x that saturates. */
void quant_set_ae_threshold(struct qmodel *qm, uint64_t sse_threshold);

size_t quant_weight_bytes(const struct qmodel *qm);
size_t quant_macs(const struct qmodel *qm);
size_t quant_arena_bytes(const struct qmodel *qm);

/* Write the model as a C header (the nn.h format); `name` e.g. "elephant". */
int quant_write_header(const struct qmodel *qm, FILE *f, const char *name, const char *model_name,
                       int id, int version);

/* The engine's requantisation (nn.h), re-implemented. */
int32_t quant_requant(int32_t x, int32_t mult, int shift);

#endif /* PROJ_HOST_TRAIN_QUANT_H */
