/*
 * net: the float networks tinyfleet-train trains (host only, C11).
 *
 * A network is a stack of dense layers with ReLU between them (none after the last). That is
 * all the three profiles need once the features are a fixed 16 x 32 window, and it maps
 * one-to-one onto the int8 engine's dense layers. Training is plain mini-batch Adam with
 * either softmax cross-entropy (classifiers, optionally against a teacher's soft targets at
 * a temperature: Hinton et al. 2015, "Distilling the knowledge in a neural network") or mean
 * squared error (the turbine autoencoder). A per-weight mask keeps pruned weights at zero
 * during fine-tuning.
 *
 * Deterministic: the only randomness is the caller's seed (initialisation and shuffling).
 */
#ifndef PROJ_HOST_TRAIN_NET_H
#define PROJ_HOST_TRAIN_NET_H

#include <stddef.h>
#include <stdint.h>

#define NET_MAX_LAYERS 4
#define NET_MAX_WIDTH  512

struct net {
    int layers;                          /* layers (dense, or layer 0 conv1d + pool, see below) */
    int dim[NET_MAX_LAYERS + 1];         /* dim[0] inputs, dim[l + 1] outputs of layer l */
    float *w[NET_MAX_LAYERS];            /* w[l][o * dim[l] + i] */
    float *b[NET_MAX_LAYERS];            /* b[l][o] */
    unsigned char *mask[NET_MAX_LAYERS]; /* 1 = weight alive; NULL = all alive */
    /* conv_len > 0: layer 0 is a 1-D convolution over time of the input read as
     * [conv_len][conv_ch] (kernel conv_k, stride conv_stride, valid padding) with ReLU,
     * followed by a global average pool over time, so dim[1] = channels. A detector that
     * looks for a pattern anywhere in the window, with weights shared across time: fewer
     * parameters than a dense layer and no need to see every position in training. */
    int conv_len, conv_ch, conv_k, conv_stride;
    /* conv_flat: no pool; the convolution's output [T][C] (time major) feeds the next layer
     * whole, dim[1] = T * C, so it can see how the pattern changes across the window. */
    int conv_flat;
};

enum net_loss {
    NET_LOSS_XENT = 0, /* softmax cross-entropy on the last layer's logits */
    NET_LOSS_MSE       /* mean squared error against targets */
};

/* What train() learns from. For classifiers `label` is set; for distillation also
 * `teacher_logits` (n x classes) with `temperature` and `alpha` (weight of the soft loss);
 * for MSE, `target` (n x outputs; may equal the input for an autoencoder). */
struct net_task {
    const float *x; /* n x dim[0] inputs */
    size_t n;
    enum net_loss loss;
    const int *label;            /* XENT: class per example */
    const float *teacher_logits; /* XENT distillation: NULL for hard labels only */
    float temperature;
    float alpha;
    const float *target; /* MSE */
    int epochs;
    int batch;
    float lr;
    float weight_decay; /* L2 on weights, per step (decoupled, as AdamW) */
};

int net_init(struct net *net, int layers, const int *dim, uint64_t seed);
/* As net_init, with layer 0 a conv1d + ReLU + global average pool (see struct net). */
int net_init_conv(struct net *net, int layers, const int *dim, int len, int ch, int k, int stride,
                  int flat, uint64_t seed);
/* Time steps of the convolution's output (0 without one), and its channels. */
int net_conv_out_len(const struct net *net);
int net_conv_channels(const struct net *net);
void net_free(struct net *net);
/* Copy src into an initialised-or-zeroed dst of the same shape (allocates if needed). */
int net_copy(struct net *dst, const struct net *src);

/* Forward one input; out gets dim[layers] values. */
void net_forward(const struct net *net, const float *x, float *out);

/* Train; returns the mean loss of the last epoch. If loss_per_epoch is non-NULL it gets
 * task->epochs values. */
double net_train(struct net *net, const struct net_task *task, uint64_t seed,
                 double *loss_per_epoch);

/* Number of weights (alive ones if alive_only) plus biases. */
size_t net_params(const struct net *net, int alive_only);
/* Multiply-accumulates per forward pass (alive weights only, convolution x its length). */
size_t net_macs(const struct net *net);

/* Magnitude pruning: per layer, mask the smallest |w| so that `sparsity` (0..1) of the
 * weights are zero (the last layer is pruned at half the rate: it is small and every
 * output depends on it). Sets the pruned weights to 0. */
int net_prune(struct net *net, double sparsity);

#endif /* PROJ_HOST_TRAIN_NET_H */
