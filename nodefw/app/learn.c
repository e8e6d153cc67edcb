/* SPDX-License-Identifier: MIT
 * On-device baseline learning (see learn.h for the method). Integer only: sums in int64,
 * one division per dimension at the phase-1 boundary and one per dimension of the updated
 * prototype while learning modes; judging needs no division.
 */
#include "nodefw/learn.h"

#include <string.h>

#include "proto/crc32.h"
#include "proto/tfp.h"

/* Feature units (0.25 log2, summed over FEAT_FRAMES frames): sd floor = one feature step. */
#define SD_MIN FEAT_FRAMES
/* Prototype variance floor, z^2 Q8: 0.06 (sd 0.25), so a very steady dimension cannot
 * turn every later wobble into a huge distance. */
#define VAR_MIN 16
/* Running averages of a prototype stop slowing down after this many windows. */
#define PROTO_N_MAX 256u
/* Saved record: an 8-byte header, target, seen and the DC blocker's state; then per prototype
 * its count and (mean, variance) per dimension. */
#define HEADER_BYTES 24u
#define PROTO_BYTES  (4u + NODE_LEARN_DIMS * 4u)
#define Z_MAX        32767

static int8_t win[FEAT_FRAMES][FEAT_BANDS];
/* DC-blocked samples go to the features in chunks of one hop: a small buffer. */
static int16_t dcbuf[DSP_HOP];

void node_learn_init(struct node_learn *l)
{
    memset(l, 0, sizeof(*l));
}

int node_learn_start(struct node_learn *l, uint32_t windows)
{
    if (l == NULL || windows < NODE_LEARN_MIN_WINDOWS) {
        return NODE_LEARN_EINVAL;
    }
    int32_t prev = l->dc_prev;
    int32_t y = l->dc_y_q8;
    memset(l, 0, sizeof(*l));
    l->dc_prev = prev; /* the filter runs on, learning or not */
    l->dc_y_q8 = y;
    l->phase = NODE_LEARN_STATS;
    l->target = windows;
    l->dirty = 1;
    return 0;
}

uint8_t node_learn_progress(const struct node_learn *l)
{
    if (l->phase == NODE_LEARN_READY) {
        return 100;
    }
    if (l->phase == NODE_LEARN_OFF || l->target == 0u) {
        return 0;
    }
    return (uint8_t)((uint64_t)l->seen * 100u / l->target);
}

/* First-order DC blocker, y[n] = x[n] - x[n-1] + (1 - 2^-7) y[n-1], output Q8 internally. */
static void dc_block(struct node_learn *l, const int16_t *in, int16_t *out, size_t n)
{
    int32_t prev = l->dc_prev;
    int32_t y = l->dc_y_q8;
    for (size_t i = 0; i < n; i++) {
        int32_t x = in[i];
        y += (x - prev) * 256 - (y >> 7);
        prev = x;
        int32_t o = (y + 128) >> 8;
        out[i] = (int16_t)(o > 32767 ? 32767 : o < -32768 ? -32768 : o);
    }
    l->dc_prev = prev;
    l->dc_y_q8 = y;
}

/* The window's NODE_LEARN_DIMS values: time-averaged shape without its level, then the
 * frame-to-frame change of each group of four bands. */
static void window_vector(int32_t x[NODE_LEARN_DIMS])
{
    int32_t total = 0;
    for (unsigned b = 0; b < FEAT_BANDS; b++) {
        int32_t s = 0;
        for (unsigned t = 0; t < FEAT_FRAMES; t++) {
            s += win[t][b];
        }
        x[b] = s;
        total += s;
    }
    int32_t level = total / FEAT_BANDS;
    for (unsigned b = 0; b < FEAT_BANDS; b++) {
        x[b] -= level;
    }
    for (unsigned g = 0; g < NODE_LEARN_MOD; g++) {
        int32_t s = 0;
        for (unsigned t = 1; t < FEAT_FRAMES; t++) {
            for (unsigned b = g * 4u; b < g * 4u + 4u; b++) {
                int32_t d = win[t][b] - win[t - 1u][b];
                s += d < 0 ? -d : d;
            }
        }
        x[NODE_LEARN_SHAPE + g] = s;
    }
}

static uint32_t isqrt64(uint64_t v)
{
    uint64_t r = 0;
    uint64_t bit = (uint64_t)1 << 62;
    while (bit > v) {
        bit >>= 2;
    }
    while (bit != 0u) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)r;
}

/* End of phase 1: mean and 1/sd of each dimension from the sums. */
static void finish_stats(struct node_learn *l)
{
    int64_t n = (int64_t)l->seen;
    for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
        int64_t m = l->u.s.sum[d] / n;
        int64_t var = (int64_t)(l->u.s.sumsq[d] / (uint64_t)n) - m * m;
        uint32_t sd = isqrt64(var > 0 ? (uint64_t)var : 0u);
        if (sd < SD_MIN) {
            sd = SD_MIN;
        }
        l->mean[d] = (int16_t)m;
        l->inv_sd[d] = (uint16_t)(65536u / sd);
    }
    memset(&l->u, 0, sizeof(l->u)); /* the sums are done with: the space becomes the rest */
}

static void normalise(const struct node_learn *l, const int32_t x[NODE_LEARN_DIMS],
                      int32_t z[NODE_LEARN_DIMS])
{
    for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
        int64_t v = ((int64_t)(x[d] - l->mean[d]) * l->inv_sd[d]) >> 8;
        z[d] = (int32_t)(v > Z_MAX ? Z_MAX : v < -Z_MAX ? -Z_MAX : v);
    }
}

/* Mean over dimensions of (z - m)^2 / v to prototype @k, Q8; the worst dimension in @worst. */
static uint32_t distance(const struct node_learn *l, unsigned k, const int32_t z[NODE_LEARN_DIMS],
                         unsigned *worst)
{
    uint64_t sum = 0;
    uint64_t top = 0;
    for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
        int64_t e = (int64_t)z[d] - l->proto_m[k][d];
        uint64_t t = ((uint64_t)(e * e) * l->u.j.inv_v[k][d]) >> 16; /* Q8 */
        sum += t;
        if (t > top) {
            top = t;
            *worst = d;
        }
    }
    uint64_t mean = sum / NODE_LEARN_DIMS;
    return (uint32_t)(mean > 0xFFFFFFFFu ? 0xFFFFFFFFu : mean);
}

static unsigned nearest(const struct node_learn *l, const int32_t z[NODE_LEARN_DIMS],
                        uint32_t *dist, unsigned *worst)
{
    unsigned best = 0;
    *dist = 0xFFFFFFFFu;
    for (unsigned k = 0; k < l->n_protos; k++) {
        unsigned w = 0;
        uint32_t d = distance(l, k, z, &w);
        if (d < *dist) {
            *dist = d;
            best = k;
            *worst = w;
        }
    }
    return best;
}

static void proto_update(struct node_learn *l, unsigned k, const int32_t z[NODE_LEARN_DIMS])
{
    uint32_t n = l->proto_n[k] < PROTO_N_MAX ? ++l->proto_n[k] : PROTO_N_MAX;
    for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
        int32_t m = l->proto_m[k][d];
        int32_t e = z[d] - m;
        m += e / (int32_t)n;
        l->proto_m[k][d] = (int16_t)m;
        int64_t e2 = ((int64_t)e * e) >> 8; /* Q8 */
        int64_t v = l->proto_v[k][d];
        v += (e2 - v) / (int64_t)n;
        v = v < VAR_MIN ? VAR_MIN : v > 65535 ? 65535 : v;
        l->proto_v[k][d] = (uint16_t)v;
        l->u.j.inv_v[k][d] = (uint16_t)(65536u / (uint32_t)v);
    }
}

static void proto_new(struct node_learn *l, const int32_t z[NODE_LEARN_DIMS])
{
    unsigned k = l->n_protos++;
    l->proto_n[k] = 1;
    for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
        l->proto_m[k][d] = (int16_t)z[d];
        l->proto_v[k][d] = 256; /* as wide as the whole learning period until it learns */
        l->u.j.inv_v[k][d] = 256;
    }
}

static uint8_t score_of(uint32_t dist_q8)
{
    int32_t s = (dsp_log2_q10((uint64_t)dist_q8 + 1u) + 32) >> 6;
    return (uint8_t)(s > 255 ? 255 : s);
}

static uint8_t threshold_from_hist(const struct node_learn *l)
{
    uint32_t total = 0;
    for (unsigned i = 0; i < 256u; i++) {
        total += l->u.j.hist[i];
    }
    uint64_t need = ((uint64_t)total * NODE_LEARN_QUANTILE_PPM + 999999u) / 1000000u;
    uint32_t acc = 0;
    unsigned q = 255;
    for (unsigned i = 0; i < 256u; i++) {
        acc += l->u.j.hist[i];
        if (acc >= need) {
            q = i;
            break;
        }
    }
    q += NODE_LEARN_MARGIN;
    return (uint8_t)(q > 255u ? 255u : q);
}

static void hist_add(struct node_learn *l, uint8_t s)
{
    if (l->u.j.hist[s] == 0xFFFFu) {
        for (unsigned i = 0; i < 256u; i++) {
            l->u.j.hist[i] = (uint16_t)(l->u.j.hist[i] >> 1); /* keep the shape, halve the counts */
        }
    }
    l->u.j.hist[s]++;
}

/* Learn from window vector @x; phase changes set dirty. */
static void learn_window(struct node_learn *l, const int32_t x[NODE_LEARN_DIMS], uint8_t *score)
{
    uint32_t q1 = l->target / 4u;
    uint32_t q3 = l->target - q1;
    int32_t z[NODE_LEARN_DIMS];
    uint32_t dist;
    unsigned worst = 0;

    if (l->phase == NODE_LEARN_STATS) {
        for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
            l->u.s.sum[d] += x[d];
            l->u.s.sumsq[d] += (uint64_t)((int64_t)x[d] * x[d]);
        }
    } else if (l->phase == NODE_LEARN_MODES) {
        normalise(l, x, z);
        unsigned k = nearest(l, z, &dist, &worst);
        if (l->n_protos == 0u || (dist > NODE_LEARN_NEW_DIST && l->n_protos < NODE_LEARN_PROTOS)) {
            proto_new(l, z);
        } else {
            proto_update(l, k, z);
        }
    } else {
        normalise(l, x, z);
        (void)nearest(l, z, &dist, &worst);
        *score = score_of(dist);
        hist_add(l, *score);
    }
    l->seen++;
    if (l->phase == NODE_LEARN_STATS && l->seen >= q1) {
        finish_stats(l);
        l->phase = NODE_LEARN_MODES;
        l->dirty = 1;
    } else if (l->phase == NODE_LEARN_MODES && l->seen >= q3) {
        l->phase = NODE_LEARN_THRESH;
        l->dirty = 1;
    } else if (l->phase == NODE_LEARN_THRESH && l->seen >= l->target) {
        l->threshold = threshold_from_hist(l);
        l->phase = NODE_LEARN_READY;
        l->dirty = 1;
    } else if (l->target >= 16u && l->seen % (l->target / 16u) == 0u) {
        l->dirty = 1;
    }
}

static void judge(const struct node_learn *l, const int32_t x[NODE_LEARN_DIMS],
                  struct node_classify_result *res)
{
    int32_t z[NODE_LEARN_DIMS];
    uint32_t dist;
    unsigned worst = 0;

    normalise(l, x, z);
    (void)nearest(l, z, &dist, &worst);
    uint8_t s = score_of(dist);
    res->anomaly_score = s;
    res->confidence = s;
    res->anomalous = s >= l->threshold;
    res->detected = res->anomalous;
    res->class_id = res->anomalous ? (uint8_t)PROTO_TFP_CLASS_MACHINE_ANOMALY : 0u;
    /* A shape dimension is its band; a change group names its middle band. */
    res->peak_band =
        (uint8_t)(worst < NODE_LEARN_SHAPE ? worst : (worst - NODE_LEARN_SHAPE) * 4u + 2u);
}

int node_learn_step(struct node_learn *l, struct node_classify *cls, const int16_t *samples,
                    size_t n, struct node_classify_result *res, struct node_learn_info *info)
{
    struct dsp_window_info wi;
    int32_t x[NODE_LEARN_DIMS];
    uint8_t score = 0;

    if (l == NULL || cls == NULL || samples == NULL || res == NULL || n != FEAT_STEP_SAMPLES) {
        return NODE_LEARN_EINVAL;
    }
    for (size_t i = 0; i < n; i += DSP_HOP) {
        dc_block(l, &samples[i], dcbuf, DSP_HOP);
        if (dsp_features_push(&cls->feat, dcbuf, DSP_HOP) < 0) {
            return NODE_LEARN_EINVAL;
        }
    }
    int rc = dsp_features_window(&cls->feat, win, &wi);
    if (rc == DSP_EAGAIN) {
        return 0;
    }
    if (rc != DSP_OK) {
        return NODE_LEARN_EINVAL;
    }
    cls->windows++;
    window_vector(x);
    memset(res, 0, sizeof(*res));
    res->is_anomaly_model = 1;
    res->level_db = wi.level_db;
    res->peak_band = wi.peak_band;
    if (l->phase == NODE_LEARN_READY) {
        judge(l, x, res);
        score = res->anomaly_score;
    } else if (l->phase != NODE_LEARN_OFF) {
        learn_window(l, x, &score);
        res->anomaly_score = score;
        res->confidence = score;
    }
    if (info != NULL) {
        info->phase = l->phase;
        info->progress = node_learn_progress(l);
        info->threshold = l->phase == NODE_LEARN_READY ? l->threshold : 0u;
        info->score = score;
    }
    return 1;
}

/* --- the stored state: little-endian fields, CRC-32 at the end ------------------------------ */

static uint8_t *put(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        *p++ = (uint8_t)(v >> (8u * i));
    }
    return p;
}

static const uint8_t *get(const uint8_t *p, uint64_t *v, unsigned bytes)
{
    *v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        *v |= (uint64_t)p[i] << (8u * i);
    }
    return p + bytes;
}

/* Bytes of a record: only what the phase needs (the sums in phase 1, the prototypes in use,
 * the score histogram in phase 3), so the largest (phase 3, 8 prototypes) fits in a node's
 * sample block. */
static size_t record_len(uint8_t phase, uint8_t n_protos)
{
    return HEADER_BYTES + NODE_LEARN_DIMS * 4u + (size_t)n_protos * PROTO_BYTES +
           (phase == NODE_LEARN_STATS ? NODE_LEARN_DIMS * 16u : 0u) +
           (phase == NODE_LEARN_THRESH ? 512u : 0u) + 4u;
}

int node_learn_save(const struct node_learn *l, uint8_t *buf, size_t cap)
{
    if (l == NULL || buf == NULL) {
        return NODE_LEARN_EINVAL;
    }
    size_t len = record_len(l->phase, l->n_protos);
    if (cap < len) {
        return NODE_LEARN_ENOSPC;
    }
    uint8_t *p = buf;
    *p++ = 'T';
    *p++ = 'L';
    *p++ = NODE_LEARN_VERSION;
    *p++ = l->phase;
    *p++ = l->n_protos;
    *p++ = l->threshold;
    *p++ = 0;
    *p++ = 0;
    p = put(p, l->target, 4);
    p = put(p, l->seen, 4);
    p = put(p, (uint32_t)l->dc_prev, 4);
    p = put(p, (uint32_t)l->dc_y_q8, 4);
    for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
        p = put(p, (uint16_t)l->mean[d], 2);
        p = put(p, l->inv_sd[d], 2);
    }
    for (unsigned k = 0; k < l->n_protos; k++) {
        p = put(p, l->proto_n[k], 4);
        for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
            p = put(p, (uint16_t)l->proto_m[k][d], 2);
            p = put(p, l->proto_v[k][d], 2);
        }
    }
    if (l->phase == NODE_LEARN_STATS) {
        for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
            p = put(p, (uint64_t)l->u.s.sum[d], 8);
            p = put(p, l->u.s.sumsq[d], 8);
        }
    } else if (l->phase == NODE_LEARN_THRESH) {
        for (unsigned i = 0; i < 256u; i++) {
            p = put(p, l->u.j.hist[i], 2);
        }
    }
    uint32_t crc = proto_crc32(0, buf, (size_t)(p - buf));
    p = put(p, crc, 4);
    return (int)(p - buf);
}

static void load_fields(struct node_learn *t, const uint8_t *p)
{
    uint64_t v;
    t->phase = p[3];
    t->n_protos = p[4];
    t->threshold = p[5];
    p += HEADER_BYTES - 16u;
    p = get(p, &v, 4);
    t->target = (uint32_t)v;
    p = get(p, &v, 4);
    t->seen = (uint32_t)v;
    p = get(p, &v, 4);
    t->dc_prev = (int32_t)(uint32_t)v;
    p = get(p, &v, 4);
    t->dc_y_q8 = (int32_t)(uint32_t)v;
    for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
        p = get(p, &v, 2);
        t->mean[d] = (int16_t)(uint16_t)v;
        p = get(p, &v, 2);
        t->inv_sd[d] = (uint16_t)v;
    }
    for (unsigned k = 0; k < t->n_protos; k++) {
        p = get(p, &v, 4);
        t->proto_n[k] = (uint32_t)v;
        for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
            p = get(p, &v, 2);
            t->proto_m[k][d] = (int16_t)(uint16_t)v;
            p = get(p, &v, 2);
            t->proto_v[k][d] = (uint16_t)v;
        }
    }
    if (t->phase == NODE_LEARN_STATS) {
        for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
            p = get(p, &v, 8);
            t->u.s.sum[d] = (int64_t)v;
            p = get(p, &v, 8);
            t->u.s.sumsq[d] = v;
        }
        return;
    }
    if (t->phase == NODE_LEARN_THRESH) {
        for (unsigned i = 0; i < 256u; i++) {
            p = get(p, &v, 2);
            t->u.j.hist[i] = (uint16_t)v;
        }
    }
    /* The inverse variances are derived: recomputed rather than stored. */
    for (unsigned k = 0; k < t->n_protos; k++) {
        for (unsigned d = 0; d < NODE_LEARN_DIMS; d++) {
            uint32_t v16 = t->proto_v[k][d];
            t->u.j.inv_v[k][d] = (uint16_t)(65536u / (v16 < VAR_MIN ? VAR_MIN : v16));
        }
    }
}

int node_learn_load(struct node_learn *l, const uint8_t *buf, size_t len)
{
    uint64_t crc;

    if (l == NULL || buf == NULL) {
        return NODE_LEARN_EINVAL;
    }
    if (len < HEADER_BYTES + 4u || buf[0] != 'T' || buf[1] != 'L' || buf[2] != NODE_LEARN_VERSION ||
        buf[3] > NODE_LEARN_READY || buf[4] > NODE_LEARN_PROTOS ||
        len != record_len(buf[3], buf[4])) {
        return NODE_LEARN_ECORRUPT; /* checked before @l is touched: no copy of 3 KB needed */
    }
    (void)get(buf + len - 4u, &crc, 4);
    if (proto_crc32(0, buf, len - 4u) != (uint32_t)crc) {
        return NODE_LEARN_ECORRUPT;
    }
    memset(l, 0, sizeof(*l));
    load_fields(l, buf);
    return 0;
}
