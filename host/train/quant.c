/*
 * quant: post-training int8 quantisation, integer simulation and header output (quant.h).
 *
 * Scheme (TFLite's, which nn.h implements): weights symmetric per output channel,
 * w_scale[o] = max|w[o][:]| / 127; activations asymmetric per tensor with ranges calibrated
 * on held-out windows (ReLU outputs [0, max] with zero point -128; the logits [min, max]);
 * int32 biases at in_scale * w_scale[o]; the rescale in_scale * w_scale[o] / out_scale as a
 * Q31 multiplier and a power-of-two shift (TFLite QuantizeMultiplier). The feature
 * normalisation the float network was trained with is folded into the first dense layer,
 * and for the autoencoder the de-normalisation into the last, so the int8 model reads the
 * firmware's feature integers directly and reconstructs them in the same units.
 */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nodefw/nn.h"
#include "nodefw/profile.h"

/* Folded float layer: real inputs to real outputs. */
struct flayer {
    int in, out; /* in: inputs of one output (the kernel window for a convolution) */
    int conv_len, conv_ch, conv_stride, conv_out_len; /* convolution + ReLU + mean, or 0 */
    int conv_flat;                                    /* no mean: [T][C] out, time major */
    double *w;                                        /* out x in */
    double *b;
};

static void quantize_multiplier(double m, int32_t *mult, int8_t *shift)
{
    if (m <= 0.0) {
        *mult = 0;
        *shift = 0;
        return;
    }
    int e = 0;
    double q = frexp(m, &e); /* m = q * 2^e, q in [0.5, 1) */
    long long qi = llround(q * 2147483648.0);
    if (qi == 2147483648LL) {
        qi /= 2;
        e++;
    }
    if (e < -31) { /* too small to matter: the output is the zero point */
        qi = 0;
        e = 0;
    }
    if (e > 30) {
        e = 30;
    }
    *mult = (int32_t)qi;
    *shift = (int8_t)e;
}

int32_t quant_requant(int32_t x, int32_t mult, int shift)
{
    shift = shift < -31 ? -31 : shift > 30 ? 30 : shift;
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    int64_t a64 = (int64_t)x * ((int64_t)1 << left);
    int32_t a = a64 > INT32_MAX ? INT32_MAX : a64 < INT32_MIN ? INT32_MIN : (int32_t)a64;
    int32_t h;
    if (a == INT32_MIN && mult == INT32_MIN) {
        h = INT32_MAX;
    } else {
        int64_t p = (int64_t)a * (int64_t)mult;
        int64_t nudge = p >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
        h = (int32_t)((p + nudge) / ((int64_t)1 << 31));
    }
    int32_t mask = (int32_t)(((int64_t)1 << right) - 1);
    int32_t rem = h & mask;
    int32_t thr = (mask >> 1) + (h < 0 ? 1 : 0);
    return (h >> right) + (rem > thr ? 1 : 0);
}

static void free_flayers(struct flayer *fl, int n)
{
    for (int i = 0; i < n; i++) {
        free(fl[i].w);
        free(fl[i].b);
    }
}

/* Real-valued forward of the folded layers (ReLU on all but the last). conv_max gets the
 * largest ReLU output of the convolution at any position (its int8 range). */
static void fl_forward(const struct flayer *fl, int n, const double *x, double act[][NET_MAX_WIDTH],
                       double *conv_max)
{
    const double *cur = x;
    for (int l = 0; l < n; l++) {
        const struct flayer *f = &fl[l];
        int tl = f->conv_len ? f->conv_out_len : 1;
        for (int o = 0; o < f->out; o++) {
            const double *w = f->w + (size_t)o * (size_t)f->in;
            double sum = 0.0;
            for (int t = 0; t < tl; t++) {
                const double *xt = cur + (size_t)t * (size_t)f->conv_stride * (size_t)f->conv_ch;
                double acc = f->b[o];
                for (int i = 0; i < f->in; i++) {
                    acc += w[i] * xt[i];
                }
                if ((l < n - 1 || f->conv_len) && acc < 0.0) {
                    acc = 0.0;
                }
                if (f->conv_len && conv_max && acc > *conv_max) {
                    *conv_max = acc;
                }
                if (f->conv_flat) {
                    act[l][t * f->out + o] = acc;
                }
                sum += acc;
            }
            if (!f->conv_flat) {
                act[l][o] = sum / tl;
            }
        }
        cur = act[l];
    }
}

/* The real input the dense stack sees: the feature window, or its mean over time (AE). */
static void real_input(const struct qnorm *nrm, const int8_t *q, double *x)
{
    if (!nrm->ae) {
        for (int i = 0; i < FEAT_FRAMES * FEAT_BANDS; i++) {
            x[i] = (double)(q[i] - nrm->in_zp) * nrm->in_scale;
        }
        return;
    }
    for (int b = 0; b < FEAT_BANDS; b++) {
        double s = 0.0;
        for (int t = 0; t < FEAT_FRAMES; t++) {
            s += (double)(q[t * FEAT_BANDS + b] - nrm->in_zp);
        }
        x[b] = s / FEAT_FRAMES * nrm->in_scale;
    }
}

/* The float net as double layers, with the normalisation folded in: x = (real - mean) / sd
 * into layer 0, and for an autoencoder real = sd * x + mean into the last. */
static int fold_layers(struct flayer *fl, const struct net *net, const struct qnorm *nrm)
{
    int nl = net->layers;
    for (int l = 0; l < nl; l++) {
        fl[l].in = net->dim[l];
        fl[l].out = net->dim[l + 1];
        if (l == 0 && net->conv_len) {
            fl[l].in = net->conv_k * net->conv_ch;
            fl[l].conv_len = net->conv_len;
            fl[l].conv_ch = net->conv_ch;
            fl[l].conv_stride = net->conv_stride;
            fl[l].conv_out_len = net_conv_out_len(net);
            fl[l].conv_flat = net->conv_flat;
            fl[l].out = net_conv_channels(net);
        }
        fl[l].w = calloc((size_t)fl[l].in * (size_t)fl[l].out, sizeof(double));
        fl[l].b = calloc((size_t)fl[l].out, sizeof(double));
        if (!fl[l].w || !fl[l].b) {
            return -1;
        }
        for (size_t i = 0; i < (size_t)fl[l].in * (size_t)fl[l].out; i++) {
            fl[l].w[i] = (double)net->w[l][i];
        }
        for (int o = 0; o < fl[l].out; o++) {
            fl[l].b[o] = (double)net->b[l][o];
        }
    }
    for (int o = 0; o < fl[0].out; o++) {
        double *w = fl[0].w + (size_t)o * (size_t)fl[0].in;
        for (int i = 0; i < fl[0].in; i++) {
            fl[0].b[o] -= w[i] * (double)nrm->mean[i] / (double)nrm->sd;
            w[i] /= (double)nrm->sd;
        }
    }
    if (nrm->ae) {
        struct flayer *f = &fl[nl - 1];
        for (int o = 0; o < f->out; o++) {
            for (int i = 0; i < f->in; i++) {
                f->w[(size_t)o * (size_t)f->in + i] *= (double)nrm->sd;
            }
            f->b[o] = f->b[o] * (double)nrm->sd + (double)nrm->mean[o];
        }
    }
    return 0;
}

/* The activation ranges seen on the n held-out windows: per layer [lo, hi] of its outputs,
 * and the largest ReLU output of the convolution at any position. */
struct ranges {
    double lo[NET_MAX_LAYERS];
    double hi[NET_MAX_LAYERS];
    double conv_max;
};

static void calibrate(struct ranges *r, const struct flayer *fl, int nl, const struct qnorm *nrm,
                      const int8_t *calib, size_t n)
{
    double x[FEAT_FRAMES * FEAT_BANDS];
    static double act[NET_MAX_LAYERS][NET_MAX_WIDTH];
    memset(r, 0, sizeof(*r));
    for (size_t k = 0; k < n; k++) {
        real_input(nrm, calib + k * FEAT_FRAMES * FEAT_BANDS, x);
        fl_forward(fl, nl, x, act, &r->conv_max);
        for (int l = 0; l < nl; l++) {
            for (int o = 0; o < fl[l].out; o++) {
                r->lo[l] = act[l][o] < r->lo[l] ? act[l][o] : r->lo[l];
                r->hi[l] = act[l][o] > r->hi[l] ? act[l][o] : r->hi[l];
            }
        }
    }
}

/* Output scale and zero point of layer l from its calibrated range. */
static void out_range(struct qlayer *p, const struct flayer *f, int l, int last,
                      const struct qnorm *nrm, const struct ranges *r)
{
    if (f->conv_len) {
        /* The range of the ReLU outputs at every position, before the pool. */
        p->out_scale = r->conv_max > 1e-9 ? r->conv_max / 255.0 : 1e-9;
        p->out_zp = -128;
    } else if (last && nrm->ae) {
        p->out_scale = nrm->in_scale; /* reconstructs features in their own units */
        p->out_zp = nrm->in_zp;
    } else if (!last) {
        p->out_scale = r->hi[l] > 1e-9 ? r->hi[l] / 255.0 : 1e-9;
        p->out_zp = -128;
    } else {
        double range = r->hi[l] - r->lo[l] > 1e-9 ? r->hi[l] - r->lo[l] : 1e-9;
        p->out_scale = range / 255.0;
        long zp = lround(-128.0 - r->lo[l] / p->out_scale);
        p->out_zp = (int)(zp < -128 ? -128 : zp > 127 ? 127 : zp);
    }
}

/* Symmetric per-channel int8 weights, int32 biases at s_in * w_scale, and the rescale of
 * every output channel. Allocates p's arrays: 0, or -1 (what was allocated stays in p). */
static int quantise_weights(struct qlayer *p, const struct flayer *f, double s_in)
{
    int nin = f->in;
    p->w = calloc((size_t)nin * (size_t)p->out_ch, 1);
    p->bias = calloc((size_t)p->out_ch, sizeof(int32_t));
    p->mult = calloc((size_t)p->out_ch, sizeof(int32_t));
    p->shift = calloc((size_t)p->out_ch, 1);
    if (!p->w || !p->bias || !p->mult || !p->shift) {
        return -1;
    }
    for (int o = 0; o < p->out_ch; o++) {
        const double *w = f->w + (size_t)o * (size_t)nin;
        double mx = 0.0;
        for (int i = 0; i < nin; i++) {
            mx = fabs(w[i]) > mx ? fabs(w[i]) : mx;
        }
        double sw = mx > 0.0 ? mx / 127.0 : 1.0;
        for (int i = 0; i < nin; i++) {
            long v = lround(w[i] / sw);
            p->w[(size_t)o * (size_t)nin + i] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
        double bq = f->b[o] / (s_in * sw);
        const double lim = 1073741824.0; /* |bias| <= 2^30 (nn_model_check) */
        p->bias[o] = (int32_t)llround(bq > lim ? lim : bq < -lim ? -lim : bq);
        quantize_multiplier(s_in * sw / p->out_scale, &p->mult[o], &p->shift[o]);
    }
    return 0;
}

/* A pooling layer that keeps scale and zero point: the autoencoder's mean over time of the
 * input, or the global average pool after a convolution. */
static void pool_layer(struct qlayer *g, int in_len, int ch, int zp, double scale)
{
    g->op = NN_OP_AVGPOOL;
    g->act = NN_ACT_NONE;
    g->in_len = in_len;
    g->in_ch = g->out_ch = ch;
    g->out_len = 1;
    g->in_zp = g->out_zp = zp;
    g->in_scale = g->out_scale = scale;
}

/* The head: the autoencoder's reference and score scale, or the classifier's exp table. */
static void set_head(struct qmodel *qm, int ae)
{
    int q = qm->n_layers;
    qm->out_count = qm->l[q - 1].out_ch;
    if (ae) {
        qm->ae_ref_layer = 1;
        qm->ae_bands = FEAT_BANDS;
        quant_set_ae_threshold(qm, 1);
        return;
    }
    /* exp_table[d] = exp(-d * S): the softmax of the logits' real values over T. */
    double s = qm->l[q - 1].out_scale / QUANT_HEAD_T;
    for (int d = 0; d < 256; d++) {
        qm->exp_table[d] = (uint16_t)lround(65535.0 * exp(-(double)d * s));
    }
    qm->class_ids[0] = 0;
    qm->detect_min_conf = 128;
}

int quant_build(struct qmodel *qm, const struct net *net, const struct qnorm *nrm,
                const int8_t *calib, size_t n, int profile)
{
    memset(qm, 0, sizeof(*qm));
    int nl = net->layers;
    struct flayer fl[NET_MAX_LAYERS];
    memset(fl, 0, sizeof(fl));
    if (fold_layers(fl, net, nrm) != 0) {
        free_flayers(fl, nl);
        return -1;
    }
    struct ranges r;
    calibrate(&r, fl, nl, nrm, calib, n);

    qm->kind = nrm->ae ? NN_KIND_AUTOENCODER : NN_KIND_CLASSIFIER;
    qm->profile = profile;
    int q = 0;
    double s_in = nrm->in_scale;
    int zp_in = nrm->in_zp;
    int in_len = FEAT_FRAMES;
    int in_ch = FEAT_BANDS;
    if (nrm->ae) {
        pool_layer(&qm->l[q++], FEAT_FRAMES, FEAT_BANDS, zp_in, s_in);
        in_len = 1;
    }
    for (int l = 0; l < nl; l++, q++) {
        struct qlayer *p = &qm->l[q];
        int last = l == nl - 1;
        p->op = fl[l].conv_len ? NN_OP_CONV1D : NN_OP_DENSE;
        p->act = last ? NN_ACT_NONE : NN_ACT_RELU;
        p->in_len = in_len;
        p->in_ch = in_ch;
        p->out_len = fl[l].conv_len ? fl[l].conv_out_len : 1;
        p->out_ch = fl[l].out;
        p->in_zp = zp_in;
        p->in_scale = s_in;
        if (fl[l].conv_len) {
            p->kernel = fl[l].in / fl[l].conv_ch;
            p->stride = fl[l].conv_stride;
        }
        out_range(p, &fl[l], l, last, nrm, &r);
        if (quantise_weights(p, &fl[l], s_in) != 0) {
            qm->n_layers = q + 1;
            free_flayers(fl, nl);
            quant_free(qm);
            return -1;
        }
        s_in = p->out_scale;
        zp_in = p->out_zp;
        in_len = fl[l].conv_flat ? p->out_len : 1;
        in_ch = p->out_ch;
        if (fl[l].conv_len && !fl[l].conv_flat) {
            pool_layer(&qm->l[++q], p->out_len, p->out_ch, p->out_zp, p->out_scale);
        }
    }
    qm->n_layers = q;
    set_head(qm, nrm->ae);
    free_flayers(fl, nl);
    return 0;
}

void quant_free(struct qmodel *qm)
{
    for (int i = 0; i < qm->n_layers; i++) {
        free(qm->l[i].w);
        free(qm->l[i].bias);
        free(qm->l[i].mult);
        free(qm->l[i].shift);
    }
    memset(qm, 0, sizeof(*qm));
}

static int8_t clamp8(int64_t v, int lo)
{
    return (int8_t)(v < lo ? lo : v > 127 ? 127 : v);
}

static void run_layer(const struct qlayer *p, const int8_t *x, int8_t *y)
{
    int lo = p->act == NN_ACT_RELU ? (p->out_zp > -128 ? p->out_zp : -128) : -128;
    if (p->op == NN_OP_AVGPOOL) {
        int32_t nlen = p->in_len;
        for (int c = 0; c < p->in_ch; c++) {
            int32_t s = 0;
            for (int t = 0; t < p->in_len; t++) {
                s += x[t * p->in_ch + c];
            }
            int32_t v = s > 0 ? (s + nlen / 2) / nlen : (s - nlen / 2) / nlen;
            y[c] = clamp8(v, lo);
        }
        return;
    }
    if (p->op == NN_OP_MAXPOOL1D) {
        for (int t = 0; t < p->out_len; t++) {
            for (int c = 0; c < p->in_ch; c++) {
                int m = -128;
                for (int k = 0; k < p->kernel; k++) {
                    int v = (int)x[(t * p->stride + k) * p->in_ch + c];
                    m = v > m ? v : m;
                }
                y[t * p->out_ch + c] = clamp8(m, lo);
            }
        }
        return;
    }
    if (p->op == NN_OP_CONV1D) {
        int nk = p->kernel * p->in_ch;
        for (int t = 0; t < p->out_len; t++) {
            const int8_t *xt = x + (size_t)t * (size_t)p->stride * (size_t)p->in_ch;
            for (int o = 0; o < p->out_ch; o++) {
                int32_t acc = p->bias ? p->bias[o] : 0;
                const int8_t *w = p->w + (size_t)o * (size_t)nk;
                for (int i = 0; i < nk; i++) {
                    acc += (xt[i] - p->in_zp) * w[i];
                }
                int64_t v = (int64_t)quant_requant(acc, p->mult[o], p->shift[o]) + p->out_zp;
                y[t * p->out_ch + o] = clamp8(v, lo);
            }
        }
        return;
    }
    int nin = p->in_len * p->in_ch;
    for (int o = 0; o < p->out_ch; o++) {
        int32_t acc = p->bias ? p->bias[o] : 0;
        const int8_t *w = p->w + (size_t)o * (size_t)nin;
        for (int i = 0; i < nin; i++) {
            acc += (x[i] - p->in_zp) * w[i];
        }
        int64_t v = (int64_t)quant_requant(acc, p->mult[o], p->shift[o]) + p->out_zp;
        y[o] = clamp8(v, lo);
    }
}

void quant_run(const struct qmodel *qm, const int8_t *in, int8_t *out, int8_t *ref)
{
    static int8_t buf[2][QUANT_MAX_TENSOR];
    const int8_t *cur = in;
    for (int l = 0; l < qm->n_layers; l++) {
        int8_t *y = l == qm->n_layers - 1 ? out : buf[l & 1];
        run_layer(&qm->l[l], cur, y);
        if (ref && qm->kind == NN_KIND_AUTOENCODER && l + 1 == qm->ae_ref_layer) {
            memcpy(ref, y, (size_t)qm->l[l].out_len * (size_t)qm->l[l].out_ch);
        }
        cur = y;
    }
    if (ref && qm->kind == NN_KIND_AUTOENCODER && qm->ae_ref_layer == 0) {
        memcpy(ref, in, (size_t)qm->out_count);
    }
}

int quant_classify(const struct qmodel *qm, const int8_t *in, int *conf_of_1)
{
    int8_t q[QUANT_MAX_TENSOR] = {0};
    quant_run(qm, in, q, NULL);
    int best = 0;
    for (int i = 1; i < qm->out_count; i++) {
        if (q[i] > q[best]) {
            best = i;
        }
    }
    uint32_t e = 0;
    for (int i = 0; i < qm->out_count; i++) {
        e += qm->exp_table[q[best] - q[i]];
    }
    int conf = e ? (int)((255u * qm->exp_table[0] + e / 2) / e) : 0;
    if (conf_of_1) {
        /* Two outputs: the target's confidence is the winner's, or its complement. */
        *conf_of_1 = best == 1 ? conf : 255 - conf;
    }
    return best;
}

uint64_t quant_ae_sse(const struct qmodel *qm, const int8_t *in)
{
    int8_t q[QUANT_MAX_TENSOR] = {0};
    int8_t r[QUANT_MAX_TENSOR] = {0};
    quant_run(qm, in, q, r);
    uint64_t sse = 0;
    for (int i = 0; i < qm->out_count; i++) {
        int d = q[i] - r[i];
        sse += (uint64_t)(d * d);
    }
    return sse;
}

int quant_ae_score(const struct qmodel *qm, uint64_t sse)
{
    uint64_t s = (sse * qm->ae_score_mult) >> qm->ae_score_shift;
    return s > 255 ? 255 : (int)s;
}

void quant_set_ae_threshold(struct qmodel *qm, uint64_t sse_threshold)
{
    if (sse_threshold == 0) {
        sse_threshold = 1;
    }
    qm->ae_score_shift = 16;
    qm->ae_score_mult = (uint32_t)((64ULL << 16) / sse_threshold);
    if (qm->ae_score_mult == 0) {
        qm->ae_score_mult = 1;
    }
    qm->ae_threshold = quant_ae_score(qm, sse_threshold);
    if (qm->ae_threshold < 1) {
        qm->ae_threshold = 1;
    }
}

size_t quant_weight_bytes(const struct qmodel *qm)
{
    size_t n = 0;
    for (int l = 0; l < qm->n_layers; l++) {
        const struct qlayer *p = &qm->l[l];
        if (p->op == NN_OP_DENSE) {
            n += (size_t)p->in_len * (size_t)p->in_ch * (size_t)p->out_ch + 4u * (size_t)p->out_ch;
        } else if (p->op == NN_OP_CONV1D) {
            n += (size_t)p->kernel * (size_t)p->in_ch * (size_t)p->out_ch + 4u * (size_t)p->out_ch;
        }
    }
    return n;
}

size_t quant_macs(const struct qmodel *qm)
{
    size_t n = 0;
    for (int l = 0; l < qm->n_layers; l++) {
        const struct qlayer *p = &qm->l[l];
        if (p->op == NN_OP_DENSE) {
            n += (size_t)p->in_len * (size_t)p->in_ch * (size_t)p->out_ch;
        } else if (p->op == NN_OP_CONV1D) {
            n += (size_t)p->out_len * (size_t)p->kernel * (size_t)p->in_ch * (size_t)p->out_ch;
        }
    }
    return n;
}

size_t quant_arena_bytes(const struct qmodel *qm)
{
    size_t mx = 0;
    for (int l = 0; l < qm->n_layers; l++) {
        size_t e = (size_t)qm->l[l].out_len * (size_t)qm->l[l].out_ch;
        mx = e > mx ? e : mx;
    }
    size_t n = 2 * mx;
    if (qm->kind == NN_KIND_AUTOENCODER && qm->ae_ref_layer != 0) {
        n += (size_t)qm->out_count;
    }
    return n;
}

static const char *const op_names[] = {"0", "NN_OP_CONV1D", "NN_OP_DENSE", "NN_OP_MAXPOOL1D",
                                       "NN_OP_AVGPOOL"};

static void write_i8(FILE *f, const char *type, const char *name, const int8_t *v, size_t n)
{
    fprintf(f, "static const %s %s[%zu] = {", type, name, n);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s%d", i ? ", " : "", v[i]);
    }
    fprintf(f, "};\n");
}

static void write_i32(FILE *f, const char *name, const int32_t *v, size_t n)
{
    fprintf(f, "static const int32_t %s[%zu] = {", name, n);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s%ld", i ? ", " : "", (long)v[i]);
    }
    fprintf(f, "};\n");
}

int quant_write_header(const struct qmodel *qm, FILE *f, const char *name, const char *model_name,
                       int id, int version)
{
    char up[32];
    size_t k = 0;
    for (; name[k] && k < sizeof(up) - 1; k++) {
        up[k] = (char)(name[k] >= 'a' && name[k] <= 'z' ? name[k] - 32 : name[k]);
    }
    up[k] = '\0';
    fprintf(f,
            "/* Generated by `make models` (host/train, tinyfleet-train --profile %s): do not "
            "edit.\n",
            name);
    fprintf(f,
            " * int8 %s for the %s profile; nodefw/model/REPORT.md says how it was trained\n"
            " * and how well it does. Format: nodefw/include/nodefw/nn.h.\n */\n",
            qm->kind == NN_KIND_CLASSIFIER ? "classifier" : "autoencoder", name);
    fprintf(f, "#ifndef PROJ_NODEFW_MODEL_%s_MODEL_H\n#define PROJ_NODEFW_MODEL_%s_MODEL_H\n\n", up,
            up);
    fprintf(f, "#include <stdint.h>\n\n#include \"nodefw/nn.h\"\n\n");
    fprintf(f, "#define %s_MODEL_ARENA_BYTES %zu\n\n", up, quant_arena_bytes(qm));
    char nm[96];
    for (int l = 0; l < qm->n_layers; l++) {
        const struct qlayer *p = &qm->l[l];
        if (p->op != NN_OP_DENSE && p->op != NN_OP_CONV1D) {
            continue;
        }
        size_t nw = (size_t)(p->op == NN_OP_CONV1D ? p->kernel : p->in_len) * (size_t)p->in_ch *
                    (size_t)p->out_ch;
        snprintf(nm, sizeof(nm), "%s_l%d_weights", name, l);
        write_i8(f, "int8_t", nm, p->w, nw);
        snprintf(nm, sizeof(nm), "%s_l%d_bias", name, l);
        write_i32(f, nm, p->bias, (size_t)p->out_ch);
        snprintf(nm, sizeof(nm), "%s_l%d_mult", name, l);
        write_i32(f, nm, p->mult, (size_t)p->out_ch);
        snprintf(nm, sizeof(nm), "%s_l%d_shift", name, l);
        write_i8(f, "int8_t", nm, p->shift, (size_t)p->out_ch);
        fprintf(f, "\n");
    }
    fprintf(f, "static const struct nn_layer %s_layers[%d] = {\n", name, qm->n_layers);
    for (int l = 0; l < qm->n_layers; l++) {
        const struct qlayer *p = &qm->l[l];
        fprintf(f,
                "    {.op = %s, .act = %s, .in_len = %d, .in_ch = %d, .out_len = %d, "
                ".out_ch = %d, .kernel = %d, .stride = %d, .in_zp = %d, .out_zp = %d",
                op_names[p->op], p->act ? "NN_ACT_RELU" : "NN_ACT_NONE", p->in_len, p->in_ch,
                p->out_len, p->out_ch, p->kernel, p->stride, p->in_zp, p->out_zp);
        if (p->op == NN_OP_DENSE || p->op == NN_OP_CONV1D) {
            fprintf(f,
                    ", .weights = %s_l%d_weights, .bias = %s_l%d_bias, .mult = %s_l%d_mult, "
                    ".shift = %s_l%d_shift",
                    name, l, name, l, name, l, name, l);
        }
        fprintf(f, "},\n");
    }
    fprintf(f, "};\n\n");
    if (qm->kind == NN_KIND_CLASSIFIER) {
        fprintf(f, "static const uint16_t %s_exp_table[256] = {", name);
        for (int d = 0; d < 256; d++) {
            fprintf(f, "%s%u", d ? ", " : "", qm->exp_table[d]);
        }
        fprintf(f, "};\n");
        fprintf(f, "static const uint8_t %s_class_ids[%d] = {", name, qm->out_count);
        for (int i = 0; i < qm->out_count; i++) {
            fprintf(f, "%s%u", i ? ", " : "", qm->class_ids[i]);
        }
        fprintf(f, "};\n\n");
    }
    fprintf(f, "static const struct nn_model %s_model = {\n", name);
    fprintf(f, "    .name = \"%s\",\n    .id = %d,\n    .version = %d,\n", model_name, id, version);
    fprintf(f, "    .kind = %s,\n",
            qm->kind == NN_KIND_CLASSIFIER ? "NN_KIND_CLASSIFIER" : "NN_KIND_AUTOENCODER");
    fprintf(f, "    .profile = %d,\n    .in_len = %d,\n    .in_ch = %d,\n", qm->profile,
            FEAT_FRAMES, FEAT_BANDS);
    fprintf(f, "    .out_count = %d,\n    .n_layers = %d,\n    .layers = %s_layers,\n",
            qm->out_count, qm->n_layers, name);
    fprintf(
        f, "    .macs = %zu,\n    .weight_bytes = %zu,\n    .arena_bytes = %s_MODEL_ARENA_BYTES,\n",
        quant_macs(qm), quant_weight_bytes(qm), up);
    if (qm->kind == NN_KIND_CLASSIFIER) {
        fprintf(f, "    .exp_table = %s_exp_table,\n    .class_ids = %s_class_ids,\n", name, name);
        fprintf(f, "    .detect_min_conf = %d,\n", qm->detect_min_conf);
    } else {
        fprintf(f, "    .ae_threshold = %d,\n    .ae_score_shift = %d,\n", qm->ae_threshold,
                qm->ae_score_shift);
        fprintf(f, "    .ae_ref_layer = %d,\n    .ae_bands = %d,\n    .ae_score_mult = %lu,\n",
                qm->ae_ref_layer, qm->ae_bands, (unsigned long)qm->ae_score_mult);
    }
    fprintf(f, "};\n\n#endif /* PROJ_NODEFW_MODEL_%s_MODEL_H */\n", up);
    return ferror(f) ? -1 : 0;
}
