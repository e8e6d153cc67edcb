/* SPDX-License-Identifier: MIT
 * int8 inference: the layer kernels, TFLite requantisation and the two heads. The arithmetic
 * is specified in nodefw/nn.h and is the contract with the trainer's integer simulation, so
 * the kernels are written plainly (no reordering that could change a rounding). Right shifts
 * of negative values are arithmetic (GCC and Clang on every target we build).
 */
#include "nodefw/nn.h"

#include <stdbool.h>
#include <string.h>

/* Most bands an autoencoder's error may be folded onto (stack array in nn_ae_head()). */
#define NN_AE_MAX_BANDS 64
/* Bound on |bias| and on the sum of products, so an int32 accumulator cannot overflow. */
#define NN_ACC_LIMIT ((int64_t)1 << 30)

int32_t nn_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX; /* the one product that does not fit */
    }
    int64_t ab = (int64_t)a * b;
    int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* truncates toward zero */
}

int32_t nn_rdbpot(int32_t x, int exponent)
{
    if (exponent <= 0) {
        return x;
    }
    if (exponent > 31) {
        exponent = 31;
    }
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t rem = x & mask;
    int32_t thr = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (rem > thr ? 1 : 0);
}

int32_t nn_requant(int32_t x, int32_t mult, int shift)
{
    if (shift > 30) {
        shift = 30;
    }
    if (shift < -31) {
        shift = -31;
    }
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    int64_t a = (int64_t)x * ((int64_t)1 << left);
    if (a > INT32_MAX) {
        a = INT32_MAX;
    }
    if (a < INT32_MIN) {
        a = INT32_MIN;
    }
    return nn_rdbpot(nn_srdhm((int32_t)a, mult), right);
}

/* Requantise an accumulator to the output zero point and clamp to [lo, 127]. */
static int8_t requant_out(int32_t acc, int32_t mult, int shift, int32_t out_zp, int32_t lo)
{
    int64_t v = (int64_t)nn_requant(acc, mult, shift) + out_zp;
    if (v > 127) {
        v = 127;
    }
    if (v < lo) {
        v = lo;
    }
    return (int8_t)v;
}

static int32_t act_min(const struct nn_layer *l)
{
    if (l->act == NN_ACT_RELU && l->out_zp > -128) {
        return l->out_zp;
    }
    return -128;
}

/* Dot product of n inputs (minus their zero point) with n weights, plus the bias. The layer
 * fields are copied to locals by the callers: the output is int8 and may alias anything, so the
 * compiler would otherwise reload them on every store. */
static int32_t dot(const int8_t *x, const int8_t *w, size_t n, int32_t in_zp, int32_t bias)
{
    int32_t acc = bias;
    for (size_t i = 0; i < n; i++) {
        acc += ((int32_t)x[i] - in_zp) * w[i];
    }
    return acc;
}

static void conv1d(const struct nn_layer *l, const int8_t *in, int8_t *out)
{
    int32_t lo = act_min(l);
    size_t fan_in = (size_t)l->kernel * l->in_ch;
    size_t step = (size_t)l->stride * l->in_ch;
    size_t out_len = l->out_len;
    size_t out_ch = l->out_ch;
    int32_t in_zp = l->in_zp;
    int32_t out_zp = l->out_zp;
    const int8_t *weights = l->weights;
    const int32_t *bias = l->bias;
    const int32_t *mult = l->mult;
    const int8_t *shift = l->shift;
    for (size_t t = 0; t < out_len; t++) {
        const int8_t *x0 = &in[t * step];
        for (size_t o = 0; o < out_ch; o++) {
            int32_t acc = dot(x0, &weights[o * fan_in], fan_in, in_zp, bias != NULL ? bias[o] : 0);
            out[t * out_ch + o] = requant_out(acc, mult[o], shift[o], out_zp, lo);
        }
    }
}

static void dense(const struct nn_layer *l, const int8_t *in, int8_t *out)
{
    int32_t lo = act_min(l);
    size_t n = (size_t)l->in_len * l->in_ch;
    size_t out_ch = l->out_ch;
    int32_t in_zp = l->in_zp;
    int32_t out_zp = l->out_zp;
    const int8_t *weights = l->weights;
    const int32_t *bias = l->bias;
    const int32_t *mult = l->mult;
    const int8_t *shift = l->shift;
    for (size_t o = 0; o < out_ch; o++) {
        int32_t acc = dot(in, &weights[o * n], n, in_zp, bias != NULL ? bias[o] : 0);
        out[o] = requant_out(acc, mult[o], shift[o], out_zp, lo);
    }
}

static void maxpool1d(const struct nn_layer *l, const int8_t *in, int8_t *out)
{
    int32_t lo = act_min(l);
    for (unsigned t = 0; t < l->out_len; t++) {
        for (unsigned c = 0; c < l->out_ch; c++) {
            int32_t m = -128;
            for (unsigned k = 0; k < l->kernel; k++) {
                int32_t v = (int32_t)in[((size_t)t * l->stride + k) * l->in_ch + c];
                m = v > m ? v : m;
            }
            out[(size_t)t * l->out_ch + c] = (int8_t)(m < lo ? lo : m);
        }
    }
}

static void avgpool(const struct nn_layer *l, const int8_t *in, int8_t *out)
{
    int32_t lo = act_min(l);
    int32_t n = l->in_len;
    if (n <= 0) {
        return; /* nn_model_check() refuses in_len 0 */
    }
    for (unsigned c = 0; c < l->in_ch; c++) {
        int32_t s = 0;
        for (unsigned t = 0; t < l->in_len; t++) {
            s += in[(size_t)t * l->in_ch + c];
        }
        int32_t v = s > 0 ? (s + n / 2) / n : (s - n / 2) / n;
        out[c] = (int8_t)(v < lo ? lo : v);
    }
}

static size_t layer_out_size(const struct nn_layer *l)
{
    return (size_t)l->out_len * l->out_ch;
}

size_t nn_arena_size(const struct nn_model *m)
{
    if (m == NULL || m->layers == NULL) {
        return 0;
    }
    size_t max = 0;
    for (unsigned i = 0; i < m->n_layers; i++) {
        size_t s = layer_out_size(&m->layers[i]);
        max = s > max ? s : max;
    }
    size_t need = 2 * max;
    if (m->kind == NN_KIND_AUTOENCODER && m->ae_ref_layer != 0) {
        need += m->out_count;
    }
    return need;
}

uint32_t nn_model_macs(const struct nn_model *m)
{
    uint32_t macs = 0;
    if (m == NULL || m->layers == NULL) {
        return 0;
    }
    for (unsigned i = 0; i < m->n_layers; i++) {
        const struct nn_layer *l = &m->layers[i];
        if (l->op == NN_OP_CONV1D) {
            macs += (uint32_t)l->out_len * l->out_ch * l->kernel * l->in_ch;
        } else if (l->op == NN_OP_DENSE) {
            macs += (uint32_t)l->out_ch * l->in_len * l->in_ch;
        }
    }
    return macs;
}

uint32_t nn_model_weight_bytes(const struct nn_model *m)
{
    uint32_t bytes = 0;
    if (m == NULL || m->layers == NULL) {
        return 0;
    }
    for (unsigned i = 0; i < m->n_layers; i++) {
        const struct nn_layer *l = &m->layers[i];
        if (l->op == NN_OP_CONV1D) {
            bytes += (uint32_t)l->out_ch * l->kernel * l->in_ch;
        } else if (l->op == NN_OP_DENSE) {
            bytes += (uint32_t)l->out_ch * l->in_len * l->in_ch;
        } else {
            continue;
        }
        if (l->bias != NULL) {
            bytes += 4u * l->out_ch;
        }
    }
    return bytes;
}

static bool zp_ok(int32_t zp)
{
    return zp >= -128 && zp <= 127;
}

/* Weighted layers: pointers, shifts, multipliers, accumulator bounds. */
static bool check_weighted(const struct nn_layer *l, uint32_t fan_in)
{
    if (l->weights == NULL || l->mult == NULL || l->shift == NULL) {
        return false;
    }
    if ((int64_t)fan_in * 255 * 128 >= NN_ACC_LIMIT) {
        return false;
    }
    for (unsigned o = 0; o < l->out_ch; o++) {
        if (l->mult[o] < 0 || l->shift[o] < -31 || l->shift[o] > 30) {
            return false;
        }
        if (l->bias != NULL && (l->bias[o] >= NN_ACC_LIMIT || l->bias[o] <= -NN_ACC_LIMIT)) {
            return false;
        }
    }
    return true;
}

static bool check_layer(const struct nn_layer *l)
{
    if (l->in_len == 0 || l->in_ch == 0 || l->out_len == 0 || l->out_ch == 0) {
        return false;
    }
    if (!zp_ok(l->in_zp) || !zp_ok(l->out_zp) || l->act > NN_ACT_RELU) {
        return false;
    }
    switch (l->op) {
    case NN_OP_CONV1D:
    case NN_OP_MAXPOOL1D:
        if (l->kernel == 0 || l->stride == 0 || l->kernel > l->in_len ||
            l->out_len != (l->in_len - l->kernel) / l->stride + 1) {
            return false;
        }
        if (l->op == NN_OP_CONV1D) {
            return check_weighted(l, (uint32_t)l->kernel * l->in_ch);
        }
        return l->out_ch == l->in_ch && l->in_zp == l->out_zp;
    case NN_OP_DENSE:
        return l->out_len == 1 && check_weighted(l, (uint32_t)l->in_len * l->in_ch);
    case NN_OP_AVGPOOL:
        return l->out_len == 1 && l->out_ch == l->in_ch && l->in_zp == l->out_zp;
    default:
        return false;
    }
}

static bool check_head(const struct nn_model *m)
{
    const struct nn_layer *last = &m->layers[m->n_layers - 1u];
    if (m->kind == NN_KIND_CLASSIFIER) {
        return m->exp_table != NULL && m->class_ids != NULL && m->exp_table[0] != 0;
    }
    if (m->kind != NN_KIND_AUTOENCODER || m->ae_ref_layer >= m->n_layers || m->ae_bands == 0 ||
        m->ae_bands > NN_AE_MAX_BANDS || m->ae_score_shift > 63) {
        return false;
    }
    size_t ref_count;
    int32_t ref_zp;
    if (m->ae_ref_layer == 0) {
        ref_count = (size_t)m->in_len * m->in_ch;
        ref_zp = m->layers[0].in_zp;
    } else {
        ref_count = layer_out_size(&m->layers[m->ae_ref_layer - 1u]);
        ref_zp = m->layers[m->ae_ref_layer - 1u].out_zp;
    }
    return ref_count == m->out_count && ref_zp == last->out_zp;
}

int nn_model_check(const struct nn_model *m)
{
    if (m == NULL || m->layers == NULL || m->n_layers == 0) {
        return NN_EINVAL;
    }
    uint16_t len = m->in_len;
    uint16_t ch = m->in_ch;
    for (unsigned i = 0; i < m->n_layers; i++) {
        const struct nn_layer *l = &m->layers[i];
        if (l->in_len != len || l->in_ch != ch || !check_layer(l)) {
            return NN_EINVAL;
        }
        if (i > 0 && l->in_zp != m->layers[i - 1u].out_zp) {
            return NN_EINVAL;
        }
        len = l->out_len;
        ch = l->out_ch;
    }
    if ((size_t)len * ch != m->out_count || !check_head(m)) {
        return NN_EINVAL;
    }
    if (m->macs != nn_model_macs(m) || m->weight_bytes != nn_model_weight_bytes(m) ||
        m->arena_bytes < nn_arena_size(m)) {
        return NN_EINVAL;
    }
    return NN_OK;
}

/* Run the layers; returns the buffer (inside the arena) holding the output, or NULL. When
 * @ref_out is not NULL, it receives where the autoencoder reference lives. */
static const int8_t *run_layers(const struct nn_model *m, const int8_t *input, int8_t *arena,
                                size_t arena_len, const int8_t **ref_out)
{
    size_t need = nn_arena_size(m);
    if (need == 0 || arena_len < need) {
        return NULL;
    }
    size_t half = (m->kind == NN_KIND_AUTOENCODER && m->ae_ref_layer != 0)
                      ? (need - m->out_count) / 2
                      : need / 2;
    int8_t *buf[2] = {arena, arena + half};
    int8_t *ref = arena + 2 * half;
    const int8_t *cur = input;
    if (ref_out != NULL) {
        *ref_out = input;
    }
    for (unsigned i = 0; i < m->n_layers; i++) {
        const struct nn_layer *l = &m->layers[i];
        int8_t *dst = buf[i & 1u];
        switch (l->op) {
        case NN_OP_CONV1D:
            conv1d(l, cur, dst);
            break;
        case NN_OP_DENSE:
            dense(l, cur, dst);
            break;
        case NN_OP_MAXPOOL1D:
            maxpool1d(l, cur, dst);
            break;
        case NN_OP_AVGPOOL:
            avgpool(l, cur, dst);
            break;
        default:
            return NULL;
        }
        if (ref_out != NULL && m->kind == NN_KIND_AUTOENCODER && m->ae_ref_layer == i + 1u) {
            memcpy(ref, dst, m->out_count);
            *ref_out = ref;
        }
        cur = dst;
    }
    return cur;
}

int nn_run(const struct nn_model *m, const int8_t *input, int8_t *arena, size_t arena_len,
           int8_t *out)
{
    if (m == NULL || m->layers == NULL || input == NULL || arena == NULL || out == NULL) {
        return NN_EINVAL;
    }
    const int8_t *res = run_layers(m, input, arena, arena_len, NULL);
    if (res == NULL) {
        return NN_ENOMEM;
    }
    memcpy(out, res, m->out_count);
    return NN_OK;
}

void nn_classify_head(const struct nn_model *m, const int8_t *q, struct nn_result *res)
{
    memset(res, 0, sizeof(*res));
    unsigned best = 0;
    for (unsigned i = 1; i < m->out_count; i++) {
        if (q[i] > q[best]) {
            best = i;
        }
    }
    uint32_t sum = 0;
    for (unsigned i = 0; i < m->out_count; i++) {
        sum += m->exp_table[(unsigned)((int32_t)q[best] - q[i])];
    }
    uint32_t conf = sum == 0 ? 0 : (255u * m->exp_table[0] + sum / 2u) / sum;
    res->index = (uint16_t)best;
    res->class_id = m->class_ids[best];
    res->confidence = (uint8_t)(conf > 255u ? 255u : conf);
    res->detected = (uint8_t)(res->class_id != 0 && res->confidence >= m->detect_min_conf);
}

void nn_ae_head(const struct nn_model *m, const int8_t *q, const int8_t *ref, struct nn_result *res)
{
    /* uint32 suffices: a band sums at most 65535 errors of at most 255^2. */
    uint32_t band_err[NN_AE_MAX_BANDS] = {0};
    uint64_t sse = 0;
    unsigned nb = m->ae_bands >= 1 && m->ae_bands <= NN_AE_MAX_BANDS ? m->ae_bands : 1;

    memset(res, 0, sizeof(*res));
    for (unsigned i = 0; i < m->out_count; i++) {
        int32_t d = (int32_t)q[i] - ref[i];
        uint32_t e = (uint32_t)(d * d);
        sse += e;
        band_err[i % nb] += e;
    }
    unsigned peak = 0;
    for (unsigned b = 1; b < nb; b++) {
        if (band_err[b] > band_err[peak]) {
            peak = b;
        }
    }
    uint64_t score = (sse * m->ae_score_mult) >> (m->ae_score_shift & 63u);
    res->score = (uint8_t)(score > 255u ? 255u : score);
    res->anomalous = (uint8_t)(res->score >= m->ae_threshold);
    res->peak_band = (uint8_t)peak;
}

int nn_infer(const struct nn_model *m, const int8_t *input, int8_t *arena, size_t arena_len,
             struct nn_result *res)
{
    if (m == NULL || m->layers == NULL || input == NULL || arena == NULL || res == NULL) {
        return NN_EINVAL;
    }
    const int8_t *ref = NULL;
    const int8_t *q = run_layers(m, input, arena, arena_len, &ref);
    if (q == NULL) {
        return NN_ENOMEM;
    }
    if (m->kind == NN_KIND_CLASSIFIER) {
        nn_classify_head(m, q, res);
    } else {
        nn_ae_head(m, q, ref, res);
    }
    return NN_OK;
}
