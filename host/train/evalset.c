/*
 * evalset: distractor-family streams, recall sets and node-style scoring (see evalset.h).
 *
 * Why not reuse the training scenes: a model tuned on its own generator's draws can look
 * good for reasons that do not carry to a field. These streams are long and continuous (the
 * node's noise floor and aggregator run across them), the distractors come in at other
 * levels (0-25 dB, training -5..30), events come at the gaps of each family, and the recall
 * sets use plain white and pink noise the training never contains, calls stretched over
 * durations the training never draws, and their own seeds.
 */
#include "evalset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nodefw/aggregator.h"
#include "nodefw/features.h"
#include "nodefw/nn.h"

static const struct eval_family elephant_families[] = {
    {"thunder", 2, {SYNTH_THUNDER, SYNTH_THUNDER_FAR}, 5.0, 40.0},
    {"wind", 2, {SYNTH_WIND, SYNTH_WIND_BUFFET}, 0.0, 0.0},
    {"rain", 1, {SYNTH_RAIN}, 0.0, 0.0},
    {"vehicles", 3, {SYNTH_VEHICLE_PASS, SYNTH_TRUCK_GEAR, SYNTH_DIESEL_IDLE}, 2.0, 30.0},
    {"trains", 1, {SYNTH_TRAIN}, 5.0, 60.0},
    {"livestock and dogs", 1, {SYNTH_LIVESTOCK}, 1.0, 15.0},
    {"speech and shouting", 2, {SYNTH_VOICE, SYNTH_SHOUT}, 0.5, 8.0},
    {"chainsaws and generators", 3, {SYNTH_CHAINSAW, SYNTH_GENERATOR, SYNTH_ENGINE}, 0.0, 0.0},
    {"gunshots", 1, {SYNTH_GUNSHOT}, 5.0, 60.0},
};

static const struct eval_family whale_families[] = {
    {"outboards and jet skis", 2, {SYNTH_OUTBOARD, SYNTH_JETSKI}, 0.0, 0.0},
    {"ships and cavitation", 2, {SYNTH_SHIP, SYNTH_CAVITATION}, 0.0, 0.0},
    {"echo sounders and sonar", 1, {SYNTH_SONAR}, 0.3, 5.0},
    {"seismic airguns", 1, {SYNTH_AIRGUN}, 6.0, 12.0},
    {"fin whale pulses", 1, {SYNTH_FIN_PULSE}, 6.0, 30.0},
    {"dolphin whistles", 1, {SYNTH_DOLPHIN}, 0.5, 8.0},
    {"snapping shrimp", 1, {SYNTH_SHRIMP}, 0.0, 0.0},
    {"rain and surf", 2, {SYNTH_RAIN, SYNTH_SURF}, 0.0, 0.0},
    {"speech (rising harmonic sounds)", 2, {SYNTH_VOICE, SYNTH_SHOUT}, 0.5, 8.0},
};

int eval_families(enum dsp_profile p, const struct eval_family **out)
{
    if (p == DSP_PROFILE_ELEPHANT) {
        *out = elephant_families;
        return (int)(sizeof(elephant_families) / sizeof(elephant_families[0]));
    }
    if (p == DSP_PROFILE_WHALE) {
        *out = whale_families;
        return (int)(sizeof(whale_families) / sizeof(whale_families[0]));
    }
    *out = NULL;
    return 0;
}

static double uniform(uint64_t *rng, double lo, double hi)
{
    return lo + (hi - lo) * synth_uniform(rng);
}

static uint64_t draw_seed(uint64_t *rng)
{
    return (uint64_t)(synth_uniform(rng) * 9.0e15);
}

static unsigned rate_of(enum dsp_profile p)
{
    return dsp_profile_get(p)->sample_rate_hz;
}

/* Render one minute of a family into buf[0..n) at gain g (events placed at the family's
 * gaps; an event cut by the minute's end is cut as a recording would be). */
static int render_family_minute(float *buf, size_t n, const struct eval_family *f, unsigned rate,
                                float g, uint64_t *rng)
{
    enum synth_kind k = f->kinds[(int)(synth_uniform(rng) * f->n_kinds)];
    struct synth_source s;
    if (synth_source_init(&s, k, rate, draw_seed(rng)) != 0) {
        return -1;
    }
    if (s.dur_n == 0) {
        synth_render(&s, buf, n, g);
        return 0;
    }
    size_t at = (size_t)(uniform(rng, 0.0, f->gap_hi) * rate);
    while (at < n) {
        struct synth_source e;
        synth_source_init(&e, k, rate, draw_seed(rng));
        size_t len = (size_t)e.dur_n < n - at ? (size_t)e.dur_n : n - at;
        synth_render(&e, buf + at, len, g);
        at += (size_t)e.dur_n + (size_t)(uniform(rng, f->gap_lo, f->gap_hi) * rate);
    }
    return 0;
}

int eval_family_stream(struct dset *ds, enum dsp_profile p, const struct eval_family *f,
                       double seconds, uint64_t seed)
{
    unsigned rate = rate_of(p);
    size_t minute = (size_t)60 * rate;
    size_t minutes = (size_t)ceil(seconds / 60.0);
    size_t n = minutes * minute;
    float *buf = calloc(n, sizeof(float));
    int16_t *pcm = malloc(n * sizeof(int16_t));
    uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 31337;
    int rc = buf && pcm ? 0 : -1;
    /* One background recording at one level; the distractor's level changes per minute. */
    struct synth_source bg;
    enum synth_kind bgk = p == DSP_PROFILE_WHALE ? SYNTH_BG_SEA : SYNTH_BG_LAND;
    float g_bg = (float)(pow(10.0, uniform(&rng, -45.0, -25.0) / 20.0) / SYNTH_REF_RMS);
    if (rc == 0 && synth_source_init(&bg, bgk, rate, draw_seed(&rng)) == 0) {
        synth_render(&bg, buf, n, g_bg);
    }
    for (size_t m = 0; m < minutes && rc == 0; m++) {
        float g = g_bg * (float)synth_snr_gain(uniform(&rng, 0.0, 25.0));
        rc = render_family_minute(buf + m * minute, minute, f, rate, g, &rng);
    }
    if (rc == 0) {
        synth_to_int16(buf, pcm, n);
        rc = data_windows(ds, p, pcm, n, 0, (int)f->kinds[0], 0.0, 0);
    }
    free(buf);
    free(pcm);
    return rc;
}

static const char *const call_names[EVAL_CALL_COUNT] = {
    "rumble 1-2 s",     "rumble 2-4 s",     "rumble 4-8 s",
    "upcall 0.4-0.8 s", "upcall 0.8-1.5 s", "humpback unit",
};

const char *eval_call_name(enum eval_call c)
{
    return (unsigned)c < EVAL_CALL_COUNT ? call_names[c] : "unknown";
}

int eval_call_of(enum dsp_profile p, enum eval_call c)
{
    if (p == DSP_PROFILE_ELEPHANT) {
        return c <= EVAL_RUMBLE_LONG;
    }
    return p == DSP_PROFILE_WHALE && c >= EVAL_UPCALL_SHORT && c < EVAL_CALL_COUNT;
}

/* Unit-variance noise: white (Irwin-Hall of four uniforms), or pink from Paul Kellet's
 * economy filter (-3 dB per octave within 1 dB over the audio band), scaled to RMS 0.1. */
static void noise_fill(float *buf, size_t n, enum eval_noise kind, float g, uint64_t *rng)
{
    double b0 = 0.0;
    double b1 = 0.0;
    double b2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double w = (synth_uniform(rng) + synth_uniform(rng) + synth_uniform(rng) +
                    synth_uniform(rng) - 2.0) *
                   1.7320508075688772;
        double x = w;
        if (kind == EVAL_PINK) {
            b0 = 0.99765 * b0 + w * 0.0990460;
            b1 = 0.96300 * b1 + w * 0.2965164;
            b2 = 0.57000 * b2 + w * 1.0526913;
            x = (b0 + b1 + b2 + w * 0.1848) / 3.4; /* about unit RMS */
        }
        buf[i] += g * (float)(x * SYNTH_REF_RMS);
    }
}

/* A call of type c: the source, stretched to a duration drawn from the type's range. */
static int call_source(struct synth_source *s, enum eval_call c, unsigned rate, uint64_t *rng)
{
    static const double lo[EVAL_CALL_COUNT] = {1.0, 2.0, 4.0, 0.4, 0.8, 0.0};
    static const double hi[EVAL_CALL_COUNT] = {2.0, 4.0, 8.0, 0.8, 1.5, 0.0};
    enum synth_kind k = c <= EVAL_RUMBLE_LONG ? SYNTH_RUMBLE
                        : c == EVAL_HUMPBACK  ? SYNTH_HUMPBACK
                                              : SYNTH_UPCALL;
    if (synth_source_init(s, k, rate, draw_seed(rng)) != 0) {
        return -1;
    }
    if (hi[c] > 0.0) {
        return synth_source_set_duration(s, uniform(rng, lo[c], hi[c]));
    }
    return 0;
}

int eval_recall_set(struct dset *ds, enum dsp_profile p, enum eval_call c, enum eval_noise noise,
                    double snr_db, size_t events, uint64_t seed)
{
    unsigned rate = rate_of(p);
    size_t n = (size_t)20 * rate;
    float *buf = malloc(n * sizeof(float));
    int16_t *pcm = malloc(n * sizeof(int16_t));
    uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 271828 + (uint64_t)c * 1000 + (uint64_t)noise;
    int rc = buf && pcm && eval_call_of(p, c) ? 0 : -1;
    /* Segments continue the set's numbering, so sets of several call types can share a dset. */
    uint32_t base = ds->n ? ds->seg[ds->n - 1] + 1 : 0;
    for (size_t e = 0; e < events && rc == 0; e++) {
        memset(buf, 0, n * sizeof(float));
        float g = (float)pow(10.0, uniform(&rng, -40.0, -20.0) / 20.0) / (float)SYNTH_REF_RMS;
        noise_fill(buf, n, noise, g, &rng);
        struct synth_source s;
        if (call_source(&s, c, rate, &rng) != 0) {
            rc = -1;
            break;
        }
        size_t dur = (size_t)s.dur_n;
        size_t start = (size_t)(uniform(&rng, 1.0, 19.0 - (double)dur / rate) * rate);
        synth_render(&s, buf + start, dur, g * (float)synth_snr_gain(snr_db));
        synth_to_int16(buf, pcm, n);
        size_t first = ds->n;
        rc = data_windows(ds, p, pcm, n, 0, (int)c, snr_db, base + (uint32_t)e);
        /* Window j ends at sample 1024 (j + 3) (the first needs 3072 samples pushed). */
        for (size_t j = first; rc == 0 && j < ds->n; j++) {
            size_t end = (size_t)FEAT_STEP_SAMPLES * (j - first + 3);
            size_t begin = end - FEAT_WINDOW_SAMPLES;
            ds->y[j] = begin < start + dur && end > start;
        }
    }
    free(buf);
    free(pcm);
    return rc;
}

uint8_t *eval_confidences(const struct qmodel *qm, const struct dset *ds)
{
    uint8_t *conf = malloc(ds->n ? ds->n : 1);
    for (size_t i = 0; conf && i < ds->n; i++) {
        int c1 = 0;
        quant_classify(qm, ds->x + i * DATA_DIM, &c1);
        conf[i] = (uint8_t)c1;
    }
    return conf;
}

/* Whether a closed record overlaps the labelled windows' span [lo, hi) in ms. */
static int record_hits(const struct aggregator *agg, uint64_t lo, uint64_t hi)
{
    for (unsigned q = 0; q < agg->queued; q++) {
        if (agg->queue[q].start_ms < hi && agg->queue[q].end_ms > lo) {
            return 1;
        }
    }
    return 0;
}

double eval_node_events_conf(const uint8_t *conf, int thr, const struct dset *ds, unsigned rate,
                             size_t *hits)
{
    const uint64_t step_ms = (uint64_t)FEAT_STEP_SAMPLES * 1000u / rate;
    const uint64_t win_ms = (uint64_t)FEAT_WINDOW_SAMPLES * 1000u / rate;
    struct agg_config cfg;
    struct aggregator agg;
    size_t episodes = 0;
    size_t hit = 0;
    size_t i = 0;
    aggregator_profile_config(&cfg, DSP_PROFILE_ELEPHANT);
    for (int p = 0; p < DSP_PROFILE_COUNT; p++) {
        if (dsp_profile_get((enum dsp_profile)p)->sample_rate_hz == rate) {
            aggregator_profile_config(&cfg, (enum dsp_profile)p); /* the node's episode rules */
        }
    }
    cfg.on_conf = 0; /* as node.c: the model's own threshold decides */
    cfg.health_period_ms = 0;
    while (i < ds->n) {
        /* One segment (a whole stream is one) through a fresh aggregator, as a node would. */
        size_t j = i;
        int seg_hit = 0;
        uint64_t lo = UINT64_MAX;
        uint64_t hi = 0;
        aggregator_init(&agg, &cfg, 0);
        for (; j < ds->n && ds->seg[j] == ds->seg[i]; j++) {
            struct agg_window w;
            memset(&w, 0, sizeof(w));
            w.start_ms = (uint64_t)(j - i) * step_ms;
            w.end_ms = w.start_ms + win_ms;
            w.confidence = conf[j];
            w.class_id = conf[j] >= thr && conf[j] > 127 ? 1 : 0;
            aggregator_window(&agg, &w);
            if (ds->y[j]) {
                lo = w.start_ms < lo ? w.start_ms : lo;
                hi = w.end_ms;
            }
            if (agg.queued == AGG_QUEUE) {
                seg_hit |= hi > 0 && record_hits(&agg, lo, hi);
                agg.queued = 0; /* counted; make room as a node's radio would */
            }
        }
        aggregator_flush(&agg, (uint64_t)(j - i) * step_ms + win_ms + cfg.hangover_ms);
        seg_hit |= hi > 0 && record_hits(&agg, lo, hi);
        hit += (size_t)seg_hit;
        episodes += agg.episodes;
        i = j;
    }
    if (hits) {
        *hits = hit;
    }
    double hours = (double)ds->n * FEAT_STEP_SAMPLES / (double)rate / 3600.0;
    return hours > 0.0 ? (double)episodes / hours : 0.0;
}

double eval_node_events(const struct qmodel *qm, int thr, const struct dset *ds, unsigned rate,
                        size_t *hits)
{
    uint8_t *conf = eval_confidences(qm, ds);
    if (!conf) {
        return -1.0;
    }
    double r = eval_node_events_conf(conf, thr, ds, rate, hits);
    free(conf);
    return r;
}
