/*
 * net: dense networks, backpropagation and Adam (see net.h).
 */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth.h"

static size_t wcount(const struct net *net, int l)
{
    if (l == 0 && net->conv_len) {
        return (size_t)net->conv_k * (size_t)net->conv_ch * (size_t)net_conv_channels(net);
    }
    return (size_t)net->dim[l] * (size_t)net->dim[l + 1];
}

/* Inputs of one output unit: a kernel window for the convolution, else the whole input. */
static int fan_in(const struct net *net, int l)
{
    return l == 0 && net->conv_len ? net->conv_k * net->conv_ch : net->dim[l];
}

int net_conv_out_len(const struct net *net)
{
    return net->conv_len ? (net->conv_len - net->conv_k) / net->conv_stride + 1 : 0;
}

int net_conv_channels(const struct net *net)
{
    int tl = net_conv_out_len(net);
    return net->conv_flat && tl > 0 ? net->dim[1] / tl : net->dim[1];
}

/* Standard normal from the synth generator (Box-Muller, one value per call). */
static double normal(uint64_t *rng)
{
    double u1 = synth_uniform(rng);
    double u2 = synth_uniform(rng);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

int net_init(struct net *net, int layers, const int *dim, uint64_t seed)
{
    return net_init_conv(net, layers, dim, 0, 0, 0, 0, 0, seed);
}

int net_init_conv(struct net *net, int layers, const int *dim, int len, int ch, int k, int stride,
                  int flat, uint64_t seed)
{
    memset(net, 0, sizeof(*net));
    if (layers < 1 || layers > NET_MAX_LAYERS) {
        return -1;
    }
    if (len) {
        if (layers < 2 || k < 1 || stride < 1 || k > len || len * ch != dim[0]) {
            return -1;
        }
        net->conv_len = len;
        net->conv_ch = ch;
        net->conv_k = k;
        net->conv_stride = stride;
        net->conv_flat = flat;
    }
    net->layers = layers;
    for (int l = 0; l <= layers; l++) {
        if (dim[l] < 1 || dim[l] > NET_MAX_WIDTH) {
            return -1;
        }
        net->dim[l] = dim[l];
    }
    uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 77;
    for (int l = 0; l < layers; l++) {
        size_t nw = wcount(net, l);
        net->w[l] = calloc(nw, sizeof(float));
        net->b[l] = calloc((size_t)dim[l + 1], sizeof(float));
        net->mask[l] = malloc(nw);
        if (!net->w[l] || !net->b[l] || !net->mask[l]) {
            net_free(net);
            return -1;
        }
        memset(net->mask[l], 1, nw);
        /* He initialisation: keeps ReLU activations at a steady scale through the stack. */
        double sd = sqrt(2.0 / (double)fan_in(net, l));
        for (size_t i = 0; i < nw; i++) {
            net->w[l][i] = (float)(sd * normal(&rng));
        }
    }
    return 0;
}

void net_free(struct net *net)
{
    for (int l = 0; l < NET_MAX_LAYERS; l++) {
        free(net->w[l]);
        free(net->b[l]);
        free(net->mask[l]);
    }
    memset(net, 0, sizeof(*net));
}

int net_copy(struct net *dst, const struct net *src)
{
    if (net_init_conv(dst, src->layers, src->dim, src->conv_len, src->conv_ch, src->conv_k,
                      src->conv_stride, src->conv_flat, 0) != 0) {
        return -1;
    }
    for (int l = 0; l < src->layers; l++) {
        size_t nw = wcount(src, l);
        memcpy(dst->w[l], src->w[l], nw * sizeof(float));
        memcpy(dst->b[l], src->b[l], (size_t)src->dim[l + 1] * sizeof(float));
        memcpy(dst->mask[l], src->mask[l], nw);
    }
    return 0;
}

/* Convolution + ReLU, then the mean over time or (conv_flat) every position. */
static void conv_fwd(const struct net *net, const float *x, float *y)
{
    int nk = net->conv_k * net->conv_ch;
    int tl = net_conv_out_len(net);
    int nc = net_conv_channels(net);
    for (int o = 0; o < nc; o++) {
        const float *w = net->w[0] + (size_t)o * (size_t)nk;
        float sum = 0.0f;
        for (int t = 0; t < tl; t++) {
            const float *xt = x + (size_t)t * (size_t)net->conv_stride * (size_t)net->conv_ch;
            float acc = net->b[0][o];
            for (int i = 0; i < nk; i++) {
                acc += w[i] * xt[i];
            }
            acc = acc > 0.0f ? acc : 0.0f;
            if (net->conv_flat) {
                y[t * nc + o] = acc;
            }
            sum += acc;
        }
        if (!net->conv_flat) {
            y[o] = sum / (float)tl;
        }
    }
}

/* Gradients of the convolution from the gradient of its output. */
static void conv_bwd(const struct net *net, const float *x, const float *dy, float *gw, float *gb)
{
    int nk = net->conv_k * net->conv_ch;
    int tl = net_conv_out_len(net);
    int nc = net_conv_channels(net);
    for (int o = 0; o < nc; o++) {
        const float *w = net->w[0] + (size_t)o * (size_t)nk;
        float *g = gw + (size_t)o * (size_t)nk;
        for (int t = 0; t < tl; t++) {
            float d = net->conv_flat ? dy[t * nc + o] : dy[o] / (float)tl;
            if (d == 0.0f) {
                continue;
            }
            const float *xt = x + (size_t)t * (size_t)net->conv_stride * (size_t)net->conv_ch;
            float acc = net->b[0][o];
            for (int i = 0; i < nk; i++) {
                acc += w[i] * xt[i];
            }
            if (acc <= 0.0f) {
                continue; /* ReLU */
            }
            gb[o] += d;
            for (int i = 0; i < nk; i++) {
                g[i] += d * xt[i];
            }
        }
    }
}

/* One layer: y = W x + b, ReLU unless last. */
static void layer_fwd(const struct net *net, int l, const float *x, float *y)
{
    if (l == 0 && net->conv_len) {
        conv_fwd(net, x, y);
        return;
    }
    int in = net->dim[l];
    int out = net->dim[l + 1];
    for (int o = 0; o < out; o++) {
        const float *w = net->w[l] + (size_t)o * (size_t)in;
        float acc = net->b[l][o];
        for (int i = 0; i < in; i++) {
            acc += w[i] * x[i];
        }
        if (l < net->layers - 1 && acc < 0.0f) {
            acc = 0.0f;
        }
        y[o] = acc;
    }
}

void net_forward(const struct net *net, const float *x, float *out)
{
    float a[2][NET_MAX_WIDTH];
    const float *cur = x;
    for (int l = 0; l < net->layers; l++) {
        float *y = l == net->layers - 1 ? out : a[l & 1];
        layer_fwd(net, l, cur, y);
        cur = y;
    }
}

static void softmax(const float *z, int n, float temp, float *p)
{
    float mx = z[0];
    for (int i = 1; i < n; i++) {
        mx = z[i] > mx ? z[i] : mx;
    }
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        p[i] = expf((z[i] - mx) / temp);
        sum += (double)p[i];
    }
    for (int i = 0; i < n; i++) {
        p[i] = (float)((double)p[i] / sum);
    }
}

struct adam {
    float *m[NET_MAX_LAYERS][2];
    float *v[NET_MAX_LAYERS][2];
    float *g[NET_MAX_LAYERS][2];
};

static int adam_alloc(struct adam *ad, const struct net *net)
{
    memset(ad, 0, sizeof(*ad));
    for (int l = 0; l < net->layers; l++) {
        size_t n[2] = {wcount(net, l), (size_t)net->dim[l + 1]};
        for (int k = 0; k < 2; k++) {
            ad->m[l][k] = calloc(n[k], sizeof(float));
            ad->v[l][k] = calloc(n[k], sizeof(float));
            ad->g[l][k] = calloc(n[k], sizeof(float));
            if (!ad->m[l][k] || !ad->v[l][k] || !ad->g[l][k]) {
                return -1;
            }
        }
    }
    return 0;
}

static void adam_free(struct adam *ad)
{
    for (int l = 0; l < NET_MAX_LAYERS; l++) {
        for (int k = 0; k < 2; k++) {
            free(ad->m[l][k]);
            free(ad->v[l][k]);
            free(ad->g[l][k]);
        }
    }
}

/* Loss and output gradient of one example; returns the loss. */
static double out_grad(const struct net_task *t, size_t ex, const float *z, int nout, float *dz)
{
    double loss = 0.0;
    if (t->loss == NET_LOSS_MSE) {
        const float *tg = t->target + ex * (size_t)nout;
        for (int o = 0; o < nout; o++) {
            float d = z[o] - tg[o];
            loss += (double)(d * d);
            dz[o] = 2.0f * d / (float)nout;
        }
        return loss / nout;
    }
    float p[NET_MAX_WIDTH];
    softmax(z, nout, 1.0f, p);
    int y = t->label[ex];
    float hard = t->teacher_logits ? 1.0f - t->alpha : 1.0f;
    for (int o = 0; o < nout; o++) {
        dz[o] = hard * (p[o] - (o == y ? 1.0f : 0.0f));
    }
    loss = -hard * log((double)p[y] + 1e-12);
    if (t->teacher_logits) {
        /* Soft targets at temperature T; the T^2 factor keeps the soft gradient's scale
         * independent of T (Hinton et al.). */
        float ps[NET_MAX_WIDTH];
        float pt[NET_MAX_WIDTH];
        float temp = t->temperature;
        softmax(z, nout, temp, ps);
        softmax(t->teacher_logits + ex * (size_t)nout, nout, temp, pt);
        for (int o = 0; o < nout; o++) {
            dz[o] += t->alpha * temp * (ps[o] - pt[o]);
            loss -= (double)(t->alpha * temp * temp * pt[o]) * log((double)ps[o] + 1e-12);
        }
    }
    return loss;
}

/* Activations and their gradients of one example, per layer boundary. */
struct pass {
    float act[NET_MAX_LAYERS + 1][NET_MAX_WIDTH];
    float delta[NET_MAX_LAYERS + 1][NET_MAX_WIDTH];
};

/* Backpropagate pass->delta[layers] through the net, adding the weight and bias gradients
 * to ad->g. */
static void backward(const struct net *net, struct pass *ps, struct adam *ad)
{
    for (int l = net->layers - 1; l >= 0; l--) {
        if (l == 0 && net->conv_len) {
            conv_bwd(net, ps->act[0], ps->delta[1], ad->g[0][0], ad->g[0][1]);
            break;
        }
        int in = net->dim[l];
        int out = net->dim[l + 1];
        float *gw = ad->g[l][0];
        float *gb = ad->g[l][1];
        if (!gw || !gb) {
            break; /* unreachable: adam_alloc checked every buffer */
        }
        if (l > 0) {
            memset(ps->delta[l], 0, (size_t)in * sizeof(float));
        }
        for (int o = 0; o < out; o++) {
            float d = ps->delta[l + 1][o];
            if (d == 0.0f) {
                continue;
            }
            gb[o] += d;
            float *g = gw + (size_t)o * (size_t)in;
            const float *w = net->w[l] + (size_t)o * (size_t)in;
            for (int i = 0; i < in; i++) {
                g[i] += d * ps->act[l][i];
            }
            if (l > 0) {
                for (int i = 0; i < in; i++) {
                    ps->delta[l][i] += d * w[i];
                }
            }
        }
        if (l > 0) {
            for (int i = 0; i < in; i++) {
                if (ps->act[l][i] <= 0.0f) {
                    ps->delta[l][i] = 0.0f; /* ReLU */
                }
            }
        }
    }
}

/* Example ex: forward, loss, and its gradient added to ad->g; returns the loss. */
static double example_grad(const struct net *net, const struct net_task *t, size_t ex,
                           struct pass *ps, struct adam *ad)
{
    int nl = net->layers;
    memcpy(ps->act[0], t->x + ex * (size_t)net->dim[0], (size_t)net->dim[0] * 4);
    for (int l = 0; l < nl; l++) {
        layer_fwd(net, l, ps->act[l], ps->act[l + 1]);
    }
    double loss = out_grad(t, ex, ps->act[nl], net->dim[nl], ps->delta[nl]);
    backward(net, ps, ad);
    return loss;
}

/* One Adam step (step counts from 1) with the batch's summed gradient times `scale`, the
 * decoupled weight decay, and pruned weights held at zero. */
static void adam_step(struct net *net, struct adam *ad, const struct net_task *t, float scale,
                      long step)
{
    const float b1 = 0.9f;
    const float b2 = 0.999f;
    float c1 = 1.0f - powf(b1, (float)step);
    float c2 = 1.0f - powf(b2, (float)step);
    for (int l = 0; l < net->layers; l++) {
        size_t n[2] = {wcount(net, l), (size_t)net->dim[l + 1]};
        float *p[2] = {net->w[l], net->b[l]};
        for (int k = 0; k < 2; k++) {
            for (size_t i = 0; i < n[k]; i++) {
                float g = ad->g[l][k][i] * scale;
                ad->m[l][k][i] = b1 * ad->m[l][k][i] + (1.0f - b1) * g;
                ad->v[l][k][i] = b2 * ad->v[l][k][i] + (1.0f - b2) * g * g;
                float upd = t->lr * (ad->m[l][k][i] / c1) / (sqrtf(ad->v[l][k][i] / c2) + 1e-7f);
                if (k == 0) {
                    upd += t->lr * t->weight_decay * p[k][i];
                    if (!net->mask[l][i]) {
                        p[k][i] = 0.0f;
                        continue;
                    }
                }
                p[k][i] -= upd;
            }
        }
    }
}

/* Fisher-Yates shuffle, from the seeded generator. */
static void shuffle(size_t *order, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(synth_uniform(rng) * (double)i);
        size_t tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
}

double net_train(struct net *net, const struct net_task *t, uint64_t seed, double *loss_per_epoch)
{
    struct adam ad;
    if (t->n == 0 || t->batch < 1) {
        return -1.0;
    }
    size_t *order = malloc(t->n * sizeof(size_t));
    if (!order || adam_alloc(&ad, net) != 0) {
        if (order) {
            adam_free(&ad); /* adam_alloc zeroes first: frees what it got */
        }
        free(order);
        return -1.0;
    }
    for (size_t i = 0; i < t->n; i++) {
        order[i] = i;
    }
    uint64_t rng = seed * 0xD1B54A32D192ED03ULL + 1;
    long step = 0;
    double last = 0.0;
    struct pass ps;

    for (int ep = 0; ep < t->epochs; ep++) {
        shuffle(order, t->n, &rng);
        double sum = 0.0;
        for (size_t s0 = 0; s0 < t->n; s0 += (size_t)t->batch) {
            size_t s1 = s0 + (size_t)t->batch < t->n ? s0 + (size_t)t->batch : t->n;
            for (int l = 0; l < net->layers; l++) {
                memset(ad.g[l][0], 0, wcount(net, l) * sizeof(float));
                memset(ad.g[l][1], 0, (size_t)net->dim[l + 1] * sizeof(float));
            }
            for (size_t s = s0; s < s1; s++) {
                sum += example_grad(net, t, order[s], &ps, &ad);
            }
            step++;
            adam_step(net, &ad, t, 1.0f / (float)(s1 - s0), step);
        }
        last = sum / (double)t->n;
        if (loss_per_epoch) {
            loss_per_epoch[ep] = last;
        }
    }
    adam_free(&ad);
    free(order);
    return last;
}

size_t net_params(const struct net *net, int alive_only)
{
    size_t n = 0;
    for (int l = 0; l < net->layers; l++) {
        size_t nw = wcount(net, l);
        for (size_t i = 0; i < nw; i++) {
            n += alive_only ? net->mask[l][i] : 1u;
        }
        n += l == 0 && net->conv_len ? (size_t)net_conv_channels(net) : (size_t)net->dim[l + 1];
    }
    return n;
}

size_t net_macs(const struct net *net)
{
    size_t n = 0;
    for (int l = 0; l < net->layers; l++) {
        size_t nw = wcount(net, l);
        size_t alive = 0;
        for (size_t i = 0; i < nw; i++) {
            alive += net->mask[l][i];
        }
        n += l == 0 && net->conv_len ? alive * (size_t)net_conv_out_len(net) : alive;
    }
    return n;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a;
    float y = *(const float *)b;
    return (x > y) - (x < y);
}

int net_prune(struct net *net, double sparsity)
{
    for (int l = 0; l < net->layers; l++) {
        double sp = l == net->layers - 1 ? sparsity * 0.5 : sparsity;
        size_t nw = wcount(net, l);
        float *mag = malloc(nw * sizeof(float));
        if (!mag) {
            return -1;
        }
        for (size_t i = 0; i < nw; i++) {
            mag[i] = fabsf(net->w[l][i]);
        }
        qsort(mag, nw, sizeof(float), cmp_float);
        size_t k = (size_t)(sp * (double)nw);
        float thr = k > 0 ? mag[k - 1] : -1.0f;
        free(mag);
        size_t cut = 0;
        for (size_t i = 0; i < nw; i++) {
            /* Ties at the threshold: cut only until k weights are gone, so the sparsity is
             * exact whatever the data. */
            if (fabsf(net->w[l][i]) <= thr && cut < k) {
                net->mask[l][i] = 0;
                net->w[l][i] = 0.0f;
                cut++;
            }
        }
    }
    return 0;
}
